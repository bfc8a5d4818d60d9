//! The real binary under the Lambda Runtime API stand-in, as Lambda runs it behind a function
//! URL (`AWS_LAMBDA_FUNCTION_NAME` set, as Lambda sets it): the SDK finds moto (through the
//! stand-in) by `AWS_ENDPOINT_URL`, as it would find Cognito, Secrets Manager and SSM.

use std::{process::Command, time::Duration};

use lambda_runtime_stub::{Reply, RuntimeApi, finish, function_command};
use moto_harness::{Moto, PASSWORD};
use serde_json::{Value, json};

use crate::support::{HMAC_SECRET, KEY, Stage, check, event};

/// The binary's command: Lambda's variables, `env`, and the SDK pointed at `endpoint` with test
/// credentials.
fn command(api: &RuntimeApi, endpoint: &str, env: &[(&str, String)]) -> Command {
    let mut command = function_command(env!("CARGO_BIN_EXE_password-check"), api, "password-check");
    for (name, value) in env {
        command.env(name, value);
    }
    command
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", moto_harness::REGION)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test");
    command
}

/// A check of a migrated user and an unsigned request, through the binary started by [`command`]:
/// the answers and everything the binary printed.
async fn check_and_unsigned(api: &mut RuntimeApi, endpoint: &str, env: &[(&str, String)]) -> (Vec<Value>, String) {
    let child = command(api, endpoint, env).spawn().expect("start the binary");
    let mut answers = Vec::new();
    for event in [check("ivan", PASSWORD), event(r#"{"loginId":"ivan"}"#, &[], false)] {
        match api.invoke(event, Duration::from_secs(20)).await.unwrap() {
            Reply::Response { body, .. } => answers.push(body),
            other => panic!("expected a response, got {other:?}"),
        }
    }
    (answers, finish(child, Duration::ZERO).1)
}

/// The password was checked and set, the unsigned request refused, and the password never printed.
async fn assert_set_and_refused(stage: &Stage, answers: &[Value], output: &str) {
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

/// The init error the binary started by [`command`] reports, its exit code and output.
async fn init_error(api: &mut RuntimeApi, endpoint: &str, env: &[(&str, String)]) -> (String, Option<i32>, String) {
    let child = command(api, endpoint, env).spawn().expect("start the binary");
    let reply = api.reply(Duration::from_secs(20)).await;
    let (code, output) = finish(child, Duration::from_secs(5));
    let Some(Reply::InitError { body, .. }) = reply else {
        panic!("expected an init error, got {reply:?}: {output}")
    };
    (body["errorMessage"].as_str().unwrap().to_owned(), code, output)
}

#[tokio::test]
async fn the_binary_reads_its_secrets_from_secrets_manager_and_accepts_a_signed_check() {
    // moto, as AWS Secrets Manager: the HMAC secret as a plain secret string, the management key
    // as one field of a JSON secret (the console's key/value form). The environment holds only
    // their ARNs, so the signed check passing proves the HMAC secret came from Secrets Manager,
    // and the password being set in the emulator proves the management key did.
    let stage = Stage::start().await;
    let sub = stage.cognito_user("ivan", "ivan@example.com").await;
    stage.descope.user("ivan@example.com", &sub, &stage.pool.id).await;
    let hmac = stage.secret("password-check/hmac", HMAC_SECRET).await;
    let descope = stage
        .secret("password-check/descope", &json!({"managementKey": KEY}).to_string())
        .await;

    let mut env: Vec<(&str, String)> = stage
        .env(&[])
        .into_iter()
        .filter(|(name, _)| !matches!(*name, "PASSWORD_CHECK_HMAC_SECRET" | "DESCOPE_MANAGEMENT_KEY"))
        .collect();
    env.push(("PASSWORD_CHECK_HMAC_SECRET_REF", hmac));
    env.push(("DESCOPE_MANAGEMENT_KEY_REF", format!("{descope}#managementKey")));

    let mut api = RuntimeApi::start().await.unwrap();
    let (answers, output) = check_and_unsigned(&mut api, &stage.stand_in.url, &env).await;
    assert_set_and_refused(&stage, &answers, &output).await;
    let read = output
        .lines()
        .find(|line| line.contains("secret settings read"))
        .unwrap_or_else(|| panic!("no log line of the secrets read: {output}"));
    assert!(
        read.contains("PASSWORD_CHECK_HMAC_SECRET") && read.contains("DESCOPE_MANAGEMENT_KEY"),
        "{read}"
    );
    assert!(
        !output.contains(HMAC_SECRET) && !output.contains(KEY),
        "a secret was printed: {output}"
    );
}

#[tokio::test]
async fn plaintext_secrets_run_only_when_allowed() {
    // The settings of a local run, with the flag that accepts them in a deployed function.
    let stage = Stage::start().await;
    let sub = stage.cognito_user("ivan", "ivan@example.com").await;
    stage.descope.user("ivan@example.com", &sub, &stage.pool.id).await;
    let env = stage.env(&[("ALLOW_SECRETS_IN_ENVIRONMENT", "true".to_owned())]);

    let mut api = RuntimeApi::start().await.unwrap();
    let (answers, output) = check_and_unsigned(&mut api, &stage.stand_in.url, &env).await;
    assert_set_and_refused(&stage, &answers, &output).await;

    // Without it, the same environment stops the cold start before any call.
    let env = stage.env(&[]);
    let mut api = RuntimeApi::start().await.unwrap();
    let (message, code, output) = init_error(&mut api, &stage.stand_in.url, &env).await;
    assert!(
        message.contains("PASSWORD_CHECK_HMAC_SECRET_REF") && message.contains("ALLOW_SECRETS_IN_ENVIRONMENT"),
        "{message}"
    );
    assert!(!output.contains(HMAC_SECRET), "the secret was printed: {output}");
    assert_eq!(code, Some(1), "{output}");
}

#[tokio::test]
async fn a_missing_secret_stops_the_cold_start_naming_its_reference() {
    // moto, as AWS: ResourceNotFoundException for a secret that does not exist.
    let moto = Moto::start();
    let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:password-check/none-AbCdEf";
    let env = [("PASSWORD_CHECK_HMAC_SECRET_REF", arn.to_owned())];
    let mut api = RuntimeApi::start().await.unwrap();
    let (message, code, output) = init_error(&mut api, &moto.url, &env).await;
    assert!(
        message.contains(&format!("PASSWORD_CHECK_HMAC_SECRET_REF={arn}"))
            && message.contains("ResourceNotFoundException"),
        "{message}"
    );
    assert_eq!(
        output.matches("invalid configuration").count(),
        1,
        "one log line: {output}"
    );
    assert_eq!(code, Some(1), "{output}");
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
