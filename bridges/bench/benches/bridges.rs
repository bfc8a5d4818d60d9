//! Timed harness of the bridge functions (`cargo bench -p bridge-bench`, part of `make bench`):
//! the same code measures every function listed in `functions()` against the bare Cognito call it
//! makes, on one stage: moto (`moto-harness`) as Cognito and the Descope emulator as Descope, both
//! on loopback, every process configured as Lambda configures it.
//!
//! 1. Cold start: the release binaries, built by this harness (`cargo build --release`, so never
//!    stale), started as Lambda starts them under the Runtime API stand-in with the first request
//!    queued; time from spawn to the posted answer. For each request kind, the function and
//!    `bridge-baseline` (a minimal Lambda on the same runtime and AWS configuration that makes
//!    only the bare Cognito call of that request) are started in turn, which one first
//!    alternating, round after round (41 rounds, or `COLD_ROUNDS`), so the machine's load hits
//!    them alike. Peak RSS: VmHWM when the process asks for its second event.
//! 2. Warm: one process of the function and one of the baseline stay up; each iteration, for
//!    each request kind: one invocation of the function, one of the baseline, the bare Cognito
//!    call in-process (the AWS SDK client) and each bare Descope call the function makes (the
//!    functions' own `descope-management` client), in turn (5 unmeasured iterations, then 201, or
//!    `WARM_CALLS`); medians of single calls. Peak RSS of the warm processes after all of them.
//!
//! No speed target: issue #17 asks for the figures, recorded in BENCHMARKS.md. Exits non-zero on
//! real failures only: a failed build, a process that does not answer, or any answer other than
//! the expected one (the function's, the baseline's and the bare calls' alike).
//!
//! Adding a function is one entry in `functions()`: its binary, its settings, and per request
//! kind the event, the expected answer and the bare calls (see `password_check()`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    path::{Path, PathBuf},
    pin::Pin,
    process::Child,
    time::{Duration, Instant},
};

use aws_lc_rs::hmac;
use base64::{Engine as _, engine::general_purpose::STANDARD};
use bridge_bench::CognitoCall;
use descope_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use descope_management::{DescopeClient, RetryPolicy};
use lambda_runtime_stub::{
    Reply, RuntimeApi,
    bench::{cold_start, median, median_f64, release_binaries, rounds_from_env},
    finish, function_command, vm_hwm_kib,
};
use moto_harness::{Moto, PASSWORD, Revocations, StandIn, Tokens, UserPool};
use serde_json::{Value, json};

const BASELINE: &str = "bridge-baseline";
const COLD_ROUNDS: usize = 41;
const WARM_CALLS: usize = 201;
/// Iterations run before the measured ones: the first opens each process's connections.
const WARM_UP: usize = 5;
/// Longest wait for one answer (moto's slowest calls take tens of milliseconds).
const TIMEOUT: Duration = Duration::from_secs(20);

/// The stage's user: its Cognito username, and its email, which is its Descope login ID.
const USERNAME: &str = "ivan";
const EMAIL: &str = "ivan@example.com";
const WRONG_PASSWORD: &str = "Wrong-Passw0rd!";
const HMAC_SECRET: &str = "connector-hmac-secret";
const PROJECT_ID: &str = "P2bridgebench";
const KEY: &str = "K2management-key";

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// A function's settings on the stage, made once (it may create what they name, e.g. a table).
type Settings = for<'a> fn(&'a Stage) -> BoxFuture<'a, Vec<(&'static str, String)>>;
/// The event of invocation `n` of a request kind (made before the clock starts).
type Event = for<'a> fn(&'a Stage, usize) -> BoxFuture<'a, Value>;

/// One function measured.
struct Function {
    /// Its release binary, which is also its package's and its Lambda function's name.
    binary: &'static str,
    /// Its settings on the stage; the AWS variables come on top (`Stage::aws_env`).
    env: Settings,
    /// What it is asked, each against the bare calls it then makes.
    requests: Vec<RequestKind>,
}

/// One kind of request a function gets, and the bare calls that answering it takes.
struct RequestKind {
    /// Named in the tables.
    label: &'static str,
    /// The event of invocation `n`: a fresh one each time when a request may be used only once.
    event: Event,
    /// Whether the function's answer is the expected one.
    answer: fn(&Value) -> bool,
    /// The Cognito call the function makes for it, sent bare by the harness and by the baseline.
    cognito: fn(&Stage) -> CognitoCall,
    /// Cognito's answer to that call ([`CognitoCall::send`]'s label).
    cognito_answer: &'static str,
    /// The Descope management calls it makes too, sent bare with the functions' client.
    descope: fn(&Stage) -> Vec<DescopeCall>,
}

/// A Descope management call: `POST path` with `body` (`GET path` when `body` is null), as
/// `descope-management` sends it.
struct DescopeCall {
    /// Named in the tables.
    name: &'static str,
    path: String,
    body: Value,
    /// Whether Descope's answer is the expected one.
    answer: fn(&Value) -> bool,
}

/// Every function of the harness.
fn functions() -> Vec<Function> {
    vec![password_check(), session_exchange()]
}

/// The session exchange's single-use table on moto.
const TABLE: &str = "bench-exchanged-tokens";
const ORIGIN: &str = "https://app.example.com";

/// `session-exchange`: a fresh Cognito refresh token (a sign-in made before the clock starts)
/// exchanged for a Descope session. Besides the bare calls below, the function writes the token's
/// hash to DynamoDB and revokes the token (the stand-in's `RevokeToken`): both are in its time.
fn session_exchange() -> Function {
    Function {
        binary: "session-exchange",
        env: |stage| {
            Box::pin(async move {
                moto_harness::create_table(&moto_harness::dynamodb_for(&stage.moto.url), TABLE, "tokenHash").await;
                vec![
                    ("COGNITO_USER_POOL_ID", stage.pool.id.clone()),
                    ("COGNITO_CLIENT_IDS", stage.client_id.clone()),
                    // The pool's keys (the ID token's verification) straight from moto.
                    ("COGNITO_ENDPOINT_URL", stage.moto.url.clone()),
                    ("DESCOPE_PROJECT_ID", PROJECT_ID.to_owned()),
                    ("DESCOPE_MANAGEMENT_KEY", KEY.to_owned()),
                    ("DESCOPE_BASE_URL", stage.descope.base_url()),
                    ("SESSION_EXCHANGE_TABLE", TABLE.to_owned()),
                    ("SESSION_EXCHANGE_ALLOWED_ORIGINS", ORIGIN.to_owned()),
                    ("ALLOW_SECRETS_IN_ENVIRONMENT", "true".to_owned()),
                ]
            })
        },
        requests: vec![RequestKind {
            label: "refresh token exchanged: DynamoDB claim + Cognito refresh + ID token check + Descope search + sign-in + RevokeToken",
            event: |stage, _| {
                Box::pin(async move {
                    let refresh = stage.pool.tokens(&stage.client_id, USERNAME).await.refresh;
                    let body = json!({"refreshToken": refresh, "clientId": stage.client_id}).to_string();
                    function_url_event(&body, &[("origin", ORIGIN)])
                })
            },
            answer: |answer| {
                answer["statusCode"] == 200
                    && answer["body"]
                        .as_str()
                        .and_then(|body| serde_json::from_str::<Value>(body).ok())
                        .is_some_and(|body| body["sessionJwt"].is_string())
            },
            cognito: |stage| CognitoCall::InitiateAuth {
                client_id: stage.client_id.clone(),
                auth_flow: "REFRESH_TOKEN_AUTH".to_owned(),
                auth_parameters: [("REFRESH_TOKEN".to_owned(), stage.tokens.refresh.clone())].into(),
            },
            cognito_answer: "tokens",
            descope: |stage| {
                vec![
                    search_call(stage),
                    DescopeCall {
                        name: "sign-in",
                        path: "/v1/mgmt/auth/signin".to_owned(),
                        body: json!({
                            "loginId": EMAIL, "stepup": false, "mfa": false,
                            "revokeOtherSessions": false, "refreshDuration": 30 * 24 * 3600
                        }),
                        answer: |answer| answer["sessionJwt"].is_string(),
                    },
                ]
            },
        }],
    }
}

/// The bridges' Descope search for the user carrying the stage's Cognito identity.
fn search_call(stage: &Stage) -> DescopeCall {
    DescopeCall {
        name: "search",
        path: "/v2/mgmt/user/search".to_owned(),
        body: json!({
            "customAttributes": {"cognitoPoolId": stage.pool.id, "cognitoSub": stage.sub},
            "limit": 2, "page": 0, "withTestUser": true
        }),
        answer: |found| found["users"].as_array().is_some_and(|users| users.len() == 1),
    }
}

/// `password-check`: a correct password (Cognito, then the Descope search and password set) and
/// a wrong one (Cognito only; the `invalid` answer's padding is off, it is not overhead).
fn password_check() -> Function {
    Function {
        binary: "password-check",
        env: |stage| {
            ready(vec![
                ("PASSWORD_CHECK_HMAC_SECRET", HMAC_SECRET.to_owned()),
                ("COGNITO_USER_POOL_ID", stage.pool.id.clone()),
                ("COGNITO_CLIENT_ID", stage.client_id.clone()),
                ("DESCOPE_PROJECT_ID", PROJECT_ID.to_owned()),
                ("DESCOPE_MANAGEMENT_KEY", KEY.to_owned()),
                ("DESCOPE_BASE_URL", stage.descope.base_url()),
                ("PASSWORD_CHECK_INVALID_MIN_MS", "0".to_owned()),
                // Plain secrets: a local run (deployed, they are NAME_REF references).
                ("ALLOW_SECRETS_IN_ENVIRONMENT", "true".to_owned()),
            ])
        },
        requests: vec![
            RequestKind {
                label: "correct password: `set` (Descope lookup + Cognito + Descope search + set password)",
                event: |_, _| ready(password_event(EMAIL, PASSWORD)),
                answer: |answer| outcome(answer).as_deref() == Some("set"),
                cognito: |stage| CognitoCall::admin_password_auth(&stage.pool.id, &stage.client_id, USERNAME, PASSWORD),
                cognito_answer: "tokens",
                descope: |stage| {
                    vec![
                        lookup_call(),
                        search_call(stage),
                        DescopeCall {
                            name: "set password",
                            path: "/v1/mgmt/user/password/set/active".to_owned(),
                            body: json!({"loginId": EMAIL, "password": PASSWORD, "setActive": true}),
                            answer: |_| true,
                        },
                    ]
                },
            },
            RequestKind {
                label: "wrong password: `invalid`, PASSWORD_CHECK_INVALID_MIN_MS=0 (Descope lookup + Cognito)",
                event: |_, _| ready(password_event(EMAIL, WRONG_PASSWORD)),
                answer: |answer| outcome(answer).as_deref() == Some("invalid"),
                cognito: |stage| {
                    CognitoCall::admin_password_auth(&stage.pool.id, &stage.client_id, USERNAME, WRONG_PASSWORD)
                },
                cognito_answer: "error:NotAuthorizedException",
                descope: |_| vec![lookup_call()],
            },
        ],
    }
}

/// A value already at hand, as the entries' async hooks return it.
fn ready<'a, T: Send + 'a>(value: T) -> BoxFuture<'a, T> {
    Box::pin(std::future::ready(value))
}

/// A password check as Descope's Generic HTTP connector sends it to a function URL: the JSON body
/// signed with the HMAC secret (`x-descope-webhook-s256`, base64 HMAC-SHA256 of the raw body),
/// in a payload format 2.0 event.
fn password_event(login_id: &str, password: &str) -> Value {
    let body = json!({"loginId": login_id, "password": password}).to_string();
    let key = hmac::Key::new(hmac::HMAC_SHA256, HMAC_SECRET.as_bytes());
    let signature = STANDARD.encode(hmac::sign(&key, body.as_bytes()).as_ref());
    function_url_event(&body, &[("x-descope-webhook-s256", &signature)])
}

/// A POST function URL event carrying `body`.
fn function_url_event(body: &str, headers: &[(&str, &str)]) -> Value {
    lambda_runtime_stub::function_url_event("POST", body, headers, false)
}

/// The password check's first call: which Cognito username the typed identifier (the email the
/// user is known by in Descope) is: the `cognitoUsername` of the Descope user holding it.
fn lookup_call() -> DescopeCall {
    DescopeCall {
        name: "lookup",
        path: format!("/v1/mgmt/user?loginId={EMAIL}"),
        body: Value::Null,
        answer: |_| true,
    }
}

/// The `outcome` of a function URL answer with status 200.
fn outcome(answer: &Value) -> Option<String> {
    if answer["statusCode"] != 200 {
        return None;
    }
    let body: Value = serde_json::from_str(answer["body"].as_str()?).ok()?;
    body["outcome"].as_str().map(str::to_owned)
}

/// moto with one pool, its app client and one confirmed user; the emulator with that user
/// migrated (the importer's `cognitoSub` and `cognitoPoolId`); the clients of the bare calls.
struct Stage {
    moto: Moto,
    pool: UserPool,
    /// An app client without secret, allowed `ADMIN_USER_PASSWORD_AUTH` and `REFRESH_TOKEN_AUTH`.
    client_id: String,
    /// The user's `sub`.
    sub: String,
    /// One sign-in of the user through `client_id` at the start: the refresh token of a bare
    /// `InitiateAuth` (moto does not rotate it, so it serves every call).
    tokens: Tokens,
    /// In front of moto for the functions and the bare Cognito calls alike: it plays
    /// `RevokeToken`, which moto lacks (the session exchange calls it), and forwards the rest.
    stand_in: StandIn,
    descope: RunningEmulator,
    /// The bare Cognito calls' client (static test credentials, moto's endpoint).
    cognito: aws_sdk_cognitoidentityprovider::Client,
    /// The bare Descope calls' client, with the functions' retry policy (no client-side pacing).
    management: DescopeClient,
}

impl Stage {
    async fn start() -> Self {
        let moto = Moto::start();
        let pool = UserPool::create(&moto, "users").await;
        let client_id = pool.app_client("bridges").await;
        pool.user(USERNAME, EMAIL, &[]).await;
        let sub = pool.sub(USERNAME).await;
        let tokens = pool.tokens(&client_id, USERNAME).await;

        let emulator = Emulator::new(EmulatorConfig::new(PROJECT_ID, KEY)).unwrap();
        emulator
            .define_text_attributes(&["cognitoSub", "cognitoPoolId", "cognitoUsername"])
            .unwrap();
        emulator
            .migrated_user(
                EMAIL,
                json!({"cognitoSub": sub, "cognitoPoolId": pool.id, "cognitoUsername": USERNAME}),
            )
            .unwrap();
        let descope = RunningEmulator::start(emulator, "127.0.0.1:0").await.unwrap();
        let management = DescopeClient::new(&descope.base_url(), PROJECT_ID, KEY, RetryPolicy::interactive()).unwrap();
        let stand_in = StandIn::builder(&moto.url)
            .revoke_tokens(&Revocations::default())
            .start();
        Self {
            cognito: moto_harness::client_for(&stand_in.url),
            stand_in,
            moto,
            pool,
            client_id,
            sub,
            tokens,
            descope,
            management,
        }
    }

    /// What Lambda gives every function for AWS, pointed at moto through the stand-in (the SDK
    /// reads `AWS_ENDPOINT_URL` as it would find Cognito's and DynamoDB's endpoints).
    fn aws_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.stand_in.url.clone()),
            ("AWS_REGION", moto_harness::REGION.to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ]
    }
}

/// What was measured for one request kind of one function.
#[derive(Default)]
struct Figures {
    cold: Vec<Duration>,
    cold_rss_kib: u64,
    baseline_cold: Vec<Duration>,
    baseline_cold_rss_kib: u64,
    warm: Vec<Duration>,
    baseline_warm: Vec<Duration>,
    bare_cognito: Vec<Duration>,
    /// Per Descope call, in the order of `RequestKind::descope`.
    bare_descope: Vec<(&'static str, Vec<Duration>)>,
}

/// A function process kept up for warm invocations.
struct Process {
    name: &'static str,
    api: RuntimeApi,
    child: Option<Child>,
    /// Where its stdout and stderr go: a pipe nobody reads during the run would fill after a few
    /// hundred log lines and block the function.
    log: PathBuf,
}

impl Process {
    async fn start(binary: &Path, name: &'static str, env: Vec<(&'static str, String)>) -> Self {
        let api = RuntimeApi::start_for(name).await.unwrap();
        let log = std::env::temp_dir().join(format!("bridge-bench-{}-{name}.log", std::process::id()));
        let file = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let mut command = function_command(binary, &api, name);
        command.envs(env).stdout(file.try_clone().unwrap()).stderr(file);
        let child = command.spawn().unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
        Self {
            name,
            api,
            child: Some(child),
            log,
        }
    }

    /// One invocation: the answer and the time from queueing the event to the posted answer.
    async fn invoke(&mut self, event: Value) -> (Value, Duration) {
        let started = Instant::now();
        let id = self.api.push(event);
        match self.api.reply(TIMEOUT).await {
            Some(Reply::Response { id: answered, body, at }) if answered == id => (body, at - started),
            other => self.fail(&format!("expected the answer to {id}, got {other:?}")),
        }
    }

    fn peak_rss_kib(&self) -> u64 {
        self.child
            .as_ref()
            .and_then(|child| vm_hwm_kib(child.id()))
            .unwrap_or(0)
    }

    fn fail(&mut self, why: &str) -> ! {
        if let Some(child) = self.child.take() {
            finish(child, Duration::ZERO);
        }
        let output = std::fs::read_to_string(&self.log).unwrap_or_default();
        panic!("{}: {why}\n{output}", self.name)
    }

    fn stop(mut self) {
        if let Some(child) = self.child.take() {
            finish(child, Duration::ZERO);
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

fn main() {
    // The bench harness passes `--bench`; nothing else to parse.
    let functions = functions();
    let mut packages: Vec<&str> = functions.iter().map(|f| f.binary).collect();
    packages.push("bridge-bench");
    let binaries: Vec<&str> = functions.iter().map(|f| f.binary).chain([BASELINE]).collect();
    // Built now, so a cold start never measures an old build.
    let built = release_binaries(Path::new(env!("CARGO_MANIFEST_DIR")), &packages, &binaries);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(&functions, |name| built[name].clone()));
}

async fn run(functions: &[Function], binary: impl Fn(&str) -> PathBuf) {
    let load_before = load_average();
    let stage = Stage::start().await;
    let baseline = binary(BASELINE);
    let mut figures: Vec<Vec<Figures>> = functions
        .iter()
        .map(|f| f.requests.iter().map(|_| Figures::default()).collect())
        .collect();

    let mut envs = Vec::new();
    for function in functions {
        let mut env = (function.env)(&stage).await;
        env.extend(stage.aws_env());
        envs.push(env);
    }

    // 1. Cold starts, interleaved: each request kind's function start, then its baseline's.
    let rounds = rounds_from_env("COLD_ROUNDS", COLD_ROUNDS);
    for round in 0..rounds {
        for ((function, figures), env) in functions.iter().zip(&mut figures).zip(&envs) {
            for (kind, figures) in function.requests.iter().zip(figures.iter_mut()) {
                // Which of the two starts first alternates, so neither always follows the other.
                for function_now in [round % 2 == 0, round % 2 == 1] {
                    if function_now {
                        let event = (kind.event)(&stage, round).await;
                        let run =
                            cold_start(&binary(function.binary), function.binary, env.clone(), event, TIMEOUT).await;
                        check(function.binary, kind.label, &run.reply, kind.answer, &run.output);
                        figures.cold.push(run.to_answer);
                        figures.cold_rss_kib = figures.cold_rss_kib.max(run.peak_rss_kib);
                    } else {
                        let call = serde_json::to_value((kind.cognito)(&stage)).unwrap();
                        let run = cold_start(&baseline, BASELINE, stage.aws_env(), call, TIMEOUT).await;
                        check_baseline(kind, &run.reply, &run.output);
                        figures.baseline_cold.push(run.to_answer);
                        figures.baseline_cold_rss_kib = figures.baseline_cold_rss_kib.max(run.peak_rss_kib);
                    }
                }
            }
        }
    }

    eprintln!("{rounds} cold-start rounds done");

    // 2. Warm invocations and bare calls, interleaved.
    let calls = rounds_from_env("WARM_CALLS", WARM_CALLS);
    let mut warm_rss = Vec::new();
    for ((function, figures), env) in functions.iter().zip(&mut figures).zip(&envs) {
        let mut process = Process::start(&binary(function.binary), function.binary, env.clone()).await;
        let mut yardstick = Process::start(&baseline, BASELINE, stage.aws_env()).await;
        for n in 0..WARM_UP + calls {
            let measured = n >= WARM_UP;
            for (kind, figures) in function.requests.iter().zip(figures.iter_mut()) {
                let event = (kind.event)(&stage, rounds + n).await;
                let (answer, took) = process.invoke(event).await;
                if !(kind.answer)(&answer) {
                    process.fail(&format!("{}: unexpected answer {answer}", kind.label));
                }
                let call = (kind.cognito)(&stage);
                let (answer, baseline_took) = yardstick.invoke(serde_json::to_value(&call).unwrap()).await;
                if answer != json!({ "baseline": kind.cognito_answer }) {
                    yardstick.fail(&format!(
                        "{}: expected {}, got {answer}",
                        kind.label, kind.cognito_answer
                    ));
                }
                let started = Instant::now();
                let label = call.send(&stage.cognito).await;
                let bare_took = started.elapsed();
                assert_eq!(label, kind.cognito_answer, "{}: the bare {call:?}", kind.label);
                let mut descope_took = Vec::new();
                for descope in (kind.descope)(&stage) {
                    let started = Instant::now();
                    let answer: Result<Value, _> = if descope.body.is_null() {
                        stage.management.get(&descope.path).await
                    } else {
                        stage.management.post(&descope.path, &descope.body).await
                    };
                    let answer =
                        answer.unwrap_or_else(|e| panic!("{}: the bare Descope {}: {e}", kind.label, descope.name));
                    descope_took.push((descope.name, started.elapsed()));
                    assert!(
                        (descope.answer)(&answer),
                        "{}: the bare Descope {}: {answer}",
                        kind.label,
                        descope.name
                    );
                }
                if measured {
                    figures.warm.push(took);
                    figures.baseline_warm.push(baseline_took);
                    figures.bare_cognito.push(bare_took);
                    for (i, (name, took)) in descope_took.into_iter().enumerate() {
                        if figures.bare_descope.len() <= i {
                            figures.bare_descope.push((name, Vec::new()));
                        }
                        figures.bare_descope[i].1.push(took);
                    }
                }
            }
        }
        eprintln!("{}: {calls} warm iterations done", function.binary);
        warm_rss.push((function.binary, process.peak_rss_kib(), yardstick.peak_rss_kib()));
        process.stop();
        yardstick.stop();
    }

    report(&stage, functions, &figures, rounds, calls, &warm_rss);
    println!(
        "load average (1, 5, 15 min) before: {load_before}; after: {}",
        load_average()
    );
}

/// Panics unless `reply` is an answer `expected` accepts.
fn check(program: &str, label: &str, reply: &Reply, expected: fn(&Value) -> bool, output: &str) {
    match reply {
        Reply::Response { body, .. } if expected(body) => {}
        other => panic!("{program}, {label}: unexpected first answer {other:?}\n{output}"),
    }
}

fn check_baseline(kind: &RequestKind, reply: &Reply, output: &str) {
    match reply {
        Reply::Response { body, .. } if *body == json!({ "baseline": kind.cognito_answer }) => {}
        other => panic!(
            "{BASELINE}, {}: expected {}, got {other:?}\n{output}",
            kind.label, kind.cognito_answer
        ),
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn report(
    stage: &Stage,
    functions: &[Function],
    figures: &[Vec<Figures>],
    rounds: usize,
    calls: usize,
    warm_rss: &[(&str, u64, u64)],
) {
    println!();
    println!(
        "cold start, spawn to first answer, {rounds} rounds interleaved (median; / the baseline making the same Cognito call: ratio of medians, and median of per-round ratios):"
    );
    println!("| program | first request | median | / baseline | per-round ratio | peak RSS |");
    println!("|---|---|---|---|---|---|");
    for (function, figures) in functions.iter().zip(figures) {
        for (kind, f) in function.requests.iter().zip(figures) {
            let (cold, base) = (median(&f.cold), median(&f.baseline_cold));
            let per_round: Vec<f64> = f
                .cold
                .iter()
                .zip(&f.baseline_cold)
                .map(|(t, b)| t.as_secs_f64() / b.as_secs_f64())
                .collect();
            println!(
                "| {} | {} | {:.1} ms | {:.2} | {:.2} | {:.1} MiB |",
                function.binary,
                kind.label,
                ms(cold),
                cold.as_secs_f64() / base.as_secs_f64(),
                median_f64(&per_round),
                mib(f.cold_rss_kib)
            );
            println!(
                "| {BASELINE} | the bare {} (Cognito answers `{}`) | {:.1} ms | 1.00 | 1.00 | {:.1} MiB |",
                (kind.cognito)(stage).describe(),
                kind.cognito_answer,
                ms(base),
                mib(f.baseline_cold_rss_kib)
            );
        }
    }

    println!();
    println!(
        "warm, one invocation (queued event to posted answer, under the Runtime API stand-in) and the bare calls in-process, {calls} interleaved iterations (medians):"
    );
    println!(
        "| function | request | function invocation | baseline invocation | bare Cognito call | bare Descope calls | function / bare Cognito | function / all bare calls | function / baseline |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (function, figures) in functions.iter().zip(figures) {
        for (kind, f) in function.requests.iter().zip(figures) {
            let warm = median(&f.warm);
            let baseline = median(&f.baseline_warm);
            let cognito = median(&f.bare_cognito);
            let descope: Vec<(&str, Duration)> = f.bare_descope.iter().map(|(name, t)| (*name, median(t))).collect();
            let all_bare = cognito + descope.iter().map(|(_, t)| *t).sum::<Duration>();
            let descope_text = if descope.is_empty() {
                "none".to_owned()
            } else {
                descope
                    .iter()
                    .map(|(name, t)| format!("{name} {:.2} ms", ms(*t)))
                    .collect::<Vec<_>>()
                    .join(" + ")
            };
            println!(
                "| {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {descope_text} | {:.2} | {:.2} | {:.2} |",
                function.binary,
                kind.label,
                ms(warm),
                ms(baseline),
                ms(cognito),
                warm.as_secs_f64() / cognito.as_secs_f64(),
                warm.as_secs_f64() / all_bare.as_secs_f64(),
                warm.as_secs_f64() / baseline.as_secs_f64(),
            );
        }
    }
    println!();
    for (function, rss, baseline_rss) in warm_rss {
        println!(
            "peak RSS after the warm iterations: {function} {:.1} MiB, {BASELINE} {:.1} MiB",
            mib(*rss),
            mib(*baseline_rss)
        );
    }
}

/// `/proc/loadavg`'s first three fields.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}
