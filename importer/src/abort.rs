//! Stopping a run early, on purpose: Descope unavailable (too many consecutive failed calls),
//! credentials refused, or SIGINT/SIGTERM. One [`Abort`] is shared by the Descope client, the
//! Cognito reader and the signal listener; once tripped, every call that has not started yet fails
//! at once and every wait in flight ends, so the pipeline unwinds within moments and the run can
//! still write a complete report that says why it stopped.

use std::sync::{Arc, OnceLock};

use tokio::sync::watch;

/// Why the run stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbortKind {
    /// Descope (or Cognito) kept failing with transport errors or 5xx after retries.
    Unavailable,
    /// Descope refused the project ID and management key.
    CredentialsRefused,
    /// A signal (SIGINT, SIGTERM) asked the run to stop.
    Interrupted {
        /// The signal's name.
        signal: &'static str,
        /// The signal's number (the exit code is 128 + it, as shells report a signal).
        number: u8,
    },
}

/// The first reason the run was asked to stop; later ones are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbortReason {
    /// The kind, for the exit code.
    pub kind: AbortKind,
    /// A sentence for the summary and the report.
    pub message: String,
}

/// A shared stop switch (cheap to clone).
#[derive(Debug, Clone)]
pub struct Abort {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    reason: OnceLock<AbortReason>,
    tripped: watch::Sender<bool>,
}

impl Default for Abort {
    fn default() -> Self {
        Self::new()
    }
}

impl Abort {
    /// A switch that has not tripped.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                reason: OnceLock::new(),
                tripped: watch::channel(false).0,
            }),
        }
    }

    /// Asks the run to stop. The first reason wins; returns whether this call tripped it.
    pub fn trip(&self, kind: AbortKind, message: impl Into<String>) -> bool {
        let first = self
            .inner
            .reason
            .set(AbortReason {
                kind,
                message: message.into(),
            })
            .is_ok();
        if first {
            self.inner.tripped.send_replace(true);
        }
        first
    }

    /// Why the run was asked to stop, once it was.
    pub fn reason(&self) -> Option<&AbortReason> {
        self.inner.reason.get()
    }

    /// Whether the run was asked to stop.
    pub fn is_tripped(&self) -> bool {
        self.inner.reason.get().is_some()
    }

    /// Resolves once the run is asked to stop (at once if it already was).
    pub async fn tripped(&self) {
        let mut receiver = self.inner.tripped.subscribe();
        // The sender lives in `inner`, which `self` keeps alive, so this cannot fail; were it to,
        // waiting forever is the safe reading (nothing asked to stop).
        if receiver.wait_for(|tripped| *tripped).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_reason_wins_and_waiters_wake() {
        let abort = Abort::new();
        let waiter = tokio::spawn({
            let abort = abort.clone();
            async move { abort.tripped().await }
        });
        assert!(!abort.is_tripped());
        assert!(abort.trip(AbortKind::Unavailable, "first"));
        assert!(!abort.trip(AbortKind::CredentialsRefused, "second"));
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(abort.reason().unwrap().message, "first");
        // Already tripped: resolves at once.
        abort.tripped().await;
    }
}
