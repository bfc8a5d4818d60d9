//! The integration tests of `presignup-linker`, one binary: goldens over an in-memory pool, AWS's
//! sample event (`contract`), and the Cognito adapter and the compiled binary against moto and a
//! recording endpoint (`cognito`). The shared harness is `authorizer_common::testing`; `support`
//! adds this crate's part.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod cognito;
mod contract;
mod golden;
mod support;
