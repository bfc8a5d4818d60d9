//! The shared emulator handle: config, store, signing keys, request log, limiter and faults.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    attributes,
    config::EmulatorConfig,
    error::ApiError,
    faults::{FaultInjector, RateLimiter},
    keys::KeyRing,
    roles, sessions,
    state::Store,
    tenants, users,
};

/// Errors while starting the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// Key generation failed (a broken crypto library).
    #[error("signing key: {0}")]
    Key(#[from] descope_jwt::testing::TestKeyError),
    /// The key to remove is the current signing key, or unknown.
    #[error("{0}")]
    KeyRemoval(String),
}

/// One request seen by the emulator. Headers (and so the management key) are never recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestLogEntry {
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Query string, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Status sent; `None` when the connection was dropped instead.
    pub status: Option<u16>,
    /// Arrival time, epoch milliseconds.
    pub timestamp_ms: i64,
    /// Injected fault or limit: `rate-limited:<rule>`, `error-before`, `error-after`,
    /// `drop-before`, `drop-after`, `latency`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

struct Inner {
    config: EmulatorConfig,
    store: Mutex<Store>,
    keys: Mutex<KeyRing>,
    log: Mutex<Vec<RequestLogEntry>>,
    limiter: Option<RateLimiter>,
    faults: Option<FaultInjector>,
}

/// A running project's state, cheap to clone (all clones share it).
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("project_id", &self.inner.config.project_id)
            .finish()
    }
}

/// Locks a mutex, ignoring poisoning: a panicked request must not wedge the emulator.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Emulator {
    /// A fresh, empty project with one signing key.
    pub fn new(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let keys = KeyRing::new(config.key_alg)?;
        let limiter = config.rate_limits.clone().map(RateLimiter::new);
        let faults = config.faults.clone().map(FaultInjector::new);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                store: Mutex::new(Store::default()),
                keys: Mutex::new(keys),
                log: Mutex::new(Vec::new()),
                limiter,
                faults,
            }),
        })
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.inner.store)
    }

    pub(crate) fn keys(&self) -> MutexGuard<'_, KeyRing> {
        lock(&self.inner.keys)
    }

    pub(crate) fn limiter(&self) -> Option<&RateLimiter> {
        self.inner.limiter.as_ref()
    }

    pub(crate) fn faults(&self) -> Option<&FaultInjector> {
        self.inner.faults.as_ref()
    }

    pub(crate) fn record(&self, entry: RequestLogEntry) {
        lock(&self.inner.log).push(entry);
    }

    /// Every request seen so far (management, keys), oldest first.
    pub fn request_log(&self) -> Vec<RequestLogEntry> {
        lock(&self.inner.log).clone()
    }

    /// Forgets the request log.
    pub fn clear_request_log(&self) {
        lock(&self.inner.log).clear();
    }

    /// Forgets users, roles, tenants, attribute definitions and the request log (keys stay).
    pub fn reset(&self) {
        self.store().clear();
        self.clear_request_log();
    }

    /// Number of stored users.
    pub fn user_count(&self) -> usize {
        self.store().user_count()
    }

    /// `{users, roles, tenants, customAttributes, keys}` in wire form, for assertions.
    pub fn state_dump(&self) -> Value {
        let store = self.store();
        let kids = self.keys().kids();
        json!({
            "projectId": self.inner.config.project_id,
            "users": store.users().map(|u| users::render(&store, u)).collect::<Vec<_>>(),
            "roles": store.roles().iter().map(roles::render).collect::<Vec<_>>(),
            "tenants": store.tenants().iter().map(tenants::render).collect::<Vec<_>>(),
            "customAttributes": store.attributes().iter().map(attributes::render).collect::<Vec<_>>(),
            "keys": kids,
        })
    }

    /// The published JWKS `{"keys": [...]}`.
    pub fn jwks(&self) -> Value {
        self.keys().jwks()
    }

    /// Mints a session (or refresh) token for a stored user; see [`sessions::SessionRequest`].
    pub fn mint_session(&self, request: &sessions::SessionRequest) -> Result<sessions::MintedSession, ApiError> {
        sessions::mint(self, request)
    }

    /// When the sessions of `user_id` were last revoked (`user/logout`, a management sign-in with
    /// `revokeOtherSessions`), epoch seconds: tokens issued before it count as logged out.
    pub fn sessions_revoked_at(&self, user_id: &str) -> Option<i64> {
        self.store().sessions_revoked_at(user_id)
    }

    /// Adds a new signing key (the old ones stay published unless `drop_old`); returns its kid.
    pub fn rotate_keys(&self, drop_old: bool) -> Result<String, EmulatorError> {
        self.keys().rotate(drop_old)
    }

    /// Stops publishing `kid` (not allowed for the current signing key).
    pub fn remove_key(&self, kid: &str) -> Result<(), EmulatorError> {
        self.keys().remove(kid)
    }
}

/// Seconds since the epoch.
pub(crate) fn now_secs() -> i64 {
    descope_jwt::testing::now()
}

/// Milliseconds since the epoch.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
