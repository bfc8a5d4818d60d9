//! The real binary under the Lambda Runtime API stand-in, as Lambda runs it behind a function
//! URL: the SDK finds moto (through the stand-in) by `AWS_ENDPOINT_URL`, as it would find Cognito.

use std::time::Duration;

use lambda_runtime_stub::{Reply, RuntimeApi, finish, function_command};
use moto_harness::PASSWORD;
use serde_json::{Value, json};

use crate::support::{Stage, check, event};

#[tokio::test]
async fn the_binary_sets_a_checked_password_and_never_prints_it() {
    let stage = Stage::start().await;
    let sub = stage.cognito_user("ivan", "ivan@example.com").await;
    stage.descope.user("ivan@example.com", &sub, &stage.pool.id).await;

    let mut api = RuntimeApi::start().await.unwrap();
    let mut command = function_command(env!("CARGO_BIN_EXE_password-check"), &api, "password-check");
    for (name, value) in stage.env(&[]) {
        command.env(name, value);
    }
    command
        .env("AWS_ENDPOINT_URL", &stage.stand_in.url)
        .env("AWS_REGION", moto_harness::REGION)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test");
    let child = command.spawn().expect("start the binary");

    let mut answers = Vec::new();
    for event in [check("ivan", PASSWORD), event(r#"{"loginId":"ivan"}"#, &[], false)] {
        match api.invoke(event, Duration::from_secs(20)).await.unwrap() {
            Reply::Response { body, .. } => answers.push(body),
            other => panic!("expected a response, got {other:?}"),
        }
    }
    let output = finish(child, Duration::ZERO).1;

    let inner = |answer: &Value| serde_json::from_str::<Value>(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(answers[0]["statusCode"], 200);
    assert_eq!(answers[0]["headers"]["content-type"], "application/json");
    assert_eq!(inner(&answers[0]), json!({"outcome": "set"}));
    assert_eq!(answers[1]["statusCode"], 401);
    assert_eq!(inner(&answers[1]), json!({"error": "unauthorized"}));
    assert_eq!(stage.descope.sign_in("ivan@example.com", PASSWORD).await, 200);
    assert!(output.contains("\"outcome\":\"set\""), "{output}");
    assert!(!output.contains(PASSWORD), "the password was printed: {output}");
}

#[tokio::test]
async fn a_missing_setting_stops_the_cold_start_naming_it() {
    let mut api = RuntimeApi::start().await.unwrap();
    let child = function_command(env!("CARGO_BIN_EXE_password-check"), &api, "password-check")
        .spawn()
        .expect("start the binary");
    let reply = api.reply(Duration::from_secs(20)).await;
    let (code, output) = finish(child, Duration::from_secs(5));
    let Some(Reply::InitError { body, .. }) = reply else {
        panic!("expected an init error, got {reply:?}: {output}")
    };
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("PASSWORD_CHECK_HMAC_SECRET"),
        "{body}"
    );
    assert_eq!(code, Some(1), "{output}");
}
