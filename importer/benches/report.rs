//! Timed harness for `report REPORT.json --html OUT.html`: a report of 1,000,000 users (written
//! by the importer's own `JsonReport`, 2 % not migrated, 1 % conflicts, 5 % with warnings, over
//! four pools) turned into a page by the release binary. Targets: under 10 s, and a peak RSS that
//! does not grow with the report (under 64 MiB: users are read line by line and only the first
//! 1,000 of each list are kept). Peak RSS comes from GNU time (`/usr/bin/time`, Debian's `time`
//! package); without it only the wall time is printed.
//!
//! Exits non-zero when a target is missed. Run with `make bench`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{
    process::Command,
    time::{Duration, Instant},
};

use importer::{
    model::{Problem, Warning},
    report::{JsonReport, Outcome, UserOutcome},
};
use serde_json::json;

const USERS: usize = 1_000_000;
const POOLS: [&str; 4] = ["us-east-1_AAAA", "us-east-1_BBBB", "eu-west-1_CCCC", "eu-west-1_DDDD"];

fn user(n: usize) -> UserOutcome {
    let pool = POOLS[n % POOLS.len()];
    let login = format!("user{n:07}@example.com");
    let mut user = match n % 100 {
        0 | 1 => {
            let mut u = UserOutcome::new(pool, format!("user{n:07}"), None, Outcome::Unmigratable);
            u.problems.push(Problem::NoLoginId);
            u
        }
        2 => {
            let mut u = UserOutcome::new(pool, format!("user{n:07}"), Some(login.clone()), Outcome::Conflict);
            u.reason = Some(format!("login ID {login:?} is held by another Descope user"));
            u
        }
        3..=7 => {
            let mut u = UserOutcome::new(pool, format!("user{n:07}"), Some(login), Outcome::CreatedWithWarnings);
            u.warnings.push(Warning::ValueLeftOut {
                attribute: "custom:seats".into(),
                value: "twelve".into(),
                expected: "number",
            });
            u
        }
        _ => UserOutcome::new(pool, format!("user{n:07}"), Some(login), Outcome::Created),
    };
    user.sub = Some(format!("{n:08x}-0000-4000-8000-000000000000"));
    user
}

fn main() {
    let work = tempfile::tempdir().unwrap();
    let json = work.path().join("report.json");
    let html = work.path().join("report.html");
    let pools: Vec<_> = POOLS.iter().map(|p| json!({"poolId": p, "tenant": null})).collect();
    let mut report =
        JsonReport::create(&json, &json!({"command": "migrate", "dryRun": false, "pools": pools})).unwrap();
    for n in 0..USERS {
        report.user(&user(n)).unwrap();
    }
    report.finish(&json!({"users": USERS})).unwrap();
    let size = std::fs::metadata(&json).unwrap().len();
    println!("report: {USERS} users, {:.1} MiB", size as f64 / 1048576.0);

    let binary = env!("CARGO_BIN_EXE_cognito-to-descope");
    let timed = std::path::Path::new("/usr/bin/time").exists();
    let mut command = if timed {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "peak-rss-kib %M"]).arg(binary);
        c
    } else {
        Command::new(binary)
    };
    command.arg("report").arg(&json).arg("--html").arg(&html).env_clear();
    let started = Instant::now();
    let out = command.output().unwrap();
    let elapsed = started.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The page counts every user of the report.
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&format!("({USERS} users)")), "{said}");
    let page = std::fs::metadata(&html).unwrap().len();
    println!(
        "page: {:.1} KiB in {:.2} s ({:.0} users/s)",
        page as f64 / 1024.0,
        elapsed.as_secs_f64(),
        USERS as f64 / elapsed.as_secs_f64()
    );
    let mut missed = Vec::new();
    if elapsed > Duration::from_secs(10) {
        missed.push(format!("took {elapsed:?} (target: under 10 s)"));
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    match stderr.lines().find_map(|l| l.strip_prefix("peak-rss-kib ")) {
        Some(kib) => {
            let mib = kib.trim().parse::<f64>().unwrap() / 1024.0;
            println!("peak RSS: {mib:.1} MiB");
            if mib > 64.0 {
                missed.push(format!("peak RSS {mib:.1} MiB (target: under 64 MiB)"));
            }
        }
        None => println!("peak RSS: not measured (install GNU time: apt-get install time)"),
    }
    if !missed.is_empty() {
        eprintln!("report bench: targets missed: {}", missed.join("; "));
        std::process::exit(1);
    }
}
