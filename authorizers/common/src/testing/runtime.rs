//! A function's compiled binary under the Lambda Runtime API stand-in (`lambda-runtime-stub`):
//! started as Lambda starts it, invoked, stopped, and what it printed read back.

use std::{path::Path, process::Child, time::Duration};

pub use lambda_runtime_stub::{Reply, RuntimeApi, finish, trace_header};
use serde_json::Value;

/// Invocations in tests: the function must answer within 10 s.
pub trait Call {
    /// Queues `event` and returns the function's answer.
    fn call(&mut self, event: Value) -> impl std::future::Future<Output = Reply>;

    /// [`Call::call`] with this `Lambda-Runtime-Trace-Id` header (`None`: no header).
    fn call_traced(&mut self, event: Value, trace_header: Option<&str>) -> impl std::future::Future<Output = Reply>;
}

impl Call for RuntimeApi {
    async fn call(&mut self, event: Value) -> Reply {
        self.invoke(event, Duration::from_secs(10))
            .await
            .expect("the function answered")
    }

    async fn call_traced(&mut self, event: Value, trace_header: Option<&str>) -> Reply {
        self.invoke_traced(event, trace_header, Duration::from_secs(10))
            .await
            .expect("the function answered")
    }
}

/// `Lambda-Runtime-Trace-Id` headers (`None`: none sent) and the `xray_trace_id` the decision
/// line must then carry: X-Ray's documented form, the same with entries reordered and a
/// `Lineage`, no header, and a `Root` that is not a trace ID (left out, not copied).
pub const TRACE_CASES: [(Option<&str>, Option<&str>); 4] = [
    (
        Some("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
        Some("1-5759e988-bd862e3fe1be46a994272793"),
    ),
    (
        Some(
            "Parent=7a1c6f24e0b93d51;Root=1-692b1e40-0123456789abcdefabcdef01;Sampled=0;Lineage=a87bd80c:1|68fd508a:5",
        ),
        Some("1-692b1e40-0123456789abcdefabcdef01"),
    ),
    (None, None),
    (Some("Root=1-5759e988-\"forged\":\"value\";Sampled=1"), None),
];

/// The names under a log line's `fields`, sorted.
pub fn field_names(line: &Value) -> Vec<String> {
    let mut names: Vec<String> = line["fields"]
        .as_object()
        .map(|fields| fields.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Starts `binary` with `env` and sends it `events` once under each of [`TRACE_CASES`]' headers,
/// then checks every decision line it printed: one per event; `xray_trace_id` as the case says;
/// exactly the fields `request` (for a `WARN` line, the operator's, `operator`) plus
/// `xray_trace_id` when there is one, so a field lost or added shows; nothing of a refused header
/// under `fields`. Returns the lines, one `Vec` per case (in the order of `events`), and
/// everything the function printed.
pub async fn traced_decisions(
    binary: &str,
    env: &[(&str, String)],
    events: &[Value],
    request: &[&str],
    operator: &[&str],
) -> (Vec<Vec<Value>>, String) {
    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(binary, &api, env);
    for (header, _) in TRACE_CASES {
        for event in events {
            let _ = api.call_traced(event.clone(), header).await;
        }
    }
    let (_, output) = finish(child, Duration::ZERO);
    let lines = decisions(&output);
    assert_eq!(
        lines.len(),
        events.len() * TRACE_CASES.len(),
        "one decision line per event:\n{output}"
    );
    let cases: Vec<Vec<Value>> = lines.chunks(events.len()).map(<[Value]>::to_vec).collect();
    for (case, (header, trace_id)) in cases.iter().zip(TRACE_CASES) {
        for line in case {
            assert_eq!(line["fields"]["xray_trace_id"].as_str(), trace_id, "{header:?}: {line}");
            let mut expected: Vec<&str> = if line["level"] == "WARN" { operator } else { request }.to_vec();
            expected.extend(trace_id.map(|_| "xray_trace_id"));
            expected.sort_unstable();
            assert_eq!(field_names(line), expected, "{line}");
            assert!(!line["fields"].to_string().contains("forged"), "{line}");
        }
    }
    (cases, output)
}

/// A decision line's `decision`, `reason` and `idp`.
pub fn decided(line: &Value) -> [Value; 3] {
    ["decision", "reason", "idp"].map(|name| line["fields"][name].clone())
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
