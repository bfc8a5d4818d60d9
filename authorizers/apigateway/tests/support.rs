//! What this crate's tests add to the shared harness (`authorizer_common::testing`): the suite
//! (fixtures, goldens, the state under test) and how an API Gateway event loses its token.

use apigateway_authorizer::State;
use authorizer_common::testing::Suite;
use serde_json::{Value, json};

/// This crate's tests: `tests/fixtures`, `tests/golden` and the state they run against.
pub const SUITE: Suite<State> = Suite::new(env!("CARGO_MANIFEST_DIR"));

/// A fixture event with no token at all: the `Authorization` header and identity sources removed.
pub fn event_without_token(fixture: &str) -> Value {
    let mut e = SUITE.event(fixture, "");
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
