//! The real [`Directory`]: Cognito's `ListUsers` (filtered by `sub` or by email) and
//! `AdminLinkProviderForUser`, through the AWS SDK.

use aws_sdk_cognitoidentityprovider::{Client, error::DisplayErrorContext, types::ProviderUserIdentifierType};

use crate::{Directory, DirectoryError, DirectoryUser, Link};

/// The provider name of native users in `AdminLinkProviderForUser`'s `DestinationUser`.
pub const COGNITO_PROVIDER: &str = "Cognito";
/// The attribute that identifies an OIDC user in `SourceUser`: the `sub` from the provider.
pub const SUBJECT_ATTRIBUTE: &str = "Cognito_Subject";

/// Cognito through the SDK (credentials and endpoint from the standard chain).
#[derive(Debug, Clone)]
pub struct CognitoDirectory {
    client: Client,
}

impl CognitoDirectory {
    /// Over this client.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn sdk_error<E: std::error::Error + 'static>(call: &str, error: E) -> DirectoryError {
    DirectoryError(format!("{call}: {}", DisplayErrorContext(error)))
}

impl CognitoDirectory {
    /// Every user matching `filter` (all pages).
    async fn list_users(&self, user_pool_id: &str, filter: String) -> Result<Vec<DirectoryUser>, DirectoryError> {
        let mut users = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_users()
                .user_pool_id(user_pool_id)
                .filter(filter.clone())
                .set_pagination_token(token.take())
                .send()
                .await
                .map_err(|e| sdk_error("ListUsers", e))?;
            for user in page.users() {
                let Some(username) = user.username() else { continue };
                let email_verified = user
                    .attributes()
                    .iter()
                    .any(|a| a.name() == "email_verified" && a.value().is_some_and(|v| v.eq_ignore_ascii_case("true")));
                users.push(DirectoryUser {
                    username: username.to_owned(),
                    status: user.user_status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    email_verified,
                });
            }
            match page.pagination_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => return Ok(users),
            }
        }
    }
}

impl Directory for CognitoDirectory {
    async fn find_users_by_sub(&self, user_pool_id: &str, sub: &str) -> Result<Vec<DirectoryUser>, DirectoryError> {
        self.list_users(user_pool_id, format!("sub = \"{sub}\"")).await
    }

    async fn find_users_by_email(&self, user_pool_id: &str, email: &str) -> Result<Vec<DirectoryUser>, DirectoryError> {
        self.list_users(user_pool_id, format!("email = \"{email}\"")).await
    }

    async fn link(&self, user_pool_id: &str, link: &Link) -> Result<(), DirectoryError> {
        let destination = ProviderUserIdentifierType::builder()
            .provider_name(COGNITO_PROVIDER)
            .provider_attribute_value(&link.destination_username)
            .build();
        let source = ProviderUserIdentifierType::builder()
            .provider_name(&link.provider_name)
            .provider_attribute_name(SUBJECT_ATTRIBUTE)
            .provider_attribute_value(&link.subject)
            .build();
        self.client
            .admin_link_provider_for_user()
            .user_pool_id(user_pool_id)
            .destination_user(destination)
            .source_user(source)
            .send()
            .await
            .map_err(|e| sdk_error("AdminLinkProviderForUser", e))?;
        Ok(())
    }
}
