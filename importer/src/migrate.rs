//! `migrate`: plan (attribute definitions, tenants, roles), then users in batches.
//!
//! Convergence without local state: users are created optimistically with `create/batch` (one call
//! per batch, memberships and attributes included). Any user the batch did not report as created,
//! for whatever reason (already exists, a fault after the write, a dropped answer), is looked up by
//! login ID and compared with what Cognito says; it is then left alone, patched, skipped or failed
//! according to the conflict policy. Descope refuses a second user with the same login ID, so a
//! re-run, a retry or a run after SIGKILL can never create anyone twice.

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::{
    cognito::Cognito,
    descope::{Descope, DescopeError, wire::Role, wire::User, wire::UserBody},
    diff,
    mapping::{MappingRules, required_definitions},
    model::{AttrType, AttributeDef, DesiredUser, Status},
    pipeline::{self, Pools, Shared, StreamSettings, lock},
    report::{Outcome, Reporter, UserOutcome},
};

/// What to do with a user that already exists in Descope and differs from Cognito.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictPolicy {
    /// Patch it to match Cognito, keeping what Descope holds beyond Cognito (the default: a re-run
    /// converges).
    Update,
    /// Leave it as it is and report it.
    Skip,
    /// Report it as failed.
    Fail,
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Mapping choices.
    pub rules: MappingRules,
    /// Batching and parallelism.
    pub stream: StreamSettings,
    /// Existing users that differ.
    pub conflict: ConflictPolicy,
    /// Read everything, write nothing.
    pub dry_run: bool,
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
        lookup_first: AtomicBool::new(false),
        descope,
        reporter,
        pool_ids,
        conflict: settings.conflict,
        dry_run: settings.dry_run,
    });
    let handle = move |batch: Vec<DesiredUser>| {
        let context = Arc::clone(&context);
        async move {
            if context.dry_run {
                context.preview(batch).await;
            } else if context.lookup_first.load(Ordering::Relaxed) {
                context.look_up_then_write(batch).await;
            } else {
                context.write(batch).await;
            }
        }
    };
    pipeline::run(cognito, pools, &settings.rules, settings.stream, on_unmappable, handle).await
}

struct BatchContext {
    /// Set while most users turn out to exist already (a re-run, a run after a kill): batches are
    /// then looked up first and only the missing users are created, instead of spending Descope's
    /// create budget on calls that would fail as "already exists".
    lookup_first: AtomicBool,
    descope: Arc<Descope>,
    reporter: Shared<Reporter>,
    pool_ids: Arc<Vec<String>>,
    conflict: ConflictPolicy,
    dry_run: bool,
}

impl BatchContext {
    fn record(&self, user: &DesiredUser, outcome: Outcome, reason: Option<String>, mismatches: Vec<diff::Mismatch>) {
        lock(&self.reporter).record(UserOutcome {
            pool: self.pool_ids[user.pool].clone(),
            username: user.cognito_username.clone(),
            login_id: Some(user.login_id.clone()),
            outcome,
            reason,
            problems: Vec::new(),
            mismatches,
        });
    }

    /// Dry run: classify each user by what Descope holds now.
    async fn preview(&self, batch: Vec<DesiredUser>) {
        let ids: Vec<String> = batch.iter().map(|u| u.login_id.clone()).collect();
        let found = match self.descope.users_by_login_ids(&ids).await {
            Ok(found) => found,
            Err(e) => {
                for user in &batch {
                    self.record(
                        user,
                        Outcome::Failed,
                        Some(format!("looking the user up failed: {e}")),
                        vec![],
                    );
                }
                return;
            }
        };
        for user in &batch {
            match find(&found, &user.login_id) {
                None if user.owns_profile => self.record(user, Outcome::WouldCreate, None, vec![]),
                // Created by an earlier pool of this run: this pool adds its tenant.
                None => self.record(
                    user,
                    Outcome::WouldUpdate,
                    Some("adds this pool's tenant to the user of an earlier pool".into()),
                    vec![],
                ),
                Some(actual) => {
                    let mismatches = diff::compare(user, actual);
                    let outcome = match (mismatches.is_empty(), self.conflict) {
                        (true, _) => Outcome::Unchanged,
                        (false, ConflictPolicy::Update) => Outcome::WouldUpdate,
                        (false, ConflictPolicy::Skip) => Outcome::WouldSkip,
                        (false, ConflictPolicy::Fail) => Outcome::WouldFail,
                    };
                    self.record(user, outcome, None, mismatches);
                }
            }
        }
    }

    /// Live run: create the batch, then reconcile whoever was not reported created.
    async fn write(&self, batch: Vec<DesiredUser>) {
        let bodies: Vec<UserBody> = batch.iter().map(UserBody::create).collect();
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
            match find(&created, &user.login_id) {
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
                        .find(|f| f.login_id() == Some(user.login_id.as_str()))
                        .map(|f| f.failure.clone())
                        .or_else(|| batch_error.clone());
                    pending.push((user, reason));
                }
            }
        }
        if pending.len() * 2 > pending.len() + created.len() {
            self.lookup_first.store(true, Ordering::Relaxed);
        }
        if !pending.is_empty() {
            self.reconcile(pending).await;
        }
    }

    /// Live run while most users already exist: look the batch up, settle the existing users and
    /// create only the missing ones.
    async fn look_up_then_write(&self, batch: Vec<DesiredUser>) {
        let ids: Vec<String> = batch.iter().map(|u| u.login_id.clone()).collect();
        let Ok(found) = self.descope.users_by_login_ids(&ids).await else {
            // The lookup failed after retries; the create path reconciles on its own.
            return self.write(batch).await;
        };
        let (existing, missing): (Vec<_>, Vec<_>) =
            batch.into_iter().partition(|u| find(&found, &u.login_id).is_some());
        if missing.len() > existing.len() {
            self.lookup_first.store(false, Ordering::Relaxed);
        }
        self.settle(existing.into_iter().map(|u| (u, None)).collect(), &found)
            .await;
        if !missing.is_empty() {
            self.write(missing).await;
        }
    }

    /// Looks up users the create call did not confirm (with the reason it gave, if any) and makes
    /// them match.
    async fn reconcile(&self, pending: Vec<(DesiredUser, Option<String>)>) {
        let ids: Vec<String> = pending.iter().map(|(u, _)| u.login_id.clone()).collect();
        let found = match self.descope.users_by_login_ids(&ids).await {
            Ok(found) => found,
            Err(e) => {
                for (user, reason) in &pending {
                    let reason = format!(
                        "create not confirmed ({}); lookup failed: {e}",
                        reason.as_deref().unwrap_or("no answer")
                    );
                    self.record(user, Outcome::Failed, Some(reason), vec![]);
                }
                return;
            }
        };
        self.settle(pending, &found).await;
    }

    /// Compares users with what Descope holds (`found`) and leaves, patches, skips or fails each.
    async fn settle(&self, pending: Vec<(DesiredUser, Option<String>)>, found: &[User]) {
        let mut patches = Vec::new();
        let mut to_patch = Vec::new();
        for (user, create_failure) in pending {
            let Some(actual) = find(found, &user.login_id) else {
                let reason = create_failure.unwrap_or_else(|| "Descope did not create the user".to_owned());
                self.record(&user, Outcome::Failed, Some(reason), vec![]);
                continue;
            };
            let mismatches = diff::compare(&user, actual);
            if mismatches.is_empty() {
                self.record(&user, Outcome::Unchanged, None, vec![]);
                continue;
            }
            match self.conflict {
                ConflictPolicy::Skip => self.record(&user, Outcome::Skipped, None, mismatches),
                ConflictPolicy::Fail => self.record(
                    &user,
                    Outcome::Failed,
                    Some("exists in Descope and differs".into()),
                    mismatches,
                ),
                ConflictPolicy::Update => {
                    if let Some(body) = diff::patch(&user, actual, &mismatches) {
                        patches.push(body);
                    }
                    to_patch.push((user, mismatches));
                }
            }
        }
        if to_patch.is_empty() {
            return;
        }
        let patched = if patches.is_empty() {
            Ok(Default::default())
        } else {
            self.descope.patch_users(&patches).await
        };
        let (failed, patch_error) = match patched {
            Ok(result) => (result.failed_users, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        for (user, mismatches) in to_patch {
            let failure = patch_error.clone().or_else(|| {
                failed
                    .iter()
                    .find(|f| f.login_id() == Some(user.login_id.as_str()))
                    .map(|f| f.failure.clone())
            });
            if let Some(failure) = failure {
                self.record(
                    &user,
                    Outcome::Failed,
                    Some(format!("patch failed: {failure}")),
                    mismatches,
                );
                continue;
            }
            if let Some(status) = diff::status_change(&user, &mismatches)
                && let Err(e) = self.descope.set_status(&user.login_id, status.as_str()).await
            {
                self.record(
                    &user,
                    Outcome::Failed,
                    Some(format!("setting status failed: {e}")),
                    mismatches,
                );
                continue;
            }
            self.record(&user, Outcome::Updated, None, mismatches);
        }
    }
}

/// The Descope user holding `login_id`.
fn find<'a>(users: &'a [User], login_id: &str) -> Option<&'a User> {
    users.iter().find(|u| u.login_ids.iter().any(|id| id == login_id))
}
