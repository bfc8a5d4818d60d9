//! Request and response bodies exactly as they travel (descope-api.md 1.4, 1.5).
//!
//! Requests accept both the SDK names and the docs names where they differ (`displayName` /
//! `name`, `additionalLoginIds` / `additionalIdentifiers`, `ssoAppIDs` / `ssoAppIds`), and every
//! field may be `null` because the Python SDK sends nulls for unset fields.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

// ----- users: requests -----

/// A tenant membership in a request: `{tenantId, roleNames}` (`tenantName` ignored).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantRef {
    /// Tenant ID.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Roles in that tenant.
    #[serde(default)]
    pub role_names: Option<Vec<String>>,
}

/// The user object of create, create/batch items, update and patch (descope-api.md 1.5).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRequest {
    /// Primary login ID.
    pub login_id: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Display name (SDK name).
    pub display_name: Option<String>,
    /// Display name (docs name).
    pub name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Picture URL.
    pub picture: Option<String>,
    /// Project roles.
    pub role_names: Option<Vec<String>>,
    /// Tenant memberships.
    pub user_tenants: Option<Vec<TenantRef>>,
    /// Custom attribute values.
    pub custom_attributes: Option<Map<String, Value>>,
    /// Email verified.
    pub verified_email: Option<bool>,
    /// Phone verified.
    pub verified_phone: Option<bool>,
    /// Extra login IDs (SDK name).
    pub additional_login_ids: Option<Vec<String>>,
    /// Extra login IDs (docs name).
    pub additional_identifiers: Option<Vec<String>>,
    /// SSO apps, create/update spelling.
    #[serde(rename = "ssoAppIDs")]
    pub sso_app_ids_upper: Option<Vec<String>>,
    /// SSO apps, patch/search spelling.
    pub sso_app_ids: Option<Vec<String>>,
    /// Test user.
    pub test: Option<bool>,
    /// `enabled|disabled|invited|expired`.
    pub status: Option<String>,
    /// Cleartext password (batch).
    pub password: Option<String>,
    /// Hashed password object with exactly one algorithm key (batch).
    pub hashed_password: Option<Value>,
    /// TOTP seed (batch).
    pub seed: Option<String>,
    /// Send an invitation (single create).
    pub invite: Option<bool>,
}

impl UserRequest {
    /// Display name under either spelling (SDK name wins).
    pub fn display_name(&self) -> Option<&String> {
        self.display_name.as_ref().or(self.name.as_ref())
    }

    /// Additional login IDs under either spelling (SDK name wins).
    pub fn additional_login_ids(&self) -> Option<&Vec<String>> {
        self.additional_login_ids
            .as_ref()
            .or(self.additional_identifiers.as_ref())
    }

    /// SSO app IDs under either spelling.
    pub fn sso_app_ids(&self) -> Option<&Vec<String>> {
        self.sso_app_ids_upper.as_ref().or(self.sso_app_ids.as_ref())
    }
}

/// `POST /v1/mgmt/user/create/batch`. Items stay raw JSON and are parsed one by one, so a
/// malformed item fails alone instead of failing the batch.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBatchRequest {
    /// Users to create ([`UserRequest`] each).
    pub users: Option<Vec<Value>>,
    /// Invite them (status `invited` unless an item says otherwise).
    pub invite: Option<bool>,
}

/// `PATCH /v1/mgmt/user/patch/batch`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchBatchRequest {
    /// Patches ([`UserRequest`] each, with its `loginId`).
    pub users: Option<Vec<Value>>,
}

/// Body naming one user: `{loginId}` or `{userId}`, plus the fields of the small update calls.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRefRequest {
    /// Login ID.
    pub login_id: Option<String>,
    /// User ID.
    pub user_id: Option<String>,
    /// New status (`update/status`).
    pub status: Option<String>,
    /// Attribute key (`update/customAttribute`).
    pub attribute_key: Option<String>,
    /// Attribute value, any JSON type (`update/customAttribute`).
    pub attribute_value: Option<Value>,
    /// Tenant (`role/*`, `tenant/*`).
    pub tenant_id: Option<String>,
    /// Roles (`role/*`).
    pub role_names: Option<Vec<String>>,
    /// Password (`password/set/*`).
    pub password: Option<String>,
    /// The replacement login ID (`update/loginid`).
    pub new_login_id: Option<String>,
}

/// `GET /v1/mgmt/user?loginId=..|userId=..`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadQuery {
    /// Login ID.
    pub login_id: Option<String>,
    /// User ID.
    pub user_id: Option<String>,
}

/// `POST /v1/mgmt/user/delete/batch` and `POST /v1/mgmt/users/load`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdsRequest {
    /// User IDs.
    pub user_ids: Option<Vec<String>>,
}

/// `{values, and}` of `tenantRoleNames` / `tenantRoleIds` search filters.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleFilter {
    /// Role names (or IDs).
    pub values: Option<Vec<String>>,
    /// Require all of them instead of any.
    pub and: Option<bool>,
}

/// `POST /v2/mgmt/user/search` (also served at the v1 path).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    /// Page size, 0 = default.
    pub limit: Option<i64>,
    /// Page, 0-based.
    pub page: Option<i64>,
    /// Any of these login IDs.
    pub login_ids: Option<Vec<String>>,
    /// Any of these user IDs.
    pub user_ids: Option<Vec<String>>,
    /// Any of these project roles.
    pub role_names: Option<Vec<String>>,
    /// Member of any of these tenants.
    pub tenant_ids: Option<Vec<String>>,
    /// Any of these statuses.
    pub statuses: Option<Vec<String>>,
    /// Any of these emails.
    pub emails: Option<Vec<String>>,
    /// Any of these phones.
    pub phones: Option<Vec<String>>,
    /// Key -> value or list of accepted values; all keys must match.
    pub custom_attributes: Option<Map<String, Value>>,
    /// Any of these SSO apps.
    pub sso_app_ids: Option<Vec<String>>,
    /// Free text, case-insensitive substring of IDs, names, email, phone.
    pub text: Option<String>,
    /// Only test users.
    pub test_users_only: Option<bool>,
    /// Include test users.
    pub with_test_user: Option<bool>,
    /// Created at or after (epoch ms).
    pub from_created_time: Option<i64>,
    /// Created at or before (epoch ms).
    pub to_created_time: Option<i64>,
    /// Tenant ID -> role names filter.
    pub tenant_role_names: Option<std::collections::HashMap<String, RoleFilter>>,
}

// ----- users: responses -----

/// A tenant membership in a response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTenantResponse {
    /// Tenant ID.
    pub tenant_id: String,
    /// Roles in that tenant.
    pub role_names: Vec<String>,
    /// Tenant name.
    pub tenant_name: String,
    /// Permissions those roles grant.
    pub permissions: Vec<String>,
}

/// The user object Descope answers with (docs field list, descope-api.md 1.5).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserResponse {
    /// Login IDs, primary first.
    pub login_ids: Vec<String>,
    /// `U2...`.
    pub user_id: String,
    /// Display name.
    pub name: String,
    /// Given name.
    pub given_name: String,
    /// Middle name.
    pub middle_name: String,
    /// Family name.
    pub family_name: String,
    /// Email.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Email verified.
    pub verified_email: bool,
    /// Phone verified.
    pub verified_phone: bool,
    /// Project roles.
    pub role_names: Vec<String>,
    /// Tenant memberships.
    pub user_tenants: Vec<UserTenantResponse>,
    /// Status.
    pub status: String,
    /// External IDs (mirrors the login IDs).
    pub external_ids: Vec<String>,
    /// Picture URL.
    pub picture: String,
    /// Test user.
    pub test: bool,
    /// Custom attributes.
    pub custom_attributes: Map<String, Value>,
    /// Creation time, epoch seconds.
    pub created_time: i64,
    /// Has TOTP.
    #[serde(rename = "TOTP")]
    pub totp: bool,
    /// Has SAML.
    #[serde(rename = "SAML")]
    pub saml: bool,
    /// OAuth providers used.
    #[serde(rename = "OAuth")]
    pub oauth: Map<String, Value>,
    /// Has passkeys.
    pub webauthn: bool,
    /// Has a password.
    pub password: bool,
    /// SSO apps.
    pub sso_app_ids: Vec<String>,
}

/// `{"user": {...}}`.
#[derive(Debug, Serialize)]
pub struct UserEnvelope {
    /// The user.
    pub user: UserResponse,
}

/// `{"users": [...]}` of search and load-by-ids; search adds `total`.
#[derive(Debug, Serialize)]
pub struct UsersEnvelope {
    /// The page of users.
    pub users: Vec<UserResponse>,
    /// Total matching users (search only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
}

/// A failed item of a batch: `{failure, user}`.
#[derive(Debug, Serialize)]
pub struct FailedUser {
    /// `[code] description: message`.
    pub failure: String,
    /// The user as it was asked for.
    pub user: Value,
}

/// `create/batch` answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBatchResponse {
    /// Users created.
    pub created_users: Vec<UserResponse>,
    /// Items refused.
    pub failed_users: Vec<FailedUser>,
    /// Errors not tied to one item (always empty here).
    pub additional_errors: Map<String, Value>,
}

/// `patch/batch` answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchBatchResponse {
    /// Users patched.
    pub patched_users: Vec<UserResponse>,
    /// Items refused.
    pub failed_users: Vec<FailedUser>,
    /// Errors not tied to one item (always empty here).
    pub additional_errors: Map<String, Value>,
}

// ----- roles -----

/// A role in `role/create` and `role/create/batch` bodies.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleRequest {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Permissions.
    pub permission_names: Option<Vec<String>>,
    /// Tenant of a tenant role.
    pub tenant_id: Option<String>,
    /// Default role.
    pub default: Option<bool>,
    /// Private role.
    pub private: Option<bool>,
}

/// `role/create/batch`.
#[derive(Debug, Default, Deserialize)]
pub struct RolesRequest {
    /// Roles.
    pub roles: Option<Vec<RoleRequest>>,
}

/// `role/search`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleSearchRequest {
    /// Roles of these tenants.
    pub tenant_ids: Option<Vec<String>>,
    /// These names.
    pub role_names: Option<Vec<String>>,
    /// Case-insensitive substring of the name.
    pub role_name_like: Option<String>,
    /// Granting any of these permissions.
    pub permission_names: Option<Vec<String>>,
    /// These IDs.
    pub role_ids: Option<Vec<String>>,
    /// With `tenantIds`: also project roles.
    pub include_project_roles: Option<bool>,
}

/// A role in answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleResponse {
    /// ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Permissions.
    pub permission_names: Vec<String>,
    /// Creation time, epoch seconds.
    pub created_time: i64,
    /// Tenant ("" for project roles).
    pub tenant_id: String,
    /// Default role.
    pub default: bool,
    /// Private role.
    pub private: bool,
}

/// `{"roles": [...]}`.
#[derive(Debug, Serialize)]
pub struct RolesEnvelope {
    /// Roles.
    pub roles: Vec<RoleResponse>,
}

// ----- tenants -----

/// `tenant/create`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantRequest {
    /// Optional caller-chosen ID.
    pub id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Self-provisioning domains.
    pub self_provisioning_domains: Option<Vec<String>>,
    /// Tenant custom attributes.
    pub custom_attributes: Option<Map<String, Value>>,
    /// SSO enforced.
    #[serde(rename = "enforceSSO")]
    pub enforce_sso: Option<bool>,
    /// Disabled.
    pub disabled: Option<bool>,
}

/// A tenant in answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantResponse {
    /// ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Self-provisioning domains.
    pub self_provisioning_domains: Vec<String>,
    /// Custom attributes.
    pub custom_attributes: Map<String, Value>,
    /// SSO enforced.
    #[serde(rename = "enforceSSO")]
    pub enforce_sso: bool,
    /// Disabled.
    pub disabled: bool,
    /// Creation time, epoch seconds.
    pub created_time: i64,
}

/// `{"id": ...}` of `tenant/create`.
#[derive(Debug, Serialize)]
pub struct TenantIdResponse {
    /// The tenant's ID.
    pub id: String,
}

/// `{"tenants": [...]}`.
#[derive(Debug, Serialize)]
pub struct TenantsEnvelope {
    /// Tenants.
    pub tenants: Vec<TenantResponse>,
}

// ----- custom attributes -----

/// `{value, label}`, or a bare string as the Python SDK sends.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OptionRequest {
    /// `{value, label}`.
    Full {
        /// Value.
        value: Option<String>,
        /// Label.
        label: Option<String>,
    },
    /// A bare value.
    Bare(String),
}

/// One definition in `customattribute/create`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeRequest {
    /// Machine name.
    pub name: Option<String>,
    /// Integer code, or a type name as the Python SDK sends.
    #[serde(rename = "type")]
    pub kind: Option<Value>,
    /// Select options.
    pub options: Option<Vec<OptionRequest>>,
    /// Display name.
    pub display_name: Option<String>,
    /// Default value.
    pub default_value: Option<Value>,
    /// View permissions.
    pub view_permissions: Option<Vec<String>>,
    /// Edit permissions.
    pub edit_permissions: Option<Vec<String>>,
    /// Editable.
    pub editable: Option<bool>,
}

/// `customattribute/create`.
#[derive(Debug, Default, Deserialize)]
pub struct AttributesRequest {
    /// Definitions.
    pub attributes: Option<Vec<AttributeRequest>>,
}

/// `customattribute/delete`.
#[derive(Debug, Default, Deserialize)]
pub struct AttributeNamesRequest {
    /// Names to delete.
    pub names: Option<Vec<String>>,
}

/// `{value, label}` in answers.
#[derive(Debug, Serialize)]
pub struct OptionResponse {
    /// Value.
    pub value: String,
    /// Label.
    pub label: String,
}

/// A definition in answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeResponse {
    /// Machine name.
    pub name: String,
    /// Integer type code.
    #[serde(rename = "type")]
    pub kind: i64,
    /// Options.
    pub options: Vec<OptionResponse>,
    /// Display name.
    pub display_name: String,
    /// Default value.
    pub default_value: Value,
    /// View permissions.
    pub view_permissions: Vec<String>,
    /// Edit permissions.
    pub edit_permissions: Vec<String>,
    /// Editable.
    pub editable: bool,
}

/// `{"data": [...], "total": N}`.
#[derive(Debug, Serialize)]
pub struct AttributesEnvelope {
    /// Definitions.
    pub data: Vec<AttributeResponse>,
    /// Number of definitions.
    pub total: usize,
}

// ----- extractor -----

/// A JSON body parsed leniently (no Content-Type needed, empty body = `{}`), refused with
/// Descope's E011001 body instead of axum's plain-text rejection.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = crate::error::ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| crate::error::ApiError::bad_request(e.body_text()))?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(bytes)
            .map(JsonBody)
            .map_err(|e| crate::error::ApiError::bad_request(format!("invalid JSON body: {e}")))
    }
}
