//! Behaviour under load and faults: Descope's rate limits with a time scale, injected 5xx,
//! dropped connections and latency, replayable from a seed.

use std::time::{Duration, Instant};

use crate::common::{Harness, KEY, PROJECT, start_with};
use descope_emulator::{EmulatorConfig, FaultConfig, FaultTiming, RateLimitConfig, RateLimitRule, RuleScope};
use serde_json::{Value, json};

fn config() -> EmulatorConfig {
    EmulatorConfig::new(PROJECT, KEY)
}

fn faults(f: impl FnOnce(&mut FaultConfig)) -> EmulatorConfig {
    let mut faults = FaultConfig::default();
    f(&mut faults);
    config().faults(faults)
}

/// Status of a raw request, or `None` when the connection closed without a response.
async fn raw_status(h: &Harness, path: &str, body: Value) -> Option<u16> {
    let resp = h
        .http
        .post(h.url(path))
        .header("Authorization", format!("Bearer {PROJECT}:{KEY}"))
        .json(&body)
        .send()
        .await;
    match resp {
        Ok(r) => Some(r.status().as_u16()),
        Err(e) => {
            assert!(
                e.is_request() || e.is_connect() || e.is_body(),
                "unexpected client error: {e:?}"
            );
            None
        }
    }
}

/// Descope's documented limits, 6x faster: a 60 s window lasts 10 s, long enough that counting
/// never races the clock on a slow machine.
fn descope_limits() -> EmulatorConfig {
    config().rate_limits(RateLimitConfig::descope_defaults().with_time_scale(6.0))
}

#[tokio::test]
async fn create_is_limited_to_100_per_minute_with_retry_after() {
    let h = start_with(descope_limits()).await;
    for i in 0..100 {
        h.post("/v1/mgmt/user/create", json!({"loginId": format!("u{i}")}))
            .await
            .ok();
    }
    let limited = h.post("/v1/mgmt/user/create", json!({"loginId": "one-too-many"})).await;
    limited.error(429, "E130429");
    assert_eq!(limited.headers["retry-after"], "10", "60 s backoff at time scale 6");
    assert_eq!(h.emulator().user_count(), 100, "a refused create is not applied");
    // Still blocked during the backoff.
    h.post("/v1/mgmt/user/create", json!({"loginId": "still"}))
        .await
        .error(429, "E130429");

    // create/batch, search and the rest have their own buckets.
    h.post("/v1/mgmt/user/create/batch", json!({"users": [{"loginId": "batch"}]}))
        .await
        .ok();
    h.post("/v2/mgmt/user/search", json!({})).await.ok();
    h.get("/v1/mgmt/role/all").await.ok();

    let log = h.emulator().request_log();
    let limited: Vec<_> = log.iter().filter(|e| e.status == Some(429)).collect();
    assert_eq!(limited.len(), 2);
    assert_eq!(limited[0].fault.as_deref(), Some("rate-limited:user-create"));
}

#[tokio::test]
async fn update_and_search_allow_200_per_window() {
    let h = start_with(descope_limits()).await;
    h.create_user(json!({"loginId": "u"})).await;
    for _ in 0..200 {
        h.post("/v1/mgmt/user/update", json!({"loginId": "u"})).await.ok();
    }
    h.post("/v1/mgmt/user/update", json!({"loginId": "u"}))
        .await
        .error(429, "E130429");
    // v1 and v2 search share one bucket (the docs name only the v1 path).
    for i in 0..200 {
        let path = if i % 2 == 0 {
            "/v1/mgmt/user/search"
        } else {
            "/v2/mgmt/user/search"
        };
        h.post(path, json!({})).await.ok();
    }
    h.post("/v2/mgmt/user/search", json!({})).await.error(429, "E130429");
}

#[tokio::test]
async fn after_the_backoff_requests_pass_again() {
    // Two creates per minute, 60x faster: window and backoff last one real second.
    let limits = RateLimitConfig {
        rules: vec![RateLimitRule {
            name: "tiny".to_owned(),
            scope: RuleScope::Paths(vec!["/v1/mgmt/user/create".to_owned()]),
            limit: 2,
            window: Duration::from_secs(60),
            backoff: Duration::from_secs(60),
        }],
        time_scale: 60.0,
    };
    let h = start_with(config().rate_limits(limits)).await;
    h.create_user(json!({"loginId": "a"})).await;
    h.create_user(json!({"loginId": "b"})).await;
    let limited = h.post("/v1/mgmt/user/create", json!({"loginId": "c"})).await;
    limited.error(429, "E130429");
    assert_eq!(limited.headers["retry-after"], "1");
    let wait_ms: u64 = limited.headers["x-emulator-retry-after-ms"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((900..=1000).contains(&wait_ms), "{wait_ms}");
    tokio::time::sleep(Duration::from_millis(wait_ms)).await;
    h.create_user(json!({"loginId": "c"})).await;
}

#[tokio::test]
async fn rate_limits_are_off_by_default() {
    let h = start_with(config()).await;
    for i in 0..150 {
        h.post("/v1/mgmt/user/create", json!({"loginId": format!("u{i}")}))
            .await
            .ok();
    }
}

#[tokio::test]
async fn injected_errors_before_a_write_leave_nothing_behind() {
    let h = start_with(faults(|f| {
        f.error_rate = 1.0;
        f.timing = FaultTiming::Before;
    }))
    .await;
    let answer = h.post("/v1/mgmt/user/create", json!({"loginId": "ghost"})).await;
    assert_eq!(answer.status.as_u16(), 503);
    assert_eq!(answer.body, Value::Null, "an edge 5xx, not a Descope JSON error");
    assert_eq!(h.emulator().user_count(), 0);
    assert_eq!(h.emulator().request_log()[0].fault.as_deref(), Some("error-before"));
}

#[tokio::test]
async fn injected_errors_after_a_write_hide_that_it_was_applied() {
    let h = start_with(faults(|f| {
        f.error_rate = 1.0;
        f.error_status = 500;
        f.timing = FaultTiming::After;
    }))
    .await;
    let answer = h
        .post("/v1/mgmt/user/create", json!({"loginId": "created-anyway"}))
        .await;
    assert_eq!(answer.status.as_u16(), 500);
    assert_eq!(
        h.emulator().user_count(),
        1,
        "the client saw a failure but the user exists"
    );
    assert_eq!(h.emulator().request_log()[0].fault.as_deref(), Some("error-after"));
}

#[tokio::test]
async fn dropped_connections_close_without_a_response_before_or_after_the_write() {
    for (timing, users_after) in [(FaultTiming::Before, 0), (FaultTiming::After, 1)] {
        let h = start_with(faults(|f| {
            f.drop_rate = 1.0;
            f.timing = timing;
        }))
        .await;
        let status = raw_status(&h, "/v1/mgmt/user/create", json!({"loginId": "dropped"})).await;
        assert_eq!(status, None, "{timing:?}: no HTTP response at all");
        assert_eq!(h.emulator().user_count(), users_after, "{timing:?}");
        let entry = &h.emulator().request_log()[0];
        assert_eq!(entry.status, None);
        let expected = if users_after == 0 { "drop-before" } else { "drop-after" };
        assert_eq!(entry.fault.as_deref(), Some(expected));
    }
}

#[tokio::test]
async fn a_dropped_connection_is_really_closed_at_the_tcp_level() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let h = start_with(faults(|f| f.drop_rate = 1.0)).await;
    let mut stream = tokio::net::TcpStream::connect(h.running.addr).await.unwrap();
    let request = format!("GET /v1/mgmt/role/all HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {PROJECT}:{KEY}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    // EOF (or a reset) with not a single byte of HTTP.
    assert!(read.is_ok(), "connection left open");
    assert!(buf.is_empty(), "got {:?}", String::from_utf8_lossy(&buf));
}

#[tokio::test]
async fn latency_is_added_to_management_calls() {
    let h = start_with(faults(|f| {
        f.latency_rate = 1.0;
        f.latency = Duration::from_millis(150);
    }))
    .await;
    let started = Instant::now();
    h.get("/v1/mgmt/role/all").await.ok();
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(h.emulator().request_log()[0].fault.as_deref(), Some("latency"));
}

#[tokio::test]
async fn faults_spare_keys_and_test_endpoints() {
    let h = start_with(faults(|f| f.error_rate = 1.0)).await;
    h.send(reqwest::Method::GET, &format!("/v2/keys/{PROJECT}"), Value::Null, None)
        .await
        .ok();
    h.send(reqwest::Method::GET, "/emulator/state", Value::Null, None)
        .await
        .ok();
}

/// Outcomes of the same 40 calls: status, or 0 for a dropped connection.
async fn fault_sequence(seed: u64) -> Vec<u16> {
    let h = start_with(faults(|f| {
        f.error_rate = 0.25;
        f.drop_rate = 0.15;
        f.timing = FaultTiming::Random;
        f.seed = seed;
    }))
    .await;
    let mut outcomes = Vec::new();
    for i in 0..40 {
        let status = raw_status(&h, "/v1/mgmt/user/create", json!({"loginId": format!("u{i}")})).await;
        outcomes.push(status.unwrap_or(0));
    }
    outcomes
}

#[tokio::test]
async fn a_seed_replays_the_same_fault_sequence() {
    let first = fault_sequence(7).await;
    assert_eq!(first, fault_sequence(7).await);
    assert_ne!(first, fault_sequence(8).await);
    for status in [200, 503, 0] {
        assert!(first.contains(&status), "{status} missing from {first:?}");
    }
}
