//! Hostile requests: refused with their status before any Cognito call. The stand-in (pointing at
//! an address nothing listens on, so a call could never succeed) records every request; none
//! arrives. The refusals are the function's own; nothing here depends on AWS.

use std::time::Instant;

use moto_harness::StandIn;
use password_check::{FunctionUrlRequest, State};
use serde_json::json;

use crate::support::{HMAC_SECRET, body, check, config, event, request, signed};

fn state(stand_in: &StandIn, bearer: Option<&str>) -> State {
    let mut env = vec![
        ("PASSWORD_CHECK_HMAC_SECRET", HMAC_SECRET.to_owned()),
        ("COGNITO_USER_POOL_ID", "us-east-1_abc".to_owned()),
        ("COGNITO_CLIENT_ID", "client".to_owned()),
        ("DESCOPE_PROJECT_ID", "P2x".to_owned()),
        ("DESCOPE_MANAGEMENT_KEY", "K2x".to_owned()),
        // Nothing listens there: a Descope call would fail, and none is made either.
        ("DESCOPE_BASE_URL", "http://127.0.0.1:9".to_owned()),
    ];
    if let Some(token) = bearer {
        env.push(("PASSWORD_CHECK_BEARER_TOKEN", token.to_owned()));
    }
    State::new(config(&env), moto_harness::client_for(&stand_in.url)).unwrap()
}

async fn answer(state: &State, request: FunctionUrlRequest) -> (u16, String) {
    let started = Instant::now();
    let response = state.handle(request).await;
    // Refusals are not padded: only `invalid` is.
    assert!(started.elapsed().as_millis() < 300, "a refusal answered at once");
    (
        response.status_code,
        body(&response)["error"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn hostile_requests_are_refused_without_touching_cognito() {
    let stand_in = StandIn::builder("http://127.0.0.1:9").start();
    let state = state(&stand_in, None);
    let good = json!({"loginId": "ana", "password": "pw"}).to_string();

    // No signature, a wrong one, one of another secret, one that is not base64.
    assert_eq!(
        answer(&state, request(event(&good, &[], false))).await,
        (401, "unauthorized".into())
    );
    let wrong = password_check::request::signature(b"another secret", good.as_bytes());
    for sig in [wrong.as_str(), "not base64!", ""] {
        let event = event(&good, &[("x-descope-webhook-s256", sig)], false);
        assert_eq!(
            answer(&state, request(event)).await,
            (401, "unauthorized".into()),
            "{sig}"
        );
    }
    // A signature of another body.
    let mut replayed = signed(&good);
    replayed["body"] = json!({"loginId": "ana", "password": "other"}).to_string().into();
    assert_eq!(answer(&state, request(replayed)).await, (401, "unauthorized".into()));

    // A 1 MiB body, signed or not, plain or base64.
    let huge = json!({"loginId": "ana", "password": "x".repeat(1 << 20)}).to_string();
    assert_eq!(answer(&state, request(signed(&huge))).await, (413, "too_large".into()));
    assert_eq!(
        answer(&state, request(event(&huge, &[], true))).await,
        (413, "too_large".into())
    );

    // A 10 KB password in a correctly signed body under the body limit would be refused too; with
    // the 8 KiB body limit it is refused as too large, and a 2 KB one as a bad field.
    assert_eq!(
        answer(&state, request(check("ana", &"p".repeat(10_000)))).await,
        (413, "too_large".into())
    );
    assert_eq!(
        answer(&state, request(check("ana", &"p".repeat(2_000)))).await,
        (400, "bad_field".into())
    );
    assert_eq!(
        answer(&state, request(check("", "pw"))).await,
        (400, "bad_field".into())
    );
    assert_eq!(
        answer(&state, request(check("ana", ""))).await,
        (400, "bad_field".into())
    );

    // Malformed JSON and the wrong shape, correctly signed.
    for malformed in [
        "{",
        "[]",
        r#"{"loginId": "ana"}"#,
        r#"{"loginId": 1, "password": "pw"}"#,
        "\u{0}",
    ] {
        assert_eq!(
            answer(&state, request(signed(malformed))).await,
            (400, "malformed".into()),
            "{malformed}"
        );
    }

    assert!(
        stand_in.requests().is_empty(),
        "Cognito was called: {:?}",
        stand_in.requests()
    );
}

#[tokio::test]
async fn a_configured_bearer_token_is_required_as_well() {
    let stand_in = StandIn::builder("http://127.0.0.1:9").start();
    let state = state(&stand_in, Some("flow-token"));
    let good = json!({"loginId": "ana", "password": "pw"}).to_string();
    let sig = password_check::request::signature(HMAC_SECRET.as_bytes(), good.as_bytes());
    for authorization in [None, Some("Bearer other"), Some("flow-token"), Some("Basic flow-token")] {
        let mut headers = vec![("x-descope-webhook-s256", sig.as_str())];
        headers.extend(authorization.map(|a| ("authorization", a)));
        let answer = answer(&state, request(event(&good, &headers, false))).await;
        assert_eq!(answer, (401, "unauthorized".into()), "{authorization:?}");
    }
    assert!(stand_in.requests().is_empty());
}
