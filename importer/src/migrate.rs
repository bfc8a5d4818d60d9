//! `migrate`: plan (attribute definitions, tenants, roles), then users in batches.
//!
//! Who is who: a Cognito user is its `sub` within its pool, recorded on the Descope user as
//! `cognitoSub` + `cognitoPoolId`. Each batch is first looked up by that identity (one search per
//! batch); users found are this tool's own and are brought to match Cognito, including a login ID
//! the rules now give them differently. The others are created in one `create/batch` call. Descope
//! refuses a second user with a login ID, so anyone the call does not confirm is looked up again,
//! by identity (a fault after the write, a lost answer) and then by login ID: an account that holds
//! the login ID but is not this identity is a **conflict**: nothing is written to it unless the
//! operator chose `--on-conflict merge`. No local state: a re-run, a retry or a run after SIGKILL
//! converges and never creates anyone twice.

use std::{collections::HashSet, sync::Arc};

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::{
    cognito::Cognito,
    descope::{CognitoIdentity as _, Descope, DescopeError, create_body, wire::Role, wire::User, wire::UserBody},
    diff::{self, Limits},
    mapping::{COGNITO_MERGED_AT, MappingRules, fold_login_id, required_definitions},
    model::{AttrType, AttributeDef, DesiredUser, Identity, Status},
    pipeline::{self, Pools, Shared, StreamSettings, lock},
    report::{Outcome, Reporter, UserOutcome},
};

/// What to do when a Descope account that is not this Cognito identity holds the login ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictPolicy {
    /// Write nothing to it, report the user as a conflict (exit 1). The default.
    Report,
    /// Merge the Cognito user into that account (it may have been registered by someone else
    /// before the import): its profile and identity are written, its verified flags are never
    /// raised, and roles are copied only when the login ID is verified on both sides. Every merge
    /// is reported by name.
    Merge,
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Mapping choices.
    pub rules: MappingRules,
    /// Batching and parallelism.
    pub stream: StreamSettings,
    /// Accounts that hold a login ID but are not the Cognito identity.
    pub conflict: ConflictPolicy,
    /// Read everything, write nothing.
    pub dry_run: bool,
    /// `sync`: also take access away (lost groups' roles, users deleted in Cognito).
    pub sync: Option<SyncSettings>,
}

/// What `sync` does beyond `migrate`.
#[derive(Debug, Clone, Copy)]
pub struct SyncSettings {
    /// Delete the Descope users of deleted Cognito users instead of disabling them.
    pub delete_removed: bool,
}

/// The writes that precede the users.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Definitions to create.
    pub attributes_to_create: Vec<AttributeDef>,
    /// Tenants to create.
    pub tenants_to_create: Vec<String>,
    /// Roles to create.
    pub roles_to_create: Vec<Role>,
    /// Definitions that exist with another type: the run cannot proceed.
    pub conflicts: Vec<String>,
}

impl Plan {
    /// Human-readable plan.
    pub fn render(&self, dry_run: bool) -> String {
        let verb = if dry_run { "to create" } else { "created" };
        let mut out = String::new();
        out.push_str(&format!(
            "Custom attribute definitions {verb}: {}\n",
            self.attributes_to_create.len()
        ));
        for def in &self.attributes_to_create {
            out.push_str(&format!("  {} ({:?}) from {}\n", def.name, def.kind, def.source));
        }
        out.push_str(&format!("Tenants {verb}: {}\n", self.tenants_to_create.len()));
        for tenant in &self.tenants_to_create {
            out.push_str(&format!("  {tenant}\n"));
        }
        out.push_str(&format!("Roles {verb}: {}\n", self.roles_to_create.len()));
        for role in &self.roles_to_create {
            match &role.tenant_id {
                Some(tenant) => out.push_str(&format!("  {} (tenant {tenant})\n", role.name)),
                None => out.push_str(&format!("  {}\n", role.name)),
            }
        }
        out
    }
}

/// Reads Descope's definitions, tenants and roles and works out what is missing.
pub async fn plan(descope: &Descope, pools: &Pools) -> Result<Plan> {
    let custom_types = pools.custom_types()?;
    let needed = required_definitions(&custom_types).map_err(anyhow::Error::msg)?;
    let existing = descope
        .attribute_definitions()
        .await
        .context("loading Descope custom attributes")?;
    let mut plan = Plan::default();
    for def in needed {
        match existing.iter().find(|e| e.name == def.name) {
            None => plan.attributes_to_create.push(def),
            Some(e) => {
                let code = e.kind.as_i64();
                // A Cognito DateTime lands in a String attribute; any non-numeric type name the
                // API might report is accepted as is (unconfirmed wire form).
                if let Some(code) = code
                    && code != def.kind.descope_code()
                {
                    plan.conflicts.push(format!(
                        "Descope custom attribute {:?} is {} but {} needs {}",
                        def.name,
                        AttrType::code_name(code),
                        def.source,
                        AttrType::code_name(def.kind.descope_code())
                    ));
                }
            }
        }
    }
    let tenants = descope.tenants().await.context("loading Descope tenants")?;
    let roles = descope.roles().await.context("loading Descope roles")?;
    let mut planned_roles = HashSet::new();
    for (target, groups) in pools.targets.iter().zip(&pools.groups) {
        if let Some(tenant) = &target.tenant
            && !tenants.iter().any(|t| &t.id == tenant)
            && !plan.tenants_to_create.contains(tenant)
        {
            plan.tenants_to_create.push(tenant.clone());
        }
        for group in groups {
            let exists = roles.iter().any(|r| {
                r.name == group.name && r.tenant_id.as_deref().filter(|t| !t.is_empty()) == target.tenant.as_deref()
            });
            if !exists && planned_roles.insert((group.name.clone(), target.tenant.clone())) {
                plan.roles_to_create.push(Role {
                    name: group.name.clone(),
                    description: group.description.clone().unwrap_or_default(),
                    tenant_id: target.tenant.clone(),
                });
            }
        }
    }
    Ok(plan)
}

/// Creates what the plan lists (tenants first: tenant roles need them).
pub async fn apply(descope: &Descope, plan: &Plan) -> Result<()> {
    for tenant in &plan.tenants_to_create {
        descope
            .create_tenant(tenant, tenant)
            .await
            .with_context(|| format!("creating tenant {tenant}"))?;
    }
    if !plan.attributes_to_create.is_empty() {
        descope
            .create_attribute_definitions(&plan.attributes_to_create)
            .await
            .context("creating custom attribute definitions")?;
    }
    if !plan.roles_to_create.is_empty() {
        descope
            .create_roles(&plan.roles_to_create)
            .await
            .context("creating roles")?;
    }
    Ok(())
}

/// Streams every user through Descope (or, in a dry run, through read-only lookups).
pub async fn users(
    cognito: &Cognito,
    descope: Arc<Descope>,
    pools: &Pools,
    settings: &RunSettings,
    reporter: Shared<Reporter>,
) -> Result<()> {
    let pool_ids: Arc<Vec<String>> = Arc::new(pools.targets.iter().map(|t| t.pool_id.clone()).collect());
    let on_unmappable = pipeline::record_unmappable(&reporter, &pool_ids);
    let context = Arc::new(BatchContext {
        descope,
        reporter,
        pool_ids,
        conflict: settings.conflict,
        dry_run: settings.dry_run,
        sync: settings.sync.is_some(),
    });
    let batches = Arc::clone(&context);
    let handle = move |batch: Vec<DesiredUser>| {
        let context = Arc::clone(&batches);
        async move { context.handle(batch).await }
    };
    let listed = pipeline::run(cognito, pools, &settings.rules, settings.stream, on_unmappable, handle).await?;
    if let Some(sync) = settings.sync {
        for (target, subs) in pools.targets.iter().zip(&listed) {
            context.removed_in_cognito(&target.pool_id, subs, sync).await?;
        }
    }
    Ok(())
}

/// The Descope users of `pool_id` whose `sub` Cognito no longer lists (deleted there), read in
/// full (Cognito has no change feed).
pub async fn gone_from_cognito(descope: &Descope, pool_id: &str, listed: &HashSet<String>) -> Result<Vec<User>> {
    let users = descope
        .users_of_pool(pool_id)
        .await
        .with_context(|| format!("reading the Descope users of pool {pool_id}"))?;
    Ok(users
        .into_iter()
        .filter(|u| matches!(u.cognito_identity(), (Some(sub), Some(pool)) if pool == pool_id && !listed.contains(sub)))
        .collect())
}

/// A report line for a Descope user whose Cognito user is gone.
pub fn gone_outcome(pool_id: &str, user: &User, outcome: Outcome, reason: Option<String>) -> UserOutcome {
    let username = user
        .custom_attributes
        .get("cognitoUsername")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("(unknown)")
        .to_owned();
    UserOutcome {
        sub: user.cognito_identity().0.map(str::to_owned),
        reason,
        ..UserOutcome::new(pool_id, username, user.login_ids.first().cloned(), outcome)
    }
}

/// A batch split by whether Descope already has each user's identity.
pub struct Lookup {
    /// Users whose Descope user was found, with it.
    pub found: Vec<(DesiredUser, User)>,
    /// Users no Descope user carries the identity of.
    pub missing: Vec<DesiredUser>,
}

/// Looks a batch up by Cognito identity (one search).
pub async fn by_identity(
    descope: &Descope,
    batch: Vec<DesiredUser>,
) -> Result<Lookup, (Vec<DesiredUser>, DescopeError)> {
    let subs: Vec<String> = batch
        .iter()
        .map(|u| u.descope_identity().sub.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let users = match descope.users_by_subs(&subs).await {
        Ok(users) => users,
        Err(e) => return Err((batch, e)),
    };
    let mut lookup = Lookup {
        found: Vec::new(),
        missing: Vec::new(),
    };
    for user in batch {
        match find_identity(&users, user.descope_identity()) {
            Some(actual) => {
                let actual = actual.clone();
                lookup.found.push((user, actual));
            }
            None => lookup.missing.push(user),
        }
    }
    Ok(lookup)
}

/// The Descope user carrying `identity`: the one with the pool recorded, else one the first version
/// imported (sub only).
fn find_identity<'a>(users: &'a [User], identity: &Identity) -> Option<&'a User> {
    let mut matching = users.iter().filter(|u| u.is(identity));
    let first = matching.next()?;
    Some(if first.cognito_identity().1.is_some() {
        first
    } else {
        matching.find(|u| u.cognito_identity().1.is_some()).unwrap_or(first)
    })
}

/// The Descope user holding `login_id`, in any letter case.
pub fn holder<'a>(users: &'a [User], login_id: &str) -> Option<&'a User> {
    users.iter().find(|u| u.holds(login_id))
}

/// Why an account that holds the login ID is not this Cognito user, for the report.
pub fn conflict_reason(holder: &User, login_id: &str) -> String {
    match holder.cognito_identity() {
        (Some(sub), Some(pool)) => format!(
            "login ID {login_id:?} is held by Descope user {} of another Cognito user (sub {sub} in {pool}); nothing was written to it",
            holder.user_id
        ),
        (Some(sub), None) => format!(
            "login ID {login_id:?} is held by Descope user {} of another Cognito user (sub {sub}); nothing was written to it",
            holder.user_id
        ),
        _ => format!(
            "login ID {login_id:?} is held by Descope user {}, which existed before the import and is not this Cognito user; nothing was written to it (see --on-conflict merge)",
            holder.user_id
        ),
    }
}

struct BatchContext {
    descope: Arc<Descope>,
    reporter: Shared<Reporter>,
    pool_ids: Arc<Vec<String>>,
    conflict: ConflictPolicy,
    dry_run: bool,
    /// `sync`: roles of groups the user left are removed.
    sync: bool,
}

impl BatchContext {
    /// The comparison this run makes: `sync` also removes roles of groups the user left.
    fn compare(&self, user: &DesiredUser, actual: &User) -> Vec<diff::Mismatch> {
        diff::compare_with(user, actual, diff::limits(user, actual).with_removals(self.sync))
    }

    /// `sync`: disables (or deletes) the Descope users of `pool_id` whose Cognito user is gone,
    /// ending their sessions. Idempotent: a re-run finds them disabled and reports them again.
    async fn removed_in_cognito(&self, pool_id: &str, listed: &HashSet<String>, sync: SyncSettings) -> Result<()> {
        let gone = gone_from_cognito(&self.descope, pool_id, listed).await?;
        for user in gone {
            let login_id = user.login_ids.first().cloned().unwrap_or_default();
            let disabled = user.status == Status::Disabled.as_str();
            let (outcome, reason) = match (self.dry_run, sync.delete_removed, disabled) {
                (true, true, _) => (Outcome::WouldDelete, None),
                (true, false, false) => (Outcome::WouldDisable, None),
                (_, false, true) => (Outcome::RemovedInCognito, None),
                (false, true, _) => match self.descope.delete_user(&login_id).await {
                    Ok(()) => (Outcome::Deleted, None),
                    Err(e) => (Outcome::Failed, Some(format!("deleting failed: {e}"))),
                },
                (false, false, false) => match self.set_status(&login_id, Status::Disabled).await {
                    Ok(()) => (Outcome::Disabled, None),
                    Err(Applied::Conflict(reason) | Applied::Failed(reason)) => (Outcome::Failed, Some(reason)),
                },
            };
            lock(&self.reporter).record(gone_outcome(pool_id, &user, outcome, reason));
        }
        Ok(())
    }

    fn record(&self, user: &DesiredUser, outcome: Outcome, reason: Option<String>, mismatches: Vec<diff::Mismatch>) {
        let outcome = match outcome {
            Outcome::Created if !user.warnings.is_empty() => Outcome::CreatedWithWarnings,
            other => other,
        };
        lock(&self.reporter).record(UserOutcome {
            sub: Some(user.identity.sub.clone()),
            reason,
            warnings: user.warnings.clone(),
            mismatches,
            ..UserOutcome::new(
                &self.pool_ids[user.pool],
                user.cognito_username.clone(),
                Some(user.login_id.clone()),
                outcome,
            )
        });
    }

    fn fail_all(&self, users: &[DesiredUser], reason: &str) {
        for user in users {
            self.record(user, Outcome::Failed, Some(reason.to_owned()), vec![]);
        }
    }

    async fn handle(&self, batch: Vec<DesiredUser>) {
        let lookup = match by_identity(&self.descope, batch).await {
            Ok(lookup) => lookup,
            Err((batch, e)) => return self.fail_all(&batch, &format!("looking the users up failed: {e}")),
        };
        if self.dry_run {
            return self.preview(lookup).await;
        }
        self.settle(lookup.found).await;
        let (owners, joiners): (Vec<_>, Vec<_>) = lookup.missing.into_iter().partition(|u| u.owns_profile);
        for user in joiners {
            // The user of the earlier pool this person joins was not migrated (it is reported).
            let reason = format!(
                "the Descope user of the same person in pool {} does not exist; see that user in the report",
                user.descope_identity().pool_id
            );
            self.record(&user, Outcome::Failed, Some(reason), vec![]);
        }
        if !owners.is_empty() {
            self.write(owners).await;
        }
    }

    /// Dry run: classify each user by what Descope holds now.
    async fn preview(&self, lookup: Lookup) {
        for (user, actual) in &lookup.found {
            let mismatches = self.compare(user, actual);
            let outcome = if mismatches.is_empty() {
                Outcome::Unchanged
            } else {
                Outcome::WouldUpdate
            };
            self.record(user, outcome, None, mismatches);
        }
        let (owners, joiners): (Vec<_>, Vec<_>) = lookup.missing.into_iter().partition(|u| u.owns_profile);
        for user in &joiners {
            // Created by an earlier pool of this run.
            let reason = "adds this pool's tenant to the user of an earlier pool".to_owned();
            self.record(user, Outcome::WouldUpdate, Some(reason), vec![]);
        }
        if owners.is_empty() {
            return;
        }
        let ids: Vec<String> = owners.iter().map(|u| u.login_id.clone()).collect();
        let holders = match self.descope.users_by_login_ids(&ids).await {
            Ok(found) => found,
            Err(e) => return self.fail_all(&owners, &format!("looking the login IDs up failed: {e}")),
        };
        for user in &owners {
            match holder(&holders, &user.login_id) {
                None => self.record(user, Outcome::WouldCreate, None, vec![]),
                Some(h) => match self.merge_plan(user, h) {
                    Err(reason) => self.record(user, Outcome::Conflict, Some(reason), vec![]),
                    Ok((limits, note)) => {
                        let mismatches = diff::compare_with(user, h, limits);
                        self.record(user, Outcome::WouldMerge, Some(note), mismatches);
                    }
                },
            }
        }
    }

    /// Whether `user` may be merged into the account `holder` that holds its login ID, and how.
    fn merge_plan(&self, user: &DesiredUser, holder: &User) -> Result<(Limits, String), String> {
        if holder.cognito_identity().0.is_some() || self.conflict != ConflictPolicy::Merge {
            return Err(conflict_reason(holder, &user.login_id));
        }
        let limits = diff::merge_limits(user, holder);
        let roles = if limits.copy_roles {
            "roles copied"
        } else {
            "roles NOT copied (the login ID is not verified on both sides)"
        };
        Ok((
            limits,
            format!(
                "merged into Descope user {} that existed before the import; verified flags kept as they were; {roles}",
                holder.user_id
            ),
        ))
    }

    /// Live run: create the batch, then reconcile whoever was not reported created.
    async fn write(&self, batch: Vec<DesiredUser>) {
        let bodies: Vec<UserBody> = batch.iter().map(create_body).collect();
        let (created, failed, batch_error) = match self.descope.create_users(&bodies).await {
            Ok(result) => (result.created_users, result.failed_users, None),
            // The whole batch was refused (one unacceptable user, a batch over the server's size
            // limit): halve it until the culprits stand alone, so they cannot sink the others.
            Err(DescopeError::Api { status, .. }) if (400..500).contains(&status) && batch.len() > 1 => {
                let mut first = batch;
                let second = first.split_off(first.len() / 2);
                Box::pin(self.write(first)).await;
                Box::pin(self.write(second)).await;
                return;
            }
            Err(e) => (Vec::new(), Vec::new(), Some(e.to_string())),
        };
        let mut pending = Vec::new();
        for user in batch {
            // Whoever this call created with the login ID is this user (the create carried its identity).
            match created.iter().find(|c| c.holds(&user.login_id)) {
                Some(actual) => {
                    // If Descope ignored the batch item's status, set it explicitly.
                    if user.status == Status::Disabled
                        && actual.status != Status::Disabled.as_str()
                        && let Err(e) = self.descope.set_status(&user.login_id, Status::Disabled.as_str()).await
                    {
                        let reason = format!("created, but disabling failed: {e}");
                        self.record(&user, Outcome::Failed, Some(reason), vec![]);
                        continue;
                    }
                    self.record(&user, Outcome::Created, None, vec![]);
                }
                None => {
                    let reason = failed
                        .iter()
                        .find(|f| {
                            f.login_id().is_some_and(|l| {
                                crate::mapping::fold_login_id(l) == crate::mapping::fold_login_id(&user.login_id)
                            })
                        })
                        .map(|f| f.failure.clone())
                        .or_else(|| batch_error.clone());
                    pending.push((user, reason));
                }
            }
        }
        if !pending.is_empty() {
            self.reconcile(pending).await;
        }
    }

    /// Users the create call did not confirm (with the reason it gave, if any): created after all
    /// (found by identity), held by another account (a conflict, or a merge), or failed.
    async fn reconcile(&self, pending: Vec<(DesiredUser, Option<String>)>) {
        let (users, reasons): (Vec<DesiredUser>, Vec<Option<String>>) = pending.into_iter().unzip();
        let reasons: std::collections::HashMap<String, Option<String>> =
            users.iter().map(|u| u.identity.sub.clone()).zip(reasons).collect();
        let reason_of = |u: &DesiredUser| reasons.get(&u.identity.sub).cloned().flatten();
        let lookup = match by_identity(&self.descope, users).await {
            Ok(lookup) => lookup,
            Err((users, e)) => {
                for user in &users {
                    let reason = format!(
                        "create not confirmed ({}); lookup failed: {e}",
                        reason_of(user).as_deref().unwrap_or("no answer")
                    );
                    self.record(user, Outcome::Failed, Some(reason), vec![]);
                }
                return;
            }
        };
        self.settle(lookup.found).await;
        if lookup.missing.is_empty() {
            return;
        }
        let ids: Vec<String> = lookup.missing.iter().map(|u| u.login_id.clone()).collect();
        let holders = match self.descope.users_by_login_ids(&ids).await {
            Ok(found) => found,
            Err(e) => {
                for user in &lookup.missing {
                    let reason = format!(
                        "create not confirmed ({}); login ID lookup failed: {e}",
                        reason_of(user).as_deref().unwrap_or("no answer")
                    );
                    self.record(user, Outcome::Failed, Some(reason), vec![]);
                }
                return;
            }
        };
        let mut merges = Vec::new();
        for user in lookup.missing {
            match holder(&holders, &user.login_id) {
                None => {
                    let reason = reason_of(&user).unwrap_or_else(|| "Descope did not create the user".to_owned());
                    self.record(&user, Outcome::Failed, Some(reason), vec![]);
                }
                Some(h) => match self.merge_plan(&user, h) {
                    Err(reason) => self.record(&user, Outcome::Conflict, Some(reason), vec![]),
                    Ok((limits, note)) => merges.push((user, h.clone(), limits, note)),
                },
            }
        }
        for (user, holder, limits, note) in merges {
            self.merge(user, holder, limits, note).await;
        }
    }

    /// `--on-conflict merge`: writes the identity, profile and (when allowed) roles onto an account
    /// that existed before the import.
    async fn merge(&self, user: DesiredUser, holder: User, limits: Limits, note: String) {
        let mut desired = user.clone();
        desired.custom_attributes.insert(
            COGNITO_MERGED_AT.to_owned(),
            serde_json::Value::String(chrono::Utc::now().to_rfc3339()),
        );
        let mismatches = diff::compare_with(&desired, &holder, limits);
        let applied = self.apply(vec![(desired, holder.clone(), mismatches)]).await;
        for (_, mismatches, result) in applied {
            match result {
                Ok(()) => {
                    tracing::warn!(
                        username = %user.cognito_username,
                        sub = %user.identity.sub,
                        descope_user = %holder.user_id,
                        "merged into an account that existed before the import"
                    );
                    self.record(&user, Outcome::Merged, Some(note.clone()), mismatches);
                }
                Err(Applied::Conflict(reason) | Applied::Failed(reason)) => {
                    self.record(
                        &user,
                        Outcome::Failed,
                        Some(format!("merge failed: {reason}")),
                        mismatches,
                    );
                }
            }
        }
    }

    /// Brings this tool's own users (found by identity) to match Cognito: one patch call for the
    /// whole batch, so writes stay proportional to the changes in calls as well as in users.
    async fn settle(&self, found: Vec<(DesiredUser, User)>) {
        let mut changed = Vec::new();
        for (user, actual) in found {
            let mismatches = self.compare(&user, &actual);
            if mismatches.is_empty() {
                self.record(&user, Outcome::Unchanged, None, vec![]);
            } else {
                changed.push((user, actual, mismatches));
            }
        }
        for (user, mismatches, applied) in self.apply(changed).await {
            match applied {
                Ok(()) => self.record(&user, Outcome::Updated, None, mismatches),
                Err(Applied::Conflict(reason)) => self.record(&user, Outcome::Conflict, Some(reason), mismatches),
                Err(Applied::Failed(reason)) => self.record(&user, Outcome::Failed, Some(reason), mismatches),
            }
        }
    }

    /// Writes what each user's mismatches name: login IDs first (a patch names the user by it, and
    /// a taken one is a conflict), then one patch call for all, then statuses (disabling also ends
    /// the sessions).
    async fn apply(
        &self,
        changed: Vec<(DesiredUser, User, Vec<diff::Mismatch>)>,
    ) -> Vec<(DesiredUser, Vec<diff::Mismatch>, Result<(), Applied>)> {
        let mut done = Vec::new();
        let mut to_patch = Vec::new();
        for (desired, actual, mismatches) in changed {
            let mut login_id = actual
                .login_ids
                .first()
                .cloned()
                .unwrap_or_else(|| desired.login_id.clone());
            if mismatches.iter().any(|m| m.field == "loginId") {
                match self.descope.update_login_id(&login_id, &desired.login_id).await {
                    Ok(()) => login_id = desired.login_id.clone(),
                    Err(DescopeError::Api { ref code, .. }) if code == crate::descope::USER_EXISTS => {
                        let reason = format!(
                            "the login ID is now {:?}, which another Descope account holds; the user keeps {login_id:?}",
                            desired.login_id
                        );
                        done.push((desired, mismatches, Err(Applied::Conflict(reason))));
                        continue;
                    }
                    Err(e) => {
                        let reason = format!("changing the login ID failed: {e}");
                        done.push((desired, mismatches, Err(Applied::Failed(reason))));
                        continue;
                    }
                }
            }
            let body = diff::patch(&desired, &actual, &mismatches).map(|mut body| {
                body.login_id = login_id.clone();
                body
            });
            to_patch.push((desired, mismatches, login_id, body));
        }
        let bodies: Vec<UserBody> = to_patch.iter().filter_map(|(_, _, _, body)| body.clone()).collect();
        let (failed, patch_error) = if bodies.is_empty() {
            (Vec::new(), None)
        } else {
            match self.descope.patch_users(&bodies).await {
                Ok(result) => (result.failed_users, None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            }
        };
        for (desired, mismatches, login_id, body) in to_patch {
            if body.is_some() {
                let failure = patch_error.clone().or_else(|| {
                    failed
                        .iter()
                        .find(|f| {
                            f.login_id()
                                .is_some_and(|l| fold_login_id(l) == fold_login_id(&login_id))
                        })
                        .map(|f| f.failure.clone())
                });
                if let Some(failure) = failure {
                    done.push((
                        desired,
                        mismatches,
                        Err(Applied::Failed(format!("patch failed: {failure}"))),
                    ));
                    continue;
                }
            }
            let result = match diff::status_change(&desired, &mismatches) {
                None => Ok(()),
                Some(status) => self.set_status(&login_id, status).await,
            };
            done.push((desired, mismatches, result));
        }
        done
    }

    /// Sets the status; disabling also ends the user's Descope sessions.
    async fn set_status(&self, login_id: &str, status: Status) -> Result<(), Applied> {
        if let Err(e) = self.descope.set_status(login_id, status.as_str()).await {
            return Err(Applied::Failed(format!("setting status failed: {e}")));
        }
        if status == Status::Disabled
            && let Err(e) = self.descope.logout(login_id).await
        {
            return Err(Applied::Failed(format!("disabled, but signing out failed: {e}")));
        }
        Ok(())
    }
}

/// Why writing to an existing user stopped.
enum Applied {
    Conflict(String),
    Failed(String),
}
