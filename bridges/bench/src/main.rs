//! `bridge-baseline`: the yardstick of the bridge functions' cold start and warm invocation. A
//! minimal `lambda_runtime` function built as they are built (current-thread runtime, the AWS
//! configuration from the environment with two attempts per call, one Cognito client) that makes
//! only the bare Cognito call its event describes ([`bridge_bench::CognitoCall`]) and answers
//! `{"baseline": "<what Cognito answered>"}` (`tokens`, `error:NotAuthorizedException`, ...).
//! No logging, no settings, no Descope client: whatever a function costs beyond this is its own.

use aws_config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::Client;
use bridge_bench::CognitoCall;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let aws = aws_config::from_env()
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .load()
        .await;
    let client = Client::new(&aws);
    let client = &client;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<CognitoCall>| async move {
        Ok::<_, lambda_runtime::Error>(json!({ "baseline": event.payload.send(client).await }))
    }))
    .await
}
