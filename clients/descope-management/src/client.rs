//! The transport: one retrying, paced HTTP client for Descope's Management API.
//!
//! - 429: waits `Retry-After` (Descope sends seconds), and every other request of the client waits
//!   with it, so a throttled project is not hammered by concurrent callers.
//! - 5xx, dropped connections, broken-off bodies, timeouts: retried with exponential backoff and
//!   jitter, up to [`RetryPolicy::max_attempts`].
//! - Other 4xx (401/403 included): returned at once; retrying would not change the answer.
//! - Every attempt, first try or retry, waits for the pause a 429 set and for the pacing window of
//!   its path, so pacing holds under retries too.
//!
//! Retrying a write means a write may happen twice or happen although its answer was lost: callers
//! must not trust a write's response alone (the importer reads back users a create does not confirm).
//!
//! The stop rule, with a [`StopSwitch`]: after `max_consecutive_failures` calls in a row have failed
//! with 5xx or transport errors after all their retries (a call that gets any other answer resets
//! the count), or at once when Descope refuses the credentials, the client reports an [`Outage`] to
//! the switch; once the switch says stop, calls not yet sent fail with [`DescopeError::Aborted`] and
//! calls waiting (backoff, pacing, a slow answer) end.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicU32, AtomicU64, Ordering},
    },
    time::Duration,
};

use rand::Rng as _;
use reqwest::{Method, StatusCode};
use serde::{Serialize, de::DeserializeOwned};
use tokio::time::Instant;

use crate::{Outage, Secret, StopSwitch, wire::ErrorBody};

/// The last failure of a call that ran out of rate-limit waits (Descope answers; it is not down).
const STILL_RATE_LIMITED: &str = "still rate limited (HTTP 429)";

/// How hard to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts for 5xx and transport failures (first try included).
    pub max_attempts: u32,
    /// Rate-limit waits tolerated for one call before giving up.
    pub max_rate_limit_waits: u32,
    /// First backoff delay; doubles per attempt.
    pub base_delay: Duration,
    /// Longest backoff delay, and the wait used when a 429 carries no `Retry-After`.
    pub max_delay: Duration,
    /// Client-side pacing under Descope's documented limits (create/batch 100 and search 200 per
    /// 60 s), multiplied by this factor (a plan with higher limits, a time-scaled emulator);
    /// 0 turns pacing off. Pacing avoids the 60 s backoff Descope imposes once a limit is hit.
    pub rate_multiplier: f64,
}

impl RetryPolicy {
    /// For a call someone is waiting on (a Lambda function answering one request): one quick
    /// retry of a 5xx or a dropped connection, no wait on a 429 (the caller answers "retry"
    /// instead), and no client-side pacing (one instance's window says nothing of the other
    /// concurrent instances).
    pub fn interactive() -> Self {
        Self {
            max_attempts: 2,
            max_rate_limit_waits: 0,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            rate_multiplier: 0.0,
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            max_rate_limit_waits: 30,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            rate_multiplier: 1.0,
        }
    }
}

/// Why a call failed for good.
#[derive(Debug, thiserror::Error)]
pub enum DescopeError {
    /// The HTTP client could not be built (TLS set-up).
    #[error(transparent)]
    HttpClient(reqwest::Error),
    /// The project ID and management key were refused.
    #[error("Descope refused the credentials (HTTP {status}): check the project ID and the management key")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
    },
    /// The caller's [`StopSwitch`] says stop (Descope unavailable, credentials refused, a signal):
    /// not sent, or its wait was cut short.
    #[error("not sent: the run is stopping ({reason})")]
    Aborted {
        /// Why, as the switch says.
        reason: String,
    },
    /// Descope answered with an error that retrying cannot fix.
    #[error("Descope answered HTTP {status} {code} on {path}: {message}")]
    Api {
        /// The path called.
        path: String,
        /// HTTP status.
        status: u16,
        /// Descope's `errorCode`.
        code: String,
        /// Descope's description and message.
        message: String,
    },
    /// Retries ran out.
    #[error("gave up on {path} after {attempts} attempts: {last}")]
    Exhausted {
        /// The path called.
        path: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// A 2xx answer whose body is not what the API documents.
    #[error("unexpected answer from {path}: {detail}")]
    BadResponse {
        /// The path called.
        path: String,
        /// What did not parse.
        detail: String,
    },
}

/// Counters of one client's calls.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallStats {
    /// Logical calls (a retried call counts once).
    pub calls: u64,
    /// HTTP requests sent (retries included).
    pub requests: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Retries after 5xx or transport failures.
    pub retried: u64,
}

/// The client. Holds the management key; never prints it (see the `Debug` impl).
pub struct DescopeClient {
    http: reqwest::Client,
    base_url: String,
    /// `Bearer <project>:<key>`, the only place the key goes.
    authorization: Secret,
    user_agent: String,
    policy: RetryPolicy,
    /// No request leaves before this instant (set by a 429's `Retry-After`).
    paused_until: Mutex<Option<Instant>>,
    /// Sliding windows for the paths Descope documents limits for.
    windows: Vec<(&'static str, tokio::sync::Mutex<Window>)>,
    calls: AtomicU64,
    requests: AtomicU64,
    rate_limited: AtomicU64,
    retried: AtomicU64,
    /// Calls in a row that failed with 5xx or transport errors after their retries.
    consecutive_failures: AtomicU32,
    /// The caller's stop switch and the count of consecutive failures that reports an outage.
    stop: Option<(Box<dyn StopSwitch>, u32)>,
}

impl std::fmt::Debug for DescopeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DescopeClient")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl DescopeClient {
    /// A client for `project_id` at `base_url` (no trailing slash needed). The caller has checked
    /// the URL (`https://`, or `http://` on loopback).
    pub fn new(
        base_url: &str,
        project_id: &str,
        management_key: &str,
        policy: RetryPolicy,
    ) -> Result<Self, DescopeError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(DescopeError::HttpClient)?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            authorization: Secret::from(format!("Bearer {project_id}:{management_key}")),
            user_agent: concat!("descope-management/", env!("CARGO_PKG_VERSION")).to_owned(),
            windows: documented_limits(policy.rate_multiplier),
            policy,
            paused_until: Mutex::new(None),
            calls: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            retried: AtomicU64::new(0),
            consecutive_failures: AtomicU32::new(0),
            stop: None,
        })
    }

    /// The `User-Agent` the client sends (default `descope-management/<version>`), so Descope's
    /// logs name the program that called.
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Ties the client to the caller's stop switch: `max_consecutive_failures` calls in a row that
    /// fail with 5xx or transport errors after their retries report [`Outage::Unavailable`] to it
    /// (0 = never), and a refused management key reports [`Outage::CredentialsRefused`]; once the
    /// switch says stop, no further request is sent.
    #[must_use]
    pub fn with_stop_switch(mut self, switch: impl StopSwitch + 'static, max_consecutive_failures: u32) -> Self {
        self.stop = Some((Box::new(switch), max_consecutive_failures));
        self
    }

    /// Counters so far.
    pub fn stats(&self) -> CallStats {
        CallStats {
            calls: self.calls.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
        }
    }

    /// `GET path`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, DescopeError> {
        self.call(Method::GET, path, None::<&()>).await
    }

    /// `POST path` with a JSON body.
    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, DescopeError> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, DescopeError> {
        self.call(Method::PATCH, path, Some(body)).await
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, DescopeError> {
        let Some((switch, max_failures)) = &self.stop else {
            return self.send_with_retries(method, path, body).await;
        };
        if let Some(reason) = switch.stopped() {
            return Err(DescopeError::Aborted { reason });
        }
        // A stop ends the wait in flight (backoff, pacing, a slow answer). A write cut off here
        // may or may not have happened; the caller settles it like any lost answer.
        let result = tokio::select! {
            result = self.send_with_retries(method, path, body) => result,
            () = switch.wait() => {
                return Err(DescopeError::Aborted {
                    reason: switch.stopped().unwrap_or_default(),
                });
            }
        };
        match &result {
            Err(DescopeError::Exhausted { path, attempts, last }) if last != STILL_RATE_LIMITED => {
                let failures = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
                if *max_failures > 0 && failures >= *max_failures {
                    switch.stop(Outage::Unavailable {
                        failures,
                        path: path.clone(),
                        attempts: *attempts,
                        last: last.clone(),
                    });
                }
            }
            Err(DescopeError::Unauthorized { status }) => {
                switch.stop(Outage::CredentialsRefused { status: *status });
            }
            // Still rate limited: Descope answers, so it is not down; the count stays as it is.
            Err(DescopeError::Exhausted { .. }) => {}
            // Any other answer (success, a 4xx, an unexpected body) shows Descope is reachable.
            _ => self.consecutive_failures.store(0, Ordering::Relaxed),
        }
        result
    }

    async fn send_with_retries<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, DescopeError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let url = format!("{}{path}", self.base_url);
        let mut failures = 0u32;
        let mut rate_limit_waits = 0u32;
        loop {
            self.wait_for_pause().await;
            self.wait_for_window(path).await;
            let mut request = self
                .http
                .request(method.clone(), &url)
                .header(reqwest::header::USER_AGENT, &self.user_agent)
                .header(reqwest::header::AUTHORIZATION, self.authorization.expose());
            if let Some(body) = body {
                request = request.json(body);
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let failure = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        match response.bytes().await {
                            Ok(bytes) => return parse(path, &bytes),
                            // The body broke off: the call may or may not have happened; retry.
                            Err(e) => format!("reading the answer failed: {e}"),
                        }
                    } else if status == StatusCode::TOO_MANY_REQUESTS {
                        self.rate_limited.fetch_add(1, Ordering::Relaxed);
                        rate_limit_waits += 1;
                        if rate_limit_waits > self.policy.max_rate_limit_waits {
                            return Err(DescopeError::Exhausted {
                                path: path.to_owned(),
                                attempts: failures + rate_limit_waits,
                                last: STILL_RATE_LIMITED.to_owned(),
                            });
                        }
                        let wait = retry_after(&response).unwrap_or(self.policy.max_delay);
                        tracing::info!(
                            path,
                            wait_ms = wait.as_millis() as u64,
                            "rate limited by Descope; waiting"
                        );
                        self.pause_for(wait);
                        continue;
                    } else if status.is_server_error() {
                        format!("HTTP {status}")
                    } else {
                        return Err(api_error(path, status, response).await);
                    }
                }
                Err(e) => error_chain(&e),
            };
            failures += 1;
            if failures >= self.policy.max_attempts {
                return Err(DescopeError::Exhausted {
                    path: path.to_owned(),
                    attempts: failures,
                    last: failure,
                });
            }
            self.retried.fetch_add(1, Ordering::Relaxed);
            let delay = self.backoff(failures);
            tracing::warn!(path, %failure, retry_in_ms = delay.as_millis() as u64, "Descope call failed; retrying");
            tokio::time::sleep(delay).await;
        }
    }

    fn backoff(&self, failures: u32) -> Duration {
        let exponential = self
            .policy
            .base_delay
            .saturating_mul(1 << failures.saturating_sub(1).min(16));
        let capped = exponential.min(self.policy.max_delay);
        // Full jitter in the upper half keeps concurrent workers from retrying in lockstep.
        let half = capped / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }

    fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    /// Waits until sending one more request on `path` keeps within its documented window.
    async fn wait_for_window(&self, path: &str) {
        let Some((_, window)) = self.windows.iter().find(|(p, _)| *p == path) else {
            return;
        };
        let mut window = window.lock().await;
        let now = Instant::now();
        while window
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window.length)
        {
            window.sent.pop_front();
        }
        if window.sent.len() >= window.limit
            && let Some(oldest) = window.sent.pop_front()
        {
            // A margin for latency: the server counts arrivals, not our send times.
            let until = oldest + window.length + window.length / 50 + Duration::from_millis(50);
            let wait_ms = until.duration_since(now).as_millis() as u64;
            tracing::info!(path, wait_ms, "pacing under Descope's rate limit");
            tokio::time::sleep_until(until).await;
        }
        window.sent.push_back(Instant::now());
    }

    async fn wait_for_pause(&self) {
        let until = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = until
            && until > Instant::now()
        {
            tokio::time::sleep_until(until).await;
        }
    }
}

/// Requests sent on one path within the last `length`.
struct Window {
    limit: usize,
    length: Duration,
    sent: std::collections::VecDeque<Instant>,
}

/// Descope's documented per-project limits for the calls made in volume (user create/batch, search).
fn documented_limits(multiplier: f64) -> Vec<(&'static str, tokio::sync::Mutex<Window>)> {
    if !(multiplier.is_finite() && multiplier > 0.0) {
        return Vec::new();
    }
    // A multiplier scales the rate: more calls per window for a bigger plan, or a shorter window
    // for a time-scaled emulator. Both read the same here: the window shrinks.
    let length = Duration::from_secs(60).div_f64(multiplier);
    [("/v1/mgmt/user/create/batch", 100), ("/v2/mgmt/user/search", 200)]
        .into_iter()
        .map(|(path, limit)| {
            (
                path,
                tokio::sync::Mutex::new(Window {
                    limit,
                    length,
                    sent: Default::default(),
                }),
            )
        })
        .collect()
}

fn parse<T: DeserializeOwned>(path: &str, bytes: &[u8]) -> Result<T, DescopeError> {
    // Some calls answer 200 with an empty body.
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| DescopeError::BadResponse {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

async fn api_error(path: &str, status: StatusCode, response: reqwest::Response) -> DescopeError {
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return DescopeError::Unauthorized {
            status: status.as_u16(),
        };
    }
    let body = response.bytes().await.unwrap_or_default();
    let error: ErrorBody = serde_json::from_slice(&body).unwrap_or_default();
    let message = [error.error_description, error.error_message]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    DescopeError::Api {
        path: path.to_owned(),
        status: status.as_u16(),
        code: error.error_code,
        message: if message.is_empty() {
            String::from_utf8_lossy(&body).chars().take(200).collect()
        } else {
            message
        },
    }
}

/// `Retry-After` in seconds (Descope's form); HTTP dates are not used by Descope.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
