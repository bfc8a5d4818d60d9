//! What this crate's tests add to the shared harness (`authorizer_common::testing`): the suite
//! (fixtures, goldens, the state under test) and how an AppSync request loses its token.

use appsync_authorizer::State;
use authorizer_common::testing::Suite;
use serde_json::Value;

/// This crate's tests: `tests/fixtures`, `tests/golden` and the state they run against.
pub const SUITE: Suite<State> = Suite::new(env!("CARGO_MANIFEST_DIR"));

/// A fixture request with no token at all: `authorizationToken` and the `authorization` header
/// removed.
pub fn event_without_token(fixture: &str) -> Value {
    let mut e = SUITE.event(fixture, "");
    e.as_object_mut().unwrap().remove("authorizationToken");
    if let Some(headers) = e.get_mut("requestHeaders").and_then(Value::as_object_mut) {
        headers.retain(|k, _| !k.eq_ignore_ascii_case("authorization"));
    }
    e
}
