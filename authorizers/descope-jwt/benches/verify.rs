//! Timed harness: warm verification against a bare `jsonwebtoken::decode` of the same token with the
//! same key, measured interleaved in the same run. Target: the library's overhead under 30 %
//! (ratio <= 1.30) for RS256-2048, Descope tokens and, in cutover mode, Cognito access tokens too.
//! Exits non-zero when a target is missed.
//!
//! Run with `make bench` (or `cargo bench -p descope-jwt --bench verify`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use axum::{Router, routing::get};
use descope_jwt::{
    CognitoPool, Config, TokenUse, Verifier,
    testing::{TestKey, cognito_access_claims, jwks, session_claims},
};
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Value, json};

const PID: &str = "P2benchproject000000000001";
const POOL: &str = "eu-west-1_BenchPool1";
const CLIENT: &str = "benchappclient00000000001";
const ROUNDS: usize = 31;
const TARGET_RATIO: f64 = 1.30;

/// Median time per call of `f`, over `ROUNDS` rounds of `iters` calls.
fn median_per_call(iters: usize, mut f: impl FnMut()) -> Duration {
    let mut rounds: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed() / iters as u32
        })
        .collect();
    rounds.sort();
    rounds[ROUNDS / 2]
}

fn bare_key(jwk: &Value) -> DecodingKey {
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
    DecodingKey::from_jwk(&jwk).unwrap()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rsa = TestKey::rs256("rsa").unwrap();
    let ec = TestKey::es256("ec").unwrap();
    let body = jwks(&[&rsa, &ec]).to_string();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        let app = Router::new().route("/{*path}", get(move || async move { body }));
        axum::serve(listener, app).await.unwrap();
    });
    let config = Config::new(PID).jwks_url(format!("http://{addr}/v2/keys/{PID}"));
    let verifier = Verifier::new(config.clone()).unwrap();
    runtime.block_on(verifier.prefetch()).unwrap();
    // Cutover mode: the same server answers for the pool's key set.
    let pool = CognitoPool::new(POOL)
        .client_id(CLIENT)
        .token_use(TokenUse::Access)
        .endpoint_url(format!("http://{addr}"));
    let cutover = Verifier::new(config.cognito_pool(pool.clone())).unwrap();
    runtime.block_on(cutover.prefetch()).unwrap();

    let claims = {
        let mut c = session_claims(PID, "U2benchuser00000000000000000");
        c["exp"] = json!(c["exp"].as_i64().unwrap() + 3600);
        c["roles"] = json!(["admin", "editor"]);
        c["tenants"] = json!({"T2acme": {"roles": ["viewer"], "permissions": ["read"]}});
        c
    };
    let issuer = format!("https://api.descope.com/{PID}");
    let mut report = Vec::new();
    let mut missed = false;

    let cognito_claims = {
        let mut c = cognito_access_claims(POOL, CLIENT, "bench-user", &["admin", "editor"]);
        c["exp"] = json!(c["exp"].as_i64().unwrap() + 3600);
        c
    };
    let cognito_issuer = pool.issuers()[0].iss.clone();
    for (name, verifier, key, claims, issuer, iters) in [
        ("RS256-2048", &verifier, &rsa, &claims, &issuer, 3000),
        ("ES256", &verifier, &ec, &claims, &issuer, 2000),
        ("RS256-2048, cutover mode", &cutover, &rsa, &claims, &issuer, 3000),
        (
            "RS256-2048 Cognito access token",
            &cutover,
            &rsa,
            &cognito_claims,
            &cognito_issuer,
            3000,
        ),
    ] {
        let token = key.sign(claims).unwrap();
        let decoding = bare_key(&key.public_jwk());
        let alg = if key.alg() == "ES256" {
            jsonwebtoken::Algorithm::ES256
        } else {
            jsonwebtoken::Algorithm::RS256
        };
        let mut validation = Validation::new(alg);
        validation.leeway = 5;
        validation.set_issuer(&[issuer]);
        // Interleave: warm both, then alternate measurements so drift hits both alike.
        let mut bare = Vec::new();
        let mut ours = Vec::new();
        for _ in 0..5 {
            bare.push(median_per_call(iters / 10, || {
                black_box(jsonwebtoken::decode::<Value>(black_box(&token), &decoding, &validation).unwrap());
            }));
            ours.push(median_per_call(iters / 10, || {
                black_box(runtime.block_on(verifier.verify(black_box(&token))).unwrap());
            }));
        }
        bare.sort();
        ours.sort();
        let (bare, ours) = (bare[2], ours[2]);
        let ratio = ours.as_secs_f64() / bare.as_secs_f64();
        if name.starts_with("RS256") && ratio > TARGET_RATIO {
            missed = true;
        }
        report.push(format!(
            "| {name} warm verify | {:.2} µs | {:.2} µs | {ratio:.3} |",
            bare.as_secs_f64() * 1e6,
            ours.as_secs_f64() * 1e6
        ));
    }

    // The refusal of an unknown kid inside the penalty window: no fetch, no signature check.
    let junk = rsa
        .sign_with_header(&json!({"alg": "RS256", "kid": "junk"}), &claims)
        .unwrap();
    let refusal = median_per_call(20_000, || {
        black_box(runtime.block_on(verifier.verify(black_box(&junk))).unwrap_err());
    });
    report.push(format!(
        "| unknown kid refused (penalty window) | n/a | {:.2} µs | n/a |",
        refusal.as_secs_f64() * 1e6
    ));
    // A token of an issuer that is not configured: refused on its iss, before any key lookup.
    let foreign = rsa
        .sign(&cognito_access_claims("eu-west-1_Stranger", CLIENT, "x", &[]))
        .unwrap();
    let refusal = median_per_call(20_000, || {
        black_box(runtime.block_on(cutover.verify(black_box(&foreign))).unwrap_err());
    });
    report.push(format!(
        "| unconfigured issuer refused (cutover mode) | n/a | {:.2} µs | n/a |",
        refusal.as_secs_f64() * 1e6
    ));

    println!("| case | bare jsonwebtoken::decode | descope-jwt verify | ratio |");
    println!("|---|---|---|---|");
    for line in &report {
        println!("{line}");
    }
    if missed {
        println!("TARGET MISSED: RS256 overhead above {TARGET_RATIO}x");
        std::process::exit(1);
    }
    println!("target met: RS256 ratio <= {TARGET_RATIO}");
}
