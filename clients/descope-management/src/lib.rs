//! A client for Descope's Management API that survives throttling and faults, shared by the
//! `cognito-to-descope` importer and the Lambda functions that manage Descope users.
//!
//! - [`DescopeClient`] is the transport: base URL, `Authorization: Bearer <project>:<key>`,
//!   client-side pacing under Descope's documented limits, 429 waits (`Retry-After`), retries of
//!   5xx and dropped connections, call counters ([`CallStats`]) and one [`DescopeError`] variant
//!   per way a call can fail.
//! - [`wire`] holds the request and response bodies as the official SDKs send and read them.
//! - The operations (`search_users`, `create_users`, `patch_users`, `update_login_id`,
//!   `logout_user`, `load_user`, `set_active_password`, `sign_in` (a session made without the
//!   user), `roles`, `tenants`, `custom_attributes`, ...) are methods of the client, named for what
//!   they do in Descope.
//!
//! Nothing here knows about Cognito or a migration: callers decide which custom attributes mean
//! what, and map their own types onto the wire bodies.
//!
//! # Stopping calls: the [`StopSwitch`] hook
//!
//! A caller that runs many calls (the importer) wants them all to stop when Descope is down or
//! refuses the key, rather than failing one by one, and wants a signal to end every wait at once.
//! The client does not own that decision: it takes an optional [`StopSwitch`], a three-method trait
//! the caller implements over whatever stop mechanism it already has. The client asks it before
//! each call whether to send at all, races each call against it, and reports an [`Outage`] to it
//! (after `max_consecutive_failures` calls in a row failed after their retries, or at once when the
//! credentials are refused); what stops and how the caller reports it is the caller's business. A
//! trait rather than a concrete token keeps this crate free of a cancellation library and lets the
//! importer keep one stop switch for its Descope client, its Cognito reader and its signal handler.
//! A client without a switch (a Lambda handling one request) just returns each call's error.
//!
//! # Secrets
//!
//! The management key is held in a [`Secret`]: it goes into the `Authorization` header and nowhere
//! else; no `Debug` of the client, its errors or its settings shows it. Passwords
//! ([`DescopeClient::set_active_password`]) and the JWTs of a session
//! ([`wire::AuthenticatedSession`]) are `Secret`s too: never in `Debug`, an error or a log line,
//! and overwritten when dropped. What this crate cannot clear are the copies made on the way out
//! and in: the JSON body serde writes and reqwest/hyper send, TLS buffers, the bytes of an answer
//! before they are parsed, and whatever strings the caller keeps.
//!
//! The base URL is taken as given: callers check it (`https://`, or `http://` on loopback only)
//! where they read their settings, as the importer's command line does.

mod client;
mod operations;
mod secret;
mod stop;
pub mod wire;

pub use client::{CallStats, DescopeClient, DescopeError, RetryPolicy};
pub use operations::USER_NOT_FOUND;
pub use secret::Secret;
pub use stop::{Outage, StopSwitch};

/// Descope's error code for "user already exists" (go-sdk `ErrUserAlreadyExists`).
pub const USER_EXISTS: &str = "E062107";

/// A login ID as Descope compares it: without regard to letter case (see the emulator's README for
/// the evidence). Two login IDs that differ only in case are one login ID in Descope.
pub fn fold_login_id(login_id: &str) -> String {
    login_id.trim().to_lowercase()
}
