//! Domain types: what the importer reads from Cognito and what it wants a Descope user to be.
//! Wire formats live in `cognito` and `descope`; these types are shared by mapping, planning,
//! migration and verification.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// A Cognito user as listed by `ListUsers`, independent of the SDK's types.
#[derive(Debug, Clone, PartialEq)]
pub struct CognitoUser {
    /// The Cognito username (a UUID in pools that sign in by email alias).
    pub username: String,
    /// Attributes by name (`email`, `custom:plan`, `sub`...).
    pub attributes: BTreeMap<String, String>,
    /// `false` for users an administrator disabled.
    pub enabled: bool,
    /// `UserStatus` as Cognito names it (`CONFIRMED`, `FORCE_CHANGE_PASSWORD`...).
    pub status: String,
    /// `UserCreateDate`, seconds since the epoch.
    pub created_at: Option<i64>,
}

/// The type Cognito declares for a custom attribute, and the Descope type it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AttrType {
    /// Text.
    String,
    /// A number (Cognito stores it as text; Descope as a JSON number).
    Number,
    /// `true` / `false`.
    Boolean,
    /// A point in time, written to Descope as RFC 3339 text (see `mapping`).
    DateTime,
}

impl AttrType {
    /// Descope's integer type code (1 String, 2 Number, 3 Boolean, per the official migration tool).
    /// Descope's code for dates is undocumented, so DateTime values go into a String attribute as
    /// RFC 3339 text, which every reading of the API accepts.
    pub fn descope_code(self) -> i64 {
        match self {
            Self::String | Self::DateTime => 1,
            Self::Number => 2,
            Self::Boolean => 3,
        }
    }

    /// The Descope type name of a code, for messages.
    pub fn code_name(code: i64) -> &'static str {
        match code {
            1 => "String",
            2 => "Number",
            3 => "Boolean",
            _ => "other",
        }
    }
}

/// A custom attribute definition the importer needs in Descope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeDef {
    /// The Descope machine name.
    pub name: String,
    /// Its type.
    pub kind: AttrType,
    /// Where it comes from, for the plan and the docs (`custom:plan`, `Cognito username`...).
    pub source: String,
}

/// A Cognito group, which becomes a Descope role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The group name, which is the role name.
    pub name: String,
    /// The group description, which becomes the role description.
    pub description: Option<String>,
}

/// One user pool to import, optionally into a Descope tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolTarget {
    /// The Cognito user pool ID.
    pub pool_id: String,
    /// The Descope tenant the pool's users join, with their groups as tenant roles.
    pub tenant: Option<String>,
}

/// Enabled or disabled, as both sides know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// May sign in.
    Enabled,
    /// May not sign in.
    Disabled,
}

impl Status {
    /// Descope's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
        }
    }
}

/// What a Descope user must look like after the migration of one Cognito user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredUser {
    /// The pool this user comes from (index into the run's pools).
    pub pool: usize,
    /// The Cognito username, for reports.
    pub cognito_username: String,
    /// The primary login ID.
    pub login_id: String,
    /// Other login IDs, when the strategy keeps them.
    pub additional_login_ids: Vec<String>,
    /// Email address.
    pub email: Option<String>,
    /// Whether Cognito verified the email.
    pub verified_email: Option<bool>,
    /// Phone number (E.164).
    pub phone: Option<String>,
    /// Whether Cognito verified the phone.
    pub verified_phone: Option<bool>,
    /// Cognito `name`.
    pub display_name: Option<String>,
    /// Cognito `given_name`.
    pub given_name: Option<String>,
    /// Cognito `middle_name`.
    pub middle_name: Option<String>,
    /// Cognito `family_name`.
    pub family_name: Option<String>,
    /// Cognito `picture`.
    pub picture: Option<String>,
    /// Enabled unless the Cognito user is disabled.
    pub status: Status,
    /// Project roles (the user's groups, when the pool has no tenant).
    pub roles: Vec<String>,
    /// The tenant and its roles (the user's groups), when the pool imports into a tenant.
    pub tenant: Option<(String, Vec<String>)>,
    /// Custom attributes with typed values, `freshlyMigrated` included.
    pub custom_attributes: BTreeMap<String, Value>,
    /// False when an earlier pool of the run already owns this person's profile: then only this
    /// pool's tenant membership is written.
    pub owns_profile: bool,
}

/// Why a Cognito user cannot be migrated as it is. Reported per user; never a crash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Problem {
    /// No email, no phone, and the strategy does not fall back to the username.
    #[error("no usable login ID (no email, phone number or username for the chosen strategy)")]
    NoLoginId,
    /// Another Cognito user of the same pool already resolved to this login ID.
    #[error("login ID {login_id:?} is also the login ID of Cognito user {other_username:?} (migrated instead)")]
    DuplicateLoginId {
        /// The shared login ID.
        login_id: String,
        /// The other user, who keeps it.
        other_username: String,
    },
    /// An attribute value cannot be converted to its declared type.
    #[error("attribute {attribute} = {value:?} is not a valid {expected}")]
    InvalidValue {
        /// The Cognito attribute name.
        attribute: String,
        /// The value (attribute values are profile data, not secrets).
        value: String,
        /// The type it should have.
        expected: &'static str,
    },
}
