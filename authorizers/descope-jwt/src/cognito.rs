//! Cutover mode: Cognito user pool tokens accepted beside Descope's.
//!
//! A [`CognitoPool`] adds one issuer per `iss` its tokens may carry (the original format
//! `https://cognito-idp.<region>.amazonaws.com/<poolId>`, the updated format
//! `https://issuer-cognito-idp.<region>.amazonaws.com/<poolId>`, replica regions), each with its own
//! key set; the verifier routes a token to one by its `iss` and, once the signature verifies,
//! [`check`] applies the rules AWS documents for user pool tokens: `exp`, `token_use` (access or
//! id, as configured), the app client (`client_id` of an access token, `aud` of an ID token) and
//! `sub`. `cognito:groups` become roles (or the roles of the tenant the pool was imported into), so
//! one authorization policy serves both sides while clients move over.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::{
    claims::{self, Claims, CognitoIdentity, IdentityProvider, TenantClaims, TokenUse},
    error::{ConfigError, Untrusted, VerifyError},
    url::check_url,
};

/// One of the two `iss` formats Cognito issues (AWS API reference, `IssuerConfigurationType`:
/// <https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_IssuerConfigurationType.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssuerForm {
    /// `https://cognito-idp.<region>.amazonaws.com/<poolId>`, every pool's format until it
    /// switches; the region is the one that issued the token.
    Original,
    /// `https://issuer-cognito-idp.<region>.amazonaws.com/<poolId>`, which AWS recommends for all
    /// pools (and for multi-Region replication); the region is always the pool's primary region.
    Updated,
}

impl IssuerForm {
    /// `original` or `updated`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Updated => "updated",
        }
    }

    /// The host of this form's issuer in `region`.
    pub fn host(self, region: &str) -> String {
        match self {
            Self::Original => format!("cognito-idp.{region}.amazonaws.com"),
            Self::Updated => format!("issuer-cognito-idp.{region}.amazonaws.com"),
        }
    }
}

/// Which issuer formats a pool's tokens carry: the one it is configured with (`original` unless
/// it was switched), or `both` while it switches (tokens issued before the switch stay valid until
/// they expire). Keys are fetched for the configured forms only: a pool that never switched has no
/// updated-form key set (its URL answers 403; aws-jwt-verify issue #279).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IssuerForms {
    /// The original format only (the default: every pool's format until it is switched).
    #[default]
    Original,
    /// The updated format only.
    Updated,
    /// Both formats.
    Both,
}

impl IssuerForms {
    /// Parses `original`, `updated` or `both`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "original" => Some(Self::Original),
            "updated" => Some(Self::Updated),
            "both" => Some(Self::Both),
            _ => None,
        }
    }

    /// `original`, `updated` or `both`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Updated => "updated",
            Self::Both => "both",
        }
    }

    /// Whether `form` is among these.
    pub fn includes(self, form: IssuerForm) -> bool {
        matches!(
            (self, form),
            (Self::Both, _) | (Self::Original, IssuerForm::Original) | (Self::Updated, IssuerForm::Updated)
        )
    }
}

/// One `iss` a configured pool's tokens may carry, with the key set it is verified against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoIssuer {
    /// The format.
    pub form: IssuerForm,
    /// The region named in `iss`: the pool's primary region, or a replica's (original form).
    pub region: String,
    /// The exact `iss` value.
    pub iss: String,
    /// Where its keys are fetched: `<iss>/.well-known/jwks.json`, or under an endpoint override.
    pub jwks_url: String,
}

impl CognitoIssuer {
    /// The host of the issuer URL (what [`CognitoPool::issuer_endpoint_url`] overrides).
    pub fn host(&self) -> String {
        self.form.host(&self.region)
    }
}

/// One Cognito user pool whose tokens are accepted during a cutover.
///
/// A pool has one issuer per format it issues ([`IssuerForms`]) and, for the original format,
/// one more per replica region ([`CognitoPool::replica_region`]); each has its own key set.
///
/// ```
/// use descope_jwt::{CognitoPool, IssuerForms, TokenUse};
/// let pool = CognitoPool::new("eu-west-1_AbC123xyz")
///     .client_id("4s2k9example0client0id0abcd")
///     .token_use(TokenUse::Access)
///     .issuer_forms(IssuerForms::Both);
/// let issuers: Vec<String> = pool.issuers().into_iter().map(|i| i.iss).collect();
/// assert_eq!(
///     issuers,
///     [
///         "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz",
///         "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz",
///     ]
/// );
/// assert_eq!(
///     pool.issuers()[1].jwks_url,
///     "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz/.well-known/jwks.json"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoPool {
    pub(crate) pool_id: String,
    pub(crate) region: Option<String>,
    pub(crate) client_ids: Vec<String>,
    pub(crate) token_uses: Vec<TokenUse>,
    pub(crate) issuer_forms: IssuerForms,
    pub(crate) replica_regions: Vec<String>,
    pub(crate) endpoint_url: Option<String>,
    /// Per issuer host: where that issuer's keys are fetched instead.
    pub(crate) issuer_endpoint_urls: Vec<(String, String)>,
    pub(crate) tenant: Option<String>,
}

impl CognitoPool {
    /// The pool `pool_id` (`<region>_<id>`); add its app clients and token uses.
    pub fn new(pool_id: impl Into<String>) -> Self {
        Self {
            pool_id: pool_id.into(),
            region: None,
            client_ids: Vec::new(),
            token_uses: Vec::new(),
            issuer_forms: IssuerForms::default(),
            replica_regions: Vec::new(),
            endpoint_url: None,
            issuer_endpoint_urls: Vec::new(),
            tenant: None,
        }
    }

    /// The region the function runs against; it must be the region the pool ID starts with (its
    /// primary region) or one of its [`CognitoPool::replica_region`]s (a check against typos).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Accepts tokens issued to this app client (repeatable; at least one is required).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_ids.push(client_id.into());
        self
    }

    /// Accepts this kind of token (repeatable; at least one is required).
    pub fn token_use(mut self, token_use: TokenUse) -> Self {
        if !self.token_uses.contains(&token_use) {
            self.token_uses.push(token_use);
        }
        self
    }

    /// The issuer format(s) the pool's tokens carry (default: the original one).
    pub fn issuer_forms(mut self, forms: IssuerForms) -> Self {
        self.issuer_forms = forms;
        self
    }

    /// A region the pool is replicated to (multi-Region replication; repeatable). Its tokens may
    /// carry the original format naming that region, `https://cognito-idp.<replica>.amazonaws.com/
    /// <poolId>`, with its keys under that URL. The updated format always names the primary region,
    /// so a replica adds an issuer only when the original format is configured.
    ///
    /// Which `iss` a replica writes under the original format has changed: aws-jwt-verify issue
    /// #282 reported the replica's region (July 2026), then the primary region after a Cognito
    /// change, and its PR #285 (`additionalRegions`) was closed unmerged; AWS's guide tells
    /// replicated pools to use the updated format. Configure a replica only for tokens you have
    /// seen name it.
    pub fn replica_region(mut self, region: impl Into<String>) -> Self {
        self.replica_regions.push(region.into());
        self
    }

    /// Fetches every issuer's keys from `<endpoint>/<poolId>/.well-known/jwks.json` instead of the
    /// issuer's host (a local Cognito such as moto; tokens still carry the AWS issuer).
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into().trim_end_matches('/').to_owned());
        self
    }

    /// Fetches the keys of the issuer on `host` (e.g. `issuer-cognito-idp.eu-west-1.amazonaws.com`)
    /// from `<endpoint>/<poolId>/.well-known/jwks.json`; takes precedence over
    /// [`CognitoPool::endpoint_url`], so each format and region can have its own stand-in.
    pub fn issuer_endpoint_url(mut self, host: impl Into<String>, url: impl Into<String>) -> Self {
        self.issuer_endpoint_urls
            .push((host.into(), url.into().trim_end_matches('/').to_owned()));
        self
    }

    /// The pool's users were imported into this Descope tenant (the importer's
    /// `--user-pool-id POOL=TENANT`): their groups become roles in that tenant, which is also the
    /// token's current tenant, as a Descope token of the same user would grant.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// The pool ID.
    pub fn pool_id(&self) -> &str {
        &self.pool_id
    }

    /// The primary region: the one the pool ID starts with.
    pub fn primary_region(&self) -> &str {
        self.pool_id.split_once('_').map_or("", |(region, _)| region)
    }

    /// The configured issuer formats.
    pub fn forms(&self) -> IssuerForms {
        self.issuer_forms
    }

    /// The configured replica regions.
    pub fn replica_regions(&self) -> &[String] {
        &self.replica_regions
    }

    /// Every `iss` the pool's tokens may carry, with its key set URL: the original format in the
    /// primary region and in each replica region, then the updated format, as configured.
    pub fn issuers(&self) -> Vec<CognitoIssuer> {
        let mut issuers = Vec::new();
        let mut add = |form: IssuerForm, region: &str| {
            let host = form.host(region);
            let iss = format!("https://{host}/{}", self.pool_id);
            let endpoint = self
                .issuer_endpoint_urls
                .iter()
                .find(|(h, _)| *h == host)
                .map(|(_, url)| url)
                .or(self.endpoint_url.as_ref());
            let jwks_url = match endpoint {
                Some(endpoint) => format!("{endpoint}/{}/.well-known/jwks.json", self.pool_id),
                None => format!("{iss}/.well-known/jwks.json"),
            };
            issuers.push(CognitoIssuer {
                form,
                region: region.to_owned(),
                iss,
                jwks_url,
            });
        };
        if self.issuer_forms.includes(IssuerForm::Original) {
            add(IssuerForm::Original, self.primary_region());
            for replica in &self.replica_regions {
                add(IssuerForm::Original, replica);
            }
        }
        if self.issuer_forms.includes(IssuerForm::Updated) {
            add(IssuerForm::Updated, self.primary_region());
        }
        issuers
    }

    /// Checks the settings as [`crate::Verifier::new`] will: a well-formed pool ID, well-formed
    /// replica regions (original format only), a region that is the primary or a replica, at least
    /// one app client and one token use, http(s) endpoints, endpoint overrides naming an issuer.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let id = &self.pool_id;
        // Cognito's own pattern for pool IDs: [\w-]+_[0-9a-zA-Z]+, at most 55 characters.
        let well_formed = id.len() <= 55
            && id.split_once('_').is_some_and(|(region, rest)| {
                !region.is_empty()
                    && region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !rest.is_empty()
                    && rest.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if !well_formed {
            return Err(ConfigError::InvalidUserPoolId(id.clone()));
        }
        let primary = self.primary_region();
        for (index, replica) in self.replica_regions.iter().enumerate() {
            // Region names are lowercase letters, digits and '-' (CreateUserPoolReplica: 5-32 long).
            let reason = if !(5..=32).contains(&replica.len())
                || !replica
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                Some("expected a region name such as us-west-2")
            } else if replica == primary {
                Some("it is the pool's primary region (the one its ID starts with)")
            } else if self.replica_regions[..index].contains(replica) {
                Some("it is listed twice")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(ConfigError::InvalidReplicaRegion {
                    pool: id.clone(),
                    region: replica.clone(),
                    reason,
                });
            }
        }
        if !self.replica_regions.is_empty() && !self.issuer_forms.includes(IssuerForm::Original) {
            return Err(ConfigError::ReplicaWithoutOriginalForm(id.clone()));
        }
        if let Some(given) = &self.region
            && given != primary
            && !self.replica_regions.contains(given)
        {
            return Err(ConfigError::RegionMismatch {
                pool: id.clone(),
                from_id: primary.to_owned(),
                given: given.clone(),
            });
        }
        if self.client_ids.iter().all(|c| c.trim().is_empty()) {
            return Err(ConfigError::NoAppClients(id.clone()));
        }
        if self.token_uses.is_empty() {
            return Err(ConfigError::NoTokenUse(id.clone()));
        }
        check_url("Cognito endpoint URL", self.endpoint_url.as_deref())?;
        let hosts: Vec<String> = self.issuers().iter().map(CognitoIssuer::host).collect();
        for (host, url) in &self.issuer_endpoint_urls {
            if !hosts.contains(host) {
                return Err(ConfigError::UnknownIssuerHost {
                    pool: id.clone(),
                    host: host.clone(),
                    configured: hosts.join(", "),
                });
            }
            check_url("Cognito endpoint URL", Some(url))?;
        }
        Ok(())
    }

    pub(crate) fn rules(&self, issuer: &CognitoIssuer, leeway: i64) -> CognitoRules {
        CognitoRules {
            user_pool_id: self.pool_id.clone(),
            issuer: issuer.iss.clone(),
            client_ids: self.client_ids.clone(),
            token_uses: self.token_uses.clone(),
            tenant: self.tenant.clone(),
            leeway,
        }
    }
}

/// What a pool's tokens are checked against, fixed when the verifier is built.
#[derive(Debug)]
pub(crate) struct CognitoRules {
    user_pool_id: String,
    issuer: String,
    client_ids: Vec<String>,
    token_uses: Vec<TokenUse>,
    tenant: Option<String>,
    leeway: i64,
}

/// Checks a Cognito token's claims in a fixed order (`exp`, `nbf`, `iat`, `iss`, `token_use`, app
/// client, `sub`, username, `cognito:groups`) and builds [`Claims`].
pub(crate) fn check(mut map: Map<String, Value>, rules: &CognitoRules, now: i64) -> Result<Claims, VerifyError> {
    let (exp, iat) = claims::check_times(&map, rules.leeway, now)?;

    let issuer = match map.remove("iss") {
        Some(Value::String(iss)) if iss == rules.issuer => iss,
        Some(Value::String(iss)) => {
            return Err(VerifyError::WrongIssuer {
                iss: Some(Untrusted::new(&iss)),
            });
        }
        _ => return Err(VerifyError::WrongIssuer { iss: None }),
    };

    let token_use = match map.remove("token_use") {
        Some(Value::String(name)) => match TokenUse::from_name(&name).filter(|t| rules.token_uses.contains(t)) {
            Some(token_use) => token_use,
            None => {
                return Err(VerifyError::WrongTokenUse {
                    token_use: Some(Untrusted::new(&name)),
                });
            }
        },
        _ => return Err(VerifyError::WrongTokenUse { token_use: None }),
    };

    // Access tokens name their client in `client_id`; ID tokens in `aud` (a single string).
    let client_claim = match token_use {
        TokenUse::Access => "client_id",
        TokenUse::Id => "aud",
    };
    let client_id = match map.remove(client_claim) {
        Some(Value::String(client)) if rules.client_ids.contains(&client) => client,
        Some(Value::String(client)) => {
            return Err(VerifyError::WrongClient {
                client: Some(Untrusted::new(&client)),
            });
        }
        _ => return Err(VerifyError::WrongClient { client: None }),
    };

    let subject = match map.remove("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => sub,
        _ => return Err(VerifyError::MissingSubject),
    };

    let username_claim = match token_use {
        TokenUse::Access => "username",
        TokenUse::Id => "cognito:username",
    };
    let username = match map.remove(username_claim) {
        Some(Value::String(username)) if !username.is_empty() => username,
        _ => {
            return Err(VerifyError::InvalidClaim {
                claim: username_claim,
                reason: "missing or not a string",
            });
        }
    };

    let groups = claims::string_list(map.remove("cognito:groups"), "cognito:groups")?;
    let amr = claims::string_list(map.remove("amr"), "amr")?;
    let (roles, tenants, current_tenant) = match &rules.tenant {
        None => (groups, BTreeMap::new(), None),
        Some(tenant) => {
            let membership = TenantClaims {
                roles: groups,
                permissions: Vec::new(),
            };
            (
                Vec::new(),
                BTreeMap::from([(tenant.clone(), membership)]),
                Some(tenant.clone()),
            )
        }
    };
    let audience = match token_use {
        TokenUse::Id => vec![client_id.clone()],
        TokenUse::Access => Vec::new(),
    };
    map.remove("exp");
    map.remove("iat");

    Ok(Claims {
        provider: IdentityProvider::Cognito(CognitoIdentity {
            user_pool_id: rules.user_pool_id.clone(),
            username,
            token_use,
            client_id,
        }),
        subject,
        issuer,
        audience,
        expires_at: exp,
        issued_at: iat,
        roles,
        // Cognito tokens carry no permissions: a policy entry granted only by permission stays
        // closed to Cognito users (their groups map to roles, which carry the permissions).
        permissions: Vec::new(),
        tenants,
        current_tenant,
        amr,
        other: map,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const POOL: &str = "eu-west-1_AbC123xyz";
    const NOW: i64 = 1_000_000;

    fn rules(pool: CognitoPool) -> CognitoRules {
        pool.validate().unwrap();
        pool.rules(&pool.issuers()[0], 5)
    }

    fn access_and_id() -> CognitoPool {
        CognitoPool::new(POOL)
            .client_id("client-a")
            .token_use(TokenUse::Access)
            .token_use(TokenUse::Id)
    }

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    fn access(changes: Value) -> Map<String, Value> {
        let mut token = json!({
            "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
            "sub": "5f1c-sub", "client_id": "client-a", "token_use": "access",
            "username": "ada", "cognito:groups": ["admin", "support staff"],
            "scope": "aws.cognito.signin.user.admin", "exp": NOW + 60, "iat": NOW,
        });
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                token.as_object_mut().unwrap().remove(k);
            } else {
                token[k] = v.clone();
            }
        }
        map(token)
    }

    #[test]
    fn an_access_token_becomes_claims_with_groups_as_roles() {
        let claims = check(access(json!({})), &rules(access_and_id()), NOW).unwrap();
        assert_eq!(claims.subject, "5f1c-sub");
        assert_eq!(claims.roles, ["admin", "support staff"]);
        assert!(claims.permissions.is_empty() && claims.tenants.is_empty());
        assert_eq!(
            claims.provider,
            IdentityProvider::Cognito(CognitoIdentity {
                user_pool_id: POOL.into(),
                username: "ada".into(),
                token_use: TokenUse::Access,
                client_id: "client-a".into(),
            })
        );
        assert_eq!(claims.claim("scope"), Some(&json!("aws.cognito.signin.user.admin")));
        assert!(claims.claim("username").is_none() && claims.claim("cognito:groups").is_none());
    }

    #[test]
    fn an_id_token_is_checked_against_aud() {
        let id = access(json!({"token_use": "id", "client_id": null, "aud": "client-a",
                               "username": null, "cognito:username": "ada", "email": "ada@example.com"}));
        let claims = check(id, &rules(access_and_id()), NOW).unwrap();
        assert_eq!(claims.audience, ["client-a"]);
        assert_eq!(claims.claim("email"), Some(&json!("ada@example.com")));
        // An ID token naming its client in `client_id` only is not an ID token AWS issues.
        let wrong = access(json!({"token_use": "id", "cognito:username": "ada"}));
        assert_eq!(
            check(wrong, &rules(access_and_id()), NOW).unwrap_err().kind(),
            "wrong_client"
        );
    }

    #[test]
    fn a_pool_imported_into_a_tenant_grants_tenant_roles() {
        let claims = check(access(json!({})), &rules(access_and_id().tenant("T2acme")), NOW).unwrap();
        assert!(claims.roles.is_empty());
        assert_eq!(claims.tenant_roles("T2acme"), ["admin", "support staff"]);
        assert_eq!(claims.current_tenant.as_deref(), Some("T2acme"));
    }

    #[test]
    fn each_rule_refuses_with_its_own_error() {
        let access_only = || CognitoPool::new(POOL).client_id("client-a").token_use(TokenUse::Access);
        for (case, token, pool, kind) in [
            ("no exp", access(json!({"exp": null})), access_only(), "missing_expiry"),
            ("expired", access(json!({"exp": NOW - 6})), access_only(), "expired"),
            (
                "other pool",
                access(json!({"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"})),
                access_only(),
                "wrong_issuer",
            ),
            (
                "id token where access is expected",
                access(json!({"token_use": "id", "aud": "client-a", "cognito:username": "ada"})),
                access_only(),
                "wrong_token_use",
            ),
            (
                "no token_use",
                access(json!({"token_use": null})),
                access_only(),
                "wrong_token_use",
            ),
            (
                "other client",
                access(json!({"client_id": "client-b"})),
                access_only(),
                "wrong_client",
            ),
            (
                "no client",
                access(json!({"client_id": null})),
                access_only(),
                "wrong_client",
            ),
            ("no sub", access(json!({"sub": ""})), access_only(), "missing_subject"),
            (
                "no username",
                access(json!({"username": null})),
                access_only(),
                "invalid_claim",
            ),
            (
                "groups not a list",
                access(json!({"cognito:groups": "admin"})),
                access_only(),
                "invalid_claim",
            ),
        ] {
            let got = check(token, &rules(pool), NOW).map(|_| ()).map_err(|e| e.kind());
            assert_eq!(got, Err(kind), "{case}");
        }
    }

    #[test]
    fn pool_settings_are_validated() {
        let ok = || CognitoPool::new(POOL).client_id("c").token_use(TokenUse::Id);
        assert_eq!(ok().validate(), Ok(()));
        assert_eq!(ok().region("eu-west-1").validate(), Ok(()));
        for bad in ["", "AbC123", "eu-west-1_", "eu west_1", "eu-west-1_abc/def"] {
            let pool = CognitoPool::new(bad).client_id("c").token_use(TokenUse::Id);
            assert_eq!(
                pool.validate(),
                Err(ConfigError::InvalidUserPoolId(bad.into())),
                "{bad:?}"
            );
        }
        assert!(matches!(
            ok().region("us-east-1").validate(),
            Err(ConfigError::RegionMismatch { .. })
        ));
        assert_eq!(
            CognitoPool::new(POOL).token_use(TokenUse::Id).validate(),
            Err(ConfigError::NoAppClients(POOL.into()))
        );
        assert_eq!(
            CognitoPool::new(POOL).client_id("c").validate(),
            Err(ConfigError::NoTokenUse(POOL.into()))
        );
        let local = ok().endpoint_url("http://127.0.0.1:5000/");
        assert_eq!(
            local.issuers()[0].jwks_url,
            format!("http://127.0.0.1:5000/{POOL}/.well-known/jwks.json")
        );
        assert_eq!(
            local.issuers()[0].iss,
            format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}")
        );
        assert!(ok().endpoint_url("ftp://x").validate().is_err());
    }

    #[test]
    fn each_configured_form_and_replica_is_one_issuer_with_its_own_key_url() {
        let pool = || CognitoPool::new(POOL).client_id("c").token_use(TokenUse::Access);
        let listed = |pool: CognitoPool| -> Vec<(String, String)> {
            pool.validate().unwrap();
            pool.issuers().into_iter().map(|i| (i.iss, i.jwks_url)).collect()
        };
        let original = format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}");
        let updated = format!("https://issuer-cognito-idp.eu-west-1.amazonaws.com/{POOL}");
        let replica = format!("https://cognito-idp.us-west-2.amazonaws.com/{POOL}");
        let keys = |iss: &str| format!("{iss}/.well-known/jwks.json");
        // Today's default: the original form only, so a pool that never switched fetches nothing else.
        assert_eq!(listed(pool()), [(original.clone(), keys(&original))]);
        assert_eq!(
            listed(pool().issuer_forms(IssuerForms::Updated)),
            [(updated.clone(), keys(&updated))]
        );
        assert_eq!(
            listed(pool().issuer_forms(IssuerForms::Both).replica_region("us-west-2")),
            [
                (original.clone(), keys(&original)),
                (replica.clone(), keys(&replica)),
                (updated.clone(), keys(&updated)),
            ]
        );
        // Overrides: one for every issuer, a more specific one per issuer host.
        let local = pool()
            .issuer_forms(IssuerForms::Both)
            .endpoint_url("http://127.0.0.1:1")
            .issuer_endpoint_url("issuer-cognito-idp.eu-west-1.amazonaws.com", "http://127.0.0.1:2/");
        assert_eq!(
            listed(local).into_iter().map(|(_, url)| url).collect::<Vec<_>>(),
            [
                format!("http://127.0.0.1:1/{POOL}/.well-known/jwks.json"),
                format!("http://127.0.0.1:2/{POOL}/.well-known/jwks.json"),
            ]
        );
    }

    #[test]
    fn replica_settings_are_validated_and_widen_the_region_check() {
        let pool = || CognitoPool::new(POOL).client_id("c").token_use(TokenUse::Access);
        assert_eq!(
            pool().replica_region("us-west-2").region("us-west-2").validate(),
            Ok(())
        );
        assert!(matches!(
            pool().region("us-west-2").validate(),
            Err(ConfigError::RegionMismatch { .. })
        ));
        for bad in ["eu-west-1", "US-WEST-2", "x", "us west 2"] {
            assert!(
                matches!(
                    pool().replica_region(bad).validate(),
                    Err(ConfigError::InvalidReplicaRegion { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            pool()
                .replica_region("us-west-2")
                .replica_region("us-west-2")
                .validate(),
            Err(ConfigError::InvalidReplicaRegion { .. })
        ));
        assert_eq!(
            pool()
                .issuer_forms(IssuerForms::Updated)
                .replica_region("us-west-2")
                .validate(),
            Err(ConfigError::ReplicaWithoutOriginalForm(POOL.into()))
        );
        // An override must name an issuer the pool has: a typo would silently fetch from AWS.
        assert!(matches!(
            pool()
                .issuer_endpoint_url("issuer-cognito-idp.eu-west-1.amazonaws.com", "http://127.0.0.1:1")
                .validate(),
            Err(ConfigError::UnknownIssuerHost { .. })
        ));
        assert!(matches!(
            pool()
                .issuer_endpoint_url("cognito-idp.eu-west-1.amazonaws.com", "http://keys.example.com")
                .validate(),
            Err(ConfigError::InvalidUrl { .. })
        ));
    }
}
