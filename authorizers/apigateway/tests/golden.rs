//! Golden tests: AWS-shaped events for every authorizer kind, with a token minted at a fixed clock
//! put in at test time, against exact expected responses in `tests/golden/`.
//! `UPDATE_GOLDEN=1 cargo test -p apigateway-authorizer --test integration golden` rewrites the goldens.

use apigateway_authorizer::{State, decide};
use authorizer_common::testing::{
    CUTOVER, Keys, NOW, bearer_forms, claims, cognito_claims, has_no_nulls, invalid_tokens, wire,
};
use serde_json::{Value, json};

use crate::support::{SUITE, event_without_token};

/// (golden prefix, fixture, simple responses)
const KINDS: [(&str, &str, bool); 5] = [
    ("rest-token", "rest-token.json", false),
    ("rest-request", "rest-request.json", false),
    ("http-v1", "http-v1.json", false),
    ("http-v2-iam", "http-v2.json", false),
    ("http-v2-simple", "http-v2.json", true),
];

fn user(case: &str) -> Value {
    let mut c = claims();
    match case {
        // GET /request is granted by `reader`; the tenant role adds the current tenant's routes.
        "allow" => {
            c["roles"] = json!(["reader"]);
            c["tenants"] = json!({
                "T2acme": {"roles": ["tenant-admin"], "permissions": ["audit.read"]},
                "T2globex": {"roles": ["tenant-admin"], "permissions": []}
            });
            c["dct"] = json!("T2acme");
        }
        // Some routes, not the requested one: API Gateway answers 403 from the cached policy.
        "partial" => c["permissions"] = json!(["items.write"]),
        // Nothing granted: explicit Deny over the whole API.
        "deny" => c["roles"] = json!(["unknown-role"]),
        "admin" => c["roles"] = json!(["admin"]),
        other => panic!("unknown case {other}"),
    }
    c
}

async fn answer(state: &State, fixture: &str, authorization: &str) -> (Value, &'static str, &'static str) {
    let decision = decide(state, &SUITE.event(fixture, authorization)).await;
    let (verdict, reason) = (decision.verdict.as_str(), decision.reason.as_str());
    (wire(decision.response), verdict, reason)
}

#[tokio::test]
async fn valid_tokens_get_exact_policies() {
    let keys = Keys::new();
    let iam = SUITE.state(&keys, &[]).await;
    let simple = SUITE.state(&keys, &[("AUTHZ_SIMPLE_RESPONSES", "true")]).await;
    for (case, verdict, reason) in [
        ("allow", "allow", "route_granted"),
        ("partial", "deny", "route_not_granted"),
        ("deny", "deny", "nothing_granted"),
        ("admin", "allow", "route_granted"),
    ] {
        let token = keys.signing.sign(&user(case)).unwrap();
        for (name, fixture, is_simple) in KINDS {
            let state = if is_simple { &simple } else { &iam };
            let (response, got_verdict, got_reason) = answer(state, fixture, &format!("Bearer {token}")).await;
            assert_eq!((got_verdict, got_reason), (verdict, reason), "{name}-{case}");
            assert!(has_no_nulls(&response), "{name}-{case}: {response}");
            assert!(
                !response.to_string().contains(&token),
                "the token never appears in a response"
            );
            SUITE.assert_golden(&format!("{name}-{case}"), &response);
        }
    }
}

#[tokio::test]
async fn every_invalid_token_class_is_exactly_unauthorized() {
    let keys = Keys::new();
    let iam = SUITE.state(&keys, &[]).await;
    let simple = SUITE.state(&keys, &[("AUTHZ_SIMPLE_RESPONSES", "true")]).await;
    let classes = invalid_tokens(&keys, &user("allow"));
    for (class, token, reason) in &classes {
        for (name, fixture, is_simple) in KINDS {
            let state = if is_simple { &simple } else { &iam };
            let event = match token {
                None => event_without_token(fixture),
                Some(t) => SUITE.event(fixture, t),
            };
            let decision = decide(state, &event).await;
            assert_eq!(
                (decision.verdict.as_str(), decision.reason.as_str()),
                ("unauthorized", *reason),
                "{name} {class}"
            );
            let response = wire(decision.response);
            let golden = if is_simple {
                "http-v2-simple-unauthorized"
            } else {
                "unauthorized"
            };
            SUITE.assert_golden(golden, &response);
        }
    }
}

#[tokio::test]
async fn an_unknown_kid_is_looked_up_once_then_refused() {
    let keys = Keys::new();
    let state = SUITE.cold_state(&keys, &[]).await;
    let token = keys.unpublished.sign(&user("allow")).unwrap();
    let bearer = format!("Bearer {token}");
    let (response, verdict, reason) = answer(&state, "rest-token.json", &bearer).await;
    assert_eq!((verdict, reason), ("unauthorized", "unknown_kid"));
    SUITE.assert_golden("unauthorized", &response);
    let (_, _, reason) = answer(&state, "rest-token.json", &bearer).await;
    assert_eq!(reason, "penalty_window");
}

#[tokio::test]
async fn bearer_prefix_in_any_case_or_none() {
    let (keys, state) = SUITE.keys_and_state(&[]).await;
    let token = keys.signing.sign(&user("allow")).unwrap();
    for header in bearer_forms(&token) {
        let (response, verdict, _) = answer(&state, "rest-request.json", &header).await;
        assert_eq!(verdict, "allow");
        SUITE.assert_golden("rest-request-allow", &response);
    }
}

#[tokio::test]
async fn unknown_events_and_bad_arns_are_unauthorized_not_errors() {
    let (keys, state) = SUITE.keys_and_state(&[]).await;
    let token = keys.signing.sign(&user("allow")).unwrap();
    let mut bad_arn = SUITE.event("rest-token.json", &format!("Bearer {token}"));
    bad_arn["methodArn"] = json!("arn:aws:lambda:us-east-1:1:function:x");
    for (event, reason) in [
        (json!({"hello": "world"}), "unsupported_event"),
        (json!(null), "unsupported_event"),
        (json!({"type": "TOKEN", "authorizationToken": "x"}), "bad_arn"),
        (bad_arn, "bad_arn"),
    ] {
        let decision = decide(&state, &event).await;
        assert_eq!(decision.reason.as_str(), reason);
        SUITE.assert_golden("unauthorized", &wire(decision.response));
    }
}

#[tokio::test]
async fn in_cutover_a_cognito_group_opens_what_the_descope_role_of_that_name_opens() {
    let keys = Keys::new();
    let iam = SUITE.state(&keys, &CUTOVER).await;
    let simple = SUITE
        .state(
            &keys,
            &[CUTOVER.as_slice(), &[("AUTHZ_SIMPLE_RESPONSES", "true")]].concat(),
        )
        .await;
    for groups in [&["reader"][..], &["admin"], &["unknown-role"], &[]] {
        let mut descope = claims();
        descope["roles"] = json!(groups);
        let descope = keys.signing.sign(&descope).unwrap();
        let access = keys.signing.sign(&cognito_claims(groups, false, NOW)).unwrap();
        let id = keys.signing.sign(&cognito_claims(groups, true, NOW)).unwrap();
        for (name, fixture, is_simple) in KINDS {
            let state = if is_simple { &simple } else { &iam };
            let (expected, verdict, reason) = answer(state, fixture, &format!("Bearer {descope}")).await;
            for token in [&access, &id] {
                let (response, got_verdict, got_reason) = answer(state, fixture, &format!("Bearer {token}")).await;
                let case = format!("{name} {groups:?}");
                assert_eq!((got_verdict, got_reason), (verdict, reason), "{case}");
                assert_eq!(response["policyDocument"], expected["policyDocument"], "{case}");
                assert_eq!(response["isAuthorized"], expected["isAuthorized"], "{case}");
                assert_eq!(response["context"]["roles"], expected["context"]["roles"], "{case}");
                assert_eq!(response["context"]["idp"], "cognito", "{case}");
                assert_eq!(expected["context"]["idp"], "descope", "{case}");
            }
            if groups == ["reader"] {
                let (response, _, _) = answer(state, fixture, &format!("Bearer {access}")).await;
                assert!(has_no_nulls(&response), "{response}");
                SUITE.assert_golden(&format!("{name}-cognito"), &response);
            }
        }
    }
}

#[tokio::test]
async fn without_cutover_settings_cognito_tokens_are_unauthorized() {
    let (keys, state) = SUITE.keys_and_state(&[]).await;
    let access = keys.signing.sign(&cognito_claims(&["admin"], false, NOW)).unwrap();
    let (response, verdict, reason) = answer(&state, "rest-token.json", &format!("Bearer {access}")).await;
    assert_eq!((verdict, reason), ("unauthorized", "wrong_issuer"));
    SUITE.assert_golden("unauthorized", &response);
}

/// Issue #14: a claim copied with `AUTHZ_CONTEXT_CLAIMS` means the same whichever side vouched:
/// Cognito's `email` and `phone_number` are copied only when Cognito marks them verified, and the
/// ones left out for that reason are named under `unverified` (apart from `omitted`).
#[tokio::test]
async fn in_cutover_an_unverified_cognito_email_or_phone_stays_out_of_the_context() {
    let keys = Keys::new();
    let settings = [CUTOVER.as_slice(), &[("AUTHZ_CONTEXT_CLAIMS", "email,phone_number")]].concat();
    let state = SUITE.state(&keys, &settings).await;
    let id = |email_verified: Value, phone_verified: Value| {
        let mut c = cognito_claims(&["reader"], true, NOW);
        c["phone_number"] = json!("+15555550100");
        for (name, value) in [
            ("email_verified", email_verified),
            ("phone_number_verified", phone_verified),
        ] {
            match value {
                Value::Null => c.as_object_mut().unwrap().remove(name),
                value => c.as_object_mut().unwrap().insert(name.to_owned(), value),
            };
        }
        keys.signing.sign(&c).unwrap()
    };
    for (case, token, email, phone, unverified) in [
        (
            "both verified (booleans)",
            id(json!(true), json!(true)),
            true,
            true,
            None,
        ),
        (
            "both verified (strings)",
            id(json!("true"), json!("true")),
            true,
            true,
            None,
        ),
        (
            "email unverified",
            id(json!(false), json!(true)),
            false,
            true,
            Some("email"),
        ),
        (
            "neither verified",
            id(json!("false"), Value::Null),
            false,
            false,
            Some("email,phone_number"),
        ),
        (
            "verified marker of another type",
            id(json!(1), json!(true)),
            false,
            true,
            Some("email"),
        ),
    ] {
        let (response, verdict, _) = answer(&state, "rest-token.json", &format!("Bearer {token}")).await;
        assert_eq!(verdict, "allow", "{case}");
        let context = &response["context"];
        assert_eq!(context.get("email").is_some(), email, "{case}: {context}");
        assert_eq!(context.get("phone_number").is_some(), phone, "{case}: {context}");
        assert_eq!(
            context.get("unverified").and_then(Value::as_str),
            unverified,
            "{case}: {context}"
        );
        assert!(context.get("omitted").is_none(), "{case}: {context}");
    }
    // The rule is Cognito's: a Descope token's claims are copied as they are.
    let mut descope = claims();
    descope["phone_number"] = json!("+15555550100");
    let token = keys.signing.sign(&descope).unwrap();
    let (response, _, _) = answer(&state, "rest-token.json", &format!("Bearer {token}")).await;
    assert_eq!(response["context"]["email"], "ada@example.com");
    assert_eq!(response["context"]["phone_number"], "+15555550100");
    assert!(response["context"].get("unverified").is_none());
}
