//! Settings from environment variables, validated once at cold start.

use authorizer_common::{ConfigError, Env};
use authz_policy::AppSyncPolicy;

/// AppSync's largest `authorizerResultTtlInSeconds` (and so the largest useful `ttlOverride`).
pub const MAX_TTL_SECONDS: u64 = 3600;

/// The default cap on `ttlOverride`.
pub const DEFAULT_MAX_TTL_SECONDS: u64 = 300;

/// Everything the authorizer needs, read from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The verifier configuration.
    pub descope: descope_jwt::Config,
    /// The AppSync section of the policy.
    pub policy: AppSyncPolicy,
    /// Upper bound of `ttlOverride`, seconds (0 disables caching).
    pub max_ttl_seconds: u64,
    /// Claims copied into `resolverContext`, under their own names.
    pub context_claims: Vec<String>,
    /// `AUTHZ_RESOLVERS_ENFORCE_IDENTITY`: the resolvers of protected mutations and subscriptions
    /// check the caller themselves, so an answer denying one of them may be cached (default false).
    pub resolvers_enforce_identity: bool,
}

impl Settings {
    /// Reads settings through `lookup` (the environment in production, a map in tests). Empty
    /// values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(lookup);
        Ok(Self {
            descope: env.descope()?,
            policy: env.policy()?.section(
                "appsync",
                "write \"appsync\": {} to authorize every valid token with no field protected",
                |d| d.appsync().cloned(),
            )?,
            max_ttl_seconds: env
                .seconds("AUTHZ_MAX_TTL_SECONDS", MAX_TTL_SECONDS)?
                .unwrap_or(DEFAULT_MAX_TTL_SECONDS),
            context_claims: env.context_claims(&[])?,
            resolvers_enforce_identity: env.flag("AUTHZ_RESOLVERS_ENFORCE_IDENTITY", false)?,
        })
    }
}
