//! `timed-authorizer`: what the authorizers' `main` does (logging, settings, state, prefetch, then
//! `handle` for each event), through their public API, with each step timed on stderr as
//! `baseline-lambda` times its own (`BASELINE_TIMINGS=1`). `TIMED_FUNCTION` picks `apigateway`
//! or `appsync`. The benchmark starts it beside the real binaries, so the breakdown of their cold
//! start is measured on the same code path; its total must match theirs for the breakdown to hold.

mod timings;

use std::time::Instant;

use anyhow::{Context, anyhow};
use authorizer_common::Authorizer as _;
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use timings::Timings;

fn main() -> Result<(), lambda_runtime::Error> {
    let mut timings = Timings::start();
    // What `authorizer_common::run` builds.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    timings.step("tokio runtime");
    match std::env::var("TIMED_FUNCTION").as_deref() {
        Ok("apigateway") => runtime.block_on(apigateway(timings)),
        Ok("appsync") => runtime.block_on(appsync(timings)),
        other => Err(anyhow!("TIMED_FUNCTION={other:?}: expected apigateway or appsync").into()),
    }
}

/// The body of both functions' `main`: the same steps, in the same order, for `$function`.
macro_rules! serve {
    ($function:ident, $timings:ident) => {{
        use $function::{Settings, State, handle};
        lambda_runtime::tracing::init_default_subscriber();
        $timings.step("logging");
        let settings = Settings::from_lookup(|name| std::env::var(name).ok()).context("settings")?;
        $timings.step("settings (policy parse included)");
        let state = State::new(settings).context("state")?;
        $timings.step("State::new (HTTP client, verifier)");
        let keys = state.prefetch().await.context("prefetch")?;
        $timings.step("prefetch");
        tracing::info!(keys, "signing keys prefetched");
        $timings.step("first log line");
        let (state, timings) = (&state, &$timings);
        lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
            let started = Instant::now();
            let (payload, context) = event.into_parts();
            let answer = authorizer_common::with_xray_trace(context.xray_trace_id, handle(state, payload)).await;
            timings.report("handle", started.elapsed());
            answer
        }))
        .await
    }};
}

async fn apigateway(mut timings: Timings) -> Result<(), lambda_runtime::Error> {
    serve!(apigateway_authorizer, timings)
}

async fn appsync(mut timings: Timings) -> Result<(), lambda_runtime::Error> {
    serve!(appsync_authorizer, timings)
}
