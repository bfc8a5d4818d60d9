//! `appsync-authorizer` (deployed as `bootstrap` on provided.al2023): reads the settings,
//! builds the shared state and prefetches the signing keys during the init phase, then serves
//! events. A bad setting stops the cold start with one log line and an init error.

use appsync_authorizer::{Settings, State, handle};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();

    let state = authorizer_common::state_or_exit(Settings::from_env().and_then(State::new)).await;
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
