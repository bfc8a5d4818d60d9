//! The stage the tests share: function URL events signed like Descope's connector, the emulator
//! with a migrated user, moto behind the stand-in, and the state under test.

use std::collections::HashMap;

use authorizer_common::Env;
use base64::{Engine as _, engine::general_purpose::STANDARD};
use descope_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use moto_harness::{Moto, StandIn, StandInBuilder, UserPool};
use password_check::{Config, FunctionUrlRequest, FunctionUrlResponse, State, request::signature};
use serde_json::{Value, json};

/// The connector's HMAC secret in every test.
pub const HMAC_SECRET: &str = "connector-hmac-secret";
/// The Descope project and management key of the emulator.
pub const PROJECT_ID: &str = "P2passwordcheck";
/// The management key.
pub const KEY: &str = "K2management-key";

/// A function URL event carrying `body` (base64-encoded when `base64`) and `headers`.
pub fn event(body: &str, headers: &[(&str, &str)], base64: bool) -> Value {
    let body = if base64 { STANDARD.encode(body) } else { body.to_owned() };
    lambda_runtime_stub::function_url_event("POST", &body, headers, base64)
}

/// `body` signed with [`HMAC_SECRET`], as Descope's connector sends it.
pub fn signed(body: &str) -> Value {
    event(
        body,
        &[(
            "x-descope-webhook-s256",
            &signature(HMAC_SECRET.as_bytes(), body.as_bytes()),
        )],
        false,
    )
}

/// A signed check of `login_id` with `password`.
pub fn check(login_id: &str, password: &str) -> Value {
    signed(&json!({"loginId": login_id, "password": password}).to_string())
}

/// The event as the function reads it.
pub fn request(event: Value) -> FunctionUrlRequest {
    serde_json::from_value(event).expect("a function URL event")
}

/// The answer's body as JSON.
pub fn body(response: &FunctionUrlResponse) -> Value {
    serde_json::from_str(&response.body).expect("a JSON body")
}

/// The settings, from an environment of `pairs`.
pub fn config(pairs: &[(&str, String)]) -> Config {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    Config::from_env(&Env::new(move |name: &str| map.get(name).cloned())).expect("valid settings")
}

/// The Descope emulator with the importer's identity attributes defined.
pub struct Descope {
    /// The running emulator.
    pub running: RunningEmulator,
    http: reqwest::Client,
}

impl Descope {
    /// Starts it and defines the importer's identity attributes.
    pub async fn start() -> Self {
        let emulator = Emulator::new(EmulatorConfig::new(PROJECT_ID, KEY)).unwrap();
        emulator
            .define_text_attributes(&["cognitoSub", "cognitoPoolId", "cognitoUsername"])
            .unwrap();
        let running = RunningEmulator::start(emulator, "127.0.0.1:0").await.unwrap();
        Self {
            running,
            http: reqwest::Client::new(),
        }
    }

    /// A user as the importer creates it: `login_id`, carrying a Cognito identity.
    pub async fn user(&self, login_id: &str, sub: &str, pool_id: &str) {
        self.user_with(login_id, json!({"cognitoSub": sub, "cognitoPoolId": pool_id}))
            .await;
    }

    /// A user holding `login_id` (also its verified email) with these custom attributes.
    pub async fn user_with(&self, login_id: &str, custom_attributes: Value) {
        if let Err(error) = self.running.emulator.migrated_user(login_id, custom_attributes) {
            panic!("create {login_id}: {error:?}");
        }
    }

    /// Whether the user holding `login_id` has a password.
    pub async fn has_password(&self, login_id: &str) -> bool {
        let user: Value = self
            .http
            .get(format!("{}/v1/mgmt/user?loginId={login_id}", self.running.base_url()))
            .bearer_auth(format!("{PROJECT_ID}:{KEY}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        user["user"]["password"].as_bool().expect("a user")
    }

    /// Descope's end-user password sign-in (`POST /v1/auth/password/signin`): its status.
    pub async fn sign_in(&self, login_id: &str, password: &str) -> u16 {
        self.http
            .post(format!("{}/v1/auth/password/signin", self.running.base_url()))
            .bearer_auth(PROJECT_ID)
            .json(&json!({"loginId": login_id, "password": password}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

/// moto with one pool and the dedicated app client (no secret), the emulator, and the stand-in.
pub struct Stage {
    /// moto, kept running while the stage lives (its Secrets Manager holds the binary's secrets).
    pub moto: Moto,
    /// The pool.
    pub pool: UserPool,
    /// The dedicated app client.
    pub client_id: String,
    /// The stand-in the function calls.
    pub stand_in: StandIn,
    /// Descope.
    pub descope: Descope,
}

impl Stage {
    /// A stage whose stand-in only forwards.
    pub async fn start() -> Self {
        Self::with(|builder| builder).await
    }

    /// A stage whose stand-in is configured by `configure` (hooks for what moto lacks).
    pub async fn with(configure: impl FnOnce(StandInBuilder) -> StandInBuilder) -> Self {
        let moto = Moto::start();
        let pool = UserPool::create(&moto, "users").await;
        let client_id = pool.app_client("password-check").await;
        let stand_in = configure(StandIn::builder(&moto.url)).start();
        let descope = Descope::start().await;
        Self {
            moto,
            pool,
            client_id,
            stand_in,
            descope,
        }
    }

    /// The function's environment for this stage, plus `extra`.
    pub fn env(&self, extra: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("PASSWORD_CHECK_HMAC_SECRET", HMAC_SECRET.to_owned()),
            ("COGNITO_USER_POOL_ID", self.pool.id.clone()),
            ("COGNITO_CLIENT_ID", self.client_id.clone()),
            ("DESCOPE_PROJECT_ID", PROJECT_ID.to_owned()),
            ("DESCOPE_MANAGEMENT_KEY", KEY.to_owned()),
            ("DESCOPE_BASE_URL", self.descope.running.base_url()),
            ("PASSWORD_CHECK_INVALID_MIN_MS", "300".to_owned()),
        ];
        env.extend(extra.iter().cloned());
        env
    }

    /// Creates a Secrets Manager secret holding `value` on moto; its ARN.
    pub async fn secret(&self, name: &str, value: &str) -> String {
        moto_harness::create_secret(&self.moto.url, name, value).await
    }

    /// The state under test, calling Cognito through the stand-in.
    pub fn state(&self, extra: &[(&'static str, String)]) -> State {
        State::new(config(&self.env(extra)), moto_harness::client_for(&self.stand_in.url)).unwrap()
    }

    /// A confirmed Cognito user `username` (password [`moto_harness::PASSWORD`]) with `email`,
    /// and its `sub`.
    pub async fn cognito_user(&self, username: &str, email: &str) -> String {
        self.pool.user(username, email, &[]).await;
        self.pool.sub(username).await
    }
}

/// `openssl dgst -sha256 -hmac KEY -binary | base64` over `message`: an HMAC computed outside the
/// crate (the connector's signature, Cognito's SECRET_HASH).
pub fn openssl_hmac(key: &str, message: &[u8]) -> String {
    use std::io::Write as _;

    use base64::{Engine as _, engine::general_purpose::STANDARD};
    let mut dgst = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-hmac", key, "-binary"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl is installed");
    dgst.stdin.take().unwrap().write_all(message).unwrap();
    let digest = dgst.wait_with_output().unwrap();
    assert!(digest.status.success(), "openssl dgst failed");
    STANDARD.encode(digest.stdout)
}
