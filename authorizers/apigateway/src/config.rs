//! Settings from environment variables, validated once at cold start.

use authorizer_common::{ConfigError, Env};
use authz_policy::ApiGatewayPolicy;

/// Where, besides the `Authorization` header, REQUEST events may carry the token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenSources {
    /// Another header (lowercase), e.g. `x-session-token`.
    pub header: Option<String>,
    /// A query-string parameter.
    pub query: Option<String>,
    /// A cookie, e.g. Descope's session cookie `DS`.
    pub cookie: Option<String>,
}

/// Everything the authorizer needs, read from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The verifier configuration.
    pub descope: descope_jwt::Config,
    /// The API Gateway section of the policy.
    pub policy: ApiGatewayPolicy,
    /// Extra token sources for REQUEST events.
    pub token_sources: TokenSources,
    /// Answer HTTP API payload 2.0 events with the simple response (`isAuthorized`).
    pub simple_responses: bool,
    /// Claims copied into the context, under their own names.
    pub context_claims: Vec<String>,
}

impl Settings {
    /// Reads settings through `lookup` (the environment in production, a map in tests). Empty
    /// values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(lookup);
        let name = |name: &'static str, header: bool| -> Result<Option<String>, ConfigError> {
            let Some(value) = env.get(name) else { return Ok(None) };
            if !value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(ConfigError::Invalid {
                    name,
                    value,
                    reason: "expected a name of letters, digits, '-' or '_'".into(),
                });
            }
            Ok(Some(if header { value.to_ascii_lowercase() } else { value }))
        };
        Ok(Self {
            descope: env.descope()?,
            policy: env
                .policy()?
                .section("apigateway", "every request would be denied", |d| {
                    d.apigateway().cloned()
                })?,
            token_sources: TokenSources {
                header: name("AUTHZ_TOKEN_HEADER", true)?,
                query: name("AUTHZ_TOKEN_QUERY", false)?,
                cookie: name("AUTHZ_TOKEN_COOKIE", false)?,
            },
            simple_responses: env.flag("AUTHZ_SIMPLE_RESPONSES", false)?,
            // The IAM answer's `principalId` sits beside the context.
            context_claims: env.context_claims(&["principalId"])?,
        })
    }
}
