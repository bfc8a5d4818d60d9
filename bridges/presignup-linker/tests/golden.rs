//! Golden tests: AWS-shaped pre sign-up events (`tests/fixtures/`) against an in-memory user pool,
//! each compared with the exact expected answer in `tests/golden/`: what the function returns to
//! Cognito (the event, or the error document `{errorType, errorMessage}`) and every directory call
//! it made. `UPDATE_GOLDEN=1 cargo test -p presignup-linker --test integration golden` rewrites the goldens.

use std::sync::Mutex;

use authorizer_common::Env;
use presignup_linker::{
    Config, Directory, DirectoryError, DirectoryUser, Link, Outcome, PreSignUpEvent, REFUSAL_MESSAGE, Rule,
    TrustedMethods, decide, handle, parse_list,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::support::SUITE;

/// Ada's Cognito `sub`, as the importer records it on her Descope user.
const ADA_SUB: &str = "0d9e8f7a-1111-2222-3333-444455556666";
const POOL: &str = "us-east-1_HybridPool";

/// A user pool in memory that records every call.
#[derive(Default)]
struct FakePool {
    /// (email, sub, user)
    users: Vec<(String, String, DirectoryUser)>,
    fail_link: bool,
    fail_list: bool,
    calls: Mutex<Vec<Value>>,
}

impl FakePool {
    fn with(self, username: &str, email: &str, status: &str, email_verified: bool) -> Self {
        let sub = format!("{:0>8}-0000-0000-0000-000000000000", username.len());
        self.with_sub(username, &sub, email, status, email_verified)
    }

    fn with_sub(mut self, username: &str, sub: &str, email: &str, status: &str, email_verified: bool) -> Self {
        let user = DirectoryUser {
            username: username.to_owned(),
            status: status.to_owned(),
            email_verified,
        };
        self.users.push((email.to_owned(), sub.to_owned(), user));
        self
    }

    fn calls(&self) -> Vec<Value> {
        self.calls.lock().unwrap().clone()
    }

    fn list(
        &self,
        user_pool_id: &str,
        filter: String,
        keep: impl Fn(&(String, String, DirectoryUser)) -> bool,
    ) -> Result<Vec<DirectoryUser>, DirectoryError> {
        self.calls
            .lock()
            .unwrap()
            .push(json!({"call": "ListUsers", "userPoolId": user_pool_id, "filter": filter}));
        if self.fail_list {
            return Err(DirectoryError("ListUsers: TooManyRequestsException".into()));
        }
        Ok(self
            .users
            .iter()
            .filter(|u| keep(u))
            .map(|(_, _, u)| u.clone())
            .collect())
    }
}

impl Directory for FakePool {
    async fn find_users_by_sub(&self, user_pool_id: &str, sub: &str) -> Result<Vec<DirectoryUser>, DirectoryError> {
        self.list(user_pool_id, format!("sub = \"{sub}\""), |(_, s, _)| s == sub)
    }

    async fn find_users_by_email(&self, user_pool_id: &str, email: &str) -> Result<Vec<DirectoryUser>, DirectoryError> {
        self.list(user_pool_id, format!("email = \"{email}\""), |(e, _, _)| e == email)
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

/// What Lambda sends back to Cognito: the event, or the error document.
async fn answer(config: &Config, pool: &FakePool, event: Value) -> Value {
    match handle(config, pool, event).await {
        Ok(response) => json!({"response": response}),
        Err(refusal) => {
            let diagnostic = lambda_runtime::Diagnostic::from(refusal);
            json!({"error": {"errorType": diagnostic.error_type, "errorMessage": diagnostic.error_message}})
        }
    }
}

/// The pool of the examples: ada (verified, confirmed, with her real sub), her earlier federated
/// Google identity, bob, twins sharing an address, and a user who never verified hers.
fn pool() -> FakePool {
    FakePool::default()
        .with_sub("ada", ADA_SUB, "ada@example.com", "CONFIRMED", true)
        .with("Google_1111", "ada@example.com", "EXTERNAL_PROVIDER", true)
        .with("bob", "bob@example.com", "CONFIRMED", true)
        .with("twin-1", "twins@example.com", "CONFIRMED", true)
        .with("twin-2", "twins@example.com", "FORCE_CHANGE_PASSWORD", true)
        .with("unverified", "unverified@example.com", "CONFIRMED", false)
}

fn with_attribute(mut event: Value, name: &str, value: &str) -> Value {
    event["request"]["userAttributes"][name] = json!(value);
    event
}

fn without_attribute(mut event: Value, name: &str) -> Value {
    event["request"]["userAttributes"].as_object_mut().unwrap().remove(name);
    event
}

fn with_email(event: Value, email: &str) -> Value {
    with_attribute(event, "email", email)
}

async fn golden_event(name: &str, pool: FakePool, event: Value) -> Value {
    let answer = answer(&Config::default(), &pool, event.clone()).await;
    let actual = json!({"answer": answer, "directoryCalls": pool.calls()});
    SUITE.assert_golden(name, &actual);
    if let Some(response) = actual["answer"].get("response") {
        assert_eq!(
            response, &event,
            "{name}: a sign-up that proceeds gets its event back unchanged"
        );
    }
    actual
}

async fn golden_case(name: &str, pool: FakePool, fixture_name: &str, email: Option<&str>) -> Value {
    let mut event = SUITE.fixture(fixture_name);
    if let Some(email) = email {
        event = with_email(event, email);
    }
    golden_event(name, pool, event).await
}

async fn decided(config: &Config, pool: &FakePool, event: Value) -> Result<Outcome, presignup_linker::Refusal> {
    decide(config, pool, &PreSignUpEvent::deserialize(&event).unwrap()).await
}

// ------------------------------------------------------------------------------ the sub rule

#[tokio::test]
async fn the_importers_sub_links_exactly_that_user_and_never_reads_the_email() {
    // The identity's email is bob's, its sub is ada's: the sub decides, and no email lookup
    // happens (the email rule would have linked bob).
    let actual = golden_case("link-by-sub", pool(), "descope-imported-sign-in.json", None).await;
    let calls = actual["directoryCalls"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0]["filter"], format!("sub = \"{ADA_SUB}\""));
    assert_eq!(calls[1]["destinationUser"], "ada");
    assert_eq!(calls[1]["sourceSubject"], "U2importedAda0000000");

    let outcome = decided(
        &Config::default(),
        &pool(),
        SUITE.fixture("descope-imported-sign-in.json"),
    )
    .await;
    assert!(matches!(outcome, Ok(Outcome::Linked(_, Rule::Sub))), "{outcome:?}");
}

#[tokio::test]
async fn a_sub_without_a_pool_id_is_used() {
    let event = without_attribute(SUITE.fixture("descope-imported-sign-in.json"), "custom:cognitoPoolId");
    let outcome = decided(&Config::default(), &pool(), event).await.unwrap();
    assert!(
        matches!(&outcome, Outcome::Linked(link, Rule::Sub) if link.destination_username == "ada"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_sub_recorded_for_another_pool_is_ignored_and_the_email_rule_applies() {
    // Same sub value, other pool: it says nothing about this pool. The email rule then needs a
    // trusted method, so the identity signs in with an email OTP here.
    let event = with_attribute(
        with_attribute(
            SUITE.fixture("descope-imported-sign-in.json"),
            "custom:cognitoPoolId",
            "eu-west-1_OtherPool",
        ),
        "custom:descopeAmr",
        "[\"email\"]",
    );
    let actual = golden_event("sub-other-pool", pool(), event.clone()).await;
    let calls = actual["directoryCalls"].as_array().unwrap();
    assert_eq!(calls[0]["filter"], "email = \"bob@example.com\"");
    assert_eq!(calls[1]["destinationUser"], "bob");
    let outcome = decided(&Config::default(), &pool(), event).await;
    assert!(matches!(outcome, Ok(Outcome::Linked(_, Rule::Email))), "{outcome:?}");
}

#[tokio::test]
async fn a_sub_that_matches_nobody_is_refused_without_trying_the_email() {
    let event = with_attribute(
        with_attribute(
            SUITE.fixture("descope-imported-sign-in.json"),
            "custom:cognitoSub",
            "ffffffff-0000-0000-0000-000000000000",
        ),
        "custom:descopeAmr",
        "[\"email\"]",
    );
    let actual = golden_event("sub-not-found", pool(), event.clone()).await;
    assert_eq!(
        actual["directoryCalls"].as_array().unwrap().len(),
        1,
        "one sub lookup, no email lookup"
    );
    let refusal = handle(&Config::default(), &pool(), event).await.unwrap_err();
    assert_eq!(refusal.label(), "sub_not_found");
}

#[tokio::test]
async fn a_sub_of_a_federated_user_is_refused() {
    let pool = FakePool::default().with_sub("Google_1111", ADA_SUB, "ada@example.com", "EXTERNAL_PROVIDER", true);
    let refusal = handle(
        &Config::default(),
        &pool,
        SUITE.fixture("descope-imported-sign-in.json"),
    )
    .await
    .unwrap_err();
    assert_eq!(refusal.label(), "sub_not_found");
    assert_eq!(refusal.detail(), "no native user; 1 federated");
    assert!(pool.calls().iter().all(|c| c["call"] == "ListUsers"), "no link call");
}

#[tokio::test]
async fn a_malformed_sub_is_refused_without_calls() {
    for bad in ["x\" or email ^= \"", "a b", &"a".repeat(129)] {
        let pool = pool();
        let event = with_attribute(SUITE.fixture("descope-imported-sign-in.json"), "custom:cognitoSub", bad);
        let refusal = handle(&Config::default(), &pool, event).await.unwrap_err();
        assert_eq!(refusal.label(), "malformed_sub", "{bad}");
        assert!(pool.calls().is_empty(), "{bad}");
    }
}

#[tokio::test]
async fn the_attribute_names_are_configurable() {
    let env = Env::new(|name: &str| match name {
        "LINK_SUB_ATTRIBUTE" => Some("custom:sub".to_owned()),
        "LINK_POOL_ATTRIBUTE" => Some("custom:pool".to_owned()),
        _ => None,
    });
    let config = Config::from_env(&env).unwrap();
    let event = SUITE.fixture("descope-imported-sign-in.json");
    let moved = with_attribute(
        with_attribute(
            without_attribute(
                without_attribute(event.clone(), "custom:cognitoSub"),
                "custom:cognitoPoolId",
            ),
            "custom:sub",
            ADA_SUB,
        ),
        "custom:pool",
        POOL,
    );
    let outcome = decided(&config, &pool(), moved).await;
    assert!(matches!(outcome, Ok(Outcome::Linked(_, Rule::Sub))), "{outcome:?}");
    // Under the configured names, the default attribute is not read: no sub, and the email rule
    // refuses the untrusted SSO sign-in.
    let refusal = decided(&config, &pool(), event).await.unwrap_err();
    assert_eq!(refusal.label(), "untrusted_method");
}

// ---------------------------------------------------------------------------- the email rule

#[tokio::test]
async fn one_verified_native_match_is_linked() {
    let actual = golden_case("link", pool(), "descope-first-sign-in.json", None).await;
    let calls = actual["directoryCalls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1]["destinationUser"], "ada");
    assert_eq!(calls[1]["sourceProvider"], "Descope");
    assert_eq!(calls[1]["sourceSubject"], "U2abcDEF0123456789");
    let outcome = decided(&Config::default(), &pool(), SUITE.fixture("descope-first-sign-in.json")).await;
    assert!(matches!(outcome, Ok(Outcome::Linked(_, Rule::Email))), "{outcome:?}");
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
    let event = SUITE.fixture("descope-first-sign-in.json");
    assert_eq!(
        answer(&Config::default(), &pool, event.clone()).await["response"],
        event
    );
    assert_eq!(pool.calls().len(), 1, "no link call");
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
async fn an_unverified_incoming_email_is_refused_before_any_lookup() {
    golden_case("incoming-unverified", pool(), "descope-unverified-email.json", None).await;
}

#[tokio::test]
async fn an_unverified_identity_gets_one_answer_whatever_the_pool_holds_and_costs_no_call() {
    // Today's oracle: an unverified identity was refused when the pool held the email and let
    // through when it did not. Now neither the answer nor the calls depend on the pool.
    let mut answers = Vec::new();
    for email in [
        "ada@example.com",
        "new@example.com",
        "twins@example.com",
        "unverified@example.com",
    ] {
        for unverified in [
            with_email(SUITE.fixture("descope-unverified-email.json"), email),
            without_attribute(
                with_email(SUITE.fixture("descope-first-sign-in.json"), email),
                "email_verified",
            ),
        ] {
            let pool = pool();
            answers.push(answer(&Config::default(), &pool, unverified).await);
            assert_eq!(pool.calls(), Vec::<Value>::new(), "{email}: no Cognito call");
        }
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:#?}");
    assert_eq!(answers[0]["error"]["errorMessage"], REFUSAL_MESSAGE);
}

#[tokio::test]
async fn an_sso_sign_in_is_not_trusted_for_the_email_rule_by_default() {
    // A tenant's IdP can assert any address as verified; by default that never links.
    for amr in [
        "[\"fed\"]",
        "[\"oauth\"]",
        "[\"pwd\"]",
        "[\"webauthn\"]",
        "[\"sms\"]",
        "[]",
        "fed mfa",
    ] {
        let pool = pool();
        let event = with_attribute(SUITE.fixture("descope-first-sign-in.json"), "custom:descopeAmr", amr);
        let refusal = handle(&Config::default(), &pool, event).await.unwrap_err();
        assert_eq!(refusal.label(), "untrusted_method", "{amr}");
        assert!(pool.calls().is_empty(), "{amr}: no Cognito call");
    }
    // Not mapped at all: untrusted too.
    let pool = pool();
    let event = without_attribute(SUITE.fixture("descope-first-sign-in.json"), "custom:descopeAmr");
    let actual = golden_event("untrusted-method", pool, event).await;
    assert_eq!(actual["directoryCalls"], json!([]));
}

#[tokio::test]
async fn a_mailbox_proving_factor_among_others_is_trusted() {
    for amr in ["[\"fed\",\"email\"]", "[email, mfa]", "email totp", "email"] {
        let event = with_attribute(SUITE.fixture("descope-first-sign-in.json"), "custom:descopeAmr", amr);
        let outcome = decided(&Config::default(), &pool(), event).await;
        assert!(
            matches!(outcome, Ok(Outcome::Linked(_, Rule::Email))),
            "{amr}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn the_allow_list_of_methods_and_tenants_is_configurable() {
    let sso = with_attribute(
        with_attribute(
            SUITE.fixture("descope-first-sign-in.json"),
            "custom:descopeAmr",
            "[\"fed\"]",
        ),
        "custom:descopeTenant",
        "T2acmeCorp",
    );
    let config = |pairs: &'static [(&'static str, &'static str)]| {
        Config::from_env(&Env::new(move |name: &str| {
            pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
        }))
        .unwrap()
    };
    let linked =
        |outcome: &Result<Outcome, presignup_linker::Refusal>| matches!(outcome, Ok(Outcome::Linked(_, Rule::Email)));

    let trusted_tenant = config(&[("EMAIL_LINK_TRUSTED_TENANTS", "T2other, T2acmeCorp")]);
    assert!(linked(&decided(&trusted_tenant, &pool(), sso.clone()).await));
    let other_tenant = config(&[("EMAIL_LINK_TRUSTED_TENANTS", "T2other")]);
    assert!(!linked(&decided(&other_tenant, &pool(), sso.clone()).await));
    let fed = config(&[("EMAIL_LINK_TRUSTED_AMR", "email,fed")]);
    assert!(linked(&decided(&fed, &pool(), sso.clone()).await));
    let any = config(&[("EMAIL_LINK_TRUSTED_AMR", "*")]);
    assert_eq!(any.trusted_methods, TrustedMethods::Any);
    assert!(linked(
        &decided(&any, &pool(), without_attribute(sso.clone(), "custom:descopeAmr")).await
    ));
    let none = config(&[("EMAIL_LINK_TRUSTED_AMR", "none")]);
    let refusal = decided(&none, &pool(), SUITE.fixture("descope-first-sign-in.json"))
        .await
        .unwrap_err();
    assert_eq!(refusal.label(), "untrusted_method");
    assert_eq!(refusal.detail(), "amr=[email] tenant=-");
}

#[test]
fn multi_valued_claims_are_read_in_every_shape_cognito_may_write() {
    let expected = vec!["email".to_owned(), "mfa".to_owned()];
    for value in [
        "[\"email\",\"mfa\"]",
        "[email, mfa]",
        "email,mfa",
        "email mfa",
        " [ \"email\" , mfa ] ",
    ] {
        assert_eq!(parse_list(value), expected, "{value}");
    }
    assert_eq!(parse_list("email"), vec!["email".to_owned()]);
    assert!(parse_list("").is_empty() && parse_list("[]").is_empty());
}

// ------------------------------------------------------------------------ one answer for all

#[tokio::test]
async fn every_refusal_gives_the_caller_the_same_bytes() {
    let imported = SUITE.fixture("descope-imported-sign-in.json");
    let first = SUITE.fixture("descope-first-sign-in.json");
    let failing_link = FakePool {
        fail_link: true,
        ..pool()
    };
    let failing_list = FakePool {
        fail_list: true,
        ..pool()
    };
    let cases: Vec<(&str, FakePool, Value)> = vec![
        ("bad_event", pool(), json!({"hello": "world"})),
        ("no_subject", pool(), {
            let mut e = first.clone();
            e["userName"] = json!("Descope_");
            e
        }),
        (
            "malformed_sub",
            pool(),
            with_attribute(imported.clone(), "custom:cognitoSub", "a\"b"),
        ),
        (
            "sub_not_found",
            pool(),
            with_attribute(imported.clone(), "custom:cognitoSub", "ffff-0000"),
        ),
        (
            "sub_not_found",
            FakePool::default().with_sub("Google_1", ADA_SUB, "ada@example.com", "EXTERNAL_PROVIDER", true),
            imported.clone(),
        ),
        (
            "sub_ambiguous",
            pool().with_sub("ada-twin", ADA_SUB, "x@example.com", "CONFIRMED", true),
            imported.clone(),
        ),
        (
            "incoming_email_not_verified",
            pool(),
            SUITE.fixture("descope-unverified-email.json"),
        ),
        (
            "untrusted_method",
            pool(),
            with_attribute(first.clone(), "custom:descopeAmr", "[\"fed\"]"),
        ),
        (
            "unsearchable_email",
            pool(),
            with_email(first.clone(), "a\"b@example.com"),
        ),
        ("ambiguous", pool(), with_email(first.clone(), "twins@example.com")),
        (
            "existing_email_not_verified",
            pool(),
            with_email(first.clone(), "unverified@example.com"),
        ),
        ("directory_error", failing_link, first.clone()),
        ("directory_error", failing_list, first.clone()),
    ];
    let mut seen = Vec::new();
    for (label, pool, event) in cases {
        let refusal = handle(&Config::default(), &pool, event).await.unwrap_err();
        assert_eq!(refusal.label(), label);
        let diagnostic = lambda_runtime::Diagnostic::from(refusal);
        let bytes =
            serde_json::to_vec(&json!({"errorType": diagnostic.error_type, "errorMessage": diagnostic.error_message}))
                .unwrap();
        seen.push((label, String::from_utf8(bytes).unwrap()));
    }
    let expected = format!("{{\"errorMessage\":\"{REFUSAL_MESSAGE}\",\"errorType\":\"SignUpRefused\"}}");
    for (label, body) in &seen {
        assert_eq!(body, &expected, "{label}");
    }
}

// ----------------------------------------------------------------- pass-through and plumbing

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
    let pool = FakePool {
        fail_link: true,
        ..pool()
    };
    golden_case("link-failed", pool, "descope-first-sign-in.json", None).await;
}

#[tokio::test]
async fn a_sign_up_without_sub_or_email_proceeds_without_calls() {
    let pool = pool();
    let mut event = SUITE.fixture("descope-first-sign-in.json");
    event["request"]["userAttributes"] = json!({"phone_number": "+15555550100"});
    let response = handle(&Config::default(), &pool, event.clone()).await.unwrap();
    assert_eq!(response, event);
    assert!(pool.calls().is_empty());
}

#[tokio::test]
async fn emails_a_filter_cannot_carry_are_refused_without_calls() {
    let pool = pool();
    let event = with_email(SUITE.fixture("descope-first-sign-in.json"), "a\"b@example.com");
    let refusal = handle(&Config::default(), &pool, event).await.unwrap_err();
    assert_eq!(refusal.label(), "unsearchable_email");
    assert!(pool.calls().is_empty());
}

#[tokio::test]
async fn the_provider_name_is_configurable_and_matched_without_case() {
    let env = Env::new(|name: &str| (name == "DESCOPE_PROVIDER_NAME").then(|| "DescopeProd".to_owned()));
    let config = Config::from_env(&env).unwrap();
    let pool = pool();
    let mut event = SUITE.fixture("descope-first-sign-in.json");
    event["userName"] = json!("descopeprod_U2xyz");
    handle(&config, &pool, event).await.unwrap();
    let calls = pool.calls();
    assert_eq!(
        calls[1]["sourceProvider"], "DescopeProd",
        "the configured spelling is sent"
    );
    assert_eq!(calls[1]["sourceSubject"], "U2xyz");

    // With the default name, a DescopeProd sign-in is another provider.
    let pool = self::pool();
    let mut event = SUITE.fixture("descope-first-sign-in.json");
    event["userName"] = json!("DescopeProd_U2xyz");
    handle(&Config::default(), &pool, event).await.unwrap();
    assert!(pool.calls().is_empty());
}

fn env_error(pairs: Vec<(&'static str, String)>) -> String {
    let env = Env::new(move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()));
    Config::from_env(&env).unwrap_err().to_string()
}

#[test]
fn bad_settings_are_refused_at_cold_start_naming_the_variable() {
    for bad in ["Descope_Prod", "Cognito", "has space", "x".repeat(33).as_str()] {
        let error = env_error(vec![("DESCOPE_PROVIDER_NAME", bad.to_owned())]);
        assert!(error.starts_with("DESCOPE_PROVIDER_NAME="), "{bad}: {error}");
    }
    for var in [
        "LINK_SUB_ATTRIBUTE",
        "LINK_POOL_ATTRIBUTE",
        "LINK_AMR_ATTRIBUTE",
        "LINK_TENANT_ATTRIBUTE",
    ] {
        for bad in [
            "cognitoSub",
            "email",
            "custom:",
            "custom:a b",
            "custom:abcdefghijklmnopqrstu",
        ] {
            let error = env_error(vec![(var, bad.to_owned())]);
            assert!(
                error.starts_with(&format!("{var}=")) && error.contains("custom:<name>"),
                "{var}={bad}: {error}"
            );
        }
    }
    let error = env_error(vec![("LINK_AMR_ATTRIBUTE", "custom:cognitoSub".to_owned())]);
    assert!(
        error.starts_with("LINK_AMR_ATTRIBUTE=") && error.contains("LINK_SUB_ATTRIBUTE"),
        "{error}"
    );
    for bad in ["Email", "email,*", "none,email", "mfa", "email;pwd", ","] {
        let error = env_error(vec![("EMAIL_LINK_TRUSTED_AMR", bad.to_owned())]);
        assert!(error.starts_with("EMAIL_LINK_TRUSTED_AMR="), "{bad}: {error}");
    }
    for bad in ["T2 acme", ",", "T2\"x"] {
        let error = env_error(vec![("EMAIL_LINK_TRUSTED_TENANTS", bad.to_owned())]);
        assert!(error.starts_with("EMAIL_LINK_TRUSTED_TENANTS="), "{bad}: {error}");
    }
}

#[test]
fn the_defaults_are_the_safe_ones() {
    let config = Config::from_env(&Env::new(|_: &str| None)).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.provider_name, "Descope");
    assert_eq!(config.sub_attribute, "custom:cognitoSub");
    assert_eq!(config.pool_attribute, "custom:cognitoPoolId");
    assert_eq!(config.amr_attribute, "custom:descopeAmr");
    assert_eq!(config.tenant_attribute, "custom:descopeTenant");
    assert_eq!(config.trusted_methods, TrustedMethods::List(vec!["email".to_owned()]));
    assert!(config.trusted_tenants.is_empty());
}

#[test]
fn emails_are_masked_for_logs() {
    assert_eq!(presignup_linker::mask_email("ada@example.com"), "a***@example.com");
    assert_eq!(presignup_linker::mask_email("not-an-email"), "***");
}

#[test]
fn the_hybrid_template_maps_the_claims_onto_the_default_attributes() {
    // infra/hybrid/template.yaml cannot take attribute names as parameters (mapping keys are
    // literal), so it must name the trigger's defaults, and pass the allow-list settings.
    let template = std::fs::read_to_string(SUITE.dir().join("../../../infra/hybrid/template.yaml")).unwrap();
    let config = Config::default();
    for (attribute, claim) in [
        (&config.sub_attribute, "cognitoSub"),
        (&config.pool_attribute, "cognitoPoolId"),
        (&config.amr_attribute, "amr"),
        (&config.tenant_attribute, "dct"),
    ] {
        let mapping = format!("\"{attribute}\": {claim}\n");
        assert!(template.contains(&mapping), "the template lacks the mapping {mapping}");
        assert!(
            template.contains(&format!("\"{attribute}\"]")) || template.contains(&format!("\"{attribute}\",")),
            "the app client may not write {attribute}"
        );
    }
    for variable in [
        "DESCOPE_PROVIDER_NAME:",
        "EMAIL_LINK_TRUSTED_AMR:",
        "EMAIL_LINK_TRUSTED_TENANTS:",
    ] {
        assert!(template.contains(variable), "the function lacks {variable}");
    }
    assert!(
        template.contains("Default: email\n"),
        "EmailLinkTrustedAmr defaults to the trigger's default"
    );
}
