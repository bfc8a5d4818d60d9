//! The Management API operations, named for what they do in Descope.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    DescopeClient, DescopeError, Secret,
    wire::{
        AttributeDefinition, AttributeList, AuthHistory, AuthenticatedSession, BatchResult, CreateBatch,
        MgmtSignInBody, MgmtSignInOptions, NewCustomAttribute, Role, RoleList, SearchPage, SearchResult,
        SetActivePassword, SignIn, Tenant, TenantList, User, UserBody, UserSearch,
    },
};

/// Descope's code for "no such user" on management calls (go-sdk `ErrManagementUserNotFound`).
pub const USER_NOT_FOUND: &str = "E112102";

/// `{"user": {...}}`.
#[derive(Deserialize)]
struct UserEnvelope {
    user: User,
}

/// Percent-encodes a query value (everything but RFC 3986's unreserved characters), so login IDs
/// such as `a+b@example.com` arrive as typed.
fn query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The largest page a search asks for.
const MAX_PAGE: usize = 100;

impl DescopeClient {
    /// Every custom attribute definition of the project (`GET /v1/mgmt/user/customattributes`).
    pub async fn custom_attributes(&self) -> Result<Vec<AttributeDefinition>, DescopeError> {
        Ok(self.get::<AttributeList>("/v1/mgmt/user/customattributes").await?.data)
    }

    /// Creates custom attribute definitions in one call (`POST /v1/mgmt/user/customattribute/create`).
    pub async fn create_custom_attributes(&self, attributes: &[NewCustomAttribute]) -> Result<(), DescopeError> {
        self.post::<_, Value>(
            "/v1/mgmt/user/customattribute/create",
            &json!({ "attributes": attributes }),
        )
        .await?;
        Ok(())
    }

    /// Every role of the project, tenant roles included (`GET /v1/mgmt/role/all`).
    pub async fn roles(&self) -> Result<Vec<Role>, DescopeError> {
        Ok(self.get::<RoleList>("/v1/mgmt/role/all").await?.roles)
    }

    /// Creates roles in one call (`POST /v1/mgmt/role/create/batch`; Descope applies a role batch
    /// atomically).
    pub async fn create_roles(&self, roles: &[Role]) -> Result<(), DescopeError> {
        self.post::<_, Value>("/v1/mgmt/role/create/batch", &json!({ "roles": roles }))
            .await?;
        Ok(())
    }

    /// Every tenant of the project (`GET /v1/mgmt/tenant/all`).
    pub async fn tenants(&self) -> Result<Vec<Tenant>, DescopeError> {
        Ok(self.get::<TenantList>("/v1/mgmt/tenant/all").await?.tenants)
    }

    /// Creates a tenant with this ID and name, without self-provisioning domains
    /// (`POST /v1/mgmt/tenant/create`).
    pub async fn create_tenant(&self, id: &str, name: &str) -> Result<(), DescopeError> {
        let body = json!({ "id": id, "name": name, "selfProvisioningDomains": [] });
        self.post::<_, Value>("/v1/mgmt/tenant/create", &body).await?;
        Ok(())
    }

    /// Creates users in one call without inviting them: no email, no SMS
    /// (`POST /v1/mgmt/user/create/batch`). Users Descope refuses are in the result's
    /// `failed_users`, with the reason.
    pub async fn create_users(&self, users: &[UserBody]) -> Result<BatchResult, DescopeError> {
        let body = CreateBatch {
            users,
            invite: false,
            send_mail: false,
            send_sms: false,
        };
        self.post("/v1/mgmt/user/create/batch", &body).await
    }

    /// Patches users in one call, each only in the fields its body carries
    /// (`PATCH /v1/mgmt/user/patch/batch`).
    pub async fn patch_users(&self, users: &[UserBody]) -> Result<BatchResult, DescopeError> {
        self.patch("/v1/mgmt/user/patch/batch", &json!({ "users": users }))
            .await
    }

    /// Sets a user's status, `enabled` or `disabled` (`POST /v1/mgmt/user/update/status`).
    pub async fn update_status(&self, login_id: &str, status: &str) -> Result<(), DescopeError> {
        let body = json!({ "loginId": login_id, "status": status });
        self.post::<_, Value>("/v1/mgmt/user/update/status", &body).await?;
        Ok(())
    }

    /// Replaces the login ID `old` of a user with `new` (`POST /v1/mgmt/user/update/loginid`).
    pub async fn update_login_id(&self, old: &str, new: &str) -> Result<(), DescopeError> {
        let body = json!({ "loginId": old, "newLoginId": new });
        self.post::<_, Value>("/v1/mgmt/user/update/loginid", &body).await?;
        Ok(())
    }

    /// Ends every session of the user (`POST /v1/mgmt/user/logout`).
    pub async fn logout_user(&self, login_id: &str) -> Result<(), DescopeError> {
        self.post::<_, Value>("/v1/mgmt/user/logout", &json!({ "loginId": login_id }))
            .await?;
        Ok(())
    }

    /// The user holding `login_id` (`GET /v1/mgmt/user?loginId=`), `None` when there is none
    /// (Descope's E112102).
    pub async fn load_user(&self, login_id: &str) -> Result<Option<User>, DescopeError> {
        self.load_user_by(&format!("/v1/mgmt/user?loginId={}", query_value(login_id)))
            .await
    }

    /// The user with this user ID (`GET /v1/mgmt/user?userId=`), `None` when there is none.
    pub async fn load_user_by_id(&self, user_id: &str) -> Result<Option<User>, DescopeError> {
        self.load_user_by(&format!("/v1/mgmt/user?userId={}", query_value(user_id)))
            .await
    }

    async fn load_user_by(&self, path: &str) -> Result<Option<User>, DescopeError> {
        match self.get::<UserEnvelope>(path).await {
            Ok(envelope) => Ok(Some(envelope.user)),
            Err(DescopeError::Api { code, .. }) if code == USER_NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sets the user's active password: the user can sign in with it at once
    /// (`POST /v1/mgmt/user/password/set/active`). Descope refuses a password its policy rejects
    /// with an [`DescopeError::Api`] (a 4xx); the password is never in an error or a log line.
    pub async fn set_active_password(&self, login_id: &str, password: &Secret) -> Result<(), DescopeError> {
        let body = SetActivePassword {
            login_id,
            password: password.expose(),
            set_active: true,
        };
        self.post::<_, Value>("/v1/mgmt/user/password/set/active", &body)
            .await?;
        Ok(())
    }

    /// A Descope session for the user holding `login_id`, made without the user
    /// (`POST /v1/mgmt/auth/signin`, the SDKs' management `SignIn`): a session JWT, its refresh
    /// JWT and the user. Descope records it as a sign-in. An unknown user is an
    /// [`DescopeError::Api`] with code [`USER_NOT_FOUND`]; a disabled one is refused too.
    ///
    /// Retried like every call (5xx, dropped connections): a sign-in whose answer was lost may
    /// leave an extra session in Descope that nobody holds, and an extra auth-history entry.
    pub async fn sign_in(
        &self,
        login_id: &str,
        options: &MgmtSignInOptions,
    ) -> Result<AuthenticatedSession, DescopeError> {
        let path = "/v1/mgmt/auth/signin";
        let body = MgmtSignInBody {
            login_id,
            stepup: false,
            mfa: false,
            revoke_other_sessions: options.revoke_other_sessions,
            custom_claims: &options.custom_claims,
            refresh_duration: options.refresh_duration_secs.map(std::num::NonZeroU32::get),
        };
        let session: AuthenticatedSession = self.post(path, &body).await?;
        if session.session_jwt.is_empty() || session.refresh_jwt.is_empty() {
            return Err(DescopeError::BadResponse {
                path: path.to_owned(),
                detail: "the answer lacks sessionJwt or refreshJwt".to_owned(),
            });
        }
        Ok(session)
    }

    /// Deletes the user (`POST /v1/mgmt/user/delete`).
    pub async fn delete_user(&self, login_id: &str) -> Result<(), DescopeError> {
        self.post::<_, Value>("/v1/mgmt/user/delete", &json!({ "loginId": login_id }))
            .await?;
        Ok(())
    }

    /// The sign-ins of these users in Descope's auth history (`POST /v1/mgmt/user/history`, body:
    /// the user IDs); none asked, none sent.
    pub async fn users_auth_history(&self, user_ids: &[String]) -> Result<Vec<SignIn>, DescopeError> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let history: AuthHistory = self.post("/v1/mgmt/user/history", &user_ids).await?;
        Ok(history.into_sign_ins())
    }

    /// The users holding any of `login_ids`, page by page until all are read (never more users
    /// than login IDs: more could never match).
    pub async fn users_by_login_ids(&self, login_ids: &[String]) -> Result<Vec<User>, DescopeError> {
        self.search_users(&UserSearch::login_ids(login_ids), login_ids.len(), login_ids.len())
            .await
    }

    /// The users (at most `at_most`) whose custom attributes hold exactly these text values, each
    /// pair checked again on the answer, so a match never rests on the search honouring every
    /// filter. The bridges find the one user carrying a Cognito identity this way.
    pub async fn users_with_custom_text(
        &self,
        attributes: &[(&str, &str)],
        at_most: usize,
    ) -> Result<Vec<User>, DescopeError> {
        let search = attributes.iter().fold(UserSearch::default(), |search, (name, value)| {
            search.custom_attribute(name, *value)
        });
        let mut users = self.search_users(&search, at_most, at_most).await?;
        users.retain(|user| {
            attributes
                .iter()
                .all(|(name, value)| user.custom_text(name) == Some(*value))
        });
        Ok(users)
    }

    /// Runs one search (`POST /v2/mgmt/user/search`, test users included) page by page until every
    /// match is read, or `at_most` users. Pages hold `expected` users (1 to 100): the number the
    /// filter usually matches, so most searches take one call; `expected` 0 sends nothing.
    pub async fn search_users(
        &self,
        search: &UserSearch,
        expected: usize,
        at_most: usize,
    ) -> Result<Vec<User>, DescopeError> {
        let mut found = Vec::new();
        if expected == 0 {
            return Ok(found);
        }
        let limit = expected.clamp(1, MAX_PAGE);
        for page in 0.. {
            let body = SearchPage {
                custom_attributes: &search.custom_attributes,
                limit,
                login_ids: &search.login_ids,
                page,
                with_test_user: true,
            };
            let result: SearchResult = self.post("/v2/mgmt/user/search", &body).await?;
            let got = result.users.len();
            found.extend(result.users);
            let total = result
                .total
                .map_or(usize::MAX, |t| usize::try_from(t).unwrap_or(usize::MAX));
            // Stop on a short page or when all are read.
            if got < limit || found.len() >= total || found.len() >= at_most {
                break;
            }
        }
        Ok(found)
    }
}
