//! Parsing a JWKS document into ready-to-use verification keys, and fetching it.

use std::{collections::HashMap, sync::Arc};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use jsonwebtoken::DecodingKey;
use serde::Deserialize;

use crate::token::Algorithm;

/// A JWKS response larger than this is refused (Descope's holds a handful of keys, about 1 KiB each).
const MAX_JWKS_BYTES: usize = 256 * 1024;
/// RSA keys below 2048 bits are ignored: they are breakable and Descope never issues them.
const MIN_RSA_BITS: usize = 2048;

/// Which algorithms a key may verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyAlgorithms {
    /// The JWK names its `alg` (or its curve fixes it): only that one.
    Exactly(Algorithm),
    /// An RSA JWK without `alg`: any RSA signature scheme, never an EC or HMAC one.
    AnyRsa,
}

impl KeyAlgorithms {
    pub(crate) fn allows(self, alg: Algorithm) -> bool {
        match self {
            Self::Exactly(expected) => expected == alg,
            Self::AnyRsa => matches!(
                alg,
                Algorithm::RS256
                    | Algorithm::RS384
                    | Algorithm::RS512
                    | Algorithm::PS256
                    | Algorithm::PS384
                    | Algorithm::PS512
            ),
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Exactly(alg) => alg.name(),
            Self::AnyRsa => "RS*/PS*",
        }
    }
}

/// One public key, converted once at fetch time so verification does no key parsing.
#[derive(Debug, Clone)]
pub(crate) struct VerifyingKey {
    pub decoding: DecodingKey,
    pub algorithms: KeyAlgorithms,
}

/// The usable keys of one JWKS document, by `kid`, and when they were fetched.
#[derive(Debug)]
pub(crate) struct KeySet {
    keys: HashMap<String, Arc<VerifyingKey>>,
    fetched_at: std::time::Instant,
}

impl KeySet {
    pub(crate) fn get(&self, kid: &str) -> Option<&Arc<VerifyingKey>> {
        self.keys.get(kid)
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// How long ago this set was fetched.
    pub(crate) fn age(&self) -> std::time::Duration {
        self.fetched_at.elapsed()
    }
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<serde_json::Value>,
}

/// The JWK members we use; everything else (`x5c`, `key_ops`...) is ignored.
#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// Parses a JWKS document. Keys that are unusable (no kid, not for signatures, symmetric, too weak,
/// inconsistent alg) are skipped with a warning; a document with no usable key is an error.
pub(crate) fn parse_jwks(body: &[u8]) -> Result<KeySet, String> {
    let raw: RawJwks = serde_json::from_slice(body).map_err(|e| format!("response is not a JWKS document ({e})"))?;
    let mut keys = HashMap::new();
    for value in raw.keys {
        match parse_jwk(value) {
            Ok((kid, key)) => {
                // A repeated kid is ambiguous; the first one published wins.
                keys.entry(kid).or_insert_with(|| Arc::new(key));
            }
            Err(reason) => tracing::warn!(reason, "skipping unusable key in JWKS"),
        }
    }
    if keys.is_empty() {
        return Err("JWKS holds no usable signing key".to_owned());
    }
    Ok(KeySet {
        keys,
        fetched_at: std::time::Instant::now(),
    })
}

fn parse_jwk(value: serde_json::Value) -> Result<(String, VerifyingKey), String> {
    let jwk: RawJwk = serde_json::from_value(value).map_err(|e| format!("bad JWK: {e}"))?;
    let kid = jwk.kid.filter(|k| !k.is_empty()).ok_or("JWK has no kid")?;
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Err(format!("key {kid} is not for signatures"));
    }
    let declared = match jwk.alg.as_deref() {
        None => None,
        Some(name) => {
            Some(Algorithm::from_name(name).ok_or_else(|| format!("key {kid} has unsupported alg {name:?}"))?)
        }
    };
    let required = |member: Option<String>, name: &str| member.ok_or_else(|| format!("key {kid} lacks member {name}"));
    let (decoding, algorithms) = match jwk.kty.as_str() {
        "RSA" => {
            let n = required(jwk.n, "n")?;
            let e = required(jwk.e, "e")?;
            let modulus = B64.decode(&n).map_err(|_| format!("key {kid}: n is not base64url"))?;
            let bits = modulus.iter().skip_while(|b| **b == 0).count() * 8;
            if bits < MIN_RSA_BITS {
                return Err(format!("key {kid}: RSA modulus of {bits} bits is too short"));
            }
            let algorithms = match declared {
                None => KeyAlgorithms::AnyRsa,
                Some(alg) if KeyAlgorithms::AnyRsa.allows(alg) => KeyAlgorithms::Exactly(alg),
                Some(alg) => return Err(format!("key {kid}: alg {} on an RSA key", alg.name())),
            };
            let decoding = DecodingKey::from_rsa_components(&n, &e).map_err(|e| format!("key {kid}: {e}"))?;
            (decoding, algorithms)
        }
        "EC" => {
            let (alg, coordinate_len) = match jwk.crv.as_deref() {
                Some("P-256") => (Algorithm::ES256, 32),
                Some("P-384") => (Algorithm::ES384, 48),
                other => return Err(format!("key {kid}: unsupported curve {other:?}")),
            };
            if declared.is_some_and(|d| d != alg) {
                return Err(format!("key {kid}: alg does not match its curve"));
            }
            let x = required(jwk.x, "x")?;
            let y = required(jwk.y, "y")?;
            for coordinate in [&x, &y] {
                let bytes = B64
                    .decode(coordinate)
                    .map_err(|_| format!("key {kid}: bad coordinate"))?;
                if bytes.len() != coordinate_len {
                    return Err(format!("key {kid}: coordinate of the wrong length"));
                }
            }
            let decoding = DecodingKey::from_ec_components(&x, &y).map_err(|e| format!("key {kid}: {e}"))?;
            (decoding, KeyAlgorithms::Exactly(alg))
        }
        "OKP" => {
            if jwk.crv.as_deref() != Some("Ed25519") || declared.is_some_and(|d| d != Algorithm::EdDSA) {
                return Err(format!("key {kid}: only Ed25519 OKP keys are supported"));
            }
            let x = required(jwk.x, "x")?;
            let decoding = DecodingKey::from_ed_components(&x).map_err(|e| format!("key {kid}: {e}"))?;
            (decoding, KeyAlgorithms::Exactly(Algorithm::EdDSA))
        }
        // "oct" (symmetric) keys would let anyone holding the JWKS forge tokens.
        other => return Err(format!("key {kid}: key type {other:?} is not accepted")),
    };
    Ok((kid, VerifyingKey { decoding, algorithms }))
}

/// Fetches and parses the key set: only an HTTP 200 with a valid, bounded JWKS body counts.
pub(crate) async fn fetch_jwks(client: &reqwest::Client, url: &str) -> Result<KeySet, String> {
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| format!("request to {url} failed: {}", error_chain(&e)))?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        return Err(format!("{url} answered HTTP {status}"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading {url} failed: {}", error_chain(&e)))?
    {
        if body.len() + chunk.len() > MAX_JWKS_BYTES {
            return Err(format!("{url} answered more than {MAX_JWKS_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    parse_jwks(&body)
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rsa_jwk(kid: &str, alg: Option<&str>) -> serde_json::Value {
        // A syntactically valid 2048-bit modulus (value irrelevant for parsing).
        let n = B64.encode([0xC5u8; 256]);
        let mut jwk = json!({"kty": "RSA", "kid": kid, "n": n, "e": "AQAB"});
        if let Some(alg) = alg {
            jwk["alg"] = json!(alg);
        }
        jwk
    }

    #[test]
    fn unusable_keys_are_skipped_and_usable_ones_kept() {
        let doc = json!({"keys": [
            rsa_jwk("good", Some("RS256")),
            rsa_jwk("no-alg", None),
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "short", "n": B64.encode([0xC5u8; 128]), "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": B64.encode([0xC5u8; 256]), "e": "AQAB"},
            rsa_jwk("liar", Some("ES256")),
            {"kty": "RSA", "n": B64.encode([0xC5u8; 256]), "e": "AQAB"},
        ]});
        let set = parse_jwks(doc.to_string().as_bytes()).unwrap();
        assert_eq!(set.len(), 2);
        assert_eq!(
            set.get("good").unwrap().algorithms,
            KeyAlgorithms::Exactly(Algorithm::RS256)
        );
        assert_eq!(set.get("no-alg").unwrap().algorithms, KeyAlgorithms::AnyRsa);
    }

    #[test]
    fn a_document_without_usable_keys_is_an_error() {
        for body in [
            r#"{"keys": []}"#,
            r#"[]"#,
            "<html>",
            r#"{"keys":[{"kty":"oct","kid":"a","k":"AA"}]}"#,
        ] {
            assert!(parse_jwks(body.as_bytes()).is_err(), "{body}");
        }
    }
}
