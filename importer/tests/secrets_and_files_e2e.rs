//! Secrets, endpoints and files (issue #13) end to end: the real binary, moto as Cognito, the Descope
//! emulator as Descope. Where the key may go, which endpoints and regions a run accepts, what files
//! it leaves, and how it stops.

use std::{
    io::Read as _,
    net::TcpListener,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use crate::support::{
    Importer, MANAGEMENT_KEY, Moto, Pool, Run, descope, descope_config, finish, read_report, users_by_login,
};
use descope_emulator::FaultConfig;
use serde_json::Value;

/// A TCP listener on loopback that counts the connections it gets and answers none of them.
struct Trap {
    url: String,
    hits: Arc<AtomicUsize>,
}

fn trap() -> Trap {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 1024];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = stream.read(&mut buf);
        }
    });
    Trap { url, hits }
}

async fn small_pool(moto: &Moto, name: &str, users: usize) -> Pool {
    let pool = Pool::create(moto.client(), name, &[]).await;
    pool.group("staff", "Everyone").await;
    for i in 0..users {
        pool.user(
            &format!("{name}{i:03}"),
            &[
                ("email", &format!("{name}{i:03}@example.com")),
                ("email_verified", "true"),
            ],
        )
        .await;
    }
    pool
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dotenv_in_a_parent_directory_is_never_read() {
    let moto = Moto::start();
    let pool = small_pool(&moto, "dotenv", 2).await;
    let emulator = descope(descope_config()).await;
    let importer = Importer::new(&moto, &emulator, &[&pool.id]);
    let trap = trap();
    // The planted file sits in the parent of the working directory and points Descope at the trap.
    std::fs::write(
        importer.work.path().join(".env"),
        format!("DESCOPE_BASE_URL={}\n", trap.url),
    )
    .unwrap();
    let child_dir = importer.work.path().join("run");
    std::fs::create_dir(&child_dir).unwrap();
    let mut command = importer.command(&["migrate", "--dry-run"]);
    command
        .current_dir(&child_dir)
        .env_remove("DESCOPE_BASE_URL")
        // Without the planted URL the run goes to api.descope.com, which this machine cannot
        // reach: one attempt, so it gives up quickly.
        .env("DESCOPE_MAX_ATTEMPTS", "1");
    let run = finish(
        command,
        &importer.work.path().join("report.json"),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(
        trap.hits.load(Ordering::SeqCst),
        0,
        "the trap from the parent's .env got the management key: {}",
        run.output()
    );
    assert!(!run.output().contains(&trap.url), "{}", run.output());
    // And the working directory's own .env is still read.
    std::fs::write(
        child_dir.join(".env"),
        format!("DESCOPE_BASE_URL={}\n", emulator.base_url()),
    )
    .unwrap();
    let mut command = importer.command(&["migrate", "--dry-run"]);
    command.current_dir(&child_dir).env_remove("DESCOPE_BASE_URL");
    let run = finish(
        command,
        &importer.work.path().join("report2.json"),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(trap.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_endpoints_off_loopback_are_refused_and_the_plan_names_both_endpoints() {
    let moto = Moto::start();
    let pool = small_pool(&moto, "endpoints", 1).await;
    let emulator = descope(descope_config()).await;
    let importer = Importer::new(&moto, &emulator, &[&pool.id]);
    let cases: [(&str, &str, &[&str]); 3] = [
        ("DESCOPE_BASE_URL", "http://descope.example.test", &[]),
        ("COGNITO_ENDPOINT_URL", "http://cognito.example.test", &[]),
        (
            "AWS_ENDPOINT_URL",
            "http://10.255.255.1:5000",
            &["COGNITO_ENDPOINT_URL"],
        ),
    ];
    for (i, (var, url, unset)) in cases.into_iter().enumerate() {
        let mut command = importer.command(&["migrate", "--dry-run"]);
        command.env(var, url);
        for name in unset {
            command.env_remove(name);
        }
        let report = importer.work.path().join(format!("endpoint-{i}.json"));
        let run = finish(command, &report, Duration::from_secs(60)).await;
        assert_eq!(run.code, 2, "{var}: {}", run.output());
        assert!(
            run.stderr.contains(var) && run.stderr.contains("https"),
            "{var}: {}",
            run.stderr
        );
        assert_eq!(emulator.emulator.request_log().len(), 0, "{var}: nothing was called");
    }

    let command = importer.command(&["migrate", "--dry-run"]);
    let run = finish(
        command,
        &importer.work.path().join("plan.json"),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout.contains(&format!("Descope API: {}", emulator.base_url())),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("Cognito API: {} (from COGNITO_ENDPOINT_URL", moto.url)),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_that_contradicts_the_pool_id_is_a_configuration_error() {
    let moto = Moto::start();
    let pool = small_pool(&moto, "region", 1).await;
    assert!(pool.id.starts_with("us-east-1_"), "{}", pool.id);
    let emulator = descope(descope_config()).await;
    let importer = Importer::new(&moto, &emulator, &[&pool.id]);
    for (var, value) in [("COGNITO_REGION", "eu-west-1"), ("AWS_REGION", "eu-central-1")] {
        let mut command = importer.command(&["migrate", "--dry-run"]);
        command.env(var, value);
        let run = finish(command, &importer.work.path().join("r.json"), Duration::from_secs(60)).await;
        assert_eq!(run.code, 2, "{var}: {}", run.output());
        for needle in [var, value, "us-east-1", pool.id.as_str()] {
            assert!(run.stderr.contains(needle), "{var}: {needle} missing in {}", run.stderr);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pools_in_two_regions_are_each_read_in_their_own() {
    let moto = Moto::start();
    let east = small_pool(&moto, "east", 2).await;
    let west = Pool::create(moto.client_in("eu-west-1"), "west", &[]).await;
    assert!(west.id.starts_with("eu-west-1_"), "{}", west.id);
    west.group("editors", "Edit").await;
    west.user(
        "west000",
        &[("email", "west000@example.com"), ("email_verified", "true")],
    )
    .await;
    west.add_to_group("west000", "editors").await;

    let emulator = descope(descope_config()).await;
    let specs = [format!("{}=tenant-east", east.id), format!("{}=tenant-west", west.id)];
    let importer = Importer::new(&moto, &emulator, &[&specs[0], &specs[1]]);
    let mut command = importer.command(&["migrate"]);
    // No single region fits both pools.
    command.env_remove("COGNITO_REGION");
    let run = finish(command, &importer.work.path().join("r.json"), Duration::from_secs(120)).await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(emulator.emulator.user_count(), 3);
    let users = users_by_login(&emulator.emulator.state_dump());
    let west_user = &users["west000@example.com"];
    assert_eq!(west_user["userTenants"][0]["tenantId"], "tenant-west", "{west_user}");
    assert_eq!(west_user["userTenants"][0]["roleNames"][0], "editors", "{west_user}");

    // And with one region given for both, the run refuses to start.
    let mut command = importer.command(&["migrate", "--dry-run"]);
    command.env("COGNITO_REGION", "us-east-1");
    let run = finish(command, &importer.work.path().join("r2.json"), Duration::from_secs(60)).await;
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains("eu-west-1") && run.stderr.contains("us-east-1"),
        "{}",
        run.stderr
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_and_reports_are_owner_only_even_over_an_existing_report() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let moto = Moto::start();
    let pool = small_pool(&moto, "modes", 2).await;
    let emulator = descope(descope_config()).await;
    let importer = Importer::new(&moto, &emulator, &[&pool.id]);
    let log_dir = importer.work.path().join("new/logs");
    let report = importer.work.path().join("existing-report.json");
    std::fs::write(
        &report,
        "an older report, world-readable, longer than the new one ".repeat(1000),
    )
    .unwrap();
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut command = importer.command(&["migrate"]);
    command.env("MIGRATION_LOG_DIR", &log_dir);
    let run = finish(command, &report, Duration::from_secs(60)).await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(run.report.is_some(), "the old content was truncated: the report parses");
    assert_eq!(mode(&report), 0o600, "report");
    assert_eq!(mode(&log_dir), 0o700, "log directory");
    assert_eq!(mode(&importer.work.path().join("new")), 0o700, "its new parent");
    let logs: Vec<PathBuf> = std::fs::read_dir(&log_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!(mode(&logs[0]), 0o600, "log file");
    // The default report, next to the log, is private too.
    let mut command = importer.command(&["migrate", "--dry-run"]);
    command.env("MIGRATION_LOG_DIR", &log_dir);
    let out = command.output().await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for entry in std::fs::read_dir(&log_dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_management_key_still_leaves_a_report_saying_why() {
    let moto = Moto::start();
    let pool = small_pool(&moto, "refused", 2).await;
    let emulator = descope(descope_config()).await;
    let importer = Importer::new(&moto, &emulator, &[&pool.id]);
    let mut command = importer.command(&["migrate"]);
    command.env("DESCOPE_MANAGEMENT_KEY", "K2wrong-key-value");
    let report = importer.work.path().join("refused.json");
    let run = finish(command, &report, Duration::from_secs(60)).await;
    assert_eq!(run.code, 2, "{}", run.output());
    let reason = run.aborted_reason();
    assert!(reason.contains("refused the credentials"), "{reason}");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        !text.contains("K2wrong-key-value") && !text.contains(MANAGEMENT_KEY),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descope_failing_every_call_stops_the_run_with_exit_3_and_a_report() {
    let moto = Moto::start();
    let pool = small_pool(&moto, "down", 3).await;
    let faults = FaultConfig {
        error_rate: 1.0,
        error_status: 503,
        ..FaultConfig::default()
    };
    let emulator = descope(descope_config().faults(faults)).await;
    let importer = Importer::new(&moto, &emulator, &[&pool.id]);
    let mut command = importer.command(&["migrate"]);
    command.env("DESCOPE_MAX_ATTEMPTS", "2");
    let run = finish(
        command,
        &importer.work.path().join("down.json"),
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(run.code, 3, "{}", run.output());
    let reason = run.aborted_reason();
    assert!(reason.contains("503"), "{reason}");
    assert!(run.stdout.contains("Stopped before the end"), "{}", run.output());
    // Two attempts of the first call, then nothing more.
    assert_eq!(emulator.emulator.request_log().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descope_going_away_mid_run_stops_after_consecutive_failures_not_user_by_user() {
    let moto = Moto::start();
    let pool = small_pool(&moto, "gone", 40).await;
    // Every call takes 100 ms, so the run is mid-way when Descope goes away.
    let faults = FaultConfig {
        latency_rate: 1.0,
        latency: Duration::from_millis(100),
        ..FaultConfig::default()
    };
    let emulator = descope(descope_config().faults(faults)).await;
    let mut importer = Importer::new(&moto, &emulator, &[&pool.id]);
    importer.extra_env.extend([
        ("MIGRATION_BATCH_SIZE".into(), "1".into()),
        ("MIGRATION_CONCURRENCY".into(), "1".into()),
        ("DESCOPE_MAX_ATTEMPTS".into(), "2".into()),
    ]);
    let report = importer.work.path().join("gone.json");
    let mut command = importer.command(&["migrate"]);
    command.arg("--report").arg(&report);
    let child = command.spawn().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while emulator.emulator.user_count() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "no user was created");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let created_before = emulator.emulator.user_count();
    drop(emulator); // Descope is gone: connections refused from now on.
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the run stops by itself")
        .unwrap();
    let output = Run::from_output(&out, None).output();
    assert_eq!(out.status.code(), Some(3), "{output}");
    let report = read_report(&report).expect("a valid JSON report");
    let reason = report["summary"]["aborted"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("5 calls in a row"), "{reason}");
    let created = report["summary"]["outcomes"]["Created"].as_u64().unwrap_or(0);
    assert!(created as usize >= created_before - 1, "{created} of {created_before}");
    // The users after the stop are not tried one by one: at most the in-flight ones and the rest
    // of the page read are reported as not migrated, each saying the run stopped.
    let failed: Vec<&Value> = report["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["outcome"] == "failed")
        .collect();
    assert!(!failed.is_empty());
    let attempted = failed
        .iter()
        .filter(|u| !u["reason"].as_str().unwrap_or_default().contains("the run is stopping"))
        .count();
    assert!(
        attempted <= 5,
        "{attempted} users were tried after Descope went away: {failed:?}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_mid_run_still_leaves_a_valid_report_saying_so() {
    let moto = Moto::start();
    let pool = small_pool(&moto, "sigint", 30).await;
    // Every call takes 300 ms: the signal lands while a call is in flight.
    let faults = FaultConfig {
        latency_rate: 1.0,
        latency: Duration::from_millis(300),
        ..FaultConfig::default()
    };
    let emulator = descope(descope_config().faults(faults)).await;
    let mut importer = Importer::new(&moto, &emulator, &[&pool.id]);
    importer.extra_env.extend([
        ("MIGRATION_BATCH_SIZE".into(), "1".into()),
        ("MIGRATION_CONCURRENCY".into(), "1".into()),
    ]);
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        emulator.emulator.reset();
        let report = importer.work.path().join(format!("sig{signal}.json"));
        let mut command = importer.command(&["migrate"]);
        command.arg("--report").arg(&report);
        let child = command.spawn().unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while emulator.emulator.user_count() < 2 {
            assert!(tokio::time::Instant::now() < deadline, "no user was created");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let pid = child.id().unwrap().to_string();
        let sent = std::process::Command::new("kill")
            .args([format!("-{signal}"), pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
            .await
            .expect("the run stops promptly")
            .unwrap();
        let output = Run::from_output(&out, None).output();
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {output}");
        let report = read_report(&report).unwrap_or_else(|| panic!("SIG{signal}: a valid JSON report: {output}"));
        let reason = report["summary"]["aborted"]["reason"].as_str().unwrap_or_default();
        assert_eq!(reason, format!("interrupted by SIG{signal}"));
        assert!(
            report["summary"]["outcomes"]["Created"].as_u64().unwrap_or(0) >= 1,
            "{report}"
        );
        assert!(emulator.emulator.user_count() < 30, "stopped mid-run");
    }
}
