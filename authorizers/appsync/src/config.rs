//! Settings from environment variables, validated once at cold start.

use std::{path::PathBuf, time::Duration};

use authz_policy::{AppSyncPolicy, PolicyDocument, PolicyError};

/// `resolverContext` keys the authorizer fills itself; extra claims may not use them.
pub const RESERVED_CONTEXT_KEYS: [&str; 7] = [
    "userId",
    "roles",
    "permissions",
    "currentTenant",
    "authorizedTenant",
    "tenants",
    "omitted",
];

/// AppSync's largest `authorizerResultTtlInSeconds` (and so the largest useful `ttlOverride`).
pub const MAX_TTL_SECONDS: u64 = 3600;

/// The default cap on `ttlOverride`.
pub const DEFAULT_MAX_TTL_SECONDS: u64 = 300;

/// Why the configuration was refused. Each message names the environment variable to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A variable has a value that cannot be used.
    #[error("{name}={value:?} is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// Both the inline policy and the policy file are set, or neither.
    #[error("set exactly one of AUTHZ_POLICY (the document inline) and AUTHZ_POLICY_FILE (a path)")]
    PolicySource,
    /// The policy file cannot be read.
    #[error("AUTHZ_POLICY_FILE={path:?} cannot be read: {reason}")]
    PolicyFile {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The policy document is invalid.
    #[error("{source_name}: {error}")]
    Policy {
        /// `AUTHZ_POLICY` or the file path.
        source_name: String,
        /// What is wrong with it.
        error: PolicyError,
    },
    /// The policy has no `appsync` section.
    #[error(
        "{0}: the policy has no \"appsync\" section (write \"appsync\": {{}} to authorize every valid token with no field protected)"
    )]
    NoAppSyncSection(String),
    /// The verifier refused the Descope settings.
    #[error("Descope settings: {0}")]
    Verifier(#[from] descope_jwt::ConfigError),
}

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
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment in production, a map in tests). Empty
    /// values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let project_id = get("DESCOPE_PROJECT_ID").ok_or(ConfigError::Missing("DESCOPE_PROJECT_ID"))?;
        let mut descope = descope_jwt::Config::new(project_id);
        if let Some(url) = get("DESCOPE_BASE_URL") {
            descope = descope.base_url(url);
        }
        if let Some(url) = get("DESCOPE_JWKS_URL") {
            descope = descope.jwks_url(url);
        }
        if let Some(issuers) = get("DESCOPE_ISSUERS") {
            descope = descope.issuers(list(&issuers));
        }
        if let Some(audiences) = get("DESCOPE_AUDIENCE") {
            for audience in list(&audiences) {
                descope = descope.audience(audience);
            }
        }
        if let Some(leeway) = get("DESCOPE_LEEWAY_SECONDS") {
            let seconds = whole_seconds("DESCOPE_LEEWAY_SECONDS", &leeway, 300)?;
            descope = descope.leeway(Duration::from_secs(seconds));
        }

        let (source_name, text) = match (get("AUTHZ_POLICY"), get("AUTHZ_POLICY_FILE")) {
            (Some(inline), None) => ("AUTHZ_POLICY".to_owned(), inline),
            (None, Some(path)) => {
                let path = PathBuf::from(path);
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::PolicyFile {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                (format!("AUTHZ_POLICY_FILE {}", path.display()), text)
            }
            _ => return Err(ConfigError::PolicySource),
        };
        let document = PolicyDocument::parse(&text).map_err(|error| ConfigError::Policy {
            source_name: source_name.clone(),
            error,
        })?;
        let policy = document
            .appsync()
            .cloned()
            .ok_or(ConfigError::NoAppSyncSection(source_name))?;

        let max_ttl_seconds = match get("AUTHZ_MAX_TTL_SECONDS") {
            None => DEFAULT_MAX_TTL_SECONDS,
            Some(value) => whole_seconds("AUTHZ_MAX_TTL_SECONDS", &value, MAX_TTL_SECONDS)?,
        };

        let context_claims = match get("AUTHZ_CONTEXT_CLAIMS") {
            None => Vec::new(),
            Some(value) => {
                let claims = list(&value);
                let bad = claims.iter().find(|c| {
                    RESERVED_CONTEXT_KEYS.contains(&c.as_str())
                        || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                });
                if let Some(bad) = bad {
                    return Err(ConfigError::Invalid {
                        name: "AUTHZ_CONTEXT_CLAIMS",
                        value: value.clone(),
                        reason: format!(
                            "claim {bad:?} is reserved or not a plain name (letters, digits, '_'); reserved: {}",
                            RESERVED_CONTEXT_KEYS.join(", ")
                        ),
                    });
                }
                claims
            }
        };

        Ok(Self {
            descope,
            policy,
            max_ttl_seconds,
            context_claims,
        })
    }
}

fn whole_seconds(name: &'static str, value: &str, max: u64) -> Result<u64, ConfigError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|s| *s <= max)
        .ok_or_else(|| ConfigError::Invalid {
            name,
            value: value.to_owned(),
            reason: format!("expected whole seconds from 0 to {max}"),
        })
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
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
        ])
        .unwrap();
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
