//! Step 3 of verification: the key for a `kid`, from a moka cache that is refilled from the JWKS
//! when an unknown kid shows up or the cached set is older than its maximum age (so a key Descope
//! retires stops verifying), by one fetch at a time, at most once per penalty window.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::{
    error::{Untrusted, VerifyError},
    jwks::{KeySet, VerifyingKey, fetch_jwks},
};

/// Outcome of the last fetch attempt, read when deciding whether another fetch may happen.
#[derive(Default)]
struct LastFetch {
    at: Option<Instant>,
    error: Option<String>,
}

/// The keys of one JWKS URL. Cheap on the hot path: a cache read and a map lookup.
pub(crate) struct KeyStore {
    url: String,
    client: reqwest::Client,
    /// One entry (this store's URL); a moka cache for its lock-free reads. Each issuer has its own
    /// store, so its own cache, fetch gate and penalty window.
    cache: moka::future::Cache<String, Arc<KeySet>>,
    /// Held while fetching: concurrent callers with the same unknown kid share one fetch.
    fetch_gate: tokio::sync::Mutex<()>,
    /// Incremented after every fetch attempt; tells a caller that waited on the gate that a fetch
    /// it did not start has completed meanwhile.
    generation: AtomicU64,
    last_fetch: Mutex<LastFetch>,
    penalty_window: Duration,
    /// A set older than this is refreshed before use (when the penalty window allows).
    max_age: Duration,
}

impl KeyStore {
    pub(crate) fn new(url: String, client: reqwest::Client, penalty_window: Duration, max_age: Duration) -> Self {
        Self {
            url,
            client,
            cache: moka::future::Cache::builder().max_capacity(4).build(),
            fetch_gate: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            last_fetch: Mutex::new(LastFetch::default()),
            penalty_window,
            max_age,
        }
    }

    /// The key named `kid`, fetching the JWKS if the kid is unknown and no fetch happened within
    /// the penalty window.
    pub(crate) async fn key_for(&self, kid: &str) -> Result<Arc<VerifyingKey>, VerifyError> {
        let cached = self.cache.get(&self.url).await;
        if let Some(set) = &cached
            && let Some(key) = set.get(kid)
        {
            // A stale set is refreshed first, so that a retired key stops verifying; while a
            // refresh is not allowed (penalty window) or fails, the cached key keeps serving.
            if set.age() < self.max_age || self.check_penalty(kid, true).is_err() {
                return Ok(Arc::clone(key));
            }
        }
        let seen_generation = self.generation.load(Ordering::Acquire);
        self.check_penalty(kid, cached.is_some())?;

        let _gate = self.fetch_gate.lock().await;
        if self.generation.load(Ordering::Acquire) == seen_generation {
            self.fetch_now().await;
        }
        // Whether we fetched or another caller did while we waited, judge by what is cached now.
        match self.cache.get(&self.url).await {
            Some(set) => set.get(kid).cloned().ok_or_else(|| VerifyError::UnknownKid {
                kid: Untrusted::new(kid),
            }),
            None => Err(self.unavailable()),
        }
    }

    /// Fetches the key set now (cold start); returns how many keys it holds.
    pub(crate) async fn prefetch(&self) -> Result<usize, VerifyError> {
        let _gate = self.fetch_gate.lock().await;
        self.fetch_now().await;
        match self.cache.get(&self.url).await {
            Some(set) if self.last_error().is_none() => Ok(set.len()),
            _ => Err(self.unavailable()),
        }
    }

    /// Refuses at once when the last fetch is younger than the penalty window.
    fn check_penalty(&self, kid: &str, have_keys: bool) -> Result<(), VerifyError> {
        let last = self.last_fetch.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(at) = last.at else { return Ok(()) };
        let elapsed = at.elapsed();
        if elapsed >= self.penalty_window {
            return Ok(());
        }
        if !have_keys {
            return Err(VerifyError::KeySetUnavailable {
                reason: last.error.clone().unwrap_or_else(|| "no keys fetched".to_owned()),
            });
        }
        let retry_in = self.penalty_window - elapsed;
        Err(VerifyError::PenaltyWindow {
            kid: Untrusted::new(kid),
            retry_in_ms: u64::try_from(retry_in.as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// One fetch; must be called with the gate held. A failure keeps the keys already cached.
    async fn fetch_now(&self) {
        let outcome = fetch_jwks(&self.client, &self.url).await;
        let error = match outcome {
            Ok(set) => {
                tracing::debug!(url = %self.url, keys = set.len(), "fetched signing keys");
                self.cache.insert(self.url.clone(), Arc::new(set)).await;
                None
            }
            Err(reason) => {
                tracing::warn!(url = %self.url, %reason, "signing key fetch failed; keeping the cached keys");
                Some(reason)
            }
        };
        {
            let mut last = self.last_fetch.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            *last = LastFetch {
                at: Some(Instant::now()),
                error,
            };
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn last_error(&self) -> Option<String> {
        let last = self.last_fetch.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        last.error.clone()
    }

    fn unavailable(&self) -> VerifyError {
        VerifyError::KeySetUnavailable {
            reason: self.last_error().unwrap_or_else(|| "no keys fetched".to_owned()),
        }
    }
}
