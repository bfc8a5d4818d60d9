//! Shared test helpers: an emulator on 127.0.0.1:0 and a small management client.

use descope_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const PROJECT: &str = "P2testproject";
pub const KEY: &str = "K2test-management-key";

/// A running emulator and an HTTP client holding the right management key.
pub struct Harness {
    pub running: RunningEmulator,
    pub http: reqwest::Client,
}

/// A JSON answer: status, body (Null when not JSON) and headers.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["errorCode"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn ok(self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "unexpected answer: {}", self.body);
        self.body
    }

    /// Asserts a Descope error: status, code and the three members of the body.
    #[track_caller]
    pub fn error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert!(self.body["errorDescription"].is_string() && self.body["errorMessage"].is_string());
    }
}

pub async fn start() -> Harness {
    start_with(EmulatorConfig::new(PROJECT, KEY)).await
}

pub async fn start_with(config: EmulatorConfig) -> Harness {
    let emulator = Emulator::new(config).expect("emulator");
    let running = RunningEmulator::start(emulator, "127.0.0.1:0").await.expect("bind");
    Harness {
        running,
        http: reqwest::Client::new(),
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    pub fn emulator(&self) -> &Emulator {
        &self.running.emulator
    }

    /// A management call with the right key; `body` Null sends no body.
    pub async fn call(&self, method: Method, path: &str, body: Value) -> Answer {
        self.send(method, path, body, Some(&format!("Bearer {PROJECT}:{KEY}")))
            .await
    }

    pub async fn send(&self, method: Method, path: &str, body: Value, auth: Option<&str>) -> Answer {
        let mut req = self.http.request(method, self.url(path));
        if let Some(auth) = auth {
            req = req.header("Authorization", auth);
        }
        if !body.is_null() {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, body).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, Value::Null).await
    }

    /// Creates a user and returns its wire object.
    pub async fn create_user(&self, body: Value) -> Value {
        self.post("/v1/mgmt/user/create", body).await.ok()["user"].clone()
    }

    pub async fn create_role(&self, name: &str, permissions: &[&str]) {
        self.post(
            "/v1/mgmt/role/create",
            json!({"name": name, "permissionNames": permissions}),
        )
        .await
        .ok();
    }

    pub async fn create_tenant(&self, id: &str, name: &str) {
        self.post("/v1/mgmt/tenant/create", json!({"id": id, "name": name}))
            .await
            .ok();
    }

    pub async fn define_attribute(&self, name: &str, kind: Value) {
        self.post(
            "/v1/mgmt/user/customattribute/create",
            json!({"attributes": [{"name": name, "type": kind, "displayName": name}]}),
        )
        .await
        .ok();
    }

    /// Login IDs (first of each user) of a search answer.
    pub async fn search_logins(&self, body: Value) -> (Vec<String>, u64) {
        let found = self.post("/v2/mgmt/user/search", body).await.ok();
        let logins = found["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["loginIds"][0].as_str().unwrap().to_owned())
            .collect();
        (logins, found["total"].as_u64().unwrap())
    }
}
