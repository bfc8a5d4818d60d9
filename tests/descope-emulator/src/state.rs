//! The stored project: users, roles, tenants and custom attribute definitions.
//!
//! This is the domain side, free of wire names. Every user mutation goes through
//! [`Store::insert_user`] or [`Store::update_user`], which run the same checks (login IDs unique,
//! roles, tenants and custom attributes known and well typed) and keep the login-ID index right,
//! so no endpoint can leave the store in a state real Descope would have refused.

use std::collections::{BTreeMap, HashMap, HashSet};

use rand::{Rng as _, distr::Alphanumeric};
use serde_json::{Map, Value};

use crate::{attributes, error::ApiError};

/// A user's status (python-sdk `VALID_USER_STATUSES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// Can sign in.
    Enabled,
    /// Blocked.
    Disabled,
    /// Created through an invitation, not signed in yet.
    Invited,
    /// Invitation expired.
    Expired,
}

impl UserStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Invited => "invited",
            Self::Expired => "expired",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "enabled" => Some(Self::Enabled),
            "disabled" => Some(Self::Disabled),
            "invited" => Some(Self::Invited),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// A user's membership in a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTenant {
    /// Tenant ID.
    pub tenant_id: String,
    /// Roles the user holds in that tenant.
    pub role_names: Vec<String>,
}

/// A stored user. Strings Descope leaves empty are empty here too.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// `U2...`, assigned on insert.
    pub user_id: String,
    /// Primary login ID first, then the additional ones.
    pub login_ids: Vec<String>,
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
    /// Picture URL.
    pub picture: String,
    /// Email verified.
    pub verified_email: bool,
    /// Phone verified.
    pub verified_phone: bool,
    /// Project-level roles.
    pub role_names: Vec<String>,
    /// Tenant memberships.
    pub tenants: Vec<UserTenant>,
    /// Status.
    pub status: UserStatus,
    /// Custom attribute values, each matching a definition.
    pub custom_attributes: Map<String, Value>,
    /// SSO application IDs.
    pub sso_app_ids: Vec<String>,
    /// Test user.
    pub test: bool,
    /// Has a password (cleartext or hashed given at creation, or set later).
    pub password: bool,
    /// The password the emulator can check at sign-in: one given in cleartext (at creation or
    /// through `password/set/*`). Imported hashes set `password` but leave this empty.
    pub password_digest: Option<PasswordDigest>,
    /// The password must be replaced before it signs in (`set/temporary`, `password/expire`).
    pub password_expired: bool,
    /// Has a TOTP seed.
    pub totp: bool,
    /// Creation time, epoch seconds.
    pub created_time: i64,
}

impl User {
    /// An empty user with the given login ID, as the start of a create.
    pub fn new(login_id: String, status: UserStatus) -> Self {
        Self {
            user_id: String::new(),
            login_ids: vec![login_id],
            name: String::new(),
            given_name: String::new(),
            middle_name: String::new(),
            family_name: String::new(),
            email: String::new(),
            phone: String::new(),
            picture: String::new(),
            verified_email: false,
            verified_phone: false,
            role_names: Vec::new(),
            tenants: Vec::new(),
            status,
            custom_attributes: Map::new(),
            sso_app_ids: Vec::new(),
            test: false,
            password: false,
            password_digest: None,
            password_expired: false,
            totp: false,
            created_time: 0,
        }
    }
}

/// A password as the emulator keeps it: a salted SHA-256, never the text, so neither `Debug`, the
/// state dump nor a panic message can show a user's password.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordDigest {
    salt: [u8; 16],
    digest: Vec<u8>,
}

impl PasswordDigest {
    /// Digests `password` with a fresh random salt.
    pub fn new(password: &str) -> Self {
        let salt: [u8; 16] = rand::random();
        let digest = Self::hash(&salt, password);
        Self { salt, digest }
    }

    fn hash(salt: &[u8; 16], password: &str) -> Vec<u8> {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(salt);
        ctx.update(password.as_bytes());
        ctx.finish().as_ref().to_vec()
    }

    /// Whether `password` is the digested one (compared in constant time).
    pub fn matches(&self, password: &str) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(&Self::hash(&self.salt, password), &self.digest).is_ok()
    }
}

impl std::fmt::Debug for PasswordDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordDigest(<redacted>)")
    }
}

/// A role, project-level (`tenant_id` none) or tenant-scoped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Generated ID.
    pub id: String,
    /// Name, unique per tenant (or per project for project roles).
    pub name: String,
    /// Description.
    pub description: String,
    /// Permissions granted; they end up in the session token.
    pub permission_names: Vec<String>,
    /// Tenant of a tenant-scoped role.
    pub tenant_id: Option<String>,
    /// Default role.
    pub default: bool,
    /// Private role.
    pub private: bool,
    /// Creation time, epoch seconds.
    pub created_time: i64,
}

/// A tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    /// `T2...` or the caller's ID.
    pub id: String,
    /// Name, unique per project.
    pub name: String,
    /// Self-provisioning domains.
    pub self_provisioning_domains: Vec<String>,
    /// Tenant custom attributes (stored as given).
    pub custom_attributes: Map<String, Value>,
    /// SSO enforced.
    pub enforce_sso: bool,
    /// Disabled.
    pub disabled: bool,
    /// Creation time, epoch seconds.
    pub created_time: i64,
}

/// One `{value, label}` option of a select attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeOption {
    /// Stored value.
    pub value: String,
    /// Label shown in the console.
    pub label: String,
}

/// A custom attribute definition.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDef {
    /// Machine name (the key in `customAttributes`).
    pub name: String,
    /// Type, see [`attributes::AttributeType`].
    pub kind: attributes::AttributeType,
    /// Display name.
    pub display_name: String,
    /// Allowed values of select types (empty = any).
    pub options: Vec<AttributeOption>,
    /// Default value (stored, not applied).
    pub default_value: Value,
    /// View permissions.
    pub view_permissions: Vec<String>,
    /// Edit permissions.
    pub edit_permissions: Vec<String>,
    /// Editable.
    pub editable: bool,
}

/// The whole project.
#[derive(Debug, Default)]
pub struct Store {
    users: HashMap<String, User>,
    /// Folded login ID ([`login_key`]) -> user ID, covering every login ID of every user.
    by_login: HashMap<String, String>,
    /// Insertion sequence -> user ID, so search pages are stable.
    order: BTreeMap<u64, String>,
    seq_of: HashMap<String, u64>,
    next_seq: u64,
    roles: Vec<Role>,
    tenants: Vec<Tenant>,
    attributes: Vec<AttributeDef>,
    /// Sign-ins (session issued, not refreshed): user ID and epoch seconds, oldest first.
    sign_ins: Vec<(String, i64)>,
    /// User ID -> epoch seconds of the last "log out every session" (`user/logout`, a management
    /// sign-in with `revokeOtherSessions`): tokens issued before it are revoked.
    sessions_revoked_at: HashMap<String, i64>,
}

/// How the emulator compares login IDs: without regard to letter case, as one user. Descope does
/// not document it (see the README); this is the reading under which a client that folds case is
/// right and a client that does not is caught, so the importer is tested against it.
pub fn login_key(login_id: &str) -> String {
    login_id.to_lowercase()
}

/// A random Descope-looking ID: `prefix` + 26 alphanumerics (`U2...`, `T2...`).
pub fn random_id(prefix: &str) -> String {
    let tail: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(26)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

impl Store {
    /// Records a sign-in of `user_id` at `at` (epoch seconds).
    pub fn record_sign_in(&mut self, user_id: &str, at: i64) {
        self.sign_ins.push((user_id.to_owned(), at));
    }

    /// Revokes every session of `user_id` issued before `at` (epoch seconds).
    pub fn revoke_sessions(&mut self, user_id: &str, at: i64) {
        self.sessions_revoked_at.insert(user_id.to_owned(), at);
    }

    /// When the sessions of `user_id` were last revoked, if ever.
    pub fn sessions_revoked_at(&self, user_id: &str) -> Option<i64> {
        self.sessions_revoked_at.get(user_id).copied()
    }

    /// Sign-ins of these users, oldest first.
    pub fn sign_ins_of<'a>(&'a self, user_ids: &'a [String]) -> impl Iterator<Item = &'a (String, i64)> {
        self.sign_ins.iter().filter(move |(id, _)| user_ids.contains(id))
    }

    /// Users in creation order.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.order.values().filter_map(|id| self.users.get(id))
    }

    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// The user with this user ID.
    pub fn user(&self, user_id: &str) -> Option<&User> {
        self.users.get(user_id)
    }

    /// The user owning this login ID (primary or additional), in any letter case.
    pub fn user_by_login(&self, login_id: &str) -> Option<&User> {
        self.by_login
            .get(&login_key(login_id))
            .and_then(|id| self.users.get(id))
    }

    /// Resolves `loginId` or `userId` (login ID first) to a user ID, or E112102.
    pub fn resolve(&self, login_id: Option<&str>, user_id: Option<&str>) -> Result<String, ApiError> {
        match (non_empty(login_id), non_empty(user_id)) {
            (Some(login), _) => self
                .user_by_login(login)
                .map(|u| u.user_id.clone())
                .ok_or_else(|| ApiError::user_not_found(&format!("login ID {login:?}"))),
            (None, Some(id)) => self
                .user(id)
                .map(|u| u.user_id.clone())
                .ok_or_else(|| ApiError::user_not_found(&format!("user ID {id:?}"))),
            (None, None) => Err(ApiError::missing_argument("loginId")),
        }
    }

    /// Validates and stores a new user; assigns its ID and creation time.
    /// Returns the new user ID.
    pub fn insert_user(&mut self, mut user: User, now: i64) -> Result<String, ApiError> {
        self.check_user(&user, None)?;
        user.user_id = loop {
            let id = random_id("U2");
            if !self.users.contains_key(&id) {
                break id;
            }
        };
        user.created_time = now;
        for login in &user.login_ids {
            self.by_login.insert(login_key(login), user.user_id.clone());
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, user.user_id.clone());
        self.seq_of.insert(user.user_id.clone(), seq);
        let id = user.user_id.clone();
        self.users.insert(id.clone(), user);
        Ok(id)
    }

    /// Applies `change` to a copy of the user, validates the result and commits it.
    /// Nothing changes when `change` or the validation fails.
    pub fn update_user(
        &mut self,
        user_id: &str,
        change: impl FnOnce(&mut User) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let old = self
            .users
            .get(user_id)
            .ok_or_else(|| ApiError::user_not_found(&format!("user ID {user_id:?}")))?;
        let mut new = old.clone();
        change(&mut new)?;
        // Identity fields are the store's, not the caller's.
        new.user_id = old.user_id.clone();
        new.created_time = old.created_time;
        self.check_user(&new, Some(user_id))?;
        for login in &old.login_ids {
            self.by_login.remove(&login_key(login));
        }
        for login in &new.login_ids {
            self.by_login.insert(login_key(login), new.user_id.clone());
        }
        let slot = self
            .users
            .get_mut(user_id)
            .ok_or_else(|| ApiError::user_not_found(&format!("user ID {user_id:?}")))?;
        *slot = new;
        Ok(())
    }

    /// Removes a user; `false` if there was none.
    pub fn delete_user(&mut self, user_id: &str) -> bool {
        let Some(user) = self.users.remove(user_id) else {
            return false;
        };
        for login in &user.login_ids {
            self.by_login.remove(&login_key(login));
        }
        if let Some(seq) = self.seq_of.remove(user_id) {
            self.order.remove(&seq);
        }
        true
    }

    /// Everything real Descope checks before storing a user.
    fn check_user(&self, user: &User, self_id: Option<&str>) -> Result<(), ApiError> {
        if user.login_ids.is_empty() || user.login_ids.iter().any(|l| l.trim().is_empty()) {
            return Err(ApiError::missing_argument("loginId"));
        }
        let mut seen = HashSet::new();
        for login in &user.login_ids {
            if !seen.insert(login_key(login)) {
                return Err(ApiError::invalid_argument(format!("login ID {login:?} is given twice")));
            }
            if let Some(owner) = self.by_login.get(&login_key(login))
                && Some(owner.as_str()) != self_id
            {
                return Err(ApiError::user_exists(login));
            }
        }
        for role in &user.role_names {
            if self.role(role, None).is_none() {
                return Err(ApiError::invalid_argument(format!("role {role:?} does not exist")));
            }
        }
        let mut tenants_seen = HashSet::new();
        for membership in &user.tenants {
            let tenant = &membership.tenant_id;
            if !tenants_seen.insert(tenant.as_str()) {
                return Err(ApiError::invalid_argument(format!("tenant {tenant:?} is given twice")));
            }
            if self.tenant(tenant).is_none() {
                return Err(ApiError::invalid_argument(format!("tenant {tenant:?} does not exist")));
            }
            for role in &membership.role_names {
                if self.tenant_role(tenant, role).is_none() {
                    return Err(ApiError::invalid_argument(format!(
                        "role {role:?} does not exist in tenant {tenant:?}"
                    )));
                }
            }
        }
        for (key, value) in &user.custom_attributes {
            let def = self
                .attribute(key)
                .ok_or_else(|| ApiError::validation(format!("custom attribute {key:?} is not defined")))?;
            attributes::check_value(def, value).map_err(ApiError::validation)?;
        }
        Ok(())
    }

    // ----- roles -----

    /// All roles in creation order.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The role `name` in `tenant` (`None` = project role).
    pub fn role(&self, name: &str, tenant: Option<&str>) -> Option<&Role> {
        self.roles
            .iter()
            .find(|r| r.name == name && r.tenant_id.as_deref() == tenant)
    }

    /// A role usable inside `tenant`: the tenant's own role of that name, else the project role.
    pub fn tenant_role(&self, tenant: &str, name: &str) -> Option<&Role> {
        self.role(name, Some(tenant)).or_else(|| self.role(name, None))
    }

    /// Validates and adds roles atomically (all or none).
    pub fn insert_roles(&mut self, roles: Vec<Role>) -> Result<(), ApiError> {
        let mut batch = HashSet::new();
        for role in &roles {
            if role.name.trim().is_empty() {
                return Err(ApiError::missing_argument("name"));
            }
            if let Some(tenant) = &role.tenant_id
                && self.tenant(tenant).is_none()
            {
                return Err(ApiError::invalid_argument(format!("tenant {tenant:?} does not exist")));
            }
            let key = (role.name.as_str(), role.tenant_id.as_deref());
            if self.role(key.0, key.1).is_some() || !batch.insert(key) {
                return Err(ApiError::invalid_argument(format!(
                    "role {:?} already exists",
                    role.name
                )));
            }
        }
        self.roles.extend(roles);
        Ok(())
    }

    /// Permissions granted by project roles `names`, deduplicated, in role order.
    pub fn project_permissions(&self, names: &[String]) -> Vec<String> {
        collect_permissions(names.iter().filter_map(|n| self.role(n, None)))
    }

    /// Permissions granted by `names` inside `tenant`.
    pub fn tenant_permissions(&self, tenant: &str, names: &[String]) -> Vec<String> {
        collect_permissions(names.iter().filter_map(|n| self.tenant_role(tenant, n)))
    }

    // ----- tenants -----

    /// All tenants in creation order.
    pub fn tenants(&self) -> &[Tenant] {
        &self.tenants
    }

    /// The tenant with this ID.
    pub fn tenant(&self, id: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.id == id)
    }

    /// Adds a tenant; IDs and names are unique.
    pub fn insert_tenant(&mut self, tenant: Tenant) -> Result<(), ApiError> {
        if tenant.name.trim().is_empty() {
            return Err(ApiError::missing_argument("name"));
        }
        if self.tenant(&tenant.id).is_some() {
            return Err(ApiError::invalid_argument(format!(
                "tenant ID {:?} already exists",
                tenant.id
            )));
        }
        if self.tenants.iter().any(|t| t.name == tenant.name) {
            return Err(ApiError::invalid_argument(format!(
                "tenant name {:?} already exists",
                tenant.name
            )));
        }
        self.tenants.push(tenant);
        Ok(())
    }

    // ----- custom attributes -----

    /// All definitions in creation order.
    pub fn attributes(&self) -> &[AttributeDef] {
        &self.attributes
    }

    /// The definition named `name`.
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Adds definitions; a name that already exists is left as it is (see README).
    pub fn insert_attributes(&mut self, defs: Vec<AttributeDef>) {
        for def in defs {
            if self.attribute(&def.name).is_none() {
                self.attributes.push(def);
            }
        }
    }

    /// Removes definitions and the users' values for them.
    pub fn delete_attributes(&mut self, names: &[String]) {
        self.attributes.retain(|a| !names.contains(&a.name));
        for user in self.users.values_mut() {
            for name in names {
                user.custom_attributes.remove(name);
            }
        }
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

fn collect_permissions<'a>(roles: impl Iterator<Item = &'a Role>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for role in roles {
        for p in &role.permission_names {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
    }
    out
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}
