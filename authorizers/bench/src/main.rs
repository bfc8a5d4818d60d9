//! `baseline-lambda`: the yardstick of the authorizers' cold start. A minimal `lambda_runtime`
//! function that, during init, fetches the JWKS at `DESCOPE_JWKS_URL` with a reqwest client built
//! as `descope-jwt` builds its own, then answers every event at once with a fixed JSON.
//!
//! Switches add (or remove) the authorizers' init steps one at a time, so the benchmark can tell
//! where their cold start goes (`authorizers/bench/benches/authorizers.rs`):
//!
//! - `BASELINE_JWKS`: `fetch` (default: client built, JWKS fetched), `none` (no client at all),
//!   `client-noroots` (the client without the system TLS root store), `client` (the client, no
//!   fetch), `client-webpki` (the client trusting Mozilla's roots compiled in), or `verifier` (a `descope_jwt::Verifier` for `DESCOPE_PROJECT_ID`, keys prefetched,
//!   as the authorizers do it);
//! - `BASELINE_LOGGING=1`: `lambda_runtime::tracing::init_default_subscriber()` first;
//! - `BASELINE_POLICY=1`: `authz_policy::PolicyDocument::parse` of `AUTHZ_POLICY`;
//! - `BASELINE_VERIFY=1` (with `BASELINE_JWKS=verifier`): each event's `authorizationToken`
//!   (`Bearer <jwt>`) is verified before the fixed answer;
//! - `BASELINE_LOG_LINES=1`: the authorizers' info lines (after the prefetch, per event);
//! - `BASELINE_TIMINGS=1`: each step's duration on stderr (see `Timings`);
//! - `BASELINE_RUNTIME=current-thread`: the authorizers' runtime instead of `#[tokio::main]`'s.

mod timings;

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};
use timings::Timings;

/// What the baseline answers to every event.
fn answer() -> Value {
    json!({"baseline": true})
}

fn main() -> Result<(), lambda_runtime::Error> {
    let mut timings = Timings::start();
    // What `#[tokio::main]` builds, made explicit so its cost can be timed; or, with
    // `BASELINE_RUNTIME=current-thread`, what the authorizers run on (`authorizer_common::run`).
    let runtime = match switch("BASELINE_RUNTIME").as_deref() {
        None | Some("multi-thread") => tokio::runtime::Builder::new_multi_thread().enable_all().build()?,
        Some("current-thread") => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
        Some(other) => {
            return Err(anyhow!("BASELINE_RUNTIME={other:?}: expected multi-thread or current-thread").into());
        }
    };
    timings.step("tokio runtime");
    runtime.block_on(serve(timings))
}

async fn serve(mut timings: Timings) -> Result<(), lambda_runtime::Error> {
    let verifier = init(&mut timings).await?;
    let verify = switch("BASELINE_VERIFY").is_some();
    if verify && verifier.is_none() {
        return Err(anyhow!("BASELINE_VERIFY needs BASELINE_JWKS=verifier").into());
    }
    let (verifier, timings) = (&verifier, &timings);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        if verify && let Some(verifier) = verifier {
            let started = Instant::now();
            check(verifier, &event.payload).await?;
            timings.report("verify", started.elapsed());
        }
        if log_lines() {
            let started = Instant::now();
            tracing::info!(decision = "allow", reason = "granted", latency_us = 1u64, "decision");
            timings.report("decision log line", started.elapsed());
        }
        Ok::<_, lambda_runtime::Error>(answer())
    }))
    .await
}

/// Verifies the event's `authorizationToken` (`Bearer <jwt>`).
async fn check(verifier: &descope_jwt::Verifier, event: &Value) -> anyhow::Result<()> {
    let header = event["authorizationToken"].as_str().unwrap_or_default();
    let token = descope_jwt::bearer_token(header).context("the event has no bearer token")?;
    verifier.verify(token).await.context("verifying the event's token")?;
    Ok(())
}

/// The init phase, in the authorizers' order: logging, policy, HTTP client, keys.
async fn init(timings: &mut Timings) -> anyhow::Result<Option<descope_jwt::Verifier>> {
    if switch("BASELINE_LOGGING").is_some() {
        lambda_runtime::tracing::init_default_subscriber();
        timings.step("logging");
    }
    if switch("BASELINE_POLICY").is_some() {
        let text = switch("AUTHZ_POLICY").context("BASELINE_POLICY needs AUTHZ_POLICY (the document inline)")?;
        authz_policy::PolicyDocument::parse(&text).context("AUTHZ_POLICY")?;
        timings.step("policy parse");
    }
    let mode = switch("BASELINE_JWKS").unwrap_or_else(|| "fetch".to_owned());
    let url = || switch("DESCOPE_JWKS_URL").context("DESCOPE_JWKS_URL is not set");
    match mode.as_str() {
        "none" => {}
        "client-noroots" => {
            client(reqwest::Client::builder().tls_certs_only([]))?;
            timings.step("client without root store");
        }
        "client" => {
            client(reqwest::Client::builder())?;
            timings.step("client");
        }
        "client-webpki" => {
            let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| reqwest::Certificate::from_der(der))
                .collect::<Result<Vec<_>, _>>()
                .context("webpki-root-certs")?;
            client(reqwest::Client::builder().tls_certs_only(roots))?;
            timings.step("client with compiled-in roots");
        }
        "fetch" => {
            let url = url()?;
            let client = client(reqwest::Client::builder())?;
            timings.step("client");
            let response = client
                .get(&url)
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
                .with_context(|| format!("fetching {url}"))?;
            if response.status() != reqwest::StatusCode::OK {
                bail!("{url} answered HTTP {}", response.status());
            }
            response.bytes().await.with_context(|| format!("reading {url}"))?;
            timings.step("JWKS fetch");
        }
        "verifier" => {
            let project = switch("DESCOPE_PROJECT_ID").context("DESCOPE_PROJECT_ID is not set")?;
            let config = descope_jwt::Config::new(project).jwks_url(url()?);
            let verifier = descope_jwt::Verifier::new(config).context("building the verifier")?;
            timings.step("Verifier::new");
            let keys = verifier.prefetch().await.context("prefetching the signing keys")?;
            timings.step("prefetch");
            if log_lines() {
                // The line the authorizers log here (the first event their subscriber formats).
                tracing::info!(keys, "signing keys prefetched");
                timings.step("first log line");
            }
            return Ok(Some(verifier));
        }
        other => bail!("BASELINE_JWKS={other:?}: expected fetch, none, client-noroots, client or verifier"),
    }
    Ok(None)
}

/// The client as `descope-jwt`'s `Verifier::new` builds it (its default 3 s fetch timeout, no
/// redirects); building it loads the TLS root store unless the builder says otherwise.
fn client(builder: reqwest::ClientBuilder) -> anyhow::Result<reqwest::Client> {
    let timeout = Duration::from_secs(3);
    builder
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the HTTP client")
}

/// `BASELINE_LOG_LINES=1`: an info line after the prefetch and one per event, as the authorizers.
fn log_lines() -> bool {
    switch("BASELINE_LOG_LINES").is_some()
}

/// A non-empty environment variable.
fn switch(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
