//! The password check: Cognito's `AdminInitiateAuth` with `ADMIN_USER_PASSWORD_AUTH` on the
//! dedicated app client, and what its answer means for the migration.
//!
//! **Whose password it was.** On success the authenticated user's `sub` is read from the ID token
//! in the answer, not from a second call (`AdminGetUser`): the token arrives over TLS from
//! Cognito as the answer to this function's own signed request, so its signature would prove
//! nothing more, and reading it costs no extra call against the pool's quotas and no extra IAM
//! permission. Its `iss` must still name the configured pool and its `token_use` be `id`. Only a
//! correct password answered with an MFA challenge carries no token: then, and only when the
//! flow enforces MFA, `AdminGetUser` on the challenge's `USER_ID_FOR_SRP` gives the `sub`.

use aws_sdk_cognitoidentityprovider::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    types::{AuthFlowType, ChallengeNameType},
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use descope_management::Secret;
use serde::Deserialize;

pub use authorizer_common::cognito::secret_hash;

/// The Cognito identity a correct password belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoIdentity {
    /// The user's `sub`.
    pub sub: String,
    /// The pool it belongs to.
    pub pool_id: String,
}

/// What Cognito said about the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The password is right and Cognito issued tokens for this identity.
    Authenticated(CognitoIdentity),
    /// The password is right but Cognito demands a second factor (`SMS_MFA`,
    /// `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`, `SELECT_MFA_TYPE`, `MFA_SETUP`); the user's Cognito
    /// username, from the challenge, when it gave one.
    MfaRequired(Option<String>),
    /// A temporary admin password (`NEW_PASSWORD_REQUIRED`) or a forced reset
    /// (`PasswordResetRequiredException`).
    ResetRequired,
    /// Wrong password, unknown user, disabled or unconfirmed user (Cognito's
    /// `NotAuthorizedException`, `UserNotFoundException`, `UserNotConfirmedException`).
    Invalid,
    /// Throttled, or Cognito unavailable: the caller may try again.
    Retry(String),
    /// Anything else (the app client lacks the flow, the pool is unknown, a challenge this
    /// function does not know): an operator problem.
    Failed(String),
}

/// Cognito's error codes, and what they mean here.
fn verdict_of_code(code: &str) -> Option<Verdict> {
    match code {
        "NotAuthorizedException" | "UserNotFoundException" | "UserNotConfirmedException" => Some(Verdict::Invalid),
        "PasswordResetRequiredException" => Some(Verdict::ResetRequired),
        "TooManyRequestsException" | "LimitExceededException" | "InternalErrorException" => {
            Some(Verdict::Retry(code.to_owned()))
        }
        _ => None,
    }
}

/// Cognito through the SDK (credentials and endpoint from the standard chain).
#[derive(Debug, Clone)]
pub struct PasswordChecker {
    client: Client,
    user_pool_id: String,
    client_id: String,
    client_secret: Option<Secret>,
}

impl PasswordChecker {
    /// Checks passwords of `user_pool_id` through the app client `client_id`.
    pub fn new(client: Client, user_pool_id: &str, client_id: &str, client_secret: Option<Secret>) -> Self {
        Self {
            client,
            user_pool_id: user_pool_id.to_owned(),
            client_id: client_id.to_owned(),
            client_secret,
        }
    }

    /// One `AdminInitiateAuth` call. The password is copied into the SDK's request (out of this
    /// crate's reach once sent) and never into an error.
    pub async fn check(&self, username: &str, password: &Secret) -> Verdict {
        let mut request = self
            .client
            .admin_initiate_auth()
            .user_pool_id(&self.user_pool_id)
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", password.expose());
        if let Some(secret) = &self.client_secret {
            request = request.auth_parameters("SECRET_HASH", secret_hash(secret.expose(), username, &self.client_id));
        }
        let output = match request.send().await {
            Ok(output) => output,
            Err(error) => return self.verdict_of_error(&error),
        };
        if let Some(result) = output.authentication_result() {
            return match result.id_token().map(|token| self.identity_of(token)) {
                Some(Ok(identity)) => Verdict::Authenticated(identity),
                Some(Err(reason)) => Verdict::Failed(reason),
                None => Verdict::Failed("AdminInitiateAuth returned tokens but no ID token".to_owned()),
            };
        }
        let username = output
            .challenge_parameters()
            .and_then(|parameters| parameters.get("USER_ID_FOR_SRP"))
            .cloned();
        match output.challenge_name() {
            Some(ChallengeNameType::NewPasswordRequired) => Verdict::ResetRequired,
            Some(
                ChallengeNameType::SmsMfa
                | ChallengeNameType::SoftwareTokenMfa
                | ChallengeNameType::EmailOtp
                | ChallengeNameType::SelectMfaType
                | ChallengeNameType::MfaSetup,
            ) => Verdict::MfaRequired(username),
            other => Verdict::Failed(format!("AdminInitiateAuth answered the challenge {other:?}")),
        }
    }

    fn verdict_of_error<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
        &self,
        error: &SdkError<E, R>,
    ) -> Verdict {
        match error {
            SdkError::ServiceError(service) => {
                let code = service.err().code().unwrap_or("unknown");
                verdict_of_code(code)
                    .unwrap_or_else(|| Verdict::Failed(format!("AdminInitiateAuth: {}", DisplayErrorContext(error))))
            }
            // Timeouts, dropped connections, unreadable answers: Cognito may answer next time.
            _ => Verdict::Retry(format!("AdminInitiateAuth: {}", DisplayErrorContext(error))),
        }
    }

    /// The `sub` and pool of an ID token Cognito just returned (see the module docs for why its
    /// signature is not checked).
    fn identity_of(&self, id_token: &str) -> Result<CognitoIdentity, String> {
        #[derive(Deserialize)]
        struct IdClaims {
            sub: String,
            iss: String,
            token_use: String,
        }
        let payload = id_token
            .split('.')
            .nth(1)
            .and_then(|segment| URL_SAFE_NO_PAD.decode(segment.trim_end_matches('=')).ok())
            .ok_or("the ID token Cognito returned is not a JWT")?;
        let claims: IdClaims =
            serde_json::from_slice(&payload).map_err(|e| format!("the ID token Cognito returned: {e}"))?;
        let pool = claims.iss.rsplit('/').next().unwrap_or_default();
        if pool != self.user_pool_id || claims.token_use != "id" || claims.sub.is_empty() {
            return Err(format!(
                "the ID token Cognito returned names pool {pool:?} and token_use {:?}, expected {:?} and \"id\"",
                claims.token_use, self.user_pool_id
            ));
        }
        Ok(CognitoIdentity {
            sub: claims.sub,
            pool_id: self.user_pool_id.clone(),
        })
    }

    /// The `sub` of `username` (`AdminGetUser`): only for an MFA challenge when the flow
    /// enforces MFA.
    pub async fn identity_of_username(&self, username: &str) -> Result<CognitoIdentity, Verdict> {
        let output = self
            .client
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await
            .map_err(|error| self.verdict_of_error(&error))?;
        let sub = output
            .user_attributes()
            .iter()
            .find(|attribute| attribute.name() == "sub")
            .and_then(|attribute| attribute.value())
            .ok_or_else(|| Verdict::Failed("AdminGetUser: the user has no sub".to_owned()))?;
        Ok(CognitoIdentity {
            sub: sub.to_owned(),
            pool_id: self.user_pool_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes() {
        assert_eq!(verdict_of_code("NotAuthorizedException"), Some(Verdict::Invalid));
        assert_eq!(verdict_of_code("UserNotFoundException"), Some(Verdict::Invalid));
        assert_eq!(
            verdict_of_code("PasswordResetRequiredException"),
            Some(Verdict::ResetRequired)
        );
        assert!(matches!(
            verdict_of_code("TooManyRequestsException"),
            Some(Verdict::Retry(_))
        ));
        assert_eq!(verdict_of_code("ResourceNotFoundException"), None);
    }
}
