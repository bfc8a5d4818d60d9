//! A JWKS endpoint on 127.0.0.1 whose answers and availability a test controls, counting requests.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use serde_json::Value;

/// What the endpoint answers.
#[derive(Clone)]
pub enum Answer {
    /// HTTP 200 with this JSON.
    Json(Value),
    /// This status and body.
    Status(u16, &'static str),
}

#[derive(Clone)]
struct Shared {
    answer: Arc<Mutex<Answer>>,
    hits: Arc<AtomicUsize>,
}

/// A running JWKS server; dropping it (or [`JwksServer::stop`]) shuts it down.
pub struct JwksServer {
    pub addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl JwksServer {
    pub async fn start(answer: Answer) -> Self {
        let shared = Shared {
            answer: Arc::new(Mutex::new(answer)),
            hits: Arc::new(AtomicUsize::new(0)),
        };
        let app = Router::new().route("/{*path}", get(serve)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, shared, task }
    }

    /// The URL of the key set for `project_id`, as Descope lays it out.
    pub fn jwks_url(&self, project_id: &str) -> String {
        format!("http://{}/v2/keys/{project_id}", self.addr)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, answer: Answer) {
        *self.shared.answer.lock().unwrap() = answer;
    }

    /// How many requests reached the server.
    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }

    /// Stops serving: later connections are refused.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

async fn serve(State(shared): State<Shared>) -> impl IntoResponse {
    shared.hits.fetch_add(1, Ordering::SeqCst);
    let answer = shared.answer.lock().unwrap().clone();
    match answer {
        Answer::Json(body) => (StatusCode::OK, [("content-type", "application/json")], body.to_string()),
        Answer::Status(code, body) => (
            StatusCode::from_u16(code).unwrap(),
            [("content-type", "text/plain")],
            body.to_owned(),
        ),
    }
}

/// A port on which nothing listens (bound, then released).
pub async fn closed_port_url(project_id: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/v2/keys/{project_id}")
}
