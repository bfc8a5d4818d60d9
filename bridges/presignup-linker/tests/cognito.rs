//! The real adapter ([`CognitoDirectory`]) against real servers:
//!
//! - moto server (Cognito on loopback) for `ListUsers` with the `sub` and email filters,
//!   pagination and the whole decision over it; moto 5.2.5 does not implement `AdminLinkProviderForUser`, which the
//!   last moto test pins down;
//! - a recording stand-in for the Cognito endpoint (axum on 127.0.0.1) for the exact
//!   `AdminLinkProviderForUser` request the SDK sends;
//! - the compiled `presignup-linker` binary under a Lambda Runtime API stand-in, pointed at that
//!   endpoint through the standard `AWS_ENDPOINT_URL`, and a cold start with a bad setting.

use std::{
    process::Child,
    sync::{Arc, Mutex},
    time::Duration,
};

use authorizer_common::testing::runtime::{InitFailure, Reply, RuntimeApi, finish, spawn_function};
use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
use moto_harness::{Moto, UserPool, client_for};
use presignup_linker::{Config, Directory, DirectoryUser, Link, REFUSAL_MESSAGE, cognito::CognitoDirectory, handle};
use serde_json::{Value, json};

use crate::support::SUITE;

const BINARY: &str = env!("CARGO_BIN_EXE_presignup-linker");

// ---------------------------------------------------------------------------------------- moto

/// A pool with ada (verified, confirmed), twins sharing an address, one unverified user and 65
/// users sharing a list address (more than one ListUsers page).
async fn seeded_pool(moto: &Moto) -> String {
    let pool = UserPool::create(moto, "hybrid").await;
    let verified = |email: &'static str| [("email", email), ("email_verified", "true")];
    pool.create_user("ada", &verified("ada@example.com")).await;
    pool.confirm("ada").await;
    pool.create_user("bob", &verified("bob@example.com")).await;
    for twin in ["twin-1", "twin-2"] {
        pool.create_user(twin, &verified("twins@example.com")).await;
    }
    pool.create_user(
        "unverified",
        &[("email", "unverified@example.com"), ("email_verified", "false")],
    )
    .await;
    for i in 0..65 {
        pool.create_user(&format!("member-{i:02}"), &[("email", "list@example.com")])
            .await;
    }
    pool.id
}

#[tokio::test]
async fn list_users_by_email_against_moto() {
    let moto = Moto::start();
    let pool = seeded_pool(&moto).await;
    let directory = CognitoDirectory::new(moto.client());

    let ada = directory.find_users_by_email(&pool, "ada@example.com").await.unwrap();
    assert_eq!(
        ada,
        vec![DirectoryUser {
            username: "ada".into(),
            status: "CONFIRMED".into(),
            email_verified: true
        }]
    );
    let twins = directory.find_users_by_email(&pool, "twins@example.com").await.unwrap();
    assert_eq!(twins.len(), 2);
    assert!(
        twins
            .iter()
            .all(|u| u.status == "FORCE_CHANGE_PASSWORD" && u.email_verified)
    );
    let unverified = directory
        .find_users_by_email(&pool, "unverified@example.com")
        .await
        .unwrap();
    assert_eq!(unverified.len(), 1);
    assert!(!unverified[0].email_verified);
    assert!(
        directory
            .find_users_by_email(&pool, "nobody@example.com")
            .await
            .unwrap()
            .is_empty()
    );
    // Exact match, not a prefix: "ada@example.co" finds no one.
    assert!(
        directory
            .find_users_by_email(&pool, "ada@example.co")
            .await
            .unwrap()
            .is_empty()
    );
    // All pages.
    let members = directory.find_users_by_email(&pool, "list@example.com").await.unwrap();
    assert_eq!(members.len(), 65);
}

#[tokio::test]
async fn list_users_by_sub_against_moto() {
    let moto = Moto::start();
    let pool_id = seeded_pool(&moto).await;
    let pool = UserPool::from_id(moto.client(), pool_id.clone());
    let directory = CognitoDirectory::new(moto.client());

    let ada_sub = pool.sub("ada").await;
    let ada = directory.find_users_by_sub(&pool_id, &ada_sub).await.unwrap();
    assert_eq!(
        ada,
        vec![DirectoryUser {
            username: "ada".into(),
            status: "CONFIRMED".into(),
            email_verified: true
        }]
    );
    assert!(
        directory
            .find_users_by_sub(&pool_id, "00000000-0000-0000-0000-000000000000")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn sub_decisions_over_moto() {
    let moto = Moto::start();
    let pool_id = seeded_pool(&moto).await;
    let pool = UserPool::from_id(moto.client(), pool_id.clone());
    let directory = CognitoDirectory::new(moto.client());
    let config = Config::default();
    let event = |sub: &str| {
        let mut event = SUITE.fixture("descope-imported-sign-in.json");
        event["userPoolId"] = json!(pool_id);
        event["request"]["userAttributes"]["custom:cognitoPoolId"] = json!(pool_id);
        event["request"]["userAttributes"]["custom:cognitoSub"] = json!(sub);
        event
    };
    // Ada's real sub is found, and the function goes on to link her, which moto cannot do (see
    // below): the refusal is the link call's, not a lookup's.
    let ada = handle(&config, &directory, event(&pool.sub("ada").await))
        .await
        .unwrap_err();
    assert_eq!(ada.label(), "directory_error");
    assert!(ada.detail().starts_with("AdminLinkProviderForUser"), "{}", ada.detail());
    // A sub nobody has in this pool: refused, although bob@example.com (the identity's email)
    // exists, verified, in the pool.
    let unknown = handle(&config, &directory, event("00000000-0000-0000-0000-000000000000"))
        .await
        .unwrap_err();
    assert_eq!(unknown.label(), "sub_not_found");
}

#[tokio::test]
async fn decisions_over_moto() {
    let moto = Moto::start();
    let pool = seeded_pool(&moto).await;
    let directory = CognitoDirectory::new(moto.client());
    let config = Config::default();
    let event = |email: &str| {
        let mut event = SUITE.fixture("descope-first-sign-in.json");
        event["userPoolId"] = json!(pool);
        event["request"]["userAttributes"]["email"] = json!(email);
        event
    };

    let no_match = event("new@example.com");
    assert_eq!(handle(&config, &directory, no_match.clone()).await.unwrap(), no_match);
    let ambiguous = handle(&config, &directory, event("twins@example.com"))
        .await
        .unwrap_err();
    assert_eq!(ambiguous.label(), "ambiguous");
    let unverified = handle(&config, &directory, event("unverified@example.com"))
        .await
        .unwrap_err();
    assert_eq!(unverified.label(), "existing_email_not_verified");
    // Native sign-ups never reach Cognito.
    let native = SUITE.fixture("native-sign-up.json");
    assert_eq!(handle(&config, &directory, native.clone()).await.unwrap(), native);
}

#[tokio::test]
async fn moto_does_not_implement_admin_link_provider_for_user() {
    let moto = Moto::start();
    let pool = seeded_pool(&moto).await;
    let directory = CognitoDirectory::new(moto.client());
    let link = Link {
        destination_username: "ada".into(),
        provider_name: "Descope".into(),
        subject: "U2abc".into(),
    };
    // If a moto upgrade implements it, replace the recording endpoint below with moto.
    let error = directory.link(&pool, &link).await.unwrap_err();
    eprintln!("moto answered: {error}");
    assert!(error.0.starts_with("AdminLinkProviderForUser: "), "{error}");
}

// ------------------------------------------------------------- recording Cognito endpoint

type Recorded = Arc<Mutex<Vec<(String, Value)>>>;

/// Ada's sub at the recording endpoint (and in `descope-imported-sign-in.json`).
const ADA_SUB: &str = "0d9e8f7a-1111-2222-3333-444455556666";

/// A stand-in for `https://cognito-idp.<region>.amazonaws.com/` that records every call
/// (`X-Amz-Target` and JSON body) and answers ListUsers with ada when the filter names her email
/// or her sub (otherwise with no user), everything else with `{}`.
async fn recording_endpoint() -> (String, Recorded) {
    let recorded: Recorded = Arc::default();
    async fn call(
        State(recorded): State<Recorded>,
        headers: HeaderMap,
        body: Bytes,
    ) -> ([(&'static str, &'static str); 1], String) {
        let target = headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let filter = body["Filter"].as_str().unwrap_or_default();
        let names_ada = filter == "email = \"ada@example.com\"" || filter == format!("sub = \"{ADA_SUB}\"");
        let answer = if target.ends_with(".ListUsers") && !names_ada {
            json!({"Users": []})
        } else if target.ends_with(".ListUsers") {
            json!({"Users": [{
                "Username": "ada",
                "UserStatus": "CONFIRMED",
                "Enabled": true,
                "Attributes": [
                    {"Name": "email", "Value": "ada@example.com"},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "sub", "Value": ADA_SUB}
                ]
            }]})
        } else {
            json!({})
        };
        recorded.lock().unwrap().push((target, body));
        ([("content-type", "application/x-amz-json-1.1")], answer.to_string())
    }
    let app = Router::new().route("/", post(call)).with_state(recorded.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, recorded)
}

fn expected_calls(pool: &str) -> Vec<(String, Value)> {
    expected_link(pool, "email = \"ada@example.com\"", "U2abcDEF0123456789")
}

fn expected_link(pool: &str, filter: &str, subject: &str) -> Vec<(String, Value)> {
    vec![
        (
            "AWSCognitoIdentityProviderService.ListUsers".to_owned(),
            json!({"UserPoolId": pool, "Filter": filter}),
        ),
        (
            "AWSCognitoIdentityProviderService.AdminLinkProviderForUser".to_owned(),
            json!({
                "UserPoolId": pool,
                "DestinationUser": {"ProviderName": "Cognito", "ProviderAttributeValue": "ada"},
                "SourceUser": {
                    "ProviderName": "Descope",
                    "ProviderAttributeName": "Cognito_Subject",
                    "ProviderAttributeValue": subject
                }
            }),
        ),
    ]
}

#[tokio::test]
async fn the_exact_admin_link_provider_for_user_request() {
    let (url, recorded) = recording_endpoint().await;
    let directory = CognitoDirectory::new(client_for(&url));
    let event = SUITE.fixture("descope-first-sign-in.json");
    let response = handle(&Config::default(), &directory, event.clone()).await.unwrap();
    assert_eq!(response, event);
    assert_eq!(*recorded.lock().unwrap(), expected_calls("us-east-1_HybridPool"));
}

// ------------------------------------------------------------- the binary under a runtime

/// The function's settings: a region and dummy credentials for the SDK, and `env`.
fn settings(env: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut settings = vec![
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "test".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
    ];
    settings.extend(env.iter().map(|(name, value)| (*name, (*value).to_owned())));
    settings
}

/// The binary against the recording endpoint, and the calls it records.
async fn spawn_recorded() -> (RuntimeApi, Child, Recorded) {
    let (url, recorded) = recording_endpoint().await;
    let api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &settings(&[("AWS_ENDPOINT_URL", &url)]));
    (api, child, recorded)
}

/// Invokes the function with `event`, which must come back unchanged (20 s at the most).
async fn assert_passed_back(api: &mut RuntimeApi, event: &Value) {
    match api.invoke(event.clone(), Duration::from_secs(20)).await.unwrap() {
        Reply::Response { body, .. } => assert_eq!(&body, event),
        other => panic!("expected the event back, got {other:?}"),
    }
}

#[tokio::test]
async fn the_binary_links_and_refuses_through_the_runtime_api() {
    let (mut api, child, recorded) = spawn_recorded().await;
    let wait = Duration::from_secs(20);

    let event = SUITE.fixture("descope-first-sign-in.json");
    assert_passed_back(&mut api, &event).await;
    assert_eq!(*recorded.lock().unwrap(), expected_calls("us-east-1_HybridPool"));

    // The stand-in has ada verified; an unverified incoming email is refused with the message
    // Cognito shows after "PreSignUp failed with error".
    match api
        .invoke(SUITE.fixture("descope-unverified-email.json"), wait)
        .await
        .unwrap()
    {
        Reply::Error { body, .. } => assert_eq!(
            body,
            json!({"errorType": "SignUpRefused", "errorMessage": REFUSAL_MESSAGE})
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let native = SUITE.fixture("native-sign-up.json");
    assert_passed_back(&mut api, &native).await;

    let (_, output) = finish(child, Duration::ZERO);
    assert!(
        !output.contains("ada@example.com"),
        "emails are masked in logs:\n{output}"
    );
    assert!(output.contains("a***@example.com"), "{output}");
}

#[tokio::test]
async fn the_binary_links_by_sub_and_refuses_every_kind_alike() {
    let (mut api, child, recorded) = spawn_recorded().await;
    let wait = Duration::from_secs(20);

    // Ada's Descope identity (email bob@..., signed in through a tenant's SSO) carries her sub:
    // linked to ada by sub, the email never looked up.
    let imported = SUITE.fixture("descope-imported-sign-in.json");
    assert_passed_back(&mut api, &imported).await;
    assert_eq!(
        *recorded.lock().unwrap(),
        expected_link(
            "us-east-1_HybridPool",
            &format!("sub = \"{ADA_SUB}\""),
            "U2importedAda0000000"
        )
    );
    recorded.lock().unwrap().clear();

    // Refusals of every kind: the same bytes back.
    let mut unknown_sub = imported.clone();
    unknown_sub["request"]["userAttributes"]["custom:cognitoSub"] = json!("ffffffff-0000-0000-0000-000000000000");
    let mut sso_email = SUITE.fixture("descope-first-sign-in.json");
    sso_email["request"]["userAttributes"]["custom:descopeAmr"] = json!("[\"fed\"]");
    let mut bad = SUITE.fixture("descope-first-sign-in.json");
    bad["userName"] = json!("Descope_");
    let mut bodies = Vec::new();
    for event in [
        unknown_sub,
        SUITE.fixture("descope-unverified-email.json"),
        sso_email,
        bad,
    ] {
        match api.invoke(event, wait).await.unwrap() {
            Reply::Error { body, .. } => bodies.push(serde_json::to_string(&body).unwrap()),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    let expected =
        serde_json::to_string(&json!({"errorType": "SignUpRefused", "errorMessage": REFUSAL_MESSAGE})).unwrap();
    assert!(bodies.iter().all(|b| b == &expected), "{bodies:#?}");
    // Only the unknown sub reached Cognito (one sub lookup); the unverified and SSO identities
    // were refused before any call.
    let calls = recorded.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].1["Filter"], "sub = \"ffffffff-0000-0000-0000-000000000000\"");

    let (_, output) = finish(child, Duration::ZERO);
    // The reason is in the function's log (JSON lines), and which rule linked.
    for needle in [
        "\"rule\":\"sub\"",
        "\"reason\":\"sub_not_found\"",
        "\"reason\":\"incoming_email_not_verified\"",
        "\"reason\":\"untrusted_method\",\"detail\":\"amr=[fed] tenant=-\"",
        "\"reason\":\"no_subject\"",
    ] {
        assert!(output.contains(needle), "log lacks {needle}:\n{output}");
    }
}

#[tokio::test]
async fn a_bad_link_setting_stops_the_cold_start() {
    let failure = InitFailure::of(BINARY, &settings(&[("EMAIL_LINK_TRUSTED_AMR", "Email")])).await;
    assert!(
        failure.message().contains("EMAIL_LINK_TRUSTED_AMR"),
        "{}",
        failure.message()
    );
    failure.assert_stopped();
}

#[tokio::test]
async fn a_bad_provider_name_stops_the_cold_start() {
    let failure = InitFailure::of(BINARY, &settings(&[("DESCOPE_PROVIDER_NAME", "Descope_Prod")])).await;
    assert!(
        failure.message().contains("DESCOPE_PROVIDER_NAME"),
        "{}",
        failure.message()
    );
    failure.assert_stopped();
}
