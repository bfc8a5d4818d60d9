//! API Gateway Lambda authorizer for Descope session tokens.
//!
//! One function answers REST API TOKEN and REQUEST authorizers and HTTP API authorizers with
//! payload format 1.0 or 2.0; the event's own shape says which. A token is verified with
//! [`descope_jwt`], then the shared [`authz_policy`] document decides which routes the user may
//! call. See the crate README for the configuration and a worked policy example.
//!
//! [`handle`] is the whole behaviour and is tested directly; `main` only wires the environment
//! into a [`State`] built once at cold start.

mod config;
mod event;
mod handler;
mod response;

pub use config::{Settings, TokenSources};
pub use event::{ApiArn, EventError, EventKind, Incoming};
pub use handler::{Decision, State, Unauthorized, decide, handle};
