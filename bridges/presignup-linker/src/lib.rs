//! Cognito pre sign-up trigger for the hybrid migration (Descope as an OIDC identity provider of
//! the user pool).
//!
//! When a user signs in through Descope for the first time, Cognito fires the pre sign-up trigger
//! with `triggerSource` = `PreSignUp_ExternalProvider` and `userName` = `Descope_<sub>`. Without
//! this function Cognito would create a second, empty user. [`handle`] instead links the Descope
//! identity to the native user it provably belongs to (`AdminLinkProviderForUser`), so the user
//! keeps its `sub`, groups and attributes. Two rules, strongest first:
//!
//! - **sub rule**: the identity carries the importer's `cognitoSub` (mapped onto a custom
//!   attribute, [`Config::sub_attribute`]) and no other pool's ID: link to the one native user of
//!   this pool with that `sub`, or refuse. It never falls back to the email rule.
//! - **email rule** (no sub): the incoming email must be marked verified and the sign-in method
//!   (`amr`) or tenant (`dct`) must be on the allow-list ([`TrustedMethods`],
//!   [`Config::trusted_tenants`]), all checked before any Cognito call; then: no native user with
//!   the email proceeds unchanged, exactly one with a verified email is linked, anything else is
//!   refused.
//!
//! Every refusal gives the caller the same message ([`REFUSAL_MESSAGE`]), whatever the pool holds;
//! the reason is only in the function's log. Other trigger sources and other providers pass
//! through untouched.
//!
//! The decision is pure over the small [`Directory`] trait; [`cognito::CognitoDirectory`] is the
//! real adapter over the AWS SDK.

pub mod cognito;

use std::{collections::BTreeMap, future::Future};

use authorizer_common::{ConfigError, Env};
use serde::Deserialize;
use serde_json::Value;

/// The `triggerSource` of a first sign-in through an external identity provider.
pub const EXTERNAL_PROVIDER: &str = "PreSignUp_ExternalProvider";
/// The default Cognito provider name of Descope (`DESCOPE_PROVIDER_NAME`).
pub const DEFAULT_PROVIDER_NAME: &str = "Descope";
/// The `UserStatus` of federated users, which are never link destinations.
pub const EXTERNAL_PROVIDER_STATUS: &str = "EXTERNAL_PROVIDER";
/// Default of `LINK_SUB_ATTRIBUTE`: where the provider mapping puts the importer's `cognitoSub`.
pub const DEFAULT_SUB_ATTRIBUTE: &str = "custom:cognitoSub";
/// Default of `LINK_POOL_ATTRIBUTE`: where the mapping puts the importer's `cognitoPoolId`.
pub const DEFAULT_POOL_ATTRIBUTE: &str = "custom:cognitoPoolId";
/// Default of `LINK_AMR_ATTRIBUTE`: where the mapping puts Descope's `amr` claim.
pub const DEFAULT_AMR_ATTRIBUTE: &str = "custom:descopeAmr";
/// Default of `LINK_TENANT_ATTRIBUTE`: where the mapping puts Descope's `dct` (current tenant).
pub const DEFAULT_TENANT_ATTRIBUTE: &str = "custom:descopeTenant";
/// Default of `EMAIL_LINK_TRUSTED_AMR`: only a sign-in that proved the mailbox itself (email OTP,
/// magic link, enchanted link: Descope's `amr` value `email`).
pub const DEFAULT_TRUSTED_AMR: &[&str] = &["email"];
/// What the caller sees for every refusal, whatever the reason and whatever the pool holds.
pub const REFUSAL_MESSAGE: &str =
    "sign-up refused: this sign-in cannot be linked to an existing account automatically; contact support";

/// Which sign-in methods (Descope `amr` values) make an identity's verified email good enough to
/// link on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedMethods {
    /// Any method, SSO included (`EMAIL_LINK_TRUSTED_AMR=*`; the behaviour before the allow-list).
    Any,
    /// Only these `amr` values (at least one of the identity's must be listed); empty disables
    /// the method condition (`EMAIL_LINK_TRUSTED_AMR=none`), leaving only trusted tenants.
    List(Vec<String>),
}

impl TrustedMethods {
    fn trusts(&self, amr: &[String]) -> bool {
        match self {
            Self::Any => true,
            Self::List(list) => amr.iter().any(|value| list.contains(value)),
        }
    }
}

/// Settings read once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The `ProviderName` of the Descope OIDC provider in the user pool (the `userName` prefix).
    pub provider_name: String,
    /// The pool attribute that receives the importer's `cognitoSub` (`LINK_SUB_ATTRIBUTE`).
    pub sub_attribute: String,
    /// The pool attribute that receives the importer's `cognitoPoolId` (`LINK_POOL_ATTRIBUTE`).
    pub pool_attribute: String,
    /// The pool attribute that receives Descope's `amr` (`LINK_AMR_ATTRIBUTE`).
    pub amr_attribute: String,
    /// The pool attribute that receives Descope's `dct` (`LINK_TENANT_ATTRIBUTE`).
    pub tenant_attribute: String,
    /// Sign-in methods whose verified email may be linked on (`EMAIL_LINK_TRUSTED_AMR`).
    pub trusted_methods: TrustedMethods,
    /// Descope tenants whose verified emails may be linked on whatever the method
    /// (`EMAIL_LINK_TRUSTED_TENANTS`, default none).
    pub trusted_tenants: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            provider_name: DEFAULT_PROVIDER_NAME.to_owned(),
            sub_attribute: DEFAULT_SUB_ATTRIBUTE.to_owned(),
            pool_attribute: DEFAULT_POOL_ATTRIBUTE.to_owned(),
            amr_attribute: DEFAULT_AMR_ATTRIBUTE.to_owned(),
            tenant_attribute: DEFAULT_TENANT_ATTRIBUTE.to_owned(),
            trusted_methods: TrustedMethods::List(DEFAULT_TRUSTED_AMR.iter().map(|s| (*s).to_owned()).collect()),
            trusted_tenants: Vec::new(),
        }
    }
}

impl Config {
    /// Reads the settings (each optional, see the README):
    ///
    /// - `DESCOPE_PROVIDER_NAME` (default `Descope`): 1 to 32 characters, no whitespace and no `_`
    ///   (Cognito separates the provider name from the subject with the first `_`), not `Cognito`;
    /// - `LINK_SUB_ATTRIBUTE`, `LINK_POOL_ATTRIBUTE`, `LINK_AMR_ATTRIBUTE`,
    ///   `LINK_TENANT_ATTRIBUTE`: `custom:<name>` (1 to 20 characters), all different;
    /// - `EMAIL_LINK_TRUSTED_AMR` (default `email`): a comma list of `amr` values, `none`, or `*`;
    /// - `EMAIL_LINK_TRUSTED_TENANTS` (default none): a comma list of Descope tenant IDs.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let provider_name = match env.get("DESCOPE_PROVIDER_NAME") {
            None => defaults.provider_name,
            Some(name) => {
                let valid = name.chars().count() <= 32
                    && !name.chars().any(|c| c.is_whitespace() || c == '_')
                    && !name.eq_ignore_ascii_case("Cognito");
                if !valid {
                    return Err(ConfigError::Invalid {
                        name: "DESCOPE_PROVIDER_NAME",
                        value: name,
                        reason: "expected the provider's name in the user pool: at most 32 characters, \
                                 no whitespace or '_', not Cognito"
                            .into(),
                    });
                }
                name
            }
        };
        let config = Self {
            provider_name,
            sub_attribute: attribute(env, "LINK_SUB_ATTRIBUTE", defaults.sub_attribute)?,
            pool_attribute: attribute(env, "LINK_POOL_ATTRIBUTE", defaults.pool_attribute)?,
            amr_attribute: attribute(env, "LINK_AMR_ATTRIBUTE", defaults.amr_attribute)?,
            tenant_attribute: attribute(env, "LINK_TENANT_ATTRIBUTE", defaults.tenant_attribute)?,
            trusted_methods: match env.get("EMAIL_LINK_TRUSTED_AMR") {
                None => defaults.trusted_methods,
                Some(value) => trusted_methods(value)?,
            },
            trusted_tenants: match env.get("EMAIL_LINK_TRUSTED_TENANTS") {
                None => Vec::new(),
                Some(value) => trusted_tenants(value)?,
            },
        };
        let names = [
            ("LINK_SUB_ATTRIBUTE", &config.sub_attribute),
            ("LINK_POOL_ATTRIBUTE", &config.pool_attribute),
            ("LINK_AMR_ATTRIBUTE", &config.amr_attribute),
            ("LINK_TENANT_ATTRIBUTE", &config.tenant_attribute),
        ];
        for (i, (name, value)) in names.iter().enumerate() {
            if let Some((other, _)) = names[..i].iter().find(|(_, v)| v == value) {
                return Err(ConfigError::Invalid {
                    name,
                    value: (*value).clone(),
                    reason: format!("{other} already names this attribute; each claim needs its own"),
                });
            }
        }
        Ok(config)
    }
}

/// A custom attribute name: only `custom:` attributes, because the mapping must not overwrite a
/// standard attribute and a value the trigger trusts must come from the provider's mapping.
fn attribute<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    name: &'static str,
    default: String,
) -> Result<String, ConfigError> {
    let Some(value) = env.get(name) else { return Ok(default) };
    let valid = value.strip_prefix("custom:").is_some_and(|rest| {
        (1..=20).contains(&rest.chars().count()) && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
    });
    if !valid {
        return Err(ConfigError::Invalid {
            name,
            value,
            reason: "expected a custom attribute of the user pool: custom:<name>, the name 1 to 20 characters \
                     without whitespace (e.g. custom:cognitoSub)"
                .into(),
        });
    }
    Ok(value)
}

fn trusted_methods(value: String) -> Result<TrustedMethods, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        name: "EMAIL_LINK_TRUSTED_AMR",
        value: value.clone(),
        reason: reason.to_owned(),
    };
    match value.as_str() {
        "*" => return Ok(TrustedMethods::Any),
        "none" => return Ok(TrustedMethods::List(Vec::new())),
        _ => {}
    }
    let items = authorizer_common::list(&value);
    for item in &items {
        if item == "*" || item == "none" {
            return Err(invalid("'*' and 'none' stand alone, not in a list"));
        }
        if item == "mfa" {
            return Err(invalid(
                "'mfa' only says that several factors were used, not which; list the methods (e.g. email)",
            ));
        }
        if !item
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            return Err(invalid(
                "expected Descope amr values in lower case (email, pwd, oauth, fed, webauthn, sms, totp), \
                 comma-separated; or none; or *",
            ));
        }
    }
    if items.is_empty() {
        return Err(invalid("expected at least one amr value; use none to trust no method"));
    }
    Ok(TrustedMethods::List(items))
}

fn trusted_tenants(value: String) -> Result<Vec<String>, ConfigError> {
    let items = authorizer_common::list(&value);
    if items.is_empty() || items.iter().any(|t| t.chars().any(|c| c.is_whitespace() || c == '"')) {
        return Err(ConfigError::Invalid {
            name: "EMAIL_LINK_TRUSTED_TENANTS",
            value,
            reason: "expected Descope tenant IDs, comma-separated".into(),
        });
    }
    Ok(items)
}

/// The parts of Cognito's pre sign-up event the function reads. The event itself is returned
/// exactly as received (a `Value`), so no field is lost or reshaped on the way back.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreSignUpEvent {
    /// Event version (`"1"`).
    #[serde(default)]
    pub version: Option<String>,
    /// Region of the pool.
    #[serde(default)]
    pub region: Option<String>,
    /// The user pool ID (the destination of the link call).
    pub user_pool_id: String,
    /// `Descope_<sub>` for a Descope sign-in.
    pub user_name: String,
    /// `PreSignUp_SignUp`, `PreSignUp_AdminCreateUser` or `PreSignUp_ExternalProvider`.
    pub trigger_source: String,
    /// Attributes of the user being signed up.
    #[serde(default)]
    pub request: PreSignUpRequest,
}

/// `request` of the pre sign-up event.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreSignUpRequest {
    /// Attributes mapped from the provider (strings, as Cognito sends them).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub user_attributes: BTreeMap<String, String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(Option::deserialize(d)?.unwrap_or_default())
}

/// A user of the pool as the decision needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    /// The user's `Username` in the pool.
    pub username: String,
    /// `UserStatus` (`CONFIRMED`, `EXTERNAL_PROVIDER`, ...).
    pub status: String,
    /// The user's `email_verified` attribute is `true`.
    pub email_verified: bool,
}

impl DirectoryUser {
    /// A native (username/password) user, as opposed to a federated one.
    pub fn is_native(&self) -> bool {
        self.status != EXTERNAL_PROVIDER_STATUS
    }
}

/// The `AdminLinkProviderForUser` request: the native user keeps its identity, the Descope
/// subject becomes one of its linked identities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The native user's `Username` (DestinationUser, provider `Cognito`).
    pub destination_username: String,
    /// The Descope provider's name (SourceUser `ProviderName`).
    pub provider_name: String,
    /// The Descope subject (SourceUser `ProviderAttributeValue` for `Cognito_Subject`).
    pub subject: String,
}

/// A failed directory call (no secrets in it: the SDK's own error text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DirectoryError(pub String);

/// The user pool, as the decision sees it.
pub trait Directory {
    /// Every user of `user_pool_id` whose `sub` is exactly `sub` (Cognito's own, immutable ID).
    fn find_users_by_sub(
        &self,
        user_pool_id: &str,
        sub: &str,
    ) -> impl Future<Output = Result<Vec<DirectoryUser>, DirectoryError>> + Send;
    /// Every user of `user_pool_id` whose `email` is exactly `email` (all pages).
    fn find_users_by_email(
        &self,
        user_pool_id: &str,
        email: &str,
    ) -> impl Future<Output = Result<Vec<DirectoryUser>, DirectoryError>> + Send;
    /// Links the external identity to the native user.
    fn link(&self, user_pool_id: &str, link: &Link) -> impl Future<Output = Result<(), DirectoryError>> + Send;
}

/// Which rule linked a sign-in (logged as `rule=sub` or `rule=email`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The importer's `cognitoSub` named the user.
    Sub,
    /// The only native user with the same verified email.
    Email,
}

impl Rule {
    /// `sub` or `email`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sub => "sub",
            Self::Email => "email",
        }
    }
}

/// What the function did with a sign-up it let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not an external-provider sign-up (`PreSignUp_SignUp`, `PreSignUp_AdminCreateUser`, ...).
    NotExternal,
    /// An external sign-up from another provider.
    OtherProvider,
    /// A Descope sign-up without a sub and without an email: nothing to link to.
    NoEmail,
    /// No native user has the (verified, trusted) email: Cognito creates the federated user.
    NoMatch,
    /// Linked to this native user by this rule.
    Linked(Link, Rule),
}

impl Outcome {
    /// A short label for logs.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NotExternal => "not_external",
            Self::OtherProvider => "other_provider",
            Self::NoEmail => "no_email",
            Self::NoMatch => "no_match",
            Self::Linked(..) => "linked",
        }
    }
}

/// Why a Descope sign-up was refused. Every variant shows the caller the same
/// [`REFUSAL_MESSAGE`] (Cognito prefixes it with `PreSignUp failed with error`), so a refusal
/// tells nobody what the pool holds; [`Refusal::label`] and [`Refusal::detail`] go to the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The event is not a pre sign-up event.
    #[error("{REFUSAL_MESSAGE}")]
    BadEvent(String),
    /// `userName` has the Descope prefix but no subject after it.
    #[error("{REFUSAL_MESSAGE}")]
    NoSubject,
    /// The sub attribute is present but is not a Cognito `sub` (letters, digits and `-`).
    #[error("{REFUSAL_MESSAGE}")]
    MalformedSub,
    /// No native user of this pool has the sub (the email rule is not tried).
    #[error("{REFUSAL_MESSAGE}")]
    SubNotFound {
        /// Federated users with that sub, which are never destinations.
        federated: usize,
    },
    /// Several native users have the sub (Cognito should never allow it).
    #[error("{REFUSAL_MESSAGE}")]
    SubAmbiguous {
        /// How many native users matched.
        count: usize,
    },
    /// The incoming (Descope) email is not marked verified (`email_verified` false or not mapped).
    #[error("{REFUSAL_MESSAGE}")]
    IncomingEmailNotVerified,
    /// The sign-in method and tenant are not on the allow-list for the email rule.
    #[error("{REFUSAL_MESSAGE}")]
    UntrustedMethod {
        /// The identity's `amr` values (empty when not mapped).
        amr: Vec<String>,
        /// The identity's tenant, when mapped.
        tenant: Option<String>,
    },
    /// The email contains characters a ListUsers filter cannot carry.
    #[error("{REFUSAL_MESSAGE}")]
    UnsearchableEmail,
    /// Several native users have the email.
    #[error("{REFUSAL_MESSAGE}")]
    Ambiguous {
        /// How many native users matched.
        count: usize,
    },
    /// The matching native user's email is not verified.
    #[error("{REFUSAL_MESSAGE}")]
    ExistingEmailNotVerified,
    /// Cognito could not be asked or refused the link.
    #[error("{REFUSAL_MESSAGE}")]
    Directory(DirectoryError),
}

impl Refusal {
    /// A short label for logs.
    pub fn label(&self) -> &'static str {
        match self {
            Self::BadEvent(_) => "bad_event",
            Self::NoSubject => "no_subject",
            Self::MalformedSub => "malformed_sub",
            Self::SubNotFound { .. } => "sub_not_found",
            Self::SubAmbiguous { .. } => "sub_ambiguous",
            Self::IncomingEmailNotVerified => "incoming_email_not_verified",
            Self::UntrustedMethod { .. } => "untrusted_method",
            Self::UnsearchableEmail => "unsearchable_email",
            Self::Ambiguous { .. } => "ambiguous",
            Self::ExistingEmailNotVerified => "existing_email_not_verified",
            Self::Directory(_) => "directory_error",
        }
    }

    /// The detail for the log line (never for the caller).
    pub fn detail(&self) -> String {
        match self {
            Self::BadEvent(d) => d.clone(),
            Self::Directory(e) => e.to_string(),
            Self::Ambiguous { count } | Self::SubAmbiguous { count } => format!("{count} native users"),
            Self::SubNotFound { federated } => format!("no native user; {federated} federated"),
            Self::UntrustedMethod { amr, tenant } => {
                format!("amr=[{}] tenant={}", amr.join(","), tenant.as_deref().unwrap_or("-"))
            }
            _ => String::new(),
        }
    }
}

impl From<Refusal> for lambda_runtime::Diagnostic {
    fn from(refusal: Refusal) -> Self {
        Self {
            error_type: "SignUpRefused".to_owned(),
            error_message: refusal.to_string(),
        }
    }
}

/// The invocation: decides, logs one line, and returns the event exactly as received (or the
/// refusal, which makes Cognito refuse the sign-up).
pub async fn handle<D: Directory>(config: &Config, directory: &D, event: Value) -> Result<Value, Refusal> {
    let parsed = PreSignUpEvent::deserialize(&event).map_err(|e| Refusal::BadEvent(e.to_string()));
    let (result, email, user_name) = match parsed {
        Ok(parsed) => {
            let email = parsed.request.user_attributes.get("email").map(|e| mask_email(e));
            (decide(config, directory, &parsed).await, email, Some(parsed.user_name))
        }
        Err(refusal) => (Err(refusal), None, None),
    };
    let email = email.unwrap_or_default();
    let user_name = user_name.unwrap_or_default();
    match result {
        Ok(Outcome::Linked(link, rule)) => {
            tracing::info!(
                outcome = "linked",
                rule = rule.label(),
                user_name,
                email,
                destination = link.destination_username,
                "Descope identity linked to the existing user"
            );
            Ok(event)
        }
        Ok(outcome) => {
            tracing::info!(
                outcome = outcome.label(),
                user_name,
                email,
                "sign-up proceeds unchanged"
            );
            Ok(event)
        }
        Err(refusal) => {
            tracing::warn!(
                outcome = "refused",
                reason = refusal.label(),
                detail = refusal.detail(),
                user_name,
                email,
                "sign-up refused"
            );
            Err(refusal)
        }
    }
}

/// The importer's sub as the event carries it.
enum SubClaim<'a> {
    /// No sub, or a sub recorded for another pool: the email rule applies.
    Absent,
    /// A sub for this pool (or without a pool).
    Usable(&'a str),
    /// Present but not a Cognito `sub`.
    Malformed,
}

fn sub_claim<'a>(config: &Config, attributes: &'a BTreeMap<String, String>, user_pool_id: &str) -> SubClaim<'a> {
    let Some(sub) = non_empty(attributes, &config.sub_attribute) else {
        return SubClaim::Absent;
    };
    // The importer records the pool with the sub; a sub from another pool says nothing about
    // this one (and may even equal an unrelated user's sub here).
    if non_empty(attributes, &config.pool_attribute).is_some_and(|pool| pool != user_pool_id) {
        return SubClaim::Absent;
    }
    let well_formed = sub.len() <= 128 && sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if well_formed {
        SubClaim::Usable(sub)
    } else {
        SubClaim::Malformed
    }
}

fn non_empty<'a>(attributes: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    attributes.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// A multi-valued claim as Cognito writes it into a string attribute. How Cognito flattens an
/// OIDC array is not documented beyond "URL form encoded" values; this accepts a JSON array
/// (`["email","mfa"]`), a bracketed list (`[email, mfa]`) and comma- or space-separated values.
/// Nothing is decoded: an encoded value matches no allow-list entry, which fails closed.
pub fn parse_list(value: &str) -> Vec<String> {
    let value = value.trim();
    if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(value) {
        return items
            .iter()
            .map(|item| match item {
                Value::String(s) => s.trim().to_owned(),
                other => other.to_string(),
            })
            .filter(|s| !s.is_empty())
            .collect();
    }
    let inner = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .unwrap_or(value);
    inner
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|s| s.trim().trim_matches('"').trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The decision (see the crate documentation), calling the directory only for Descope sign-ups
/// that passed every check that needs no lookup.
pub async fn decide<D: Directory>(config: &Config, directory: &D, event: &PreSignUpEvent) -> Result<Outcome, Refusal> {
    if event.trigger_source != EXTERNAL_PROVIDER {
        return Ok(Outcome::NotExternal);
    }
    let Some(subject) = strip_provider(&event.user_name, &config.provider_name) else {
        return Ok(Outcome::OtherProvider);
    };
    if subject.is_empty() {
        return Err(Refusal::NoSubject);
    }
    let attributes = &event.request.user_attributes;
    let link_to = |destination: &DirectoryUser| Link {
        destination_username: destination.username.clone(),
        provider_name: config.provider_name.clone(),
        subject: subject.to_owned(),
    };

    match sub_claim(config, attributes, &event.user_pool_id) {
        SubClaim::Malformed => return Err(Refusal::MalformedSub),
        SubClaim::Usable(sub) => {
            // No fallback to the email rule: whoever could put a sub claim on an identity must not
            // get a second try through the weaker rule.
            let users = directory
                .find_users_by_sub(&event.user_pool_id, sub)
                .await
                .map_err(Refusal::Directory)?;
            let federated = users.iter().filter(|u| !u.is_native()).count();
            let natives: Vec<&DirectoryUser> = users.iter().filter(|u| u.is_native()).collect();
            let native = match natives.as_slice() {
                [] => return Err(Refusal::SubNotFound { federated }),
                [one] => *one,
                several => return Err(Refusal::SubAmbiguous { count: several.len() }),
            };
            let link = link_to(native);
            directory
                .link(&event.user_pool_id, &link)
                .await
                .map_err(Refusal::Directory)?;
            return Ok(Outcome::Linked(link, Rule::Sub));
        }
        SubClaim::Absent => {}
    }

    let Some(email) = non_empty(attributes, "email") else {
        return Ok(Outcome::NoEmail);
    };
    // Everything about the incoming identity is checked before the pool is asked, so a refusal
    // here cannot depend on (and so cannot reveal) what the pool holds.
    if attributes
        .get("email_verified")
        // Unknown counts as unverified: linking on an email nobody proved would hand the
        // existing account to whoever typed that address into Descope.
        .is_none_or(|v| !v.trim().eq_ignore_ascii_case("true"))
    {
        return Err(Refusal::IncomingEmailNotVerified);
    }
    let amr = attributes
        .get(&config.amr_attribute)
        .map(|v| parse_list(v))
        .unwrap_or_default();
    let tenant = non_empty(attributes, &config.tenant_attribute);
    let trusted_tenant = tenant.is_some_and(|t| config.trusted_tenants.iter().any(|trusted| trusted == t));
    if !trusted_tenant && !config.trusted_methods.trusts(&amr) {
        return Err(Refusal::UntrustedMethod {
            amr,
            tenant: tenant.map(str::to_owned),
        });
    }
    if email.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
        return Err(Refusal::UnsearchableEmail);
    }

    let natives: Vec<DirectoryUser> = directory
        .find_users_by_email(&event.user_pool_id, email)
        .await
        .map_err(Refusal::Directory)?
        .into_iter()
        .filter(DirectoryUser::is_native)
        .collect();
    let native = match natives.as_slice() {
        [] => return Ok(Outcome::NoMatch),
        [one] => one,
        several => return Err(Refusal::Ambiguous { count: several.len() }),
    };
    if !native.email_verified {
        return Err(Refusal::ExistingEmailNotVerified);
    }
    let link = link_to(native);
    directory
        .link(&event.user_pool_id, &link)
        .await
        .map_err(Refusal::Directory)?;
    Ok(Outcome::Linked(link, Rule::Email))
}

/// The subject after `<provider>_` (the provider name compared without case: Cognito has been seen
/// lowercasing it in `userName`), `None` for another provider.
pub fn strip_provider<'a>(user_name: &'a str, provider_name: &str) -> Option<&'a str> {
    let (prefix, subject) = user_name.split_once('_')?;
    prefix.eq_ignore_ascii_case(provider_name).then_some(subject)
}

/// An email for logs: first character of the local part, then `***@` and the domain.
pub fn mask_email(email: &str) -> String {
    match email.trim().split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}
