//! Secrets, endpoints and files (issue #13) at the library's edge: what `Debug` shows, which
//! endpoints and regions the settings accept, the log file's name, and the files' modes.

use clap::Parser as _;
use importer::{
    cli::{Cli, check_endpoint, check_regions},
    model::PoolTarget,
    report::create_private,
    run::log_stamp,
};

const KEY: &str = "K2the-management-key-itself";

#[test]
fn no_debug_output_shows_the_management_key() {
    let cli = Cli::try_parse_from([
        "cognito-to-descope",
        "migrate",
        "--user-pool-id",
        "us-east-1_AbC123",
        "--descope-project-id",
        "P2abc",
        "--descope-management-key",
        KEY,
        "--descope-base-url",
        "http://127.0.0.1:9",
    ])
    .unwrap();
    for shown in [
        format!("{cli:?}"),
        format!("{cli:#?}"),
        format!("{:?}", cli.options),
        format!("{:?}", cli.options.descope_management_key),
        format!("{:?}", cli.options.validate_with(&[]).unwrap()),
    ] {
        assert!(!shown.contains(KEY), "{shown}");
        assert!(!shown.contains("the-management-key"), "{shown}");
    }
    // The value itself is still there for the Authorization header.
    assert_eq!(cli.options.validate_with(&[]).unwrap().management_key, KEY);
}

#[test]
fn endpoints_must_be_https_unless_on_loopback() {
    for ok in [
        "https://api.descope.com",
        "https://api.euc1.descope.com/",
        "http://127.0.0.1:8090",
        "http://127.9.9.9",
        "http://localhost:5000",
        "http://LOCALHOST.",
        "http://[::1]:8080",
    ] {
        check_endpoint("DESCOPE_BASE_URL", ok, "https://api.descope.com").unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in [
        "http://api.descope.com",
        "http://10.0.0.5:8090",
        "http://192.168.1.1",
        "http://localhost.evil.example",
        "http://[::2]",
        "ftp://127.0.0.1",
        "api.descope.com",
    ] {
        let e = check_endpoint("DESCOPE_BASE_URL", bad, "https://api.descope.com").unwrap_err();
        assert!(e.0.contains("DESCOPE_BASE_URL"), "{bad}: {e}");
        assert!(e.0.contains("https"), "{bad}: {e}");
    }
}

fn options(args: &[&str]) -> importer::cli::Options {
    let mut full = vec![
        "cognito-to-descope",
        "migrate",
        "--descope-project-id",
        "P2abc",
        "--descope-management-key",
        "K2x",
    ];
    full.extend_from_slice(args);
    Cli::try_parse_from(full).unwrap().options
}

#[test]
fn ambient_and_explicit_cognito_endpoints_are_checked_and_named() {
    let plain = options(&["--user-pool-id", "us-east-1_A"]);
    let v = plain.validate_with(&[]).unwrap();
    assert_eq!(v.cognito_endpoint, None);
    assert_eq!(v.cognito_endpoint_label(), "AWS default for us-east-1");

    let e = plain
        .validate_with(&[("AWS_ENDPOINT_URL", "http://cognito.attacker.example".into())])
        .unwrap_err();
    assert!(e.0.contains("AWS_ENDPOINT_URL"), "{e}");
    let v = plain
        .validate_with(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:5000".into())])
        .unwrap();
    assert_eq!(
        v.cognito_endpoint_label(),
        "http://127.0.0.1:5000 (from AWS_ENDPOINT_URL)"
    );

    let explicit = options(&[
        "--user-pool-id",
        "us-east-1_A",
        "--cognito-endpoint-url",
        "http://cognito.example",
    ]);
    let e = explicit.validate_with(&[]).unwrap_err();
    assert!(e.0.contains("COGNITO_ENDPOINT_URL"), "{e}");
}

fn pools(ids: &[&str]) -> Vec<PoolTarget> {
    ids.iter()
        .map(|id| PoolTarget {
            pool_id: (*id).to_owned(),
            tenant: None,
        })
        .collect()
}

#[test]
fn a_region_that_contradicts_a_pool_id_is_refused_naming_both() {
    let one = pools(&["us-east-1_AbC"]);
    assert_eq!(check_regions(&one, Some("us-east-1"), &[]).unwrap(), ["us-east-1"]);
    assert_eq!(check_regions(&one, None, &[]).unwrap(), ["us-east-1"]);

    let e = check_regions(&one, Some("eu-west-1"), &[]).unwrap_err();
    for needle in ["COGNITO_REGION", "eu-west-1", "us-east-1", "us-east-1_AbC"] {
        assert!(e.0.contains(needle), "{needle}: {e}");
    }
    for ambient in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        let e = check_regions(&one, None, &[(ambient, "ap-south-1".into())]).unwrap_err();
        assert!(
            e.0.contains(ambient) && e.0.contains("ap-south-1") && e.0.contains("us-east-1"),
            "{e}"
        );
    }

    // Pools in two regions: each is read in its own; any single region given is a conflict.
    let two = pools(&["us-east-1_AbC", "eu-west-1_XyZ"]);
    assert_eq!(check_regions(&two, None, &[]).unwrap(), ["us-east-1", "eu-west-1"]);
    let e = check_regions(&two, Some("us-east-1"), &[]).unwrap_err();
    assert!(e.0.contains("eu-west-1") && e.0.contains("us-east-1"), "{e}");
    assert!(e.0.contains("unset"), "{e}");
}

#[test]
fn a_pool_id_without_its_region_is_refused() {
    let e = options(&["--user-pool-id", "AbC123"]).validate_with(&[]).unwrap_err();
    assert!(e.0.contains("<region>_<id>"), "{e}");
}

#[test]
fn the_log_name_keeps_the_official_form_except_on_windows() {
    use chrono::TimeZone as _;
    let time = chrono::Local.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap();
    assert_eq!(log_stamp(&time, false), "04_03_2026_05:06:07");
    assert_eq!(log_stamp(&time, true), "04_03_2026_05-06-07");
}

#[cfg(unix)]
#[test]
fn logs_and_reports_are_private_files_in_private_directories() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let work = tempfile::tempdir().unwrap();

    // A new file in new directories: 0600 in 0700 directories.
    let fresh = work.path().join("a/b/report.json");
    drop(create_private(&fresh).unwrap());
    assert_eq!(mode(&fresh), 0o600);
    assert_eq!(mode(&work.path().join("a")), 0o700);
    assert_eq!(mode(&work.path().join("a/b")), 0o700);

    // An existing, world-readable file: truncated and made 0600.
    let existing = work.path().join("old-report.json");
    std::fs::write(&existing, b"previous content with PII").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(create_private(&existing).unwrap());
    assert_eq!(mode(&existing), 0o600);
    assert_eq!(std::fs::read(&existing).unwrap(), b"");

    // An existing directory keeps its mode (it is the operator's).
    let shared = work.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    drop(create_private(&shared.join("r.json")).unwrap());
    assert_eq!(mode(&shared), 0o755);
    assert_eq!(mode(&shared.join("r.json")), 0o600);
}
