//! Timed harness for the importer: 10,000 users with 1 to 5 groups each, moto (seeded in process)
//! as Cognito and the Descope emulator as Descope, the release binary in between.
//!
//! 0. The read floor: the Cognito reads the importer issues (DescribeUserPool, ListGroups, every
//!    group's ListUsersInGroup pages, every ListUsers page, 60 a page), with the SDK alone, no
//!    importer, no Descope and nothing done with the answers, in three orders: one page chain at a
//!    time, the groups' chains together then ListUsers (the importer's order), and every chain
//!    together, and the importer's order again after the importer. No importer can beat the best
//!    of them against the same moto; the importer's figure is printed as its overhead above the
//!    median of them (the machine drifts more between runs than the orders differ), and with each
//!    figure moto's CPU time and idle time (wall minus CPU: time moto spent waiting for requests).
//!    `READ_FLOOR_ROUNDS=n` runs only the floor, n interleaved rounds of the three orders, and
//!    prints each round and the medians (the machine's drift is larger than the differences).
//! 1. Unthrottled: at least 1,000 users/s end to end, peak RSS under 150 MiB, and Descope calls at
//!    most ceil(users / 100) plus a handful.
//! 2. Descope's real create limit (100 calls / 60 s, time-scaled x2) with batches of 50 (200 calls):
//!    the create phase takes at most 10 % longer than the limit allows.
//! 3. `sync` after 1 % of the users changed in Cognito (50 left a group, 25 disabled, 25 deleted):
//!    Descope writes proportional to the changes (at most one patch call per batch with changed
//!    users, plus a status and a sign-out call per disabled user), reads and wall time.
//!
//! Exits non-zero when a target is missed. Run with `make bench`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    io::{BufRead as _, BufReader},
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use aws_sdk_cognitoidentityprovider::{
    Client,
    config::{BehaviorVersion, Credentials, Region},
};
use descope_emulator::{Emulator, EmulatorConfig, RateLimitConfig, RunningEmulator};
use futures::future::try_join_all;
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

/// CPU seconds (user + system) the process has used so far, from /proc; NaN where unreadable.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return f64::NAN;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(f64::NAN);
    let per_second = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(100.0);
    (ticks(11) + ticks(12)) / per_second
}

/// How the read floor orders its page chains (one per group, one for ListUsers; each chain is
/// sequential by nature: a page's token comes from the page before).
#[derive(Clone, Copy)]
enum Shape {
    /// One chain after the other, as a single-threaded reader would.
    Sequential,
    /// The groups' chains together, then ListUsers: the importer's order.
    GroupsThenUsers,
    /// Every chain at once: the most any reader can overlap.
    AllChains,
}

impl Shape {
    const ALL: [Self; 3] = [Self::Sequential, Self::GroupsThenUsers, Self::AllChains];

    fn label(self) -> &'static str {
        match self {
            Self::Sequential => "one page chain at a time",
            Self::GroupsThenUsers => "groups' chains together, then ListUsers",
            Self::AllChains => "every page chain together",
        }
    }
}

struct Reads {
    seconds: f64,
    /// CPU seconds moto spent answering.
    moto_cpu: f64,
    pages: u64,
}

/// The pure Cognito reads of one migration of the pool: what the importer asks, nothing more.
mod reads {
    use super::*;

    pub fn client(url: &str) -> Client {
        let config = aws_sdk_cognitoidentityprovider::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "bench"))
            .endpoint_url(url)
            .build();
        Client::from_conf(config)
    }

    /// DescribeUserPool, then every ListGroups page: (group names, pages).
    pub async fn groups(client: &Client, pool: &str) -> (Vec<String>, u64) {
        client.describe_user_pool().user_pool_id(pool).send().await.unwrap();
        let (mut names, mut pages, mut token) = (Vec::new(), 1, None);
        loop {
            let out = client
                .list_groups()
                .user_pool_id(pool)
                .limit(60)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            pages += 1;
            names.extend(out.groups().iter().filter_map(|g| g.group_name().map(str::to_owned)));
            token = out.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return (names, pages);
            }
        }
    }

    /// Every ListUsersInGroup page of one group: (members, pages).
    pub async fn members(client: &Client, pool: &str, group: &str) -> anyhow::Result<(u64, u64)> {
        let (mut members, mut pages, mut token) = (0, 0, None);
        loop {
            let out = client
                .list_users_in_group()
                .user_pool_id(pool)
                .group_name(group)
                .limit(60)
                .set_next_token(token)
                .send()
                .await?;
            pages += 1;
            members += out.users().len() as u64;
            token = out.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok((members, pages));
            }
        }
    }

    /// Every ListUsers page: (users, pages).
    pub async fn users(client: &Client, pool: &str) -> anyhow::Result<(u64, u64)> {
        let (mut users, mut pages, mut token) = (0, 0, None);
        loop {
            let out = client
                .list_users()
                .user_pool_id(pool)
                .limit(60)
                .set_pagination_token(token)
                .send()
                .await?;
            pages += 1;
            users += out.users().len() as u64;
            token = out.pagination_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok((users, pages));
            }
        }
    }
}

async fn read_floor(moto: &Seeded, shape: Shape) -> Reads {
    let client = reads::client(&moto.url);
    let cpu_before = cpu_seconds(moto.child.id());
    let started = Instant::now();
    let (groups, mut pages) = reads::groups(&client, &moto.pool_id).await;
    let (memberships, users) = match shape {
        Shape::Sequential => {
            let mut memberships = Vec::new();
            for group in &groups {
                memberships.push(reads::members(&client, &moto.pool_id, group).await.unwrap());
            }
            (memberships, reads::users(&client, &moto.pool_id).await.unwrap())
        }
        Shape::GroupsThenUsers => {
            let walks = try_join_all(groups.iter().map(|g| reads::members(&client, &moto.pool_id, g)))
                .await
                .unwrap();
            (walks, reads::users(&client, &moto.pool_id).await.unwrap())
        }
        Shape::AllChains => {
            let walks = try_join_all(groups.iter().map(|g| reads::members(&client, &moto.pool_id, g)));
            futures::try_join!(walks, reads::users(&client, &moto.pool_id)).unwrap()
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let moto_cpu = cpu_seconds(moto.child.id()) - cpu_before;
    assert_eq!(users.0, USERS, "the read floor saw every user");
    assert_eq!(
        memberships.iter().map(|m| m.0).sum::<u64>(),
        moto.memberships,
        "the read floor saw every membership"
    );
    pages += users.1 + memberships.iter().map(|m| m.1).sum::<u64>();
    Reads {
        seconds,
        moto_cpu,
        pages,
    }
}

/// `READ_FLOOR_ROUNDS=n`: the floor alone, the three orders interleaved n times, then medians.
async fn floor_rounds(moto: &Seeded, rounds: usize) {
    let mut seen: Vec<Vec<(f64, f64)>> = vec![Vec::new(); Shape::ALL.len()];
    println!("| round | order | wall | moto CPU | moto idle |");
    println!("|---|---|---|---|---|");
    for round in 1..=rounds {
        for (i, shape) in Shape::ALL.into_iter().enumerate() {
            let r = read_floor(moto, shape).await;
            println!(
                "| {round} | {} | {:.2} s | {:.2} s | {:.2} s |",
                shape.label(),
                r.seconds,
                r.moto_cpu,
                r.seconds - r.moto_cpu
            );
            seen[i].push((r.seconds, r.moto_cpu));
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for (shape, runs) in Shape::ALL.into_iter().zip(seen) {
        let wall = median(runs.iter().map(|r| r.0).collect());
        let cpu = median(runs.iter().map(|r| r.1).collect());
        println!(
            "| median of {rounds} | {} | {wall:.2} s ({:.0} users/s) | {cpu:.2} s | |",
            shape.label(),
            USERS as f64 / wall
        );
    }
}

struct Outcome {
    seconds: f64,
    /// CPU seconds moto spent answering the importer.
    moto_cpu: f64,
    report: Value,
    /// Seconds spent gathering memberships (ListUsersInGroup), from the importer's log.
    memberships_seconds: f64,
}

fn run_importer(
    command: &str,
    moto: (&str, &str, u32),
    descope_url: &str,
    batch_size: u32,
    rate_multiplier: f64,
) -> Outcome {
    let (moto_url, pool_id, moto_pid) = moto;
    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("report.json");
    let cpu_before = cpu_seconds(moto_pid);
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_cognito-to-descope"))
        .arg(command)
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
    let moto_cpu = cpu_seconds(moto_pid) - cpu_before;
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
        moto_cpu,
        report,
        memberships_seconds,
    }
}

/// Runs the importer on a blocking thread so the in-process emulator keeps serving.
async fn in_background(
    command: &'static str,
    moto: &Seeded,
    descope: &RunningEmulator,
    batch_size: u32,
    rate_multiplier: f64,
) -> Outcome {
    let (url, pool_id, pid, base) = (
        moto.url.clone(),
        moto.pool_id.clone(),
        moto.child.id(),
        descope.base_url(),
    );
    tokio::task::spawn_blocking(move || {
        run_importer(command, (&url, &pool_id, pid), &base, batch_size, rate_multiplier)
    })
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
    if let Ok(rounds) = std::env::var("READ_FLOOR_ROUNDS") {
        floor_rounds(&moto, rounds.parse().expect("READ_FLOOR_ROUNDS is a number")).await;
        return;
    }
    let mut missed = Vec::new();

    // 0. The read floor in each order; the floor is the best of them.
    let mut floors = Vec::new();
    for shape in Shape::ALL {
        floors.push((shape, read_floor(&moto, shape).await));
    }

    // 1. Unthrottled.
    let descope = RunningEmulator::start(
        Emulator::new(EmulatorConfig::new(PROJECT_ID, KEY)).unwrap(),
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let run = in_background("migrate", &moto, &descope, 100, 1.0).await;
    assert_eq!(descope.emulator.user_count() as u64, USERS, "every user migrated");
    let rate = USERS as f64 / run.seconds;
    let rss = run.report["summary"]["extra"]["peakRssMiB"]
        .as_f64()
        .unwrap_or(f64::NAN);
    let calls = run.report["summary"]["extra"]["descopeCalls"]["calls"]
        .as_u64()
        .unwrap();
    // One identity lookup and one create per batch of 100 (the lookup spends Descope's search
    // budget, 200 a minute, not the create budget), plus a handful.
    let call_budget = 2 * USERS.div_ceil(100) + 10;
    // The importer's order once more, right after the importer: the machine drifts by more than
    // the differences between the orders, so the neighbour of the importer's run counts too.
    floors.push((Shape::GroupsThenUsers, read_floor(&moto, Shape::GroupsThenUsers).await));
    let best = floors.iter().map(|(_, r)| r.seconds).fold(f64::INFINITY, f64::min);
    // Drift between runs exceeds the differences between the orders: the floor is the median of
    // the four runs, the best single run is shown beside it.
    let floor = {
        let mut walls: Vec<f64> = floors.iter().map(|(_, r)| r.seconds).collect();
        walls.sort_by(f64::total_cmp);
        (walls[1] + walls[2]) / 2.0
    };
    println!("| scenario | result | target |");
    println!("|---|---|---|");
    for (i, (shape, r)) in floors.iter().enumerate() {
        println!(
            "| read floor, {}{} ({} calls) | {:.2} s, {:.0} users/s; moto busy {:.2} s, idle {:.2} s | |",
            shape.label(),
            if i == Shape::ALL.len() {
                ", after the importer"
            } else {
                ""
            },
            r.pages,
            r.seconds,
            USERS as f64 / r.seconds,
            r.moto_cpu,
            r.seconds - r.moto_cpu
        );
    }
    println!(
        "| 10k users end to end | {:.2} s, {rate:.0} users/s; moto busy {:.2} s, idle {:.2} s | >= 1000 users/s |",
        run.seconds,
        run.moto_cpu,
        run.seconds - run.moto_cpu
    );
    // Wall clock against the floor mixes in the machine's drift between runs; moto's idle time
    // (wall minus the CPU moto spent) does not: it is the time the importer kept moto waiting.
    println!(
        "| importer above the read floor (median {floor:.2} s, {:.0} users/s; best {best:.2} s, {:.0} users/s) | {:+.2} s ({:+.1} %); moto idle {:.2} s against {:.2} s at best | |",
        USERS as f64 / floor,
        USERS as f64 / best,
        run.seconds - floor,
        (run.seconds / floor - 1.0) * 100.0,
        run.seconds - run.moto_cpu,
        floors
            .iter()
            .map(|(_, r)| r.seconds - r.moto_cpu)
            .fold(f64::INFINITY, f64::min)
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
    println!("| Descope calls | {calls} | <= {call_budget} (2 x ceil(users/100) + 10) |");
    if rate < 1000.0 {
        missed.push("throughput");
    }
    if rss.is_nan() || rss >= 150.0 {
        missed.push("peak RSS");
    }
    if calls > call_budget {
        missed.push("Descope calls");
    }

    // Kept for the sync scenario (3), which needs a migrated project.
    let unthrottled = descope;

    // 2. Descope's create limit, time-scaled.
    let limits = RateLimitConfig::descope_defaults().with_time_scale(TIME_SCALE);
    let descope = RunningEmulator::start(
        Emulator::new(EmulatorConfig::new(PROJECT_ID, KEY).rate_limits(limits)).unwrap(),
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let limited = in_background("migrate", &moto, &descope, 50, TIME_SCALE).await;
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

    // 3. sync after 1 % of the pool changed in Cognito.
    let client = reads::client(&moto.url);
    let (groups, _) = reads::groups(&client, &moto.pool_id).await;
    let mut changed_users = 0u64;
    for i in 0..100u64 {
        let username = format!("user{:06}", i * 97 + 3);
        let result = match i % 4 {
            0 | 1 => {
                // Leave every group the user is in (1 to 5 of them).
                let mut ok = false;
                for group in &groups {
                    ok |= client
                        .admin_remove_user_from_group()
                        .user_pool_id(&moto.pool_id)
                        .username(&username)
                        .group_name(group)
                        .send()
                        .await
                        .is_ok();
                }
                ok
            }
            2 => client
                .admin_disable_user()
                .user_pool_id(&moto.pool_id)
                .username(&username)
                .send()
                .await
                .is_ok(),
            _ => client
                .admin_delete_user()
                .user_pool_id(&moto.pool_id)
                .username(&username)
                .send()
                .await
                .is_ok(),
        };
        changed_users += u64::from(result);
    }
    unthrottled.emulator.clear_request_log();
    let sync = in_background("sync", &moto, &unthrottled, 100, 1.0).await;
    let log = unthrottled.emulator.request_log();
    let count = |pred: &dyn Fn(&str) -> bool| log.iter().filter(|r| pred(&r.path)).count() as u64;
    let searches = count(&|p| p.ends_with("/search"));
    let patches = count(&|p| p == "/v1/mgmt/user/patch/batch");
    let status_calls = count(&|p| p == "/v1/mgmt/user/update/status" || p == "/v1/mgmt/user/logout");
    let other_writes = log.len() as u64
        - searches
        - patches
        - status_calls
        - count(&|p| p.starts_with("/v1/mgmt/user/customattributes") || p.ends_with("/all"));
    let outcomes = &sync.report["summary"]["outcomes"];
    println!(
        "| sync after {changed_users} users changed (50 left their groups, 25 disabled, 25 deleted) | {:.2} s; Descope: {searches} searches, {patches} patch calls, {status_calls} status + sign-out calls, {other_writes} other calls; outcomes updated {} disabled {} unchanged {} | writes proportional to the changes |",
        sync.seconds,
        outcomes["Updated"].as_u64().unwrap_or(0),
        outcomes["Disabled"].as_u64().unwrap_or(0),
        outcomes["Unchanged"].as_u64().unwrap_or(0),
    );
    // At most one patch call per batch of 100 that has a changed user, one status and one
    // sign-out call per disabled or deleted user.
    if patches > 100 || status_calls > 2 * 50 || other_writes > 5 {
        missed.push("sync writes");
    }
    drop(unthrottled);
    drop(moto);

    if missed.is_empty() {
        println!("all importer targets met");
    } else {
        println!("TARGETS MISSED: {}", missed.join(", "));
        if missed.contains(&"throughput") && USERS as f64 / best < 1000.0 {
            println!(
                "throughput: moto alone needs {best:.2} s for these reads at best, more than the {:.1} s the target allows",
                USERS as f64 / 1000.0
            );
        }
        std::process::exit(1);
    }
}
