//! The exchange as the app sees it: a Cognito session in, a Descope session for the same person
//! out, once. Cognito is moto 5.2.5 behind the stand-in (which plays `RevokeToken`, absent from
//! moto); Descope is the emulator; the single-use table is moto's DynamoDB.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cognitoidentityprovider::types::{ExplicitAuthFlowsType, TimeUnitsType, TokenValidityUnitsType};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use moto_harness::Canned;
use serde_json::{Value, json};

use crate::support::{ORIGIN, Stage, body, event, exchange, request};

fn payload(jwt: &str) -> Value {
    let segment = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

fn now() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

#[tokio::test]
async fn a_cognito_session_becomes_a_descope_session_of_the_same_person_once() {
    let stage = Stage::start().await;
    let (refresh, user_id) = stage.migrated("ada").await;
    let state = stage.state(&[]).await;

    let answer = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(answer.status_code, 200, "{}", answer.body);
    assert_eq!(answer.headers["access-control-allow-origin"], ORIGIN);
    assert_eq!(answer.headers["cache-control"], "no-store");
    let session = body(&answer);
    assert_eq!(session["user"]["userId"], user_id.as_str());
    assert_eq!(session["user"]["loginIds"], json!(["ada@example.com"]));
    // The session JWT is a real Descope session of that user: it verifies with the project's keys.
    let claims = stage
        .descope
        .verifier()
        .verify(session["sessionJwt"].as_str().unwrap())
        .await
        .expect("a valid Descope session token");
    assert_eq!(claims.subject, user_id);
    assert!(!session["refreshJwt"].as_str().unwrap().is_empty());

    // Cognito's refresh token was revoked (the stand-in's RevokeToken; AWS's own behaviour
    // afterwards is that InitiateAuth refuses it).
    assert!(stage.revoked.contains(&refresh));
    assert_eq!(stage.stand_in.attempts("RevokeToken"), 1);

    // Single use: the same token again is refused before Cognito is called.
    let refreshes = stage.stand_in.attempts("InitiateAuth");
    let again = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(
        (again.status_code, body(&again)),
        (409, json!({"error": "already_used"}))
    );
    assert_eq!(stage.stand_in.attempts("InitiateAuth"), refreshes);
}

#[tokio::test]
async fn two_concurrent_exchanges_of_one_token_yield_one_session() {
    let stage = Stage::start().await;
    let (refresh, _) = stage.migrated("bea").await;
    let state = stage.state(&[]).await;

    let (first, second) = tokio::join!(
        state.handle(request(exchange(&refresh, &stage.client_id))),
        state.handle(request(exchange(&refresh, &stage.client_id))),
    );
    let mut statuses = [first.status_code, second.status_code];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", first.body, second.body);
    // One refresh, one Descope sign-in, one revocation: the loser called nothing.
    assert_eq!(stage.stand_in.attempts("InitiateAuth"), 1);
    assert_eq!(stage.stand_in.attempts("RevokeToken"), 1);
    assert_eq!(stage.claims().await, 1);
}

#[tokio::test]
async fn the_descope_session_lasts_no_longer_than_the_cognito_refresh_token() {
    let stage = Stage::start().await;
    // An app client whose refresh tokens live 2 hours (AWS's minimum is 1 hour).
    let client = stage
        .pool
        .client()
        .create_user_pool_client()
        .user_pool_id(&stage.pool.id)
        .client_name("short")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .refresh_token_validity(2)
        .token_validity_units(
            TokenValidityUnitsType::builder()
                .refresh_token(TimeUnitsType::Hours)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let short = client.user_pool_client().unwrap().client_id().unwrap().to_owned();
    let (sub, refresh) = stage.signed_in("cyd", &short).await;
    stage.descope.user("cyd@example.com", &sub, &stage.pool.id).await;
    let clients = format!("{},{short}", stage.client_id);
    let state = stage.state(&[("COGNITO_CLIENT_IDS", clients.clone())]).await;

    let answer = state.handle(request(exchange(&refresh, &short))).await;
    assert_eq!(answer.status_code, 200, "{}", answer.body);
    let refresh_exp = payload(body(&answer)["refreshJwt"].as_str().unwrap())["exp"]
        .as_i64()
        .unwrap();
    let two_hours = 2 * 3600;
    assert!(
        refresh_exp <= now() + two_hours && refresh_exp >= now() + two_hours - 60,
        "refresh JWT expires at {refresh_exp}, now {}",
        now()
    );

    // A cap below the client's validity wins.
    let (sub, refresh) = stage.signed_in("dee", &short).await;
    stage.descope.user("dee@example.com", &sub, &stage.pool.id).await;
    let capped = stage
        .state(&[
            ("COGNITO_CLIENT_IDS", clients),
            ("SESSION_EXCHANGE_MAX_REFRESH_SECONDS", "600".to_owned()),
        ])
        .await;
    let answer = capped.handle(request(exchange(&refresh, &short))).await;
    let refresh_exp = payload(body(&answer)["refreshJwt"].as_str().unwrap())["exp"]
        .as_i64()
        .unwrap();
    assert!(refresh_exp <= now() + 600, "{refresh_exp}");
}

#[tokio::test]
async fn a_user_not_yet_in_descope_keeps_the_cognito_session_and_may_come_back() {
    let stage = Stage::start().await;
    let (sub, refresh) = stage.signed_in("eve", &stage.client_id).await;
    let state = stage.state(&[]).await;

    let answer = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(
        (answer.status_code, body(&answer)),
        (403, json!({"error": "not_migrated"}))
    );
    assert_eq!(
        stage.stand_in.attempts("RevokeToken"),
        0,
        "the Cognito session must stay usable"
    );
    assert_eq!(stage.claims().await, 0, "the claim is given back");

    // Once the importer has run, the same Cognito session is exchanged.
    stage.descope.user("eve@example.com", &sub, &stage.pool.id).await;
    let answer = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(answer.status_code, 200, "{}", answer.body);
}

#[tokio::test]
async fn a_disabled_descope_user_gets_no_session() {
    let stage = Stage::start().await;
    let (refresh, _) = stage.migrated("fay").await;
    stage.descope.disable("fay@example.com").await;
    let state = stage.state(&[]).await;

    let answer = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(
        (answer.status_code, body(&answer)),
        (403, json!({"error": "not_migrated"}))
    );
    assert_eq!(stage.stand_in.attempts("RevokeToken"), 0);
}

#[tokio::test]
async fn a_throttled_cognito_is_retryable_and_the_token_is_not_spent() {
    // AWS answers throttling with TooManyRequestsException; moto never does, so the stand-in
    // throttles every refresh (whatever the SDK's retries) until the test lifts it.
    let throttled = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flag = std::sync::Arc::clone(&throttled);
    let stage = Stage::with(move |builder| {
        builder.on("InitiateAuth", move |_| {
            flag.load(std::sync::atomic::Ordering::SeqCst)
                .then(|| Canned::error(400, "TooManyRequestsException", "Rate exceeded"))
        })
    })
    .await;
    let (refresh, _) = stage.migrated("gus").await;
    let state = stage.state(&[]).await;

    let answer = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!((answer.status_code, body(&answer)), (503, json!({"error": "retry"})));
    assert_eq!(stage.claims().await, 0);
    throttled.store(false, std::sync::atomic::Ordering::SeqCst);
    let answer = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(answer.status_code, 200, "{}", answer.body);
}

#[tokio::test]
async fn a_failed_revocation_still_signs_the_user_in_and_spends_the_token() {
    let stage = Stage::with(|builder| {
        builder.on("RevokeToken", |_| {
            Some(Canned::error(
                500,
                "InternalErrorException",
                "An internal error occurred",
            ))
        })
    })
    .await;
    let (refresh, _) = stage.migrated("hal").await;
    let state = stage.state(&[]).await;

    let answer = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(answer.status_code, 200, "{}", answer.body);
    assert!(body(&answer)["sessionJwt"].is_string());
    assert_eq!(stage.claims().await, 1);
    let again = state.handle(request(exchange(&refresh, &stage.client_id))).await;
    assert_eq!(again.status_code, 409);
}

#[tokio::test]
async fn an_app_client_with_a_secret_needs_the_username_for_secret_hash() {
    let stage = Stage::start().await;
    let created = stage
        .pool
        .client()
        .create_user_pool_client()
        .user_pool_id(&stage.pool.id)
        .client_name("backend")
        .generate_secret(true)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap();
    let with_secret = created.user_pool_client().unwrap().client_id().unwrap().to_owned();
    // moto's admin flow checks no SECRET_HASH (AWS does), so signing in needs none here.
    let (sub, refresh) = stage.signed_in("ivy", &with_secret).await;
    stage.descope.user("ivy@example.com", &sub, &stage.pool.id).await;
    let state = stage.state(&[("COGNITO_CLIENT_IDS", with_secret.clone())]).await;

    let without = state.handle(request(exchange(&refresh, &with_secret))).await;
    assert_eq!(
        (without.status_code, body(&without)),
        (400, json!({"error": "username_required"}))
    );
    assert_eq!(stage.stand_in.attempts("InitiateAuth"), 0);

    // A wrong username makes a wrong SECRET_HASH: moto checks it on refreshes, as AWS does.
    let body_of =
        |username: &str| json!({"refreshToken": refresh, "clientId": with_secret, "username": username}).to_string();
    let wrong = state.handle(request(event("POST", &body_of("mallory"), &[]))).await;
    assert_eq!(
        (wrong.status_code, body(&wrong)),
        (401, json!({"error": "invalid_token"}))
    );

    // A refused attempt gives the token back: with the right username it exchanges.
    let right = json!({"refreshToken": refresh, "clientId": with_secret, "username": "ivy"}).to_string();
    let answer = state.handle(request(event("POST", &right, &[]))).await;
    assert_eq!(answer.status_code, 200, "{}", answer.body);
    assert!(stage.revoked.contains(&refresh));
}

#[tokio::test]
async fn answers_carry_cors_headers_only_for_the_apps_origin() {
    let stage = Stage::start().await;
    let state = stage.state(&[]).await;

    let preflight = state.handle(request(event("OPTIONS", "", &[("origin", ORIGIN)]))).await;
    assert_eq!(preflight.status_code, 204);
    assert_eq!(preflight.headers["access-control-allow-origin"], ORIGIN);
    assert_eq!(preflight.headers["access-control-allow-methods"], "POST");

    // A native app sends no Origin: served, without CORS headers.
    let native = state
        .handle(request(event("POST", r#"{"refreshToken":"x","clientId":"nope"}"#, &[])))
        .await;
    assert_eq!(native.status_code, 400);
    assert!(!native.headers.contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn an_app_client_not_in_the_pool_stops_the_cold_start_naming_it() {
    // moto, as AWS, answers DescribeUserPoolClient for an unknown client with
    // ResourceNotFoundException.
    let stage = Stage::start().await;
    let error = stage
        .try_state(&[("COGNITO_CLIENT_IDS", "nosuchclient".to_owned())])
        .await
        .expect_err("an unknown client must stop the cold start")
        .to_string();
    assert!(
        error.contains("nosuchclient") && error.contains("COGNITO_CLIENT_IDS"),
        "{error}"
    );
}
