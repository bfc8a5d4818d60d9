//! A function's compiled binary under the Lambda Runtime API stand-in (`lambda-runtime-stub`):
//! started as Lambda starts it, invoked, stopped, and what it printed read back.

use std::{path::Path, process::Child, time::Duration};

pub use lambda_runtime_stub::{Reply, RuntimeApi, finish};
use serde_json::Value;

/// Invocations in tests: the function must answer within 10 s.
pub trait Call {
    /// Queues `event` and returns the function's answer.
    fn call(&mut self, event: Value) -> impl std::future::Future<Output = Reply>;
}

impl Call for RuntimeApi {
    async fn call(&mut self, event: Value) -> Reply {
        self.invoke(event, Duration::from_secs(10))
            .await
            .expect("the function answered")
    }
}

/// Starts `binary` as Lambda would (the function named after the binary's file name), against
/// `api`, with `env` on top of the variables lambda_runtime requires. Output is captured (see
/// [`finish`]).
pub fn spawn_function(binary: &str, api: &RuntimeApi, env: &[(&str, String)]) -> Child {
    let name = Path::new(binary).file_name().and_then(|n| n.to_str()).unwrap_or(binary);
    let mut command = lambda_runtime_stub::function_command(binary, api, name);
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().expect("start the function binary")
}

/// Starts `binary` with `env`, sends it `events` one after another (whatever it answers), stops
/// it and returns everything it printed.
pub async fn run_function(binary: &str, env: &[(&str, String)], events: impl IntoIterator<Item = Value>) -> String {
    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(binary, &api, env);
    for event in events {
        let _ = api.call(event).await;
    }
    finish(child, Duration::ZERO).1
}

/// The function's answer, when it answered rather than failed.
pub fn response_body(reply: Reply) -> Value {
    match reply {
        Reply::Response { body, .. } => body,
        other => panic!("expected a response, got {other:?}"),
    }
}

/// The function's decision lines (JSON log lines with the message `authorizer decision`), in order.
pub fn decisions(output: &str) -> Vec<Value> {
    output
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["message"] == "authorizer decision")
        .collect()
}

/// The decision lines' `reason`s, in order.
pub fn reasons(output: &str) -> Vec<String> {
    decisions(output)
        .iter()
        .map(|l| l["fields"]["reason"].as_str().unwrap().to_owned())
        .collect()
}

/// The decision lines' `idp` fields, in order.
pub fn idps(output: &str) -> Vec<Value> {
    decisions(output).iter().map(|l| l["fields"]["idp"].clone()).collect()
}

/// Asserts that no token (its signature, the part that makes it usable) appears in `output`.
#[track_caller]
pub fn assert_no_token_in<'a>(output: &str, tokens: impl IntoIterator<Item = &'a String>) {
    for token in tokens {
        let signature = token.rsplit_once('.').unwrap().1;
        assert!(!output.contains(signature), "a token leaked into the logs");
    }
}

/// What a cold start stopped by its settings left behind.
#[derive(Debug)]
pub struct InitFailure {
    /// The init error document posted to the Runtime API (`errorType`, `errorMessage`).
    pub body: Value,
    /// Its `Lambda-Runtime-Function-Error-Type` header.
    pub error_type: Option<String>,
    /// The exit code (`None`: it had not exited 10 s after the init error).
    pub exit: Option<i32>,
    /// Everything the process printed.
    pub output: String,
    /// How many events it asked for.
    pub next_calls: usize,
}

impl InitFailure {
    /// Starts `binary` with `env` and expects its cold start to post an init error (within 20 s).
    pub async fn of(binary: &str, env: &[(&str, String)]) -> Self {
        let mut api = RuntimeApi::start().await.unwrap();
        let child = spawn_function(binary, &api, env);
        let reply = api.reply(Duration::from_secs(20)).await.expect("an init error");
        let Reply::InitError { body, error_type, .. } = reply else {
            panic!("expected an init error, got {reply:?}");
        };
        let (exit, output) = finish(child, Duration::from_secs(10));
        Self {
            body,
            error_type,
            exit,
            output,
            next_calls: api.next_calls(),
        }
    }

    /// The posted message.
    pub fn message(&self) -> &str {
        self.body["errorMessage"].as_str().unwrap_or_default()
    }

    /// Asserts that the process exited with 1 without asking for an event.
    #[track_caller]
    pub fn assert_stopped(&self) {
        assert_eq!(self.exit, Some(1), "the process exits:\n{}", self.output);
        assert_eq!(self.next_calls, 0, "no event is requested");
    }

    /// Asserts the whole refused cold start: a `Runtime.ConfigError` saying exactly
    /// `invalid configuration: <message>`, the process stopped, and one ERROR log line, which
    /// contains `logged`.
    #[track_caller]
    pub fn assert_config_error(&self, message: &str, logged: &str) {
        assert_eq!(self.error_type.as_deref(), Some("Runtime.ConfigError"));
        assert_eq!(self.body["errorType"], "Runtime.ConfigError");
        assert_eq!(self.message(), format!("invalid configuration: {message}"));
        self.assert_stopped();
        let errors: Vec<&str> = self
            .output
            .lines()
            .filter(|l| l.contains("\"level\":\"ERROR\""))
            .collect();
        assert_eq!(errors.len(), 1, "one clear log line:\n{}", self.output);
        assert!(errors[0].contains(logged), "{}", errors[0]);
    }
}
