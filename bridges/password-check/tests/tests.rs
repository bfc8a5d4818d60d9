//! `password-check`'s integration tests, one binary. Cognito is moto 5.2.5 behind the
//! `moto-harness` stand-in (whose per-operation hooks play what moto lacks), Descope is the
//! emulator; every test says which behaviour is AWS's and which the stand-in's.
//!
//! - `signature`: the connector's HMAC, pinned with vectors computed outside the crate;
//! - `hostile`: requests refused before any Cognito call;
//! - `flows`: each outcome against moto and the emulator, the binding included;
//! - `binary`: the real binary under the Lambda Runtime API stand-in.

// Helpers outside #[test] functions may panic too: a broken expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod binary;
mod flows;
mod hostile;
mod signature;
mod support;
