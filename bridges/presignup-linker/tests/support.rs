//! What this crate's tests add to the shared harness (`authorizer_common::testing`): its
//! fixtures and goldens.

use authorizer_common::testing::Suite;

/// This crate's tests: `tests/fixtures` and `tests/golden` (no authorizer state: `()`).
pub const SUITE: Suite<()> = Suite::new(env!("CARGO_MANIFEST_DIR"));
