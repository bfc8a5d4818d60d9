//! The handler: AppSync's authorizer request in, its answer out. Pure apart from the verifier's
//! key cache and the clock.

use std::time::Instant;

use authorizer_common::ClockedVerifier;
use authz_policy::{AppSyncPolicy, FieldGrants, Membership, OperationType, Principal, TenantSource};
use descope_jwt::Claims;
use serde_json::{Map, Value, json};

use crate::{
    config::{ConfigError, Settings},
    graphql::{self, Operation},
    response::{AuthorizerResponse, ContextBuilder},
};

/// Most refused field names written to one log line.
const MAX_LOGGED_FIELDS: usize = 16;

/// Everything built once at cold start and shared by every invocation.
#[derive(Debug)]
pub struct State {
    verifier: ClockedVerifier,
    policy: AppSyncPolicy,
    max_ttl_seconds: u64,
    context_claims: Vec<String>,
    resolvers_enforce_identity: bool,
}

impl State {
    /// Builds the verifier (no network yet; see [`State::prefetch`]).
    pub fn new(settings: Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            verifier: ClockedVerifier::new(settings.descope)?,
            policy: settings.policy,
            max_ttl_seconds: settings.max_ttl_seconds,
            context_claims: settings.context_claims,
            resolvers_enforce_identity: settings.resolvers_enforce_identity,
        })
    }

    /// Verifies tokens and computes `ttlOverride` against this clock (seconds since the epoch)
    /// instead of the system's. For tests and benchmarks with tokens minted at fixed times.
    pub fn with_fixed_clock(mut self, now: i64) -> Self {
        self.verifier = self.verifier.with_fixed_clock(now);
        self
    }

    /// Fetches the signing keys (call during the Lambda init phase).
    pub async fn prefetch(&self) -> Result<usize, descope_jwt::VerifyError> {
        self.verifier.prefetch().await
    }

    fn now(&self) -> i64 {
        self.verifier.now()
    }

    async fn verify(&self, token: &str) -> Result<Claims, descope_jwt::VerifyError> {
        self.verifier.verify(token).await
    }
}

/// What happened to one request: the answer for AppSync, and what the log line says.
#[derive(Debug)]
pub struct Decision {
    /// `allow` (authorized, maybe with denied fields), `refuse` (valid token, but the operation
    /// selects a top-level field not granted, or the query cannot be read) or `unauthorized`
    /// (no valid token).
    pub decision: &'static str,
    /// Why: `all_granted`, `fields_denied`, `operation_not_granted`, a
    /// [`graphql::QueryError::kind`], `missing_token`, `malformed`, `unsupported_event`, or a
    /// [`descope_jwt::VerifyError::kind`].
    pub reason: &'static str,
    /// The user ID (`sub`), once the token verified.
    pub subject: Option<String>,
    /// Who vouched for the user (`descope`, or `cognito` in cutover mode), once the token
    /// verified: the log line's count of each tells when the Cognito side can be turned off.
    pub idp: Option<&'static str>,
    /// The operation type, when the query was read.
    pub operation_type: Option<&'static str>,
    /// Top-level fields refused (`Type.field`), for `operation_not_granted`.
    pub refused: Vec<String>,
    /// The answer.
    pub response: AuthorizerResponse,
}

/// Answers one AppSync authorizer request. Never fails: an invalid token or an unreadable
/// request is `{"isAuthorized": false}`. Logs one line with the decision, reason, subject and
/// latency; never the token or request headers.
pub async fn handle(state: &State, event: Value) -> Result<Value, std::convert::Infallible> {
    let started = Instant::now();
    let outcome = decide(state, &event).await;
    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let subject = outcome.subject.as_deref().unwrap_or("");
    let idp = outcome.idp.unwrap_or("");
    let operation_type = outcome.operation_type.unwrap_or("");
    let refused = outcome
        .refused
        .iter()
        .take(MAX_LOGGED_FIELDS)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(",");
    let denied_fields = outcome.response.denied_fields.as_ref().map_or(0, Vec::len);
    let ttl = outcome.response.ttl_override;
    if matches!(outcome.reason, "unsupported_event" | "key_set_unavailable") {
        tracing::warn!(
            decision = outcome.decision,
            reason = outcome.reason,
            latency_us,
            "authorizer decision"
        );
    } else {
        tracing::info!(
            decision = outcome.decision,
            reason = outcome.reason,
            subject,
            idp,
            operation_type,
            refused,
            denied_fields,
            ttl,
            latency_us,
            "authorizer decision"
        );
    }
    // Serializing this plain struct of strings and maps cannot fail.
    Ok(serde_json::to_value(&outcome.response)
        .unwrap_or_else(|_| json!({"isAuthorized": false, "resolverContext": {}, "ttlOverride": 0})))
}

/// [`handle`] without the log line: the decision and its reason.
pub async fn decide(state: &State, event: &Value) -> Decision {
    let unauthorized = |reason: &'static str| Decision {
        decision: "unauthorized",
        reason,
        subject: None,
        idp: None,
        operation_type: None,
        refused: Vec::new(),
        response: AuthorizerResponse::refused(),
    };

    let Some(context) = event.get("requestContext").filter(|c| c.is_object()) else {
        return unauthorized("unsupported_event");
    };
    let Some(raw) = event
        .get("authorizationToken")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
    else {
        return unauthorized("missing_token");
    };
    let Some(token) = descope_jwt::bearer_token(raw) else {
        return unauthorized("malformed");
    };
    let claims = match state.verify(token).await {
        Ok(claims) => claims,
        Err(error) => return unauthorized(error.kind()),
    };

    let refuse = |reason: &'static str, operation_type, refused, claims: Claims| Decision {
        decision: "refuse",
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
        Err(error) => return refuse(error.kind(), None, Vec::new(), claims),
    };

    let requested_tenant = match state.policy.tenant_source() {
        TenantSource::Header(name) => header(event, name),
        TenantSource::Dct | TenantSource::PathParameter(_) => None,
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

    let refused = refused_fields(&state.policy, &grants, &operation);
    let operation_type = Some(operation.kind.as_str());
    if !refused.is_empty() {
        return refuse("operation_not_granted", operation_type, refused, claims);
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
        let remaining = u64::try_from(claims.expires_at.saturating_sub(state.now())).unwrap_or(0);
        remaining.min(state.max_ttl_seconds)
    };
    let denied: Vec<String> = grants.denied().map(ToString::to_string).collect();
    Decision {
        decision: "allow",
        reason: if denied.is_empty() {
            "all_granted"
        } else {
            "fields_denied"
        },
        operation_type,
        refused: Vec::new(),
        response: AuthorizerResponse {
            is_authorized: true,
            resolver_context: resolver_context(state, &claims, &grants),
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

fn resolver_context(state: &State, claims: &Claims, grants: &FieldGrants) -> Map<String, Value> {
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
    c.insert(
        "authorizedTenant",
        Value::String(grants.tenant().unwrap_or_default().to_owned()),
    );
    let tenants: Map<String, Value> = claims
        .tenants
        .iter()
        .map(|(id, t)| (id.clone(), json!({"roles": t.roles, "permissions": t.permissions})))
        .collect();
    c.insert("tenants", Value::Object(tenants));
    authorizer_common::copy_context_claims(claims, &state.context_claims, |name, value| c.insert(name, value));
    c.build()
}
