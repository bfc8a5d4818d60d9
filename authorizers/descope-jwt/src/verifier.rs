//! The verification pipeline, in its fixed order.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};

use crate::{
    claims::{self, ClaimRules, Claims},
    config::Config,
    error::{ConfigError, VerifyError},
    keystore::KeyStore,
    token,
};

/// Verifies Descope session tokens for one project. Build it once (at Lambda cold start), share it
/// by reference, and call [`Verifier::verify`] per request.
pub struct Verifier {
    keys: KeyStore,
    rules: ClaimRules,
    max_token_bytes: usize,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Builds a verifier; fetches nothing yet (see [`Verifier::prefetch`]).
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        let client = reqwest::Client::builder()
            .timeout(config.fetch_timeout)
            .connect_timeout(config.fetch_timeout)
            // Only a direct 200 counts; a redirect could point anywhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConfigError::HttpClient(e.to_string()))?;
        Ok(Self {
            keys: KeyStore::new(
                config.effective_jwks_url(),
                client,
                config.penalty_window,
                config.max_key_age,
            ),
            rules: ClaimRules {
                issuers: config.accepted_issuers().into_iter().collect(),
                audience: config.audience.clone(),
                leeway: i64::try_from(config.leeway.as_secs()).unwrap_or(i64::MAX),
                accept_refresh_tokens: config.accept_refresh_tokens,
            },
            max_token_bytes: config.max_token_bytes,
        })
    }

    /// Fetches the signing keys now, so the first request does not pay for it (call it in the Lambda
    /// init phase). Returns the number of usable keys. A failure is not fatal: verification fetches
    /// again on demand, after the penalty window.
    pub async fn prefetch(&self) -> Result<usize, VerifyError> {
        self.keys.prefetch().await
    }

    /// Verifies a compact JWS session token (without any `Bearer ` prefix, see
    /// [`crate::bearer_token`]) and returns its claims.
    ///
    /// The order is fixed: size and shape, header, key by kid, signature, then claims. No claim is
    /// read before the signature has verified.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        self.verify_at(token, unix_now()).await
    }

    /// [`Verifier::verify`] with the clock given in seconds since the epoch.
    pub async fn verify_at(&self, token: &str, now: i64) -> Result<Claims, VerifyError> {
        let parts = token::decompose(token, self.max_token_bytes)?;
        let key = self.keys.key_for(&parts.kid).await?;
        if !key.algorithms.allows(parts.alg) {
            return Err(VerifyError::AlgorithmMismatch {
                header: parts.alg.name(),
                key: key.algorithms.describe(),
            });
        }
        let valid = jsonwebtoken::crypto::verify(
            parts.signature,
            parts.signing_input.as_bytes(),
            &key.decoding,
            parts.alg.to_jsonwebtoken(),
        )
        .unwrap_or(false);
        if !valid {
            return Err(VerifyError::BadSignature);
        }
        // The signature covers these bytes: from here on the payload is Descope's word.
        let payload = B64
            .decode(parts.payload)
            .map_err(|_| VerifyError::Malformed("payload is not base64url"))?;
        let map =
            serde_json::from_slice(&payload).map_err(|_| VerifyError::Malformed("payload is not a JSON object"))?;
        claims::check(map, &self.rules, now)
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
