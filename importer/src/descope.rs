//! The Descope side: the management API calls the importer makes, named for what the importer does
//! with them, over the shared `descope-management` client. What is the importer's own lives here:
//! which custom attributes carry a Cognito identity, the create body of a [`DesiredUser`], the
//! definitions of [`AttributeDef`]s, and the run's [`Abort`] as the client's stop switch.

use std::{
    collections::{BTreeMap, HashSet},
    future::Future,
    pin::Pin,
};

pub use descope_management::{CallStats, DescopeClient, DescopeError, RetryPolicy, USER_EXISTS, wire};
use descope_management::{Outage, StopSwitch};
use serde_json::Value;
use wire::{
    AttributeDefinition, BatchResult, NewCustomAttribute, Role, Tenant, User, UserBody, UserSearch, UserTenant,
};

use crate::{
    abort::{Abort, AbortKind},
    mapping::{COGNITO_GROUPS, COGNITO_POOL_ID, COGNITO_SUB},
    model::{AttributeDef, DesiredUser, Identity},
};

/// Management API operations, named for what the importer does with them.
#[derive(Debug)]
pub struct Descope {
    client: DescopeClient,
}

impl Descope {
    /// Wraps a client.
    pub fn new(client: DescopeClient) -> Self {
        Self { client }
    }

    /// Call counters.
    pub fn stats(&self) -> CallStats {
        self.client.stats()
    }

    /// Every custom attribute definition of the project.
    pub async fn attribute_definitions(&self) -> Result<Vec<AttributeDefinition>, DescopeError> {
        self.client.custom_attributes().await
    }

    /// Creates definitions (one call for all), as the official migration tool defines them.
    pub async fn create_attribute_definitions(&self, defs: &[AttributeDef]) -> Result<(), DescopeError> {
        let attributes: Vec<NewCustomAttribute> = defs
            .iter()
            .map(|def| NewCustomAttribute::new(&def.name, def.kind.descope_code()))
            .collect();
        self.client.create_custom_attributes(&attributes).await
    }

    /// Every role of the project, tenant roles included.
    pub async fn roles(&self) -> Result<Vec<Role>, DescopeError> {
        self.client.roles().await
    }

    /// Creates roles in one call (Descope applies a role batch atomically).
    pub async fn create_roles(&self, roles: &[Role]) -> Result<(), DescopeError> {
        self.client.create_roles(roles).await
    }

    /// Every tenant of the project.
    pub async fn tenants(&self) -> Result<Vec<Tenant>, DescopeError> {
        self.client.tenants().await
    }

    /// Creates a tenant with this ID and name.
    pub async fn create_tenant(&self, id: &str, name: &str) -> Result<(), DescopeError> {
        self.client.create_tenant(id, name).await
    }

    /// Creates users in one call, never inviting them: migrated users sign in through the
    /// project's flows, and the migration sends no email or SMS.
    pub async fn create_users(&self, users: &[UserBody]) -> Result<BatchResult, DescopeError> {
        self.client.create_users(users).await
    }

    /// Patches users in one call (only the fields each body carries).
    pub async fn patch_users(&self, users: &[UserBody]) -> Result<BatchResult, DescopeError> {
        self.client.patch_users(users).await
    }

    /// Sets a user's status (`enabled` / `disabled`).
    pub async fn set_status(&self, login_id: &str, status: &str) -> Result<(), DescopeError> {
        self.client.update_status(login_id, status).await
    }

    /// Replaces the login ID `old` of a user with `new` (the same person, identified by its Cognito
    /// identity, got another login ID from the rules, e.g. its email was verified since).
    pub async fn update_login_id(&self, old: &str, new: &str) -> Result<(), DescopeError> {
        self.client.update_login_id(old, new).await
    }

    /// Ends every session of the user, so disabling takes effect now rather than when the session
    /// expires.
    pub async fn logout(&self, login_id: &str) -> Result<(), DescopeError> {
        self.client.logout_user(login_id).await
    }

    /// The IDs among `user_ids` with at least one sign-in in Descope's auth history.
    pub async fn signed_in(&self, user_ids: &[String]) -> Result<HashSet<String>, DescopeError> {
        let history = self.client.users_auth_history(user_ids).await?;
        Ok(history.into_iter().map(|h| h.user_id).collect())
    }

    /// Deletes the user.
    pub async fn delete_user(&self, login_id: &str) -> Result<(), DescopeError> {
        self.client.delete_user(login_id).await
    }

    /// Every Descope user carrying `cognitoPoolId` = `pool_id`, page by page (the reverse direction
    /// of `sync` and `verify`: about one search per 100 users).
    pub async fn users_of_pool(&self, pool_id: &str) -> Result<Vec<User>, DescopeError> {
        let search = UserSearch::default().custom_attribute(COGNITO_POOL_ID, pool_id);
        self.client.search_users(&search, 100, usize::MAX).await
    }

    /// The users holding any of `login_ids`, page by page until all are read.
    pub async fn users_by_login_ids(&self, login_ids: &[String]) -> Result<Vec<User>, DescopeError> {
        self.client.users_by_login_ids(login_ids).await
    }

    /// The users carrying any of these Cognito `sub`s (the `cognitoSub` custom attribute; Descope's
    /// search takes a list of values for "any of"). Callers check the pool themselves: a user of
    /// the first version carries no `cognitoPoolId`.
    pub async fn users_by_subs(&self, subs: &[String]) -> Result<Vec<User>, DescopeError> {
        // A sub belongs to one user per pool; several pools may in theory repeat one.
        let search = UserSearch::default().custom_attribute(COGNITO_SUB, subs);
        self.client.search_users(&search, subs.len(), usize::MAX).await
    }
}

/// The Cognito identity a Descope user carries, read from the importer's custom attributes.
pub trait CognitoIdentity {
    /// The user's `cognitoSub` and `cognitoPoolId`, if any. A user the first version imported
    /// carries a sub without a pool.
    fn cognito_identity(&self) -> (Option<&str>, Option<&str>);

    /// Whether this Descope user is the Cognito user `identity`: the same sub and pool, or the same
    /// sub on a user the first version imported (which recorded no pool; the run adds it).
    fn is(&self, identity: &Identity) -> bool {
        match self.cognito_identity() {
            (Some(sub), Some(pool)) => sub == identity.sub && pool == identity.pool_id,
            (Some(sub), None) => sub == identity.sub,
            _ => false,
        }
    }
}

impl CognitoIdentity for User {
    fn cognito_identity(&self) -> (Option<&str>, Option<&str>) {
        (self.custom_text(COGNITO_SUB), self.custom_text(COGNITO_POOL_ID))
    }
}

/// The create/batch item for a new user: every field, roles or tenant, status, and the record of
/// which roles came from Cognito groups (see `diff::group_record`).
pub fn create_body(user: &DesiredUser) -> UserBody {
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
    UserBody {
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
            let record = BTreeMap::from([(user.identity.pool_id.as_str(), &user.groups)]);
            attributes.insert(
                COGNITO_GROUPS.to_owned(),
                Value::String(serde_json::to_string(&record).unwrap_or_default()),
            );
            attributes
        }),
        status: Some(user.status.as_str().to_owned()),
    }
}

/// The run's stop switch, as the Descope client uses it: an outage stops the run, with the exit
/// code of its kind.
impl StopSwitch for Abort {
    fn stopped(&self) -> Option<String> {
        self.reason().map(|r| r.message.clone())
    }

    fn wait(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(self.tripped())
    }

    fn stop(&self, outage: Outage) {
        match outage {
            Outage::Unavailable { .. } => {
                self.trip(AbortKind::Unavailable, outage.to_string());
            }
            Outage::CredentialsRefused { status } => {
                self.trip(
                    AbortKind::CredentialsRefused,
                    format!(
                        "Descope refused the credentials (HTTP {status}): check DESCOPE_PROJECT_ID and \
                         DESCOPE_MANAGEMENT_KEY"
                    ),
                );
            }
        }
    }
}
