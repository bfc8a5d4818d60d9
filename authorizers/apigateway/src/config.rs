//! Settings from environment variables, validated once at cold start.

use authorizer_common::{Env, LoadedPolicy};
use authz_policy::ApiGatewayPolicy;

/// Context keys the authorizer fills itself; extra claims may not use them.
pub const RESERVED_CONTEXT_KEYS: [&str; 13] = [
    "principalId",
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

pub use authorizer_common::ConfigError;

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
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment in production, a map in tests). Empty
    /// values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(lookup);
        let get = |name: &str| env.get(name);
        let descope = env.descope()?;
        let LoadedPolicy { source_name, document } = env.policy()?;
        let policy = document.apigateway().cloned().ok_or(ConfigError::NoSection {
            source_name,
            section: "apigateway",
            consequence: "every request would be denied",
        })?;

        let name_value = |name: &'static str, header: bool| -> Result<Option<String>, ConfigError> {
            let Some(value) = get(name) else { return Ok(None) };
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
        let token_sources = TokenSources {
            header: name_value("AUTHZ_TOKEN_HEADER", true)?,
            query: name_value("AUTHZ_TOKEN_QUERY", false)?,
            cookie: name_value("AUTHZ_TOKEN_COOKIE", false)?,
        };

        let simple_responses = env.flag("AUTHZ_SIMPLE_RESPONSES", false)?;
        let context_claims = env.context_claims(&RESERVED_CONTEXT_KEYS)?;

        Ok(Self {
            descope,
            policy,
            token_sources,
            simple_responses,
            context_claims,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const POLICY: &str = r#"{"version": 1, "apigateway": {"authenticated": ["GET /me"]}}"#;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn minimal_settings_use_descope_defaults() {
        let s = settings(&[("DESCOPE_PROJECT_ID", "P2abc"), ("AUTHZ_POLICY", POLICY)]).unwrap();
        assert_eq!(s.descope.effective_jwks_url(), "https://api.descope.com/v2/keys/P2abc");
        assert_eq!(s.token_sources, TokenSources::default());
        assert!(!s.simple_responses);
        assert!(s.context_claims.is_empty());
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
            ("AUTHZ_TOKEN_HEADER", "X-Session-Token"),
            ("AUTHZ_TOKEN_QUERY", "token"),
            ("AUTHZ_TOKEN_COOKIE", "DS"),
            ("AUTHZ_SIMPLE_RESPONSES", "true"),
            ("AUTHZ_CONTEXT_CLAIMS", "email, plan"),
        ])
        .unwrap();
        assert_eq!(s.descope.effective_jwks_url(), "http://127.0.0.1:9/keys");
        assert_eq!(s.descope.accepted_issuers(), ["a", "b"]);
        assert_eq!(s.token_sources.header.as_deref(), Some("x-session-token"));
        assert_eq!(s.token_sources.query.as_deref(), Some("token"));
        assert_eq!(s.token_sources.cookie.as_deref(), Some("DS"));
        assert!(s.simple_responses);
        assert_eq!(s.context_claims, ["email", "plan"]);
    }

    #[test]
    fn bad_settings_name_the_variable() {
        let cases: [(&[(&str, &str)], &str); 9] = [
            (&[("AUTHZ_POLICY", POLICY)], "DESCOPE_PROJECT_ID is not set"),
            (&[("DESCOPE_PROJECT_ID", "P2abc")], "set exactly one of AUTHZ_POLICY"),
            (
                &[("DESCOPE_PROJECT_ID", "P2abc"), ("AUTHZ_POLICY", "{\"version\": 3}")],
                "AUTHZ_POLICY: policy version 3 is not supported",
            ),
            (
                &[("DESCOPE_PROJECT_ID", "P2abc"), ("AUTHZ_POLICY", "{\"version\": 1}")],
                "no \"apigateway\" section",
            ),
            (
                &[
                    ("DESCOPE_PROJECT_ID", "P2abc"),
                    ("AUTHZ_POLICY_FILE", "/nonexistent/policy.json"),
                ],
                "AUTHZ_POLICY_FILE=\"/nonexistent/policy.json\" cannot be read",
            ),
            (
                &[
                    ("DESCOPE_PROJECT_ID", "P2abc"),
                    ("AUTHZ_POLICY", POLICY),
                    ("DESCOPE_LEEWAY_SECONDS", "-1"),
                ],
                "DESCOPE_LEEWAY_SECONDS=\"-1\" is invalid",
            ),
            (
                &[
                    ("DESCOPE_PROJECT_ID", "P2abc"),
                    ("AUTHZ_POLICY", POLICY),
                    ("AUTHZ_SIMPLE_RESPONSES", "yes"),
                ],
                "AUTHZ_SIMPLE_RESPONSES=\"yes\" is invalid",
            ),
            (
                &[
                    ("DESCOPE_PROJECT_ID", "P2abc"),
                    ("AUTHZ_POLICY", POLICY),
                    ("AUTHZ_CONTEXT_CLAIMS", "email,roles"),
                ],
                "claim \"roles\" is reserved",
            ),
            (
                &[
                    ("DESCOPE_PROJECT_ID", "P2abc"),
                    ("AUTHZ_POLICY", POLICY),
                    ("AUTHZ_TOKEN_COOKIE", "D S"),
                ],
                "AUTHZ_TOKEN_COOKIE=\"D S\" is invalid",
            ),
        ];
        for (vars, expected) in cases {
            let err = settings(vars).unwrap_err().to_string();
            assert!(err.contains(expected), "{vars:?}: {err}");
        }
    }

    #[test]
    fn the_policy_may_come_from_a_toml_file() {
        let dir = std::env::temp_dir().join(format!("apigw-authz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("policy.toml");
        std::fs::write(&path, "version = 1\n[apigateway]\nauthenticated = [\"GET /me\"]\n").unwrap();
        let s = settings(&[
            ("DESCOPE_PROJECT_ID", "P2abc"),
            ("AUTHZ_POLICY_FILE", path.to_str().unwrap()),
        ])
        .unwrap();
        assert!(!s.policy.grants_nothing());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
