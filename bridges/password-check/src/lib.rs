//! Just-in-time password migration from Cognito to Descope, served on a Lambda function URL.
//!
//! A Descope flow, on a password sign-in of a user with no Descope password yet, calls this
//! function through a Generic HTTP connector with the identifier the user typed and the password.
//! [`State::handle`] then, in this order:
//!
//! 1. refuses, without any Cognito call, a body over [`request::MAX_BODY_BYTES`], a missing or
//!    wrong `x-descope-webhook-s256` signature (checked in constant time over the raw bytes
//!    before anything parses them), a missing or wrong bearer token (when configured), a body
//!    that is not `{"loginId", "password"}` JSON, and an empty or oversized field;
//! 2. checks the password with Cognito (`AdminInitiateAuth`, `ADMIN_USER_PASSWORD_AUTH`, on the
//!    dedicated app client) under one username: the `cognitoUsername` of the Descope user the
//!    importer migrated from this pool under that login ID, or else the identifier as typed;
//! 3. **binding**: on a correct password, finds the one Descope user whose `cognitoSub` and
//!    `cognitoPoolId` custom attributes equal the identity Cognito authenticated, and sets the
//!    password on that user's login ID, never on a login ID from the request;
//! 4. answers the flow with one [`Outcome`].
//!
//! The password lives in a [`Secret`] (never in `Debug`, errors or logs; overwritten when
//! dropped); copies in the Lambda runtime's, serde's and the SDKs' buffers are out of its reach.

pub mod cognito;
pub mod config;
pub mod request;

use std::time::Instant;

use cognito::{CognitoIdentity, PasswordChecker, Verdict};
pub use config::{Config, SECRET_SETTINGS};
use descope_management::{DescopeClient, DescopeError, RetryPolicy, Secret};
pub use request::{FunctionUrlRequest, Refusal};
use serde::Serialize;

/// The custom attribute holding the Cognito `sub` (written by the importer).
pub const SUB_ATTRIBUTE: &str = "cognitoSub";
/// The custom attribute holding the Cognito pool ID (written by the importer).
pub const POOL_ATTRIBUTE: &str = "cognitoPoolId";
/// The custom attribute holding the Cognito username (written by the importer).
pub const USERNAME_ATTRIBUTE: &str = "cognitoUsername";

/// The answer to the flow (`{"outcome": ...}`), one per invocation that passed the caller checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The password was right; it is now the user's active Descope password.
    Set,
    /// The password was right but Cognito demands MFA. Set only when
    /// `PASSWORD_CHECK_FLOW_ENFORCES_MFA=true` (see `passwordSet` in the answer).
    MfaRequired,
    /// A temporary admin password or a forced reset: never set; the flow routes to a reset.
    ResetRequired,
    /// Wrong password, unknown, disabled or unconfirmed user: one answer, padded to a minimum
    /// latency.
    Invalid,
    /// The password was right but Descope's password policy refused it: verified, not set.
    VerifiedNotSet,
    /// Cognito or Descope throttled or failed for now: try again (HTTP 503).
    Retry,
    /// The password was right but no enabled Descope user carries that Cognito identity.
    NotMigrated,
    /// A configuration problem (the app client, the pool, the management key; several Descope
    /// users with one identity): HTTP 500, details in the log only.
    Error,
}

impl Outcome {
    /// The value of `outcome` in the answer and the log.
    pub fn label(self) -> &'static str {
        match self {
            Self::Set => "set",
            Self::MfaRequired => "mfa_required",
            Self::ResetRequired => "reset_required",
            Self::Invalid => "invalid",
            Self::VerifiedNotSet => "verified_not_set",
            Self::Retry => "retry",
            Self::NotMigrated => "not_migrated",
            Self::Error => "error",
        }
    }

    /// The HTTP status: 200 for every answer about the password, 503 for `retry`, 500 for
    /// `error`.
    pub fn status(self) -> u16 {
        match self {
            Self::Retry => 503,
            Self::Error => 500,
            _ => 200,
        }
    }
}

/// The function URL response (payload format 2.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionUrlResponse {
    /// HTTP status.
    pub status_code: u16,
    /// Response headers.
    pub headers: std::collections::BTreeMap<&'static str, &'static str>,
    /// JSON text.
    pub body: String,
}

impl FunctionUrlResponse {
    fn json(status_code: u16, body: &serde_json::Value) -> Self {
        Self {
            status_code,
            headers: [("content-type", "application/json")].into(),
            body: body.to_string(),
        }
    }

    fn refusal(refusal: Refusal) -> Self {
        Self::json(refusal.status(), &serde_json::json!({ "error": refusal.label() }))
    }

    fn outcome(outcome: Outcome, password_set: bool) -> Self {
        let body = if outcome == Outcome::MfaRequired {
            serde_json::json!({ "outcome": outcome, "passwordSet": password_set })
        } else {
            serde_json::json!({ "outcome": outcome })
        };
        Self::json(outcome.status(), &body)
    }
}

/// Everything built at cold start.
#[derive(Debug)]
pub struct State {
    config: Config,
    cognito: PasswordChecker,
    descope: DescopeClient,
}

/// What happened to the password in Descope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    Set,
    Refused,
    NoUser,
    Retry,
    Failed,
}

impl State {
    /// The state over this Cognito client (from the standard chain in production, moto in tests).
    pub fn new(config: Config, cognito: aws_sdk_cognitoidentityprovider::Client) -> Result<Self, DescopeError> {
        // The user waits on this request: `RetryPolicy::interactive`.
        let policy = RetryPolicy::interactive();
        let descope = DescopeClient::new(
            &config.descope_base_url,
            &config.descope_project_id,
            config.descope_management_key.expose(),
            policy,
        )?
        .with_user_agent(concat!("password-check/", env!("CARGO_PKG_VERSION")));
        let checker = PasswordChecker::new(
            cognito,
            &config.user_pool_id,
            &config.client_id,
            config.client_secret.clone(),
        );
        Ok(Self {
            config,
            cognito: checker,
            descope,
        })
    }

    /// Answers one invocation. Logs one line (`password check`) with the outcome or refusal,
    /// never the password or the identifier.
    pub async fn handle(&self, request: FunctionUrlRequest) -> FunctionUrlResponse {
        let started = Instant::now();
        let check = match request::authenticate_and_parse(&self.config, &request) {
            Ok(check) => check,
            Err(refusal) => {
                tracing::warn!(refused = refusal.label(), reason = %refusal, "password check");
                return FunctionUrlResponse::refusal(refusal);
            }
        };
        drop(request);
        let login_id = check.login_id.trim();
        let username = self.cognito_username(login_id).await;
        let username = username.as_deref().unwrap_or(login_id);
        let (outcome, password_set) = match self.cognito.check(username, &check.password).await {
            Verdict::Authenticated(identity) => match self.set_password(&identity, &check.password).await {
                Setting::Set => (Outcome::Set, true),
                Setting::Refused => (Outcome::VerifiedNotSet, false),
                Setting::NoUser => (Outcome::NotMigrated, false),
                Setting::Retry => (Outcome::Retry, false),
                Setting::Failed => (Outcome::Error, false),
            },
            Verdict::MfaRequired(username) if self.config.flow_enforces_mfa => {
                let username = username.unwrap_or_else(|| login_id.to_owned());
                match self.cognito.identity_of_username(&username).await {
                    Ok(identity) => {
                        let set = self.set_password(&identity, &check.password).await == Setting::Set;
                        (Outcome::MfaRequired, set)
                    }
                    Err(verdict) => {
                        tracing::warn!(detail = ?verdict, "AdminGetUser after an MFA challenge failed");
                        (Outcome::MfaRequired, false)
                    }
                }
            }
            Verdict::MfaRequired(_) => (Outcome::MfaRequired, false),
            Verdict::ResetRequired => (Outcome::ResetRequired, false),
            Verdict::Invalid => (Outcome::Invalid, false),
            Verdict::Retry(detail) => {
                tracing::warn!(%detail, "Cognito throttled or failed");
                (Outcome::Retry, false)
            }
            Verdict::Failed(detail) => {
                tracing::error!(%detail, "Cognito refused the check: check the app client and pool settings");
                (Outcome::Error, false)
            }
        };
        drop(check);
        if outcome == Outcome::Invalid {
            // Wrong password, unknown and disabled user must look alike, in time too.
            tokio::time::sleep_until((started + self.config.invalid_min_latency).into()).await;
        }
        tracing::info!(outcome = outcome.label(), password_set, "password check");
        FunctionUrlResponse::outcome(outcome, password_set)
    }

    /// The Cognito username to check the password of: when `login_id` is the login ID of a
    /// Descope user the importer migrated from this pool, its `cognitoUsername` (so a user who
    /// types the email Descope knows them by is found in a pool that signs in by username, or
    /// that holds them under an opaque username); otherwise `None`, and the identifier goes to
    /// Cognito as typed. One Cognito call either way (a second guess would count twice towards
    /// Cognito's lockout). Whose password it was still comes from Cognito's answer (the
    /// binding), so this lookup only picks which Cognito user's password is checked.
    async fn cognito_username(&self, login_id: &str) -> Option<String> {
        match self.descope.load_user(login_id).await {
            Ok(Some(user)) if user.custom_text(POOL_ATTRIBUTE) == Some(self.config.user_pool_id.as_str()) => {
                user.custom_text(USERNAME_ATTRIBUTE).map(str::to_owned)
            }
            Ok(_) => None,
            Err(error) => {
                // Cognito may still know the identifier as typed; a Descope outage shows later.
                tracing::warn!(error = %error, "Descope lookup of the identifier failed; checking it as typed");
                None
            }
        }
    }

    /// Sets `password` on the one Descope user carrying `identity`.
    async fn set_password(&self, identity: &CognitoIdentity, password: &Secret) -> Setting {
        let identity_pairs = [
            (SUB_ATTRIBUTE, identity.sub.as_str()),
            (POOL_ATTRIBUTE, identity.pool_id.as_str()),
        ];
        let owners = match self.descope.users_with_custom_text(&identity_pairs, 2).await {
            Ok(users) => users,
            Err(error) => return setting_of_error(&error, "search"),
        };
        let user = match owners.as_slice() {
            [] => {
                tracing::info!(sub = %identity.sub, "no Descope user carries this Cognito identity");
                return Setting::NoUser;
            }
            [user] => user,
            _ => {
                tracing::error!(sub = %identity.sub, "several Descope users carry this Cognito identity; none changed");
                return Setting::Failed;
            }
        };
        if user.status == "disabled" {
            tracing::info!(sub = %identity.sub, "the Descope user of this identity is disabled");
            return Setting::NoUser;
        }
        let Some(login_id) = user.login_ids.first() else {
            tracing::error!(sub = %identity.sub, "the Descope user of this identity has no login ID");
            return Setting::Failed;
        };
        match self.descope.set_active_password(login_id, password).await {
            Ok(()) => {
                tracing::info!(sub = %identity.sub, user_id = %user.user_id, "Descope password set");
                Setting::Set
            }
            Err(error) => setting_of_error(&error, "set password"),
        }
    }
}

/// What a failed Descope call means: a 400 on setting the password is the password policy's
/// refusal; throttling and outages can be retried; the rest is the operator's to fix.
fn setting_of_error(error: &DescopeError, call: &str) -> Setting {
    let setting = match error {
        DescopeError::Api { status: 400, .. } if call == "set password" => Setting::Refused,
        DescopeError::Api { status: 429, .. } | DescopeError::Exhausted { .. } => Setting::Retry,
        _ => Setting::Failed,
    };
    // DescopeError never carries the password (descope-management's invariant).
    tracing::warn!(call, error = %error, "Descope call failed");
    setting
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> DescopeError {
        DescopeError::Api {
            path: "/v1/mgmt/user/password/set/active".into(),
            status,
            code: "E000000".into(),
            message: "policy".into(),
        }
    }

    #[test]
    fn descope_errors() {
        assert_eq!(setting_of_error(&api(400), "set password"), Setting::Refused);
        assert_eq!(setting_of_error(&api(400), "search"), Setting::Failed);
        assert_eq!(setting_of_error(&api(429), "set password"), Setting::Retry);
        assert_eq!(
            setting_of_error(&DescopeError::Unauthorized { status: 401 }, "search"),
            Setting::Failed
        );
    }

    #[test]
    fn answers() {
        let answer = FunctionUrlResponse::outcome(Outcome::VerifiedNotSet, false);
        assert_eq!(answer.status_code, 200);
        assert_eq!(answer.body, r#"{"outcome":"verified_not_set"}"#);
        let answer = FunctionUrlResponse::outcome(Outcome::MfaRequired, true);
        assert_eq!(answer.body, r#"{"outcome":"mfa_required","passwordSet":true}"#);
        assert_eq!(FunctionUrlResponse::outcome(Outcome::Retry, false).status_code, 503);
    }
}
