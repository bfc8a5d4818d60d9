//! The `descope-emulator` binary: prints where it listens, serves, refuses bad flags.

use std::{
    io::{BufRead as _, BufReader},
    process::{Command, Stdio},
};

const BIN: &str = env!("CARGO_BIN_EXE_descope-emulator");

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn listens_on_port_zero_and_prints_the_real_port() {
    let mut child = Child(
        Command::new(BIN)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--project-id",
                "P2bin",
                "--management-key",
                "K2bin",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .strip_prefix("descope-emulator listening on ")
        .and_then(|rest| rest.trim_end().strip_suffix(" project=P2bin"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert!(!url.ends_with(":0"), "{url}");

    let keys: serde_json::Value = reqwest::get(format!("{url}/v2/keys/P2bin"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys["keys"][0]["alg"], "RS256");
    let license = reqwest::Client::new()
        .get(format!("{url}/v1/mgmt/license"))
        .header("Authorization", "Bearer P2bin:K2bin")
        .send()
        .await
        .unwrap();
    assert_eq!(license.status(), 200);
}

#[test]
fn bad_flags_give_a_usage_error() {
    let cases: &[(&[&str], &str)] = &[
        (&["--management-key", "k"], "--project-id"),
        (
            &["--project-id", "p", "--management-key", "k", "--fault-error-rate", "2"],
            "between 0 and 1",
        ),
        (
            &["--project-id", "p", "--management-key", "k", "--key-alg", "HS256"],
            "RS256 or ES384",
        ),
        (
            &["--project-id", "p", "--management-key", "k", "--fault-timing", "later"],
            "before, after or random",
        ),
        (
            &["--project-id", "p", "--management-key", "k", "--fault-status", "404"],
            "404",
        ),
    ];
    for (args, expected) in cases {
        let out = Command::new(BIN).args(*args).env_clear().output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
