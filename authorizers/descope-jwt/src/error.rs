//! One error variant per reason a token or a configuration is refused.
//!
//! Every message is safe to log: none contains the token, and values copied from an untrusted
//! token (an issuer, a kid, an algorithm name) are truncated so a hostile token cannot flood logs.

use std::fmt;

/// Why a token was refused. Each variant is one failure; [`VerifyError::kind`] gives a stable
/// machine-readable name for metrics and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The token is longer than the configured limit; it was not parsed at all.
    #[error("token is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Size of the presented token in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The token is not a compact JWS (three base64url segments) or a part is not valid JSON.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The header names an algorithm that is not an accepted asymmetric one (`none`, `HS256`...).
    #[error("unsupported algorithm {alg:?}: only RS*, PS*, ES256, ES384 and EdDSA are accepted")]
    UnsupportedAlgorithm {
        /// The header's `alg`, truncated.
        alg: Untrusted,
    },
    /// The header's `alg` differs from the algorithm of the key its `kid` names.
    #[error("header algorithm {header} does not match the key's algorithm {key}")]
    AlgorithmMismatch {
        /// The header's `alg`.
        header: &'static str,
        /// What the key allows.
        key: &'static str,
    },
    /// The header has no `kid`, so no key can be chosen.
    #[error("token header has no kid")]
    MissingKid,
    /// The header lists a `crit` extension this library does not implement (RFC 7515 4.1.11).
    #[error("token header marks unsupported extension {name:?} as critical")]
    UnsupportedCritical {
        /// The unknown extension name, truncated.
        name: Untrusted,
    },
    /// No key with this `kid` exists, even after refetching the key set.
    #[error("no key with kid {kid:?} in the key set")]
    UnknownKid {
        /// The header's `kid`, truncated.
        kid: Untrusted,
    },
    /// The `kid` is unknown and the key set was fetched moments ago: refused without a fetch, so a
    /// flood of invented kids cannot become a flood of JWKS requests.
    #[error("no key with kid {kid:?}; key set refetch is paused for {retry_in_ms} ms")]
    PenaltyWindow {
        /// The header's `kid`, truncated.
        kid: Untrusted,
        /// Milliseconds until a refetch may happen again.
        retry_in_ms: u64,
    },
    /// There are no keys to verify with: the key set could not be fetched and none is cached.
    #[error("signing keys unavailable: {reason}")]
    KeySetUnavailable {
        /// Why the last fetch failed (no URL credentials, no token).
        reason: String,
    },
    /// The signature does not verify with the key named by `kid`.
    #[error("signature does not verify")]
    BadSignature,
    /// The token has no `exp` claim: a token that never expires is never accepted.
    #[error("token has no exp claim")]
    MissingExpiry,
    /// The token expired (beyond the clock leeway).
    #[error("token expired at {exp} (now {now})")]
    Expired {
        /// The `exp` claim, seconds since the epoch.
        exp: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The token's `nbf` is in the future (beyond the clock leeway).
    #[error("token not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The token's `iat` is in the future (beyond the clock leeway).
    #[error("token issued in the future at {iat} (now {now})")]
    IssuedInFuture {
        /// The `iat` claim.
        iat: i64,
        /// The verifier's clock.
        now: i64,
    },
    /// The `iss` claim is missing or not one of the accepted issuers (another project, a foreign
    /// identity provider).
    #[error("issuer {iss:?} is not accepted")]
    WrongIssuer {
        /// The `iss` claim, truncated (`None` when absent).
        iss: Option<Untrusted>,
    },
    /// The token's `aud` names none of the accepted audiences (the project ID unless configured),
    /// or an audience is configured and the token has no `aud`.
    #[error("audience does not name an accepted audience")]
    WrongAudience,
    /// A Cognito token's `token_use` is missing or not one the pool's configuration accepts (an ID
    /// token where access tokens are expected, or the reverse).
    #[error("Cognito token_use {token_use:?} is not accepted")]
    WrongTokenUse {
        /// The `token_use` claim, truncated (`None` when absent or not a string).
        token_use: Option<Untrusted>,
    },
    /// A Cognito token was issued to an app client that is not configured (`client_id` of an
    /// access token, `aud` of an ID token).
    #[error("Cognito app client {client:?} is not accepted")]
    WrongClient {
        /// The client ID from the token, truncated (`None` when absent or not a string).
        client: Option<Untrusted>,
    },
    /// The `sub` claim is missing or empty.
    #[error("token has no subject")]
    MissingSubject,
    /// The token is a Descope refresh token (`drn` = `DSR`), which must never authorize a call.
    #[error("refresh tokens are not accepted as session tokens")]
    RefreshToken,
    /// The token carries a claim only OIDC tokens carry (`nonce`, `azp`, `scope`, `client_id`...):
    /// Descope issued it as an OIDC provider to an application, not as a session for this API.
    #[error("token carries the OIDC claim {claim:?}: it was issued to an OIDC application, not as a Descope session")]
    OidcToken {
        /// The first OIDC-only claim found.
        claim: &'static str,
    },
    /// A claim is present with the wrong type or value (e.g. `roles` not a list of strings).
    #[error("claim {claim:?} is invalid: {reason}")]
    InvalidClaim {
        /// The claim's name.
        claim: &'static str,
        /// What was wrong with it.
        reason: &'static str,
    },
}

impl VerifyError {
    /// A stable, machine-readable name of the failure (for metrics, logs and test tables).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed(_) => "malformed",
            Self::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            Self::AlgorithmMismatch { .. } => "algorithm_mismatch",
            Self::MissingKid => "missing_kid",
            Self::UnsupportedCritical { .. } => "unsupported_critical",
            Self::UnknownKid { .. } => "unknown_kid",
            Self::PenaltyWindow { .. } => "penalty_window",
            Self::KeySetUnavailable { .. } => "key_set_unavailable",
            Self::BadSignature => "bad_signature",
            Self::MissingExpiry => "missing_expiry",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::IssuedInFuture { .. } => "issued_in_future",
            Self::WrongIssuer { .. } => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::WrongTokenUse { .. } => "wrong_token_use",
            Self::WrongClient { .. } => "wrong_client",
            Self::MissingSubject => "missing_subject",
            Self::RefreshToken => "refresh_token",
            Self::OidcToken { .. } => "oidc_token",
            Self::InvalidClaim { .. } => "invalid_claim",
        }
    }
}

/// Why a [`crate::Config`] was refused when building a verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The project ID is empty or has characters a Descope project ID never has.
    #[error(
        "invalid Descope project ID {0:?}: expected the ID shown in the Descope console (letters and digits, e.g. P2abc...)"
    )]
    InvalidProjectId(String),
    /// A URL setting (base URL, JWKS URL, Cognito endpoint) does not parse, or is not `https://`
    /// (plain `http://` is accepted for loopback hosts only).
    #[error("invalid {setting} {value:?}: {reason}")]
    InvalidUrl {
        /// Which setting.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An explicit issuer list was given but it is empty (that would refuse every token).
    #[error("the accepted issuer list is empty: leave it unset for Descope's defaults or name at least one issuer")]
    NoIssuers,
    /// A Cognito user pool ID is not of the form `<region>_<id>` (e.g. `eu-west-1_AbC123xyz`).
    #[error(
        "invalid Cognito user pool ID {0:?}: expected <region>_<id> as shown in the Cognito console, e.g. eu-west-1_AbC123xyz"
    )]
    InvalidUserPoolId(String),
    /// A region was given for a pool whose ID names another region and that is not one of its
    /// configured replica regions.
    #[error(
        "Cognito user pool {pool:?} is in region {from_id:?}, not {given:?} (a replica region must be configured as one)"
    )]
    RegionMismatch {
        /// The pool ID.
        pool: String,
        /// The region its ID starts with.
        from_id: String,
        /// The region configured.
        given: String,
    },
    /// A replica region of a Cognito pool is not a region name, is the primary region, or is
    /// listed twice.
    #[error("Cognito user pool {pool:?}: replica region {region:?} is invalid: {reason}")]
    InvalidReplicaRegion {
        /// The pool ID.
        pool: String,
        /// The region given.
        region: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Replica regions were given for a pool that issues only the updated format, whose `iss`
    /// always names the primary region: they would accept nothing.
    #[error(
        "Cognito user pool {0:?} has replica regions but issues only the updated format, whose iss always names the primary region: remove the replicas or add the original format"
    )]
    ReplicaWithoutOriginalForm(String),
    /// A key endpoint override names an issuer host the pool does not have (a typo, or a format
    /// or replica that is not configured).
    #[error(
        "Cognito user pool {pool:?}: the endpoint override for {host:?} matches none of its issuers ({configured})"
    )]
    UnknownIssuerHost {
        /// The pool ID.
        pool: String,
        /// The host given.
        host: String,
        /// The hosts of the pool's configured issuers.
        configured: String,
    },
    /// A Cognito pool is configured without any app client ID (every token would be refused).
    #[error("Cognito user pool {0:?} has no app client IDs: name the app clients whose tokens are accepted")]
    NoAppClients(String),
    /// A Cognito pool is configured without a token use (every token would be refused).
    #[error("Cognito user pool {0:?} accepts no token use: choose access tokens, ID tokens or both")]
    NoTokenUse(String),
    /// The same Cognito user pool is configured twice.
    #[error("Cognito user pool {0:?} is configured twice")]
    DuplicateUserPool(String),
    /// Two configured issuers (Descope's and a Cognito pool's) have the same `iss`, so a token
    /// could not be routed to one key set.
    #[error("issuer {0:?} is configured both for Descope and for a Cognito user pool")]
    IssuerConflict(String),
    /// The HTTP client for key fetches could not be built.
    #[error("could not build the HTTP client for key fetches: {0}")]
    HttpClient(String),
}

/// A short, printable copy of a value taken from an untrusted token (at most 64 characters, with
/// control characters escaped by `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct Untrusted(String);

impl Untrusted {
    const MAX_CHARS: usize = 64;

    pub(crate) fn new(value: &str) -> Self {
        let mut s: String = value.chars().take(Self::MAX_CHARS).collect();
        if value.chars().nth(Self::MAX_CHARS).is_some() {
            s.push('…');
        }
        Self(s)
    }

    /// The (possibly truncated) value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
