//! `verify`: reads both sides and checks, user by user, that Descope holds what Cognito implies
//! (the same mapping and the same comparison as the migration itself).

use std::sync::Arc;

use anyhow::Result;

use crate::{
    cognito::Cognito,
    descope::Descope,
    diff,
    mapping::MappingRules,
    model::DesiredUser,
    pipeline::{self, Pools, Shared, StreamSettings, lock},
    report::{Outcome, Reporter, UserOutcome},
};

/// Checks every user of every pool; outcomes go to `reporter`.
pub async fn run(
    cognito: &Cognito,
    descope: Arc<Descope>,
    pools: &Pools,
    rules: &MappingRules,
    stream: StreamSettings,
    reporter: Shared<Reporter>,
) -> Result<()> {
    let pool_ids: Arc<Vec<String>> = Arc::new(pools.targets.iter().map(|t| t.pool_id.clone()).collect());
    let on_unmappable = pipeline::record_unmappable(&reporter, &pool_ids);
    let handle = move |batch: Vec<DesiredUser>| {
        let descope = Arc::clone(&descope);
        let reporter = Arc::clone(&reporter);
        let pool_ids = Arc::clone(&pool_ids);
        async move {
            let ids: Vec<String> = batch.iter().map(|u| u.login_id.clone()).collect();
            let found = descope.users_by_login_ids(&ids).await;
            let mut reporter = lock(&reporter);
            for user in &batch {
                let (outcome, reason, mismatches) = match &found {
                    Err(e) => (Outcome::Failed, Some(format!("lookup failed: {e}")), vec![]),
                    Ok(found) => match found.iter().find(|u| u.login_ids.contains(&user.login_id)) {
                        None => (Outcome::Missing, None, vec![]),
                        Some(actual) => {
                            let mismatches = diff::compare(user, actual);
                            let outcome = if mismatches.is_empty() {
                                Outcome::Verified
                            } else {
                                Outcome::Mismatch
                            };
                            (outcome, None, mismatches)
                        }
                    },
                };
                reporter.record(UserOutcome {
                    pool: pool_ids[user.pool].clone(),
                    username: user.cognito_username.clone(),
                    login_id: Some(user.login_id.clone()),
                    outcome,
                    reason,
                    problems: Vec::new(),
                    mismatches,
                });
            }
        }
    };
    pipeline::run(cognito, pools, rules, stream, on_unmappable, handle).await
}
