//! Step 5 of verification: the claims of a Descope session token, checked in a fixed order and
//! turned into typed [`Claims`] (Cognito tokens have their own rules in `cognito`).
//!
//! Only called on a payload whose signature has verified.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use crate::error::{Untrusted, VerifyError};

/// A verified session: who the user is, which identity provider vouched for them, and what the
/// token grants.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// Which identity provider issued the token; for Cognito, the user's pool, username and app
    /// client.
    pub provider: IdentityProvider,
    /// The user ID (`sub`): the Descope user ID, or the Cognito user's `sub` during a cutover.
    pub subject: String,
    /// The issuer (`iss`), one of the accepted forms.
    pub issuer: String,
    /// The audiences (`aud`), empty when the token has none.
    pub audience: Vec<String>,
    /// Expiry (`exp`), seconds since the epoch.
    pub expires_at: i64,
    /// Issue time (`iat`), when present.
    pub issued_at: Option<i64>,
    /// Project-level roles (`roles`; a Cognito token's `cognito:groups` unless its pool maps to a
    /// tenant).
    pub roles: Vec<String>,
    /// Project-level permissions (`permissions`).
    pub permissions: Vec<String>,
    /// Tenant memberships with their roles and permissions (`tenants`).
    pub tenants: BTreeMap<String, TenantClaims>,
    /// The current tenant (`dct`), when the user selected one.
    pub current_tenant: Option<String>,
    /// Authentication methods used (`amr`: `pwd`, `email`, `oauth`, ...).
    pub amr: Vec<String>,
    /// Every other claim (custom claims, `nsec`, `drn`, `nbf`...), as in the token.
    pub other: Map<String, Value>,
}

/// The identity provider that issued a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityProvider {
    /// A Descope session token of the configured project.
    Descope,
    /// An access or ID token of a configured Cognito user pool (cutover mode).
    Cognito(CognitoIdentity),
}

impl IdentityProvider {
    /// `descope` or `cognito`, as put in authorizer contexts and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Descope => "descope",
            Self::Cognito(_) => "cognito",
        }
    }
}

/// Which Cognito tokens a pool accepts. AWS recommends access tokens for APIs; ID tokens are what
/// API Gateway's Cognito authorizer accepts by default, so clients may still be sending them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenUse {
    /// Access tokens (`token_use` = `access`), checked against `client_id`.
    Access,
    /// ID tokens (`token_use` = `id`), checked against `aud`.
    Id,
}

impl TokenUse {
    /// `access` or `id`, as in the `token_use` claim.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Id => "id",
        }
    }

    /// Parses `access` or `id`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "access" => Some(Self::Access),
            "id" => Some(Self::Id),
            _ => None,
        }
    }
}

/// Who a Cognito token names, so backends can map Cognito users to Descope users during a cutover
/// (the importer keeps the same values as the `cognitoUsername` and `cognitoSub` attributes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoIdentity {
    /// The user pool that issued the token.
    pub user_pool_id: String,
    /// The Cognito username (`username` in access tokens, `cognito:username` in ID tokens).
    pub username: String,
    /// Whether it is an access or an ID token.
    pub token_use: TokenUse,
    /// The app client the token was issued to (`client_id`, or `aud` of an ID token).
    pub client_id: String,
}

/// Roles and permissions of a user within one tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantClaims {
    /// Roles in this tenant.
    pub roles: Vec<String>,
    /// Permissions in this tenant.
    pub permissions: Vec<String>,
}

impl Claims {
    /// True when every one of `roles` is a project-level role of the user (Descope's `validate_roles`).
    pub fn has_all_roles<S: AsRef<str>>(&self, roles: &[S]) -> bool {
        contains_all(&self.roles, roles)
    }

    /// True when at least one of `roles` is a project-level role of the user.
    pub fn has_any_role<S: AsRef<str>>(&self, roles: &[S]) -> bool {
        contains_any(&self.roles, roles)
    }

    /// The project-level roles among `roles` that the user has (Descope's `get_matched_roles`).
    pub fn matched_roles<'a, S: AsRef<str>>(&self, roles: &'a [S]) -> Vec<&'a str> {
        matched(&self.roles, roles)
    }

    /// True when every one of `permissions` is a project-level permission of the user.
    pub fn has_all_permissions<S: AsRef<str>>(&self, permissions: &[S]) -> bool {
        contains_all(&self.permissions, permissions)
    }

    /// True when at least one of `permissions` is a project-level permission of the user.
    pub fn has_any_permission<S: AsRef<str>>(&self, permissions: &[S]) -> bool {
        contains_any(&self.permissions, permissions)
    }

    /// The project-level permissions among `permissions` that the user has.
    pub fn matched_permissions<'a, S: AsRef<str>>(&self, permissions: &'a [S]) -> Vec<&'a str> {
        matched(&self.permissions, permissions)
    }

    /// The IDs of the tenants the user belongs to.
    pub fn tenant_ids(&self) -> impl Iterator<Item = &str> {
        self.tenants.keys().map(String::as_str)
    }

    /// The user's roles in `tenant` (empty when the user is not a member).
    pub fn tenant_roles(&self, tenant: &str) -> &[String] {
        self.tenants.get(tenant).map_or(&[], |t| &t.roles)
    }

    /// The user's permissions in `tenant` (empty when the user is not a member).
    pub fn tenant_permissions(&self, tenant: &str) -> &[String] {
        self.tenants.get(tenant).map_or(&[], |t| &t.permissions)
    }

    /// True when the user belongs to `tenant` and has every one of `roles` there. Like the Python
    /// and Node SDKs (and unlike Go's `dct` fallback), membership comes from `tenants` only.
    pub fn has_all_tenant_roles<S: AsRef<str>>(&self, tenant: &str, roles: &[S]) -> bool {
        self.tenants.get(tenant).is_some_and(|t| contains_all(&t.roles, roles))
    }

    /// True when the user belongs to `tenant` and has every one of `permissions` there.
    pub fn has_all_tenant_permissions<S: AsRef<str>>(&self, tenant: &str, permissions: &[S]) -> bool {
        self.tenants
            .get(tenant)
            .is_some_and(|t| contains_all(&t.permissions, permissions))
    }

    /// The roles among `roles` that the user has in `tenant`.
    pub fn matched_tenant_roles<'a, S: AsRef<str>>(&self, tenant: &str, roles: &'a [S]) -> Vec<&'a str> {
        matched(self.tenant_roles(tenant), roles)
    }

    /// True when the session used more than one authentication factor (as Go's `IsMFA`).
    pub fn is_mfa(&self) -> bool {
        self.amr.len() > 1
    }

    /// A claim not otherwise typed (custom claims), as in the token.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.other.get(name)
    }
}

fn contains_all<S: AsRef<str>>(have: &[String], wanted: &[S]) -> bool {
    wanted.iter().all(|w| have.iter().any(|h| h == w.as_ref()))
}

fn contains_any<S: AsRef<str>>(have: &[String], wanted: &[S]) -> bool {
    wanted.iter().any(|w| have.iter().any(|h| h == w.as_ref()))
}

fn matched<'a, S: AsRef<str>>(have: &[String], wanted: &'a [S]) -> Vec<&'a str> {
    wanted
        .iter()
        .map(AsRef::as_ref)
        .filter(|w| have.iter().any(|h| h == w))
        .collect()
}

/// What the claims are checked against, fixed when the verifier is built.
#[derive(Debug)]
pub(crate) struct ClaimRules {
    pub issuers: HashSet<String>,
    pub audience: AudienceRule,
    pub leeway: i64,
    pub accept_refresh_tokens: bool,
    pub accept_oidc_tokens: bool,
}

/// How `aud` is checked.
#[derive(Debug)]
pub(crate) enum AudienceRule {
    /// No audience configured: Descope's Python SDK rule. A token whose `aud` is present and not
    /// empty must name one of these (the project ID); a token without `aud` passes. In
    /// descope/python-sdk, `descope/auth.py` `_validate_token`: with no audience given, it reads
    /// the token's `aud` and validates against the project ID when `aud` equals or contains it,
    /// else calls PyJWT with `audience=None`, which refuses any token carrying a non-empty `aud`.
    IfPresent(Vec<String>),
    /// Configured (`DESCOPE_AUDIENCE`): `aud` is required and must name one of these.
    Required(Vec<String>),
}

/// Claims only OIDC tokens carry, never a Descope session token: Descope issues tokens as an OIDC
/// provider (to the hybrid set-up's Cognito app client, to third-party apps) with the project ID
/// as client ID, so `aud` cannot tell them apart. Which claim marks them is not documented (they
/// may or may not carry `drn`), so any of these refuses the token, with or without `drn`.
const OIDC_ONLY_CLAIMS: [&str; 8] = [
    "nonce",
    "at_hash",
    "c_hash",
    "azp",
    "scope",
    "scp",
    "client_id",
    "token_use",
];

/// Checks the claims in a fixed order (`exp`, `nbf`, `iat`, `iss`, `aud`, `sub`, `drn`, OIDC-only
/// claims, then the types of the authorization claims) and builds [`Claims`].
pub(crate) fn check(mut map: Map<String, Value>, rules: &ClaimRules, now: i64) -> Result<Claims, VerifyError> {
    let (exp, iat) = check_times(&map, rules.leeway, now)?;

    let issuer = match map.remove("iss") {
        Some(Value::String(iss)) if rules.issuers.contains(&iss) => iss,
        Some(Value::String(iss)) => {
            return Err(VerifyError::WrongIssuer {
                iss: Some(Untrusted::new(&iss)),
            });
        }
        Some(_) | None => return Err(VerifyError::WrongIssuer { iss: None }),
    };

    let audience = match map.remove("aud") {
        None => Vec::new(),
        Some(Value::String(aud)) => vec![aud],
        Some(value) => string_list(Some(value), "aud")?,
    };
    let audience_ok = match &rules.audience {
        AudienceRule::IfPresent(accepted) => {
            audience.iter().all(String::is_empty) || audience.iter().any(|a| accepted.contains(a))
        }
        AudienceRule::Required(accepted) => audience.iter().any(|a| accepted.contains(a)),
    };
    if !audience_ok {
        return Err(VerifyError::WrongAudience);
    }

    let subject = match map.remove("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => sub,
        _ => return Err(VerifyError::MissingSubject),
    };

    // Descope marks session tokens `DS` and refresh tokens `DSR`. Tokens from custom JWT templates
    // may lack `drn` (not confirmed either way), so absence is accepted; anything else is not.
    match map.get("drn") {
        None => {}
        Some(Value::String(drn)) if drn == "DS" => {}
        Some(Value::String(drn)) if drn == "DSR" && !rules.accept_refresh_tokens => {
            return Err(VerifyError::RefreshToken);
        }
        Some(Value::String(drn)) if drn == "DSR" => {}
        Some(_) => {
            return Err(VerifyError::InvalidClaim {
                claim: "drn",
                reason: "not a Descope session token marker",
            });
        }
    }
    if !rules.accept_oidc_tokens
        && let Some(claim) = OIDC_ONLY_CLAIMS.into_iter().find(|c| map.contains_key(*c))
    {
        return Err(VerifyError::OidcToken { claim });
    }

    let roles = string_list(map.remove("roles"), "roles")?;
    let permissions = string_list(map.remove("permissions"), "permissions")?;
    let amr = string_list(map.remove("amr"), "amr")?;
    let tenants = tenants(map.remove("tenants"))?;
    let current_tenant = match map.remove("dct") {
        None | Some(Value::Null) => None,
        Some(Value::String(dct)) => Some(dct),
        Some(_) => {
            return Err(VerifyError::InvalidClaim {
                claim: "dct",
                reason: "not a string",
            });
        }
    };
    map.remove("exp");
    map.remove("iat");

    Ok(Claims {
        provider: IdentityProvider::Descope,
        subject,
        issuer,
        audience,
        expires_at: exp,
        issued_at: iat,
        roles,
        permissions,
        tenants,
        current_tenant,
        amr,
        other: map,
    })
}

/// `exp` (required), `nbf` and `iat`, each with `leeway` seconds of clock skew; returns `exp` and
/// `iat`. The first checks of every token, whichever its issuer.
pub(crate) fn check_times(map: &Map<String, Value>, leeway: i64, now: i64) -> Result<(i64, Option<i64>), VerifyError> {
    let exp = numeric_date(map.get("exp"), "exp")?.ok_or(VerifyError::MissingExpiry)?;
    if now > exp.saturating_add(leeway) {
        return Err(VerifyError::Expired { exp, now });
    }
    if let Some(nbf) = numeric_date(map.get("nbf"), "nbf")?
        && nbf > now.saturating_add(leeway)
    {
        return Err(VerifyError::NotYetValid { nbf, now });
    }
    let iat = numeric_date(map.get("iat"), "iat")?;
    if let Some(iat) = iat
        && iat > now.saturating_add(leeway)
    {
        return Err(VerifyError::IssuedInFuture { iat, now });
    }
    Ok((exp, iat))
}

/// A NumericDate (RFC 7519): a JSON number of seconds, possibly fractional; fractions are dropped.
fn numeric_date(value: Option<&Value>, claim: &'static str) -> Result<Option<i64>, VerifyError> {
    let Some(value) = value else { return Ok(None) };
    let invalid = VerifyError::InvalidClaim {
        claim,
        reason: "not a number of seconds",
    };
    let Value::Number(n) = value else { return Err(invalid) };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    match n.as_f64() {
        // Beyond i64 it is nonsense either way; clamp so comparisons stay well defined.
        Some(f) if f.is_finite() => Ok(Some(f.clamp(i64::MIN as f64, i64::MAX as f64) as i64)),
        _ => Err(invalid),
    }
}

pub(crate) fn string_list(value: Option<Value>, claim: &'static str) -> Result<Vec<String>, VerifyError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                _ => Err(VerifyError::InvalidClaim {
                    claim,
                    reason: "not a list of strings",
                }),
            })
            .collect(),
        Some(_) => Err(VerifyError::InvalidClaim {
            claim,
            reason: "not a list of strings",
        }),
    }
}

fn tenants(value: Option<Value>) -> Result<BTreeMap<String, TenantClaims>, VerifyError> {
    let invalid = VerifyError::InvalidClaim {
        claim: "tenants",
        reason: "not a map of tenant IDs to roles and permissions",
    };
    match value {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .into_iter()
            .map(|(id, tenant)| {
                let Value::Object(mut tenant) = tenant else {
                    return Err(invalid.clone());
                };
                let roles = string_list(tenant.remove("roles"), "tenants")?;
                let permissions = string_list(tenant.remove("permissions"), "tenants")?;
                Ok((id, TenantClaims { roles, permissions }))
            })
            .collect(),
        Some(_) => Err(invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules() -> ClaimRules {
        ClaimRules {
            issuers: ["P2x".to_owned()].into_iter().collect(),
            audience: AudienceRule::IfPresent(vec!["P2x".to_owned()]),
            leeway: 5,
            accept_refresh_tokens: false,
            accept_oidc_tokens: false,
        }
    }

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    #[test]
    fn leeway_is_applied_to_each_time_claim() {
        let now = 1_000_000;
        let base = json!({"iss": "P2x", "sub": "U1", "exp": now - 5, "nbf": now + 5, "iat": now + 5});
        assert!(check(claims(base), &rules(), now).is_ok());
        let expired = json!({"iss": "P2x", "sub": "U1", "exp": now - 6});
        assert_eq!(check(claims(expired), &rules(), now).unwrap_err().kind(), "expired");
        let early = json!({"iss": "P2x", "sub": "U1", "exp": now + 60, "nbf": now + 6});
        assert_eq!(check(claims(early), &rules(), now).unwrap_err().kind(), "not_yet_valid");
        let future = json!({"iss": "P2x", "sub": "U1", "exp": now + 60, "iat": now + 6});
        assert_eq!(
            check(claims(future), &rules(), now).unwrap_err().kind(),
            "issued_in_future"
        );
    }

    #[test]
    fn fractional_dates_are_accepted_and_strings_are_not() {
        let now = 1_000_000;
        let ok = json!({"iss": "P2x", "sub": "U1", "exp": now as f64 + 30.5});
        assert_eq!(check(claims(ok), &rules(), now).unwrap().expires_at, now + 30);
        let text = json!({"iss": "P2x", "sub": "U1", "exp": "9999999999"});
        assert_eq!(check(claims(text), &rules(), now).unwrap_err().kind(), "invalid_claim");
    }

    #[test]
    fn tenant_helpers_follow_the_sdks() {
        let now = 1_000_000;
        let token = json!({
            "iss": "P2x", "sub": "U1", "exp": now + 60, "dct": "T1",
            "roles": ["admin"], "permissions": ["read"],
            "tenants": {"T1": {"roles": ["editor", "viewer"], "permissions": ["write"]}, "T2": {}},
            "amr": ["pwd", "totp"], "custom": 7
        });
        let c = check(claims(token), &rules(), now).unwrap();
        assert!(c.has_all_roles(&["admin"]) && !c.has_all_roles(&["admin", "x"]));
        assert!(c.has_any_role(&["x", "admin"]));
        assert_eq!(c.matched_roles(&["x", "admin"]), vec!["admin"]);
        assert!(c.has_all_tenant_roles("T1", &["editor", "viewer"]));
        assert!(!c.has_all_tenant_roles("T3", &Vec::<String>::new()));
        assert!(c.has_all_tenant_permissions("T1", &["write"]));
        assert_eq!(c.tenant_roles("T2"), &[] as &[String]);
        assert_eq!(c.tenant_ids().collect::<Vec<_>>(), vec!["T1", "T2"]);
        assert_eq!(c.current_tenant.as_deref(), Some("T1"));
        assert!(c.is_mfa());
        assert_eq!(c.claim("custom"), Some(&json!(7)));
        assert!(c.claim("exp").is_none(), "typed claims are not repeated in `other`");
    }
}
