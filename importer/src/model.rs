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

/// Who a Cognito user is: the `sub` within its pool. Login IDs, emails and usernames are only
/// attributes of this identity; a Descope user is this person only when it carries both values
/// (`cognitoSub` and `cognitoPoolId`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The Cognito user pool ID.
    pub pool_id: String,
    /// The user's `sub` in that pool.
    pub sub: String,
}

/// What a Descope user must look like after the migration of one Cognito user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredUser {
    /// The pool this user comes from (index into the run's pools).
    pub pool: usize,
    /// The Cognito username, for reports.
    pub cognito_username: String,
    /// This Cognito user's identity.
    pub identity: Identity,
    /// When an earlier pool of the run owns this person's profile (`owns_profile` false): that
    /// pool's identity, which the Descope user carries.
    pub owner: Option<Identity>,
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
    /// What was migrated differently from Cognito (a value left out, an unverified email that is
    /// not a login ID...). The user is still migrated; the report lists these.
    pub warnings: Vec<Warning>,
    /// The user's groups in its pool, sorted (the roles recorded in `cognitoGroups`).
    pub groups: Vec<String>,
    /// Every group of the pool (set by the pipeline): how a user imported before `cognitoGroups`
    /// existed is read.
    #[serde(skip)]
    pub pool_groups: std::sync::Arc<[String]>,
}

impl DesiredUser {
    /// The identity the Descope user of this person carries: the profile owner's.
    pub fn descope_identity(&self) -> &Identity {
        self.owner.as_ref().unwrap_or(&self.identity)
    }

    /// Whether the login ID is an email or phone number Cognito verified for this user (rather
    /// than the username, or an unverified contact the rules were told to accept).
    pub fn login_id_is_verified_contact(&self) -> bool {
        let same = |value: &Option<String>| {
            value
                .as_deref()
                .is_some_and(|v| crate::mapping::fold_login_id(v) == crate::mapping::fold_login_id(&self.login_id))
        };
        (same(&self.email) && self.verified_email == Some(true))
            || (same(&self.phone) && self.verified_phone == Some(true))
    }
}

/// Something migrated differently from Cognito, without refusing the user. Reported per user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "warning", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Warning {
    /// Cognito never verified this contact, so it is migrated as a field but not as a login ID
    /// (whoever controls that mailbox or number must not gain a way to sign in).
    #[error("unverified {kind}: migrated as the {kind} field, not as a login ID (login ID {login_id:?})")]
    UnverifiedContact {
        /// `email` or `phone`.
        kind: &'static str,
        /// The login ID the user got instead.
        login_id: String,
    },
    /// Another Cognito user of the pool holds the same email or phone (in any letter case), so
    /// this user does not get it as a login ID.
    #[error(
        "{kind} is also held by another Cognito user of the pool: not a login ID for this one (login ID {login_id:?})"
    )]
    SharedContact {
        /// `email` or `phone`.
        kind: &'static str,
        /// The login ID the user got instead.
        login_id: String,
    },
    /// A value that cannot be stored as its declared type was left out; the rest of the user is
    /// migrated.
    #[error("attribute {attribute} = {value:?} is not a valid {expected}: left out")]
    ValueLeftOut {
        /// The Cognito attribute name.
        attribute: String,
        /// The value (profile data, not a secret).
        value: String,
        /// The type it should have.
        expected: &'static str,
    },
    /// A DateTime value that is neither epoch seconds, RFC 3339 nor a plain date, kept verbatim.
    #[error("attribute {attribute} = {value:?} is not a date or time: kept as text")]
    KeptAsText {
        /// The Cognito attribute name.
        attribute: String,
        /// The value, as migrated.
        value: String,
    },
}

impl Warning {
    /// A short kind, for grouping in summaries.
    pub fn kind(&self) -> String {
        match self {
            Self::UnverifiedContact { kind, .. } => format!("unverified {kind}: migrated under another login ID"),
            Self::SharedContact { kind, .. } => format!("{kind} shared with another Cognito user: not a login ID"),
            Self::ValueLeftOut {
                attribute, expected, ..
            } => format!("{attribute} is not a valid {expected}: left out"),
            Self::KeptAsText { attribute, .. } => format!("{attribute} is not a date: kept as text"),
        }
    }
}

/// Why a Cognito user cannot be migrated as it is. Reported per user; never a crash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Problem {
    /// No verified email or phone, and the strategy does not fall back to the username.
    #[error(
        "no usable login ID (no verified email or phone number, and the strategy does not fall back to the username)"
    )]
    NoLoginId,
    /// Cognito listed the user without a `sub`, its identity.
    #[error("Cognito returned the user without a sub")]
    NoSub,
    /// Several Cognito users of the pool verified the same email or phone (in any letter case):
    /// nobody can tell which of them owns it, so none of them is migrated under it.
    #[error("{kind} {identifier:?} is verified on {owners} Cognito users of the pool; resolve it in Cognito")]
    SharedVerifiedContact {
        /// `email` or `phone`.
        kind: &'static str,
        /// The contact.
        identifier: String,
        /// How many users verified it.
        owners: u32,
    },
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
