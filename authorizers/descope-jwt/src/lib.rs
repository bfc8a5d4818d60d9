//! Verifies Descope session tokens and, in cutover mode (a [`CognitoPool`] configured), Cognito
//! user pool access and ID tokens, so one authorizer serves both sides while clients move over.
//!
//! [`Verifier`] checks a token in a fixed order, failing at the first problem with one precise
//! [`VerifyError`] variant:
//!
//! 1. size and shape (at most [`Config::max_token_bytes`], three base64url segments);
//! 2. header (an asymmetric `alg` from the allow-list, a `kid`, no unknown `crit`; `jku`, `x5u`,
//!    `jwk` and `x5c` are never followed);
//! 3. issuer: the still untrusted `iss` only chooses among the configured issuers (Descope's forms
//!    for the project, each [`CognitoPool`]'s issuers: the formats and replica regions configured);
//!    any other issuer is refused here, before any key lookup or fetch;
//! 4. key by `kid`, from that issuer's JWKS cached with moka, refetched on an unknown kid or once
//!    the cached set is older than its maximum age, at most once at a time and once per penalty
//!    window, per issuer;
//! 5. signature, with the algorithm the key allows;
//! 6. claims, by the issuer's rules: for Descope `exp` required, `nbf`, `iat`, issuer, audience (as
//!    configured, or else an `aud`, when present, must name the project), `sub`, `drn`, no OIDC-only
//!    claim (`nonce`, `azp`, `scope`, `client_id`...); for Cognito `exp`, `token_use`, app client, `sub`, username (see
//!    [`CognitoPool`]); then typed [`Claims`], whose [`Claims::provider`] says who vouched.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = descope_jwt::Verifier::new(descope_jwt::Config::new("P2abc"))?;
//! verifier.prefetch().await.ok(); // at cold start; failures retry on demand
//! let header = "Bearer eyJ...";
//! let token = descope_jwt::bearer_token(header).ok_or("no token")?;
//! let claims = verifier.verify(token).await?;
//! println!("{} may act as {:?}", claims.subject, claims.roles);
//! # Ok(()) }
//! ```

// Layered, each module using only those of the layers before it (tests/structure checks there
// is no circle): error; token, url, claims; jwks, cognito; keystore, config; verifier.
mod claims;
mod cognito;
mod config;
mod error;
mod jwks;
mod keystore;
#[cfg(feature = "test-util")]
pub mod testing;
mod token;
mod url;
mod verifier;

pub use claims::{Claims, CognitoIdentity, IdentityProvider, TenantClaims, TokenUse};
pub use cognito::{CognitoIssuer, CognitoPool, IssuerForm, IssuerForms};
pub use config::{Config, DEFAULT_BASE_URL, base_url_for_project};
pub use error::{ConfigError, Untrusted, VerifyError};
pub use token::Algorithm;
pub use url::check_endpoint_url;
pub use verifier::Verifier;

/// The token in an `Authorization` header value: strips a `Bearer ` prefix in any case, or takes
/// a bare token as it is. `None` when nothing is left.
pub fn bearer_token(header_value: &str) -> Option<&str> {
    let value = header_value.trim();
    let token = match (value.get(..6), value.get(6..)) {
        (Some(scheme), Some(rest))
            if scheme.eq_ignore_ascii_case("bearer") && (rest.is_empty() || rest.starts_with([' ', '\t'])) =>
        {
            rest.trim_start()
        }
        _ => value,
    };
    (!token.is_empty() && !token.contains(char::is_whitespace)).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_prefix_in_any_case_is_stripped() {
        for (input, expected) in [
            ("Bearer abc.def.ghi", Some("abc.def.ghi")),
            ("bearer abc", Some("abc")),
            ("BEARER   abc", Some("abc")),
            ("abc.def.ghi", Some("abc.def.ghi")),
            ("  abc  ", Some("abc")),
            ("Bearer ", None),
            ("", None),
            ("Bearer a b", None),
            ("Basic dXNlcjpwYXNz", None),
        ] {
            assert_eq!(bearer_token(input), expected, "{input:?}");
        }
    }
}
