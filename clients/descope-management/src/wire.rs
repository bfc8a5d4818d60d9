//! Descope management API bodies, as the official SDKs send and read them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A user as Descope returns it (the members callers read; the rest is ignored).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    /// Descope's user ID.
    pub user_id: String,
    /// All login IDs, primary first.
    pub login_ids: Vec<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Display name (`name` in responses).
    pub name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Picture URL.
    pub picture: Option<String>,
    /// Email verified.
    pub verified_email: Option<bool>,
    /// Phone verified.
    pub verified_phone: Option<bool>,
    /// `enabled`, `disabled`, `invited`...
    pub status: String,
    /// Project roles.
    pub role_names: Vec<String>,
    /// Tenant memberships.
    pub user_tenants: Vec<UserTenant>,
    /// Custom attributes.
    pub custom_attributes: BTreeMap<String, Value>,
    /// Whether the user has a password (active, temporary or expired).
    pub password: bool,
}

impl User {
    /// A custom attribute's value when it is non-empty text.
    pub fn custom_text(&self, name: &str) -> Option<&str> {
        self.custom_attributes
            .get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Whether this user holds `login_id`, compared as Descope compares login IDs
    /// ([`fold_login_id`](crate::fold_login_id)).
    pub fn holds(&self, login_id: &str) -> bool {
        let wanted = crate::fold_login_id(login_id);
        self.login_ids.iter().any(|id| crate::fold_login_id(id) == wanted)
    }
}

/// `POST /v1/mgmt/user/history` response. Unconfirmed which shape Descope sends: go-sdk reads a
/// bare array of sign-ins, the emulator (and python-sdk's pass-through) an object with
/// `usersAuthHistory`; both are read.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AuthHistory {
    /// `[{...}, ...]`.
    List(Vec<SignIn>),
    /// `{"usersAuthHistory": [{...}, ...]}`.
    Wrapped {
        /// One entry per sign-in.
        #[serde(rename = "usersAuthHistory", default)]
        users_auth_history: Vec<SignIn>,
    },
}

impl AuthHistory {
    /// The sign-ins, whichever shape carried them.
    pub fn into_sign_ins(self) -> Vec<SignIn> {
        match self {
            Self::List(sign_ins)
            | Self::Wrapped {
                users_auth_history: sign_ins,
            } => sign_ins,
        }
    }
}

/// One sign-in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SignIn {
    /// Who signed in.
    pub user_id: String,
    /// When (epoch seconds).
    pub login_time: i64,
}

/// A tenant membership in a user object.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct UserTenant {
    /// Tenant ID.
    pub tenant_id: String,
    /// Roles in the tenant.
    pub role_names: Vec<String>,
}

/// One user in a create/batch or patch/batch request.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserBody {
    /// Primary login ID.
    pub login_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    /// Other login IDs (SDK wire name).
    pub additional_login_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Email.
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Email verified.
    pub verified_email: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Phone.
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Phone verified.
    pub verified_phone: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Display name (SDK wire name; responses call it `name`).
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Given name.
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Middle name.
    pub middle_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Family name.
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Picture URL.
    pub picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Project roles (never sent together with `userTenants`).
    pub role_names: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Tenant memberships.
    pub user_tenants: Option<Vec<UserTenant>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Custom attributes.
    pub custom_attributes: Option<BTreeMap<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// `enabled` / `disabled` (create/batch only).
    pub status: Option<String>,
}

impl UserBody {
    /// An empty patch for `login_id`; the caller sets what must change.
    pub fn patch(login_id: &str) -> Self {
        Self {
            login_id: login_id.to_owned(),
            additional_login_ids: Vec::new(),
            email: None,
            verified_email: None,
            phone: None,
            verified_phone: None,
            display_name: None,
            given_name: None,
            middle_name: None,
            family_name: None,
            picture: None,
            role_names: None,
            user_tenants: None,
            custom_attributes: None,
            status: None,
        }
    }
}

/// `POST /v1/mgmt/user/create/batch` request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBatch<'a> {
    /// The users.
    pub users: &'a [UserBody],
    /// Send an invitation.
    pub invite: bool,
    /// Send the invitation by email.
    pub send_mail: bool,
    /// Send the invitation by SMS.
    #[serde(rename = "sendSMS")]
    pub send_sms: bool,
}

/// Result of a batch call: who was written, who failed and why.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BatchResult {
    /// Created users (create/batch).
    pub created_users: Vec<User>,
    /// Patched users (patch/batch).
    pub patched_users: Vec<User>,
    /// Users that failed, with the reason.
    pub failed_users: Vec<FailedUser>,
}

/// One failed user of a batch.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FailedUser {
    /// Descope's reason text.
    pub failure: String,
    /// The user as sent (its `loginId` names it).
    pub user: Value,
}

impl FailedUser {
    /// The login ID of the failed user, from the echoed body (`loginId`, or the first `loginIds`).
    pub fn login_id(&self) -> Option<&str> {
        self.user.get("loginId").and_then(Value::as_str).or_else(|| {
            self.user
                .get("loginIds")
                .and_then(|ids| ids.get(0))
                .and_then(Value::as_str)
        })
    }
}

/// The filters of a user search (`POST /v2/mgmt/user/search`); the search calls add the paging.
/// Test users are always included, as any other user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserSearch {
    /// Users holding any of these login IDs.
    pub login_ids: Vec<String>,
    /// Custom attribute filters, all of which must hold: a value, or an array of values meaning
    /// "any of".
    pub custom_attributes: BTreeMap<String, Value>,
}

impl UserSearch {
    /// Users holding any of `login_ids`.
    pub fn login_ids(login_ids: &[String]) -> Self {
        Self {
            login_ids: login_ids.to_vec(),
            ..Self::default()
        }
    }

    /// Adds a custom attribute filter: `value` itself, or, for an array, any of its values.
    #[must_use]
    pub fn custom_attribute(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.custom_attributes.insert(name.to_owned(), value.into());
        self
    }
}

/// One page request of a search, as sent. Fields are in the wire names' alphabetical order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchPage<'a> {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_attributes: &'a BTreeMap<String, Value>,
    pub limit: usize,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub login_ids: &'a [String],
    pub page: usize,
    pub with_test_user: bool,
}

/// `POST /v2/mgmt/user/search` response.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchResult {
    /// Matching users of this page.
    pub users: Vec<User>,
    /// All matching users.
    pub total: Option<u64>,
}

/// A custom attribute definition as Descope lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AttributeDefinition {
    /// Machine name.
    pub name: String,
    /// Type code (1 String, 2 Number, 3 Boolean).
    #[serde(rename = "type")]
    pub kind: Value,
}

impl Default for AttributeDefinition {
    fn default() -> Self {
        Self {
            name: String::new(),
            kind: Value::Null,
        }
    }
}

/// `GET /v1/mgmt/user/customattributes` response.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AttributeList {
    /// Definitions.
    pub data: Vec<AttributeDefinition>,
}

/// One definition of a `POST /v1/mgmt/user/customattribute/create` request, with the members the
/// official migration tool sends. Fields are in the wire names' alphabetical order, the order a
/// `serde_json::json!` body had.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NewCustomAttribute {
    /// Default value (`{}`: none).
    pub default_value: Value,
    /// Name shown in the console.
    pub display_name: String,
    /// Roles that may edit it (empty: the defaults).
    pub edit_permissions: Vec<String>,
    /// Editable in the console.
    pub editable: bool,
    /// Machine name.
    pub name: String,
    /// Options of a select attribute (`{value, label}`).
    pub options: Vec<Value>,
    /// Type code (1 String, 2 Number, 3 Boolean).
    #[serde(rename = "type")]
    pub kind: i64,
    /// Roles that may see it (empty: the defaults).
    pub view_permissions: Vec<String>,
}

impl NewCustomAttribute {
    /// A plain definition: `name` as display name, no default, no options, editable, default
    /// permissions.
    pub fn new(name: &str, kind: i64) -> Self {
        Self {
            default_value: Value::Object(serde_json::Map::new()),
            display_name: name.to_owned(),
            edit_permissions: Vec::new(),
            editable: true,
            name: name.to_owned(),
            options: Vec::new(),
            kind,
            view_permissions: Vec::new(),
        }
    }
}

/// A role as Descope lists it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Role {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Tenant, for tenant roles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

/// `GET /v1/mgmt/role/all` response.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleList {
    /// Roles.
    pub roles: Vec<Role>,
}

/// A tenant as Descope lists it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Tenant {
    /// ID.
    pub id: String,
    /// Name.
    pub name: String,
}

/// `GET /v1/mgmt/tenant/all` response.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TenantList {
    /// Tenants.
    pub tenants: Vec<Tenant>,
}

/// Descope's error body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorBody {
    /// `E...` code.
    pub error_code: String,
    /// Description.
    pub error_description: String,
    /// Message.
    pub error_message: String,
}

/// `POST /v1/mgmt/user/password/set/active` body (python-sdk `set_active_password`). Borrows the
/// password: the one copy the client makes is the JSON body reqwest sends.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SetActivePassword<'a> {
    pub login_id: &'a str,
    pub password: &'a str,
    pub set_active: bool,
}

/// Options of a management sign-in (`POST /v1/mgmt/auth/signin`). The step-up and MFA variants,
/// which need the user's current JWT, are not offered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MgmtSignInOptions {
    /// Log the user's other Descope sessions out first.
    pub revoke_other_sessions: bool,
    /// Claims added to the session token (Descope filters out its system claims).
    pub custom_claims: BTreeMap<String, Value>,
    /// How long the refresh token lasts, in seconds; `None`: the project's setting. Descope reads
    /// 0 as "the project's setting", so a duration here is never zero.
    pub refresh_duration_secs: Option<std::num::NonZeroU32>,
}

/// `POST /v1/mgmt/auth/signin` body, as the SDKs send it (go-sdk `authenticationRequestBody`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MgmtSignInBody<'a> {
    pub login_id: &'a str,
    pub stepup: bool,
    pub mfa: bool,
    pub revoke_other_sessions: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_claims: &'a BTreeMap<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_duration: Option<u32>,
}

/// Descope's JWT response (go-sdk `JWTResponse`): a session and its refresh token, for the user.
/// The JWTs are [`Secret`](crate::Secret)s: whoever holds them is signed in as the user.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatedSession {
    /// The session JWT (`drn: "DS"`), what an app sends as its bearer token.
    pub session_jwt: crate::Secret,
    /// The refresh JWT (`drn: "DSR"`), what refreshes the session.
    pub refresh_jwt: crate::Secret,
    /// The user signed in.
    #[serde(default)]
    pub user: User,
    /// Whether this was the user's first sign-in (go-sdk omits it when false).
    #[serde(default)]
    pub first_seen: bool,
    /// When the refresh cookie expires (epoch seconds), if Descope says.
    #[serde(default)]
    pub cookie_expiration: i64,
}
