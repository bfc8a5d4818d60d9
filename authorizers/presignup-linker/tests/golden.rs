//! Golden tests: AWS-shaped pre sign-up events (`tests/fixtures/`) against an in-memory user pool,
//! each compared with the exact expected answer in `tests/golden/`: what the function returns to
//! Cognito (the event, or the error document `{errorType, errorMessage}`) and every directory call
//! it made. `UPDATE_GOLDEN=1 cargo test -p presignup-linker --test golden` rewrites the goldens.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{path::PathBuf, sync::Mutex};

use authorizer_common::Env;
use presignup_linker::{Config, Directory, DirectoryError, DirectoryUser, Link, handle};
use serde_json::{Value, json};

/// A user pool in memory that records every call.
#[derive(Default)]
struct FakePool {
    users: Vec<(String, DirectoryUser)>,
    fail_link: bool,
    calls: Mutex<Vec<Value>>,
}

impl FakePool {
    fn with(mut self, username: &str, email: &str, status: &str, email_verified: bool) -> Self {
        let user = DirectoryUser {
            username: username.to_owned(),
            status: status.to_owned(),
            email_verified,
        };
        self.users.push((email.to_owned(), user));
        self
    }
}

impl Directory for FakePool {
    async fn find_users_by_email(&self, user_pool_id: &str, email: &str) -> Result<Vec<DirectoryUser>, DirectoryError> {
        self.calls
            .lock()
            .unwrap()
            .push(json!({"call": "ListUsers", "userPoolId": user_pool_id, "filter": format!("email = \"{email}\"")}));
        Ok(self
            .users
            .iter()
            .filter(|(e, _)| e == email)
            .map(|(_, u)| u.clone())
            .collect())
    }

    async fn link(&self, user_pool_id: &str, link: &Link) -> Result<(), DirectoryError> {
        self.calls.lock().unwrap().push(json!({
            "call": "AdminLinkProviderForUser",
            "userPoolId": user_pool_id,
            "destinationUser": link.destination_username,
            "sourceProvider": link.provider_name,
            "sourceSubject": link.subject,
        }));
        if self.fail_link {
            return Err(DirectoryError("AdminLinkProviderForUser: service error".into()));
        }
        Ok(())
    }
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("fixtures").join(name)).unwrap()).unwrap()
}

#[track_caller]
fn assert_golden(name: &str, actual: &Value) {
    authorizer_common::testing::assert_golden(&dir(), name, actual);
}

/// What Lambda sends back to Cognito, and the directory calls made on the way.
async fn run(config: &Config, pool: &FakePool, fixture_name: &str) -> (Value, Value) {
    let event = fixture(fixture_name);
    let answer = match handle(config, pool, event).await {
        Ok(response) => json!({"response": response}),
        Err(refusal) => {
            let diagnostic = lambda_runtime::Diagnostic::from(refusal);
            json!({"error": {"errorType": diagnostic.error_type, "errorMessage": diagnostic.error_message}})
        }
    };
    let calls = Value::Array(pool.calls.lock().unwrap().clone());
    (answer, calls)
}

/// The pool of the examples: ada (verified, confirmed), her earlier federated Google identity,
/// twins sharing an address, and a user who never verified hers.
fn pool() -> FakePool {
    FakePool::default()
        .with("ada", "ada@example.com", "CONFIRMED", true)
        .with("Google_1111", "ada@example.com", "EXTERNAL_PROVIDER", true)
        .with("twin-1", "twins@example.com", "CONFIRMED", true)
        .with("twin-2", "twins@example.com", "FORCE_CHANGE_PASSWORD", true)
        .with("unverified", "unverified@example.com", "CONFIRMED", false)
}

fn with_email(mut event: Value, email: &str) -> Value {
    event["request"]["userAttributes"]["email"] = json!(email);
    event
}

async fn golden_case(name: &str, pool: FakePool, fixture_name: &str, email: Option<&str>) -> Value {
    let config = Config::default();
    let mut event = fixture(fixture_name);
    if let Some(email) = email {
        event = with_email(event, email);
    }
    let answer = match handle(&config, &pool, event.clone()).await {
        Ok(response) => json!({"response": response}),
        Err(refusal) => {
            let diagnostic = lambda_runtime::Diagnostic::from(refusal);
            json!({"error": {"errorType": diagnostic.error_type, "errorMessage": diagnostic.error_message}})
        }
    };
    let calls = Value::Array(pool.calls.lock().unwrap().clone());
    let actual = json!({"answer": answer, "directoryCalls": calls});
    assert_golden(name, &actual);
    if let Some(response) = actual["answer"].get("response") {
        assert_eq!(
            response, &event,
            "{name}: a sign-up that proceeds gets its event back unchanged"
        );
    }
    actual
}

#[tokio::test]
async fn one_verified_native_match_is_linked() {
    let actual = golden_case("link", pool(), "descope-first-sign-in.json", None).await;
    let calls = actual["directoryCalls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1]["destinationUser"], "ada");
    assert_eq!(calls[1]["sourceProvider"], "Descope");
    assert_eq!(calls[1]["sourceSubject"], "U2abcDEF0123456789");
}

#[tokio::test]
async fn no_native_match_proceeds_unchanged() {
    golden_case(
        "no-match",
        pool(),
        "descope-first-sign-in.json",
        Some("new@example.com"),
    )
    .await;
}

#[tokio::test]
async fn only_federated_users_with_the_email_is_no_match() {
    let pool = FakePool::default().with("Google_1111", "ada@example.com", "EXTERNAL_PROVIDER", true);
    let (answer, calls) = run(&Config::default(), &pool, "descope-first-sign-in.json").await;
    assert_eq!(answer["response"], fixture("descope-first-sign-in.json"));
    assert_eq!(calls.as_array().unwrap().len(), 1, "no link call");
}

#[tokio::test]
async fn two_native_matches_are_refused() {
    golden_case(
        "ambiguous",
        pool(),
        "descope-first-sign-in.json",
        Some("twins@example.com"),
    )
    .await;
}

#[tokio::test]
async fn an_unverified_existing_email_is_refused() {
    golden_case(
        "existing-unverified",
        pool(),
        "descope-first-sign-in.json",
        Some("unverified@example.com"),
    )
    .await;
}

#[tokio::test]
async fn an_unverified_incoming_email_is_refused() {
    golden_case("incoming-unverified", pool(), "descope-unverified-email.json", None).await;
}

#[tokio::test]
async fn an_incoming_email_of_unknown_verification_is_refused() {
    // The provider's attribute mapping lacks email_verified: linking would trust an unproven email.
    let mut event = with_email(fixture("descope-first-sign-in.json"), "ada@example.com");
    event["request"]["userAttributes"]
        .as_object_mut()
        .unwrap()
        .remove("email_verified");
    let pool = pool();
    let refusal = handle(&Config::default(), &pool, event).await.unwrap_err();
    assert_eq!(refusal.label(), "incoming_email_not_verified");
    let calls = pool.calls.lock().unwrap().clone();
    assert!(
        calls.iter().all(|c| c.get("destinationUser").is_none()),
        "no link call: {calls:?}"
    );
}

#[tokio::test]
async fn an_unverified_incoming_email_without_a_match_proceeds() {
    let actual = golden_case(
        "incoming-unverified-no-match",
        pool(),
        "descope-unverified-email.json",
        Some("new@example.com"),
    )
    .await;
    assert!(actual["answer"].get("response").is_some());
}

#[tokio::test]
async fn a_native_sign_up_passes_through() {
    golden_case("native-sign-up", pool(), "native-sign-up.json", None).await;
}

#[tokio::test]
async fn an_admin_created_user_passes_through() {
    golden_case("admin-create-user", pool(), "admin-create-user.json", None).await;
}

#[tokio::test]
async fn another_provider_passes_through() {
    golden_case("other-provider", pool(), "google-first-sign-in.json", None).await;
}

#[tokio::test]
async fn a_failed_link_is_refused_without_detail() {
    let mut pool = pool();
    pool.fail_link = true;
    golden_case("link-failed", pool, "descope-first-sign-in.json", None).await;
}

#[tokio::test]
async fn a_sign_up_without_email_proceeds_without_calls() {
    let pool = pool();
    let mut event = fixture("descope-first-sign-in.json");
    event["request"]["userAttributes"] = json!({"phone_number": "+15555550100"});
    let response = handle(&Config::default(), &pool, event.clone()).await.unwrap();
    assert_eq!(response, event);
    assert!(pool.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn emails_a_filter_cannot_carry_are_refused_without_calls() {
    let pool = pool();
    let event = with_email(fixture("descope-first-sign-in.json"), "a\"b@example.com");
    let refusal = handle(&Config::default(), &pool, event).await.unwrap_err();
    assert_eq!(refusal.label(), "unsearchable_email");
    assert!(pool.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_subjectless_user_name_and_a_non_event_are_refused() {
    let pool = pool();
    let mut event = fixture("descope-first-sign-in.json");
    event["userName"] = json!("Descope_");
    assert_eq!(
        handle(&Config::default(), &pool, event).await.unwrap_err().label(),
        "no_subject"
    );
    let refusal = handle(&Config::default(), &pool, json!({"hello": "world"}))
        .await
        .unwrap_err();
    assert_eq!(refusal.label(), "bad_event");
    assert_eq!(
        lambda_runtime::Diagnostic::from(refusal).error_message,
        "sign-up refused: the pre sign-up event could not be read"
    );
}

#[tokio::test]
async fn the_provider_name_is_configurable_and_matched_without_case() {
    let env = Env::new(|name: &str| (name == "DESCOPE_PROVIDER_NAME").then(|| "DescopeProd".to_owned()));
    let config = Config::from_env(&env).unwrap();
    let pool = pool();
    let mut event = fixture("descope-first-sign-in.json");
    event["userName"] = json!("descopeprod_U2xyz");
    handle(&config, &pool, event).await.unwrap();
    let calls = pool.calls.lock().unwrap().clone();
    assert_eq!(
        calls[1]["sourceProvider"], "DescopeProd",
        "the configured spelling is sent"
    );
    assert_eq!(calls[1]["sourceSubject"], "U2xyz");

    // With the default name, a DescopeProd sign-in is another provider.
    let other = pool_calls_after(&Config::default(), "DescopeProd_U2xyz").await;
    assert!(other.is_empty());
}

async fn pool_calls_after(config: &Config, user_name: &str) -> Vec<Value> {
    let pool = pool();
    let mut event = fixture("descope-first-sign-in.json");
    event["userName"] = json!(user_name);
    handle(config, &pool, event).await.unwrap();
    pool.calls.lock().unwrap().clone()
}

#[test]
fn bad_provider_names_are_refused_at_cold_start() {
    for bad in ["Descope_Prod", "Cognito", "has space", "x".repeat(33).as_str()] {
        let value = bad.to_owned();
        let env = Env::new(move |name: &str| (name == "DESCOPE_PROVIDER_NAME").then(|| value.clone()));
        let error = Config::from_env(&env).unwrap_err().to_string();
        assert!(error.starts_with("DESCOPE_PROVIDER_NAME="), "{bad}: {error}");
    }
    let unset = Env::new(|_: &str| None);
    assert_eq!(Config::from_env(&unset).unwrap().provider_name, "Descope");
}

#[test]
fn emails_are_masked_for_logs() {
    assert_eq!(presignup_linker::mask_email("ada@example.com"), "a***@example.com");
    assert_eq!(presignup_linker::mask_email("not-an-email"), "***");
}
