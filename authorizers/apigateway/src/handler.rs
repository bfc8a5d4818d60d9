//! The handler: event in, API Gateway's answer out. Pure apart from the verifier's key cache.

use authorizer_common::{
    Authorizer, ConfigError, ContextForm, DecisionLine, Identity, Reason, Verdict, principal, timed,
};
use authz_policy::{ApiGatewayPolicy, Grants, Method, TenantSource};
use serde_json::Value;

use crate::{
    config::{Settings, TokenSources},
    event::{ApiArn, EventError, EventKind, Incoming},
    response::{Effect, IamResponse, MAX_RESOURCE_ARN, POLICY_VERSION, PolicyDocument, SimpleResponse, Statement},
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
    identity: Identity,
    policy: ApiGatewayPolicy,
    token_sources: TokenSources,
    simple_responses: bool,
}

impl State {
    /// Builds the verifier (no network yet; see [`Authorizer::prefetch`]).
    pub fn new(settings: Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            identity: Identity::new(settings.descope, settings.context_claims)?,
            policy: settings.policy,
            token_sources: settings.token_sources,
            simple_responses: settings.simple_responses,
        })
    }
}

impl Authorizer for State {
    type Error = Unauthorized;

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Settings::from_lookup(lookup).and_then(Self::new)
    }

    fn identity(&self) -> &Identity {
        &self.identity
    }

    async fn handle(&self, event: Value) -> Result<Value, Unauthorized> {
        handle(self, event).await
    }
}

/// What happened to one event: the answer for API Gateway, and what the log line says.
#[derive(Debug)]
pub struct Decision {
    /// The event kind, when recognised.
    pub kind: Option<EventKind>,
    /// Allow (requested route granted), Deny (valid token, route not granted: 403) or
    /// Unauthorized (401).
    pub verdict: Verdict,
    /// Why.
    pub reason: Reason,
    /// The user ID (`sub`), once the token verified.
    pub subject: Option<String>,
    /// Who vouched for the user, once the token verified.
    pub idp: Option<&'static str>,
    /// The answer.
    pub response: Result<Value, Unauthorized>,
}

/// Answers one authorizer event: the IAM policy or simple response for a valid token, and
/// `Err(Unauthorized)` (or `{"isAuthorized": false}` for HTTP API simple responses) otherwise.
/// Logs one decision line; never the token.
pub async fn handle(state: &State, event: Value) -> Result<Value, Unauthorized> {
    let (decision, latency_us) = timed(decide(state, &event)).await;
    DecisionLine {
        event_kind: Some(decision.kind.map_or("unknown", EventKind::as_str)),
        verdict: decision.verdict,
        reason: &decision.reason,
        subject: decision.subject.as_deref(),
        idp: decision.idp,
        operation: None,
        latency_us,
    }
    .log();
    decision.response
}

/// [`handle`] without the log line: the decision and its reason.
pub async fn decide(state: &State, event: &Value) -> Decision {
    let rejected = |kind: Option<EventKind>, reason: Reason| Decision {
        kind,
        verdict: Verdict::Unauthorized,
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
        Err(EventError::Unsupported) => return rejected(None, Reason::UnsupportedEvent),
        Err(EventError::MissingArn) => return rejected(None, Reason::BadArn),
    };
    let kind = Some(incoming.kind);
    let Some(arn) = ApiArn::parse(incoming.arn) else {
        return rejected(kind, Reason::BadArn);
    };
    let claims = match state.identity.verify(incoming.token_value(&state.token_sources)).await {
        Ok(claims) => claims,
        Err(reason) => return rejected(kind, reason),
    };

    let requested_tenant = match state.policy.tenant_source() {
        TenantSource::Dct => None,
        TenantSource::Header(name) => incoming.header(name),
        TenantSource::PathParameter(name) => incoming.path_parameter(name),
    };
    let grants = state.policy.grants(&principal(&claims), requested_tenant);
    let allowed = grants.allows(arn.method, &arn.path());
    // With the path source one answer covers every tenant of the token and API Gateway may reuse
    // it for another tenant's path, so nothing of this request goes in: the backend reads the
    // tenant from the path, which the policy only lets through for the token's tenants.
    let authorized_tenant = match state.policy.tenant_source() {
        TenantSource::PathParameter(_) => None,
        _ => Some(grants.tenant().unwrap_or_default()),
    };
    let context = state.identity.context(&claims, authorized_tenant, ContextForm::Scalars);

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
        verdict: if allowed { Verdict::Allow } else { Verdict::Deny },
        reason: match (allowed, grants.is_empty()) {
            (true, _) => Reason::RouteGranted,
            (false, true) => Reason::NothingGranted,
            (false, false) => Reason::RouteNotGranted,
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

fn to_value<T: serde::Serialize>(response: &T) -> Value {
    // Serializing these plain structs of strings and maps cannot fail.
    serde_json::to_value(response).unwrap_or(Value::Null)
}
