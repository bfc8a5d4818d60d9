//! Key generation and token minting for tests and the Descope emulator (feature `test-util`).
//!
//! Tokens are signed directly with aws-lc-rs rather than through `jsonwebtoken::encode`, so tests
//! can put anything in the header (no `kid`, a lying `alg`, `crit`, `jku`...) and the emulator can
//! mint exactly what Descope mints. Nothing here is needed, or compiled, in production builds.

use aws_lc_rs::{
    encoding::{AsBigEndian, EcPublicKeyUncompressedBin},
    rand::SystemRandom,
    rsa::{KeyPair as RsaKeyPair, KeySize},
    signature::{self, EcdsaKeyPair, KeyPair as _},
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use serde_json::{Value, json};

/// Errors while generating keys or signing (only on a broken crypto library).
#[derive(Debug, thiserror::Error)]
#[error("test key operation failed: {0}")]
pub struct TestKeyError(&'static str);

enum Private {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// A signing key with its `kid` and JWS algorithm, able to publish its public JWK and sign tokens.
pub struct TestKey {
    kid: String,
    alg: &'static str,
    private: Private,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish()
    }
}

impl TestKey {
    /// A fresh RSA key (2048, 3072 or 4096 bits) for the given algorithm (`RS256`..`PS512`).
    pub fn rsa(kid: impl Into<String>, alg: &'static str, bits: u32) -> Result<Self, TestKeyError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            _ => return Err(TestKeyError("RSA key size must be 2048, 3072 or 4096")),
        };
        if rsa_padding(alg).is_none() {
            return Err(TestKeyError("not an RSA algorithm"));
        }
        let key = RsaKeyPair::generate(size).map_err(|_| TestKeyError("RSA key generation"))?;
        Ok(Self {
            kid: kid.into(),
            alg,
            private: Private::Rsa(key),
        })
    }

    /// A fresh RS256 key of 2048 bits, the usual Descope key.
    pub fn rs256(kid: impl Into<String>) -> Result<Self, TestKeyError> {
        Self::rsa(kid, "RS256", 2048)
    }

    /// A fresh P-256 key for ES256.
    pub fn es256(kid: impl Into<String>) -> Result<Self, TestKeyError> {
        Self::ec(kid, "ES256", &signature::ECDSA_P256_SHA256_FIXED_SIGNING)
    }

    /// A fresh P-384 key for ES384 (what the official SDKs' own tests use).
    pub fn es384(kid: impl Into<String>) -> Result<Self, TestKeyError> {
        Self::ec(kid, "ES384", &signature::ECDSA_P384_SHA384_FIXED_SIGNING)
    }

    fn ec(
        kid: impl Into<String>,
        alg: &'static str,
        signing: &'static signature::EcdsaSigningAlgorithm,
    ) -> Result<Self, TestKeyError> {
        let key = EcdsaKeyPair::generate(signing).map_err(|_| TestKeyError("EC key generation"))?;
        Ok(Self {
            kid: kid.into(),
            alg,
            private: Private::Ec(key),
        })
    }

    /// The key ID published in the JWKS and put in token headers.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWS algorithm this key signs with.
    pub fn alg(&self) -> &'static str {
        self.alg
    }

    /// The public key as a JWK, in the members Descope publishes (`kty, kid, alg, use`, key material).
    pub fn public_jwk(&self) -> Value {
        match &self.private {
            Private::Rsa(key) => {
                let public = key.public_key();
                json!({
                    "kty": "RSA",
                    "kid": self.kid,
                    "alg": self.alg,
                    "use": "sig",
                    "n": B64.encode(public.modulus().big_endian_without_leading_zero()),
                    "e": B64.encode(public.exponent().big_endian_without_leading_zero()),
                })
            }
            Private::Ec(key) => {
                let point: Result<EcPublicKeyUncompressedBin<'_>, _> = key.public_key().as_be_bytes();
                // An uncompressed point is 0x04 || X || Y with X and Y of equal length.
                let point = point.map(|p| p.as_ref().to_vec()).unwrap_or_default();
                let coords = point.get(1..).unwrap_or_default();
                let (x, y) = coords.split_at(coords.len() / 2);
                json!({
                    "kty": "EC",
                    "kid": self.kid,
                    "alg": self.alg,
                    "use": "sig",
                    "crv": if self.alg == "ES256" { "P-256" } else { "P-384" },
                    "x": B64.encode(x),
                    "y": B64.encode(y),
                })
            }
        }
    }

    /// Signs `claims` with the standard header `{"alg", "kid", "typ": "JWT"}`.
    pub fn sign(&self, claims: &Value) -> Result<String, TestKeyError> {
        let header = json!({"alg": self.alg, "kid": self.kid, "typ": "JWT"});
        self.sign_with_header(&header, claims)
    }

    /// Signs `claims` under an arbitrary header (the header's `alg` is not checked: tests lie).
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> Result<String, TestKeyError> {
        let signing_input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
        let signature = self.sign_bytes(signing_input.as_bytes())?;
        Ok(format!("{signing_input}.{}", B64.encode(signature)))
    }

    /// Raw signature of `message` with this key's algorithm.
    pub fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, TestKeyError> {
        let rng = SystemRandom::new();
        match &self.private {
            Private::Rsa(key) => {
                let padding = rsa_padding(self.alg).ok_or(TestKeyError("not an RSA algorithm"))?;
                let mut out = vec![0; key.public_modulus_len()];
                key.sign(padding, &rng, message, &mut out)
                    .map_err(|_| TestKeyError("RSA signing"))?;
                Ok(out)
            }
            Private::Ec(key) => key
                .sign(&rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| TestKeyError("ECDSA signing")),
        }
    }
}

fn rsa_padding(alg: &str) -> Option<&'static dyn signature::RsaEncoding> {
    Some(match alg {
        "RS256" => &signature::RSA_PKCS1_SHA256,
        "RS384" => &signature::RSA_PKCS1_SHA384,
        "RS512" => &signature::RSA_PKCS1_SHA512,
        "PS256" => &signature::RSA_PSS_SHA256,
        "PS384" => &signature::RSA_PSS_SHA384,
        "PS512" => &signature::RSA_PSS_SHA512,
        _ => return None,
    })
}

/// A JWKS document `{"keys": [...]}` publishing the given keys, as `GET /v2/keys/<pid>` returns it.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() })
}

/// Seconds since the Unix epoch, for minting `iat`/`exp`.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The claims of a typical Descope session token for `project_id`, valid for ten minutes.
pub fn session_claims(project_id: &str, user_id: &str) -> Value {
    let now = now();
    json!({
        "sub": user_id,
        "iss": format!("https://api.descope.com/{project_id}"),
        "drn": "DS",
        "iat": now,
        "exp": now + 600,
        "amr": ["pwd"],
        "roles": [],
        "permissions": [],
        "tenants": {},
    })
}

/// The claims of a Cognito access token of `pool_id` (`<region>_<id>`) issued to `client_id` for
/// `username` in `groups`, valid for an hour, shaped as Cognito (and moto) issue them.
pub fn cognito_access_claims(pool_id: &str, client_id: &str, username: &str, groups: &[&str]) -> Value {
    let now = now();
    let region = pool_id.split_once('_').map_or("", |(region, _)| region);
    let mut claims = json!({
        "sub": format!("{username}-sub-0000-0000-000000000000"),
        "iss": format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}"),
        "client_id": client_id,
        "origin_jti": "3b0c1f6e-0000-0000-0000-000000000000",
        "event_id": "7d1e5a9b-0000-0000-0000-000000000000",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "jti": "5c2d7a10-0000-0000-0000-000000000000",
        "username": username,
    });
    if !groups.is_empty() {
        claims["cognito:groups"] = json!(groups);
    }
    claims
}

/// The claims of a Cognito ID token: [`cognito_access_claims`] with `aud`, `cognito:username` and
/// `email` in place of `client_id`, `username` and `scope`.
pub fn cognito_id_claims(pool_id: &str, client_id: &str, username: &str, groups: &[&str]) -> Value {
    let mut claims = cognito_access_claims(pool_id, client_id, username, groups);
    if let Some(map) = claims.as_object_mut() {
        for name in ["client_id", "username", "scope"] {
            map.remove(name);
        }
        map.insert("token_use".into(), json!("id"));
        map.insert("aud".into(), json!(client_id));
        map.insert("cognito:username".into(), json!(username));
        map.insert("email".into(), json!(format!("{username}@example.com")));
        map.insert("email_verified".into(), json!(true));
    }
    claims
}
