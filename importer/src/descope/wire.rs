//! Descope management API bodies, as the official SDKs send and read them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{AttributeDef, DesiredUser};

/// A user as Descope returns it (only the members the importer reads).
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
}

impl User {
    /// The Cognito identity this Descope user carries (`cognitoSub` + `cognitoPoolId`), if any.
    /// A user the first version imported carries a sub without a pool.
    pub fn cognito_identity(&self) -> (Option<&str>, Option<&str>) {
        let text = |name: &str| {
            self.custom_attributes
                .get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
        };
        (text(crate::mapping::COGNITO_SUB), text(crate::mapping::COGNITO_POOL_ID))
    }

    /// Whether this Descope user is the Cognito user `identity`: the same sub and pool, or the same
    /// sub on a user the first version imported (which recorded no pool; the run adds it).
    pub fn is(&self, identity: &crate::model::Identity) -> bool {
        match self.cognito_identity() {
            (Some(sub), Some(pool)) => sub == identity.sub && pool == identity.pool_id,
            (Some(sub), None) => sub == identity.sub,
            _ => false,
        }
    }

    /// Whether this user holds `login_id`, compared as Descope compares login IDs.
    pub fn holds(&self, login_id: &str) -> bool {
        let wanted = crate::mapping::fold_login_id(login_id);
        self.login_ids
            .iter()
            .any(|id| crate::mapping::fold_login_id(id) == wanted)
    }
}

/// `POST /v1/mgmt/user/history` response.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthHistory {
    /// One entry per sign-in.
    pub users_auth_history: Vec<SignIn>,
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
    /// The create/batch item for a new user: every field, roles or tenant, status.
    pub fn create(user: &DesiredUser) -> Self {
        let (role_names, user_tenants) = match &user.tenant {
            Some((tenant_id, roles)) => (
                None,
                Some(vec![UserTenant {
                    tenant_id: tenant_id.clone(),
                    role_names: roles.clone(),
                }]),
            ),
            None => (Some(user.roles.clone()), None),
        };
        Self {
            login_id: user.login_id.clone(),
            additional_login_ids: user.additional_login_ids.clone(),
            email: user.email.clone(),
            verified_email: user.verified_email,
            phone: user.phone.clone(),
            verified_phone: user.verified_phone,
            display_name: user.display_name.clone(),
            given_name: user.given_name.clone(),
            middle_name: user.middle_name.clone(),
            family_name: user.family_name.clone(),
            picture: user.picture.clone(),
            role_names,
            user_tenants,
            custom_attributes: Some({
                let mut attributes = user.custom_attributes.clone();
                // Which roles came from Cognito groups (see `diff::group_record`).
                let record = BTreeMap::from([(user.identity.pool_id.as_str(), &user.groups)]);
                attributes.insert(
                    crate::mapping::COGNITO_GROUPS.to_owned(),
                    Value::String(serde_json::to_string(&record).unwrap_or_default()),
                );
                attributes
            }),
            status: Some(user.status.as_str().to_owned()),
        }
    }

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
    /// Never invite: migrated users sign in through the project's flows.
    pub invite: bool,
    /// No email from the migration.
    pub send_mail: bool,
    /// No SMS from the migration.
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

/// The create body of one definition, as the official migration tool sends it.
pub fn attribute_body(def: &AttributeDef) -> Value {
    serde_json::json!({
        "name": def.name,
        "type": def.kind.descope_code(),
        "options": [],
        "displayName": def.name,
        "defaultValue": {},
        "viewPermissions": [],
        "editPermissions": [],
        "editable": true,
    })
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
