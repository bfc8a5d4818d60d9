//! The identity providers of the functions' end-to-end tests: a Descope project on the emulator
//! (users, roles and tenants created through its management API, session tokens minted by it)
//! and Cognito pools on moto, with the settings that point a function at them.

use descope_emulator::{Emulator, EmulatorConfig, RunningEmulator, SessionRequest};
use moto_harness::{Moto, Tokens, UserPool};
use serde_json::Value;

/// The end-to-end tests' Descope project.
pub const E2E_PID: &str = "P2e2eproject0000000000000001";
/// Its management key.
pub const E2E_KEY: &str = "K2e2e-management-key";

/// A Descope project on the emulator, on loopback.
pub struct Project {
    /// The running emulator.
    pub running: RunningEmulator,
}

impl Project {
    /// An empty project ([`E2E_PID`]).
    pub async fn start() -> Self {
        let emulator = Emulator::new(EmulatorConfig::new(E2E_PID, E2E_KEY)).unwrap();
        let running = RunningEmulator::start(emulator, "127.0.0.1:0").await.unwrap();
        Self { running }
    }

    /// Calls the management API (`POST path` with `body`); it must succeed.
    pub async fn manage(&self, path: &str, body: Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.running.base_url()))
            .header("Authorization", format!("Bearer {E2E_PID}:{E2E_KEY}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.text().await.unwrap()
        );
    }

    /// A session token of the user `login`, as `edit` asks (tenant, lifetime, refresh...).
    pub fn token(&self, login: &str, edit: impl FnOnce(&mut SessionRequest)) -> String {
        let mut request = SessionRequest {
            login_id: Some(login.to_owned()),
            ..SessionRequest::default()
        };
        edit(&mut request);
        self.running.emulator.mint_session(&request).unwrap().token
    }

    /// The settings naming the project and the emulator as Descope.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DESCOPE_PROJECT_ID", E2E_PID.to_owned()),
            ("DESCOPE_BASE_URL", self.running.base_url()),
        ]
    }

    /// How many times Descope's key set was fetched.
    pub fn key_fetches(&self) -> usize {
        self.running
            .emulator
            .request_log()
            .iter()
            .filter(|r| r.path.starts_with("/v2/keys/"))
            .count()
    }
}

/// The cutover settings: the pools `pools` (as `COGNITO_USER_POOL_ID` takes them) on `moto`, their
/// app clients `clients`, tokens of `token_use`.
pub fn cognito_env(moto: &Moto, pools: &str, clients: &str, token_use: &str) -> [(&'static str, String); 4] {
    [
        ("COGNITO_USER_POOL_ID", pools.to_owned()),
        ("COGNITO_CLIENT_IDS", clients.to_owned()),
        ("COGNITO_TOKEN_USE", token_use.to_owned()),
        ("COGNITO_ENDPOINT_URL", moto.url.clone()),
    ]
}

/// A Cognito pool on moto as the cutover finds it: the app client `web`, ada (`ada@example.com`)
/// in one group and bob (`bob@example.com`) in none, with their tokens.
pub struct CutoverPool {
    /// The pool.
    pub pool: UserPool,
    /// The app client `web`.
    pub web: String,
    /// Ada's tokens from `web`.
    pub ada: Tokens,
    /// Bob's tokens from `web`.
    pub bob: Tokens,
}

impl CutoverPool {
    /// The pool `name`, with ada in the group `group`.
    pub async fn create(moto: &Moto, name: &str, group: &str) -> Self {
        let pool = UserPool::create(moto, name).await;
        let web = pool.app_client("web").await;
        pool.group(group).await;
        pool.user("ada", "ada@example.com", &[group]).await;
        pool.user("bob", "bob@example.com", &[]).await;
        let ada = pool.tokens(&web, "ada").await;
        let bob = pool.tokens(&web, "bob").await;
        Self { pool, web, ada, bob }
    }

    /// [`cognito_env`] for this pool and `web`.
    pub fn env(&self, moto: &Moto, token_use: &str) -> [(&'static str, String); 4] {
        cognito_env(moto, &self.pool.id, &self.web, token_use)
    }
}
