//! Test helpers: a JWKS served on 127.0.0.1, tokens minted at a fixed clock, fixtures and goldens.
// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

pub mod runtime_api;

use authorizer_common::Authorizer as _;
use std::{collections::HashMap, path::PathBuf};

use apigateway_authorizer::{Settings, State};
pub use authorizer_common::testing::{CUTOVER, Keys, cognito_claims, has_no_nulls, serve_jwks};
use descope_jwt::testing::jwks;
use serde_json::{Value, json};

pub const PID: &str = "P2goldenproject000000000001";
/// The fixed clock of the golden tests (2026-01-01T00:00:00Z): goldens never depend on time.
pub const NOW: i64 = 1_767_225_600;

/// A state verifying against `keys.signing` served on loopback, at the fixed clock, keys prefetched.
pub async fn state(keys: &Keys, extra: &[(&str, &str)]) -> State {
    let state = cold_state(keys, extra).await;
    state.prefetch().await.unwrap();
    state
}

/// [`state`] without the prefetch: the first token fetches the keys.
pub async fn cold_state(keys: &Keys, extra: &[(&str, &str)]) -> State {
    let base = serve_jwks(jwks(&[&keys.signing])).await;
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DESCOPE_PROJECT_ID".into(), PID.into()),
        ("DESCOPE_JWKS_URL".into(), format!("{base}/v2/keys/{PID}")),
        ("AUTHZ_POLICY".into(), fixture_text("policy.json")),
        ("AUTHZ_CONTEXT_CLAIMS".into(), "email".into()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    if vars.contains_key("COGNITO_USER_POOL_ID") {
        // The pool's keys are served beside Descope's: the same server answers every path.
        vars.entry("COGNITO_ENDPOINT_URL".into()).or_insert(base.clone());
    }
    let settings = Settings::from_lookup(|name| vars.get(name).cloned()).unwrap();
    State::new(settings).unwrap().with_fixed_clock(NOW)
}

/// Session claims of user `U2golden` at the fixed clock; tests add roles and tenants.
pub fn claims() -> Value {
    json!({
        "sub": "U2golden00000000000000000001",
        "iss": format!("https://api.descope.com/{PID}"),
        "drn": "DS",
        "iat": NOW - 60,
        "exp": NOW + 540,
        "amr": ["pwd"],
        "roles": [],
        "permissions": [],
        "tenants": {},
        "email": "ada@example.com",
    })
}

pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

pub fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(dir().join("fixtures").join(name)).unwrap()
}

/// A fixture event with `$TOKEN` replaced by `authorization` (the whole header value).
pub fn event(fixture: &str, authorization: &str) -> Value {
    let text = fixture_text(fixture).replace("$TOKEN", authorization);
    serde_json::from_str(&text).unwrap()
}

/// A fixture event with no token at all: the `Authorization` header and identity sources removed.
pub fn event_without_token(fixture: &str) -> Value {
    let mut e = event(fixture, "");
    for key in ["headers", "multiValueHeaders"] {
        if let Some(headers) = e.get_mut(key).and_then(Value::as_object_mut) {
            headers.retain(|k, _| !k.eq_ignore_ascii_case("authorization"));
        }
    }
    for key in ["identitySource", "authorizationToken"] {
        if let Some(obj) = e.as_object_mut()
            && obj.contains_key(key)
            && obj.get("type") != Some(&json!("TOKEN"))
        {
            obj.remove(key);
        }
    }
    e
}

/// The handler's answer in wire form: the response JSON, or the error as lambda_runtime posts it.
pub fn wire(result: Result<Value, apigateway_authorizer::Unauthorized>) -> Value {
    match result {
        Ok(v) => v,
        Err(e) => serde_json::to_value(lambda_runtime::Diagnostic::from(e)).unwrap(),
    }
}

/// Compares `actual` with `tests/golden/<name>.json` (see [`authorizer_common::testing::assert_golden`]).
#[track_caller]
pub fn assert_golden(name: &str, actual: &Value) {
    authorizer_common::testing::assert_golden(&dir(), name, actual);
}
