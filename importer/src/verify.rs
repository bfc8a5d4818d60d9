//! `verify`: reads both sides and checks, user by user, that Descope holds what Cognito implies
//! (the same mapping and the same comparison as the migration itself).

use std::sync::Arc;

use anyhow::Result;

use crate::{
    cognito::Cognito,
    descope::Descope,
    diff,
    mapping::MappingRules,
    migrate,
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
    let descope_for_reverse = Arc::clone(&descope);
    let reporter_for_reverse = Arc::clone(&reporter);
    let handle = move |batch: Vec<DesiredUser>| {
        let descope = Arc::clone(&descope);
        let reporter = Arc::clone(&reporter);
        let pool_ids = Arc::clone(&pool_ids);
        async move {
            let outcomes = check(&descope, batch).await;
            let mut reporter = lock(&reporter);
            for (user, outcome, reason, mismatches) in outcomes {
                reporter.record(UserOutcome {
                    sub: Some(user.identity.sub.clone()),
                    reason,
                    warnings: user.warnings.clone(),
                    mismatches,
                    ..UserOutcome::new(
                        &pool_ids[user.pool],
                        user.cognito_username.clone(),
                        Some(user.login_id.clone()),
                        outcome,
                    )
                });
            }
        }
    };
    let listed = pipeline::run(cognito, pools, rules, stream, on_unmappable, handle).await?;
    // The reverse direction: Descope users of the pools whose Cognito user is gone. Disabled is
    // what `sync` leaves them as; still enabled is a finding.
    for (target, subs) in pools.targets.iter().zip(&listed) {
        for user in migrate::gone_from_cognito(&descope_for_reverse, &target.pool_id, subs).await? {
            let outcome = if user.status == crate::model::Status::Disabled.as_str() {
                Outcome::RemovedInCognito
            } else {
                Outcome::NotInCognito
            };
            lock(&reporter_for_reverse).record(migrate::gone_outcome(&target.pool_id, &user, outcome, None));
        }
    }
    Ok(())
}

type Checked = (DesiredUser, Outcome, Option<String>, Vec<diff::Mismatch>);

/// One batch: found by identity and compared, or missing, or a conflict (another account holds
/// the login ID: a fact to resolve by hand, not a mismatch a re-run would fix).
async fn check(descope: &Descope, batch: Vec<DesiredUser>) -> Vec<Checked> {
    let lookup = match migrate::by_identity(descope, batch).await {
        Ok(lookup) => lookup,
        Err((batch, e)) => {
            let reason = format!("lookup failed: {e}");
            return batch
                .into_iter()
                .map(|u| (u, Outcome::Failed, Some(reason.clone()), vec![]))
                .collect();
        }
    };
    let mut out: Vec<Checked> = lookup
        .found
        .into_iter()
        .map(|(user, actual)| {
            // Roles of groups the user left are a difference (`sync` removes them).
            let mismatches = diff::compare_with(&user, &actual, diff::limits(&user, &actual).with_removals(true));
            let outcome = if mismatches.is_empty() {
                Outcome::Verified
            } else {
                Outcome::Mismatch
            };
            (user, outcome, None, mismatches)
        })
        .collect();
    if lookup.missing.is_empty() {
        return out;
    }
    let ids: Vec<String> = lookup.missing.iter().map(|u| u.login_id.clone()).collect();
    match descope.users_by_login_ids(&ids).await {
        Err(e) => {
            let reason = format!("login ID lookup failed: {e}");
            out.extend(
                lookup
                    .missing
                    .into_iter()
                    .map(|u| (u, Outcome::Failed, Some(reason.clone()), vec![])),
            );
        }
        Ok(holders) => {
            for user in lookup.missing {
                match migrate::holder(&holders, &user.login_id) {
                    None => out.push((user, Outcome::Missing, None, vec![])),
                    Some(h) => {
                        let reason = migrate::conflict_reason(h, &user.login_id);
                        out.push((user, Outcome::Conflict, Some(reason), vec![]));
                    }
                }
            }
        }
    }
    out
}
