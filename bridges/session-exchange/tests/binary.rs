//! The real binary under the Lambda Runtime API stand-in, as Lambda runs it behind a function
//! URL: the SDK finds moto (Cognito through the stand-in, DynamoDB) by `AWS_ENDPOINT_URL_*`.

use std::time::Duration;

use lambda_runtime_stub::{Reply, RuntimeApi, finish, function_command};
use serde_json::{Value, json};

use crate::support::{Stage, exchange};

#[tokio::test]
async fn the_binary_exchanges_a_session_and_never_prints_a_token() {
    let stage = Stage::start().await;
    let (refresh, user_id) = stage.migrated("eli").await;

    let mut api = RuntimeApi::start().await.unwrap();
    // The management key comes from moto's Secrets Manager, as deployed.
    let key_arn = moto_harness::create_secret(&stage.moto.url, "session-exchange/key", crate::support::KEY).await;
    let mut command = function_command(env!("CARGO_BIN_EXE_session-exchange"), &api, "session-exchange");
    for (name, value) in stage.env(&[]) {
        if name != "DESCOPE_MANAGEMENT_KEY" {
            command.env(name, value);
        }
    }
    command
        .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &stage.stand_in.url)
        .env("AWS_ENDPOINT_URL_DYNAMODB", &stage.moto.url)
        .env("AWS_ENDPOINT_URL_SECRETS_MANAGER", &stage.moto.url)
        .env("DESCOPE_MANAGEMENT_KEY_REF", &key_arn)
        .env("AWS_REGION", moto_harness::REGION)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test");
    let child = command.spawn().expect("start the binary");

    let mut answers = Vec::new();
    for _ in 0..2 {
        match api
            .invoke(exchange(&refresh, &stage.client_id), Duration::from_secs(20))
            .await
            .unwrap()
        {
            Reply::Response { body, .. } => answers.push(body),
            other => panic!("expected a response, got {other:?}"),
        }
    }
    let output = finish(child, Duration::ZERO).1;

    let inner = |answer: &Value| serde_json::from_str::<Value>(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(answers[0]["statusCode"], 200, "{output}");
    let session = inner(&answers[0]);
    assert_eq!(session["user"]["userId"], user_id.as_str());
    assert_eq!(answers[1]["statusCode"], 409);
    assert_eq!(inner(&answers[1]), json!({"error": "already_used"}));
    assert!(output.contains("\"outcome\":\"exchanged\""), "{output}");
    assert!(output.contains("secret settings read"), "{output}");
    for secret in [
        refresh.as_str(),
        session["sessionJwt"].as_str().unwrap(),
        session["refreshJwt"].as_str().unwrap(),
    ] {
        assert!(!output.contains(secret), "a token was printed: {output}");
    }
}

#[tokio::test]
async fn a_missing_setting_stops_the_cold_start_naming_it() {
    let mut api = RuntimeApi::start().await.unwrap();
    let child = function_command(env!("CARGO_BIN_EXE_session-exchange"), &api, "session-exchange")
        .spawn()
        .expect("start the binary");
    let reply = api.reply(Duration::from_secs(20)).await;
    let (code, output) = finish(child, Duration::from_secs(5));
    let Some(Reply::InitError { body, .. }) = reply else {
        panic!("expected an init error, got {reply:?}: {output}")
    };
    assert!(
        body["errorMessage"].as_str().unwrap().contains("COGNITO_USER_POOL_ID"),
        "{body}"
    );
    assert_eq!(code, Some(1), "{output}");
}
