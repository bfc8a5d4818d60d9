//! Timed harness for both authorizers (`cargo bench -p authorizer-bench`): the same code measures
//! `apigateway-authorizer` and `appsync-authorizer`. Exits non-zero when a target is missed.
//!
//! 1. Warm handler: `handle` with the keys cached (JSON logs formatted into a sink) against a bare
//!    `jsonwebtoken::decode` of the same RS256 token with the same key, interleaved in the same
//!    run; medians of 31 rounds of 2000 calls. Target: ratio <= 2.0. API Gateway: a REST TOKEN
//!    event, with a Descope token and, in cutover mode, a Cognito access token. AppSync: a query
//!    (GraphQL read, policy applied, 3 denied fields).
//! 2. Cold start: the release binaries, built by this harness (`cargo build --release`, so never
//!    stale), started as Lambda starts them under the Runtime API stand-in, keys fetched over
//!    loopback during init; time from spawn to the posted first answer. The authorizers, the
//!    minimal `baseline-lambda` (same JWKS fetched at init, fixed answer) and the baseline's
//!    step-by-step variants are started in turn, round after round (21 rounds, or `COLD_ROUNDS`),
//!    so the machine's load hits them alike. Targets: median < 50 ms; each authorizer's median
//!    <= 1.1x the baseline's; peak RSS (VmHWM when the process asks for its second event)
//!    < 30 MiB. The variants give the breakdown of where the cold start goes (no target).
//! 3. The arm64 packages `target/lambda/<function>/bootstrap.zip`, when `authorizers/package.sh`
//!    has built them. Target: < 4 MiB.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    collections::HashMap,
    hint::black_box,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use authorizer_common::{
    Authorizer as _,
    testing::{CUTOVER, Keys, cognito_claims, serve_jwks},
};
use descope_jwt::testing::jwks;
use jsonwebtoken::{DecodingKey, Validation};
use lambda_runtime_stub::{
    Reply,
    bench::{cold_start, median, median_f64, release_binaries, rounds_from_env},
};
use serde_json::{Value, json};

const PID: &str = "P2goldenproject000000000001";
/// The fixed clock of the warm measurements (2026-01-01T00:00:00Z), as in the functions' tests.
const NOW: i64 = 1_767_225_600;

const ROUNDS: usize = 31;
const ITERS: usize = 2000;
/// Cold-start rounds; `COLD_ROUNDS=n` (at least 21) runs more, for a steadier breakdown.
const COLD_ROUNDS: usize = 21;
const TARGET_RATIO: f64 = 2.0;
const TARGET_COLD_MS: f64 = 50.0;
const TARGET_COLD_RATIO: f64 = 1.1;
const TARGET_RSS_MIB: f64 = 30.0;
const TARGET_ZIP_MIB: f64 = 4.0;

/// The system's CA bundle (Debian and Ubuntu), which the system store also holds one file per
/// certificate of: the SSL_CERT_FILE variant reads only the bundle.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

const APIGATEWAY: &str = "apigateway-authorizer";
const APPSYNC: &str = "appsync-authorizer";
const BASELINE: &str = "baseline-lambda";
const TIMED: &str = "timed-authorizer";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `authorizers/<function>/tests/fixtures/<name>`.
fn fixture_text(function: &str, name: &str) -> String {
    let dir = function.trim_end_matches("-authorizer");
    let path = workspace_root()
        .join("authorizers")
        .join(dir)
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture event with `$TOKEN` replaced by `Bearer <token>`.
fn event(function: &str, fixture: &str, token: &str) -> Value {
    serde_json::from_str(&fixture_text(function, fixture).replace("$TOKEN", &format!("Bearer {token}"))).unwrap()
}

/// Session claims of user `U2golden` issued a minute before `now`, with the roles, permissions and
/// tenant the measured events need (API Gateway: `reader`; AppSync: `pii.read`).
fn claims(now: i64) -> Value {
    json!({
        "sub": "U2golden00000000000000000001",
        "iss": format!("https://api.descope.com/{PID}"),
        "drn": "DS",
        "iat": now - 60,
        "exp": now + 540,
        "amr": ["pwd"],
        "roles": ["reader"],
        "permissions": ["pii.read"],
        "tenants": {"T2acme": {"roles": ["tenant-admin"], "permissions": ["audit.read"]}},
        "dct": "T2acme",
        "email": "ada@example.com",
    })
}

/// The settings both functions read, with the JWKS served at `base`; cutover mode adds the pool,
/// whose keys the same server serves.
fn settings_vars(function: &str, base: &str, cutover: bool) -> HashMap<&'static str, String> {
    let mut vars = HashMap::from([
        ("DESCOPE_PROJECT_ID", PID.to_owned()),
        ("DESCOPE_JWKS_URL", format!("{base}/v2/keys/{PID}")),
        ("AUTHZ_POLICY", fixture_text(function, "policy.json")),
        ("AUTHZ_CONTEXT_CLAIMS", "email".to_owned()),
    ]);
    if cutover {
        vars.extend(CUTOVER.iter().map(|(k, v)| (*k, (*v).to_owned())));
        vars.insert("COGNITO_ENDPOINT_URL", base.to_owned());
    }
    vars
}

fn is_allowed(function: &str, answer: &Value) -> bool {
    match function {
        APIGATEWAY => answer["policyDocument"]["Statement"][0]["Effect"] == "Allow",
        APPSYNC => answer["isAuthorized"] == true,
        _ => *answer == json!({"baseline": true}),
    }
}

fn main() {
    // The bench harness passes `--bench`; nothing else to parse.
    // Built now, so a cold start never measures an old build.
    let binaries = release_binaries(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[APIGATEWAY, APPSYNC, "authorizer-bench"],
        &[APIGATEWAY, APPSYNC, BASELINE, TIMED],
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut missed = Vec::new();
    let keys = Keys::new();

    // 1. Warm handler vs bare signature verification.
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::sink)
        .with_max_level(tracing::Level::INFO)
        .init();
    let base = runtime.block_on(serve_jwks(jwks(&[&keys.signing])));
    let descope = claims(NOW);
    let cognito = cognito_claims(&["reader"], false, NOW);
    for (name, function, fixture, cutover, claims) in [
        (
            "API Gateway REST TOKEN handler, Descope token",
            APIGATEWAY,
            "rest-token.json",
            false,
            &descope,
        ),
        (
            "API Gateway REST TOKEN handler, Cognito token (cutover mode)",
            APIGATEWAY,
            "rest-token.json",
            true,
            &cognito,
        ),
        (
            "AppSync handler (query, 3 denied fields)",
            APPSYNC,
            "query.json",
            false,
            &descope,
        ),
    ] {
        let token = keys.signing.sign(claims).unwrap();
        let event = event(function, fixture, &token);
        let vars = settings_vars(function, &base, cutover);
        let lookup = |name: &str| vars.get(name).cloned();
        let (handler, bare) = if function == APIGATEWAY {
            use apigateway_authorizer::{Settings, State, handle};
            let state = State::new(Settings::from_lookup(lookup).unwrap())
                .unwrap()
                .with_fixed_clock(NOW);
            runtime.block_on(state.prefetch()).unwrap();
            let first = runtime.block_on(handle(&state, event.clone())).unwrap();
            assert!(is_allowed(function, &first), "{first}");
            warm(&runtime, &keys, &token, claims, async || {
                black_box(handle(&state, black_box(event.clone())).await.unwrap());
            })
        } else {
            use appsync_authorizer::{Settings, State, handle};
            let state = State::new(Settings::from_lookup(lookup).unwrap())
                .unwrap()
                .with_fixed_clock(NOW);
            runtime.block_on(state.prefetch()).unwrap();
            let first = runtime.block_on(handle(&state, event.clone())).unwrap();
            assert!(is_allowed(function, &first), "{first}");
            assert_eq!(first["deniedFields"].as_array().map(Vec::len), Some(3), "{first}");
            warm(&runtime, &keys, &token, claims, async || {
                black_box(handle(&state, black_box(event.clone())).await.unwrap());
            })
        };
        let ratio = handler.as_secs_f64() / bare.as_secs_f64();
        println!(
            "warm {name}: {:.2} us, bare jsonwebtoken::decode RS256: {:.2} us, ratio {ratio:.2} (target <= {TARGET_RATIO})",
            handler.as_secs_f64() * 1e6,
            bare.as_secs_f64() * 1e6
        );
        if ratio > TARGET_RATIO {
            missed.push(format!("{name}: handler/bare ratio {ratio:.2} > {TARGET_RATIO}"));
        }
    }

    // 2. Cold starts, interleaved.
    let mut starts = cold_starts(&binaries, &keys);
    let (timed_base, fetches) = runtime.block_on(serve_jwks_timed(jwks(&[&keys.signing])));
    runtime.block_on(measure(&mut starts, &timed_base, &fetches));
    report_cold(&starts, &mut missed);

    // 3. The arm64 packages, when built.
    for function in [APIGATEWAY, APPSYNC] {
        let zip = workspace_root()
            .join("target/lambda")
            .join(function)
            .join("bootstrap.zip");
        let zip = zip.canonicalize().unwrap_or(zip);
        match std::fs::metadata(&zip) {
            Ok(meta) => {
                let mib = meta.len() as f64 / (1024.0 * 1024.0);
                println!(
                    "package {}: {} bytes = {mib:.2} MiB (target < {TARGET_ZIP_MIB} MiB)",
                    zip.display(),
                    meta.len()
                );
                if mib >= TARGET_ZIP_MIB {
                    missed.push(format!("{function} package {mib:.2} MiB >= {TARGET_ZIP_MIB} MiB"));
                }
            }
            Err(_) => {
                println!("package {function}: not built (run authorizers/package.sh {function}), size not checked")
            }
        }
    }

    if missed.is_empty() {
        println!("all targets met");
    } else {
        eprintln!("targets missed: {}", missed.join("; "));
        std::process::exit(1);
    }
}

/// Medians of `call` (one handler call) and of a bare `jsonwebtoken::decode` of `token`, taken in
/// alternating rounds.
fn warm(
    runtime: &tokio::runtime::Runtime,
    keys: &Keys,
    token: &str,
    claims: &Value,
    call: impl AsyncFn(),
) -> (Duration, Duration) {
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(keys.signing.public_jwk()).unwrap();
    let decoding = DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[claims["iss"].as_str().unwrap()]);
    validation.validate_exp = false; // the token is minted at the harness's fixed clock
    jsonwebtoken::decode::<Value>(token, &decoding, &validation).unwrap();

    let (mut handler_rounds, mut bare_rounds) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let started = Instant::now();
        runtime.block_on(async {
            for _ in 0..ITERS {
                call().await;
            }
        });
        handler_rounds.push(started.elapsed() / ITERS as u32);
        let started = Instant::now();
        for _ in 0..ITERS {
            black_box(jsonwebtoken::decode::<Value>(black_box(token), &decoding, &validation).unwrap());
        }
        bare_rounds.push(started.elapsed() / ITERS as u32);
    }
    (median(&handler_rounds), median(&bare_rounds))
}

/// One program started `COLD_ROUNDS` times, and what was measured.
struct ColdStart {
    label: &'static str,
    /// `apigateway-authorizer`, `appsync-authorizer` or `baseline-lambda` (also picks the check).
    function: &'static str,
    binary: PathBuf,
    env: Vec<(&'static str, String)>,
    event: Value,
    /// Held to the targets (the authorizers), or informational.
    target: bool,
    /// Cutover mode: a Cognito pool configured beside Descope (two key sets fetched at init).
    cutover: bool,
    times: Vec<Duration>,
    /// Spawn to the first key-set request, when there is one.
    to_fetch: Vec<Duration>,
    peak_kib: u64,
    /// The baseline's own timings (`BASELINE_TIMINGS`), in µs per step, in the order reported.
    steps: Vec<(String, Vec<f64>)>,
}

/// The programs of the cold-start rounds: the authorizers, the baseline, then the baseline's
/// variants, each adding one init step of the authorizers (see `src/main.rs`).
fn cold_starts(binaries: &HashMap<String, PathBuf>, keys: &Keys) -> Vec<ColdStart> {
    // The binaries run on the system clock: tokens valid now.
    let now = descope_jwt::testing::now();
    let descope = keys.signing.sign(&claims(now)).unwrap();
    let cognito = keys.signing.sign(&cognito_claims(&["reader"], false, now)).unwrap();
    let program = |label, function: &'static str, token: &str, target, env: &[(&'static str, &str)]| {
        let cutover = token == cognito;
        let (binary_of, fixture) = match function {
            APPSYNC => (APPSYNC, "query.json"),
            _ => (APIGATEWAY, "rest-token.json"),
        };
        ColdStart {
            label,
            function,
            binary: binaries[function].clone(),
            env: env
                .iter()
                .chain((function == BASELINE).then_some(&("BASELINE_TIMINGS", "1")))
                .map(|(k, v)| (*k, (*v).to_owned()))
                .collect(),
            event: event(binary_of, fixture, token),
            target,
            cutover,
            times: Vec::new(),
            to_fetch: Vec::new(),
            peak_kib: 0,
            steps: Vec::new(),
        }
    };
    let on = "1";
    let timed = |label, function: &'static str| {
        let name = function.trim_end_matches("-authorizer");
        let mut start = program(
            label,
            function,
            &descope,
            false,
            &[("TIMED_FUNCTION", name), ("BASELINE_TIMINGS", on)],
        );
        start.binary = binaries[TIMED].clone();
        start
    };
    vec![
        program("apigateway-authorizer", APIGATEWAY, &descope, true, &[]),
        program("appsync-authorizer", APPSYNC, &descope, true, &[]),
        program("baseline-lambda (client + JWKS fetch)", BASELINE, &descope, false, &[]),
        program(
            "apigateway-authorizer, cutover mode (two key sets)",
            APIGATEWAY,
            &cognito,
            true,
            &[],
        ),
        program(
            "baseline: runtime only, no client",
            BASELINE,
            &descope,
            false,
            &[("BASELINE_JWKS", "none")],
        ),
        program(
            "baseline: client without TLS root store, no fetch",
            BASELINE,
            &descope,
            false,
            &[("BASELINE_JWKS", "client-noroots")],
        ),
        program(
            "baseline: client, no fetch",
            BASELINE,
            &descope,
            false,
            &[("BASELINE_JWKS", "client")],
        ),
        program(
            "baseline: client, roots from SSL_CERT_FILE only, no fetch",
            BASELINE,
            &descope,
            false,
            &[("BASELINE_JWKS", "client"), ("SSL_CERT_FILE", SYSTEM_BUNDLE)],
        ),
        program(
            "baseline: client with compiled-in roots (webpki-root-certs), no fetch",
            BASELINE,
            &descope,
            false,
            &[("BASELINE_JWKS", "client-webpki")],
        ),
        program(
            "baseline on a current-thread runtime (as the authorizers), client + JWKS fetch",
            BASELINE,
            &descope,
            false,
            &[("BASELINE_RUNTIME", "current-thread")],
        ),
        program(
            "baseline + logging",
            BASELINE,
            &descope,
            false,
            &[("BASELINE_LOGGING", on)],
        ),
        program(
            "baseline + logging + policy parse",
            BASELINE,
            &descope,
            false,
            &[("BASELINE_LOGGING", on), ("BASELINE_POLICY", on)],
        ),
        program(
            "logging + policy + descope-jwt Verifier, prefetch",
            BASELINE,
            &descope,
            false,
            &[
                ("BASELINE_LOGGING", on),
                ("BASELINE_POLICY", on),
                ("BASELINE_JWKS", "verifier"),
            ],
        ),
        program(
            "logging + policy + Verifier, prefetch + first verify",
            BASELINE,
            &descope,
            false,
            &[
                ("BASELINE_LOGGING", on),
                ("BASELINE_POLICY", on),
                ("BASELINE_JWKS", "verifier"),
                ("BASELINE_VERIFY", on),
            ],
        ),
        program(
            "logging + policy + Verifier, prefetch + first verify + log lines",
            BASELINE,
            &descope,
            false,
            &[
                ("BASELINE_LOGGING", on),
                ("BASELINE_POLICY", on),
                ("BASELINE_JWKS", "verifier"),
                ("BASELINE_VERIFY", on),
                ("BASELINE_LOG_LINES", on),
            ],
        ),
        timed("timed-authorizer apigateway (its main, timed)", APIGATEWAY),
        timed("timed-authorizer appsync (its main, timed)", APPSYNC),
    ]
}

/// Starts every program once per round, in turn, and records spawn-to-first-answer and peak RSS.
/// When each key-set request arrived.
type Arrivals = Arc<Mutex<Vec<Instant>>>;

/// Serves `body` at every path on 127.0.0.1 like `serve_jwks`, and notes when each request arrives,
/// which splits a cold start in two without touching the program: spawn to the JWKS request
/// (process start, runtime, logging, settings, HTTP client) and the rest (fetch, first event).
async fn serve_jwks_timed(body: Value) -> (String, Arrivals) {
    let body = body.to_string();
    let arrivals = Arrivals::default();
    let noted = Arc::clone(&arrivals);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/{*path}",
        axum::routing::get(move || {
            noted.lock().unwrap().push(Instant::now());
            let body = body.clone();
            async move { body }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), arrivals)
}

/// Every program fetches its keys from `base`, which notes the arrivals in `fetches`.
async fn measure(starts: &mut [ColdStart], base: &str, fetches: &Arrivals) {
    for _ in 0..rounds_from_env("COLD_ROUNDS", COLD_ROUNDS) {
        for start in starts.iter_mut() {
            let function = if start.function == BASELINE {
                APIGATEWAY
            } else {
                start.function
            };
            let mut env: Vec<(&str, String)> = settings_vars(function, base, start.cutover).into_iter().collect();
            env.extend(start.env.iter().cloned());

            fetches.lock().unwrap().clear();
            let run = cold_start(
                &start.binary,
                start.function,
                env,
                start.event.clone(),
                Duration::from_secs(10),
            )
            .await;
            let Reply::Response { body, .. } = &run.reply else {
                panic!(
                    "{}: expected a response, got {:?}\n{}",
                    start.label, run.reply, run.output
                );
            };
            assert!(is_allowed(start.function, body), "{}: {body}", start.label);
            start.times.push(run.to_answer);
            if let Some(first) = fetches.lock().unwrap().first() {
                start.to_fetch.push(*first - run.started);
            }
            start.peak_kib = start.peak_kib.max(run.peak_rss_kib);
            record_steps(start, &run.output, run.spawned_at);
        }
    }
}

/// Adds the baseline's `baseline-timing <µs> <step>` lines to `start.steps`; the `main` line (the
/// wall clock when `main` began) becomes the time from spawn to `main`.
fn record_steps(start: &mut ColdStart, output: &str, spawned_at: SystemTime) {
    let spawned_us = spawned_at.duration_since(UNIX_EPOCH).unwrap().as_micros() as f64;
    for line in output.lines() {
        let Some((us, step)) = line.strip_prefix("baseline-timing ").and_then(|l| l.split_once(' ')) else {
            continue;
        };
        let Ok(mut us) = us.parse::<f64>() else { continue };
        let mut step = step.to_owned();
        if step == "main" {
            us -= spawned_us;
            step = "spawn to main (exec, loading)".to_owned();
        }
        match start.steps.iter_mut().find(|(name, _)| *name == step) {
            Some((_, values)) => values.push(us),
            None => start.steps.push((step, vec![us])),
        }
    }
}

fn report_cold(starts: &[ColdStart], missed: &mut Vec<String>) {
    // The third program (see `cold_starts`).
    let baseline = &starts[2];
    let baseline_ms = median(&baseline.times).as_secs_f64() * 1e3;
    println!(
        "cold start to first answer, {} rounds interleaved (median; ratio to the baseline's median, and median of the per-round ratios):",
        baseline.times.len()
    );
    println!("| program | median | / baseline | per-round ratio | spawn to JWKS request | peak RSS |");
    println!("|---|---|---|---|---|---|");
    for start in starts {
        let ms = median(&start.times).as_secs_f64() * 1e3;
        let ratio = ms / baseline_ms;
        let per_round: Vec<f64> = start
            .times
            .iter()
            .zip(&baseline.times)
            .map(|(t, b)| t.as_secs_f64() / b.as_secs_f64())
            .collect();
        let per_round = median_f64(&per_round);
        let rss_mib = start.peak_kib as f64 / 1024.0;
        let to_fetch = if start.to_fetch.is_empty() {
            "none".to_owned()
        } else {
            format!("{:.1} ms", median(&start.to_fetch).as_secs_f64() * 1e3)
        };
        println!(
            "| {} | {ms:.1} ms | {ratio:.2} | {per_round:.2} | {to_fetch} | {rss_mib:.1} MiB |",
            start.label
        );
        if !start.target {
            continue;
        }
        if ms >= TARGET_COLD_MS {
            missed.push(format!("{} cold start {ms:.1} ms >= {TARGET_COLD_MS} ms", start.label));
        }
        // Two key sets cannot be held to a yardstick that fetches one.
        if !start.cutover && ratio > TARGET_COLD_RATIO {
            missed.push(format!(
                "{} cold start {ratio:.2}x the baseline's > {TARGET_COLD_RATIO}x",
                start.label
            ));
        }
        if start.peak_kib == 0 || rss_mib >= TARGET_RSS_MIB {
            missed.push(format!(
                "{} peak RSS {rss_mib:.1} MiB >= {TARGET_RSS_MIB} MiB (or not sampled)",
                start.label
            ));
        }
    }
    println!("baseline-lambda's own timings (median µs per step, BASELINE_TIMINGS):");
    for start in starts.iter().filter(|s| !s.steps.is_empty()) {
        let steps: Vec<String> = start
            .steps
            .iter()
            .map(|(step, values)| format!("{step} {:.0}", median_f64(values)))
            .collect();
        println!("- {}: {}", start.label, steps.join(", "));
    }
    println!(
        "targets: authorizers < {TARGET_COLD_MS} ms, <= {TARGET_COLD_RATIO}x the baseline (cutover mode: no ratio target, it fetches two key sets), peak RSS < {TARGET_RSS_MIB} MiB"
    );
}
