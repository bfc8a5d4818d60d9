//! `appsync-authorizer` (deployed as `bootstrap` on provided.al2023): reads the settings,
//! builds the shared state and prefetches the signing keys during the init phase, then serves
//! events. A bad setting stops the cold start with one log line and an init error.

use appsync_authorizer::{Settings, State, handle};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();

    let state = match Settings::from_env().and_then(State::new) {
        Ok(state) => state,
        Err(error) => {
            let message = format!("invalid configuration: {error}");
            tracing::error!(error = %error, "invalid configuration, stopping the cold start");
            report_init_error(&message).await;
            std::process::exit(1);
        }
    };
    match state.prefetch().await {
        Ok(keys) => tracing::info!(keys, "signing keys prefetched"),
        // Not fatal: the verifier fetches again on demand after its penalty window.
        Err(error) => tracing::warn!(reason = error.kind(), error = %error, "signing keys not prefetched"),
    }

    let state = &state;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(state, event.payload).await
    }))
    .await
}

/// Tells the Lambda service why init failed (`POST /runtime/init/error`), so the failure shows
/// in the invocation's error instead of a bare timeout. Best effort: the log line is the record.
async fn report_init_error(message: &str) {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return;
    };
    let diagnostic = Diagnostic {
        error_type: "Runtime.ConfigError".to_owned(),
        error_message: message.to_owned(),
    };
    let sent = reqwest::Client::new()
        .post(format!("http://{api}/2018-06-01/runtime/init/error"))
        .header("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigError")
        .json(&diagnostic)
        .send()
        .await;
    if let Err(error) = sent {
        tracing::error!(error = %error, "could not report the init error to the Runtime API");
    }
}
