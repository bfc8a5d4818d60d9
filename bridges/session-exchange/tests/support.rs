//! The stage the tests share: moto (Cognito and DynamoDB) behind the stand-in, which plays
//! `RevokeToken` (moto 5.2.5 lacks it), the emulator with migrated users, and the state under
//! test.

use std::collections::HashMap;

use authorizer_common::Env;
use descope_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use moto_harness::{Moto, Revocations, StandIn, StandInBuilder, UserPool};
use serde_json::{Value, json};
use session_exchange::{Config, FunctionUrlRequest, FunctionUrlResponse, State};

/// The Descope project and management key of the emulator.
pub const PROJECT_ID: &str = "P2sessionexchange";
/// The management key.
pub const KEY: &str = "K2management-key";
/// The single-use table.
pub const TABLE: &str = "exchanged-tokens";
/// The app's web origin.
pub const ORIGIN: &str = "https://app.example.com";

/// A function URL event with this method, body and headers.
pub fn event(method: &str, body: &str, headers: &[(&str, &str)]) -> Value {
    lambda_runtime_stub::function_url_event(method, body, headers, false)
}

/// An exchange of `refresh_token` for `client_id`, from the app's origin.
pub fn exchange(refresh_token: &str, client_id: &str) -> Value {
    let body = json!({"refreshToken": refresh_token, "clientId": client_id}).to_string();
    event("POST", &body, &[("origin", ORIGIN)])
}

/// The event as the function reads it.
pub fn request(event: Value) -> FunctionUrlRequest {
    serde_json::from_value(event).expect("a function URL event")
}

/// The answer's body as JSON.
pub fn body(response: &FunctionUrlResponse) -> Value {
    serde_json::from_str(&response.body).expect("a JSON body")
}

/// The emulator with the importer's identity attributes defined.
pub struct Descope {
    /// The running emulator.
    pub running: RunningEmulator,
    http: reqwest::Client,
}

impl Descope {
    async fn start() -> Self {
        let emulator = Emulator::new(EmulatorConfig::new(PROJECT_ID, KEY)).unwrap();
        emulator
            .define_text_attributes(&["cognitoSub", "cognitoPoolId"])
            .unwrap();
        let running = RunningEmulator::start(emulator, "127.0.0.1:0").await.unwrap();
        Self {
            running,
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, path: &str, body: &Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.running.base_url()))
            .bearer_auth(format!("{PROJECT_ID}:{KEY}"))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// A user as the importer creates it: `login_id`, carrying a Cognito identity; its user ID.
    pub async fn user(&self, login_id: &str, sub: &str, pool_id: &str) -> String {
        self.running
            .emulator
            .migrated_user(login_id, json!({"cognitoSub": sub, "cognitoPoolId": pool_id}))
            .unwrap_or_else(|error| panic!("create {login_id}: {error:?}"))
    }

    /// Disables the user holding `login_id`.
    pub async fn disable(&self, login_id: &str) {
        self.call(
            "/v1/mgmt/user/update/status",
            &json!({"loginId": login_id, "status": "disabled"}),
        )
        .await;
    }

    /// A verifier of this project's session tokens (the emulator's keys).
    pub fn verifier(&self) -> descope_jwt::Verifier {
        descope_jwt::Verifier::new(descope_jwt::Config::new(PROJECT_ID).base_url(self.running.base_url())).unwrap()
    }
}

/// moto with one pool and the app's client, DynamoDB's table, the emulator, and the stand-in.
pub struct Stage {
    /// moto, kept running while the stage lives.
    pub moto: Moto,
    /// The pool.
    pub pool: UserPool,
    /// The app client (no secret).
    pub client_id: String,
    /// The stand-in the function calls.
    pub stand_in: StandIn,
    /// Descope.
    pub descope: Descope,
    /// Refresh tokens the stand-in's `RevokeToken` revoked (moto has no `RevokeToken`).
    pub revoked: Revocations,
}

impl Stage {
    /// A stage whose stand-in plays `RevokeToken`.
    pub async fn start() -> Self {
        Self::with(|builder| builder).await
    }

    /// A stage whose stand-in is further configured by `configure` (its hooks win over the
    /// revocation hooks for the same operation).
    pub async fn with(configure: impl FnOnce(StandInBuilder) -> StandInBuilder) -> Self {
        let moto = Moto::start();
        let pool = UserPool::create(&moto, "users").await;
        let client_id = pool.app_client("web").await;
        let revoked = Revocations::default();
        let stand_in = configure(StandIn::builder(&moto.url).revoke_tokens(&revoked)).start();
        let descope = Descope::start().await;
        moto_harness::create_table(&moto_harness::dynamodb_for(&moto.url), TABLE, "tokenHash").await;
        Self {
            moto,
            pool,
            client_id,
            stand_in,
            descope,
            revoked,
        }
    }

    /// The function's environment for this stage, plus `extra` (which replaces same names).
    pub fn env(&self, extra: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("COGNITO_USER_POOL_ID", self.pool.id.clone()),
            ("COGNITO_CLIENT_IDS", self.client_id.clone()),
            ("COGNITO_ENDPOINT_URL", self.moto.url.clone()),
            ("DESCOPE_PROJECT_ID", PROJECT_ID.to_owned()),
            ("DESCOPE_MANAGEMENT_KEY", KEY.to_owned()),
            ("DESCOPE_BASE_URL", self.descope.running.base_url()),
            ("SESSION_EXCHANGE_TABLE", TABLE.to_owned()),
            ("SESSION_EXCHANGE_ALLOWED_ORIGINS", ORIGIN.to_owned()),
        ];
        env.retain(|(name, _)| !extra.iter().any(|(e, _)| e == name));
        env.extend(extra.iter().cloned());
        env
    }

    /// The state under test: Cognito through the stand-in, DynamoDB on moto.
    pub async fn state(&self, extra: &[(&'static str, String)]) -> State {
        self.try_state(extra).await.expect("the state builds")
    }

    /// The cold start's outcome with these settings.
    pub async fn try_state(&self, extra: &[(&'static str, String)]) -> Result<State, session_exchange::StateError> {
        let map: HashMap<&str, String> = self.env(extra).into_iter().collect();
        let config = Config::from_env(&Env::new(move |name: &str| map.get(name).cloned())).expect("valid settings");
        State::new(
            config,
            moto_harness::client_for(&self.stand_in.url),
            moto_harness::dynamodb_for(&self.moto.url),
        )
        .await
    }

    /// A confirmed Cognito user signed in through `client_id`: its `sub` and refresh token.
    pub async fn signed_in(&self, username: &str, client_id: &str) -> (String, String) {
        self.pool.user(username, &format!("{username}@example.com"), &[]).await;
        let tokens = self.pool.tokens(client_id, username).await;
        (self.pool.sub(username).await, tokens.refresh)
    }

    /// A Cognito user signed in through the app client, and migrated to Descope under
    /// `<username>@example.com`: the refresh token and the Descope user ID.
    pub async fn migrated(&self, username: &str) -> (String, String) {
        let (sub, refresh) = self.signed_in(username, &self.client_id).await;
        let user_id = self
            .descope
            .user(&format!("{username}@example.com"), &sub, &self.pool.id)
            .await;
        (refresh, user_id)
    }

    /// How many items the single-use table holds.
    pub async fn claims(&self) -> usize {
        let scan = moto_harness::dynamodb_for(&self.moto.url)
            .scan()
            .table_name(TABLE)
            .send()
            .await
            .unwrap();
        scan.items().len()
    }
}
