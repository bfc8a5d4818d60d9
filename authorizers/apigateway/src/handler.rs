//! The handler: event in, API Gateway's answer out. Pure apart from the verifier's key cache.

use std::time::Instant;

use authorizer_common::ClockedVerifier;
use authz_policy::{ApiGatewayPolicy, Grants, Membership, Method, Principal, TenantSource};
use descope_jwt::Claims;
use serde_json::{Value, json};

use crate::{
    config::{ConfigError, Settings, TokenSources},
    event::{ApiArn, EventError, EventKind, Incoming},
    response::{
        ContextBuilder, Effect, IamResponse, MAX_RESOURCE_ARN, POLICY_VERSION, PolicyDocument, SimpleResponse,
        Statement,
    },
};

/// The failure API Gateway turns into 401: its message is exactly `Unauthorized`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Unauthorized")]
pub struct Unauthorized;

impl From<Unauthorized> for lambda_runtime::Diagnostic {
    fn from(_: Unauthorized) -> Self {
        Self {
            error_type: "Unauthorized".to_owned(),
            error_message: "Unauthorized".to_owned(),
        }
    }
}

/// Everything built once at cold start and shared by every invocation.
#[derive(Debug)]
pub struct State {
    verifier: ClockedVerifier,
    policy: ApiGatewayPolicy,
    token_sources: TokenSources,
    simple_responses: bool,
    context_claims: Vec<String>,
}

impl State {
    /// Builds the verifier (no network yet; see [`State::prefetch`]).
    pub fn new(settings: Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            verifier: ClockedVerifier::new(settings.descope)?,
            policy: settings.policy,
            token_sources: settings.token_sources,
            simple_responses: settings.simple_responses,
            context_claims: settings.context_claims,
        })
    }

    /// Verifies tokens against this clock (seconds since the epoch) instead of the system's.
    /// For tests and benchmarks with tokens minted at fixed times.
    pub fn with_fixed_clock(mut self, now: i64) -> Self {
        self.verifier = self.verifier.with_fixed_clock(now);
        self
    }

    /// Fetches the signing keys (call during the Lambda init phase).
    pub async fn prefetch(&self) -> Result<usize, descope_jwt::VerifyError> {
        self.verifier.prefetch().await
    }

    async fn verify(&self, token: &str) -> Result<Claims, descope_jwt::VerifyError> {
        self.verifier.verify(token).await
    }
}

/// What happened to one event: the answer for API Gateway, and what the log line says.
#[derive(Debug)]
pub struct Decision {
    /// The event kind, when recognised.
    pub kind: Option<EventKind>,
    /// `allow` (requested route granted), `deny` (valid token, route not granted: 403) or
    /// `unauthorized` (401).
    pub decision: &'static str,
    /// Why: `route_granted`, `route_not_granted`, `nothing_granted`, `missing_token`,
    /// `malformed`, `unsupported_event`, `bad_arn`, or a [`descope_jwt::VerifyError::kind`].
    pub reason: &'static str,
    /// The user ID (`sub`), once the token verified.
    pub subject: Option<String>,
    /// Who vouched for the user (`descope`, or `cognito` in cutover mode), once the token
    /// verified: the log line's count of each tells when the Cognito side can be turned off.
    pub idp: Option<&'static str>,
    /// The answer.
    pub response: Result<Value, Unauthorized>,
}

/// Answers one authorizer event: the IAM policy or simple response for a valid token, and
/// `Err(Unauthorized)` (or `{"isAuthorized": false}` for HTTP API simple responses) otherwise.
/// Logs one line with the decision, reason, subject and latency; never the token.
pub async fn handle(state: &State, event: Value) -> Result<Value, Unauthorized> {
    let started = Instant::now();
    let outcome = decide(state, &event).await;
    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let event_kind = outcome.kind.map_or("unknown", EventKind::as_str);
    let subject = outcome.subject.as_deref().unwrap_or("");
    let idp = outcome.idp.unwrap_or("");
    if outcome.decision == "unauthorized"
        && matches!(outcome.reason, "unsupported_event" | "bad_arn" | "key_set_unavailable")
    {
        tracing::warn!(
            event_kind,
            decision = outcome.decision,
            reason = outcome.reason,
            latency_us,
            "authorizer decision"
        );
    } else {
        tracing::info!(
            event_kind,
            decision = outcome.decision,
            reason = outcome.reason,
            subject,
            idp,
            latency_us,
            "authorizer decision"
        );
    }
    outcome.response
}

/// [`handle`] without the log line: the decision and its reason.
pub async fn decide(state: &State, event: &Value) -> Decision {
    let rejected = |kind: Option<EventKind>, reason: &'static str| Decision {
        kind,
        decision: "unauthorized",
        reason,
        subject: None,
        idp: None,
        response: match kind {
            Some(EventKind::HttpV2) if state.simple_responses => Ok(to_value(&SimpleResponse {
                is_authorized: false,
                context: None,
            })),
            _ => Err(Unauthorized),
        },
    };

    let incoming = match Incoming::parse(event) {
        Ok(incoming) => incoming,
        Err(EventError::Unsupported) => return rejected(None, "unsupported_event"),
        Err(EventError::MissingArn) => return rejected(None, "bad_arn"),
    };
    let kind = Some(incoming.kind);
    let Some(arn) = ApiArn::parse(incoming.arn) else {
        return rejected(kind, "bad_arn");
    };
    let Some(raw) = incoming.token_value(&state.token_sources) else {
        return rejected(kind, "missing_token");
    };
    let Some(token) = descope_jwt::bearer_token(raw) else {
        return rejected(kind, "malformed");
    };
    let claims = match state.verify(token).await {
        Ok(claims) => claims,
        Err(error) => return rejected(kind, error.kind()),
    };

    let requested_tenant = match state.policy.tenant_source() {
        TenantSource::Dct => None,
        TenantSource::Header(name) => incoming.header(name),
        TenantSource::PathParameter(name) => incoming.path_parameter(name),
    };
    let mut principal =
        Principal::new(&claims.roles, &claims.permissions).current_tenant(claims.current_tenant.as_deref());
    for (id, tenant) in &claims.tenants {
        principal = principal.tenant(Membership {
            id,
            roles: &tenant.roles,
            permissions: &tenant.permissions,
        });
    }
    let grants = state.policy.grants(&principal, requested_tenant);
    let allowed = grants.allows(arn.method, &arn.path());
    let context = context(state, &claims, &grants);

    let response = if incoming.kind == EventKind::HttpV2 && state.simple_responses {
        to_value(&SimpleResponse {
            is_authorized: allowed,
            context: Some(context),
        })
    } else {
        to_value(&IamResponse {
            principal_id: claims.subject.clone(),
            policy_document: policy_document(&arn, &grants),
            context,
        })
    };
    Decision {
        kind,
        decision: if allowed { "allow" } else { "deny" },
        reason: match (allowed, grants.is_empty()) {
            (true, _) => "route_granted",
            (false, true) => "nothing_granted",
            (false, false) => "route_not_granted",
        },
        idp: Some(claims.provider.name()),
        subject: Some(claims.subject),
        response: Ok(response),
    }
}

/// Allow on every granted route over the whole API (so a cached policy is right for every
/// route), or an explicit Deny on the whole API when nothing is granted.
fn policy_document(arn: &ApiArn<'_>, grants: &Grants) -> PolicyDocument {
    let mut resources: Vec<String> = Vec::new();
    // `* /*` covers everything else: one resource keeps the policy small.
    let everything = grants
        .routes()
        .iter()
        .any(|r| r.method() == Method::Any && r.path() == "/*");
    let routes = if everything {
        grants
            .routes()
            .iter()
            .filter(|r| r.method() == Method::Any && r.path() == "/*")
            .collect::<Vec<_>>()
    } else {
        grants.routes().iter().collect()
    };
    for route in routes {
        // In an ARN a `*` method would also swallow path segments (`*/items` matches
        // `GET/x/items`), so "any method" is spelled out unless the path is all-wildcard anyway.
        let method = route.method();
        let methods: &[Method] = match method {
            Method::Any if route.path() != "/*" => &Method::CONCRETE,
            _ => std::slice::from_ref(&method),
        };
        for method in methods {
            let resource = arn.resource(method.as_str(), route.path());
            if resource.len() <= MAX_RESOURCE_ARN && !resources.contains(&resource) {
                resources.push(resource);
            }
        }
    }
    let statement = if resources.is_empty() {
        Statement {
            action: "execute-api:Invoke",
            effect: Effect::Deny,
            resource: vec![arn.resource("*", "/*")],
        }
    } else {
        Statement {
            action: "execute-api:Invoke",
            effect: Effect::Allow,
            resource: resources,
        }
    };
    PolicyDocument {
        version: POLICY_VERSION,
        statement: vec![statement],
    }
}

fn context(state: &State, claims: &Claims, grants: &Grants) -> serde_json::Map<String, Value> {
    let mut c = ContextBuilder::default();
    c.insert("userId", Value::String(claims.subject.clone()));
    for (key, value) in authorizer_common::identity_context(claims) {
        c.insert(key, Value::String(value));
    }
    c.insert("roles", Value::String(claims.roles.join(",")));
    c.insert("permissions", Value::String(claims.permissions.join(",")));
    c.insert(
        "currentTenant",
        Value::String(claims.current_tenant.clone().unwrap_or_default()),
    );
    // With the path source one answer covers every tenant of the token and API Gateway may reuse
    // it for another tenant's path, so nothing of this request goes in: the backend reads the
    // tenant from the path, which the policy only lets through for the token's tenants.
    if !matches!(state.policy.tenant_source(), TenantSource::PathParameter(_)) {
        c.insert(
            "authorizedTenant",
            Value::String(grants.tenant().unwrap_or_default().to_owned()),
        );
    }
    let tenants: serde_json::Map<String, Value> = claims
        .tenants
        .iter()
        .map(|(id, t)| (id.clone(), json!({"roles": t.roles, "permissions": t.permissions})))
        .collect();
    c.insert("tenants", Value::String(Value::Object(tenants).to_string()));
    authorizer_common::copy_context_claims(claims, &state.context_claims, |name, value| c.insert(name, value));
    c.build()
}

fn to_value<T: serde::Serialize>(response: &T) -> Value {
    // Serializing these plain structs of strings and maps cannot fail.
    serde_json::to_value(response).unwrap_or(Value::Null)
}
