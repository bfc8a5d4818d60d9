//! `cognito-to-descope`: moves Cognito user pools into a Descope project and verifies the result.
//!
//! Ports and adapters: [`cognito`] reads the pool, [`descope`] talks to the management API,
//! [`mapping`] and [`diff`] are pure functions over the [`model`] types, [`pipeline`] streams users
//! in batches, [`migrate`] and [`verify`] are the two commands, [`report`] records every outcome,
//! [`html_report`] turns a finished report into a page, [`docs`] generates the shell completions
//! and the man page. The binary (`main.rs`) only wires the command line into these.

pub mod abort;
pub mod cli;
pub mod cognito;
pub mod descope;
pub mod diff;
pub mod docs;
pub mod html_report;
pub mod mapping;
pub mod migrate;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod run;
pub mod status;
pub mod verify;
