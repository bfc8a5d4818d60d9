//! What the API Gateway and AppSync authorizers share, so the two functions read their settings
//! and fail their cold start the same way:
//!
//! - [`Env`]: environment variables read once at cold start (empty counts as unset), with the
//!   Descope verifier settings (`DESCOPE_*`), the policy document (`AUTHZ_POLICY` or
//!   `AUTHZ_POLICY_FILE`) and context claims (`AUTHZ_CONTEXT_CLAIMS`), each failure a
//!   [`ConfigError`] naming the variable to fix;
//! - [`state_or_exit`]: a bad setting stops the cold start with one log line and an init error
//!   posted to the Lambda Runtime API.

#[cfg(feature = "test-util")]
pub mod testing;

use std::{fmt::Display, path::PathBuf, time::Duration};

use authz_policy::{PolicyDocument, PolicyError};

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
    /// The policy lacks the section this authorizer reads.
    #[error("{source_name}: the policy has no \"{section}\" section ({consequence})")]
    NoSection {
        /// `AUTHZ_POLICY` or the file path.
        source_name: String,
        /// `apigateway` or `appsync`.
        section: &'static str,
        /// What running without it would mean, or how to write an empty one.
        consequence: &'static str,
    },
    /// The verifier refused the Descope settings.
    #[error("Descope settings: {0}")]
    Verifier(#[from] descope_jwt::ConfigError),
}

/// The function's environment, read through a lookup (the process environment in production, a
/// map in tests). Values are trimmed; empty values count as unset.
pub struct Env<F> {
    lookup: F,
}

/// A policy document and where it came from (for messages).
#[derive(Debug)]
pub struct LoadedPolicy {
    /// `AUTHZ_POLICY` or `AUTHZ_POLICY_FILE <path>`.
    pub source_name: String,
    /// The parsed, validated document.
    pub document: PolicyDocument,
}

impl Env<fn(&str) -> Option<String>> {
    /// The process environment.
    pub fn process() -> Self {
        Self {
            lookup: |name| std::env::var(name).ok(),
        }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// An environment read through `lookup`.
    pub fn new(lookup: F) -> Self {
        Self { lookup }
    }

    /// The trimmed value of `name`, `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The verifier settings: `DESCOPE_PROJECT_ID` (required), `DESCOPE_BASE_URL`,
    /// `DESCOPE_JWKS_URL`, `DESCOPE_ISSUERS` and `DESCOPE_AUDIENCE` (comma lists) and
    /// `DESCOPE_LEEWAY_SECONDS` (0-300).
    pub fn descope(&self) -> Result<descope_jwt::Config, ConfigError> {
        let project_id = self
            .get("DESCOPE_PROJECT_ID")
            .ok_or(ConfigError::Missing("DESCOPE_PROJECT_ID"))?;
        let mut descope = descope_jwt::Config::new(project_id);
        if let Some(url) = self.get("DESCOPE_BASE_URL") {
            descope = descope.base_url(url);
        }
        if let Some(url) = self.get("DESCOPE_JWKS_URL") {
            descope = descope.jwks_url(url);
        }
        if let Some(issuers) = self.get("DESCOPE_ISSUERS") {
            descope = descope.issuers(list(&issuers));
        }
        if let Some(audiences) = self.get("DESCOPE_AUDIENCE") {
            for audience in list(&audiences) {
                descope = descope.audience(audience);
            }
        }
        if let Some(seconds) = self.seconds("DESCOPE_LEEWAY_SECONDS", 300)? {
            descope = descope.leeway(Duration::from_secs(seconds));
        }
        Ok(descope)
    }

    /// The policy document, from exactly one of `AUTHZ_POLICY` (inline) and `AUTHZ_POLICY_FILE`.
    pub fn policy(&self) -> Result<LoadedPolicy, ConfigError> {
        let (source_name, text) = match (self.get("AUTHZ_POLICY"), self.get("AUTHZ_POLICY_FILE")) {
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
        Ok(LoadedPolicy { source_name, document })
    }

    /// `AUTHZ_CONTEXT_CLAIMS`: token claims to copy into the context under their own names; each
    /// a plain name (letters, digits, `_`) and none of the `reserved` keys the authorizer fills.
    pub fn context_claims(&self, reserved: &[&str]) -> Result<Vec<String>, ConfigError> {
        let Some(value) = self.get("AUTHZ_CONTEXT_CLAIMS") else {
            return Ok(Vec::new());
        };
        let claims = list(&value);
        let bad = claims
            .iter()
            .find(|c| reserved.contains(&c.as_str()) || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        if let Some(bad) = bad {
            return Err(ConfigError::Invalid {
                name: "AUTHZ_CONTEXT_CLAIMS",
                value: value.clone(),
                reason: format!(
                    "claim {bad:?} is reserved or not a plain name (letters, digits, '_'); reserved: {}",
                    reserved.join(", ")
                ),
            });
        }
        Ok(claims)
    }

    /// A number of whole seconds from 0 to `max`, `None` when unset.
    pub fn seconds(&self, name: &'static str, max: u64) -> Result<Option<u64>, ConfigError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        value
            .parse::<u64>()
            .ok()
            .filter(|s| *s <= max)
            .map(Some)
            .ok_or_else(|| ConfigError::Invalid {
                name,
                value,
                reason: format!("expected whole seconds from 0 to {max}"),
            })
    }

    /// `true` or `false`, `default` when unset.
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).as_deref() {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(ConfigError::Invalid {
                name,
                value: other.to_owned(),
                reason: "expected true or false".into(),
            }),
        }
    }
}

/// The functions' verifier, with a clock that tests and benchmarks can fix so tokens minted at a
/// fixed time stay valid (goldens never depend on the time of the run).
#[derive(Debug)]
pub struct ClockedVerifier {
    verifier: descope_jwt::Verifier,
    fixed_now: Option<i64>,
}

impl ClockedVerifier {
    /// Builds the verifier (no network yet; see [`ClockedVerifier::prefetch`]).
    pub fn new(config: descope_jwt::Config) -> Result<Self, ConfigError> {
        Ok(Self {
            verifier: descope_jwt::Verifier::new(config)?,
            fixed_now: None,
        })
    }

    /// Uses this clock (seconds since the epoch) instead of the system's.
    pub fn with_fixed_clock(mut self, now: i64) -> Self {
        self.fixed_now = Some(now);
        self
    }

    /// Fetches the signing keys (call during the Lambda init phase).
    pub async fn prefetch(&self) -> Result<usize, descope_jwt::VerifyError> {
        self.verifier.prefetch().await
    }

    /// Verifies a token at [`ClockedVerifier::now`].
    pub async fn verify(&self, token: &str) -> Result<descope_jwt::Claims, descope_jwt::VerifyError> {
        self.verifier.verify_at(token, self.now()).await
    }

    /// The clock: fixed, or the system's in seconds since the epoch.
    pub fn now(&self) -> i64 {
        self.fixed_now.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        })
    }
}

/// A comma-separated list, trimmed, without empty items.
pub fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The function's state, or, when the settings are refused, one ERROR log line, an init error
/// posted to the Lambda Runtime API (so the failure shows on the invocation instead of a bare
/// timeout) and exit code 1.
pub async fn state_or_exit<S, E: Display>(state: Result<S, E>) -> S {
    match state {
        Ok(state) => state,
        Err(error) => {
            let message = format!("invalid configuration: {error}");
            tracing::error!(error = %error, "invalid configuration, stopping the cold start");
            report_init_error(&message).await;
            std::process::exit(1);
        }
    }
}

/// `POST /runtime/init/error` (lambda_runtime 1.5 has no public API for it). Best effort: the
/// log line is the record.
pub async fn report_init_error(message: &str) {
    let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") else {
        return;
    };
    let diagnostic = lambda_runtime::Diagnostic {
        error_type: "Runtime.ConfigError".to_owned(),
        error_message: message.to_owned(),
    };
    let sent = reqwest::Client::new()
        .post(format!("http://{api}/2018-06-01/runtime/init/error"))
        .header("Lambda-Runtime-Function-Error-Type", "Runtime.ConfigError")
        .json(&diagnostic)
        .send()
        .await;
    if let Err(error) = sent {
        tracing::error!(error = %error, "could not report the init error to the Runtime API");
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Env::new(move |name: &str| map.get(name).cloned())
    }

    #[test]
    fn descope_settings_come_from_descope_variables() {
        let e = env(&[
            ("DESCOPE_PROJECT_ID", " P2abc "),
            ("DESCOPE_ISSUERS", "a, b,,"),
            ("DESCOPE_AUDIENCE", "P2abc"),
            ("DESCOPE_BASE_URL", ""),
        ]);
        let config = e.descope().unwrap();
        assert_eq!(config.project_id(), "P2abc");
        assert_eq!(config.accepted_issuers(), vec!["a".to_owned(), "b".to_owned()]);
        assert!(matches!(
            env(&[]).descope(),
            Err(ConfigError::Missing("DESCOPE_PROJECT_ID"))
        ));
        let bad = env(&[("DESCOPE_PROJECT_ID", "P2"), ("DESCOPE_LEEWAY_SECONDS", "301")])
            .descope()
            .unwrap_err();
        assert!(bad.to_string().contains("DESCOPE_LEEWAY_SECONDS"), "{bad}");
    }

    #[test]
    fn the_policy_comes_from_exactly_one_source() {
        let doc = r#"{"version": 1}"#;
        assert_eq!(
            env(&[("AUTHZ_POLICY", doc)]).policy().unwrap().source_name,
            "AUTHZ_POLICY"
        );
        assert!(matches!(env(&[]).policy(), Err(ConfigError::PolicySource)));
        assert!(matches!(
            env(&[("AUTHZ_POLICY", doc), ("AUTHZ_POLICY_FILE", "/p")]).policy(),
            Err(ConfigError::PolicySource)
        ));
        let missing = env(&[("AUTHZ_POLICY_FILE", "/nonexistent/policy.json")])
            .policy()
            .unwrap_err();
        assert!(missing.to_string().contains("/nonexistent/policy.json"), "{missing}");
        let invalid = env(&[("AUTHZ_POLICY", r#"{"version": 9}"#)]).policy().unwrap_err();
        assert!(invalid.to_string().starts_with("AUTHZ_POLICY: "), "{invalid}");
    }

    #[test]
    fn context_claims_flags_and_seconds() {
        let reserved = ["userId", "roles"];
        assert_eq!(
            env(&[("AUTHZ_CONTEXT_CLAIMS", "plan, org_id")])
                .context_claims(&reserved)
                .unwrap(),
            ["plan", "org_id"]
        );
        for bad in ["roles", "a-b", "x.y"] {
            assert!(
                env(&[("AUTHZ_CONTEXT_CLAIMS", bad)]).context_claims(&reserved).is_err(),
                "{bad}"
            );
        }
        assert!(env(&[("F", "true")]).flag("F", false).unwrap());
        assert!(env(&[("F", "yes")]).flag("F", false).is_err());
        assert_eq!(env(&[]).seconds("S", 10).unwrap(), None);
        assert_eq!(env(&[("S", "10")]).seconds("S", 10).unwrap(), Some(10));
        assert!(env(&[("S", "-1")]).seconds("S", 10).is_err());
    }
}
