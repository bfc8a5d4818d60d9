//! Timed harness for the API Gateway authorizer (`cargo bench -p apigateway-authorizer`).
//! Exits non-zero when a target is missed.
//!
//! 1. Warm handler: `handle` on a REST TOKEN event with the keys cached (JSON logs formatted into
//!    a sink), against a bare `jsonwebtoken::decode` of the same RS256 token with the same key,
//!    interleaved in the same run; medians. Target: ratio <= 2.0. Measured for a Descope token and,
//!    in cutover mode, for a Cognito access token.
//! 2. Cold start of the release binary to its first answer under the Runtime API stand-in, keys
//!    fetched over loopback during init (in cutover mode: Descope's and the pool's, concurrently).
//!    Target: median < 50 ms. Peak RSS (VmHWM of the process when it asks for its second event).
//!    Target: < 30 MiB.
//! 3. The arm64 package `target/lambda/apigateway-authorizer/bootstrap.zip`, when
//!    `authorizers/package.sh apigateway-authorizer` has built it. Target: < 4 MiB.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use apigateway_authorizer::handle;
use descope_jwt::testing::jwks;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Value, json};
use support::{
    CUTOVER, Keys, NOW, PID, claims, cognito_claims, event,
    runtime_api::{Reply, RuntimeApi, finish, spawn_function},
    serve_jwks,
};

const ROUNDS: usize = 31;
const ITERS: usize = 2000;
const TARGET_RATIO: f64 = 2.0;
const TARGET_COLD_MS: f64 = 50.0;
const TARGET_RSS_MIB: f64 = 30.0;
const TARGET_ZIP_MIB: f64 = 4.0;
const COLD_STARTS: usize = 9;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // The bench harness passes `--bench`; nothing else to parse.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut missed = Vec::new();

    // 1. Warm handler vs bare signature verification.
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::sink)
        .with_max_level(tracing::Level::INFO)
        .init();
    let keys = Keys::new();
    let mut descope = claims();
    descope["roles"] = json!(["reader"]);
    descope["tenants"] = json!({"T2acme": {"roles": ["tenant-admin"], "permissions": ["audit.read"]}});
    descope["dct"] = json!("T2acme");
    let cognito = cognito_claims(&["reader"], false, NOW);
    for (name, settings, claims) in [
        ("REST TOKEN handler, Descope token", &[][..], &descope),
        (
            "REST TOKEN handler, Cognito token (cutover mode)",
            &CUTOVER[..],
            &cognito,
        ),
    ] {
        let state = runtime.block_on(support::state(&keys, settings));
        let token = keys.signing.sign(claims).unwrap();
        let event = event("rest-token.json", &format!("Bearer {token}"));
        let first = runtime.block_on(handle(&state, event.clone())).unwrap();
        assert_eq!(first["policyDocument"]["Statement"][0]["Effect"], "Allow");

        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(keys.signing.public_jwk()).unwrap();
        let decoding = DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_issuer(&[claims["iss"].as_str().unwrap()]);
        validation.validate_exp = false; // the token is minted at the harness's fixed clock
        jsonwebtoken::decode::<Value>(&token, &decoding, &validation).unwrap();

        let (mut handler_rounds, mut bare_rounds) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let started = Instant::now();
            runtime.block_on(async {
                for _ in 0..ITERS {
                    black_box(handle(&state, black_box(event.clone())).await.unwrap());
                }
            });
            handler_rounds.push(started.elapsed() / ITERS as u32);
            let started = Instant::now();
            for _ in 0..ITERS {
                black_box(jsonwebtoken::decode::<Value>(black_box(&token), &decoding, &validation).unwrap());
            }
            bare_rounds.push(started.elapsed() / ITERS as u32);
        }
        let (handler, bare) = (median(handler_rounds), median(bare_rounds));
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

    // 2. Cold start and peak RSS of the release binary.
    for cutover in [false, true] {
        let (cold, rss_kib) = runtime.block_on(cold_starts(&keys, cutover));
        let mode = if cutover { " (cutover mode, Cognito token)" } else { "" };
        let cold_ms = cold.as_secs_f64() * 1e3;
        let rss_mib = rss_kib as f64 / 1024.0;
        println!(
            "cold start to first answer{mode}: median {cold_ms:.1} ms over {COLD_STARTS} starts (target < {TARGET_COLD_MS} ms); peak RSS {rss_mib:.1} MiB (target < {TARGET_RSS_MIB} MiB)"
        );
        if cold_ms >= TARGET_COLD_MS {
            missed.push(format!("cold start{mode} {cold_ms:.1} ms >= {TARGET_COLD_MS} ms"));
        }
        if rss_kib == 0 || rss_mib >= TARGET_RSS_MIB {
            missed.push(format!(
                "peak RSS{mode} {rss_mib:.1} MiB >= {TARGET_RSS_MIB} MiB (or not sampled)"
            ));
        }
    }

    // 3. The arm64 package, when built.
    let zip = support::dir().join("../../../target/lambda/apigateway-authorizer/bootstrap.zip");
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
                missed.push(format!("package {mib:.2} MiB >= {TARGET_ZIP_MIB} MiB"));
            }
        }
        Err(_) => println!("package: not built (run authorizers/package.sh apigateway-authorizer), size not checked"),
    }

    if missed.is_empty() {
        println!("all targets met");
    } else {
        eprintln!("targets missed: {}", missed.join("; "));
        std::process::exit(1);
    }
}

/// Starts the binary `COLD_STARTS` times with one REST TOKEN event queued (a Descope token, or in
/// cutover mode a Cognito one); returns the median time from spawn to the posted answer and the
/// largest peak RSS seen.
async fn cold_starts(keys: &Keys, cutover: bool) -> (Duration, u64) {
    let base = serve_jwks(jwks(&[&keys.signing])).await;
    // The binary runs on the system clock: mint a token valid now.
    let now = descope_jwt::testing::now();
    assert!(now > NOW);
    let c = if cutover {
        cognito_claims(&["reader"], false, now)
    } else {
        let mut c = claims();
        c["roles"] = json!(["reader"]);
        c["iat"] = json!(now);
        c["exp"] = json!(now + 600);
        c
    };
    let token = keys.signing.sign(&c).unwrap();
    let mut env = vec![
        ("DESCOPE_PROJECT_ID", PID.to_owned()),
        ("DESCOPE_JWKS_URL", format!("{base}/v2/keys/{PID}")),
        ("AUTHZ_POLICY", support::fixture_text("policy.json")),
    ];
    if cutover {
        env.extend(CUTOVER.iter().map(|(k, v)| (*k, (*v).to_owned())));
        env.push(("COGNITO_ENDPOINT_URL", base.clone()));
    }
    let (mut times, mut peak) = (Vec::new(), 0);
    for _ in 0..COLD_STARTS {
        let mut api = RuntimeApi::start().await.unwrap();
        api.push(event("rest-token.json", &format!("Bearer {token}")));
        let started = Instant::now();
        let child = spawn_function(env!("CARGO_BIN_EXE_apigateway-authorizer"), &api, &env);
        api.watch_pid(child.id());
        let reply = api.reply(Duration::from_secs(10)).await.expect("an answer");
        let Reply::Response { body, at, .. } = reply else {
            panic!("expected a response, got {reply:?}");
        };
        assert_eq!(body["policyDocument"]["Statement"][0]["Effect"], "Allow", "{body}");
        times.push(at - started);
        // The process asks for its next event right after answering; VmHWM is sampled then.
        let waited = Instant::now();
        while api.next_calls() < 2 && waited.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        peak = peak.max(api.peak_rss_kib());
        finish(child, Duration::ZERO);
    }
    (median(times), peak)
}
