//! Timed harness for the importer: 10,000 users with 1 to 5 groups each, moto (seeded in process)
//! as Cognito and the Descope emulator as Descope, the release binary in between.
//!
//! 1. Unthrottled: at least 1,000 users/s end to end, peak RSS under 150 MiB, and Descope calls at
//!    most ceil(users / 100) plus a handful.
//! 2. Descope's real create limit (100 calls / 60 s, time-scaled x2) with batches of 50 (200 calls):
//!    the create phase takes at most 10 % longer than the limit allows.
//!
//! Exits non-zero when a target is missed. Run with `make bench`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    io::{BufRead as _, BufReader},
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use descope_emulator::{Emulator, EmulatorConfig, RateLimitConfig, RunningEmulator};
use serde_json::Value;

const USERS: u64 = 10_000;
const PROJECT_ID: &str = "P2benchproject000000000001";
const KEY: &str = "K2bench";
const TIME_SCALE: f64 = 2.0;

struct Seeded {
    child: std::process::Child,
    url: String,
    pool_id: String,
    memberships: u64,
}

impl Drop for Seeded {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn seed() -> Seeded {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".venv-moto/bin/python");
    assert!(
        python.exists(),
        "run `bash tests/moto/install.sh` first (make bench does)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(python)
        .arg(root.join("tests/moto/seeded_server.py"))
        .args(["--port", &port.to_string(), "--users", &USERS.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).expect("seeded_server prints its address");
    Seeded {
        child,
        url: ready["url"].as_str().unwrap().to_owned(),
        pool_id: ready["poolId"].as_str().unwrap().to_owned(),
        memberships: ready["memberships"].as_u64().unwrap(),
    }
}

struct Outcome {
    seconds: f64,
    report: Value,
    /// Seconds spent gathering memberships (ListUsersInGroup), from the importer's log.
    memberships_seconds: f64,
}

fn run_importer(moto_url: &str, pool_id: &str, descope_url: &str, batch_size: u32, rate_multiplier: f64) -> Outcome {
    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("report.json");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_cognito-to-descope"))
        .arg("migrate")
        .current_dir(work.path())
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("COGNITO_REGION", "us-east-1")
        .env("COGNITO_ENDPOINT_URL", moto_url)
        // moto has no quota; against real Cognito keep the default pacing (see BENCHMARKS.md).
        .env("COGNITO_REQUESTS_PER_SECOND", "0")
        .env("COGNITO_USER_POOL_ID", pool_id)
        .env("DESCOPE_PROJECT_ID", PROJECT_ID)
        .env("DESCOPE_MANAGEMENT_KEY", KEY)
        .env("DESCOPE_BASE_URL", descope_url)
        .env("MIGRATION_BATCH_SIZE", batch_size.to_string())
        // The emulator's clock runs TIME_SCALE times faster; tell the client's pacing so.
        .env("DESCOPE_RATE_MULTIPLIER", rate_multiplier.to_string())
        .env("MIGRATION_REPORT", &report)
        .env("MIGRATION_LOG_DIR", work.path().join("logs"))
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "importer failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let log: String = std::fs::read_dir(work.path().join("logs"))
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .collect();
    let memberships_seconds = log
        .lines()
        .find(|l| l.contains("memberships gathered"))
        .and_then(|l| l.split("seconds=").nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    Outcome {
        seconds,
        report,
        memberships_seconds,
    }
}

/// Runs the importer on a blocking thread so the in-process emulator keeps serving.
async fn in_background(moto: &Seeded, descope: &RunningEmulator, batch_size: u32, rate_multiplier: f64) -> Outcome {
    let (url, pool_id, base) = (moto.url.clone(), moto.pool_id.clone(), descope.base_url());
    tokio::task::spawn_blocking(move || run_importer(&url, &pool_id, &base, batch_size, rate_multiplier))
        .await
        .unwrap()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seeded_at = Instant::now();
    let moto = seed();
    println!(
        "seeded {USERS} users, {} memberships in {:.1} s",
        moto.memberships,
        seeded_at.elapsed().as_secs_f64()
    );
    let mut missed = Vec::new();

    // 1. Unthrottled.
    let descope = RunningEmulator::start(
        Emulator::new(EmulatorConfig::new(PROJECT_ID, KEY)).unwrap(),
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let run = in_background(&moto, &descope, 100, 1.0).await;
    assert_eq!(descope.emulator.user_count() as u64, USERS, "every user migrated");
    let rate = USERS as f64 / run.seconds;
    let rss = run.report["summary"]["extra"]["peakRssMiB"]
        .as_f64()
        .unwrap_or(f64::NAN);
    let calls = run.report["summary"]["extra"]["descopeCalls"]["calls"]
        .as_u64()
        .unwrap();
    let call_budget = USERS.div_ceil(100) + 10;
    println!("| scenario | result | target |");
    println!("|---|---|---|");
    println!(
        "| 10k users end to end | {:.2} s, {rate:.0} users/s | >= 1000 users/s |",
        run.seconds
    );
    println!(
        "| of which moto answering ListUsersInGroup ({} memberships) | {:.2} s | |",
        moto.memberships, run.memberships_seconds
    );
    let cpu = run.report["summary"]["extra"]["cpuSeconds"]
        .as_f64()
        .unwrap_or(f64::NAN);
    println!(
        "| CPU time of the importer | {cpu:.2} s ({:.0} users per CPU-second) | |",
        USERS as f64 / cpu
    );
    println!("| peak RSS of the importer | {rss:.1} MiB | < 150 MiB |");
    println!("| Descope calls | {calls} | <= {call_budget} (ceil(users/100) + 10) |");
    if rate < 1000.0 {
        missed.push("throughput");
    }
    if rss.is_nan() || rss >= 150.0 {
        missed.push("peak RSS");
    }
    if calls > call_budget {
        missed.push("Descope calls");
    }
    drop(descope);

    // 2. Descope's create limit, time-scaled.
    let limits = RateLimitConfig::descope_defaults().with_time_scale(TIME_SCALE);
    let descope = RunningEmulator::start(
        Emulator::new(EmulatorConfig::new(PROJECT_ID, KEY).rate_limits(limits)).unwrap(),
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let limited = in_background(&moto, &descope, 50, TIME_SCALE).await;
    assert_eq!(
        descope.emulator.user_count() as u64,
        USERS,
        "every user migrated under the limit"
    );
    let creates: Vec<_> = descope
        .emulator
        .request_log()
        .into_iter()
        .filter(|r| r.path == "/v1/mgmt/user/create/batch")
        .collect();
    let accepted = creates.iter().filter(|r| r.status == Some(200)).count() as u64;
    let throttled = creates.len() as u64 - accepted;
    let span_ms = creates.last().unwrap().timestamp_ms - creates.first().unwrap().timestamp_ms;
    let window = Duration::from_secs_f64(60.0 / TIME_SCALE);
    let allowed = window * (accepted.div_ceil(100).saturating_sub(1)) as u32;
    let ratio = span_ms as f64 / 1000.0 / allowed.as_secs_f64();
    println!(
        "| create limit 100/60 s (x{TIME_SCALE} time), batches of 50 | {accepted} create calls ({throttled} answered 429) in {:.2} s; the limit allows {:.1} s: ratio {ratio:.3} | <= 1.10 |",
        span_ms as f64 / 1000.0,
        allowed.as_secs_f64()
    );
    println!("| same run, end to end | {:.2} s | |", limited.seconds);
    if ratio > 1.10 {
        missed.push("rate-limited run");
    }
    drop(descope);
    drop(moto);

    if missed.is_empty() {
        println!("all importer targets met");
    } else {
        println!("TARGETS MISSED: {}", missed.join(", "));
        std::process::exit(1);
    }
}
