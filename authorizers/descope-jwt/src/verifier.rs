//! The verification pipeline, in its fixed order.

use std::{
    collections::HashMap,
    time::{SystemTime, UNIX_EPOCH},
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use serde::Deserialize;
use serde_json::Value;

use crate::{
    claims::{self, AudienceRule, ClaimRules, Claims},
    cognito::{self, CognitoRules},
    config::Config,
    error::{ConfigError, Untrusted, VerifyError},
    keystore::KeyStore,
    token,
};

/// Verifies session tokens for one Descope project (and, in cutover mode, for the configured
/// Cognito user pools). Build it once (at Lambda cold start), share it by reference, and call
/// [`Verifier::verify`] per request.
pub struct Verifier {
    /// Every accepted `iss` value, pointing at the issuer that owns it.
    routes: HashMap<String, usize>,
    issuers: Vec<Issuer>,
    max_token_bytes: usize,
}

/// One issuer: its own key set (cache, single-flight fetch, penalty window) and claim rules.
struct Issuer {
    keys: KeyStore,
    rules: Rules,
}

enum Rules {
    Descope(ClaimRules),
    Cognito(CognitoRules),
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut issuers: Vec<&str> = self.routes.keys().map(String::as_str).collect();
        issuers.sort_unstable();
        f.debug_struct("Verifier")
            .field("issuers", &issuers)
            .finish_non_exhaustive()
    }
}

/// The one payload member read before the signature is verified, to choose the key set. A
/// duplicate `iss` makes this parse fail, so the routing and the later claim check cannot
/// disagree about which `iss` the token carries.
#[derive(Deserialize)]
struct Route {
    iss: Option<Value>,
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
        let leeway = i64::try_from(config.leeway.as_secs()).unwrap_or(i64::MAX);
        let store = |url: String| KeyStore::new(url, client.clone(), config.penalty_window, config.max_key_age);

        let descope_issuers = config.accepted_issuers();
        let mut routes: HashMap<String, usize> = descope_issuers.iter().map(|iss| (iss.clone(), 0)).collect();
        let mut issuers = vec![Issuer {
            keys: store(config.effective_jwks_url()),
            rules: Rules::Descope(ClaimRules {
                issuers: descope_issuers.into_iter().collect(),
                audience: match &config.audience {
                    Some(accepted) => AudienceRule::Required(accepted.clone()),
                    None => AudienceRule::IfPresent(vec![config.project_id.clone()]),
                },
                leeway,
                accept_refresh_tokens: config.accept_refresh_tokens,
                accept_oidc_tokens: config.accept_oidc_tokens,
            }),
        }];
        // One issuer per `iss` a pool may use (format, replica region), each with its own key set:
        // the forms issue under different hosts, and only configured ones are ever fetched.
        for pool in &config.cognito_pools {
            for issuer in pool.issuers() {
                if routes.insert(issuer.iss.clone(), issuers.len()).is_some() {
                    return Err(ConfigError::IssuerConflict(issuer.iss));
                }
                issuers.push(Issuer {
                    keys: store(issuer.jwks_url.clone()),
                    rules: Rules::Cognito(pool.rules(&issuer, leeway)),
                });
            }
        }
        Ok(Self {
            routes,
            issuers,
            max_token_bytes: config.max_token_bytes,
        })
    }

    /// Fetches every issuer's signing keys now, so the first request does not pay for it (call it
    /// in the Lambda init phase). Returns the number of usable keys, or the first failure. A
    /// failure is not fatal: verification fetches again on demand, after the penalty window.
    pub async fn prefetch(&self) -> Result<usize, VerifyError> {
        let outcomes = futures_util::future::join_all(self.issuers.iter().map(|i| i.keys.prefetch())).await;
        outcomes.into_iter().sum()
    }

    /// Verifies a compact JWS token (without any `Bearer ` prefix, see [`crate::bearer_token`])
    /// and returns its claims.
    ///
    /// The order is fixed: size and shape, header, issuer (only to choose among the configured key
    /// sets), key by kid, signature, then claims. No claim is trusted before the signature has
    /// verified, and a token of an unconfigured issuer is refused before any key lookup or fetch.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        self.verify_at(token, unix_now()).await
    }

    /// [`Verifier::verify`] with the clock given in seconds since the epoch.
    pub async fn verify_at(&self, token: &str, now: i64) -> Result<Claims, VerifyError> {
        let parts = token::decompose(token, self.max_token_bytes)?;
        let payload = B64
            .decode(parts.payload)
            .map_err(|_| VerifyError::Malformed("payload is not base64url"))?;
        let issuer = self.route(&payload)?;
        let key = issuer.keys.key_for(&parts.kid).await?;
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
        // The signature covers these bytes: from here on the payload is the issuer's word.
        let map =
            serde_json::from_slice(&payload).map_err(|_| VerifyError::Malformed("payload is not a JSON object"))?;
        match &issuer.rules {
            Rules::Descope(rules) => claims::check(map, rules, now),
            Rules::Cognito(rules) => cognito::check(map, rules, now),
        }
    }

    /// The configured issuer named by the (still untrusted) `iss`; anything else is refused here,
    /// before a key is looked up, so a foreign token can never cause a key fetch.
    fn route(&self, payload: &[u8]) -> Result<&Issuer, VerifyError> {
        let route: Route =
            serde_json::from_slice(payload).map_err(|_| VerifyError::Malformed("payload is not a JSON object"))?;
        match route.iss {
            Some(Value::String(iss)) => match self.routes.get(&iss) {
                Some(&index) => Ok(&self.issuers[index]),
                None => Err(VerifyError::WrongIssuer {
                    iss: Some(Untrusted::new(&iss)),
                }),
            },
            _ => Err(VerifyError::WrongIssuer { iss: None }),
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
