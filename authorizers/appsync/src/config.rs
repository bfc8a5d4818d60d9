//! Settings from environment variables, validated once at cold start.

use authorizer_common::{Env, LoadedPolicy};
use authz_policy::AppSyncPolicy;

/// `resolverContext` keys the authorizer fills itself; extra claims may not use them.
pub const RESERVED_CONTEXT_KEYS: [&str; 12] = [
    "userId",
    "roles",
    "permissions",
    "currentTenant",
    "authorizedTenant",
    "tenants",
    "omitted",
    // authorizer_common::UNVERIFIED_CONTEXT_KEY
    "unverified",
    // authorizer_common::IDENTITY_CONTEXT_KEYS
    "idp",
    "cognitoUsername",
    "cognitoSub",
    "cognitoUserPoolId",
];

/// AppSync's largest `authorizerResultTtlInSeconds` (and so the largest useful `ttlOverride`).
pub const MAX_TTL_SECONDS: u64 = 3600;

/// The default cap on `ttlOverride`.
pub const DEFAULT_MAX_TTL_SECONDS: u64 = 300;

pub use authorizer_common::ConfigError;

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
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment in production, a map in tests). Empty
    /// values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(lookup);
        let descope = env.descope()?;
        let LoadedPolicy { source_name, document } = env.policy()?;
        let policy = document.appsync().cloned().ok_or(ConfigError::NoSection {
            source_name,
            section: "appsync",
            consequence: "write \"appsync\": {} to authorize every valid token with no field protected",
        })?;
        let max_ttl_seconds = env
            .seconds("AUTHZ_MAX_TTL_SECONDS", MAX_TTL_SECONDS)?
            .unwrap_or(DEFAULT_MAX_TTL_SECONDS);
        let context_claims = env.context_claims(&RESERVED_CONTEXT_KEYS)?;
        let resolvers_enforce_identity = env.flag("AUTHZ_RESOLVERS_ENFORCE_IDENTITY", false)?;

        Ok(Self {
            descope,
            policy,
            max_ttl_seconds,
            context_claims,
            resolvers_enforce_identity,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const POLICY: &str = r#"{"version": 1, "appsync": {"roles": {"admin": ["User.email"]}}}"#;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn minimal_settings_use_defaults() {
        let s = settings(&[("DESCOPE_PROJECT_ID", "P2abc"), ("AUTHZ_POLICY", POLICY)]).unwrap();
        assert_eq!(s.descope.effective_jwks_url(), "https://api.descope.com/v2/keys/P2abc");
        assert_eq!(s.max_ttl_seconds, DEFAULT_MAX_TTL_SECONDS);
        assert!(s.context_claims.is_empty());
        assert!(!s.resolvers_enforce_identity);
        assert_eq!(s.policy.protected().len(), 1);
    }

    #[test]
    fn every_setting_is_read() {
        let s = settings(&[
            ("DESCOPE_PROJECT_ID", "P2abc"),
            ("DESCOPE_BASE_URL", "http://127.0.0.1:9"),
            ("DESCOPE_JWKS_URL", "http://127.0.0.1:9/keys"),
            ("DESCOPE_ISSUERS", "a, b"),
            ("DESCOPE_AUDIENCE", "P2abc"),
            ("DESCOPE_LEEWAY_SECONDS", "10"),
            ("AUTHZ_POLICY", POLICY),
            ("AUTHZ_MAX_TTL_SECONDS", "3600"),
            ("AUTHZ_CONTEXT_CLAIMS", "email, plan"),
            ("AUTHZ_RESOLVERS_ENFORCE_IDENTITY", "true"),
        ])
        .unwrap();
        assert!(s.resolvers_enforce_identity);
        assert_eq!(s.descope.effective_jwks_url(), "http://127.0.0.1:9/keys");
        assert_eq!(s.descope.accepted_issuers(), ["a", "b"]);
        assert_eq!(s.max_ttl_seconds, 3600);
        assert_eq!(s.context_claims, ["email", "plan"]);
    }

    #[test]
    fn bad_settings_name_the_variable() {
        let base = [("DESCOPE_PROJECT_ID", "P2abc"), ("AUTHZ_POLICY", POLICY)];
        let with = |extra: (&'static str, &'static str)| {
            let mut v = base.to_vec();
            v.retain(|(k, _)| *k != extra.0);
            v.push(extra);
            v
        };
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("AUTHZ_POLICY", POLICY)], "DESCOPE_PROJECT_ID is not set"),
            (vec![("DESCOPE_PROJECT_ID", "P2abc")], "set exactly one of AUTHZ_POLICY"),
            (
                with(("AUTHZ_POLICY", "{\"version\": 1, \"apigateway\": {}}")),
                "no \"appsync\" section",
            ),
            (
                with((
                    "AUTHZ_POLICY",
                    r#"{"version": 1, "appsync": {"roles": {"a": ["Mutation.*"]}}}"#,
                )),
                "AUTHZ_POLICY: policy field \"Mutation.*\" at appsync.roles.a is invalid: wildcards are not allowed",
            ),
            (
                with(("AUTHZ_MAX_TTL_SECONDS", "3601")),
                "AUTHZ_MAX_TTL_SECONDS=\"3601\" is invalid",
            ),
            (with(("AUTHZ_MAX_TTL_SECONDS", "-1")), "from 0 to 3600"),
            (
                with(("DESCOPE_LEEWAY_SECONDS", "x")),
                "DESCOPE_LEEWAY_SECONDS=\"x\" is invalid",
            ),
            (
                with(("AUTHZ_RESOLVERS_ENFORCE_IDENTITY", "yes")),
                "AUTHZ_RESOLVERS_ENFORCE_IDENTITY=\"yes\" is invalid",
            ),
            (
                with(("AUTHZ_CONTEXT_CLAIMS", "email,userId")),
                "claim \"userId\" is reserved",
            ),
            (
                with(("AUTHZ_POLICY_FILE", "/nonexistent/policy.json")),
                "set exactly one of AUTHZ_POLICY",
            ),
        ];
        for (vars, expected) in cases {
            let err = settings(&vars).unwrap_err().to_string();
            assert!(err.contains(expected), "{vars:?}: {err}");
        }
    }
}
