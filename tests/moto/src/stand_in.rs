//! A stand-in in front of moto: an HTTP proxy on loopback that forwards Cognito calls to moto and
//! answers some of them itself, so tests can see what moto never does (throttling, 5xx) and count
//! every attempt a client makes.
//!
//! Each request is answered, in this order, by:
//!
//! 1. the hook registered for its `X-Amz-Target` ([`StandInBuilder::on`]), when it returns an
//!    answer: canned behaviours moto lacks, per operation;
//! 2. an injected [`Fault`], for a configured share of requests ([`StandInBuilder::fault`]),
//!    drawn from a seeded generator, so a test run is reproducible up to the order in which
//!    concurrent requests arrive;
//! 3. moto.
//!
//! Every request is recorded on arrival with its time, target and answer ([`StandIn::requests`]).
//!
//! ```no_run
//! use moto_harness::{Fault, Moto, StandIn};
//!
//! let moto = Moto::start();
//! let stand_in = StandIn::builder(&moto.url)
//!     .fault(Fault::TooManyRequests, 0.3)
//!     .seed(7)
//!     .start();
//! // Point the client under test at `stand_in.url`; seed moto directly through `moto.client()`.
//! // Afterwards: `stand_in.max_in_window(Duration::from_secs(1))`, `stand_in.faults(...)`.
//! ```

use std::{
    collections::HashMap,
    fmt,
    future::IntoFuture as _,
    net::TcpListener,
    sync::{Arc, Mutex, PoisonError},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header},
    response::Response,
};
use tokio::sync::oneshot;

/// The `X-Amz-Target` of a Cognito user pools operation: `AWSCognitoIdentityProviderService.<op>`.
pub fn target(operation: &str) -> String {
    format!("AWSCognitoIdentityProviderService.{operation}")
}

/// An error Cognito (or the load balancer in front of it) answers with, and which AWS SDKs retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// HTTP 400 `TooManyRequestsException` "Rate exceeded": Cognito's throttling answer.
    TooManyRequests,
    /// HTTP 500 `InternalErrorException`: Cognito's modelled internal error.
    InternalError,
    /// HTTP 503 with a plain-text body, as a load balancer answers: no Cognito error code at all.
    ServiceUnavailable,
}

impl Fault {
    /// The answer this fault sends.
    pub fn canned(self) -> Canned {
        match self {
            Self::TooManyRequests => Canned::error(400, "TooManyRequestsException", "Rate exceeded"),
            Self::InternalError => Canned::error(500, "InternalErrorException", "An internal error occurred"),
            Self::ServiceUnavailable => Canned {
                status: 503,
                content_type: "text/plain".to_owned(),
                error_type: None,
                body: b"Service Unavailable".to_vec(),
            },
        }
    }
}

/// An answer the stand-in sends instead of moto's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canned {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` of the body.
    pub content_type: String,
    /// `x-amzn-ErrorType` header, as AWS JSON services send it with an error.
    pub error_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Canned {
    /// An AWS JSON 1.1 error: `{"__type": error_type, "message": message}` with `status`.
    pub fn error(status: u16, error_type: &str, message: &str) -> Self {
        let body = serde_json::json!({ "__type": error_type, "message": message });
        Self {
            status,
            content_type: AMZ_JSON.to_owned(),
            error_type: Some(error_type.to_owned()),
            body: body.to_string().into_bytes(),
        }
    }

    /// A successful AWS JSON 1.1 answer with this body.
    pub fn json(body: &serde_json::Value) -> Self {
        Self {
            status: 200,
            content_type: AMZ_JSON.to_owned(),
            error_type: None,
            body: body.to_string().into_bytes(),
        }
    }
}

/// What a hook sees of a request.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// Its `X-Amz-Target` (see [`target`]); empty when it had none.
    pub target: &'a str,
    /// Its body (the operation's JSON input).
    pub body: &'a [u8],
}

/// A per-operation behaviour: `Some` answers the call, `None` leaves it to faults and moto.
pub type Hook = Arc<dyn Fn(Call<'_>) -> Option<Canned> + Send + Sync>;

/// How the stand-in answered a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Passed to moto, which answered with this status.
    Forwarded(u16),
    /// Answered by an injected fault.
    Fault(Fault),
    /// Answered by the operation's hook with this status.
    Hook(u16),
    /// moto could not be reached; answered 502.
    UpstreamFailed,
}

/// One request as the stand-in saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// When it arrived.
    pub at: Instant,
    /// Its `X-Amz-Target`; empty when it had none.
    pub target: String,
    /// How it was answered.
    pub answer: Answer,
}

const AMZ_JSON: &str = "application/x-amz-json-1.1";

/// Settings of a [`StandIn`] before it starts.
pub struct StandInBuilder {
    upstream: String,
    faults: Vec<(Fault, f64)>,
    seed: u64,
    hooks: HashMap<String, Hook>,
}

impl fmt::Debug for StandInBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandInBuilder")
            .field("upstream", &self.upstream)
            .field("faults", &self.faults)
            .field("seed", &self.seed)
            .field("hooks", &self.hooks.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl StandInBuilder {
    /// Answers `share` (0 to 1) of the requests no hook answered with `fault`. Several faults add
    /// up; their shares together must not exceed 1.
    ///
    /// # Panics
    ///
    /// If `share` is outside 0 to 1 or the shares add up to more than 1.
    #[must_use]
    pub fn fault(mut self, fault: Fault, share: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&share),
            "fault share {share} is not between 0 and 1"
        );
        self.faults.push((fault, share));
        let total: f64 = self.faults.iter().map(|(_, s)| s).sum();
        assert!(total <= 1.0 + 1e-9, "fault shares add up to {total}, more than 1");
        self
    }

    /// Seeds the generator that picks which requests get a fault (default 0).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Lets `hook` answer the requests of `operation` (`"ListUsers"`, or a full `X-Amz-Target`)
    /// before faults and moto; one hook per operation, the last one registered wins.
    #[must_use]
    pub fn on(mut self, operation: &str, hook: impl Fn(Call<'_>) -> Option<Canned> + Send + Sync + 'static) -> Self {
        let key = if operation.contains('.') {
            operation.to_owned()
        } else {
            target(operation)
        };
        self.hooks.insert(key, Arc::new(hook));
        self
    }

    /// Starts the stand-in on a free loopback port, in a thread of its own (so it keeps answering
    /// whatever the test's runtime does), and returns once it accepts connections.
    ///
    /// # Panics
    ///
    /// If no loopback port or thread is available.
    pub fn start(self) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("stand-in: no loopback port: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("stand-in: no local address: {e}"))
            .port();
        listener
            .set_nonblocking(true)
            .unwrap_or_else(|e| panic!("stand-in: cannot make the listener non-blocking: {e}"));
        let client = reqwest::Client::builder()
            // A proxy from the environment must not come between the stand-in and moto.
            .no_proxy()
            .build()
            .unwrap_or_else(|e| panic!("stand-in: no HTTP client: {e}"));
        let shared = Arc::new(Shared {
            upstream: self.upstream.trim_end_matches('/').to_owned(),
            client,
            faults: self.faults,
            hooks: self.hooks,
            rng: Mutex::new(SplitMix64(self.seed)),
            recorded: Mutex::new(Vec::new()),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let state = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("moto-stand-in".to_owned())
            .spawn(move || serve(listener, state, stopped))
            .unwrap_or_else(|e| panic!("stand-in: no thread: {e}"));
        StandIn {
            url: format!("http://127.0.0.1:{port}"),
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

/// The running stand-in; stops when dropped.
pub struct StandIn {
    /// Base URL, `http://127.0.0.1:<port>`: the endpoint for the client under test.
    pub url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for StandIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandIn")
            .field("url", &self.url)
            .field("upstream", &self.shared.upstream)
            .finish_non_exhaustive()
    }
}

/// The refresh tokens revoked through a stand-in's `RevokeToken` ([`StandInBuilder::revoke_tokens`]).
#[derive(Debug, Clone, Default)]
pub struct Revocations(Arc<Mutex<std::collections::HashSet<String>>>);

impl Revocations {
    /// Whether `token` was revoked.
    pub fn contains(&self, token: &str) -> bool {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).contains(token)
    }

    /// Revokes `token`, as the app's own sign-out would.
    pub fn revoke(&self, token: &str) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.to_owned());
    }

    /// How many tokens were revoked.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl StandInBuilder {
    /// Plays Cognito's `RevokeToken`, which moto 5.2.5 lacks, and what AWS does after it: the
    /// call answers `{}` (as AWS does) and records the token in `revocations`; a later
    /// `InitiateAuth` with that refresh token is refused with `NotAuthorizedException` ("Refresh
    /// Token has been revoked"), AWS's answer. Other `InitiateAuth` calls go on to moto. Hooks
    /// registered later for either operation replace these.
    #[must_use]
    pub fn revoke_tokens(self, revocations: &Revocations) -> Self {
        let on_revoke = revocations.clone();
        let on_refresh = revocations.clone();
        self.on("RevokeToken", move |call| {
            let input: serde_json::Value = serde_json::from_slice(call.body).ok()?;
            on_revoke.revoke(input["Token"].as_str()?);
            Some(Canned::json(&serde_json::json!({})))
        })
        .on("InitiateAuth", move |call| {
            let input: serde_json::Value = serde_json::from_slice(call.body).ok()?;
            let token = input["AuthParameters"]["REFRESH_TOKEN"].as_str()?;
            on_refresh
                .contains(token)
                .then(|| Canned::error(400, "NotAuthorizedException", "Refresh Token has been revoked"))
        })
    }
}

impl StandIn {
    /// A stand-in in front of `upstream` (moto's URL) that only forwards until configured.
    pub fn builder(upstream: &str) -> StandInBuilder {
        StandInBuilder {
            upstream: upstream.to_owned(),
            faults: Vec::new(),
            seed: 0,
            hooks: HashMap::new(),
        }
    }

    /// Every request so far, in order of arrival.
    pub fn requests(&self) -> Vec<Recorded> {
        let mut requests = self
            .shared
            .recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        // Recorded once answered; concurrent requests can finish out of order.
        requests.sort_by_key(|r| r.at);
        requests
    }

    /// Requests of `operation` (`"ListUsers"` or a full target) so far, whatever their answer.
    pub fn attempts(&self, operation: &str) -> usize {
        let key = if operation.contains('.') {
            operation.to_owned()
        } else {
            target(operation)
        };
        self.requests().iter().filter(|r| r.target == key).count()
    }

    /// Requests answered with `fault` so far.
    pub fn faults(&self, fault: Fault) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.answer == Answer::Fault(fault))
            .count()
    }

    /// The most requests that arrived within any span of `window` (each counted from a request's
    /// arrival, end excluded): the peak rate a client held.
    pub fn max_in_window(&self, window: Duration) -> usize {
        let times: Vec<Instant> = self.requests().iter().map(|r| r.at).collect();
        let mut best = 0;
        let mut end = 0;
        for (start, at) in times.iter().enumerate() {
            while end < times.len() && times[end] < *at + window {
                end += 1;
            }
            best = best.max(end - start);
        }
        best
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Shared {
    upstream: String,
    client: reqwest::Client,
    faults: Vec<(Fault, f64)>,
    hooks: HashMap<String, Hook>,
    rng: Mutex<SplitMix64>,
    recorded: Mutex<Vec<Recorded>>,
}

impl Shared {
    /// The fault for the next request without a hook answer, if it draws one.
    fn draw_fault(&self) -> Option<Fault> {
        if self.faults.is_empty() {
            return None;
        }
        let draw = self.rng.lock().unwrap_or_else(PoisonError::into_inner).next_unit();
        let mut bound = 0.0;
        for (fault, share) in &self.faults {
            bound += share;
            if draw < bound {
                return Some(*fault);
            }
        }
        None
    }

    fn record(&self, at: Instant, target: String, answer: Answer) {
        self.recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Recorded { at, target, answer });
    }
}

/// The stand-in's thread: its own runtime, serving until `stopped` fires or the handle is dropped.
fn serve(listener: TcpListener, shared: Arc<Shared>, stopped: oneshot::Receiver<()>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("stand-in: no runtime: {e}"));
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)
            .unwrap_or_else(|e| panic!("stand-in: listener not usable by tokio: {e}"));
        let app = axum::Router::new().fallback(handle).with_state(shared);
        // No graceful shutdown: idle keep-alive connections of the client under test must not
        // hold the test up; dropping the runtime ends them.
        tokio::select! {
            result = axum::serve(listener, app).into_future() => {
                if let Err(e) = result {
                    panic!("stand-in stopped serving: {e}");
                }
            }
            _ = stopped => {}
        }
    });
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if let Some(hook) = shared.hooks.get(&target)
        && let Some(canned) = hook(Call {
            target: &target,
            body: &body,
        })
    {
        shared.record(at, target, Answer::Hook(canned.status));
        return respond(&canned);
    }
    if let Some(fault) = shared.draw_fault() {
        shared.record(at, target, Answer::Fault(fault));
        return respond(&fault.canned());
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = shared.client.request(method, format!("{}{path}", shared.upstream));
    for (name, value) in &headers {
        if !hop_by_hop(name) {
            request = request.header(name, value);
        }
    }
    let upstream = match request.body(body).send().await {
        Ok(response) => response,
        Err(e) => {
            shared.record(at, target, Answer::UpstreamFailed);
            return plain(StatusCode::BAD_GATEWAY, format!("stand-in: moto did not answer: {e}"));
        }
    };
    let status = upstream.status();
    let upstream_headers = upstream.headers().clone();
    let bytes = match upstream.bytes().await {
        Ok(bytes) => bytes,
        Err(e) => {
            shared.record(at, target, Answer::UpstreamFailed);
            return plain(
                StatusCode::BAD_GATEWAY,
                format!("stand-in: moto's answer broke off: {e}"),
            );
        }
    };
    shared.record(at, target, Answer::Forwarded(status.as_u16()));
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in &upstream_headers {
        if !hop_by_hop(name) {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

/// Headers that describe one connection or one encoding of the body, not the message: the proxy
/// sets its own.
fn hop_by_hop(name: &HeaderName) -> bool {
    [
        header::HOST,
        header::CONNECTION,
        header::CONTENT_LENGTH,
        header::TRANSFER_ENCODING,
        header::TE,
        header::TRAILER,
        header::UPGRADE,
        header::PROXY_AUTHORIZATION,
    ]
    .contains(name)
        || name.as_str().eq_ignore_ascii_case("keep-alive")
}

fn respond(canned: &Canned) -> Response {
    let mut response = Response::new(Body::from(canned.body.clone()));
    *response.status_mut() = StatusCode::from_u16(canned.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&canned.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(value) = canned.error_type.as_deref().and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert("x-amzn-errortype", value);
    }
    headers.insert(
        "x-amzn-requestid",
        HeaderValue::from_static("00000000-0000-0000-0000-stand-in0000"),
    );
    response
}

fn plain(status: StatusCode, message: String) -> Response {
    let mut response = Response::new(Body::from(message));
    *response.status_mut() = status;
    response
}

/// SplitMix64: a tiny seeded generator, enough to pick a reproducible share of requests.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_unit(&mut self) -> f64 {
        // The top 53 bits, as many as an f64 mantissa holds.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
