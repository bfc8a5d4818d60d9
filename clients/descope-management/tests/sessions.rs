//! Passwords and sessions against the Descope emulator (not the scripted server): the password the
//! client sets signs the user in through Descope's end-user password sign-in, and a management
//! sign-in yields tokens that `descope-jwt` verifies against the emulator's JWKS.

use std::num::NonZeroU32;

use descope_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use descope_jwt::{Config, Verifier};
use descope_management::{DescopeClient, DescopeError, RetryPolicy, Secret, USER_NOT_FOUND, wire::MgmtSignInOptions};
use serde_json::{Value, json};

use crate::support::{KEY, PROJECT_ID};

struct Project {
    running: RunningEmulator,
    client: DescopeClient,
    http: reqwest::Client,
}

async fn project() -> Project {
    let emulator = Emulator::new(EmulatorConfig::new(PROJECT_ID, KEY)).unwrap();
    let running = RunningEmulator::start(emulator, "127.0.0.1:0").await.unwrap();
    let client = DescopeClient::new(&running.base_url(), PROJECT_ID, KEY, RetryPolicy::default()).unwrap();
    Project {
        running,
        client,
        http: reqwest::Client::new(),
    }
}

impl Project {
    /// A management call outside the client under test (set-up only).
    async fn admin(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.running.base_url()))
            .bearer_auth(format!("{PROJECT_ID}:{KEY}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.unwrap()
    }

    async fn create_user(&self, login_id: &str) -> String {
        self.admin("/v1/mgmt/user/create", json!({"loginId": login_id})).await["user"]["userId"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Descope's end-user password sign-in, authenticated with the project ID as the client SDKs do.
    async fn password_sign_in(&self, login_id: &str, password: &str) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/v1/auth/password/signin", self.running.base_url()))
            .bearer_auth(PROJECT_ID)
            .json(&json!({"loginId": login_id, "password": password}))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    fn verifier(&self) -> Verifier {
        Verifier::new(Config::new(PROJECT_ID).base_url(self.running.base_url())).unwrap()
    }
}

#[tokio::test]
async fn the_password_set_through_the_client_signs_the_user_in() {
    let p = project().await;
    let user_id = p.create_user("ana@example.com").await;
    let (status, refused) = p.password_sign_in("ana@example.com", "Migrated-Pass-1").await;
    assert_eq!((status, refused["errorCode"].as_str()), (401, Some("E062901")));

    let password = Secret::from("Migrated-Pass-1");
    p.client
        .set_active_password("ana@example.com", &password)
        .await
        .unwrap();

    let (status, body) = p.password_sign_in("ana@example.com", "Migrated-Pass-1").await;
    assert_eq!(status, 200, "{body}");
    let claims = p.verifier().verify(body["sessionJwt"].as_str().unwrap()).await.unwrap();
    assert_eq!(claims.subject, user_id);
    let loaded = p.client.load_user("ana@example.com").await.unwrap().unwrap();
    assert!(loaded.password);
}

#[tokio::test]
async fn a_refused_password_set_never_shows_the_password() {
    let p = project().await;
    let password = Secret::from("Never-Shown-Pass");
    let error = p
        .client
        .set_active_password("nobody@example.com", &password)
        .await
        .unwrap_err();
    match &error {
        DescopeError::Api { status, code, .. } => assert_eq!((*status, code.as_str()), (400, USER_NOT_FOUND)),
        other => panic!("unexpected {other:?}"),
    }
    assert!(!format!("{error} {error:?} {password:?}").contains("Never-Shown-Pass"));
}

#[tokio::test]
async fn a_management_sign_in_yields_tokens_that_verify_with_descope_jwt() {
    let p = project().await;
    let user_id = p.create_user("bea@example.com").await;
    let options = MgmtSignInOptions {
        revoke_other_sessions: true,
        custom_claims: [("migratedFrom".to_owned(), json!("cognito"))].into(),
        refresh_duration_secs: NonZeroU32::new(3600),
    };
    let session = p.client.sign_in("BEA@example.com", &options).await.unwrap();
    assert_eq!(session.user.user_id, user_id);
    assert!(session.first_seen);
    assert!(!format!("{session:?}").contains(session.session_jwt.expose()));

    let verifier = p.verifier();
    let claims = verifier.verify(session.session_jwt.expose()).await.unwrap();
    assert_eq!(claims.subject, user_id);
    assert_eq!(claims.other["migratedFrom"], "cognito");
    // A refresh token is refused where a session token is expected, and verifies where asked for.
    assert!(verifier.verify(session.refresh_jwt.expose()).await.is_err());
    let refresh_verifier = Verifier::new(
        Config::new(PROJECT_ID)
            .base_url(p.running.base_url())
            .accept_refresh_tokens(true),
    )
    .unwrap();
    let refresh = refresh_verifier.verify(session.refresh_jwt.expose()).await.unwrap();
    assert_eq!(refresh.subject, user_id);
    assert_eq!(refresh.expires_at - refresh.issued_at.unwrap(), 3600);
    assert_eq!(session.cookie_expiration, refresh.expires_at);
    assert!(claims.expires_at <= refresh.expires_at);
    assert!(p.running.emulator.sessions_revoked_at(&user_id).is_some());

    let history = p
        .client
        .users_auth_history(std::slice::from_ref(&user_id))
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    let again = p
        .client
        .sign_in("bea@example.com", &MgmtSignInOptions::default())
        .await
        .unwrap();
    assert!(!again.first_seen);
}

#[tokio::test]
async fn a_management_sign_in_sends_what_the_sdks_send() {
    let scripted = crate::support::Scripted::start([crate::support::ok(json!({
        "sessionJwt": "s.e.ss", "refreshJwt": "r.e.f", "user": {"userId": "U2x", "loginIds": ["x@example.com"]}
    }))])
    .await;
    let client = crate::support::client(&scripted, RetryPolicy::default());
    let session = client
        .sign_in(
            "x@example.com",
            &MgmtSignInOptions {
                refresh_duration_secs: NonZeroU32::new(60),
                ..MgmtSignInOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(session.user.user_id, "U2x");
    assert!(!session.first_seen, "go-sdk omits firstSeen when false");
    let seen = scripted.seen();
    assert_eq!(seen[0].path, "/v1/mgmt/auth/signin");
    assert_eq!(
        seen[0].json(),
        json!({"loginId": "x@example.com", "stepup": false, "mfa": false,
               "revokeOtherSessions": false, "refreshDuration": 60})
    );
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {PROJECT_ID}:{KEY}").as_str())
    );

    // An answer without the tokens is not a session.
    let empty = crate::support::Scripted::start([crate::support::ok(json!({"user": {}}))]).await;
    let error = crate::support::client(&empty, RetryPolicy::default())
        .sign_in("x@example.com", &MgmtSignInOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, DescopeError::BadResponse { .. }), "{error:?}");
}

#[tokio::test]
async fn load_user_finds_by_login_id_in_any_case_and_answers_none_for_nobody() {
    let p = project().await;
    let user_id = p.create_user("cal+tag@example.com").await;
    let found = p.client.load_user("CAL+tag@example.com").await.unwrap().unwrap();
    assert_eq!(found.user_id, user_id);
    assert!(!found.password);
    assert_eq!(
        p.client.load_user_by_id(&user_id).await.unwrap().unwrap().user_id,
        user_id
    );
    assert!(p.client.load_user("nobody@example.com").await.unwrap().is_none());
    assert!(p.client.load_user_by_id("U2nobody").await.unwrap().is_none());

    let error = p
        .client
        .sign_in("nobody@example.com", &MgmtSignInOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, DescopeError::Api { code, .. } if code == USER_NOT_FOUND),
        "{error:?}"
    );
}
