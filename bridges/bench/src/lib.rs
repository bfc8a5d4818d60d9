//! The bare Cognito calls the bridge functions make, as data: the yardstick of `bridge-bench`.
//!
//! The harness (`benches/bridges.rs`) sends a [`CognitoCall`] in-process for the warm bare call,
//! and `bridge-baseline` sends the one its Lambda event carries (the cold-start and warm yardstick
//! under the Runtime API stand-in), so both time exactly the SDK call the function makes. The
//! event is the call in Cognito's own wire names:
//!
//! ```json
//! {"operation": "AdminInitiateAuth", "UserPoolId": "us-east-1_x", "ClientId": "abc",
//!  "AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "ivan", "PASSWORD": "..."}}
//! ```

use std::collections::BTreeMap;

use aws_sdk_cognitoidentityprovider::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    types::AuthFlowType,
};
use serde::{Deserialize, Serialize};

/// One Cognito call a bridge function makes. `AuthParameters` carry a password or a refresh
/// token, so `Debug` shows only the operation, the flow and the parameters' names.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "operation", rename_all_fields = "PascalCase", deny_unknown_fields)]
pub enum CognitoCall {
    /// `AdminInitiateAuth` (the password check: `ADMIN_USER_PASSWORD_AUTH`).
    AdminInitiateAuth {
        /// The pool.
        user_pool_id: String,
        /// The app client.
        client_id: String,
        /// `ADMIN_USER_PASSWORD_AUTH`, ...
        auth_flow: String,
        /// `USERNAME`, `PASSWORD`, `SECRET_HASH`, ...
        auth_parameters: BTreeMap<String, String>,
    },
    /// `InitiateAuth` (the session exchange: `REFRESH_TOKEN_AUTH`).
    InitiateAuth {
        /// The app client.
        client_id: String,
        /// `REFRESH_TOKEN_AUTH`, ...
        auth_flow: String,
        /// `REFRESH_TOKEN`, `SECRET_HASH`, ...
        auth_parameters: BTreeMap<String, String>,
    },
}

impl std::fmt::Debug for CognitoCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (operation, flow, parameters) = self.parts();
        f.debug_struct(operation)
            .field("auth_flow", &flow)
            .field("auth_parameters", &parameters.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl CognitoCall {
    /// The operation and the flow, e.g. `AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH` (for tables).
    pub fn describe(&self) -> String {
        let (operation, flow, _) = self.parts();
        format!("{operation} {flow}")
    }

    fn parts(&self) -> (&'static str, &str, &BTreeMap<String, String>) {
        match self {
            Self::AdminInitiateAuth {
                auth_flow,
                auth_parameters,
                ..
            } => ("AdminInitiateAuth", auth_flow, auth_parameters),
            Self::InitiateAuth {
                auth_flow,
                auth_parameters,
                ..
            } => ("InitiateAuth", auth_flow, auth_parameters),
        }
    }

    /// `AdminInitiateAuth` with `ADMIN_USER_PASSWORD_AUTH`, as the password check sends it (no
    /// `SECRET_HASH`: the bench's app client has no secret).
    pub fn admin_password_auth(user_pool_id: &str, client_id: &str, username: &str, password: &str) -> Self {
        Self::AdminInitiateAuth {
            user_pool_id: user_pool_id.to_owned(),
            client_id: client_id.to_owned(),
            auth_flow: "ADMIN_USER_PASSWORD_AUTH".to_owned(),
            auth_parameters: [("USERNAME", username), ("PASSWORD", password)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// Sends the call and names Cognito's answer: `tokens`, `challenge:<name>`,
    /// `error:<code>` (a service error, e.g. `error:NotAuthorizedException`) or `failed: ...`
    /// (no answer: transport, timeout). The harness compares these labels, so a yardstick that
    /// did something else than the function (a wrong password where the function had the right
    /// one) is caught.
    pub async fn send(&self, client: &Client) -> String {
        let result = match self {
            Self::AdminInitiateAuth {
                user_pool_id,
                client_id,
                auth_flow,
                auth_parameters,
            } => client
                .admin_initiate_auth()
                .user_pool_id(user_pool_id)
                .client_id(client_id)
                .auth_flow(AuthFlowType::from(auth_flow.as_str()))
                .set_auth_parameters(Some(auth_parameters.clone().into_iter().collect()))
                .send()
                .await
                .map(|out| label(out.authentication_result().is_some(), out.challenge_name()))
                .map_err(|e| label_error(&e)),
            Self::InitiateAuth {
                client_id,
                auth_flow,
                auth_parameters,
            } => client
                .initiate_auth()
                .client_id(client_id)
                .auth_flow(AuthFlowType::from(auth_flow.as_str()))
                .set_auth_parameters(Some(auth_parameters.clone().into_iter().collect()))
                .send()
                .await
                .map(|out| label(out.authentication_result().is_some(), out.challenge_name()))
                .map_err(|e| label_error(&e)),
        };
        result.unwrap_or_else(|error| error)
    }
}

fn label(tokens: bool, challenge: Option<&aws_sdk_cognitoidentityprovider::types::ChallengeNameType>) -> String {
    match (tokens, challenge) {
        (true, _) => "tokens".to_owned(),
        (false, Some(name)) => format!("challenge:{}", name.as_str()),
        (false, None) => "empty answer".to_owned(),
    }
}

fn label_error<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    error: &SdkError<E, R>,
) -> String {
    match error {
        SdkError::ServiceError(service) => format!("error:{}", service.err().code().unwrap_or("unknown")),
        _ => format!("failed: {}", DisplayErrorContext(error)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_event_is_the_call_in_cognito_wire_names_and_debug_hides_the_password() {
        let call = CognitoCall::admin_password_auth("us-east-1_x", "abc", "ivan", "Secret-1");
        let wire = serde_json::to_value(&call).unwrap();
        assert_eq!(
            wire,
            json!({"operation": "AdminInitiateAuth", "UserPoolId": "us-east-1_x", "ClientId": "abc",
                   "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                   "AuthParameters": {"PASSWORD": "Secret-1", "USERNAME": "ivan"}})
        );
        assert_eq!(serde_json::from_value::<CognitoCall>(wire).unwrap(), call);
        let debug = format!("{call:?}");
        assert!(
            debug.contains("AdminInitiateAuth") && !debug.contains("Secret-1"),
            "{debug}"
        );
        assert_eq!(call.describe(), "AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH");
        let refresh = json!({"operation": "InitiateAuth", "ClientId": "abc", "AuthFlow": "REFRESH_TOKEN_AUTH",
                             "AuthParameters": {"REFRESH_TOKEN": "t"}});
        assert!(matches!(
            serde_json::from_value::<CognitoCall>(refresh).unwrap(),
            CognitoCall::InitiateAuth { .. }
        ));
        let typo = json!({"operation": "InitiateAuth", "ClientID": "abc", "AuthFlow": "X", "AuthParameters": {}});
        assert!(serde_json::from_value::<CognitoCall>(typo).is_err());
    }
}
