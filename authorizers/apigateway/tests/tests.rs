//! The integration tests of `apigateway-authorizer`, one binary: its event parser against AWS's
//! samples (`events`), settings, goldens, the README's examples, and the compiled binary end to
//! end (`e2e`). The shared harness is `authorizer_common::testing`; `support` adds this crate's part.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod e2e;
mod events;
mod golden;
mod readme;
mod settings;
mod support;
