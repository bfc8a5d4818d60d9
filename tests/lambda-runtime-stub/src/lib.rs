//! A stand-in for the AWS Lambda Runtime API on 127.0.0.1, so the real function binaries run
//! exactly as under Lambda (they poll `GET /2018-06-01/runtime/invocation/next` and post their
//! answer) in tests, benchmarks and the demo, with no AWS and no Docker.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut api = lambda_runtime_stub::RuntimeApi::start().await?;
//! let mut child = lambda_runtime_stub::function_command("target/debug/my-fn", &api, "my-fn").spawn()?;
//! let reply = api.invoke(serde_json::json!({"hello": "world"}), std::time::Duration::from_secs(10)).await?;
//! child.kill()?;
//! # Ok(()) }
//! ```
//!
//! [`bench`] holds what the timed harnesses share: fresh release binaries, one measured cold start.

pub mod bench;

use std::{
    collections::VecDeque,
    net::SocketAddr,
    process::{Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::Value;
use tokio::sync::{Notify, mpsc};

/// What the function posted.
#[derive(Debug, Clone)]
pub enum Reply {
    /// `POST /invocation/{id}/response`.
    Response {
        /// The request ID.
        id: String,
        /// The function's answer.
        body: Value,
        /// When it arrived.
        at: Instant,
    },
    /// `POST /invocation/{id}/error`.
    Error {
        /// The request ID.
        id: String,
        /// The error document (`errorType`, `errorMessage`).
        body: Value,
        /// The `Lambda-Runtime-Function-Error-Type` header.
        error_type: Option<String>,
        /// When it arrived.
        at: Instant,
    },
    /// `POST /runtime/init/error`.
    InitError {
        /// The error document.
        body: Value,
        /// The `Lambda-Runtime-Function-Error-Type` header.
        error_type: Option<String>,
        /// When it arrived.
        at: Instant,
    },
}

/// Why an invocation did not complete.
#[derive(Debug, thiserror::Error)]
pub enum StubError {
    /// The function did not answer in time (it may have crashed).
    #[error("the function did not answer within {0:?}")]
    NoAnswer(Duration),
    /// The function answered another request than the one asked.
    #[error("the function answered request {got} instead of {expected}")]
    WrongRequest {
        /// Expected request ID.
        expected: String,
        /// Received request ID.
        got: String,
    },
}

/// One queued invocation: its request ID, event and `Lambda-Runtime-Trace-Id` header.
type Queued = (String, Value, Option<String>);

struct Shared {
    queue: Mutex<VecDeque<Queued>>,
    queued: Notify,
    replies: mpsc::UnboundedSender<Reply>,
    next_calls: AtomicUsize,
    function_arn: String,
    /// The function's PID, to sample its peak RSS (VmHWM) whenever it asks for the next event.
    pid: AtomicU32,
    peak_rss_kib: AtomicU64,
}

/// A running stand-in for one function; dropping it stops serving.
pub struct RuntimeApi {
    /// Where it listens.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    replies: mpsc::UnboundedReceiver<Reply>,
    task: tokio::task::JoinHandle<()>,
    ids: usize,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RuntimeApi {
    /// Serves on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_for("function").await
    }

    /// Serves on a free loopback port for the function named `name` (used in its ARN).
    pub async fn start_for(name: &str) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            queued: Notify::new(),
            replies: tx,
            next_calls: AtomicUsize::new(0),
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
            pid: AtomicU32::new(0),
            peak_rss_kib: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            addr,
            shared,
            replies: rx,
            task,
            ids: 0,
        })
    }

    /// Queues an event; returns its request ID. Like Lambda, the stand-in sends a trace header
    /// with every invocation, each with its own trace ID (see [`trace_header`]).
    pub fn push(&mut self, event: Value) -> String {
        let header = trace_header(self.ids + 1);
        self.push_traced(event, Some(&header))
    }

    /// Queues an event with this `Lambda-Runtime-Trace-Id` header (`None`: no header); returns
    /// its request ID.
    pub fn push_traced(&mut self, event: Value, trace_header: Option<&str>) -> String {
        self.ids += 1;
        let id = format!("req-{:04}", self.ids);
        lock(&self.shared.queue).push_back((id.clone(), event, trace_header.map(str::to_owned)));
        self.shared.queued.notify_one();
        id
    }

    /// The next thing the function posted, or `None` after `timeout`.
    pub async fn reply(&mut self, timeout: Duration) -> Option<Reply> {
        tokio::time::timeout(timeout, self.replies.recv()).await.ok().flatten()
    }

    /// Queues `event` and waits for its answer (a response, an error, or an init error).
    pub async fn invoke(&mut self, event: Value, timeout: Duration) -> Result<Reply, StubError> {
        let expected = self.push(event);
        self.answer_to(expected, timeout).await
    }

    /// [`RuntimeApi::invoke`] with this `Lambda-Runtime-Trace-Id` header (`None`: no header).
    pub async fn invoke_traced(
        &mut self,
        event: Value,
        trace_header: Option<&str>,
        timeout: Duration,
    ) -> Result<Reply, StubError> {
        let expected = self.push_traced(event, trace_header);
        self.answer_to(expected, timeout).await
    }

    async fn answer_to(&mut self, expected: String, timeout: Duration) -> Result<Reply, StubError> {
        let reply = self.reply(timeout).await.ok_or(StubError::NoAnswer(timeout))?;
        match &reply {
            Reply::Response { id, .. } | Reply::Error { id, .. } if *id != expected => Err(StubError::WrongRequest {
                expected,
                got: id.clone(),
            }),
            _ => Ok(reply),
        }
    }

    /// How many times the function asked for an event.
    pub fn next_calls(&self) -> usize {
        self.shared.next_calls.load(Ordering::SeqCst)
    }

    /// Samples `/proc/<pid>/status` of this process whenever it polls for the next event.
    pub fn watch_pid(&self, pid: u32) {
        self.shared.pid.store(pid, Ordering::SeqCst);
    }

    /// The largest VmHWM seen, in KiB (0 when never sampled).
    pub fn peak_rss_kib(&self) -> u64 {
        self.shared.peak_rss_kib.load(Ordering::SeqCst)
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

async fn next(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    shared.next_calls.fetch_add(1, Ordering::SeqCst);
    let pid = shared.pid.load(Ordering::SeqCst);
    if pid != 0
        && let Some(kib) = vm_hwm_kib(pid)
    {
        shared.peak_rss_kib.fetch_max(kib, Ordering::SeqCst);
    }
    let (id, event, trace) = loop {
        if let Some(item) = lock(&shared.queue).pop_front() {
            break item;
        }
        shared.queued.notified().await;
    };
    let deadline_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| (d + Duration::from_secs(30)).as_millis())
        .unwrap_or_default();
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set("lambda-runtime-aws-request-id", &id);
    set("lambda-runtime-deadline-ms", &deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", &shared.function_arn);
    if let Some(trace) = &trace {
        set("lambda-runtime-trace-id", trace);
    }
    set("content-type", "application/json");
    (StatusCode::OK, headers, event.to_string())
}

fn json(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

fn error_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn response(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    let _ = shared.replies.send(Reply::Response {
        id,
        body: json(&body),
        at: Instant::now(),
    });
    StatusCode::ACCEPTED
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let _ = shared.replies.send(Reply::Error {
        id,
        body: json(&body),
        error_type: error_type(&headers),
        at: Instant::now(),
    });
    StatusCode::ACCEPTED
}

async fn init_error(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let _ = shared.replies.send(Reply::InitError {
        body: json(&body),
        error_type: error_type(&headers),
        at: Instant::now(),
    });
    StatusCode::ACCEPTED
}

/// The trace header the stand-in sends with invocation `n` (from 1) unless told otherwise: the
/// form Lambda sends (`Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>`), with a trace ID
/// of its own per invocation.
pub fn trace_header(n: usize) -> String {
    format!("Root=1-00000000-{n:024x};Parent=00000000{n:08x};Sampled=0")
}

/// Peak resident set size of `pid` in KiB, from `/proc/<pid>/status`.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The command that starts `binary` as Lambda would against `api`: a clean environment with the
/// variables lambda_runtime requires and JSON logs; stdout and stderr piped. Add the function's
/// own settings with `.env(...)` before spawning.
pub fn function_command(binary: impl AsRef<std::ffi::OsStr>, api: &RuntimeApi, name: &str) -> Command {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.host())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits up to `wait_for_exit` for `child` to exit by itself, kills it otherwise, and returns its
/// exit code (`None` when it had to be killed) and everything it printed (stdout, then stderr).
pub fn finish(mut child: std::process::Child, wait_for_exit: Duration) -> (Option<i32>, String) {
    let started = Instant::now();
    let mut exited = None;
    while started.elapsed() < wait_for_exit {
        if let Ok(Some(status)) = child.try_wait() {
            exited = Some(status.code().unwrap_or(-1));
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    if exited.is_none() {
        let _ = child.kill();
    }
    match child.wait_with_output() {
        Ok(output) => {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            (exited, text)
        }
        Err(e) => (exited, format!("(output unavailable: {e})")),
    }
}

/// A Lambda function URL event (payload format 2.0, as AWS documents it) for `method` with `body`
/// (already base64 when `is_base64_encoded`) and `headers` (plus `content-type:
/// application/json`): what the bridges behind function URLs receive.
pub fn function_url_event(method: &str, body: &str, headers: &[(&str, &str)], is_base64_encoded: bool) -> Value {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .chain([("content-type".to_owned(), Value::from("application/json"))])
        .collect();
    serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefghijklmnopqrstuvwxyz",
            "domainName": "abcdefghijklmnopqrstuvwxyz.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abcdefghijklmnopqrstuvwxyz",
            "http": {"method": method, "path": "/", "protocol": "HTTP/1.1", "sourceIp": "3.3.3.3", "userAgent": "test"},
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "29/Nov/2026:17:00:00 +0000",
            "timeEpoch": 1_795_971_600_000_u64
        },
        "body": body,
        "isBase64Encoded": is_base64_encoded
    })
}
