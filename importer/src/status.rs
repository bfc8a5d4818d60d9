//! `status`: how far a cutover has come, per pool: Cognito users not in Descope yet, imported
//! users still `freshlyMigrated`, and how many have signed in to Descope since the import.
//!
//! Read-only and stateless: Cognito is listed in full (subs only), Descope's users of each pool are
//! searched by `cognitoPoolId` (one search per 100 users), and their sign-ins are read from
//! Descope's auth history (`POST /v1/mgmt/user/history`, one call per 100 users): the user object
//! itself carries no last-login time.

use std::collections::HashSet;

use anyhow::{Context as _, Result};
use serde::Serialize;
use serde_json::Value;

use crate::{
    cognito::Cognito,
    descope::{CognitoIdentity as _, Descope},
    mapping::FRESHLY_MIGRATED,
    pipeline::Pools,
};

/// One pool's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolStatus {
    /// The Cognito user pool.
    pub pool_id: String,
    /// Users Cognito lists.
    pub cognito_users: u64,
    /// Descope users carrying this pool's identity.
    pub descope_users: u64,
    /// Cognito users with no Descope user yet (not migrated, or a conflict).
    pub not_in_descope: u64,
    /// Descope users whose `freshlyMigrated` is still true (flows set it false at a first sign-in).
    pub freshly_migrated: u64,
    /// Descope users with at least one sign-in in Descope's auth history.
    pub signed_in_to_descope: u64,
    /// Descope users whose Cognito user no longer exists (run `sync` to disable them).
    pub gone_from_cognito: u64,
    /// Disabled Descope users.
    pub disabled: u64,
}

/// Reads every pool's progress.
pub async fn run(cognito: &Cognito, descope: &Descope, pools: &Pools) -> Result<Vec<PoolStatus>> {
    let mut out = Vec::new();
    for target in &pools.targets {
        let pool_id = &target.pool_id;
        let mut subs = HashSet::new();
        let mut token = None;
        loop {
            let page = cognito.users_page(pool_id, token.take()).await?;
            subs.extend(page.users.iter().filter_map(|u| u.attributes.get("sub").cloned()));
            token = page.next;
            if token.is_none() {
                break;
            }
        }
        let users = descope
            .users_of_pool(pool_id)
            .await
            .with_context(|| format!("reading the Descope users of pool {pool_id}"))?;
        let ids: Vec<String> = users.iter().map(|u| u.user_id.clone()).collect();
        let mut signed_in = HashSet::new();
        for chunk in ids.chunks(100) {
            signed_in.extend(
                descope
                    .signed_in(chunk)
                    .await
                    .context("reading Descope's auth history")?,
            );
        }
        let in_descope: HashSet<&str> = users.iter().filter_map(|u| u.cognito_identity().0).collect();
        out.push(PoolStatus {
            pool_id: pool_id.clone(),
            cognito_users: subs.len() as u64,
            descope_users: users.len() as u64,
            not_in_descope: subs.iter().filter(|s| !in_descope.contains(s.as_str())).count() as u64,
            freshly_migrated: users
                .iter()
                .filter(|u| u.custom_attributes.get(FRESHLY_MIGRATED) == Some(&Value::Bool(true)))
                .count() as u64,
            signed_in_to_descope: users.iter().filter(|u| signed_in.contains(&u.user_id)).count() as u64,
            gone_from_cognito: in_descope.iter().filter(|s| !subs.contains(**s)).count() as u64,
            disabled: users.iter().filter(|u| u.status == "disabled").count() as u64,
        });
    }
    Ok(out)
}

/// The table a person reads.
pub fn render(pools: &[PoolStatus]) -> String {
    let mut out = String::from("Cutover status\n");
    for p in pools {
        out.push_str(&format!(
            "  {}\n    Cognito users:                  {}\n    not in Descope yet:             {}\n    Descope users of the pool:      {}\n    still freshlyMigrated:          {}\n    signed in to Descope at least once: {}\n    gone from Cognito (run sync):   {}\n    disabled in Descope:            {}\n",
            p.pool_id,
            p.cognito_users,
            p.not_in_descope,
            p.descope_users,
            p.freshly_migrated,
            p.signed_in_to_descope,
            p.gone_from_cognito,
            p.disabled
        ));
    }
    out
}
