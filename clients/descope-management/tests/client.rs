//! The transport: retries, 429 waits, the stop switch, pacing, the key.

use std::time::{Duration, Instant};

use descope_management::{CallStats, DescopeError, Outage, RetryPolicy};
use serde_json::{Value, json};

use crate::support::{KEY, PROJECT_ID, Reply, Scripted, Switch, client, ok, quick, rate_limited, status};

#[tokio::test]
async fn a_429_waits_its_retry_after_then_the_call_goes_through() {
    let server = Scripted::start([rate_limited("1"), ok(json!({"roles": [{"name": "admin"}]}))]).await;
    let descope = client(&server, quick(3));
    let roles = descope.roles().await.unwrap();
    assert_eq!(roles[0].name, "admin");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let waited = seen[1].at - seen[0].at;
    assert!(waited >= Duration::from_millis(990), "waited {waited:?}");
    assert_eq!(
        descope.stats(),
        CallStats {
            calls: 1,
            requests: 2,
            rate_limited: 1,
            retried: 0
        }
    );
}

#[tokio::test]
async fn a_429_pauses_every_other_call_of_the_client() {
    let server = Scripted::start([rate_limited("1")]).await;
    let descope = std::sync::Arc::new(client(&server, quick(3)));
    let first = tokio::spawn({
        let descope = std::sync::Arc::clone(&descope);
        async move { descope.tenants().await }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while descope.stats().rate_limited == 0 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    descope.roles().await.unwrap();
    first.await.unwrap().unwrap();
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    for later in &seen[1..] {
        let waited = later.at - seen[0].at;
        assert!(waited >= Duration::from_millis(990), "{} after {waited:?}", later.path);
    }
}

#[tokio::test]
async fn rate_limit_waits_are_bounded_and_do_not_count_as_an_outage() {
    let server = Scripted::start(std::iter::repeat_n(rate_limited("0"), 10)).await;
    let switch = Switch::new();
    let policy = RetryPolicy {
        max_rate_limit_waits: 2,
        ..quick(3)
    };
    let descope = client(&server, policy).with_stop_switch(switch.clone(), 1);
    let e = descope.roles().await.unwrap_err();
    assert!(
        matches!(&e, DescopeError::Exhausted { attempts: 3, last, .. } if last.contains("429")),
        "{e}"
    );
    assert_eq!(server.seen().len(), 3);
    assert_eq!(switch.outages(), [], "Descope answers: it is not down");
}

#[tokio::test]
async fn server_errors_and_dropped_connections_are_retried() {
    let server = Scripted::start([
        status(503),
        Reply::Drop,
        status(500),
        ok(json!({"tenants": [{"id": "t1", "name": "T"}]})),
    ])
    .await;
    let descope = client(&server, quick(4));
    let tenants = descope.tenants().await.unwrap();
    assert_eq!(tenants[0].id, "t1");
    assert_eq!(server.seen().len(), 4);
    assert_eq!(descope.stats().retried, 3);
}

#[tokio::test]
async fn retries_run_out_after_max_attempts_naming_the_last_failure() {
    let server = Scripted::start(std::iter::repeat_n(status(502), 10)).await;
    let descope = client(&server, quick(3));
    let e = descope.roles().await.unwrap_err();
    assert!(
        matches!(&e, DescopeError::Exhausted { path, attempts: 3, last } if path == "/v1/mgmt/role/all" && last.contains("502")),
        "{e}"
    );
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn other_4xx_are_returned_at_once_with_descopes_error() {
    let body = r#"{"errorCode":"E062107","errorDescription":"User already exists","errorMessage":"ana"}"#;
    let server = Scripted::start([Reply::Http(409, Vec::new(), body.to_owned())]).await;
    let descope = client(&server, quick(5));
    let e = descope.delete_user("ana").await.unwrap_err();
    match e {
        DescopeError::Api {
            path,
            status,
            code,
            message,
        } => {
            assert_eq!(path, "/v1/mgmt/user/delete");
            assert_eq!(status, 409);
            assert_eq!(code, descope_management::USER_EXISTS);
            assert_eq!(message, "User already exists: ana");
        }
        other => panic!("{other}"),
    }
    assert_eq!(server.seen().len(), 1, "not retried");
}

#[tokio::test]
async fn refused_credentials_are_not_retried_and_stop_every_later_call() {
    let server = Scripted::start([status(401)]).await;
    let switch = Switch::new();
    let descope = client(&server, quick(5)).with_stop_switch(switch.clone(), 0);
    let e = descope.roles().await.unwrap_err();
    assert!(matches!(e, DescopeError::Unauthorized { status: 401 }), "{e}");
    assert_eq!(switch.outages(), [Outage::CredentialsRefused { status: 401 }]);
    let e = descope.tenants().await.unwrap_err();
    assert!(
        matches!(&e, DescopeError::Aborted { reason } if reason.contains("refused the credentials")),
        "{e}"
    );
    assert_eq!(server.seen().len(), 1, "nothing sent after the refusal");
}

#[tokio::test]
async fn consecutive_failures_report_an_outage_and_any_answer_resets_the_count() {
    let server = Scripted::start([
        status(503),
        ok(json!({})),
        status(503),
        Reply::Http(400, Vec::new(), "{}".to_owned()),
        status(503),
        status(503),
    ])
    .await;
    let switch = Switch::new();
    let descope = client(&server, quick(1)).with_stop_switch(switch.clone(), 2);
    assert!(descope.roles().await.is_err());
    assert!(descope.roles().await.is_ok());
    assert!(descope.roles().await.is_err());
    assert!(matches!(
        descope.roles().await,
        Err(DescopeError::Api { status: 400, .. })
    ));
    assert!(descope.roles().await.is_err());
    assert_eq!(switch.outages(), [], "no two failures in a row yet");
    assert!(descope.roles().await.is_err());
    let outages = switch.outages();
    assert!(
        matches!(&outages[..], [Outage::Unavailable { failures: 2, attempts: 1, last, .. }] if last.contains("503")),
        "{outages:?}"
    );
    assert!(matches!(descope.roles().await, Err(DescopeError::Aborted { .. })));
    assert_eq!(server.seen().len(), 6);
}

#[tokio::test]
async fn a_stop_ends_a_call_waiting_in_flight() {
    let server = Scripted::start([rate_limited("30")]).await;
    let switch = Switch::new();
    let descope = client(&server, quick(3)).with_stop_switch(switch.clone(), 0);
    let call = tokio::spawn(async move { descope.roles().await });
    server.wait_for(1).await;
    let stopped = Instant::now();
    switch.trip("interrupted by SIGINT");
    let e = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("the wait ended")
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(&e, DescopeError::Aborted { reason } if reason == "interrupted by SIGINT"),
        "{e}"
    );
    assert_eq!(e.to_string(), "not sent: the run is stopping (interrupted by SIGINT)");
    assert!(stopped.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_documented_limit_is_paced_on_the_client_side() {
    let server = Scripted::start([]).await;
    // Create/batch: 100 calls per 60 s, time-scaled to 100 per second.
    let policy = RetryPolicy {
        rate_multiplier: 60.0,
        ..quick(1)
    };
    let descope = client(&server, policy);
    for _ in 0..101 {
        descope.create_users(&[]).await.unwrap();
    }
    let seen = server.seen();
    let spread = seen[100].at - seen[0].at;
    assert!(spread >= Duration::from_secs(1), "101 calls within {spread:?}");
    // A path without a documented limit is not paced.
    let started = Instant::now();
    for _ in 0..150 {
        descope.roles().await.unwrap();
    }
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(descope.stats().rate_limited, 0);
}

#[tokio::test]
async fn the_key_goes_only_into_the_authorization_header() {
    let server = Scripted::start([status(500), status(401)]).await;
    let descope = client(&server, quick(2));
    let e = descope.roles().await.unwrap_err();
    let seen = server.seen();
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {PROJECT_ID}:{KEY}").as_str())
    );
    assert!(
        seen[0]
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("descope-management/"))
    );
    for shown in [
        format!("{descope:?}"),
        format!("{descope:#?}"),
        e.to_string(),
        format!("{e:?}"),
    ] {
        assert!(!shown.contains(KEY), "{shown}");
    }
    let named = crate::support::client(&server, quick(1)).with_user_agent("jit-password/1.0");
    named.roles().await.unwrap();
    assert_eq!(server.seen()[2].header("user-agent"), Some("jit-password/1.0"));
}

#[tokio::test]
async fn an_answer_that_is_not_the_documented_body_is_a_bad_response() {
    let server = Scripted::start([
        Reply::Http(200, Vec::new(), "<html>".to_owned()),
        Reply::Http(200, Vec::new(), " \n".to_owned()),
    ])
    .await;
    let descope = client(&server, quick(3));
    let e = descope.roles().await.unwrap_err();
    assert!(
        matches!(&e, DescopeError::BadResponse { path, .. } if path == "/v1/mgmt/role/all"),
        "{e}"
    );
    // An empty 200 reads as `{}`: Descope answers some calls so.
    assert_eq!(descope.get::<Value>("/v1/mgmt/role/all").await.unwrap(), json!({}));
    assert_eq!(server.seen().len(), 2, "not retried");
}
