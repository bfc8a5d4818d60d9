//! Cognito pre sign-up trigger for the hybrid migration (Descope as an OIDC identity provider of
//! the user pool).
//!
//! When a user signs in through Descope for the first time, Cognito fires the pre sign-up trigger
//! with `triggerSource` = `PreSignUp_ExternalProvider` and `userName` = `Descope_<sub>`. Without
//! this function Cognito would create a second, empty user. [`handle`] instead finds the native
//! user with the same verified email and links the Descope identity to it
//! (`AdminLinkProviderForUser`), so the user keeps its `sub`, groups and attributes:
//!
//! - no native user with that email: the sign-up proceeds (the event is returned unchanged);
//! - exactly one, with `email_verified` true (and the incoming email not marked unverified): link;
//! - several native users, an unverified match, or an unverified incoming email: refused with a
//!   clear error (Cognito then refuses the sign-up) and logged;
//! - other trigger sources and other providers: passed through untouched.
//!
//! The decision is pure over the small [`Directory`] trait; [`cognito::CognitoDirectory`] is the
//! real adapter over the AWS SDK.

pub mod cognito;

use std::future::Future;

use authorizer_common::{ConfigError, Env};
use serde::Deserialize;
use serde_json::Value;

/// The `triggerSource` of a first sign-in through an external identity provider.
pub const EXTERNAL_PROVIDER: &str = "PreSignUp_ExternalProvider";
/// The default Cognito provider name of Descope (`DESCOPE_PROVIDER_NAME`).
pub const DEFAULT_PROVIDER_NAME: &str = "Descope";
/// The `UserStatus` of federated users, which are never link destinations.
pub const EXTERNAL_PROVIDER_STATUS: &str = "EXTERNAL_PROVIDER";

/// Settings read once at cold start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The `ProviderName` of the Descope OIDC provider in the user pool (the `userName` prefix).
    pub provider_name: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            provider_name: DEFAULT_PROVIDER_NAME.to_owned(),
        }
    }
}

impl Config {
    /// `DESCOPE_PROVIDER_NAME` (default `Descope`): 1 to 32 characters, no whitespace and no `_`
    /// (Cognito separates the provider name from the subject with the first `_`), not `Cognito`.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let Some(name) = env.get("DESCOPE_PROVIDER_NAME") else {
            return Ok(Self::default());
        };
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
        Ok(Self { provider_name: name })
    }
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
    pub user_attributes: std::collections::BTreeMap<String, String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, String>, D::Error> {
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
    /// Every user of `user_pool_id` whose `email` is exactly `email` (all pages).
    fn find_users_by_email(
        &self,
        user_pool_id: &str,
        email: &str,
    ) -> impl Future<Output = Result<Vec<DirectoryUser>, DirectoryError>> + Send;
    /// Links the external identity to the native user.
    fn link(&self, user_pool_id: &str, link: &Link) -> impl Future<Output = Result<(), DirectoryError>> + Send;
}

/// What the function did with a sign-up it let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not an external-provider sign-up (`PreSignUp_SignUp`, `PreSignUp_AdminCreateUser`, ...).
    NotExternal,
    /// An external sign-up from another provider.
    OtherProvider,
    /// A Descope sign-up without an email: nothing to link to.
    NoEmail,
    /// No native user has the email: Cognito creates the federated user.
    NoMatch,
    /// Linked to this native user.
    Linked(Link),
}

impl Outcome {
    /// A short label for logs.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NotExternal => "not_external",
            Self::OtherProvider => "other_provider",
            Self::NoEmail => "no_email",
            Self::NoMatch => "no_match",
            Self::Linked(_) => "linked",
        }
    }
}

/// Why a Descope sign-up was refused. The message is what Cognito shows (prefixed with
/// `PreSignUp failed with error`), so it names no email, user or detail of the pool.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The event is not a pre sign-up event.
    #[error("sign-up refused: the pre sign-up event could not be read")]
    BadEvent(String),
    /// `userName` has the Descope prefix but no subject after it.
    #[error("sign-up refused: the Descope user name has no subject")]
    NoSubject,
    /// The email contains characters a ListUsers filter cannot carry.
    #[error("sign-up refused: the email address cannot be matched to an existing account")]
    UnsearchableEmail,
    /// Several native users have the email.
    #[error("sign-up refused: several existing accounts use this email address; contact support to merge them")]
    Ambiguous {
        /// How many native users matched.
        count: usize,
    },
    /// The matching native user's email is not verified.
    #[error("sign-up refused: the existing account with this email address has not verified it")]
    ExistingEmailNotVerified,
    /// The incoming (Descope) email is not marked verified (`email_verified` false or not mapped).
    #[error("sign-up refused: the email address from Descope is not verified")]
    IncomingEmailNotVerified,
    /// Cognito could not be asked or refused the link.
    #[error("sign-up refused: the existing account could not be linked, try again later")]
    Directory(DirectoryError),
}

impl Refusal {
    /// A short label for logs.
    pub fn label(&self) -> &'static str {
        match self {
            Self::BadEvent(_) => "bad_event",
            Self::NoSubject => "no_subject",
            Self::UnsearchableEmail => "unsearchable_email",
            Self::Ambiguous { .. } => "ambiguous",
            Self::ExistingEmailNotVerified => "existing_email_not_verified",
            Self::IncomingEmailNotVerified => "incoming_email_not_verified",
            Self::Directory(_) => "directory_error",
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
        Ok(Outcome::Linked(link)) => {
            tracing::info!(
                outcome = "linked",
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
            let detail = match &refusal {
                Refusal::BadEvent(d) => d.clone(),
                Refusal::Directory(e) => e.to_string(),
                Refusal::Ambiguous { count } => format!("{count} native users"),
                _ => String::new(),
            };
            tracing::warn!(
                outcome = "refused",
                reason = refusal.label(),
                detail,
                user_name,
                email,
                "sign-up refused"
            );
            Err(refusal)
        }
    }
}

/// The decision (see the crate documentation), calling the directory only for Descope sign-ups.
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
    let Some(email) = attributes.get("email").map(|e| e.trim()).filter(|e| !e.is_empty()) else {
        return Ok(Outcome::NoEmail);
    };
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
    if attributes
        .get("email_verified")
        // Unknown counts as unverified: linking on an email nobody proved would hand the
        // existing account to whoever typed that address into Descope.
        .is_none_or(|v| !v.trim().eq_ignore_ascii_case("true"))
    {
        return Err(Refusal::IncomingEmailNotVerified);
    }
    let link = Link {
        destination_username: native.username.clone(),
        provider_name: config.provider_name.clone(),
        subject: subject.to_owned(),
    };
    directory
        .link(&event.user_pool_id, &link)
        .await
        .map_err(Refusal::Directory)?;
    Ok(Outcome::Linked(link))
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
