//! The integration tests of `appsync-authorizer`, one binary: AWS's sample request (`contract`),
//! settings, goldens, the GraphQL reader against `apollo-parser`, the README's examples, and the
//! compiled binary end to end (`e2e`). The shared harness is `authorizer_common::testing`;
//! `support` adds this crate's part.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod contract;
mod e2e;
mod golden;
mod graphql_differential;
mod readme;
mod settings;
mod support;
