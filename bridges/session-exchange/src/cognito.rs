//! Cognito's side of the exchange: the app clients (read once at cold start), the refresh that
//! proves a refresh token valid, and its revocation once the Descope session exists.
//!
//! `InitiateAuth` and `RevokeToken` are unauthenticated Cognito APIs (the app client and, when it
//! has one, its secret are the credentials), so they need no IAM permission; only
//! `DescribeUserPoolClient` at cold start does.

use std::time::Duration;

use authorizer_common::cognito::secret_hash;
use aws_sdk_cognitoidentityprovider::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    types::{AuthFlowType, TimeUnitsType},
};
use descope_management::Secret;

/// Cognito's refresh-token validity when the app client states none: 30 days.
pub const DEFAULT_REFRESH_VALIDITY: Duration = Duration::from_secs(30 * 24 * 3600);

/// An app client whose refresh tokens may be exchanged, as `DescribeUserPoolClient` describes it.
#[derive(Debug, Clone)]
pub struct AppClient {
    /// Its client ID.
    pub id: String,
    /// Its secret, when it has one (then refreshes carry `SECRET_HASH`, revocations the secret).
    pub secret: Option<Secret>,
    /// How long its refresh tokens live: the longest a Descope session made from one may last.
    pub refresh_validity: Duration,
}

/// Why the app clients could not be read at cold start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// `DescribeUserPoolClient` failed (unknown client, wrong pool, no permission, no network).
    #[error(
        "DescribeUserPoolClient for app client {client_id:?} of pool {pool_id:?} failed: {detail}; check COGNITO_CLIENT_IDS, COGNITO_USER_POOL_ID and the function's permission cognito-idp:DescribeUserPoolClient"
    )]
    Describe {
        /// The client asked for.
        client_id: String,
        /// The pool.
        pool_id: String,
        /// What the SDK said.
        detail: String,
    },
}

/// What `InitiateAuth` with `REFRESH_TOKEN_AUTH` said.
#[derive(Debug)]
pub enum Refreshed {
    /// The refresh token is valid; Cognito issued this ID token.
    IdToken(Secret),
    /// Invalid, expired, revoked, of another client or pool, or its user is disabled
    /// (`NotAuthorizedException` and kin): the error code.
    Refused(String),
    /// Throttled or unavailable: the exchange may be tried again.
    Retry(String),
    /// Anything else (a misconfigured client): an operator problem.
    Failed(String),
}

/// The Cognito calls of the exchange.
#[derive(Debug, Clone)]
pub struct Cognito {
    client: Client,
}

impl Cognito {
    /// Cognito through this SDK client (the standard chain in production, moto in tests).
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Reads each app client once (cold start): its secret and refresh-token validity.
    pub async fn app_clients(&self, pool_id: &str, client_ids: &[String]) -> Result<Vec<AppClient>, SetupError> {
        let mut clients = Vec::with_capacity(client_ids.len());
        for client_id in client_ids {
            let described = self
                .client
                .describe_user_pool_client()
                .user_pool_id(pool_id)
                .client_id(client_id)
                .send()
                .await
                .map_err(|error| SetupError::Describe {
                    client_id: client_id.clone(),
                    pool_id: pool_id.to_owned(),
                    detail: DisplayErrorContext(&error).to_string(),
                })?;
            let client = described.user_pool_client();
            let unit = client
                .and_then(|c| c.token_validity_units())
                .and_then(|units| units.refresh_token())
                .cloned()
                .unwrap_or(TimeUnitsType::Days);
            let validity = client.map_or(0, |c| c.refresh_token_validity());
            clients.push(AppClient {
                id: client_id.clone(),
                secret: client.and_then(|c| c.client_secret()).map(Secret::from),
                refresh_validity: refresh_validity(i64::from(validity), &unit),
            });
        }
        Ok(clients)
    }

    /// `InitiateAuth` with `REFRESH_TOKEN_AUTH`: proves `token` valid for `app` and returns the ID
    /// token Cognito issues. `username` is needed only for `SECRET_HASH` (app clients with a
    /// secret); who the user is comes from the ID token, never from it.
    pub async fn refresh(&self, app: &AppClient, token: &Secret, username: Option<&str>) -> Refreshed {
        let mut request = self
            .client
            .initiate_auth()
            .client_id(&app.id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", token.expose());
        if let (Some(secret), Some(username)) = (&app.secret, username) {
            request = request.auth_parameters("SECRET_HASH", secret_hash(secret.expose(), username, &app.id));
        }
        match request.send().await {
            Ok(output) => match output.authentication_result().and_then(|result| result.id_token()) {
                Some(id_token) => Refreshed::IdToken(Secret::from(id_token)),
                None => Refreshed::Failed("InitiateAuth returned no ID token".to_owned()),
            },
            Err(error) => match &error {
                SdkError::ServiceError(service) => {
                    let code = service.err().code().unwrap_or("unknown").to_owned();
                    match code.as_str() {
                        "NotAuthorizedException"
                        | "UserNotFoundException"
                        | "UserNotConfirmedException"
                        | "PasswordResetRequiredException" => Refreshed::Refused(code),
                        "TooManyRequestsException" | "LimitExceededException" | "InternalErrorException" => {
                            Refreshed::Retry(code)
                        }
                        _ => Refreshed::Failed(format!("InitiateAuth: {}", DisplayErrorContext(&error))),
                    }
                }
                // Timeouts, dropped connections: Cognito may answer next time.
                _ => Refreshed::Retry(format!("InitiateAuth: {}", DisplayErrorContext(&error))),
            },
        }
    }

    /// `RevokeToken`: the refresh token, and the tokens issued from it, stop working in Cognito.
    pub async fn revoke(&self, app: &AppClient, token: &Secret) -> Result<(), String> {
        let mut request = self.client.revoke_token().client_id(&app.id).token(token.expose());
        if let Some(secret) = &app.secret {
            request = request.client_secret(secret.expose());
        }
        request
            .send()
            .await
            .map(|_| ())
            .map_err(|error| format!("RevokeToken: {}", DisplayErrorContext(&error)))
    }
}

/// A refresh-token validity in the client's unit (days when unstated); 0 means Cognito's default.
fn refresh_validity(value: i64, unit: &TimeUnitsType) -> Duration {
    if value <= 0 {
        return DEFAULT_REFRESH_VALIDITY;
    }
    let seconds_per_unit = match unit {
        TimeUnitsType::Seconds => 1,
        TimeUnitsType::Minutes => 60,
        TimeUnitsType::Hours => 3600,
        _ => 24 * 3600,
    };
    Duration::from_secs(value.unsigned_abs().saturating_mul(seconds_per_unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_units() {
        assert_eq!(refresh_validity(0, &TimeUnitsType::Days), DEFAULT_REFRESH_VALIDITY);
        assert_eq!(
            refresh_validity(2, &TimeUnitsType::Days),
            Duration::from_secs(2 * 86_400)
        );
        assert_eq!(
            refresh_validity(90, &TimeUnitsType::Minutes),
            Duration::from_secs(5_400)
        );
        assert_eq!(refresh_validity(12, &TimeUnitsType::Hours), Duration::from_secs(43_200));
        assert_eq!(
            refresh_validity(3_600, &TimeUnitsType::Seconds),
            Duration::from_secs(3_600)
        );
    }
}
