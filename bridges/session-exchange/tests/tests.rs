//! `session-exchange`'s integration tests, one binary. Cognito is moto 5.2.5 behind the
//! `moto-harness` stand-in, which plays `RevokeToken` (moto has none) and what AWS does after it;
//! the single-use table is moto's DynamoDB; Descope is the emulator. Every test says which
//! behaviour is AWS's and which the stand-in's.
//!
//! - `exchange`: the exchange as the app sees it: one session, once, for the same person;
//! - `hostile`: requests an attacker could send (other origins, other clients and pools, replays);
//! - `binary`: the real binary under the Lambda Runtime API stand-in.

// Helpers outside #[test] functions may panic too: a broken expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod binary;
mod exchange;
mod hostile;
mod support;
