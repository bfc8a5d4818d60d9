//! What an authorizer decided and why (feature `identity`), and the one decision line per
//! invocation both functions log. The template's metric filters and dashboard read the line's
//! `decision`, `reason` and `idp` fields, so their values are these enums' fixed names.
//!
//! The line also carries the invocation's X-Ray trace ID (`xray_trace_id`) when Lambda gave one:
//! [`with_xray_trace`] holds the Runtime API's `Lambda-Runtime-Trace-Id` header for the
//! invocation (a task-local, so neither the `Authorizer` trait nor the handlers change), and
//! [`DecisionLine::log`] writes its `Root` when it has X-Ray's shape.

use std::{future::Future, time::Instant};

/// The outcome of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The request may go on (API Gateway: the requested route is granted; AppSync: authorized,
    /// maybe with denied fields).
    Allow,
    /// A valid token, but the requested route is not granted (API Gateway: 403).
    Deny,
    /// A valid token, but the operation selects a top-level field not granted, or cannot be read
    /// (AppSync).
    Refuse,
    /// No valid token, or an event the function cannot read (401 / `isAuthorized: false`).
    Unauthorized,
}

impl Verdict {
    /// The name in the decision line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::Refuse => "refuse",
            Self::Unauthorized => "unauthorized",
        }
    }
}

/// Why.
#[derive(Debug)]
pub enum Reason {
    /// API Gateway: the requested route is granted.
    RouteGranted,
    /// API Gateway: routes are granted, but not the requested one.
    RouteNotGranted,
    /// API Gateway: the token grants no route at all.
    NothingGranted,
    /// AppSync: every protected field is granted.
    AllGranted,
    /// AppSync: authorized, with the fields not granted denied.
    FieldsDenied,
    /// AppSync: the operation selects a protected top-level field not granted.
    OperationNotGranted,
    /// AppSync: the GraphQL document cannot be read safely (the reader's error kind).
    UnreadableOperation(&'static str),
    /// No token in the event.
    MissingToken,
    /// Something that is not one token where the token belongs.
    Malformed,
    /// Not an event this function serves.
    UnsupportedEvent,
    /// API Gateway: the method or route ARN cannot be read.
    BadArn,
    /// The verifier refused the token.
    Token(descope_jwt::VerifyError),
}

impl Reason {
    /// The name in the decision line (for [`Reason::Token`], the verifier's error kind).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RouteGranted => "route_granted",
            Self::RouteNotGranted => "route_not_granted",
            Self::NothingGranted => "nothing_granted",
            Self::AllGranted => "all_granted",
            Self::FieldsDenied => "fields_denied",
            Self::OperationNotGranted => "operation_not_granted",
            Self::UnreadableOperation(kind) => kind,
            Self::MissingToken => "missing_token",
            Self::Malformed => "malformed",
            Self::UnsupportedEvent => "unsupported_event",
            Self::BadArn => "bad_arn",
            Self::Token(error) => error.kind(),
        }
    }

    /// True when the operator, not the caller, must act (the wiring sends events the function
    /// cannot read, or the signing keys cannot be fetched): logged as a warning.
    pub fn needs_the_operator(&self) -> bool {
        matches!(
            self,
            Self::UnsupportedEvent | Self::BadArn | Self::Token(descope_jwt::VerifyError::KeySetUnavailable { .. })
        )
    }
}

/// AppSync's part of the decision line.
#[derive(Debug, Clone, Copy)]
pub struct OperationLine<'a> {
    /// `query`, `mutation`, `subscription`, or empty when the document was not read.
    pub operation_type: &'a str,
    /// Refused top-level fields (`Type.field`), comma-separated and capped.
    pub refused: &'a str,
    /// How many fields the answer denies.
    pub denied_fields: usize,
    /// The answer's `ttlOverride`.
    pub ttl: u64,
}

/// One decision line: never the token or request headers.
#[derive(Debug, Clone, Copy)]
pub struct DecisionLine<'a> {
    /// API Gateway's event kind (left out for AppSync).
    pub event_kind: Option<&'a str>,
    /// The outcome.
    pub verdict: Verdict,
    /// Why.
    pub reason: &'a Reason,
    /// The user ID, once the token verified.
    pub subject: Option<&'a str>,
    /// Who vouched (`descope`, or `cognito` in cutover mode), once the token verified: the
    /// count of each tells when the Cognito side can be turned off.
    pub idp: Option<&'a str>,
    /// AppSync's operation fields (left out for API Gateway).
    pub operation: Option<OperationLine<'a>>,
    /// Time spent deciding, microseconds.
    pub latency_us: u64,
}

impl DecisionLine<'_> {
    /// Logs the line: a warning without the caller's details when the operator must act, an
    /// info line otherwise. Inside [`with_xray_trace`], with the trace ID.
    pub fn log(&self) {
        let logged = XRAY_TRACE_HEADER.try_with(|header| self.log_traced(header.as_deref().and_then(xray_trace_id)));
        // Outside an invocation (tests and benchmarks calling a handler directly): no trace ID.
        if logged.is_err() {
            self.log_traced(None);
        }
    }

    fn log_traced(&self, xray_trace_id: Option<&str>) {
        let decision = self.verdict.as_str();
        let reason = self.reason.as_str();
        let latency_us = self.latency_us;
        if self.reason.needs_the_operator() {
            tracing::warn!(
                event_kind = self.event_kind,
                decision,
                reason,
                latency_us,
                xray_trace_id,
                "authorizer decision"
            );
            return;
        }
        let op = self.operation;
        tracing::info!(
            event_kind = self.event_kind,
            decision,
            reason,
            subject = self.subject.unwrap_or(""),
            idp = self.idp.unwrap_or(""),
            operation_type = op.map(|o| o.operation_type),
            refused = op.map(|o| o.refused),
            denied_fields = op.map(|o| o.denied_fields),
            ttl = op.map(|o| o.ttl),
            latency_us,
            xray_trace_id,
            "authorizer decision"
        );
    }
}

tokio::task_local! {
    /// The invocation's `Lambda-Runtime-Trace-Id` header (`Root=1-...;Parent=...;Sampled=...`).
    static XRAY_TRACE_HEADER: Option<String>;
}

/// Runs `handle` (one invocation) with Lambda's trace header for it (`Context::xray_trace_id`),
/// so that its decision line carries the trace ID. The header is moved, not copied.
pub async fn with_xray_trace<T>(trace_header: Option<String>, handle: impl Future<Output = T>) -> T {
    XRAY_TRACE_HEADER.scope(trace_header, handle).await
}

/// The X-Ray trace ID in a trace header: the `Root` entry, only when it has X-Ray's shape
/// (`1-` 8 hex digits `-` 24 hex digits). The header reaches Lambda from upstream (a client's
/// `X-Amzn-Trace-Id` may start it), so anything else is left out of the log rather than copied.
pub fn xray_trace_id(header: &str) -> Option<&str> {
    let root = header.split(';').find_map(|entry| entry.trim().strip_prefix("Root="))?;
    let (version, rest) = root.split_once('-')?;
    let (time, id) = rest.split_once('-')?;
    let hex = |part: &str, digits: usize| part.len() == digits && part.bytes().all(|b| b.is_ascii_hexdigit());
    (version == "1" && hex(time, 8) && hex(id, 24)).then_some(root)
}

/// Runs `decide` and returns its output with the time it took, in microseconds.
pub async fn timed<T>(decide: impl Future<Output = T>) -> (T, u64) {
    let started = Instant::now();
    let output = decide.await;
    (output, u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::xray_trace_id;

    #[test]
    fn the_trace_id_is_the_root_of_a_trace_header_with_x_rays_shape() {
        // Lambda's header, as AWS documents it (Root, Parent, Sampled; Lineage may follow).
        let root = "1-5759e988-bd862e3fe1be46a994272793";
        for header in [
            format!("Root={root};Parent=53995c3f42cd8ad8;Sampled=1"),
            format!("Root={root}"),
            format!("Parent=53995c3f42cd8ad8; Root={root};Sampled=0;Lineage=a87bd80c:1|68fd508a:5"),
        ] {
            assert_eq!(xray_trace_id(&header), Some(root), "{header}");
        }
        for header in [
            "",
            "Parent=53995c3f42cd8ad8;Sampled=1",
            "Root=",
            "Root=1-5759e988-bd862e3fe1be46a99427279",   // one digit short
            "Root=1-5759e988-bd862e3fe1be46a9942727933", // one too many
            "Root=2-5759e988-bd862e3fe1be46a994272793",  // unknown version
            "Root=1-5759e988_bd862e3fe1be46a994272793",
            "Root=1-5759e98g-bd862e3fe1be46a994272793",
            "Root=1-5759e988-bd862e3fe1be46a99427279\"\n",
            "Root=1-5759e988-bd862e3fe1be46a99427é793",
        ] {
            assert_eq!(xray_trace_id(header), None, "{header:?}");
        }
    }
}
