//! `cognito-to-descope` end to end: the real binary, moto server as Cognito, the Descope emulator
//! as Descope. Each test reads as one migration story.

use std::time::Duration;

use crate::support::{
    Importer, MANAGEMENT_KEY, Moto, PROJECT_ID, Pool, descope, descope_config, manage, users_by_login,
};
use aws_sdk_cognitoidentityprovider::types::AttributeDataType as T;
use descope_emulator::{FaultConfig, FaultTiming, RateLimitConfig};
use serde_json::{Value, json};

/// A pool with every kind of user the issue names: custom attributes of every type, disabled users,
/// every status moto can produce, phone-only and username-only users, unicode names, users in many
/// groups, groups with spaces in their names.
async fn realistic_pool(moto: &Moto) -> Pool {
    let custom = [
        ("plan", T::String),
        ("seats", T::Number),
        ("beta", T::Boolean),
        ("renewal", T::Datetime),
    ];
    let mut pool = Pool::create(moto.client(), "realistic", &custom).await;
    pool.group("admins", "Full access").await;
    pool.group("content editors", "Edit content").await;
    pool.group("viewers", "Read only").await;
    pool.user(
        "ana",
        &[
            ("email", "ana@example.com"),
            ("email_verified", "true"),
            ("phone_number", "+15550100"),
            ("phone_number_verified", "true"),
            ("name", "Ana María Pérez"),
            ("given_name", "Ana"),
            ("middle_name", "María"),
            ("family_name", "Pérez"),
            ("picture", "https://img.example.com/ana.png"),
            ("locale", "es-AR"),
            ("custom:plan", "gold"),
            ("custom:seats", "12"),
            ("custom:beta", "true"),
            ("custom:renewal", "1767225600"),
        ],
    )
    .await;
    pool.confirm("ana").await;
    for group in ["admins", "content editors", "viewers"] {
        pool.add_to_group("ana", group).await;
    }
    pool.user(
        "bob",
        &[
            ("email", "bob@example.com"),
            ("email_verified", "true"),
            ("custom:seats", "1.5"),
        ],
    )
    .await;
    pool.require_reset("bob").await;
    pool.add_to_group("bob", "viewers").await;
    pool.user(
        "chen",
        &[
            ("email", "chen@example.com"),
            ("name", "陈伟"),
            ("custom:beta", "false"),
        ],
    )
    .await;
    pool.disable("chen").await;
    pool.add_to_group("chen", "content editors").await;
    pool.user(
        "phone-only",
        &[("phone_number", "+15550199"), ("phone_number_verified", "false")],
    )
    .await;
    pool.user("just-a-username", &[]).await;
    pool.sign_up("dana", &[("email", "dana@example.com"), ("nickname", "D")])
        .await;
    pool
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_realistic_pool_is_migrated_verified_and_a_rerun_changes_nothing() {
    let moto = Moto::start();
    let pool = realistic_pool(&moto).await;
    let descope = descope(descope_config()).await;
    let importer = Importer::new(&moto, &descope, &[&pool.id]);

    let run = importer.run(&["migrate"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    // chen, phone-only and dana never verified their email or phone: migrated under their
    // username, with a warning.
    assert_eq!(run.outcome("Created"), 3, "{}", run.output());
    assert_eq!(run.outcome("CreatedWithWarnings"), 3, "{}", run.output());
    assert!(!run.output().contains(MANAGEMENT_KEY), "the management key leaked");
    assert!(
        !run.log.contains(MANAGEMENT_KEY),
        "the management key leaked into the log"
    );

    let dump = descope.emulator.state_dump();
    let users = users_by_login(&dump);
    assert_eq!(users.len(), 6);
    let ana = &users["ana@example.com"];
    assert_eq!(ana["email"], "ana@example.com");
    assert_eq!(ana["phone"], "+15550100");
    assert_eq!(
        (ana["verifiedEmail"].as_bool(), ana["verifiedPhone"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(ana["name"], "Ana María Pérez");
    assert_eq!(
        (ana["givenName"].as_str(), ana["middleName"].as_str()),
        (Some("Ana"), Some("María"))
    );
    assert_eq!(ana["familyName"], "Pérez");
    assert_eq!(ana["picture"], "https://img.example.com/ana.png");
    assert_eq!(ana["status"], "enabled");
    let mut roles: Vec<&str> = ana["roleNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    roles.sort();
    assert_eq!(roles, vec!["admins", "content editors", "viewers"]);
    let attrs = &ana["customAttributes"];
    assert_eq!(attrs["plan"], "gold");
    assert_eq!(attrs["seats"], 12);
    assert_eq!(attrs["beta"], true);
    assert_eq!(attrs["renewal"], "2026-01-01T00:00:00Z");
    assert_eq!(attrs["locale"], "es-AR");
    assert_eq!(attrs["freshlyMigrated"], true);
    assert_eq!(attrs["cognitoUsername"], "ana");
    assert_eq!(attrs["cognitoSub"], pool.sub("ana").await);
    assert_eq!(attrs["cognitoPoolId"], pool.id.as_str());
    assert_eq!(attrs["cognitoUserStatus"], "CONFIRMED");

    assert_eq!(users["bob@example.com"]["customAttributes"]["seats"], 1.5);
    assert_eq!(
        users["bob@example.com"]["customAttributes"]["cognitoUserStatus"],
        "RESET_REQUIRED"
    );
    assert_eq!(users["chen"]["status"], "disabled", "disabled users stay disabled");
    assert_eq!(users["chen"]["name"], "陈伟");
    assert_eq!(users["chen"]["email"], "chen@example.com", "kept as a field");
    assert_eq!(users["chen"]["verifiedEmail"], false);
    assert_eq!(users["phone-only"]["phone"], "+15550199");
    assert_eq!(run.user("chen")["warnings"][0]["warning"], "unverifiedContact");
    assert_eq!(
        users["just-a-username"]["customAttributes"]["cognitoUserStatus"],
        "FORCE_CHANGE_PASSWORD"
    );
    assert_eq!(users["dana"]["customAttributes"]["cognitoUserStatus"], "UNCONFIRMED");
    assert_eq!(users["dana"]["customAttributes"]["nickname"], "D");

    let mut role_names: Vec<(String, String)> = dump["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["description"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    role_names.sort();
    assert_eq!(
        role_names,
        vec![
            ("admins".into(), "Full access".into()),
            ("content editors".into(), "Edit content".into()),
            ("viewers".into(), "Read only".into())
        ]
    );

    // The report lists every user's outcome.
    assert_eq!(run.user("ana")["outcome"], "created");
    assert_eq!(run.report.as_ref().unwrap()["users"].as_array().unwrap().len(), 6);

    // The memberships travelled inside the user batches: no per-user Descope calls.
    let log = descope.emulator.request_log();
    let per_user = log
        .iter()
        .filter(|r| r.path.contains("/role/add") || r.path == "/v1/mgmt/user/create")
        .count();
    assert_eq!(per_user, 0, "{log:?}");

    let verified = importer.run(&["verify"]).await;
    assert_eq!(verified.code, 0, "{}", verified.output());
    assert_eq!(verified.outcome("Verified"), 6);

    let again = importer.run(&["migrate"]).await;
    assert_eq!(again.code, 0, "{}", again.output());
    assert!(again.stdout.contains("Nothing to do"), "{}", again.output());
    assert_eq!(again.outcome("Unchanged"), 6);
    assert_eq!(
        descope.emulator.state_dump()["users"],
        dump["users"],
        "a re-run changes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_reads_everything_prints_the_plan_and_writes_nothing() {
    let moto = Moto::start();
    let pool = realistic_pool(&moto).await;
    // A second user verified ana's address (in another case): nobody can tell who owns it.
    pool.user("dup", &[("email", "ANA@example.com"), ("email_verified", "true")])
        .await;
    let descope = descope(descope_config()).await;
    let importer = Importer::new(&moto, &descope, &[&pool.id]);
    let before = descope.emulator.state_dump();

    let run = importer.run(&["migrate", "--dry-run", "-v"]).await;
    assert_eq!(
        run.code,
        1,
        "a user that cannot be migrated makes the dry run fail: {}",
        run.output()
    );
    assert_eq!(descope.emulator.state_dump(), before, "nothing written");
    let writes: Vec<_> = descope
        .emulator
        .request_log()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.ends_with("/search"))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert_eq!(run.outcome("WouldCreate"), 5);
    assert_eq!(run.outcome("Conflict"), 2, "both owners are reported");
    for name in ["ana", "dup"] {
        let user = run.user(name);
        assert_eq!(user["problems"][0]["problem"], "sharedVerifiedContact");
        assert!(user["sub"].as_str().is_some_and(|s| !s.is_empty()), "{user}");
    }
    for expected in [
        "Custom attribute definitions to create",
        "freshlyMigrated (Boolean)",
        "seats (Number)",
        "Roles to create: 3",
        "content editors",
        "would create",
        "email verified by several Cognito users (conflict): 2",
        "Conflicts (2)",
        "3 users have an unverified (or shared) email or phone",
        "ana@example.com",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?} in:\n{}",
            run.output()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_value_never_loses_a_user_unless_strict() {
    let moto = Moto::start();
    let custom = [("seats", T::Number), ("beta", T::Boolean), ("renewal", T::Datetime)];
    let pool = Pool::create(moto.client(), "messy", &custom).await;
    let with = |email: &'static str, attr: Option<(&'static str, &'static str)>| {
        let mut attrs = vec![("email", email), ("email_verified", "true")];
        attrs.extend(attr);
        attrs
    };
    // Listed first, but unverified: the verified holder of the address (in another case) keeps it.
    pool.user("second", &[("email", "Same@Example.com")]).await;
    pool.user("first", &with("same@example.com", None)).await;
    pool.user("bad-number", &with("n@example.com", Some(("custom:seats", "twelve"))))
        .await;
    pool.user("bad-bool", &with("b@example.com", Some(("custom:beta", "maybe"))))
        .await;
    pool.user(
        "plain-date",
        &with("d@example.com", Some(("custom:renewal", "2024-01-15"))),
    )
    .await;
    pool.user(
        "free-text",
        &with("t@example.com", Some(("custom:renewal", "next week"))),
    )
    .await;
    pool.user("fine", &with("fine@example.com", Some(("custom:seats", "3"))))
        .await;
    let stage = descope(descope_config()).await;
    let importer = Importer::new(&moto, &stage, &[&pool.id]);

    let run = importer.run(&["migrate"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(run.outcome("Created"), 3, "{}", run.output());
    assert_eq!(run.outcome("CreatedWithWarnings"), 4, "{}", run.output());
    assert_eq!(run.user("bad-number")["warnings"][0]["attribute"], "custom:seats");
    assert_eq!(run.user("bad-bool")["warnings"][0]["value"], "maybe");
    assert_eq!(run.user("free-text")["warnings"][0]["warning"], "keptAsText");
    assert_eq!(run.user("second")["loginId"], "second");
    let users = users_by_login(&stage.emulator.state_dump());
    assert_eq!(
        users["same@example.com"]["customAttributes"]["cognitoUsername"],
        "first"
    );
    assert_eq!(users["second"]["email"], "Same@Example.com");
    assert!(users["n@example.com"]["customAttributes"].get("seats").is_none());
    assert_eq!(users["d@example.com"]["customAttributes"]["renewal"], "2024-01-15");
    assert_eq!(users["t@example.com"]["customAttributes"]["renewal"], "next week");
    assert_eq!(users["fine@example.com"]["customAttributes"]["seats"], 3);
    // verify and a re-run read the values the same way: nothing to fix.
    let verify = importer.run(&["verify"]).await;
    assert_eq!(verify.code, 0, "{}", verify.output());
    let again = importer.run(&["migrate"]).await;
    assert!(again.stdout.contains("Nothing to do"), "{}", again.output());

    // --strict keeps the first version's refusal.
    let strict_stage = descope(descope_config()).await;
    let mut strict = Importer::new(&moto, &strict_stage, &[&pool.id]);
    strict.extra_env.push(("MIGRATION_STRICT".into(), "true".into()));
    let run = strict.run(&["migrate"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    assert_eq!(run.outcome("Unmigratable"), 3, "{}", run.output());
    assert_eq!(run.user("bad-number")["problems"][0]["attribute"], "custom:seats");
    for name in ["bad-number", "bad-bool", "free-text"] {
        assert!(run.stdout.contains(name), "{name} is listed: {}", run.output());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_pools_become_tenants_and_one_person_one_user() {
    let moto = Moto::start();
    let client = moto.client();
    let eu = Pool::create(client.clone(), "eu", &[]).await;
    let us = Pool::create(client, "us", &[]).await;
    eu.group("admins", "EU admins").await;
    us.group("admins", "US admins").await;
    us.group("billing", "US billing").await;
    let ana = |name: &'static str| [("email", "ana@example.com"), ("email_verified", "true"), ("name", name)];
    eu.user("ana-eu", &ana("Ana (EU)")).await;
    eu.add_to_group("ana-eu", "admins").await;
    us.user("ana-us", &ana("Ana (US)")).await;
    us.add_to_group("ana-us", "billing").await;
    us.user("ben", &[("email", "ben@example.com"), ("email_verified", "true")])
        .await;
    us.add_to_group("ben", "admins").await;
    let descope = descope(descope_config()).await;
    let eu_spec = format!("{}=tenant-eu", eu.id);
    let us_spec = format!("{}=tenant-us", us.id);
    let importer = Importer::new(&moto, &descope, &[&eu_spec, &us_spec]);

    let run = importer.run(&["migrate"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    let dump = descope.emulator.state_dump();
    let tenants: Vec<&str> = dump["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(tenants.len(), 2, "{tenants:?}");
    let users = users_by_login(&dump);
    assert_eq!(users.len(), 2);
    let ana = &users["ana@example.com"];
    assert_eq!(ana["name"], "Ana (EU)", "the first pool owns the profile");
    let mut memberships: Vec<(String, Vec<Value>)> = ana["userTenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tenantId"].as_str().unwrap().to_owned(),
                t["roleNames"].as_array().unwrap().clone(),
            )
        })
        .collect();
    memberships.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        memberships,
        vec![
            ("tenant-eu".into(), vec![json!("admins")]),
            ("tenant-us".into(), vec![json!("billing")])
        ]
    );
    assert!(
        ana["roleNames"].as_array().unwrap().is_empty(),
        "tenant pools give tenant roles only"
    );

    let verified = importer.run(&["verify"]).await;
    assert_eq!(verified.code, 0, "{}", verified.output());
    let again = importer.run(&["migrate"]).await;
    assert!(again.stdout.contains("Nothing to do"), "{}", again.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_finds_a_planted_mismatch_and_a_missing_user() {
    let moto = Moto::start();
    let pool = realistic_pool(&moto).await;
    let descope = descope(descope_config()).await;
    let importer = Importer::new(&moto, &descope, &[&pool.id]);
    assert_eq!(importer.run(&["migrate"]).await.code, 0);

    // Someone edits Descope behind the migration's back, and a user appears in Cognito later.
    let http = reqwest::Client::new();
    let auth = format!("Bearer {}:{MANAGEMENT_KEY}", PROJECT_ID);
    let answer = http
        .patch(format!("{}/v1/mgmt/user/patch", descope.base_url()))
        .header("Authorization", &auth)
        .json(&json!({"loginId": "bob@example.com", "familyName": "Tampered", "customAttributes": {"seats": 99}}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{:?}", answer.text().await);
    pool.user("late", &[("email", "late@example.com"), ("email_verified", "true")])
        .await;

    let run = importer.run(&["verify"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    assert_eq!(run.outcome("Mismatch"), 1);
    assert_eq!(run.outcome("Missing"), 1);
    let bob = run.user("bob");
    let fields: Vec<&str> = bob["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["customAttributes.seats"]);
    assert!(
        run.stdout.contains("customAttributes.seats expected 1.5 got 99"),
        "{}",
        run.output()
    );
    assert!(run.stdout.contains("late"), "{}", run.output());

    // The migration repairs both, and verify agrees.
    let repair = importer.run(&["migrate"]).await;
    assert_eq!(repair.code, 0, "{}", repair.output());
    assert_eq!((repair.outcome("Updated"), repair.outcome("Created")), (1, 1));
    assert_eq!(importer.run(&["verify"]).await.code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_rate_limits_lose_and_duplicate_no_one() {
    let moto = Moto::start();
    let pool = Pool::create(moto.client(), "big", &[("seats", T::Number)]).await;
    pool.group("staff", "Everyone").await;
    for i in 0..250 {
        pool.user(
            &format!("user{i:03}"),
            &[
                ("email", &format!("user{i:03}@example.com")),
                ("email_verified", "true"),
                ("custom:seats", "2"),
            ],
        )
        .await;
        if i % 3 == 0 {
            pool.add_to_group(&format!("user{i:03}"), "staff").await;
        }
    }
    for (seed, timing) in [(7, FaultTiming::After), (11, FaultTiming::Before)] {
        let faults = FaultConfig {
            error_rate: 0.2,
            drop_rate: 0.15,
            latency_rate: 0.2,
            latency: Duration::from_millis(30),
            timing,
            seed,
            ..FaultConfig::default()
        };
        // Descope's real limits, 30x faster: the 100-per-minute create bucket refills in 2 s.
        let limits = RateLimitConfig::descope_defaults().with_time_scale(30.0);
        let descope = descope(descope_config().faults(faults).rate_limits(limits).max_batch_size(100)).await;
        let mut importer = Importer::new(&moto, &descope, &[&pool.id]);
        importer.extra_env.push(("MIGRATION_BATCH_SIZE".into(), "10".into()));
        let run = importer.run(&["migrate"]).await;
        assert_eq!(run.code, 0, "seed {seed}: {}", run.output());
        let faulted = descope
            .emulator
            .request_log()
            .iter()
            .filter(|r| r.fault.is_some())
            .count();
        assert!(faulted > 5, "the faults really happened ({faulted})");
        assert_eq!(descope.emulator.user_count(), 250, "seed {seed}");
        let users = users_by_login(&descope.emulator.state_dump());
        assert_eq!(users.len(), 250, "no duplicates");
        assert_eq!(users["user000@example.com"]["roleNames"], json!(["staff"]));
        assert_eq!(users["user001@example.com"]["customAttributes"]["seats"], 2);

        let verified = importer.run(&["verify"]).await;
        assert_eq!(verified.code, 0, "seed {seed}: {}", verified.output());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_any_moment_a_rerun_converges() {
    let moto = Moto::start();
    let pool = Pool::create(moto.client(), "killme", &[]).await;
    pool.group("g1", "one").await;
    for i in 0..120 {
        pool.user(&format!("k{i:03}"), &[("email", &format!("k{i:03}@example.com"))])
            .await;
        if i % 2 == 0 {
            pool.add_to_group(&format!("k{i:03}"), "g1").await;
        }
    }
    // Every Descope call takes 40 ms, so the kills land mid-run at different points.
    let faults = FaultConfig {
        latency_rate: 1.0,
        latency: Duration::from_millis(40),
        ..FaultConfig::default()
    };
    let descope = descope(descope_config().faults(faults)).await;
    let mut importer = Importer::new(&moto, &descope, &[&pool.id]);
    importer.extra_env.push(("MIGRATION_BATCH_SIZE".into(), "10".into()));
    importer.extra_env.push(("MIGRATION_CONCURRENCY".into(), "2".into()));
    let mut counts = Vec::new();
    for kill_after_ms in [150, 400, 700] {
        let mut child = importer.command(&["migrate"]).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
        child.start_kill().unwrap(); // SIGKILL
        child.wait().await.unwrap();
        counts.push(descope.emulator.user_count());
    }
    assert!(
        counts.iter().any(|&c| c < 120),
        "at least one kill landed mid-run: {counts:?}"
    );
    let run = importer.run(&["migrate"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(descope.emulator.user_count(), 120, "after kills at {counts:?}");
    assert_eq!(importer.run(&["verify"]).await.code, 0);

    // Once batches keep finding their users already there, the importer looks them up first instead
    // of spending Descope's create budget: at most the batches already in flight (concurrency 2)
    // try to create.
    descope.emulator.clear_request_log();
    let again = importer.run(&["migrate"]).await;
    assert!(again.stdout.contains("Nothing to do"), "{}", again.output());
    let creates = descope
        .emulator
        .request_log()
        .iter()
        .filter(|r| r.path.ends_with("/create/batch"))
        .count();
    assert!(creates <= 2, "{creates} create calls for 12 batches of existing users");

    // sync is as kill-safe: users leave g1 and some are deleted, sync is killed mid-run, and a
    // re-run converges on exactly what Cognito says.
    for i in (0..120).step_by(4) {
        pool.client()
            .admin_remove_user_from_group()
            .user_pool_id(&pool.id)
            .username(format!("k{i:03}"))
            .group_name("g1")
            .send()
            .await
            .unwrap();
    }
    for i in (1..120).step_by(12) {
        pool.client()
            .admin_delete_user()
            .user_pool_id(&pool.id)
            .username(format!("k{i:03}"))
            .send()
            .await
            .unwrap();
    }
    for kill_after_ms in [300, 900] {
        let mut child = importer.command(&["sync"]).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
        child.start_kill().unwrap();
        child.wait().await.unwrap();
    }
    let sync = importer.run(&["sync"]).await;
    assert_eq!(sync.code, 0, "{}", sync.output());
    let again = importer.run(&["sync"]).await;
    assert!(again.stdout.contains("Nothing to do"), "{}", again.output());
    assert_eq!(importer.run(&["verify"]).await.code, 0);
    let users = users_by_login(&descope.emulator.state_dump());
    assert_eq!(users.len(), 120, "no one created twice, no one lost");
    let roles = |name: &str| users[name]["roleNames"].clone();
    assert_eq!(roles("k000"), json!([]), "left g1");
    assert_eq!(roles("k002"), json!(["g1"]), "still in g1");
    assert_eq!(users["k001"]["status"], "disabled", "deleted in Cognito");
    assert_eq!(users["k003"]["status"], "enabled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_errors_name_the_setting_and_exit_2() {
    let moto = Moto::start();
    let pool = Pool::create(moto.client(), "cfg", &[]).await;
    let descope = descope(descope_config()).await;
    let importer = Importer::new(&moto, &descope, &[&pool.id]);
    for (unset, needle) in [
        (
            "COGNITO_USER_POOL_ID",
            "COGNITO_USER_POOL_ID (environment or .env) or pass --user-pool-id",
        ),
        (
            "DESCOPE_PROJECT_ID",
            "DESCOPE_PROJECT_ID (environment or .env) or pass --descope-project-id",
        ),
        (
            "DESCOPE_MANAGEMENT_KEY",
            "DESCOPE_MANAGEMENT_KEY (environment or .env) or pass --descope-management-key",
        ),
    ] {
        let out = importer.command(&["migrate"]).env_remove(unset).output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{unset}: {stderr}");
        assert!(stderr.contains(needle), "{unset}: {stderr}");
    }
    let out = importer
        .command(&["migrate", "--batch-size", "0"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--batch-size"));

    // A wrong key: refused by Descope, reported as configuration, and never printed.
    let out = importer
        .command(&["migrate"])
        .env("DESCOPE_MANAGEMENT_KEY", "K2wrong-key-value")
        .output()
        .await
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("DESCOPE_MANAGEMENT_KEY"), "{all}");
    assert!(!all.contains("K2wrong-key-value"), "{all}");

    // Settings from a .env file in the working directory, as with the official tool.
    std::fs::write(
        importer.work.path().join(".env"),
        format!("DESCOPE_PROJECT_ID={}\n", PROJECT_ID),
    )
    .unwrap();
    let out = importer
        .command(&["migrate", "--dry-run"])
        .env_remove("DESCOPE_PROJECT_ID")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_descope_refuses_whole_is_split_until_it_goes_through() {
    let moto = Moto::start();
    let pool = Pool::create(moto.client(), "split", &[]).await;
    for i in 0..30 {
        let email = format!("s{i:02}@example.com");
        pool.user(&format!("s{i:02}"), &[("email", &email), ("email_verified", "true")])
            .await;
    }
    // This Descope takes at most 8 users per batch; the importer sends 30 at a time.
    let descope = descope(descope_config().max_batch_size(8)).await;
    let mut importer = Importer::new(&moto, &descope, &[&pool.id]);
    importer.extra_env.push(("MIGRATION_BATCH_SIZE".into(), "30".into()));
    let run = importer.run(&["migrate"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(run.outcome("Created"), 30);
    assert_eq!(descope.emulator.user_count(), 30);
    let refused = descope
        .emulator
        .request_log()
        .iter()
        .filter(|r| r.path.ends_with("/create/batch") && r.status == Some(400))
        .count();
    assert!(refused >= 1, "the oversized batch was refused first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descope_429s_are_waited_out_and_pacing_avoids_them() {
    let moto = Moto::start();
    let pool = Pool::create(moto.client(), "throttled", &[]).await;
    for i in 0..120 {
        pool.user(&format!("t{i:03}"), &[("email", &format!("t{i:03}@example.com"))])
            .await;
    }
    // Descope's create limit (100 calls / 60 s) with a clock 60x faster: a 1 s window and backoff.
    // Batches of one user make 120 create calls, more than one window allows.
    for (multiplier, expect_429) in [("0", true), ("60", false)] {
        let limits = RateLimitConfig::descope_defaults().with_time_scale(60.0);
        let descope = descope(descope_config().rate_limits(limits)).await;
        let mut importer = Importer::new(&moto, &descope, &[&pool.id]);
        importer.extra_env.push(("MIGRATION_BATCH_SIZE".into(), "1".into()));
        importer
            .extra_env
            .push(("DESCOPE_RATE_MULTIPLIER".into(), multiplier.into()));
        let run = importer.run(&["migrate"]).await;
        assert_eq!(run.code, 0, "multiplier {multiplier}: {}", run.output());
        assert_eq!(descope.emulator.user_count(), 120);
        let throttled = descope
            .emulator
            .request_log()
            .iter()
            .filter(|r| r.status == Some(429))
            .count();
        assert_eq!(
            throttled > 0,
            expect_429,
            "multiplier {multiplier}: {throttled} answers were 429"
        );
        let waited = run.report.as_ref().unwrap()["summary"]["extra"]["descopeCalls"]["rateLimited"].as_u64();
        assert_eq!(waited.unwrap() > 0, expect_429);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_registered_first_in_descope_is_never_handed_the_victims_roles() {
    let moto = Moto::start();
    let pool = Pool::create(moto.client(), "victims", &[]).await;
    pool.group("admin", "Full access").await;
    pool.user("victim", &[("email", "Victim@Example.com"), ("email_verified", "true")])
        .await;
    pool.add_to_group("victim", "admin").await;
    pool.user("other", &[("email", "other@example.com"), ("email_verified", "true")])
        .await;
    let stage = descope(descope_config()).await;
    // The attacker registered the victim's address (in another case) before the import.
    let planted = manage(
        &stage,
        "/v1/mgmt/user/create",
        json!({"loginId": "victim@example.com", "email": "victim@example.com", "verifiedEmail": false}),
    )
    .await;
    manage(
        &stage,
        "/v1/mgmt/user/password/set/active",
        json!({"loginId": "victim@example.com", "password": "attacker-Passw0rd!"}),
    )
    .await;
    let before = stage.emulator.state_dump()["users"][0].clone();
    let importer = Importer::new(&moto, &stage, &[&pool.id]);

    let dry = importer.run(&["migrate", "--dry-run"]).await;
    assert_eq!(dry.code, 1, "{}", dry.output());
    assert_eq!(dry.outcome("Conflict"), 1, "{}", dry.output());
    assert!(dry.stdout.contains("Conflicts (1)"), "{}", dry.output());

    let run = importer.run(&["migrate"]).await;
    assert_eq!(run.code, 1, "{}", run.output());
    assert_eq!(run.outcome("Conflict"), 1, "{}", run.output());
    assert_eq!(run.outcome("Created"), 1);
    let victim = run.user("victim");
    let reason = victim["reason"].as_str().unwrap();
    assert!(reason.contains(planted["user"]["userId"].as_str().unwrap()), "{reason}");
    assert!(run.stdout.contains("Conflicts (1)"), "{}", run.output());
    let dump = stage.emulator.state_dump();
    assert_eq!(dump["users"][0], before, "the planted account is untouched");
    assert_eq!(descope_user_count(&dump), 2);

    // verify: a conflict, not a mismatch a re-run would fix.
    let verify = importer.run(&["verify"]).await;
    assert_eq!(verify.code, 1, "{}", verify.output());
    assert_eq!((verify.outcome("Conflict"), verify.outcome("Mismatch")), (1, 0));

    // Merging is an explicit choice: the account gets the identity and the profile, but its email
    // stays unverified and, unverified in Descope, it gets no role.
    let mut merging = Importer::new(&moto, &stage, &[&pool.id]);
    merging.extra_env.push(("MIGRATION_ON_CONFLICT".into(), "merge".into()));
    let merged = merging.run(&["migrate"]).await;
    assert_eq!(merged.code, 0, "{}", merged.output());
    assert_eq!(merged.outcome("Merged"), 1, "{}", merged.output());
    assert!(
        merged.stdout.contains("Merged into Descope accounts"),
        "{}",
        merged.output()
    );
    assert!(
        merged.user("victim")["reason"]
            .as_str()
            .unwrap()
            .contains("roles NOT copied")
    );
    let account = &stage.emulator.state_dump()["users"][0];
    assert_eq!(account["userId"], planted["user"]["userId"]);
    assert_eq!(account["verifiedEmail"], false, "never raised");
    assert_eq!(account["roleNames"], json!([]), "no role on an unverified account");
    assert_eq!(account["customAttributes"]["cognitoSub"], pool.sub("victim").await);
    assert!(account["customAttributes"]["cognitoMergedAt"].is_string());
    // Later runs recognise the merged account by its identity and keep the same limits.
    let again = merging.run(&["migrate"]).await;
    assert_eq!(again.code, 0, "{}", again.output());
    assert!(again.stdout.contains("Nothing to do"), "{}", again.output());
}

fn descope_user_count(dump: &Value) -> usize {
    dump["users"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_id_that_changes_between_runs_moves_on_the_same_descope_user() {
    let moto = Moto::start();
    let pool = Pool::create(moto.client(), "changing", &[]).await;
    pool.user("lee", &[("email", "lee@example.com")]).await;
    let stage = descope(descope_config()).await;
    let importer = Importer::new(&moto, &stage, &[&pool.id]);
    let first = importer.run(&["migrate"]).await;
    assert_eq!(first.code, 0, "{}", first.output());
    assert_eq!(
        first.user("lee")["loginId"],
        "lee",
        "unverified: migrated under the username"
    );
    let user_id = stage.emulator.state_dump()["users"][0]["userId"].clone();

    // Lee verifies the address in Cognito; the next run gives the same Descope user that login ID.
    pool.client()
        .admin_update_user_attributes()
        .user_pool_id(&pool.id)
        .username("lee")
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name("email_verified")
                .value("true")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let second = importer.run(&["migrate"]).await;
    assert_eq!(second.code, 0, "{}", second.output());
    assert_eq!(second.outcome("Updated"), 1, "{}", second.output());
    let dump = stage.emulator.state_dump();
    assert_eq!(descope_user_count(&dump), 1, "no second user");
    assert_eq!(dump["users"][0]["userId"], user_id);
    assert_eq!(dump["users"][0]["loginIds"], json!(["lee@example.com"]));
    assert_eq!(dump["users"][0]["verifiedEmail"], true);
    assert_eq!(importer.run(&["verify"]).await.code, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_version_user_is_recognised_by_its_sub_and_gets_its_pool() {
    let moto = Moto::start();
    let pool = Pool::create(moto.client(), "upgraded", &[]).await;
    pool.user("kim", &[("email", "kim@example.com"), ("email_verified", "true")])
        .await;
    let stage = descope(descope_config()).await;
    let importer = Importer::new(&moto, &stage, &[&pool.id]);
    assert_eq!(importer.run(&["migrate"]).await.code, 0);
    // What the first version left: the same user with a sub but no pool.
    let sub = pool.sub("kim").await;
    manage(
        &stage,
        "/v1/mgmt/user/update",
        json!({"loginId": "kim@example.com", "email": "kim@example.com", "verifiedEmail": true,
               "customAttributes": {"cognitoSub": sub, "freshlyMigrated": true}}),
    )
    .await;
    let user_id = stage.emulator.state_dump()["users"][0]["userId"].clone();

    let run = importer.run(&["migrate"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(run.outcome("Updated"), 1, "{}", run.output());
    let kim = run.user("kim");
    let fields: Vec<&str> = kim["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"customAttributes.cognitoPoolId"), "{fields:?}");
    let dump = stage.emulator.state_dump();
    assert_eq!(descope_user_count(&dump), 1);
    assert_eq!(dump["users"][0]["userId"], user_id);
    assert_eq!(dump["users"][0]["customAttributes"]["cognitoPoolId"], pool.id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dry_run_warns_when_a_pool_that_signs_in_by_email_falls_back_to_usernames() {
    let moto = Moto::start();
    let created = moto
        .client()
        .create_user_pool()
        .pool_name("by-email")
        .username_attributes(aws_sdk_cognitoidentityprovider::types::UsernameAttributeType::Email)
        .send()
        .await
        .unwrap();
    let pool_id = created.user_pool.unwrap().id.unwrap();
    let pool = Pool::from_id(moto.client(), &pool_id);
    pool.user("never-verified@example.com", &[("email", "never-verified@example.com")])
        .await;
    pool.user(
        "fine@example.com",
        &[("email", "fine@example.com"), ("email_verified", "true")],
    )
    .await;
    let stage = descope(descope_config()).await;
    let importer = Importer::new(&moto, &stage, &[&pool_id]);
    let dry = importer.run(&["migrate", "--dry-run"]).await;
    assert_eq!(dry.code, 0, "{}", dry.output());
    let count = format!("Pool {pool_id}: 1 users have an unverified");
    for expected in [
        count.as_str(),
        "This pool signs users in by email",
        "--allow-unverified-login-ids",
    ] {
        assert!(dry.stdout.contains(expected), "missing {expected:?}: {}", dry.output());
    }
    // With the flag the notice names no risk it already took.
    let mut allowed = Importer::new(&moto, &stage, &[&pool_id]);
    allowed
        .extra_env
        .push(("MIGRATION_ALLOW_UNVERIFIED_LOGIN_IDS".into(), "true".into()));
    let dry = allowed.run(&["migrate", "--dry-run"]).await;
    assert!(
        !dry.stdout.contains("This pool signs users in by email"),
        "{}",
        dry.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_takes_access_away_that_cognito_took_away_and_keeps_what_descope_granted() {
    let moto = Moto::start();
    let pool = Pool::create(moto.client(), "cutover", &[]).await;
    pool.group("editor", "Edit").await;
    pool.group("viewer", "Read").await;
    let verified = |email: &'static str| [("email", email), ("email_verified", "true")];
    for (name, email, groups) in [
        ("ana", "ana@example.com", &["editor", "viewer"][..]),
        ("bob", "bob@example.com", &["editor"][..]),
        ("cyd", "cyd@example.com", &["viewer"][..]),
    ] {
        pool.user(name, &verified(email)).await;
        for group in groups {
            pool.add_to_group(name, group).await;
        }
    }
    let stage = descope(descope_config()).await;
    let importer = Importer::new(&moto, &stage, &[&pool.id]);
    assert_eq!(importer.run(&["migrate"]).await.code, 0);
    // Granted in Descope after the import: never Cognito's to take away.
    manage(
        &stage,
        "/v1/mgmt/role/create",
        json!({"name": "support", "description": "granted in Descope"}),
    )
    .await;
    manage(
        &stage,
        "/v2/mgmt/user/update/role/add",
        json!({"loginId": "ana@example.com", "roleNames": ["support"]}),
    )
    .await;
    // Weeks later in Cognito: ana leaves editor, bob is disabled, cyd is deleted.
    let cognito = pool.client();
    cognito
        .admin_remove_user_from_group()
        .user_pool_id(&pool.id)
        .username("ana")
        .group_name("editor")
        .send()
        .await
        .unwrap();
    pool.disable("bob").await;
    cognito
        .admin_delete_user()
        .user_pool_id(&pool.id)
        .username("cyd")
        .send()
        .await
        .unwrap();

    // verify sees both directions; migrate alone never takes a role away.
    let verify = importer.run(&["verify"]).await;
    assert_eq!(verify.code, 1, "{}", verify.output());
    assert_eq!(verify.outcome("NotInCognito"), 1, "{}", verify.output());
    assert_eq!(verify.user("cyd")["outcome"], "notInCognito");
    let fields: Vec<String> = verify.user("ana")["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["field"].as_str().unwrap().to_owned())
        .collect();
    assert!(fields.contains(&"removedRoles".to_owned()), "{fields:?}");

    let before = stage.emulator.state_dump();
    let dry = importer.run(&["sync", "--dry-run"]).await;
    assert_eq!(dry.code, 0, "{}", dry.output());
    assert_eq!(
        (dry.outcome("WouldUpdate"), dry.outcome("WouldDisable")),
        (2, 1),
        "{}",
        dry.output()
    );
    assert_eq!(stage.emulator.state_dump(), before, "a dry run writes nothing");

    let sync = importer.run(&["sync"]).await;
    assert_eq!(sync.code, 0, "{}", sync.output());
    assert_eq!(
        (sync.outcome("Updated"), sync.outcome("Disabled")),
        (2, 1),
        "{}",
        sync.output()
    );
    let users = users_by_login(&stage.emulator.state_dump());
    let mut ana_roles: Vec<&str> = users["ana@example.com"]["roleNames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    ana_roles.sort();
    assert_eq!(ana_roles, vec!["support", "viewer"]);
    assert_eq!(users["bob@example.com"]["status"], "disabled");
    assert_eq!(
        users["cyd@example.com"]["status"], "disabled",
        "deleted in Cognito: disabled by default"
    );
    let logouts = stage
        .emulator
        .request_log()
        .iter()
        .filter(|r| r.path == "/v1/mgmt/user/logout" && r.status == Some(200))
        .count();
    assert_eq!(logouts, 2, "disabling bob and cyd ends their sessions");

    // Converged: a re-run changes nothing, verify agrees, and the removed user stays reported.
    let again = importer.run(&["sync"]).await;
    assert!(again.stdout.contains("Nothing to do"), "{}", again.output());
    assert_eq!(again.outcome("RemovedInCognito"), 1);
    let verify = importer.run(&["verify"]).await;
    assert_eq!(verify.code, 0, "{}", verify.output());

    // Deleting is an explicit choice.
    let delete = importer.run(&["sync", "--delete-removed"]).await;
    assert_eq!(delete.outcome("Deleted"), 1, "{}", delete.output());
    assert!(!users_by_login(&stage.emulator.state_dump()).contains_key("cyd@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_how_far_the_cutover_has_come() {
    let moto = Moto::start();
    let pool = Pool::create(moto.client(), "progress", &[]).await;
    for name in ["ann", "ben", "cat"] {
        let email = format!("{name}@example.com");
        pool.user(name, &[("email", &email), ("email_verified", "true")]).await;
    }
    let stage = descope(descope_config()).await;
    let importer = Importer::new(&moto, &stage, &[&pool.id]);
    assert_eq!(importer.run(&["migrate"]).await.code, 0);
    // ann signs in to Descope; dan joins Cognito after the import; cat is deleted from Cognito.
    let request = serde_json::from_value(json!({"loginId": "ann@example.com"})).unwrap();
    stage.emulator.mint_session(&request).unwrap();
    pool.user("dan", &[("email", "dan@example.com"), ("email_verified", "true")])
        .await;
    pool.client()
        .admin_delete_user()
        .user_pool_id(&pool.id)
        .username("cat")
        .send()
        .await
        .unwrap();

    let run = importer.run(&["status", "--json"]).await;
    assert_eq!(run.code, 0, "{}", run.output());
    let status: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.output()));
    assert_eq!(
        status["pools"][0],
        json!({
            "poolId": pool.id,
            "cognitoUsers": 3,
            "descopeUsers": 3,
            "notInDescope": 1,
            "freshlyMigrated": 3,
            "signedInToDescope": 1,
            "goneFromCognito": 1,
            "disabled": 0,
        })
    );
    let table = importer.run(&["status"]).await;
    assert!(
        table.stdout.contains("not in Descope yet:             1"),
        "{}",
        table.output()
    );
}
