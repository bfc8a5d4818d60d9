//! `password-check` (deployed as `bootstrap` on provided.al2023 behind a function URL): reads its
//! secret settings from Secrets Manager or SSM Parameter Store (`NAME_REF`), then its settings,
//! and builds the Cognito and Descope clients during the init phase, then answers the Descope
//! flow's password checks. A bad setting or reference stops the cold start with one log line and
//! an init error.

use authorizer_common::{Env, state_or_exit};
use aws_config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::Client;
use lambda_runtime::{LambdaEvent, service_fn};
use password_check::{Config, FunctionUrlRequest, SECRET_SETTINGS, State};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();

    let secrets = state_or_exit(secret_settings::resolve_process_env(SECRET_SETTINGS).await).await;
    tracing::info!(from_references = ?secrets.names().collect::<Vec<_>>(), "secret settings read");
    let config = state_or_exit(Config::from_env(&Env::new(secrets.over_process_env()))).await;
    // Two attempts: a throttled check is answered `retry` quickly rather than held while the
    // user waits; the flow decides whether to call again.
    let aws = aws_config::from_env()
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .load()
        .await;
    let state = state_or_exit(State::new(config, Client::new(&aws))).await;

    let state = &state;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<FunctionUrlRequest>| async move {
        Ok::<_, lambda_runtime::Error>(state.handle(event.payload).await)
    }))
    .await
}
