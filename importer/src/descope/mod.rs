//! The Descope side: the management API calls the importer makes, on top of a retrying client.

mod client;
pub mod wire;

pub use client::{CallStats, DescopeClient, DescopeError, RetryPolicy};
use std::collections::HashSet;

use serde_json::{Value, json};
use wire::{
    AttributeDefinition, AttributeList, BatchResult, CreateBatch, Role, RoleList, SearchResult, Tenant, TenantList,
    User, UserBody,
};

use crate::{
    mapping::{COGNITO_POOL_ID, COGNITO_SUB},
    model::AttributeDef,
};

/// Descope's error code for "user already exists" (go-sdk `ErrUserAlreadyExists`).
pub const USER_EXISTS: &str = "E062107";

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
        Ok(self
            .client
            .get::<AttributeList>("/v1/mgmt/user/customattributes")
            .await?
            .data)
    }

    /// Creates definitions (one call for all).
    pub async fn create_attribute_definitions(&self, defs: &[AttributeDef]) -> Result<(), DescopeError> {
        let body = json!({ "attributes": defs.iter().map(wire::attribute_body).collect::<Vec<_>>() });
        self.client
            .post::<_, Value>("/v1/mgmt/user/customattribute/create", &body)
            .await?;
        Ok(())
    }

    /// Every role of the project, tenant roles included.
    pub async fn roles(&self) -> Result<Vec<Role>, DescopeError> {
        Ok(self.client.get::<RoleList>("/v1/mgmt/role/all").await?.roles)
    }

    /// Creates roles in one call (Descope applies a role batch atomically).
    pub async fn create_roles(&self, roles: &[Role]) -> Result<(), DescopeError> {
        self.client
            .post::<_, Value>("/v1/mgmt/role/create/batch", &json!({ "roles": roles }))
            .await?;
        Ok(())
    }

    /// Every tenant of the project.
    pub async fn tenants(&self) -> Result<Vec<Tenant>, DescopeError> {
        Ok(self.client.get::<TenantList>("/v1/mgmt/tenant/all").await?.tenants)
    }

    /// Creates a tenant with this ID and name.
    pub async fn create_tenant(&self, id: &str, name: &str) -> Result<(), DescopeError> {
        let body = json!({ "id": id, "name": name, "selfProvisioningDomains": [] });
        self.client.post::<_, Value>("/v1/mgmt/tenant/create", &body).await?;
        Ok(())
    }

    /// Creates users in one call, never inviting them.
    pub async fn create_users(&self, users: &[UserBody]) -> Result<BatchResult, DescopeError> {
        let body = CreateBatch {
            users,
            invite: false,
            send_mail: false,
            send_sms: false,
        };
        self.client.post("/v1/mgmt/user/create/batch", &body).await
    }

    /// Patches users in one call (only the fields each body carries).
    pub async fn patch_users(&self, users: &[UserBody]) -> Result<BatchResult, DescopeError> {
        self.client
            .patch("/v1/mgmt/user/patch/batch", &json!({ "users": users }))
            .await
    }

    /// Sets a user's status (`enabled` / `disabled`).
    pub async fn set_status(&self, login_id: &str, status: &str) -> Result<(), DescopeError> {
        let body = json!({ "loginId": login_id, "status": status });
        self.client
            .post::<_, Value>("/v1/mgmt/user/update/status", &body)
            .await?;
        Ok(())
    }

    /// Replaces the login ID `old` of a user with `new` (the same person, identified by its Cognito
    /// identity, got another login ID from the rules, e.g. its email was verified since).
    pub async fn update_login_id(&self, old: &str, new: &str) -> Result<(), DescopeError> {
        let body = json!({ "loginId": old, "newLoginId": new });
        self.client
            .post::<_, Value>("/v1/mgmt/user/update/loginid", &body)
            .await?;
        Ok(())
    }

    /// Ends every session of the user (`POST /v1/mgmt/user/logout`), so disabling takes effect now
    /// rather than when the session expires.
    pub async fn logout(&self, login_id: &str) -> Result<(), DescopeError> {
        self.client
            .post::<_, Value>("/v1/mgmt/user/logout", &json!({ "loginId": login_id }))
            .await?;
        Ok(())
    }

    /// The IDs among `user_ids` with at least one sign-in in Descope's auth history
    /// (`POST /v1/mgmt/user/history`, body: the user IDs).
    pub async fn signed_in(&self, user_ids: &[String]) -> Result<HashSet<String>, DescopeError> {
        if user_ids.is_empty() {
            return Ok(HashSet::new());
        }
        let history: wire::AuthHistory = self.client.post("/v1/mgmt/user/history", &user_ids).await?;
        Ok(history.users_auth_history.into_iter().map(|h| h.user_id).collect())
    }

    /// Deletes the user (`POST /v1/mgmt/user/delete`).
    pub async fn delete_user(&self, login_id: &str) -> Result<(), DescopeError> {
        self.client
            .post::<_, Value>("/v1/mgmt/user/delete", &json!({ "loginId": login_id }))
            .await?;
        Ok(())
    }

    /// Every Descope user carrying `cognitoPoolId` = `pool_id`, page by page (the reverse direction
    /// of `sync` and `verify`: about one search per 100 users).
    pub async fn users_of_pool(&self, pool_id: &str) -> Result<Vec<User>, DescopeError> {
        self.search_all(
            json!({ "customAttributes": { COGNITO_POOL_ID: pool_id } }),
            100,
            usize::MAX,
        )
        .await
    }

    /// The users holding any of `login_ids`, page by page until all are read.
    pub async fn users_by_login_ids(&self, login_ids: &[String]) -> Result<Vec<User>, DescopeError> {
        // More login IDs than users can never match.
        self.search_all(json!({ "loginIds": login_ids }), login_ids.len(), login_ids.len())
            .await
    }

    /// The users carrying any of these Cognito `sub`s (the `cognitoSub` custom attribute; Descope's
    /// search takes a list of values for "any of"). Callers check the pool themselves: a user of
    /// the first version carries no `cognitoPoolId`.
    pub async fn users_by_subs(&self, subs: &[String]) -> Result<Vec<User>, DescopeError> {
        // A sub belongs to one user per pool; several pools may in theory repeat one.
        self.search_all(
            json!({ "customAttributes": { COGNITO_SUB: subs } }),
            subs.len(),
            usize::MAX,
        )
        .await
    }

    /// Runs one search (`filter` plus paging, pages sized for the `wanted` users a filter of that
    /// many values usually matches) until every match is read, or `at_most` users.
    async fn search_all(&self, filter: Value, wanted: usize, at_most: usize) -> Result<Vec<User>, DescopeError> {
        let mut found = Vec::new();
        if wanted == 0 {
            return Ok(found);
        }
        let limit = wanted.clamp(1, 100);
        for page in 0.. {
            let mut body = filter.clone();
            if let Value::Object(map) = &mut body {
                map.insert("limit".into(), json!(limit));
                map.insert("page".into(), json!(page));
                map.insert("withTestUser".into(), json!(true));
            }
            let result: SearchResult = self.client.post("/v2/mgmt/user/search", &body).await?;
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
