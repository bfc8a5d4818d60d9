//! What the timed harnesses share (`authorizer-bench`, `bridge-bench`): the release binaries built
//! fresh, one cold start of a binary under the stand-in (spawn to first answer, peak RSS), and
//! medians. Harness code: every failure panics naming its cause, as a benchmark cannot go on.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant, SystemTime},
};

use serde_json::Value;

use crate::{Reply, RuntimeApi, finish, function_command};

/// The median (upper median for an even count).
///
/// # Panics
///
/// If `values` is empty.
pub fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

/// [`median`] of floats (ratios, microseconds).
///
/// # Panics
///
/// If `values` is empty.
pub fn median_f64(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// `least`, or the number in the environment variable `name` when it is at least `least` (more
/// rounds for steadier figures, never fewer than the harness's own).
///
/// # Panics
///
/// If the variable holds anything else.
pub fn rounds_from_env(name: &str, least: usize) -> usize {
    let Ok(value) = std::env::var(name) else {
        return least;
    };
    match value.parse() {
        Ok(n) if n >= least => n,
        _ => panic!("{name}={value:?}: expected a number of at least {least}"),
    }
}

/// Builds `packages`' binaries with `cargo build --release --locked` (from `manifest_dir`, with
/// `$CARGO` when set) and returns where each is, so a cold start never measures a stale binary:
/// cargo reports every artifact, fresh or rebuilt.
///
/// # Panics
///
/// When the build fails or one of `binaries` is not reported or not on disk.
pub fn release_binaries(manifest_dir: &Path, packages: &[&str], binaries: &[&str]) -> HashMap<String, PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command.args([
        "build",
        "--release",
        "--locked",
        "--bins",
        "--message-format=json-render-diagnostics",
    ]);
    for package in packages {
        command.args(["-p", package]);
    }
    // What cargo sets for the harness it runs: left in, build scripts that watch these (ring's
    // watches CARGO_PKG_NAME, CARGO_MANIFEST_DIR, OUT_DIR) would see other values than in the
    // outer `cargo bench` and be rebuilt, with all that depends on them, by each in turn.
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if name_text.starts_with("CARGO_PKG_")
            || name_text.starts_with("CARGO_MANIFEST_")
            || [
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "OUT_DIR",
            ]
            .contains(&name_text.as_ref())
        {
            command.env_remove(&name);
        }
    }
    eprintln!("building the release binaries: {command:?}");
    let output = command
        .current_dir(manifest_dir)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo:?} build: {e}"));
    assert!(
        output.status.success(),
        "cargo build --release of {packages:?} failed ({}); the cold-start figures need fresh binaries",
        output.status
    );
    let mut found = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if message["reason"] == "compiler-artifact"
            && let (Some(name), Some(path)) = (message["target"]["name"].as_str(), message["executable"].as_str())
        {
            found.insert(name.to_owned(), PathBuf::from(path));
        }
    }
    for name in binaries {
        let path = found
            .get(*name)
            .unwrap_or_else(|| panic!("cargo build did not report the binary {name}; refusing to measure an old one"));
        assert!(
            path.is_file(),
            "{name}: {} does not exist after the build",
            path.display()
        );
    }
    found
}

/// One cold start: what the function posted first and what it cost.
#[derive(Debug)]
pub struct ColdStart {
    /// The first thing the function posted (an answer, an error or an init error).
    pub reply: Reply,
    /// Just before the spawn (monotonic), to place other events of the start (a key-set request).
    pub started: Instant,
    /// Just before the spawn (wall clock), to compare with timestamps the program prints.
    pub spawned_at: SystemTime,
    /// Spawn to the first post.
    pub to_answer: Duration,
    /// VmHWM when the process asked for its second event, in KiB (0 when it never asked within
    /// 5 s, e.g. after an init error).
    pub peak_rss_kib: u64,
    /// Everything it printed (stdout, then stderr).
    pub output: String,
}

/// Starts `binary` as Lambda starts it (a clean environment plus `env`, see [`function_command`])
/// under a fresh stand-in for the function `name`, with `event` already queued, and measures the
/// time from spawn to its first post; then waits for it to ask for its next event (it has
/// answered and is idle: the peak RSS is sampled then) and stops it.
///
/// # Panics
///
/// If the stand-in cannot start, the binary cannot be spawned, or nothing is posted within
/// `timeout` (the panic carries what the program printed).
pub async fn cold_start<K, V>(
    binary: &Path,
    name: &str,
    env: impl IntoIterator<Item = (K, V)>,
    event: Value,
    timeout: Duration,
) -> ColdStart
where
    K: AsRef<std::ffi::OsStr>,
    V: AsRef<std::ffi::OsStr>,
{
    let mut api = RuntimeApi::start_for(name)
        .await
        .unwrap_or_else(|e| panic!("the Runtime API stand-in did not start: {e}"));
    api.push(event);
    let mut command = function_command(binary, &api, name);
    command.envs(env);
    let spawned_at = SystemTime::now();
    let started = Instant::now();
    let child = command.spawn().unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    api.watch_pid(child.id());
    let Some(reply) = api.reply(timeout).await else {
        let (_, output) = finish(child, Duration::ZERO);
        panic!("{name}: nothing posted within {timeout:?}\n{output}");
    };
    let at = match &reply {
        Reply::Response { at, .. } | Reply::Error { at, .. } | Reply::InitError { at, .. } => *at,
    };
    let waited = Instant::now();
    while api.next_calls() < 2 && waited.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let peak_rss_kib = api.peak_rss_kib();
    let (_, output) = finish(child, Duration::ZERO);
    ColdStart {
        reply,
        started,
        spawned_at,
        to_answer: at - started,
        peak_rss_kib,
        output,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(median(&[ms(4), ms(1), ms(3), ms(2)]), ms(3));
        assert!((median_f64(&[2.0, 0.5, 1.0]) - 1.0).abs() < f64::EPSILON);
    }
}
