//! AppSync Lambda authorizer (`AWS_LAMBDA` authorization mode) for Descope session tokens.
//!
//! A token is verified with [`descope_jwt`]; the `appsync` section of the shared
//! [`authz_policy`] document then says which protected `Type.field` entries the user may not
//! resolve (`deniedFields`), and the request is refused outright when its operation selects a
//! protected top-level field the user is not granted. The operation is read from the request's
//! GraphQL document by [`graphql::top_level`], which fails closed. See the crate README for the
//! configuration and a worked policy example.
//!
//! [`handle`] is the whole behaviour and is tested directly; `main` only wires the environment
//! into a [`State`] built once at cold start.

mod config;
pub mod graphql;
mod handler;
mod response;

pub use config::{DEFAULT_MAX_TTL_SECONDS, MAX_TTL_SECONDS, Settings};
pub use handler::{Decision, State, decide, handle};
pub use response::AuthorizerResponse;
