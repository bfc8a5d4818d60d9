//! A scripted Descope: a loopback HTTP/1.1 server that answers each request with the next reply of
//! its script (or drops the connection), and records every request with its arrival time.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use descope_management::{DescopeClient, Outage, RetryPolicy, StopSwitch};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader},
    net::TcpListener,
    sync::watch,
};

pub const PROJECT_ID: &str = "P2clienttest";
pub const KEY: &str = "K2the-management-key";

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Status, extra headers, body.
    Http(u16, Vec<(&'static str, String)>, String),
    /// Close the connection without an answer.
    Drop,
}

/// `200` with this JSON body.
pub fn ok(body: Value) -> Reply {
    Reply::Http(200, Vec::new(), body.to_string())
}

/// This status with an empty body.
pub fn status(code: u16) -> Reply {
    Reply::Http(code, Vec::new(), String::new())
}

/// A 429 asking to wait `seconds`.
pub fn rate_limited(seconds: &str) -> Reply {
    Reply::Http(
        429,
        vec![("Retry-After", seconds.to_owned())],
        r#"{"errorCode":"E130429"}"#.to_owned(),
    )
}

/// A request as it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    seen: Vec<Seen>,
}

/// The server; it stops when dropped with the test's runtime.
pub struct Scripted {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Scripted {
    /// Serves `script` in order; once it is used up, every request gets `200 {}`.
    pub async fn start(script: impl IntoIterator<Item = Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            script: script.into_iter().collect(),
            seen: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                tokio::spawn(serve(stream, Arc::clone(&shared)));
            }
        });
        Self { url, state }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Waits until `n` requests have arrived.
    pub async fn wait_for(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.seen().len() < n {
            assert!(Instant::now() < deadline, "only {} requests arrived", self.seen().len());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn serve(stream: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    let mut stream = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let at = Instant::now();
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            stream.read_line(&mut header).await.unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap();
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        let length = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await.unwrap();
        let reply = {
            let mut state = state.lock().unwrap();
            state.seen.push(Seen {
                at,
                method,
                path,
                headers,
                body: String::from_utf8(body).unwrap(),
            });
            state.script.pop_front().unwrap_or_else(|| ok(serde_json::json!({})))
        };
        match reply {
            Reply::Drop => return,
            Reply::Http(code, extra, body) => {
                let mut answer = format!("HTTP/1.1 {code} X\r\ncontent-length: {}\r\n", body.len());
                for (name, value) in extra {
                    answer.push_str(&format!("{name}: {value}\r\n"));
                }
                answer.push_str("\r\n");
                answer.push_str(&body);
                if stream.get_mut().write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Fast retries for tests: 10 ms backoff, no pacing.
pub fn quick(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        max_rate_limit_waits: 5,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        rate_multiplier: 0.0,
    }
}

/// A client of the scripted server.
pub fn client(server: &Scripted, policy: RetryPolicy) -> DescopeClient {
    DescopeClient::new(&server.url, PROJECT_ID, KEY, policy).unwrap()
}

/// A stop switch as a caller would write one: a watch channel, and the outages it was told of.
#[derive(Clone)]
pub struct Switch {
    reason: watch::Sender<Option<String>>,
    pub outages: Arc<Mutex<Vec<Outage>>>,
}

impl Switch {
    pub fn new() -> Self {
        Self {
            reason: watch::channel(None).0,
            outages: Arc::default(),
        }
    }

    /// Stops every call, as a signal handler would.
    pub fn trip(&self, reason: &str) {
        self.reason.send_replace(Some(reason.to_owned()));
    }

    pub fn outages(&self) -> Vec<Outage> {
        self.outages.lock().unwrap().clone()
    }
}

impl StopSwitch for Switch {
    fn stopped(&self) -> Option<String> {
        self.reason.borrow().clone()
    }

    fn wait(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        let mut receiver = self.reason.subscribe();
        Box::pin(async move {
            let _ = receiver.wait_for(Option::is_some).await;
        })
    }

    fn stop(&self, outage: Outage) {
        self.trip(&outage.to_string());
        self.outages.lock().unwrap().push(outage);
    }
}
