//! The importer's integration tests, one binary: the real `cognito-to-descope` binary between moto
//! server as Cognito and the Descope emulator as Descope, and the library's edge. Each module is a
//! group of tests; `support` is the stage they share.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod cli_docs;
mod cognito_throttling;
mod e2e;
mod html_report;
mod release_script;
mod secrets_and_files;
mod secrets_and_files_e2e;
mod support;
