//! The emulator's integration tests, one test binary (as ripgrep lays them out): each module is
//! one topic, `common` the harness they share (an emulator on loopback and a management client).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod binary;
mod catalog;
mod common;
mod faults;
mod inspection;
mod sessions;
mod users;
