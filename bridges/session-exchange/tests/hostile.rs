//! Requests an attacker could send: each is refused, and the refusals that come before the
//! single-use write touch neither DynamoDB, Cognito nor Descope.

use serde_json::json;

use crate::support::{Stage, body, event, exchange, request};

#[tokio::test]
async fn refused_before_anything_is_written_or_called() {
    let stage = Stage::start().await;
    let (refresh, _) = stage.migrated("ann").await;
    let state = stage.state(&[]).await;
    let huge = format!(
        r#"{{"refreshToken":"{}","clientId":"{}"}}"#,
        "x".repeat(1 << 20),
        stage.client_id
    );
    let valid = json!({"refreshToken": refresh, "clientId": stage.client_id}).to_string();
    let cases = [
        // A page on another site trying to spend a token it got hold of.
        (
            event("POST", &valid, &[("origin", "https://evil.example")]),
            403,
            "origin_not_allowed",
        ),
        (event("GET", "", &[]), 405, "method_not_allowed"),
        (event("POST", &huge, &[]), 413, "too_large"),
        (event("POST", "not json", &[]), 400, "bad_request"),
        (
            event("POST", r#"{"refreshToken":"","clientId":"x"}"#, &[]),
            400,
            "bad_request",
        ),
        (
            event(
                "POST",
                &format!(r#"{{"refreshToken":"{refresh}","clientId":"x","admin":true}}"#),
                &[],
            ),
            400,
            "bad_request",
        ),
        // A token of a client this function does not serve.
        (exchange(&refresh, "another-client"), 400, "unknown_client"),
    ];
    for (event, status, label) in cases {
        let answer = state.handle(request(event)).await;
        assert_eq!((answer.status_code, body(&answer)), (status, json!({"error": label})));
    }
    // Only the cold start's DescribeUserPoolClient reached Cognito.
    let targets: Vec<String> = stage.stand_in.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [moto_harness::stand_in::target("DescribeUserPoolClient")],
        "Cognito was called"
    );
    assert_eq!(stage.claims().await, 0, "something was written");
    // The real token is still good afterwards.
    let answer = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(answer.status_code, 200, "{}", answer.body);
}

#[tokio::test]
async fn a_refresh_token_of_another_app_client_is_refused() {
    let stage = Stage::start().await;
    // The same user, signed in through another app client of the same pool.
    let other = stage.pool.app_client("internal-tool").await;
    let (sub, refresh) = stage.signed_in("bob", &other).await;
    stage.descope.user("bob@example.com", &sub, &stage.pool.id).await;
    let state = stage.state(&[]).await;

    // Sent as if it were the web client's. AWS refuses such a refresh (NotAuthorizedException);
    // moto 5.2.5 does not check the client and issues an ID token whose `aud` is the other
    // client, which the function's verification refuses: either way no session.
    let answer = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(
        (answer.status_code, body(&answer)),
        (401, json!({"error": "invalid_token"}))
    );
    assert_eq!(stage.stand_in.attempts("RevokeToken"), 0);
}

#[tokio::test]
async fn a_refresh_token_of_another_pool_is_refused() {
    let stage = Stage::start().await;
    let other_pool = moto_harness::UserPool::create(&stage.moto, "other").await;
    let other_client = other_pool.app_client("web").await;
    other_pool.user("cat", "cat@example.com", &[]).await;
    let refresh = other_pool.tokens(&other_client, "cat").await.refresh;
    // Someone with the same email exists in Descope, migrated from the configured pool.
    let (_, _) = stage.migrated("cat").await;
    let state = stage.state(&[]).await;

    // moto looks the token up in the pool of the client named, as AWS does, and refuses it.
    let answer = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(
        (answer.status_code, body(&answer)),
        (401, json!({"error": "invalid_token"}))
    );
}

#[tokio::test]
async fn a_made_up_or_revoked_token_is_refused() {
    let stage = Stage::start().await;
    let (refresh, _) = stage.migrated("dan").await;
    let state = stage.state(&[]).await;

    let made_up = state
        .handle(request(exchange("eyJjdHkiOiJKV1QiLCJlbmMiOi.x.y", &stage.client_id)))
        .await;
    assert_eq!(
        (made_up.status_code, body(&made_up)),
        (401, json!({"error": "invalid_token"}))
    );

    // Made-up tokens leave no rows behind (Cognito keeps refusing them anyway).
    assert_eq!(stage.claims().await, 0);

    // Revoked in Cognito by the app's own sign-out (the stand-in's RevokeToken).
    stage.revoked.revoke(&refresh);
    let revoked = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(
        (revoked.status_code, body(&revoked)),
        (401, json!({"error": "invalid_token"}))
    );
}

#[tokio::test]
async fn an_id_token_not_signed_by_the_pool_gets_no_session() {
    // Whatever answers in Cognito's place (a stand-in here) returns an ID token naming a victim,
    // well-formed but signed with another key: the function checks it against the pool's keys
    // (moto's JWKS) and refuses it.
    let forger = descope_jwt::testing::TestKey::rs256("forged-kid").unwrap();
    let slot = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let forged = std::sync::Arc::clone(&slot);
    let stage = Stage::with(move |builder| {
        builder.on("InitiateAuth", move |_| {
            Some(moto_harness::Canned::json(&json!({
                "AuthenticationResult": {
                    "IdToken": forged.lock().unwrap().clone(),
                    "AccessToken": "x",
                    "ExpiresIn": 3600,
                    "TokenType": "Bearer"
                }
            })))
        })
    })
    .await;
    let (refresh, _) = stage.migrated("mal").await;
    let (victim_sub, _) = stage.signed_in("vic", &stage.client_id).await;
    stage.descope.user("vic@example.com", &victim_sub, &stage.pool.id).await;
    let mut claims = descope_jwt::testing::cognito_id_claims(&stage.pool.id, &stage.client_id, "vic", &[]);
    claims["sub"] = json!(victim_sub);
    *slot.lock().unwrap() = forger.sign(&claims).unwrap();
    let state = stage.state(&[]).await;

    let answer = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(
        (answer.status_code, body(&answer)),
        (401, json!({"error": "invalid_token"}))
    );
    assert_eq!(stage.stand_in.attempts("RevokeToken"), 0);
}

#[tokio::test]
async fn an_account_registered_first_with_the_users_email_gets_no_session() {
    // Someone registered the user's email in Descope before the import (no Cognito identity on
    // it), and the user is not migrated yet: the exchange looks users up by the `sub` Cognito
    // vouches for, so the squatter's account gets nothing, and the user keeps the Cognito session.
    let stage = Stage::start().await;
    let (_, refresh) = stage.signed_in("zoe", &stage.client_id).await;
    stage
        .descope
        .running
        .emulator
        .create_user(json!({"loginId": "zoe@example.com", "email": "zoe@example.com"}))
        .unwrap();
    let state = stage.state(&[]).await;

    let answer = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(
        (answer.status_code, body(&answer)),
        (403, json!({"error": "not_migrated"}))
    );
    assert_eq!(stage.stand_in.attempts("RevokeToken"), 0);
}
