//! The integration tests of `descope-jwt`, one binary: the verifier's contract case by case
//! (`verify`) and properties over arbitrary input (`properties`), against a JWKS endpoint on
//! 127.0.0.1 (`support`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod properties;
mod support;
mod verify;
