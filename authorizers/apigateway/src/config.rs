//! Settings from environment variables, validated once at cold start.

use std::{path::PathBuf, time::Duration};

use authz_policy::{ApiGatewayPolicy, PolicyDocument, PolicyError};

/// Context keys the authorizer fills itself; extra claims may not use them.
pub const RESERVED_CONTEXT_KEYS: [&str; 8] = [
    "principalId",
    "userId",
    "roles",
    "permissions",
    "currentTenant",
    "authorizedTenant",
    "tenants",
    "omitted",
];

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
    /// The policy has no `apigateway` section.
    #[error("{0}: the policy has no \"apigateway\" section, so every request would be denied")]
    NoApiGatewaySection(String),
    /// The verifier refused the Descope settings.
    #[error("Descope settings: {0}")]
    Verifier(#[from] descope_jwt::ConfigError),
}

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
            let seconds = leeway
                .parse::<u64>()
                .ok()
                .filter(|s| *s <= 300)
                .ok_or(ConfigError::Invalid {
                    name: "DESCOPE_LEEWAY_SECONDS",
                    value: leeway.clone(),
                    reason: "expected whole seconds from 0 to 300".into(),
                })?;
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
            .apigateway()
            .cloned()
            .ok_or(ConfigError::NoApiGatewaySection(source_name))?;

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

        let simple_responses = match get("AUTHZ_SIMPLE_RESPONSES").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "AUTHZ_SIMPLE_RESPONSES",
                    value: other.to_owned(),
                    reason: "expected true or false".into(),
                });
            }
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
            token_sources,
            simple_responses,
            context_claims,
        })
    }
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
