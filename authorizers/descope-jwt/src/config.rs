//! Verifier configuration, with Descope's defaults derived from the project ID.

use std::time::Duration;

use crate::{cognito::CognitoPool, error::ConfigError, url::check_url};

/// Descope's global API host (the US region).
pub const DEFAULT_BASE_URL: &str = "https://api.descope.com";

/// Settings of a [`crate::Verifier`]. Only the project ID is required; everything else defaults to
/// what Descope and its official SDKs do, made stricter where they are lax.
///
/// ```
/// use std::time::Duration;
/// let config = descope_jwt::Config::new("P2abcdefghijklmnopqrstuvwxyz12")
///     .audience("P2abcdefghijklmnopqrstuvwxyz12")
///     .leeway(Duration::from_secs(5));
/// assert_eq!(config.effective_jwks_url(), "https://api.descope.com/v2/keys/P2abcdefghijklmnopqrstuvwxyz12");
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) project_id: String,
    pub(crate) base_url: Option<String>,
    pub(crate) jwks_url: Option<String>,
    pub(crate) issuers: Option<Vec<String>>,
    pub(crate) audience: Option<Vec<String>>,
    pub(crate) leeway: Duration,
    pub(crate) accept_refresh_tokens: bool,
    pub(crate) accept_oidc_tokens: bool,
    pub(crate) penalty_window: Duration,
    pub(crate) max_key_age: Duration,
    pub(crate) fetch_timeout: Duration,
    pub(crate) max_token_bytes: usize,
    pub(crate) cognito_pools: Vec<CognitoPool>,
}

impl Config {
    /// Defaults for the Descope project `project_id`.
    pub fn new(project_id: impl Into<String>) -> Self {
        Self {
            project_id: project_id.into(),
            base_url: None,
            jwks_url: None,
            issuers: None,
            audience: None,
            // The official Python, Node and Go SDKs all allow 5 s of clock skew.
            leeway: Duration::from_secs(5),
            accept_refresh_tokens: false,
            accept_oidc_tokens: false,
            penalty_window: Duration::from_secs(10),
            // Keys Descope retires stop verifying within this long, at the cost of one fetch.
            max_key_age: Duration::from_secs(600),
            // Short: a Lambda cold start must not hang on a slow key endpoint.
            fetch_timeout: Duration::from_secs(3),
            // Descope session tokens are 1-3 KiB even with many tenants; 16 KiB leaves ample room.
            max_token_bytes: 16 * 1024,
            cognito_pools: Vec::new(),
        }
    }

    /// Overrides the Descope API base URL (a regional host, a custom domain, a local emulator).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Fetches keys from this URL instead of `<base>/v2/keys/<projectId>`.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Accepts exactly these `iss` values instead of Descope's default forms for the project.
    pub fn issuers<I, S>(mut self, issuers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.issuers = Some(issuers.into_iter().map(Into::into).collect());
        self
    }

    /// Requires the token's `aud` to contain this value (repeatable: any one of them will do).
    ///
    /// Without any, Descope's Python SDK rule applies: a token that carries `aud` must name the
    /// project ID, and a token without `aud` passes. Once one is configured, `aud` is required.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience.get_or_insert_with(Vec::new).push(audience.into());
        self
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat` (default 5 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Accepts refresh tokens (`drn` = `DSR`) too. Off by default: a refresh token must never
    /// authorize an API call.
    pub fn accept_refresh_tokens(mut self, accept: bool) -> Self {
        self.accept_refresh_tokens = accept;
        self
    }

    /// Accepts tokens that carry OIDC-only claims (`nonce`, `azp`, `scope`, `client_id`...), which
    /// Descope issues as an OIDC provider to applications (a Cognito app client of the hybrid
    /// set-up, a third-party app). Off by default: such a token names the project as its client
    /// and was meant for that application, not for this API.
    pub fn accept_oidc_tokens(mut self, accept: bool) -> Self {
        self.accept_oidc_tokens = accept;
        self
    }

    /// After a key fetch, unknown kids are refused without another fetch for this long (default 10 s).
    pub fn penalty_window(mut self, window: Duration) -> Self {
        self.penalty_window = window;
        self
    }

    /// The cached key set is refetched before use once older than this (default 10 minutes), so a
    /// key removed from the JWKS stops verifying; a failed refetch keeps the cached keys.
    pub fn max_key_age(mut self, age: Duration) -> Self {
        self.max_key_age = age;
        self
    }

    /// Timeout of one key fetch, connection included (default 3 s).
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Tokens longer than this are refused unparsed (default 16 KiB).
    pub fn max_token_bytes(mut self, limit: usize) -> Self {
        self.max_token_bytes = limit;
        self
    }

    /// Cutover mode: also accepts tokens of this Cognito user pool (repeatable, one call per pool).
    /// Each issuer of the pool (format, replica region) has its own key set; without any pool,
    /// only Descope tokens pass.
    pub fn cognito_pool(mut self, pool: CognitoPool) -> Self {
        self.cognito_pools.push(pool);
        self
    }

    /// The Cognito user pools whose tokens are accepted (empty unless in cutover mode).
    pub fn cognito_pools(&self) -> &[CognitoPool] {
        &self.cognito_pools
    }

    /// The project ID.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The base URL: the override, or the one Descope's SDKs derive from the project ID.
    pub fn effective_base_url(&self) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| base_url_for_project(&self.project_id))
    }

    /// Where keys are fetched from.
    pub fn effective_jwks_url(&self) -> String {
        self.jwks_url
            .clone()
            .unwrap_or_else(|| format!("{}/v2/keys/{}", self.effective_base_url(), self.project_id))
    }

    /// The accepted `iss` values: the explicit list, or every form Descope issues for the project.
    ///
    /// Descope has used three forms (bare project ID, `<host>/<pid>` for the "API Gateway
    /// compliant" template, `<host>/v1/apps/<pid>` for the OIDC-compliant default). Which host a
    /// regional project's tokens carry is not documented, so both the regional and the global host
    /// are accepted, plus the configured base URL (custom domains, the emulator). All of them name
    /// this project only: a token of another project is refused.
    pub fn accepted_issuers(&self) -> Vec<String> {
        if let Some(explicit) = &self.issuers {
            return explicit.clone();
        }
        let pid = &self.project_id;
        let mut hosts = vec![DEFAULT_BASE_URL.to_owned(), base_url_for_project(pid)];
        hosts.extend(self.base_url.clone());
        let mut issuers = vec![pid.clone()];
        for host in hosts {
            for issuer in [format!("{host}/{pid}"), format!("{host}/v1/apps/{pid}")] {
                if !issuers.contains(&issuer) {
                    issuers.push(issuer);
                }
            }
        }
        issuers
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let pid = &self.project_id;
        let valid_pid = !pid.is_empty()
            && pid.len() <= 128
            && pid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid_pid {
            return Err(ConfigError::InvalidProjectId(pid.clone()));
        }
        check_url("base URL", self.base_url.as_deref())?;
        check_url("JWKS URL", self.jwks_url.as_deref())?;
        if self.issuers.as_ref().is_some_and(Vec::is_empty) {
            return Err(ConfigError::NoIssuers);
        }
        for (index, pool) in self.cognito_pools.iter().enumerate() {
            pool.validate()?;
            if self.cognito_pools[..index].iter().any(|p| p.pool_id == pool.pool_id) {
                return Err(ConfigError::DuplicateUserPool(pool.pool_id.clone()));
            }
        }
        Ok(())
    }
}

/// Descope's regional rule, as in the official Python and Go SDKs: a project ID of 32 characters
/// or more carries its region in characters 1..5, served from `https://api.<region>.descope.com`.
pub fn base_url_for_project(project_id: &str) -> String {
    match project_id.get(1..5) {
        Some(region) if project_id.len() >= 32 => format!("https://api.{region}.descope.com"),
        _ => DEFAULT_BASE_URL.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_project_ids_use_the_global_host() {
        assert_eq!(base_url_for_project("P2abc"), DEFAULT_BASE_URL);
    }

    #[test]
    fn long_project_ids_carry_their_region() {
        let pid = "Peuc12abcdefghijklmnopqrstuvwxyz0123";
        assert!(pid.len() >= 32);
        assert_eq!(base_url_for_project(pid), "https://api.euc1.descope.com");
        let config = Config::new(pid);
        assert_eq!(
            config.effective_jwks_url(),
            format!("https://api.euc1.descope.com/v2/keys/{pid}")
        );
        let issuers = config.accepted_issuers();
        assert!(issuers.contains(&format!("https://api.euc1.descope.com/v1/apps/{pid}")));
        assert!(issuers.contains(&format!("https://api.descope.com/{pid}")));
        assert!(issuers.contains(&pid.to_owned()));
    }

    #[test]
    fn explicit_issuers_replace_the_defaults() {
        let config = Config::new("P2x").issuers(["https://issuer.example"]);
        assert_eq!(config.accepted_issuers(), vec!["https://issuer.example".to_owned()]);
        assert_eq!(
            Config::new("P2x").issuers(Vec::<String>::new()).validate(),
            Err(ConfigError::NoIssuers)
        );
    }

    #[test]
    fn bad_settings_are_named() {
        assert!(matches!(
            Config::new("").validate(),
            Err(ConfigError::InvalidProjectId(_))
        ));
        assert!(matches!(
            Config::new("P2 x/y").validate(),
            Err(ConfigError::InvalidProjectId(_))
        ));
        let err = Config::new("P2x").jwks_url("ftp://keys").validate().unwrap_err();
        assert!(err.to_string().contains("JWKS URL"), "{err}");
        let err = Config::new("P2x").base_url("not a url").validate().unwrap_err();
        assert!(err.to_string().contains("base URL"), "{err}");
        let err = Config::new("P2x")
            .base_url("http://api.example.com")
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("https://"), "{err}");
        assert!(Config::new("P2x").base_url("http://127.1:8080").validate().is_ok());
    }
}
