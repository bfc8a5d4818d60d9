//! `secret-settings`' integration tests, one binary, against moto 5.2.5 as Secrets Manager and
//! SSM Parameter Store (moto serves every AWS service on one port; the SDK finds it by its
//! endpoint URL). Each test says which behaviour is AWS's (moto) and which a stand-in's.
//!
//! - `secrets_manager`: secret strings, JSON fields, regions, what a secret may not be;
//! - `parameter_store`: `SecureString` parameters by `ssm:` name and by ARN;
//! - `refusals`: what is refused, and that it is refused before any AWS call.

// Helpers outside #[test] functions may panic too: a broken expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod parameter_store;
mod refusals;
mod secrets_manager;
mod support;
