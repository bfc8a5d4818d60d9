//! The stage for end-to-end runs: moto server as Cognito (a real process on loopback), the Descope
//! emulator in process, and the real `cognito-to-descope` binary between them.

use std::{
    ops::Deref,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use aws_sdk_cognitoidentityprovider::{
    Client,
    types::{AttributeDataType, AttributeType, SchemaAttributeType},
};
use descope_emulator::{Emulator, EmulatorConfig, RunningEmulator};
pub use moto_harness::Moto;
use moto_harness::UserPool;
use serde_json::Value;

pub const PROJECT_ID: &str = "P2importertest0000000000001";
pub const MANAGEMENT_KEY: &str = "K2secret-management-key-never-printed";

/// A user pool being seeded: moto-harness's pool (users, groups, memberships, `sub`) plus the
/// importer's own cases, a custom schema and every user status moto can produce. Its `user` and
/// `group` take the importer's arguments (attributes, a description) in place of the harness's.
pub struct Pool {
    pool: UserPool,
    app_client: Option<String>,
}

impl Deref for Pool {
    type Target = UserPool;

    fn deref(&self) -> &UserPool {
        &self.pool
    }
}

impl Pool {
    /// A pool whose schema declares `custom` attributes (name, type).
    pub async fn create(client: Client, name: &str, custom: &[(&str, AttributeDataType)]) -> Self {
        let mut request = client.create_user_pool().pool_name(name);
        for (attr, kind) in custom {
            request = request.schema(
                SchemaAttributeType::builder()
                    .name(*attr)
                    .attribute_data_type(kind.clone())
                    .mutable(true)
                    .build(),
            );
        }
        let out = request.send().await.unwrap();
        let id = out.user_pool.unwrap().id.unwrap();
        Self {
            pool: UserPool::from_id(client, id),
            app_client: None,
        }
    }

    /// A pool created elsewhere (e.g. with sign-in by email).
    pub fn from_id(client: Client, id: &str) -> Self {
        Self {
            pool: UserPool::from_id(client, id),
            app_client: None,
        }
    }

    /// A group with a description (the importer copies it to the Descope role).
    pub async fn group(&self, name: &str, description: &str) {
        self.client()
            .create_group()
            .user_pool_id(&self.id)
            .group_name(name)
            .description(description)
            .send()
            .await
            .unwrap();
    }

    /// An admin-created user (status FORCE_CHANGE_PASSWORD) with these attributes.
    pub async fn user(&self, username: &str, attributes: &[(&str, &str)]) {
        self.create_user(username, attributes).await;
    }

    /// Status RESET_REQUIRED (needs a verified email).
    pub async fn require_reset(&self, username: &str) {
        self.confirm(username).await;
        self.client()
            .admin_reset_user_password()
            .user_pool_id(&self.id)
            .username(username)
            .send()
            .await
            .unwrap();
    }

    /// A self-service sign-up that was never confirmed: status UNCONFIRMED.
    pub async fn sign_up(&mut self, username: &str, attributes: &[(&str, &str)]) {
        if self.app_client.is_none() {
            self.app_client = Some(self.pool.app_client("app").await);
        }
        let mut request = self
            .client()
            .sign_up()
            .client_id(self.app_client.clone().unwrap())
            .username(username)
            .password("Sign-Passw0rd!");
        for (name, value) in attributes {
            request = request.user_attributes(AttributeType::builder().name(*name).value(*value).build().unwrap());
        }
        request.send().await.unwrap();
    }

    pub async fn disable(&self, username: &str) {
        self.client()
            .admin_disable_user()
            .user_pool_id(&self.id)
            .username(username)
            .send()
            .await
            .unwrap();
    }
}

/// The emulator serving on loopback.
pub async fn descope(config: EmulatorConfig) -> RunningEmulator {
    RunningEmulator::start(Emulator::new(config).unwrap(), "127.0.0.1:0")
        .await
        .unwrap()
}

pub fn descope_config() -> EmulatorConfig {
    EmulatorConfig::new(PROJECT_ID, MANAGEMENT_KEY)
}

/// What a run of the binary left behind.
#[derive(Debug)]
pub struct Run {
    /// The exit code; -1 when a signal ended the process or it was still running at the limit.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub report: Option<Value>,
    /// The log file of this run (empty when not collected).
    pub log: String,
}

impl Run {
    /// The record of a finished process, with its JSON report if there is one.
    pub fn from_output(out: &std::process::Output, report: Option<Value>) -> Self {
        Self {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            report,
            log: String::new(),
        }
    }

    /// Standard output, then standard error.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// `summary.aborted.reason` of the JSON report, which must exist and parse.
    pub fn aborted_reason(&self) -> String {
        self.report.as_ref().expect("a valid JSON report")["summary"]["aborted"]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// `summary.outcomes.<Outcome>` of the JSON report.
    pub fn outcome(&self, name: &str) -> u64 {
        self.report
            .as_ref()
            .and_then(|r| r["summary"]["outcomes"][name].as_u64())
            .unwrap_or(0)
    }

    /// The report line of one Cognito user.
    pub fn user(&self, username: &str) -> Value {
        let users = self.report.as_ref().unwrap()["users"].as_array().unwrap();
        users
            .iter()
            .find(|u| u["username"] == username)
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// The importer's command line against this stage: everything but the command's own arguments.
pub struct Importer {
    pub moto_url: String,
    pub descope_url: String,
    pub pools: Vec<String>,
    pub work: tempfile::TempDir,
    pub extra_env: Vec<(String, String)>,
}

impl Importer {
    pub fn new(moto: &Moto, descope: &RunningEmulator, pools: &[&str]) -> Self {
        Self {
            moto_url: moto.url.clone(),
            descope_url: descope.base_url(),
            pools: pools.iter().map(|p| (*p).to_owned()).collect(),
            work: tempfile::tempdir().unwrap(),
            extra_env: Vec::new(),
        }
    }

    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cognito-to-descope"));
        command
            .args(args)
            .current_dir(self.work.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("COGNITO_REGION", "us-east-1")
            .env("COGNITO_ENDPOINT_URL", &self.moto_url)
            .env("COGNITO_REQUESTS_PER_SECOND", "0")
            .env("COGNITO_USER_POOL_ID", self.pools.join(","))
            .env("DESCOPE_PROJECT_ID", PROJECT_ID)
            .env("DESCOPE_MANAGEMENT_KEY", MANAGEMENT_KEY)
            .env("DESCOPE_BASE_URL", &self.descope_url)
            .env("MIGRATION_LOG_DIR", self.work.path().join("logs"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in &self.extra_env {
            command.env(k, v);
        }
        command
    }

    /// Runs to completion; collects output, the JSON report and the log of this run.
    pub async fn run(&self, args: &[&str]) -> Run {
        let report_path = self.work.path().join(format!("report-{}.json", rand_suffix()));
        let mut full: Vec<&str> = args.to_vec();
        let report_arg = report_path.to_string_lossy().into_owned();
        full.extend(["--report", &report_arg]);
        let before = self.log_files();
        let out = self.command(&full).output().await.unwrap();
        let log = self
            .log_files()
            .into_iter()
            .filter(|f| !before.contains(f))
            .map(|f| std::fs::read_to_string(f).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        Run {
            log,
            ..Run::from_output(&out, read_report(&report_path))
        }
    }

    fn log_files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.work.path().join("logs"))
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "log"))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Runs `command` (with `--report <path>` added) for at most `limit`, then reads the report. A run
/// still going at the limit is killed (`kill_on_drop`) and has code -1.
pub async fn finish(mut command: tokio::process::Command, report: &Path, limit: Duration) -> Run {
    command.arg("--report").arg(report);
    let child = command.spawn().unwrap();
    match tokio::time::timeout(limit, child.wait_with_output()).await {
        Ok(out) => Run::from_output(&out.unwrap(), read_report(report)),
        Err(_) => Run {
            code: -1,
            stdout: String::new(),
            stderr: format!("still running after {limit:?}"),
            report: read_report(report),
            log: String::new(),
        },
    }
}

/// The JSON report at `path`, if it exists and parses.
pub fn read_report(path: &Path) -> Option<Value> {
    std::fs::read(path).ok().and_then(|b| serde_json::from_slice(&b).ok())
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Users of the emulator's state dump, by their first login ID.
pub fn users_by_login(dump: &Value) -> std::collections::BTreeMap<String, Value> {
    dump["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["loginIds"][0].as_str().unwrap().to_owned(), u.clone()))
        .collect()
}

/// A management call to the emulator, as an operator (or an attacker's earlier sign-up) makes it.
pub async fn manage(stage: &RunningEmulator, path: &str, body: Value) -> Value {
    let answer = reqwest::Client::new()
        .post(format!("{}{path}", stage.base_url()))
        .header("Authorization", format!("Bearer {}:{MANAGEMENT_KEY}", PROJECT_ID))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{path}: {:?}", answer.text().await);
    answer.json().await.unwrap()
}
