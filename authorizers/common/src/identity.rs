//! Who the caller is (feature `identity`): the verifier with a clock tests can fix, the token
//! taken from what the event carried, the context keys naming who vouched, and (feature
//! `policy`) the policy's principal built from the claims.

use descope_jwt::Claims;

use crate::{decision::Reason, settings::ConfigError};

/// Context keys naming who vouched for the user, filled by both authorizers (and so reserved).
pub const IDENTITY_CONTEXT_KEYS: [&str; 4] = ["idp", "cognitoUsername", "cognitoSub", "cognitoUserPoolId"];

/// Who vouched for the user, for the authorizer context: `idp` (`descope` or `cognito`) and, for a
/// Cognito token during a cutover, the Cognito username, sub and user pool, so backends can map a
/// Cognito user to the Descope user the importer made of them (its `cognitoUsername` and
/// `cognitoSub` attributes).
pub fn identity_context(claims: &descope_jwt::Claims) -> Vec<(&'static str, String)> {
    let mut entries = vec![("idp", claims.provider.name().to_owned())];
    if let descope_jwt::IdentityProvider::Cognito(identity) = &claims.provider {
        entries.push(("cognitoUsername", identity.username.clone()));
        entries.push(("cognitoSub", claims.subject.clone()));
        entries.push(("cognitoUserPoolId", identity.user_pool_id.clone()));
    }
    entries
}

/// The functions' verifier, with a clock that tests and benchmarks can fix so tokens minted at a
/// fixed time stay valid (goldens never depend on the time of the run).
#[derive(Debug)]
pub struct ClockedVerifier {
    verifier: descope_jwt::Verifier,
    /// Set at most once, before serving (tests and benchmarks); read on every verification.
    fixed_now: std::sync::OnceLock<i64>,
}

impl ClockedVerifier {
    /// Builds the verifier (no network yet; see [`ClockedVerifier::prefetch`]).
    pub fn new(config: descope_jwt::Config) -> Result<Self, ConfigError> {
        Ok(Self {
            verifier: descope_jwt::Verifier::new(config)?,
            fixed_now: std::sync::OnceLock::new(),
        })
    }

    /// Uses this clock (seconds since the epoch) instead of the system's.
    #[must_use]
    pub fn with_fixed_clock(self, now: i64) -> Self {
        self.fix_clock(now);
        self
    }

    /// Uses this clock (seconds since the epoch) instead of the system's; the first call wins.
    pub fn fix_clock(&self, now: i64) {
        let _ = self.fixed_now.set(now);
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
        self.fixed_now.get().copied().unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        })
    }
}

/// What both authorizers know about callers, built once at cold start: the verifier and the
/// claims copied into every context (`AUTHZ_CONTEXT_CLAIMS`).
#[derive(Debug)]
pub struct Identity {
    verifier: ClockedVerifier,
    context_claims: Vec<String>,
}

impl Identity {
    /// Builds the verifier (no network yet; see [`Identity::prefetch`]).
    pub fn new(config: descope_jwt::Config, context_claims: Vec<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            verifier: ClockedVerifier::new(config)?,
            context_claims,
        })
    }

    /// Verifies tokens against this clock (seconds since the epoch) instead of the system's; the
    /// first call wins. For tests and benchmarks with tokens minted at fixed times.
    pub fn fix_clock(&self, now: i64) {
        self.verifier.fix_clock(now);
    }

    /// Fetches the signing keys (call during the Lambda init phase).
    pub async fn prefetch(&self) -> Result<usize, descope_jwt::VerifyError> {
        self.verifier.prefetch().await
    }

    /// The verifier's clock, seconds since the epoch.
    pub fn now(&self) -> i64 {
        self.verifier.now()
    }

    /// The `AUTHZ_CONTEXT_CLAIMS` entries.
    pub fn context_claims(&self) -> &[String] {
        &self.context_claims
    }

    /// The claims of the token in `raw` (the header value or the like, `Bearer ` optional), or why
    /// there are none: [`Reason::MissingToken`] for nothing or blanks, [`Reason::Malformed`] for
    /// a value that is not one token, [`Reason::Token`] for a token the verifier refused.
    pub async fn verify(&self, raw: Option<&str>) -> Result<Claims, Reason> {
        let raw = raw.filter(|t| !t.trim().is_empty()).ok_or(Reason::MissingToken)?;
        let token = descope_jwt::bearer_token(raw).ok_or(Reason::Malformed)?;
        self.verifier.verify(token).await.map_err(Reason::Token)
    }
}

/// The policy's view of the caller: project roles and permissions, the current tenant and every
/// tenant membership of the token.
#[cfg(feature = "policy")]
pub fn principal(claims: &Claims) -> authz_policy::Principal<'_> {
    let mut principal = authz_policy::Principal::new(&claims.roles, &claims.permissions)
        .current_tenant(claims.current_tenant.as_deref());
    for (id, tenant) in &claims.tenants {
        principal = principal.tenant(authz_policy::Membership {
            id,
            roles: &tenant.roles,
            permissions: &tenant.permissions,
        });
    }
    principal
}
