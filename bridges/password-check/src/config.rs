//! Settings read once at cold start from the environment ([`Env`]). Secrets are [`Secret`]s, so
//! no `{:?}` of the settings shows them.

use std::time::Duration;

use authorizer_common::{ConfigError, Env};
use descope_management::Secret;

/// Default of `PASSWORD_CHECK_INVALID_MIN_MS`: every `invalid` answer takes at least this long.
pub const DEFAULT_INVALID_MIN_MS: u64 = 1_000;
/// Highest `PASSWORD_CHECK_INVALID_MIN_MS` accepted (a Descope connector times out well before).
pub const MAX_INVALID_MIN_MS: u64 = 10_000;
/// Default of `DESCOPE_BASE_URL`.
pub const DEFAULT_DESCOPE_BASE_URL: &str = "https://api.descope.com";

/// The settings that are secrets. Deployed, each is given as `NAME_REF`, a reference to a
/// Secrets Manager secret or SSM parameter that `main` reads at cold start
/// (`secret_settings::resolve_process_env`) and overlays on the environment, so [`Config::from_env`]
/// reads it under `NAME`; in plain text only for local runs (or with
/// `ALLOW_SECRETS_IN_ENVIRONMENT=true`).
pub const SECRET_SETTINGS: &[&str] = &[
    "PASSWORD_CHECK_HMAC_SECRET",
    "PASSWORD_CHECK_BEARER_TOKEN",
    "COGNITO_CLIENT_SECRET",
    "DESCOPE_MANAGEMENT_KEY",
];

/// The function's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PASSWORD_CHECK_HMAC_SECRET`: the Generic HTTP connector's HMAC secret (required).
    pub hmac_secret: Secret,
    /// `PASSWORD_CHECK_BEARER_TOKEN`: when set, the caller must also send
    /// `Authorization: Bearer <token>` (the connector's "Bearer token" authentication).
    pub bearer_token: Option<Secret>,
    /// `COGNITO_USER_POOL_ID`: the pool whose passwords are checked.
    pub user_pool_id: String,
    /// `COGNITO_CLIENT_ID`: the dedicated app client (`ALLOW_ADMIN_USER_PASSWORD_AUTH`).
    pub client_id: String,
    /// `COGNITO_CLIENT_SECRET`: that client's secret, when it has one (then every call carries
    /// `SECRET_HASH`).
    pub client_secret: Option<Secret>,
    /// `DESCOPE_PROJECT_ID`.
    pub descope_project_id: String,
    /// `DESCOPE_MANAGEMENT_KEY`.
    pub descope_management_key: Secret,
    /// `DESCOPE_BASE_URL` (default [`DEFAULT_DESCOPE_BASE_URL`]): `https://`, or `http://` on
    /// loopback only.
    pub descope_base_url: String,
    /// `PASSWORD_CHECK_FLOW_ENFORCES_MFA` (default `false`): the Descope flow makes the user pass
    /// a second factor after this check, so a correct password of a user Cognito asks MFA of may
    /// be set. Without it such a password is never set (the password alone would then be enough
    /// in Descope where Cognito demanded more).
    pub flow_enforces_mfa: bool,
    /// `PASSWORD_CHECK_INVALID_MIN_MS` (default [`DEFAULT_INVALID_MIN_MS`]): the least time an
    /// `invalid` answer takes, counted from the start of the invocation, so a wrong password, an
    /// unknown user and a disabled user cannot be told apart by timing.
    pub invalid_min_latency: Duration,
}

impl Config {
    /// Reads the settings; each error names the variable to fix.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| env.get(name).ok_or(ConfigError::Missing(name));
        let descope_base_url = env
            .get("DESCOPE_BASE_URL")
            .unwrap_or_else(|| DEFAULT_DESCOPE_BASE_URL.to_owned());
        check_base_url(&descope_base_url)?;
        let invalid_min_ms = match env.get("PASSWORD_CHECK_INVALID_MIN_MS") {
            None => DEFAULT_INVALID_MIN_MS,
            Some(value) => value
                .parse::<u64>()
                .ok()
                .filter(|ms| *ms <= MAX_INVALID_MIN_MS)
                .ok_or_else(|| ConfigError::Invalid {
                    name: "PASSWORD_CHECK_INVALID_MIN_MS",
                    value,
                    reason: format!("expected whole milliseconds from 0 to {MAX_INVALID_MIN_MS}"),
                })?,
        };
        Ok(Self {
            hmac_secret: Secret::from(required("PASSWORD_CHECK_HMAC_SECRET")?),
            bearer_token: env.get("PASSWORD_CHECK_BEARER_TOKEN").map(Secret::from),
            user_pool_id: required("COGNITO_USER_POOL_ID")?,
            client_id: required("COGNITO_CLIENT_ID")?,
            client_secret: env.get("COGNITO_CLIENT_SECRET").map(Secret::from),
            descope_project_id: required("DESCOPE_PROJECT_ID")?,
            descope_management_key: Secret::from(required("DESCOPE_MANAGEMENT_KEY")?),
            descope_base_url,
            flow_enforces_mfa: env.flag("PASSWORD_CHECK_FLOW_ENFORCES_MFA", false)?,
            invalid_min_latency: Duration::from_millis(invalid_min_ms),
        })
    }
}

/// `https://`, or `http://` on a loopback host (tests, the emulator).
fn check_base_url(url: &str) -> Result<(), ConfigError> {
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|prefix| {
            url.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(':') || rest.starts_with('/'))
        });
    if url.starts_with("https://") || loopback {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            name: "DESCOPE_BASE_URL",
            value: url.to_owned(),
            reason: "expected an https:// URL (http:// only on loopback)".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use authorizer_common::env_of as env;

    use super::*;

    const BASE: &[(&str, &str)] = &[
        ("PASSWORD_CHECK_HMAC_SECRET", "hmac-secret"),
        ("COGNITO_USER_POOL_ID", "us-east-1_abc"),
        ("COGNITO_CLIENT_ID", "client"),
        ("DESCOPE_PROJECT_ID", "P2abc"),
        ("DESCOPE_MANAGEMENT_KEY", "K2key"),
    ];

    #[test]
    fn defaults_and_secrets_hidden() {
        let config = Config::from_env(&env(BASE)).unwrap();
        assert!(!config.flow_enforces_mfa);
        assert_eq!(
            config.invalid_min_latency,
            Duration::from_millis(DEFAULT_INVALID_MIN_MS)
        );
        assert_eq!(config.descope_base_url, DEFAULT_DESCOPE_BASE_URL);
        let debug = format!("{config:?}");
        assert!(!debug.contains("hmac-secret") && !debug.contains("K2key"));
    }

    #[test]
    fn each_error_names_the_variable() {
        for (name, _) in BASE {
            let without: Vec<_> = BASE.iter().copied().filter(|(k, _)| k != name).collect();
            let error = Config::from_env(&env(&without)).unwrap_err().to_string();
            assert!(error.contains(name), "{error}");
        }
        let mut bad = BASE.to_vec();
        bad.push(("DESCOPE_BASE_URL", "http://api.descope.com"));
        assert!(
            Config::from_env(&env(&bad))
                .unwrap_err()
                .to_string()
                .contains("DESCOPE_BASE_URL")
        );
        let mut bad = BASE.to_vec();
        bad.push(("PASSWORD_CHECK_INVALID_MIN_MS", "20000"));
        let error = Config::from_env(&env(&bad)).unwrap_err().to_string();
        assert!(error.contains("PASSWORD_CHECK_INVALID_MIN_MS"), "{error}");
        let mut ok = BASE.to_vec();
        ok.push(("DESCOPE_BASE_URL", "http://127.0.0.1:8080"));
        assert!(Config::from_env(&env(&ok)).is_ok());
    }
}
