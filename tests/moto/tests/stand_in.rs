//! The stand-in in front of moto: it forwards, injects the errors Cognito answers under load in the
//! form the AWS SDK reads them, picks the same requests for the same seed, lets a hook answer one
//! operation, and records every attempt.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::{
    Client,
    config::{BehaviorVersion, Credentials, Region},
    error::ProvideErrorMetadata as _,
};
use moto_harness::{Answer, Canned, Fault, Moto, REGION, StandIn, UserPool, stand_in::target};
use serde_json::json;

/// A client without retries, so each call is exactly one request to the stand-in.
fn one_attempt_client(url: &str) -> Client {
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .endpoint_url(url)
        .retry_config(aws_sdk_cognitoidentityprovider::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_faults_it_forwards_to_moto_and_records_each_call() {
    let moto = Moto::start();
    let stand_in = StandIn::builder(&moto.url).start();
    let pool = UserPool::create(&moto, "forwarded").await;
    pool.group("admins").await;

    let client = one_attempt_client(&stand_in.url);
    let out = client.list_groups().user_pool_id(&pool.id).send().await.unwrap();
    assert_eq!(out.groups().len(), 1);
    let missing = client
        .describe_user_pool()
        .user_pool_id("us-east-1_Missing0")
        .send()
        .await
        .unwrap_err();
    // moto's own errors come through unchanged.
    assert_eq!(missing.code(), Some("ResourceNotFoundException"));

    let requests = stand_in.requests();
    let seen: Vec<(&str, Answer)> = requests.iter().map(|r| (r.target.as_str(), r.answer)).collect();
    assert_eq!(
        seen,
        [
            (target("ListGroups").as_str(), Answer::Forwarded(200)),
            (target("DescribeUserPool").as_str(), Answer::Forwarded(400)),
        ]
    );
    assert_eq!(stand_in.attempts("ListGroups"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_errors_read_as_cognito_errors_to_the_sdk() {
    let moto = Moto::start();
    let pool = UserPool::create(&moto, "faults").await;
    for (fault, code, status) in [
        (Fault::TooManyRequests, Some("TooManyRequestsException"), 400),
        (Fault::InternalError, Some("InternalErrorException"), 500),
        (Fault::ServiceUnavailable, None, 503),
    ] {
        let stand_in = StandIn::builder(&moto.url).fault(fault, 1.0).start();
        let err = one_attempt_client(&stand_in.url)
            .list_users()
            .user_pool_id(&pool.id)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err.raw_response().map(|r| r.status().as_u16()),
            Some(status),
            "{fault:?}"
        );
        if let Some(code) = code {
            assert_eq!(err.code(), Some(code), "{fault:?}");
        }
        assert_eq!(stand_in.faults(fault), 1);
    }
    let throttled = Fault::TooManyRequests.canned();
    let body: serde_json::Value = serde_json::from_slice(&throttled.body).unwrap();
    assert_eq!(
        body,
        json!({"__type": "TooManyRequestsException", "message": "Rate exceeded"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_picks_the_same_share_of_requests_every_time() {
    let moto = Moto::start();
    let pool = UserPool::create(&moto, "seeded").await;
    let mut runs = Vec::new();
    for _ in 0..2 {
        let stand_in = StandIn::builder(&moto.url)
            .fault(Fault::TooManyRequests, 0.3)
            .fault(Fault::InternalError, 0.1)
            .seed(42)
            .start();
        let client = one_attempt_client(&stand_in.url);
        for _ in 0..100 {
            let _ = client.list_users().user_pool_id(&pool.id).send().await;
        }
        runs.push(stand_in.requests().iter().map(|r| r.answer).collect::<Vec<_>>());
    }
    assert_eq!(runs[0], runs[1], "same seed, same answers");
    let throttled = runs[0]
        .iter()
        .filter(|a| **a == Answer::Fault(Fault::TooManyRequests))
        .count();
    let internal = runs[0]
        .iter()
        .filter(|a| **a == Answer::Fault(Fault::InternalError))
        .count();
    assert!(
        (20..=40).contains(&throttled),
        "{throttled} of 100 throttled for a 30 % share"
    );
    assert!(
        (3..=20).contains(&internal),
        "{internal} of 100 internal errors for a 10 % share"
    );
    assert_eq!(
        runs[0].len() - throttled - internal,
        runs[0].iter().filter(|a| **a == Answer::Forwarded(200)).count()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_answers_one_operation_and_leaves_the_others_to_moto() {
    let moto = Moto::start();
    let pool = UserPool::create(&moto, "hooked").await;
    let stand_in = StandIn::builder(&moto.url)
        .on("ListGroups", |call| {
            let input: serde_json::Value = serde_json::from_slice(call.body).ok()?;
            // Only the second page is canned; the first goes to moto.
            input.get("NextToken")?;
            Some(Canned::json(&json!({"Groups": [{"GroupName": "canned"}]})))
        })
        .start();
    let client = one_attempt_client(&stand_in.url);
    let first = client.list_groups().user_pool_id(&pool.id).send().await.unwrap();
    assert!(first.groups().is_empty());
    let second = client
        .list_groups()
        .user_pool_id(&pool.id)
        .next_token("page-2")
        .send()
        .await
        .unwrap();
    assert_eq!(second.groups()[0].group_name(), Some("canned"));
    let answers: Vec<Answer> = stand_in.requests().iter().map(|r| r.answer).collect();
    assert_eq!(answers, [Answer::Forwarded(200), Answer::Hook(200)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_peak_rate_counts_requests_within_any_window() {
    let moto = Moto::start();
    let pool = UserPool::create(&moto, "paced").await;
    let stand_in = StandIn::builder(&moto.url).start();
    let client = one_attempt_client(&stand_in.url);
    // Three quick calls, a pause longer than the window, two more.
    for _ in 0..3 {
        client.list_users().user_pool_id(&pool.id).send().await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    for _ in 0..2 {
        client.list_users().user_pool_id(&pool.id).send().await.unwrap();
    }
    assert_eq!(stand_in.max_in_window(Duration::from_millis(500)), 3);
    assert_eq!(stand_in.max_in_window(Duration::from_secs(10)), 5);
}
