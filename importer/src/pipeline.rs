//! Cognito pages → mapped users → batches → concurrent batch handlers, pool by pool.
//!
//! Memory stays bounded: one pool's memberships (username → groups), the login IDs seen so far
//! (to catch duplicates), and at most `concurrency` batches in flight plus one being filled.
//! Pools are processed one after the other, and a pool's batches are all finished before the next
//! pool starts, so two pools never write the same person at the same time.

use std::{
    collections::{HashMap, HashSet},
    future::Future,
    sync::{Arc, Mutex},
};

use anyhow::Result;
use tokio::sync::mpsc;

use crate::{
    cognito::{Cognito, PoolInfo},
    mapping::{ContactIndex, MappingRules, fold_login_id, map_user},
    model::{DesiredUser, Group, Identity, PoolTarget, Problem},
};

/// What is known about the pools before any user is read.
#[derive(Debug, Clone)]
pub struct Pools {
    /// The pools, in command-line order (the first one a person appears in owns their profile).
    pub targets: Vec<PoolTarget>,
    /// DescribeUserPool results, same order.
    pub infos: Vec<PoolInfo>,
    /// Groups, same order.
    pub groups: Vec<Vec<Group>>,
}

impl Pools {
    /// Reads schema and groups of every pool.
    pub async fn read(cognito: &Cognito, targets: &[PoolTarget]) -> Result<Self> {
        let mut infos = Vec::new();
        let mut groups = Vec::new();
        for target in targets {
            infos.push(cognito.pool_info(&target.pool_id).await?);
            groups.push(cognito.groups(&target.pool_id).await?);
        }
        Ok(Self {
            targets: targets.to_vec(),
            infos,
            groups,
        })
    }

    /// Declared custom attribute types across all pools. A name declared with two types in two
    /// pools is an error: one Descope attribute cannot hold both.
    pub fn custom_types(&self) -> Result<HashMap<String, crate::model::AttrType>> {
        let mut all = HashMap::new();
        for (info, target) in self.infos.iter().zip(&self.targets) {
            for (name, kind) in &info.custom_types {
                if let Some(previous) = all.insert(name.clone(), *kind)
                    && previous != *kind
                {
                    anyhow::bail!(
                        "custom attribute {name} is {previous:?} in one pool and {kind:?} in {}; align the pools' schemas first",
                        target.pool_id
                    );
                }
            }
        }
        Ok(all)
    }

    /// Cognito's estimate of the users in all pools (for progress).
    pub fn estimated_users(&self) -> u64 {
        self.infos.iter().map(|i| i.estimated_users).sum()
    }
}

/// A user that could not be mapped, with the reasons.
#[derive(Debug, Clone)]
pub struct Unmappable {
    /// The pool's index.
    pub pool: usize,
    /// The Cognito username.
    pub username: String,
    /// The Cognito `sub`, when the user has one.
    pub sub: Option<String>,
    /// The login ID it would have had, when known.
    pub login_id: Option<String>,
    /// Why.
    pub problems: Vec<Problem>,
}

/// Tuning of the stream.
#[derive(Debug, Clone, Copy)]
pub struct StreamSettings {
    /// Users per batch.
    pub batch_size: usize,
    /// Batches in flight.
    pub concurrency: usize,
}

/// The `sub` of every user Cognito listed, per pool (in run order): who still exists there.
pub type Listed = Vec<HashSet<String>>;

/// Streams every pool's users through `handle` in batches. `unmappable` receives each user that
/// cannot be migrated. Returns, after every batch has been handled, the subs Cognito listed.
pub async fn run<H, Fut>(
    cognito: &Cognito,
    pools: &Pools,
    rules: &MappingRules,
    settings: StreamSettings,
    mut unmappable: impl FnMut(Unmappable),
    handle: H,
) -> Result<Listed>
where
    H: Fn(Vec<DesiredUser>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    // Folded login ID → the first Cognito user that claimed it (across pools: one person in
    // several pools is one Descope user, but only when the login ID is a contact both verified).
    let mut seen: HashMap<String, Claim> = HashMap::new();
    let mut listed: Listed = Vec::new();
    for (pool, target) in pools.targets.iter().enumerate() {
        let pool_groups: Arc<[String]> = pools.groups[pool].iter().map(|g| g.name.clone()).collect();
        let started = std::time::Instant::now();
        let members = cognito.memberships(&target.pool_id, &pools.groups[pool]).await?;
        tracing::info!(
            pool = %target.pool_id,
            users_in_groups = members.len(),
            seconds = started.elapsed().as_secs_f64(),
            "memberships gathered"
        );
        let (contacts, mut subs) = index_contacts(cognito, &target.pool_id).await?;
        tracing::info!(
            pool = %target.pool_id,
            contacts = contacts.len(),
            seconds = started.elapsed().as_secs_f64(),
            "emails and phones indexed"
        );
        let (sender, receiver) = mpsc::channel::<Vec<DesiredUser>>(settings.concurrency.max(1));
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        let workers: Vec<_> = (0..settings.concurrency.max(1))
            .map(|_| {
                let receiver = Arc::clone(&receiver);
                let handle = handle.clone();
                tokio::spawn(async move {
                    loop {
                        let batch = receiver.lock().await.recv().await;
                        let Some(batch) = batch else { break };
                        handle(batch).await;
                    }
                })
            })
            .collect();

        let mut batch = Vec::with_capacity(settings.batch_size);
        let mut token = None;
        let read = async {
            loop {
                let page = cognito.users_page(&target.pool_id, token.take()).await?;
                for user in &page.users {
                    // Also users created since the pre-pass: the sync must not take them as deleted.
                    if let Some(sub) = user.attributes.get("sub") {
                        subs.insert(sub.clone());
                    }
                    let groups = members.get(&user.username).map(Vec::as_slice).unwrap_or_default();
                    match map_user(
                        user,
                        groups,
                        pool,
                        &target.pool_id,
                        target.tenant.as_deref(),
                        rules,
                        &contacts,
                    ) {
                        Err(problems) => unmappable(Unmappable {
                            pool,
                            username: user.username.clone(),
                            sub: user.attributes.get("sub").cloned(),
                            login_id: None,
                            problems,
                        }),
                        Ok(mut desired) => {
                            let key = fold_login_id(&desired.login_id);
                            let verified = desired.login_id_is_verified_contact();
                            match seen.get(&key) {
                                // The same person in an earlier pool, by a contact both verified:
                                // this pool adds its tenant to that user.
                                Some(first) if first.pool != pool && first.verified && verified => {
                                    desired.owns_profile = false;
                                    desired.owner = Some(first.identity.clone());
                                }
                                Some(first) => {
                                    unmappable(Unmappable {
                                        pool,
                                        username: user.username.clone(),
                                        sub: Some(desired.identity.sub.clone()),
                                        login_id: Some(desired.login_id.clone()),
                                        problems: vec![Problem::DuplicateLoginId {
                                            login_id: desired.login_id.clone(),
                                            other_username: first.describe(&pools.targets, pool),
                                        }],
                                    });
                                    continue;
                                }
                                None => {
                                    seen.insert(
                                        key,
                                        Claim {
                                            pool,
                                            username: user.username.clone(),
                                            identity: desired.identity.clone(),
                                            verified,
                                        },
                                    );
                                }
                            }
                            desired.pool_groups = Arc::clone(&pool_groups);
                            batch.push(desired);
                            if batch.len() >= settings.batch_size {
                                let full = std::mem::replace(&mut batch, Vec::with_capacity(settings.batch_size));
                                if sender.send(full).await.is_err() {
                                    anyhow::bail!("batch workers stopped unexpectedly");
                                }
                            }
                        }
                    }
                }
                token = page.next;
                if token.is_none() {
                    break;
                }
            }
            if !batch.is_empty() && sender.send(std::mem::take(&mut batch)).await.is_err() {
                anyhow::bail!("batch workers stopped unexpectedly");
            }
            Ok(())
        };
        let outcome: Result<()> = read.await;
        tracing::info!(pool = %target.pool_id, seconds = started.elapsed().as_secs_f64(), "all users read");
        drop(sender);
        // Finish what is in flight even when reading failed, so every sent user gets an outcome.
        for worker in workers {
            worker
                .await
                .map_err(|e| anyhow::anyhow!("a batch worker crashed: {e}"))?;
        }
        outcome?;
        tracing::info!(pool = %target.pool_id, seconds = started.elapsed().as_secs_f64(), "pool done");
        listed.push(subs);
    }
    Ok(listed)
}

/// The first Cognito user that claimed a login ID in this run.
struct Claim {
    pool: usize,
    username: String,
    identity: Identity,
    /// The login ID is an email or phone this user verified.
    verified: bool,
}

impl Claim {
    /// The claimant, for a report about a user of `pool`.
    fn describe(&self, targets: &[PoolTarget], pool: usize) -> String {
        if self.pool == pool {
            self.username.clone()
        } else {
            format!("{} of pool {}", self.username, targets[self.pool].pool_id)
        }
    }
}

/// The pre-pass: every email and phone of the pool, with who verified them, so that the verified
/// owner of a shared contact keeps it whatever the listing order (one extra ListUsers call per 60
/// users).
async fn index_contacts(cognito: &Cognito, pool_id: &str) -> Result<(ContactIndex, HashSet<String>)> {
    let mut index = ContactIndex::default();
    let mut subs = HashSet::new();
    let mut token = None;
    loop {
        let page = cognito.users_page(pool_id, token.take()).await?;
        for user in &page.users {
            index.add(user);
            if let Some(sub) = user.attributes.get("sub") {
                subs.insert(sub.clone());
            }
        }
        token = page.next;
        if token.is_none() {
            return Ok((index, subs));
        }
    }
}

/// A shared, lockable value for handlers (the reporter).
pub type Shared<T> = Arc<Mutex<T>>;

/// Locks a shared value; a handler that panicked while holding it does not poison the run.
pub fn lock<T>(shared: &Shared<T>) -> std::sync::MutexGuard<'_, T> {
    shared.lock().unwrap_or_else(|p| p.into_inner())
}

/// The `unmappable` callback of [`run`] that records each such user as `unmigratable`.
pub fn record_unmappable(
    reporter: &Shared<crate::report::Reporter>,
    pool_ids: &Arc<Vec<String>>,
) -> impl FnMut(Unmappable) + use<> {
    let reporter = Arc::clone(reporter);
    let pool_ids = Arc::clone(pool_ids);
    move |u: Unmappable| {
        // Two users that verified one contact are a conflict between people, not bad data.
        let outcome = if u
            .problems
            .iter()
            .any(|p| matches!(p, Problem::SharedVerifiedContact { .. }))
        {
            crate::report::Outcome::Conflict
        } else {
            crate::report::Outcome::Unmigratable
        };
        lock(&reporter).record(crate::report::UserOutcome {
            sub: u.sub,
            problems: u.problems,
            ..crate::report::UserOutcome::new(&pool_ids[u.pool], u.username, u.login_id, outcome)
        });
    }
}
