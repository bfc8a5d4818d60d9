//! The handler: AppSync's authorizer request in, its answer out. Pure apart from the verifier's
//! key cache and the clock.

use authorizer_common::{
    Authorizer, ConfigError, ContextForm, DecisionLine, Identity, OperationLine, Reason, Verdict, principal, timed,
};
use authz_policy::{AppSyncPolicy, FieldGrants, OperationType, TenantSource};
use descope_jwt::Claims;
use serde_json::{Value, json};

use crate::{
    config::Settings,
    graphql::{self, Operation},
    response::AuthorizerResponse,
};

/// Most refused field names written to one log line.
const MAX_LOGGED_FIELDS: usize = 16;

/// Everything built once at cold start and shared by every invocation.
#[derive(Debug)]
pub struct State {
    identity: Identity,
    policy: AppSyncPolicy,
    max_ttl_seconds: u64,
    resolvers_enforce_identity: bool,
}

impl State {
    /// Builds the verifier (no network yet; see [`Authorizer::prefetch`]).
    pub fn new(settings: Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            identity: Identity::new(settings.descope, settings.context_claims)?,
            policy: settings.policy,
            max_ttl_seconds: settings.max_ttl_seconds,
            resolvers_enforce_identity: settings.resolvers_enforce_identity,
        })
    }
}

impl Authorizer for State {
    type Error = std::convert::Infallible;

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Settings::from_lookup(lookup).and_then(Self::new)
    }

    fn identity(&self) -> &Identity {
        &self.identity
    }

    async fn handle(&self, event: Value) -> Result<Value, Self::Error> {
        handle(self, event).await
    }
}

/// What happened to one request: the answer for AppSync, and what the log line says.
#[derive(Debug)]
pub struct Decision {
    /// Allow (authorized, maybe with denied fields), Refuse (valid token, but the operation
    /// selects a top-level field not granted, or the query cannot be read) or Unauthorized (no
    /// valid token).
    pub verdict: Verdict,
    /// Why.
    pub reason: Reason,
    /// The user ID (`sub`), once the token verified.
    pub subject: Option<String>,
    /// Who vouched for the user, once the token verified.
    pub idp: Option<&'static str>,
    /// The operation type, when the query was read.
    pub operation_type: Option<&'static str>,
    /// Top-level fields refused (`Type.field`), for `operation_not_granted`.
    pub refused: Vec<String>,
    /// The answer.
    pub response: AuthorizerResponse,
}

/// Answers one AppSync authorizer request. Never fails: an invalid token or an unreadable
/// request is `{"isAuthorized": false}`. Logs one decision line; never the token or request
/// headers.
pub async fn handle(state: &State, event: Value) -> Result<Value, std::convert::Infallible> {
    let (decision, latency_us) = timed(decide(state, &event)).await;
    let refused: Vec<&str> = decision
        .refused
        .iter()
        .take(MAX_LOGGED_FIELDS)
        .map(String::as_str)
        .collect();
    DecisionLine {
        event_kind: None,
        verdict: decision.verdict,
        reason: &decision.reason,
        subject: decision.subject.as_deref(),
        idp: decision.idp,
        operation: Some(OperationLine {
            operation_type: decision.operation_type.unwrap_or(""),
            refused: &refused.join(","),
            denied_fields: decision.response.denied_fields.as_ref().map_or(0, Vec::len),
            ttl: decision.response.ttl_override,
        }),
        latency_us,
    }
    .log();
    // Serializing this plain struct of strings and maps cannot fail.
    Ok(serde_json::to_value(&decision.response)
        .unwrap_or_else(|_| json!({"isAuthorized": false, "resolverContext": {}, "ttlOverride": 0})))
}

/// [`handle`] without the log line: the decision and its reason.
pub async fn decide(state: &State, event: &Value) -> Decision {
    let unauthorized = |reason: Reason| Decision {
        verdict: Verdict::Unauthorized,
        reason,
        subject: None,
        idp: None,
        operation_type: None,
        refused: Vec::new(),
        response: AuthorizerResponse::refused(),
    };

    let Some(context) = event.get("requestContext").filter(|c| c.is_object()) else {
        return unauthorized(Reason::UnsupportedEvent);
    };
    let raw = event.get("authorizationToken").and_then(Value::as_str);
    let claims = match state.identity.verify(raw).await {
        Ok(claims) => claims,
        Err(reason) => return unauthorized(reason),
    };

    let refuse = |reason: Reason, operation_type, refused, claims: Claims| Decision {
        verdict: Verdict::Refuse,
        reason,
        idp: Some(claims.provider.name()),
        subject: Some(claims.subject),
        operation_type,
        refused,
        response: AuthorizerResponse::refused(),
    };

    let query = context.get("queryString").and_then(Value::as_str).unwrap_or("");
    let operation_name = context.get("operationName").and_then(Value::as_str);
    let operation = match graphql::top_level(query, operation_name, |kind| state.policy.root_type(kind).to_owned()) {
        Ok(operation) => operation,
        Err(error) => return refuse(Reason::UnreadableOperation(error.kind()), None, Vec::new(), claims),
    };

    let requested_tenant = match state.policy.tenant_source() {
        TenantSource::Header(name) => header(event, name),
        TenantSource::Dct | TenantSource::PathParameter(_) => None,
    };
    let grants = state.policy.grants(&principal(&claims), requested_tenant);

    let refused = refused_fields(&state.policy, &grants, &operation);
    let operation_type = Some(operation.kind.as_str());
    if !refused.is_empty() {
        return refuse(Reason::OperationNotGranted, operation_type, refused, claims);
    }

    // AppSync caches on the authorization token alone: a decision that depends on a request
    // header must not be cached, and no cached decision may outlive the token. AppSync nulls a
    // denied field "even if a value was returned from a resolver": the resolver may still run.
    // While this answer is cached, a request selecting a denied root mutation or subscription
    // would not reach this function to be refused, so such an answer is not cached unless the
    // resolvers check the caller themselves.
    let ttl_override = if matches!(state.policy.tenant_source(), TenantSource::Header(_))
        || (!state.resolvers_enforce_identity && denies_a_root_write(&state.policy, &grants))
    {
        0
    } else {
        let remaining = u64::try_from(claims.expires_at.saturating_sub(state.identity.now())).unwrap_or(0);
        remaining.min(state.max_ttl_seconds)
    };
    let denied: Vec<String> = grants.denied().map(ToString::to_string).collect();
    let authorized_tenant = grants.tenant().unwrap_or_default();
    Decision {
        verdict: Verdict::Allow,
        reason: if denied.is_empty() {
            Reason::AllGranted
        } else {
            Reason::FieldsDenied
        },
        operation_type,
        refused: Vec::new(),
        response: AuthorizerResponse {
            is_authorized: true,
            resolver_context: state
                .identity
                .context(&claims, Some(authorized_tenant), ContextForm::Strings),
            denied_fields: Some(denied),
            ttl_override,
        },
        idp: Some(claims.provider.name()),
        subject: Some(claims.subject),
    }
}

/// The operation's top-level fields on its root type that the policy protects and the grants
/// do not cover.
fn refused_fields(policy: &AppSyncPolicy, grants: &FieldGrants, operation: &Operation) -> Vec<String> {
    let root = policy.root_type(operation.kind);
    operation
        .fields
        .iter()
        .filter(|field| !grants.allows(root, field))
        .map(|field| format!("{root}.{field}"))
        .collect()
}

/// True when a protected top-level field of the mutation or subscription root type is denied.
fn denies_a_root_write(policy: &AppSyncPolicy, grants: &FieldGrants) -> bool {
    let mutation = policy.root_type(OperationType::Mutation);
    let subscription = policy.root_type(OperationType::Subscription);
    grants
        .denied()
        .any(|field| field.type_name() == mutation || field.type_name() == subscription)
}

/// A request header by case-insensitive name (`requestHeaders` is a flat string map).
fn header<'e>(event: &'e Value, name: &str) -> Option<&'e str> {
    event
        .get("requestHeaders")?
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}
