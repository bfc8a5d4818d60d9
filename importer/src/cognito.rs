//! The Cognito side: schema, groups, memberships and users, read page by page within quotas.

use std::{collections::HashMap, time::Duration};

use anyhow::{Context as _, Result};
use aws_config::{BehaviorVersion, Region, retry::RetryConfig};
use aws_sdk_cognitoidentityprovider::{
    Client,
    error::DisplayErrorContext,
    types::{AttributeDataType, UserType},
};
use futures::{StreamExt as _, TryStreamExt as _};
use tokio::{sync::Mutex, time::Instant};

use crate::{
    abort::Abort,
    model::{AttrType, CognitoUser, Group},
};

/// Cognito's page limit for ListUsers, ListGroups and ListUsersInGroup.
const PAGE: i32 = 60;

/// Groups walked at once (one ListUsersInGroup page chain each). A chain is sequential by nature
/// (a page's token comes from the page before), so against Cognito one chain at a time is bound by
/// round trips (about 4 to 10 pages a second) and leaves most of the pacer's 25 a second unused;
/// four side by side fill it. The pacer still caps the total rate. Against moto, which answers
/// one request at a time, this gains nothing (BENCHMARKS.md, importer section).
const GROUP_WALKS: usize = 4;

/// ListGroups calls per second: Cognito allows 5 per user pool, below the UserList category's 30
/// per account that the general pacing keeps under. Pools are read one after another.
const LIST_GROUPS_PER_SECOND: u32 = 4;

/// Where and how fast to read Cognito.
#[derive(Debug, Clone)]
pub struct CognitoSettings {
    /// Region given explicitly; validated to match every pool's region (`cli::Options::validate`),
    /// so each pool is read in the region its ID names whatever this says.
    pub region: Option<String>,
    /// Endpoint override (moto, VPC endpoints), already resolved from `COGNITO_ENDPOINT_URL`,
    /// `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` or `AWS_ENDPOINT_URL` and checked.
    pub endpoint_url: Option<String>,
    /// Requests per second across all Cognito calls; 0 = unpaced.
    pub requests_per_second: u32,
}

/// The region a pool ID names: Cognito pool IDs are `<region>_<id>` (`us-east-1_AbC123`).
pub fn region_of(pool_id: &str) -> Option<&str> {
    // Cognito's own pattern for pool IDs: [\w-]+_[0-9a-zA-Z]+, at most 55 characters.
    let (region, rest) = pool_id.split_once('_')?;
    let well_formed = pool_id.len() <= 55
        && !region.is_empty()
        && region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_alphanumeric());
    well_formed.then_some(region)
}

/// A paced, retrying Cognito reader: one client per region, each pool read through the client of
/// the region its ID names.
#[derive(Debug)]
pub struct Cognito {
    /// Region → client.
    clients: HashMap<String, Client>,
    /// Stops every call once the run is asked to stop.
    abort: Option<Abort>,
    /// Every call.
    pacer: Pacer,
    /// ListGroups calls, on top of `pacer`.
    list_groups_pacer: Pacer,
}

/// One page of users and where the next one starts.
#[derive(Debug)]
pub struct UserPage {
    /// The users.
    pub users: Vec<CognitoUser>,
    /// The token of the next page, `None` after the last.
    pub next: Option<String>,
}

/// What DescribeUserPool tells the importer.
#[derive(Debug, Clone)]
pub struct PoolInfo {
    /// Declared types of custom and developer-only attributes, by Cognito name.
    pub custom_types: HashMap<String, AttrType>,
    /// Cognito's estimate, for the progress bar.
    pub estimated_users: u64,
    /// `UsernameAttributes`: `email` and/or `phone_number` when users sign in with those and
    /// their username is a generated ID nobody types.
    pub username_attributes: Vec<String>,
}

impl Cognito {
    /// Builds one client per region of `pool_ids` from the standard AWS chain (credentials,
    /// retries) plus the explicit settings. The region always comes from the pool ID.
    pub async fn connect(settings: &CognitoSettings, pool_ids: &[String]) -> Result<Self> {
        let mut clients = HashMap::new();
        for pool_id in pool_ids {
            let Some(region) = region_of(pool_id) else {
                anyhow::bail!(
                    "invalid user pool ID {pool_id:?}: expected <region>_<id> as the Cognito console shows it"
                );
            };
            if clients.contains_key(region) {
                continue;
            }
            let mut loader = aws_config::defaults(BehaviorVersion::latest())
                .retry_config(
                    // The SDK's standard mode retries TooManyRequestsException and 5xx with backoff.
                    RetryConfig::standard()
                        .with_max_attempts(8)
                        .with_initial_backoff(Duration::from_millis(500)),
                )
                .region(Region::new(region.to_owned()));
            if let Some(endpoint) = &settings.endpoint_url {
                loader = loader.endpoint_url(endpoint);
            }
            let config = loader.load().await;
            clients.insert(region.to_owned(), Client::new(&config));
        }
        Ok(Self {
            clients,
            abort: None,
            pacer: Pacer::new(settings.requests_per_second),
            // Unpaced stays unpaced (moto, tests); otherwise the lower of the two rates.
            list_groups_pacer: Pacer::new(settings.requests_per_second.min(LIST_GROUPS_PER_SECOND)),
        })
    }

    /// Ties the reader to the run's stop switch: once tripped, calls fail at once and waits end.
    #[must_use]
    pub fn with_abort(mut self, abort: Abort) -> Self {
        self.abort = Some(abort);
        self
    }

    /// The client of the pool's region, and the region.
    fn client(&self, pool_id: &str) -> Result<(&Client, &str)> {
        region_of(pool_id)
            .and_then(|region| self.clients.get_key_value(region))
            .map(|(region, client)| (client, region.as_str()))
            .with_context(|| format!("user pool {pool_id} was not given when the Cognito reader was built"))
    }

    /// Runs one paced call unless the run is stopping; a stop ends the wait in flight.
    async fn guarded<T>(&self, call: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        let Some(abort) = &self.abort else {
            return call.await;
        };
        let stopped = || {
            let reason = abort.reason().map(|r| r.message.clone()).unwrap_or_default();
            anyhow::anyhow!("Cognito not read further: the run is stopping ({reason})")
        };
        if abort.is_tripped() {
            return Err(stopped());
        }
        tokio::select! {
            result = call => result,
            () = abort.tripped() => Err(stopped()),
        }
    }

    /// The pool's custom attribute types and size estimate.
    pub async fn pool_info(&self, pool_id: &str) -> Result<PoolInfo> {
        let (client, region) = self.client(pool_id)?;
        let out = self
            .guarded(async {
                self.pacer.wait().await;
                client
                    .describe_user_pool()
                    .user_pool_id(pool_id)
                    .send()
                    .await
                    .map_err(|e| anyhow::anyhow!("{}", DisplayErrorContext(e)))
                    .with_context(|| format!("DescribeUserPool {pool_id} in {region}"))
            })
            .await?;
        let pool = out.user_pool.context("DescribeUserPool returned no pool")?;
        let mut custom_types = HashMap::new();
        for attr in pool.schema_attributes() {
            let Some(name) = attr.name() else { continue };
            if crate::mapping::custom_attribute_name(name).is_none() {
                continue;
            }
            let kind = match attr.attribute_data_type() {
                Some(AttributeDataType::Number) => AttrType::Number,
                Some(AttributeDataType::Boolean) => AttrType::Boolean,
                Some(AttributeDataType::Datetime) => AttrType::DateTime,
                _ => AttrType::String,
            };
            custom_types.insert(name.to_owned(), kind);
        }
        let estimated_users = u64::try_from(pool.estimated_number_of_users).unwrap_or(0);
        let username_attributes = pool
            .username_attributes()
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect();
        Ok(PoolInfo {
            custom_types,
            estimated_users,
            username_attributes,
        })
    }

    /// Every group of the pool.
    pub async fn groups(&self, pool_id: &str) -> Result<Vec<Group>> {
        let (client, _) = self.client(pool_id)?;
        let mut groups = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .guarded(async {
                    self.list_groups_pacer.wait().await;
                    self.pacer.wait().await;
                    client
                        .list_groups()
                        .user_pool_id(pool_id)
                        .limit(PAGE)
                        .set_next_token(token.take())
                        .send()
                        .await
                        .map_err(|e| anyhow::anyhow!("{}", DisplayErrorContext(e)))
                        .with_context(|| format!("ListGroups {pool_id}"))
                })
                .await?;
            for group in out.groups() {
                if let Some(name) = group.group_name() {
                    groups.push(Group {
                        name: name.to_owned(),
                        description: group.description().map(str::to_owned),
                    });
                }
            }
            token = out.next_token.filter(|t| !t.is_empty());
            if token.is_none() {
                return Ok(groups);
            }
        }
    }

    /// username → group names (in the order of `groups`), from one ListUsersInGroup walk per group,
    /// up to [`GROUP_WALKS`] walks at once. Pages are merged as they arrive, so memory holds the
    /// map and the pages in flight, as with one walk at a time.
    pub async fn memberships(&self, pool_id: &str, groups: &[Group]) -> Result<HashMap<String, Vec<String>>> {
        let pages = futures::stream::iter(groups)
            .map(|group| Box::pin(self.member_pages(pool_id, group)))
            .flatten_unordered(GROUP_WALKS);
        let mut pages = std::pin::pin!(pages);
        let mut members: HashMap<String, Vec<String>> = HashMap::new();
        while let Some((group, usernames)) = pages.try_next().await? {
            for username in usernames {
                members.entry(username).or_default().push(group.name.clone());
            }
        }
        // The walks interleave; each user's groups go back into the pool's order.
        let position: HashMap<&str, usize> = groups.iter().enumerate().map(|(i, g)| (g.name.as_str(), i)).collect();
        for names in members.values_mut() {
            names.sort_by_key(|name| position.get(name.as_str()).copied());
        }
        Ok(members)
    }

    /// One group's ListUsersInGroup pages, one after the other (a page's token comes from the page
    /// before), as (group, usernames on the page).
    fn member_pages<'a>(
        &'a self,
        pool_id: &'a str,
        group: &'a Group,
    ) -> impl futures::Stream<Item = Result<(&'a Group, Vec<String>)>> + 'a {
        // State: Some(token) while a page is due (`None` for the first), None after the last.
        futures::stream::try_unfold(Some(None::<String>), move |state| async move {
            let Some(token) = state else { return Ok(None) };
            let (client, _) = self.client(pool_id)?;
            let out = self
                .guarded(async {
                    self.pacer.wait().await;
                    client
                        .list_users_in_group()
                        .user_pool_id(pool_id)
                        .group_name(&group.name)
                        .limit(PAGE)
                        .set_next_token(token)
                        .send()
                        .await
                        .map_err(|e| anyhow::anyhow!("{}", DisplayErrorContext(e)))
                        .with_context(|| format!("ListUsersInGroup {pool_id} {:?}", group.name))
                })
                .await?;
            let usernames = out
                .users()
                .iter()
                .filter_map(|u| u.username().map(str::to_owned))
                .collect();
            let next = out.next_token.filter(|t| !t.is_empty()).map(Some);
            Ok(Some(((group, usernames), next)))
        })
    }

    /// One page of users, starting at `token` (`None` for the first page).
    pub async fn users_page(&self, pool_id: &str, token: Option<String>) -> Result<UserPage> {
        let (client, _) = self.client(pool_id)?;
        let out = self
            .guarded(async {
                self.pacer.wait().await;
                client
                    .list_users()
                    .user_pool_id(pool_id)
                    .limit(PAGE)
                    .set_pagination_token(token)
                    .send()
                    .await
                    .map_err(|e| anyhow::anyhow!("{}", DisplayErrorContext(e)))
                    .with_context(|| format!("ListUsers {pool_id}"))
            })
            .await?;
        let users = out.users().iter().filter_map(to_user).collect();
        Ok(UserPage {
            users,
            next: out.pagination_token.filter(|t| !t.is_empty()),
        })
    }
}

fn to_user(user: &UserType) -> Option<CognitoUser> {
    Some(CognitoUser {
        username: user.username()?.to_owned(),
        attributes: user
            .attributes()
            .iter()
            .filter_map(|a| Some((a.name().to_owned(), a.value()?.to_owned())))
            .collect(),
        enabled: user.enabled(),
        status: user
            .user_status()
            .map_or_else(|| "UNKNOWN".to_owned(), |s| s.as_str().to_owned()),
        created_at: user.user_create_date().map(|d| d.secs()),
    })
}

/// Spaces calls evenly so the run stays under Cognito's per-second quotas (UserList: 30 RPS per
/// account; ListGroups: 5 RPS per pool), however many page chains wait on it at once.
#[derive(Debug)]
struct Pacer {
    interval: Option<Duration>,
    next: Mutex<Instant>,
}

impl Pacer {
    fn new(per_second: u32) -> Self {
        let interval = (per_second > 0).then(|| Duration::from_secs(1) / per_second);
        Self {
            interval,
            next: Mutex::new(Instant::now()),
        }
    }

    async fn wait(&self) {
        let Some(interval) = self.interval else { return };
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(Instant::now());
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}
