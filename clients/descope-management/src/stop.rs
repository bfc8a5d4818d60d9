//! The hook through which a caller stops every call of a client (see the crate docs).

use std::{future::Future, pin::Pin};

/// Why the client asks its caller to stop every call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Outage {
    /// This many calls in a row failed with 5xx or transport errors after all their retries.
    #[error(
        "Descope unavailable: {failures} calls in a row failed after their retries (the last: {path} after {attempts} attempts: {last})"
    )]
    Unavailable {
        /// Calls in a row that failed.
        failures: u32,
        /// The path of the last one.
        path: String,
        /// Its attempts.
        attempts: u32,
        /// Its last failure.
        last: String,
    },
    /// Descope refused the project ID and management key.
    #[error("Descope refused the credentials (HTTP {status}): check the project ID and the management key")]
    CredentialsRefused {
        /// 401 or 403.
        status: u16,
    },
}

/// A caller's stop switch, as the client uses it. Implement it over the mechanism the caller
/// already has (a watch channel, a cancellation token); the client only asks these three things.
pub trait StopSwitch: Send + Sync {
    /// `Some(reason)` once calls must no longer be sent (the reason goes into
    /// [`DescopeError::Aborted`](crate::DescopeError::Aborted)).
    fn stopped(&self) -> Option<String>;

    /// Resolves once calls must stop (at once if they already must). The client races every call
    /// against it, so a stop ends waits in flight: backoff, pacing, a slow answer.
    fn wait(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;

    /// The client found Descope unusable; the caller decides what stops and how it is reported.
    fn stop(&self, outage: Outage);
}
