//! Rate limits and injected faults, applied by one middleware in front of the Descope API.
//!
//! Order per request, as a client would meet them: the rate limiter (Descope's edge answers 429
//! before anything else), then added latency, then an injected 5xx or dropped connection
//! before or after the handler runs. The request log is written here too, so it also records
//! requests whose connection never got an answer.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use rand::{Rng as _, SeedableRng as _, rngs::StdRng};
use tokio::sync::Notify;

use crate::{
    Emulator,
    config::{FaultConfig, FaultTiming, RateLimitConfig, RuleScope},
    emulator::{RequestLogEntry, now_millis},
    error::rate_limited_response,
};

/// Inserted into each request by the server's accept loop: notifying it closes the TCP
/// connection without an HTTP response.
#[derive(Debug, Clone, Default)]
pub struct ConnectionHandle(pub Arc<Notify>);

#[derive(Debug, Default)]
struct Bucket {
    hits: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

/// Sliding-window limiter with Descope's backoff: once a rule's limit is hit, every request
/// it covers is refused until the backoff has passed.
#[derive(Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    buckets: Mutex<Vec<Bucket>>,
}

impl RateLimiter {
    /// A limiter with empty buckets.
    pub fn new(config: RateLimitConfig) -> Self {
        let buckets = config.rules.iter().map(|_| Bucket::default()).collect();
        Self {
            config,
            buckets: Mutex::new(buckets),
        }
    }

    fn rule_for(&self, path: &str) -> Option<usize> {
        let exact = self
            .config
            .rules
            .iter()
            .position(|r| matches!(&r.scope, RuleScope::Paths(p) if p.iter().any(|p| p == path)));
        exact.or_else(|| {
            let management = path.starts_with("/v1/mgmt/") || path.starts_with("/v2/mgmt/");
            self.config
                .rules
                .iter()
                .position(|r| management && r.scope == RuleScope::OtherManagement)
        })
    }

    fn scaled(&self, d: Duration) -> Duration {
        Duration::from_secs_f64(d.as_secs_f64() / self.config.time_scale)
    }

    /// `None` if allowed (and counted); else the rule's name and how long to wait.
    pub fn check(&self, path: &str) -> Option<(String, Duration)> {
        let index = self.rule_for(path)?;
        let rule = self.config.rules.get(index)?;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.get_mut(index)?;
        let now = Instant::now();
        if let Some(until) = bucket.blocked_until {
            if until > now {
                return Some((rule.name.clone(), until - now));
            }
            bucket.blocked_until = None;
        }
        let window = self.scaled(rule.window);
        while bucket.hits.front().is_some_and(|t| now.duration_since(*t) >= window) {
            bucket.hits.pop_front();
        }
        if bucket.hits.len() >= rule.limit as usize {
            let backoff = self.scaled(rule.backoff);
            bucket.blocked_until = Some(now + backoff);
            bucket.hits.clear();
            return Some((rule.name.clone(), backoff));
        }
        bucket.hits.push_back(now);
        None
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Handled normally.
    Pass,
    /// Answered with the configured 5xx; `after` = the handler ran first.
    Error {
        /// Handler ran first.
        after: bool,
    },
    /// Connection closed without an answer; `after` = the handler ran first.
    Drop {
        /// Handler ran first.
        after: bool,
    },
}

/// The fault plan of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPlan {
    /// Added delay.
    pub latency: Option<Duration>,
    /// Outcome.
    pub outcome: Outcome,
}

/// Seeded fault decisions: every request draws the same number of random values, so the
/// n-th request of a run gets the same plan whenever the seed is the same.
#[derive(Debug)]
pub struct FaultInjector {
    config: FaultConfig,
    rng: Mutex<StdRng>,
}

impl FaultInjector {
    /// An injector at the start of its sequence.
    pub fn new(config: FaultConfig) -> Self {
        let rng = Mutex::new(StdRng::seed_from_u64(config.seed));
        Self { config, rng }
    }

    /// Draws the plan of the next request. `write` = the request changes state.
    pub fn plan(&self, write: bool) -> FaultPlan {
        let (latency_draw, outcome_draw, timing_draw) = {
            let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
            (rng.random::<f64>(), rng.random::<f64>(), rng.random::<f64>())
        };
        let c = &self.config;
        let after = write
            && match c.timing {
                FaultTiming::Before => false,
                FaultTiming::After => true,
                FaultTiming::Random => timing_draw < 0.5,
            };
        // One draw for both faults, so drop_rate + error_rate is the share of failed requests.
        let outcome = if outcome_draw < c.drop_rate {
            Outcome::Drop { after }
        } else if outcome_draw < c.drop_rate + c.error_rate {
            Outcome::Error { after }
        } else {
            Outcome::Pass
        };
        let latency = (latency_draw < c.latency_rate && !c.latency.is_zero()).then_some(c.latency);
        FaultPlan { latency, outcome }
    }

    fn error_response(&self) -> Response {
        let status = StatusCode::from_u16(self.config.error_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        // Not a Descope JSON body: a real 5xx usually comes from the edge, not the API.
        (
            status,
            [(header::CONTENT_TYPE, "text/plain")],
            "injected fault (descope-emulator)",
        )
            .into_response()
    }
}

/// Calls that only read, so a fault "after" them is the same as "before".
const READ_PATHS: &[&str] = &[
    "/v1/mgmt/user/search",
    "/v2/mgmt/user/search",
    "/v1/mgmt/users/load",
    "/v1/mgmt/role/search",
];

fn is_write(method: &Method, path: &str) -> bool {
    method != Method::GET && !READ_PATHS.contains(&path)
}

/// The middleware: limits, faults and the request log around every Descope API route.
pub async fn gate(State(emu): State<Emulator>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut entry = RequestLogEntry {
        method: method.to_string(),
        path: path.clone(),
        query: req.uri().query().map(str::to_owned),
        status: None,
        timestamp_ms: now_millis(),
        fault: None,
    };
    let management = path.starts_with("/v1/mgmt/") || path.starts_with("/v2/mgmt/");

    if management && let Some((rule, wait)) = emu.limiter().and_then(|l| l.check(&path)) {
        let response = rate_limited_response(wait);
        entry.status = Some(response.status().as_u16());
        entry.fault = Some(format!("rate-limited:{rule}"));
        emu.record(entry);
        return response;
    }

    let plan = match emu.faults() {
        Some(faults) if management => faults.plan(is_write(&method, &path)),
        _ => FaultPlan {
            latency: None,
            outcome: Outcome::Pass,
        },
    };
    // Several faults can hit one request: "latency+error-after".
    let mut faults: Vec<&str> = Vec::new();
    if let Some(latency) = plan.latency {
        tokio::time::sleep(latency).await;
        faults.push("latency");
    }
    let connection = req.extensions().get::<ConnectionHandle>().cloned();

    let response = match plan.outcome {
        Outcome::Pass => next.run(req).await,
        Outcome::Error { after } => {
            if after {
                let _applied = next.run(req).await;
            }
            faults.push(if after { "error-after" } else { "error-before" });
            emu.faults().map_or_else(
                || StatusCode::SERVICE_UNAVAILABLE.into_response(),
                FaultInjector::error_response,
            )
        }
        Outcome::Drop { after } => {
            if after {
                let _applied = next.run(req).await;
            }
            faults.push(if after { "drop-after" } else { "drop-before" });
            match connection {
                Some(ConnectionHandle(notify)) => {
                    entry.fault = Some(faults.join("+"));
                    emu.record(entry);
                    // The accept loop drops the connection on this signal; this future is then
                    // dropped with it, so nothing is ever written back.
                    notify.notify_one();
                    std::future::pending::<()>().await;
                    return Response::new(Body::empty());
                }
                // Served in-process (no socket to close): say so plainly instead.
                None => (
                    StatusCode::BAD_GATEWAY,
                    "dropped connection (descope-emulator served without its accept loop)",
                )
                    .into_response(),
            }
        }
    };
    entry.status = Some(response.status().as_u16());
    entry.fault = (!faults.is_empty()).then(|| faults.join("+"));
    emu.record(entry);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_exact_paths_first_then_other_management_calls() {
        let limiter = RateLimiter::new(RateLimitConfig::descope_defaults());
        let rule = |path| limiter.rule_for(path).map(|i| limiter.config.rules[i].name.as_str());
        assert_eq!(rule("/v1/mgmt/user/create"), Some("user-create"));
        assert_eq!(rule("/v1/mgmt/user/create/batch"), Some("user-create-batch"));
        assert_eq!(rule("/v2/mgmt/user/search"), Some("user-search"));
        assert_eq!(rule("/v1/mgmt/user/patch"), Some("management"));
        assert_eq!(rule("/v2/keys/P2x"), None, "JWKS is not a management call");
    }

    #[test]
    fn without_rates_nothing_is_injected_and_reads_are_never_faulted_after() {
        let quiet = FaultInjector::new(FaultConfig::default());
        assert!((0..100).all(|_| quiet.plan(true)
            == FaultPlan {
                latency: None,
                outcome: Outcome::Pass
            }));

        let after = FaultInjector::new(FaultConfig {
            error_rate: 1.0,
            timing: FaultTiming::After,
            ..FaultConfig::default()
        });
        assert_eq!(after.plan(true).outcome, Outcome::Error { after: true });
        assert_eq!(after.plan(false).outcome, Outcome::Error { after: false });
    }

    #[test]
    fn drop_and_error_rates_partition_one_draw() {
        let injector = FaultInjector::new(FaultConfig {
            error_rate: 0.3,
            drop_rate: 0.2,
            seed: 1,
            ..FaultConfig::default()
        });
        let plans: Vec<Outcome> = (0..10_000).map(|_| injector.plan(false).outcome).collect();
        let share = |o: Outcome| plans.iter().filter(|p| **p == o).count() as f64 / 10_000.0;
        assert!((share(Outcome::Drop { after: false }) - 0.2).abs() < 0.02);
        assert!((share(Outcome::Error { after: false }) - 0.3).abs() < 0.02);
    }
}
