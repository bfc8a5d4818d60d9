//! Cognito under load, end to end: the real binary reads moto through the harness's stand-in, which
//! answers a share of calls with the errors Cognito sends when throttling or failing. Every attempt,
//! retries included, goes through the pacer, so the rate Cognito sees never exceeds the configured
//! pace; retryable errors are retried until the run converges; other errors end the run at once.

use std::time::{Duration, Instant};

use crate::support::{Importer, Moto, Pool, descope, descope_config, users_by_login};
use moto_harness::{Fault, StandIn};
use serde_json::json;

/// The pace the tests set, in attempts per second.
const PACE: usize = 10;

/// Groups in the pool: more than the importer walks at once, so the membership phase keeps the
/// pacer busy and any attempt that skipped it would push a window over the pace.
const GROUPS: usize = 24;

const USERS: usize = 30;

/// A pool of [`USERS`] users with verified emails, each in two of [`GROUPS`] groups.
async fn busy_pool(moto: &Moto) -> Pool {
    let pool = Pool::create(moto.client(), "busy", &[]).await;
    for g in 0..GROUPS {
        pool.group(&format!("group-{g:02}"), "a group").await;
    }
    for u in 0..USERS {
        let name = format!("user{u:02}");
        pool.user(
            &name,
            &[("email", &format!("{name}@example.com")), ("email_verified", "true")],
        )
        .await;
        pool.add_to_group(&name, &format!("group-{:02}", u % GROUPS)).await;
        pool.add_to_group(&name, &format!("group-{:02}", (u * 7 + 3) % GROUPS))
            .await;
    }
    pool
}

/// The importer reading Cognito through `stand_in` at [`PACE`] attempts a second.
fn paced_importer(
    moto: &Moto,
    stand_in: &StandIn,
    descope: &descope_emulator::RunningEmulator,
    pool: &str,
) -> Importer {
    let mut importer = Importer::new(moto, descope, &[pool]);
    importer.moto_url = stand_in.url.clone();
    importer
        .extra_env
        .push(("COGNITO_REQUESTS_PER_SECOND".into(), PACE.to_string()));
    importer
}

/// The importer's count in its log line `Cognito: N attempts for M calls, T throttled, E other
/// retryable errors ...`, by the word after the number.
fn logged(log: &str, word: &str) -> Option<usize> {
    let line = log
        .lines()
        .find(|l| l.contains("Cognito: ") && l.contains(" attempts for "))?;
    let words: Vec<&str> = line.split(|c: char| c.is_whitespace() || c == ',').collect();
    words.windows(2).find(|w| w[1] == word).and_then(|w| w[0].parse().ok())
}

/// Every user created once, with both of their groups as roles.
fn assert_converged(descope: &descope_emulator::RunningEmulator) {
    let dump = descope.emulator.state_dump();
    let users = users_by_login(&dump);
    assert_eq!(users.len(), USERS, "every Cognito user exactly once in Descope");
    for u in 0..USERS {
        let mut expected = vec![
            format!("group-{:02}", u % GROUPS),
            format!("group-{:02}", (u * 7 + 3) % GROUPS),
        ];
        expected.sort();
        expected.dedup();
        let user = &users[&format!("user{u:02}@example.com")];
        let mut roles: Vec<String> = user["roleNames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect();
        roles.sort();
        assert_eq!(roles, expected, "roles of user{u:02}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_migration_converges_and_every_attempt_keeps_the_pace() {
    let moto = Moto::start();
    let pool = busy_pool(&moto).await;
    let stand_in = StandIn::builder(&moto.url)
        .fault(Fault::TooManyRequests, 0.3)
        .seed(15)
        .start();
    let descope = descope(descope_config()).await;
    let importer = paced_importer(&moto, &stand_in, &descope, &pool.id);

    let run = importer.run(&["migrate"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(run.outcome("Created"), USERS as u64, "{}", run.output());
    assert_converged(&descope);

    let throttled = stand_in.faults(Fault::TooManyRequests);
    let attempts = stand_in.requests().len();
    assert!(
        throttled >= 5,
        "the stand-in throttled only {throttled} of {attempts} calls"
    );
    // The pacer spaces attempts evenly (no burst); one more than the pace allows for two attempts
    // whose slots were a pacing interval apart arriving a little closer together.
    let peak = stand_in.max_in_window(Duration::from_secs(1));
    eprintln!("throttled: {attempts} attempts, {throttled} throttled, peak {peak} in 1 s");
    assert!(
        peak <= PACE + 1,
        "{peak} attempts reached Cognito within one second at a pace of {PACE}/s ({attempts} attempts, {throttled} throttled)"
    );
    // The run's log accounts for every attempt the stand-in saw.
    assert_eq!(logged(&run.log, "attempts"), Some(attempts), "{}", run.log);
    assert_eq!(logged(&run.log, "throttled"), Some(throttled), "{}", run.log);

    // A re-run through the same throttling stand-in converges on nothing to do.
    let again = importer.run(&["migrate"]).await;
    assert_eq!(again.code, 0, "{}", again.output());
    assert_eq!(again.outcome("Unchanged"), USERS as u64, "{}", again.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_errors_and_unavailable_answers_are_retried_within_the_pace() {
    let moto = Moto::start();
    let pool = busy_pool(&moto).await;
    let stand_in = StandIn::builder(&moto.url)
        .fault(Fault::InternalError, 0.15)
        .fault(Fault::ServiceUnavailable, 0.15)
        .seed(5)
        .start();
    let descope = descope(descope_config()).await;
    let importer = paced_importer(&moto, &stand_in, &descope, &pool.id);

    let run = importer.run(&["migrate"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(run.outcome("Created"), USERS as u64, "{}", run.output());
    assert_converged(&descope);

    let errors = stand_in.faults(Fault::InternalError) + stand_in.faults(Fault::ServiceUnavailable);
    assert!(
        stand_in.faults(Fault::InternalError) > 0 && stand_in.faults(Fault::ServiceUnavailable) > 0,
        "both kinds were injected"
    );
    let peak = stand_in.max_in_window(Duration::from_secs(1));
    eprintln!(
        "5xx: {} attempts, {errors} retryable errors, peak {peak} in 1 s",
        stand_in.requests().len()
    );
    assert!(
        peak <= PACE + 1,
        "{peak} attempts within one second at a pace of {PACE}/s"
    );
    assert_eq!(
        logged(&run.log, "attempts"),
        Some(stand_in.requests().len()),
        "{}",
        run.log
    );
    assert_eq!(logged(&run.log, "other"), Some(errors), "{}", run.log);
    assert_eq!(logged(&run.log, "throttled"), Some(0), "{}", run.log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_that_does_not_exist_fails_at_once_with_what_to_check() {
    let moto = Moto::start();
    let stand_in = StandIn::builder(&moto.url).start();
    let descope = descope(descope_config()).await;
    let importer = paced_importer(&moto, &stand_in, &descope, "us-east-1_Missing0");

    let started = Instant::now();
    let run = importer.run(&["migrate"]).await;
    assert_eq!(run.code, 3, "a fatal error: {}", run.output());
    let output = run.output();
    assert!(output.contains("us-east-1_Missing0"), "{output}");
    assert!(output.contains("ResourceNotFoundException"), "{output}");
    assert!(
        output.contains("COGNITO_USER_POOL_ID") && output.contains("credentials"),
        "the error says what to check: {output}"
    );
    assert_eq!(stand_in.attempts("DescribeUserPool"), 1, "not retried");
    assert_eq!(stand_in.requests().len(), 1, "nothing read after the failure");
    assert!(started.elapsed() < Duration::from_secs(10), "failed fast");
    assert_eq!(descope.emulator.state_dump()["users"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_that_never_ends_gives_up_with_the_setting_to_lower() {
    let moto = Moto::start();
    let pool = Pool::create(moto.client(), "always-throttled", &[]).await;
    let stand_in = StandIn::builder(&moto.url).fault(Fault::TooManyRequests, 1.0).start();
    let descope = descope(descope_config()).await;
    let importer = paced_importer(&moto, &stand_in, &descope, &pool.id);

    let run = importer.run(&["migrate"]).await;
    assert_eq!(run.code, 3, "a fatal error: {}", run.output());
    let output = run.output();
    let attempts = stand_in.attempts("DescribeUserPool");
    // The importer's limit per call, first try included.
    assert_eq!(attempts, 8, "{output}");
    assert!(
        output.contains(&format!("after {attempts} attempts")) && output.contains("TooManyRequestsException"),
        "{output}"
    );
    assert!(
        output.contains("COGNITO_REQUESTS_PER_SECOND"),
        "names the pace to lower: {output}"
    );
    assert_eq!(stand_in.requests().len(), attempts, "nothing read after giving up");
    assert_eq!(logged(&run.log, "throttled"), Some(attempts), "{}", run.log);
}
