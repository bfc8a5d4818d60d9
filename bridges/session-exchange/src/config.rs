//! Settings read once at cold start from the environment ([`Env`]). The management key is a
//! [`Secret`], so no `{:?}` of the settings shows it.

use std::time::Duration;

use authorizer_common::{ConfigError, Env, list};
use descope_management::Secret;

/// The settings that are secrets: read from Secrets Manager or SSM Parameter Store at cold start
/// when given as `NAME_REF` (`secret-settings`); plain text only for local runs. App client
/// secrets are not settings: `DescribeUserPoolClient` gives them.
pub const SECRET_SETTINGS: &[&str] = &["DESCOPE_MANAGEMENT_KEY"];

/// Longest `SESSION_EXCHANGE_MAX_REFRESH_SECONDS` (Cognito's own longest refresh-token validity is
/// ten years).
pub const MAX_REFRESH_SECONDS: u64 = 10 * 365 * 24 * 3600;

/// The function's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `COGNITO_USER_POOL_ID`: the one pool whose sessions are exchanged.
    pub user_pool_id: String,
    /// `COGNITO_CLIENT_IDS`: the app clients whose refresh tokens may be exchanged (the app's
    /// own clients; any other client ID is refused before anything is written or called).
    pub client_ids: Vec<String>,
    /// How the ID token Cognito returns is verified: the pool, its app clients, ID tokens only
    /// (`descope-jwt`'s Cognito rules, from the same `COGNITO_*` and `DESCOPE_*` variables as the
    /// authorizers' cutover mode).
    pub verifier: descope_jwt::Config,
    /// `DESCOPE_PROJECT_ID`.
    pub descope_project_id: String,
    /// `DESCOPE_MANAGEMENT_KEY`.
    pub descope_management_key: Secret,
    /// `DESCOPE_BASE_URL` (default: the project's regional base URL).
    pub descope_base_url: String,
    /// `SESSION_EXCHANGE_TABLE`: the DynamoDB table recording exchanged tokens (partition key
    /// `tokenHash`, string; TTL attribute `expiresAt`).
    pub table: String,
    /// `SESSION_EXCHANGE_ALLOWED_ORIGINS`: the web origins of the app (`https://app.example.com`;
    /// `http://` on loopback only). A browser request from any other origin is refused; requests
    /// without an `Origin` header (native apps) are served.
    pub allowed_origins: Vec<String>,
    /// `SESSION_EXCHANGE_MAX_REFRESH_SECONDS` (optional): a cap on the Descope refresh duration,
    /// below the app client's refresh-token validity (which is always the upper bound).
    pub max_refresh: Option<Duration>,
}

impl Config {
    /// Reads the settings; each error names the variable to fix.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| env.get(name).ok_or(ConfigError::Missing(name));
        let user_pool_id = required("COGNITO_USER_POOL_ID")?;
        if user_pool_id.contains(',') || user_pool_id.contains('=') {
            return Err(ConfigError::Invalid {
                name: "COGNITO_USER_POOL_ID",
                value: user_pool_id,
                reason: "expected one pool ID: one exchange function serves one pool".into(),
            });
        }
        if let Some(token_use) = env.get("COGNITO_TOKEN_USE").filter(|value| value != "id") {
            return Err(ConfigError::Invalid {
                name: "COGNITO_TOKEN_USE",
                value: token_use,
                reason: "the exchange verifies the ID token Cognito returns: leave it unset or set it to id".into(),
            });
        }
        // The authorizers' cutover settings, with ID tokens as the only accepted Cognito token.
        let verifier = Env::new(|name: &str| match name {
            "COGNITO_TOKEN_USE" => Some("id".to_owned()),
            _ => env.get(name),
        })
        .descope()?;
        let client_ids = list(&required("COGNITO_CLIENT_IDS")?);
        let allowed_origins = list(&required("SESSION_EXCHANGE_ALLOWED_ORIGINS")?);
        for origin in &allowed_origins {
            check_origin(origin)?;
        }
        let max_refresh = env
            .seconds("SESSION_EXCHANGE_MAX_REFRESH_SECONDS", MAX_REFRESH_SECONDS)?
            .map(|seconds| {
                if seconds == 0 {
                    Err(ConfigError::Invalid {
                        name: "SESSION_EXCHANGE_MAX_REFRESH_SECONDS",
                        value: "0".into(),
                        reason: "expected at least 1 second (unset it for the app client's validity)".into(),
                    })
                } else {
                    Ok(Duration::from_secs(seconds))
                }
            })
            .transpose()?;
        Ok(Self {
            user_pool_id,
            client_ids,
            descope_project_id: verifier.project_id().to_owned(),
            descope_base_url: verifier.effective_base_url(),
            verifier,
            descope_management_key: Secret::from(required("DESCOPE_MANAGEMENT_KEY")?),
            table: required("SESSION_EXCHANGE_TABLE")?,
            allowed_origins,
            max_refresh,
        })
    }
}

/// A web origin as browsers send it: scheme and host (and port), no path, no wildcard; `https://`,
/// or `http://` on loopback.
fn check_origin(origin: &str) -> Result<(), ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        name: "SESSION_EXCHANGE_ALLOWED_ORIGINS",
        value: origin.to_owned(),
        reason: reason.to_owned(),
    };
    let host = if let Some(host) = origin.strip_prefix("https://") {
        host
    } else if let Some(host) = origin.strip_prefix("http://") {
        let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
        if !matches!(name, "localhost" | "127.0.0.1" | "[::1]") {
            return Err(invalid("expected https:// (http:// only on loopback)"));
        }
        host
    } else {
        return Err(invalid("expected an origin such as https://app.example.com"));
    };
    if host.is_empty() || host.contains(['/', '*', '?', '#', ' ']) {
        return Err(invalid("expected scheme and host only: no path, no wildcard"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use authorizer_common::env_of as env;

    use super::*;

    const BASE: &[(&str, &str)] = &[
        ("COGNITO_USER_POOL_ID", "us-east-1_abc"),
        ("COGNITO_CLIENT_IDS", "web,mobile"),
        ("DESCOPE_PROJECT_ID", "P2abc"),
        ("DESCOPE_MANAGEMENT_KEY", "K2key"),
        ("SESSION_EXCHANGE_TABLE", "exchanged-tokens"),
        (
            "SESSION_EXCHANGE_ALLOWED_ORIGINS",
            "https://app.example.com, http://localhost:3000",
        ),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Result<Config, ConfigError> {
        let mut pairs = BASE.to_vec();
        pairs.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        pairs.extend(extra.iter().filter(|(_, v)| !v.is_empty()));
        Config::from_env(&env(&pairs))
    }

    #[test]
    fn reads_the_settings_and_hides_the_key() {
        let config = with(&[]).unwrap();
        assert_eq!(config.client_ids, ["web", "mobile"]);
        assert_eq!(
            config.allowed_origins,
            ["https://app.example.com", "http://localhost:3000"]
        );
        assert_eq!(config.descope_base_url, "https://api.descope.com");
        assert_eq!(config.verifier.cognito_pools().len(), 1);
        assert!(config.max_refresh.is_none());
        assert!(!format!("{config:?}").contains("K2key"));
    }

    #[test]
    fn each_error_names_the_variable() {
        for (name, _) in BASE {
            let error = with(&[(name, "")]).unwrap_err().to_string();
            assert!(error.contains(name), "{error}");
        }
        let cases: &[(&str, &str)] = &[
            ("COGNITO_USER_POOL_ID", "us-east-1_a,us-east-1_b"),
            ("COGNITO_TOKEN_USE", "access"),
            ("SESSION_EXCHANGE_ALLOWED_ORIGINS", "*"),
            ("SESSION_EXCHANGE_ALLOWED_ORIGINS", "http://app.example.com"),
            ("SESSION_EXCHANGE_ALLOWED_ORIGINS", "https://app.example.com/path"),
            ("SESSION_EXCHANGE_MAX_REFRESH_SECONDS", "0"),
            ("DESCOPE_BASE_URL", "http://api.descope.com"),
        ];
        for (name, value) in cases {
            let error = with(&[(name, value)]).unwrap_err().to_string();
            assert!(error.contains(name), "{name}={value}: {error}");
        }
        assert!(with(&[("COGNITO_TOKEN_USE", "id")]).is_ok());
    }
}
