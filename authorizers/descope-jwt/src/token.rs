//! Steps 1 and 2 of verification: the token's shape and its (still untrusted) header.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use serde::Deserialize;

use crate::error::{Untrusted, VerifyError};

/// The asymmetric JWS algorithms this library accepts. Anything else (`none`, `HS*`, `ES512`,
/// unknown names) is refused before any key is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519.
    EdDSA,
}

impl Algorithm {
    /// Parses a JWS `alg` name; `None` for anything not on the allow-list.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "RS256" => Self::RS256,
            "RS384" => Self::RS384,
            "RS512" => Self::RS512,
            "PS256" => Self::PS256,
            "PS384" => Self::PS384,
            "PS512" => Self::PS512,
            "ES256" => Self::ES256,
            "ES384" => Self::ES384,
            "EdDSA" => Self::EdDSA,
            _ => return None,
        })
    }

    /// The JWS name.
    pub fn name(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as J;
        match self {
            Self::RS256 => J::RS256,
            Self::RS384 => J::RS384,
            Self::RS512 => J::RS512,
            Self::PS256 => J::PS256,
            Self::PS384 => J::PS384,
            Self::PS512 => J::PS512,
            Self::ES256 => J::ES256,
            Self::ES384 => J::ES384,
            Self::EdDSA => J::EdDSA,
        }
    }
}

/// A token split into its parts, with the header checked but nothing trusted yet.
#[derive(Debug)]
pub(crate) struct Decomposed<'a> {
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: &'a str,
    pub payload: &'a str,
    pub signature: &'a str,
    pub alg: Algorithm,
    pub kid: String,
}

/// The header members we read. `jku`, `x5u`, `jwk` and `x5c` are deliberately absent: keys come
/// only from the configured JWKS, never from the token itself.
#[derive(Deserialize)]
struct RawHeader {
    alg: Option<serde_json::Value>,
    kid: Option<serde_json::Value>,
    crit: Option<serde_json::Value>,
}

/// Checks size and shape, then parses the header (verification steps 1 and 2).
pub(crate) fn decompose(token: &str, max_bytes: usize) -> Result<Decomposed<'_>, VerifyError> {
    if token.len() > max_bytes {
        return Err(VerifyError::TooLarge {
            size: token.len(),
            limit: max_bytes,
        });
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed("expected three dot-separated segments"));
    };
    for segment in [header, payload, signature] {
        if segment.is_empty() {
            return Err(VerifyError::Malformed("empty segment"));
        }
        if !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(VerifyError::Malformed("segment is not base64url"));
        }
    }
    let header_json = B64
        .decode(header)
        .map_err(|_| VerifyError::Malformed("header is not base64url"))?;
    let raw: RawHeader =
        serde_json::from_slice(&header_json).map_err(|_| VerifyError::Malformed("header is not a JSON object"))?;

    let alg = match raw.alg {
        Some(serde_json::Value::String(name)) => {
            Algorithm::from_name(&name).ok_or_else(|| VerifyError::UnsupportedAlgorithm {
                alg: Untrusted::new(&name),
            })?
        }
        Some(_) => return Err(VerifyError::Malformed("header alg is not a string")),
        None => {
            return Err(VerifyError::UnsupportedAlgorithm {
                alg: Untrusted::new(""),
            });
        }
    };
    match raw.crit {
        None => {}
        // RFC 7515: crit, when present, is a non-empty list of names; we implement none of them.
        Some(serde_json::Value::Array(names)) => {
            let first = names.first().and_then(|n| n.as_str()).unwrap_or("");
            return Err(VerifyError::UnsupportedCritical {
                name: Untrusted::new(first),
            });
        }
        Some(_) => return Err(VerifyError::Malformed("header crit is not a list")),
    }
    let kid = match raw.kid {
        Some(serde_json::Value::String(kid)) if !kid.is_empty() => kid,
        Some(serde_json::Value::String(_)) | None => return Err(VerifyError::MissingKid),
        Some(_) => return Err(VerifyError::Malformed("header kid is not a string")),
    };
    Ok(Decomposed {
        signing_input: &token[..header.len() + 1 + payload.len()],
        payload,
        signature,
        alg,
        kid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        B64.encode(s)
    }

    #[test]
    fn splits_a_well_formed_token() {
        let token = format!("{}.{}.c2ln", b64(r#"{"alg":"RS256","kid":"k1"}"#), b64("{}"));
        let d = decompose(&token, 1024).unwrap();
        assert_eq!(d.alg, Algorithm::RS256);
        assert_eq!(d.kid, "k1");
        assert_eq!(d.signature, "c2ln");
        assert_eq!(format!("{}.c2ln", d.signing_input), token);
    }

    #[test]
    fn padding_and_standard_base64_are_refused() {
        let token = format!("{}=.{}.c2ln", b64(r#"{"alg":"RS256","kid":"k1"}"#), b64("{}"));
        assert_eq!(decompose(&token, 1024).unwrap_err().kind(), "malformed");
        let token = format!("{}.{}.c2+n", b64(r#"{"alg":"RS256","kid":"k1"}"#), b64("{}"));
        assert_eq!(decompose(&token, 1024).unwrap_err().kind(), "malformed");
    }
}
