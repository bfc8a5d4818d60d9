//! The functions' core: what the Lambda functions share, so they read their settings, verify
//! callers, fill contexts, log decisions and fail their cold start the same way. Split by job:
//!
//! - [`settings`]: [`Env`], environment variables read once at cold start (empty counts as
//!   unset), each failure a [`ConfigError`] naming the variable to fix; with feature `identity`
//!   the verifier settings (`DESCOPE_*`, the cutover's `COGNITO_*`), with feature `policy` the
//!   policy document (`AUTHZ_POLICY` or `AUTHZ_POLICY_FILE`);
//! - [`cold_start`]: a bad setting stops the cold start with one log line and an init error
//!   posted to the Lambda Runtime API; [`run`] is an authorizer's whole `main`;
//! - [`identity`] (feature `identity`): the verifier, the token taken from what the event
//!   carried, who vouched, and (feature `policy`) the policy's principal from the claims;
//! - [`context`] (feature `identity`): one context builder with the two wire forms the services
//!   need, and the context every authorizer fills;
//! - [`decision`] (feature `identity`): typed verdicts and reasons, and the one decision line.
//!
//! - [`cognito`] (feature `cognito`): Cognito's `SECRET_HASH`, for the bridges that call Cognito
//!   on an app client with a secret.
//!
//! The pre sign-up linker uses only the default part (settings and cold start): no JWT
//! verification and no policy evaluation in its binary.

#[cfg(feature = "cognito")]
pub mod cognito;
pub mod cold_start;
#[cfg(feature = "identity")]
pub mod context;
#[cfg(feature = "identity")]
pub mod decision;
#[cfg(feature = "identity")]
pub mod identity;
#[cfg(feature = "policy")]
mod policy_source;
pub mod settings;
#[cfg(feature = "test-util")]
pub mod testing;
#[cfg(feature = "identity")]
mod verifier_settings;

#[cfg(feature = "identity")]
pub use cold_start::{Authorizer, run, serve};
pub use cold_start::{report_init_error, state_or_exit};
#[cfg(feature = "identity")]
pub use context::{
    ContextBuilder, ContextClaim, ContextForm, RESERVED_CONTEXT_KEYS, UNVERIFIED_CONTEXT_KEY, context_claim,
    copy_context_claims,
};
#[cfg(feature = "identity")]
pub use decision::{DecisionLine, OperationLine, Reason, Verdict, timed, with_xray_trace, xray_trace_id};
#[cfg(feature = "policy")]
pub use identity::principal;
#[cfg(feature = "identity")]
pub use identity::{ClockedVerifier, IDENTITY_CONTEXT_KEYS, Identity, identity_context};
#[cfg(feature = "policy")]
pub use policy_source::LoadedPolicy;
pub use settings::{ConfigError, Env, env_of, list};
