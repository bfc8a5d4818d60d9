//! `presignup-linker` (deployed as `bootstrap` on provided.al2023): reads its one setting and
//! builds the Cognito client during the init phase, then serves pre sign-up events. A bad setting
//! stops the cold start with one log line and an init error.

use authorizer_common::Env;
use aws_sdk_cognitoidentityprovider::Client;
use lambda_runtime::{LambdaEvent, service_fn};
use presignup_linker::{Config, cognito::CognitoDirectory, handle};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();

    let config = authorizer_common::state_or_exit(Config::from_env(&Env::process())).await;
    let aws = aws_config::load_from_env().await;
    let directory = CognitoDirectory::new(Client::new(&aws));

    let (config, directory) = (&config, &directory);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(config, directory, event.payload).await
    }))
    .await
}
