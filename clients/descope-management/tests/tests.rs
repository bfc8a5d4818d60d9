//! `descope-management` against a scripted Descope on loopback: what is retried and what is not,
//! how long a 429 waits, what the stop switch sees, what the operations send; and against the
//! Descope emulator: passwords and management sign-ins (`sessions`). One test binary; the
//! modules below are its parts.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod client;
mod operations;
mod sessions;
mod support;
