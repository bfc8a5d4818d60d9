//! A stand-in for the Lambda Runtime API on 127.0.0.1: hands out queued events on
//! `GET /2018-06-01/runtime/invocation/next` and records what the function posts to
//! `.../invocation/{id}/response`, `.../invocation/{id}/error` and `/runtime/init/error`.
//! Shared by the end-to-end tests and the cold-start benchmark.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::VecDeque,
    net::SocketAddr,
    process::{Child, Command, Stdio},
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
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::Value;
use tokio::sync::{Notify, mpsc};

/// What the function posted.
#[derive(Debug, Clone)]
pub enum Reply {
    /// `POST /invocation/{id}/response`.
    Response { id: String, body: Value, at: Instant },
    /// `POST /invocation/{id}/error`.
    Error {
        id: String,
        body: Value,
        error_type: Option<String>,
        at: Instant,
    },
    /// `POST /runtime/init/error`.
    InitError {
        body: Value,
        error_type: Option<String>,
        at: Instant,
    },
}

struct Shared {
    queue: Mutex<VecDeque<(String, Value)>>,
    queued: Notify,
    replies: mpsc::UnboundedSender<Reply>,
    next_calls: AtomicUsize,
    /// The function's PID, to sample its peak RSS (VmHWM) whenever it asks for the next event.
    pid: AtomicU32,
    peak_rss_kib: AtomicU64,
}

/// A running stand-in; dropping it stops serving.
pub struct RuntimeApi {
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
    pub async fn start() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            queued: Notify::new(),
            replies: tx,
            next_calls: AtomicUsize::new(0),
            pid: AtomicU32::new(0),
            peak_rss_kib: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            addr,
            shared,
            replies: rx,
            task,
            ids: 0,
        }
    }

    /// Queues an event; returns its request ID.
    pub fn push(&mut self, event: Value) -> String {
        self.ids += 1;
        let id = format!("req-{:04}", self.ids);
        self.shared.queue.lock().unwrap().push_back((id.clone(), event));
        self.shared.queued.notify_one();
        id
    }

    /// The next thing the function posted, or `None` after `timeout`.
    pub async fn reply(&mut self, timeout: Duration) -> Option<Reply> {
        tokio::time::timeout(timeout, self.replies.recv()).await.ok().flatten()
    }

    /// Queues `event` and waits for its answer.
    pub async fn invoke(&mut self, event: Value) -> Reply {
        let id = self.push(event);
        let reply = self
            .reply(Duration::from_secs(10))
            .await
            .expect("the function answered");
        match &reply {
            Reply::Response { id: got, .. } | Reply::Error { id: got, .. } => assert_eq!(got, &id),
            Reply::InitError { .. } => {}
        }
        reply
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

async fn next(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    shared.next_calls.fetch_add(1, Ordering::SeqCst);
    let pid = shared.pid.load(Ordering::SeqCst);
    if pid != 0
        && let Some(kib) = vm_hwm_kib(pid)
    {
        shared.peak_rss_kib.fetch_max(kib, Ordering::SeqCst);
    }
    let (id, event) = loop {
        if let Some(item) = shared.queue.lock().unwrap().pop_front() {
            break item;
        }
        shared.queued.notified().await;
    };
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(30);
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", id.parse().unwrap());
    headers.insert(
        "lambda-runtime-deadline-ms",
        deadline.as_millis().to_string().parse().unwrap(),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:apigateway-authorizer"
            .parse()
            .unwrap(),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000".parse().unwrap(),
    );
    headers.insert("content-type", "application/json".parse().unwrap());
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

/// Peak resident set size of `pid` in KiB, from `/proc/<pid>/status`.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Starts `binary` as Lambda would, against `api`, with `env` on top of the variables
/// lambda_runtime requires. Output is captured (see [`finish`]).
pub fn spawn_function(binary: &str, api: &RuntimeApi, env: &[(&str, String)]) -> Child {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.host())
        .env("AWS_LAMBDA_FUNCTION_NAME", "apigateway-authorizer")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    command.spawn().expect("start the function binary")
}

/// Stops the function if still running; returns its exit status (None when killed) and
/// everything it printed (stdout then stderr).
pub fn finish(mut child: Child, wait_for_exit: Duration) -> (Option<i32>, String) {
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
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (exited, text)
}
