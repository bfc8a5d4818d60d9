//! The Lambda process around a function: settings refused at cold start end the process with
//! one log line and a Runtime API init error; an authorizer's state is built once, its keys
//! prefetched during the init phase, then events are served.

use std::fmt::Display;

/// The function's state, or, when the settings are refused, one ERROR log line, an init error
/// posted to the Lambda Runtime API (so the failure shows on the invocation instead of a bare
/// timeout) and exit code 1.
pub async fn state_or_exit<S, E: Display>(state: Result<S, E>) -> S {
    match state {
        Ok(state) => state,
        Err(error) => {
            let message = format!("invalid configuration: {error}");
            tracing::error!(error = %error, "invalid configuration, stopping the cold start");
            report_init_error(&message).await;
            std::process::exit(1);
        }
    }
}

/// `POST /runtime/init/error` (lambda_runtime 1.5 has no public API for it). Best effort: the
/// log line is the record.
pub async fn report_init_error(message: &str) {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return;
    };
    let diagnostic = lambda_runtime::Diagnostic {
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

/// A Lambda authorizer: built once from the environment, then answering events (feature
/// `identity`). Tests and benchmarks build one from a map and fix its clock.
#[cfg(feature = "identity")]
pub trait Authorizer: Sized {
    /// The error the Runtime API reports for an invocation (API Gateway's `Unauthorized`).
    type Error: Into<lambda_runtime::Diagnostic> + std::fmt::Debug;

    /// The state, from settings read through `lookup` (empty values count as unset).
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, crate::settings::ConfigError>;

    /// The caller side of the state.
    fn identity(&self) -> &crate::identity::Identity;

    /// Answers one event.
    fn handle(&self, event: serde_json::Value) -> impl Future<Output = Result<serde_json::Value, Self::Error>>;

    /// The state, from the process environment.
    fn from_env() -> Result<Self, crate::settings::ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Verifies tokens (and computes cache lifetimes) against this clock, seconds since the epoch,
    /// instead of the system's: for tests and benchmarks with tokens minted at fixed times.
    #[must_use]
    fn with_fixed_clock(self, now: i64) -> Self {
        self.identity().fix_clock(now);
        self
    }

    /// Fetches the signing keys (call during the Lambda init phase).
    fn prefetch(&self) -> impl Future<Output = Result<usize, descope_jwt::VerifyError>> {
        self.identity().prefetch()
    }
}

/// An authorizer's whole process: a current-thread tokio runtime, then [`serve`]. Lambda hands a
/// function one event at a time, so worker threads would only add start-up work (and at 128 MB a
/// function has a fraction of one vCPU to share among them).
#[cfg(feature = "identity")]
pub fn run<A: Authorizer>() -> Result<(), lambda_runtime::Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(serve::<A>())
}

/// The whole `main` of an authorizer, inside a runtime: JSON logs, the state (or a refused cold start), the signing
/// keys prefetched, then events served until the runtime stops the process, each with its X-Ray
/// trace header for the decision line.
#[cfg(feature = "identity")]
pub async fn serve<A: Authorizer>() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let state = state_or_exit(A::from_env()).await;
    match state.identity().prefetch().await {
        Ok(keys) => tracing::info!(keys, "signing keys prefetched"),
        // Not fatal: the verifier fetches again on demand after its penalty window.
        Err(error) => tracing::warn!(reason = error.kind(), error = %error, "signing keys not prefetched"),
    }
    let state = &state;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let (payload, context) = event.into_parts();
            crate::decision::with_xray_trace(context.xray_trace_id, state.handle(payload)).await
        },
    ))
    .await
}
