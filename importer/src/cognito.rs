//! The Cognito side: schema, groups, memberships and users, read page by page within quotas.

use std::{
    collections::HashMap,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use anyhow::{Context as _, Result};
use aws_config::{BehaviorVersion, Region, retry::RetryConfig};
use aws_sdk_cognitoidentityprovider::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    types::{AttributeDataType, UserType},
};
use futures::{StreamExt as _, TryStreamExt as _};
use rand::Rng as _;
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

/// Attempts per call (first try included) on throttling and transient errors before the run gives
/// up on Cognito.
const MAX_ATTEMPTS: u32 = 8;

/// First backoff delay after a retryable error; doubles per attempt up to [`MAX_BACKOFF`]. With
/// [`MAX_ATTEMPTS`] a call keeps trying for about 8 to 16 seconds.
const BASE_BACKOFF: Duration = Duration::from_millis(200);

/// Longest backoff delay.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Error codes that mean "slow down": the AWS SDK's own list (`aws-runtime`
/// `retries::classifiers::THROTTLING_ERRORS`). Cognito throttles with `TooManyRequestsException`;
/// the others cost nothing to recognise should a proxy or a future Cognito answer with them.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Error codes of transient failures, again the SDK's list (`TRANSIENT_ERRORS`).
const TRANSIENT_CODES: &[&str] = &["RequestTimeout", "RequestTimeoutException"];

/// HTTP statuses retried whatever the body says, the SDK's list (`aws-smithy-runtime`
/// `TRANSIENT_ERROR_STATUS_CODES`): Cognito's `InternalErrorException` is a 500, and a load
/// balancer's 502/503/504 carries no Cognito error code at all.
const TRANSIENT_STATUSES: &[u16] = &[500, 502, 503, 504];

/// Where and how fast to read Cognito.
#[derive(Debug, Clone)]
pub struct CognitoSettings {
    /// Region given explicitly; validated to match every pool's region (`cli::Options::validate`),
    /// so each pool is read in the region its ID names whatever this says.
    pub region: Option<String>,
    /// Endpoint override (moto, VPC endpoints), already resolved from `COGNITO_ENDPOINT_URL`,
    /// `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` or `AWS_ENDPOINT_URL` and checked.
    pub endpoint_url: Option<String>,
    /// Attempts per second across all Cognito calls, retries included; 0 = unpaced.
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
///
/// Retries are this reader's, not the SDK's (its clients make one attempt per call), so that every
/// attempt, first try or retry, waits its turn at the same pacer: the configured pace is the rate
/// Cognito sees, and a throttled run slows down instead of adding retries on top of the pace.
#[derive(Debug)]
pub struct Cognito {
    /// Region → client.
    clients: HashMap<String, Client>,
    /// Stops every call once the run is asked to stop.
    abort: Option<Abort>,
    /// Every attempt.
    pacer: Pacer,
    /// ListGroups attempts, on top of `pacer`.
    list_groups_pacer: Pacer,
    /// The pace, for the log.
    requests_per_second: u32,
    /// What the run cost Cognito, logged when the reader is dropped at the end of the run.
    stats: Stats,
}

/// Calls and attempts, for the run's log.
#[derive(Debug, Default)]
struct Stats {
    /// Calls made (each page is one call, however many attempts it took).
    calls: AtomicU64,
    /// Requests sent to Cognito, first tries and retries.
    attempts: AtomicU64,
    /// Attempts answered with a throttling error.
    throttled: AtomicU64,
    /// Attempts that failed with another retryable error (5xx, timeout, connection).
    transient: AtomicU64,
}

/// Why a failed attempt may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retryable {
    /// Cognito asked to slow down.
    Throttled,
    /// A failure that says nothing about the request: 5xx, a timeout, a dropped connection.
    Transient,
}

/// The operations the reader calls, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    DescribeUserPool,
    ListGroups,
    ListUsersInGroup,
    ListUsers,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Self::DescribeUserPool => "DescribeUserPool",
            Self::ListGroups => "ListGroups",
            Self::ListUsersInGroup => "ListUsersInGroup",
            Self::ListUsers => "ListUsers",
        }
    }
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
    /// endpoint) plus the explicit settings, with the SDK's retries off (the reader retries
    /// through its pacer). The region always comes from the pool ID.
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
                // One attempt per send: an SDK retry would skip the pacer (see `call`).
                .retry_config(RetryConfig::disabled())
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
            requests_per_second: settings.requests_per_second,
            stats: Stats::default(),
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

    /// Sends one call (`what` names it in errors) until it succeeds, through [`Self::guarded`].
    /// Every attempt, first try or retry, waits its turn at the pacer (and at `extra`, the
    /// ListGroups pacer); throttling and transient errors are retried with exponential backoff
    /// and jitter up to [`MAX_ATTEMPTS`] attempts; any other error ends the call at once.
    async fn call<O, E, F, Fut>(&self, op: Op, what: &str, extra: Option<&Pacer>, mut send: F) -> Result<O>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<O, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.stats.calls.fetch_add(1, Ordering::Relaxed);
        self.guarded(async {
            let started = Instant::now();
            let mut attempt = 0;
            loop {
                if let Some(extra) = extra {
                    extra.wait().await;
                }
                self.pacer.wait().await;
                attempt += 1;
                self.stats.attempts.fetch_add(1, Ordering::Relaxed);
                let err = match send().await {
                    Ok(out) => return Ok(out),
                    Err(err) => err,
                };
                let Some(kind) = retryable(&err) else {
                    return Err(anyhow::anyhow!(
                        "{what}: {} (not retried){}",
                        describe(&err),
                        hint(op, &err)
                    ));
                };
                let first_throttle = match kind {
                    Retryable::Throttled => self.stats.throttled.fetch_add(1, Ordering::Relaxed) == 0,
                    Retryable::Transient => {
                        self.stats.transient.fetch_add(1, Ordering::Relaxed);
                        false
                    }
                };
                if attempt >= MAX_ATTEMPTS {
                    let advice = match kind {
                        Retryable::Throttled => format!(
                            "Cognito kept throttling: lower --cognito-rps / COGNITO_REQUESTS_PER_SECOND (now {}) or find what else uses the account's Cognito quota, then run again to resume",
                            self.requests_per_second
                        ),
                        Retryable::Transient => "Cognito kept failing: run again later to resume".to_owned(),
                    };
                    return Err(anyhow::anyhow!(
                        "{what}: gave up after {attempt} attempts in {:.1} s: {}; {advice}",
                        started.elapsed().as_secs_f64(),
                        describe(&err)
                    ));
                }
                if first_throttle {
                    tracing::warn!(
                        operation = op.name(),
                        "Cognito is throttling ({}); retries wait their turn at the same pace of {}",
                        err.code().unwrap_or("throttled"),
                        pace(self.requests_per_second)
                    );
                }
                let delay = backoff(attempt);
                tracing::debug!(
                    operation = op.name(),
                    attempt,
                    error = %describe(&err),
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "Cognito call failed; retrying"
                );
                tokio::time::sleep(delay).await;
            }
        })
        .await
    }

    /// The pool's custom attribute types and size estimate.
    pub async fn pool_info(&self, pool_id: &str) -> Result<PoolInfo> {
        let (client, region) = self.client(pool_id)?;
        let out = self
            .call(
                Op::DescribeUserPool,
                &format!("DescribeUserPool {pool_id} in {region}"),
                None,
                || client.describe_user_pool().user_pool_id(pool_id).send(),
            )
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
                .call(
                    Op::ListGroups,
                    &format!("ListGroups {pool_id}"),
                    Some(&self.list_groups_pacer),
                    || {
                        client
                            .list_groups()
                            .user_pool_id(pool_id)
                            .limit(PAGE)
                            .set_next_token(token.clone())
                            .send()
                    },
                )
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
                .call(
                    Op::ListUsersInGroup,
                    &format!("ListUsersInGroup {pool_id} {:?}", group.name),
                    None,
                    || {
                        client
                            .list_users_in_group()
                            .user_pool_id(pool_id)
                            .group_name(&group.name)
                            .limit(PAGE)
                            .set_next_token(token.clone())
                            .send()
                    },
                )
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
            .call(Op::ListUsers, &format!("ListUsers {pool_id}"), None, || {
                client
                    .list_users()
                    .user_pool_id(pool_id)
                    .limit(PAGE)
                    .set_pagination_token(token.clone())
                    .send()
            })
            .await?;
        let users = out.users().iter().filter_map(to_user).collect();
        Ok(UserPage {
            users,
            next: out.pagination_token.filter(|t| !t.is_empty()),
        })
    }
}

impl Drop for Cognito {
    /// The run's Cognito bill, in the log: the reader lives as long as the run reads Cognito.
    fn drop(&mut self) {
        let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let attempts = count(&self.stats.attempts);
        if attempts == 0 {
            return;
        }
        tracing::info!(
            "Cognito: {attempts} attempts for {} calls, {} throttled, {} other retryable errors; pace {}",
            count(&self.stats.calls),
            count(&self.stats.throttled),
            count(&self.stats.transient),
            pace(self.requests_per_second)
        );
    }
}

/// The pace as the log states it.
fn pace(requests_per_second: u32) -> String {
    if requests_per_second == 0 {
        "unpaced".to_owned()
    } else {
        format!("{requests_per_second} attempts/s")
    }
}

/// Whether a failed attempt may be retried, by the rules of the SDK's standard retry mode: the
/// SDK's throttling and transient error codes, 500/502/503/504, timeouts, I/O errors and
/// responses that could not be read. Everything else (a missing pool, refused credentials, a bad
/// parameter) would fail again the same way.
fn retryable<E: ProvideErrorMetadata>(err: &SdkError<E>) -> Option<Retryable> {
    match err {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => Some(Retryable::Transient),
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => Some(Retryable::Transient),
        SdkError::ServiceError(service) => by_answer(err.code(), service.raw().status().as_u16()),
        _ => None,
    }
}

/// Whether Cognito's answer (error code, HTTP status) may be retried.
fn by_answer(code: Option<&str>, status: u16) -> Option<Retryable> {
    let code = code.unwrap_or_default();
    if THROTTLING_CODES.contains(&code) {
        Some(Retryable::Throttled)
    } else if TRANSIENT_CODES.contains(&code) || TRANSIENT_STATUSES.contains(&status) {
        Some(Retryable::Transient)
    } else {
        None
    }
}

/// A failed attempt in one line: Cognito's error code and message, or the SDK's account of a
/// failure that never reached Cognito. The response's headers and body are left out.
fn describe<E: ProvideErrorMetadata + std::error::Error + 'static>(err: &SdkError<E>) -> String {
    match err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            match (err.code(), err.message()) {
                (Some(code), Some(message)) => format!("{code}: {message} (HTTP {status})"),
                (Some(code), None) => format!("{code} (HTTP {status})"),
                (None, _) => format!("HTTP {status} without a Cognito error code"),
            }
        }
        _ => DisplayErrorContext(err).to_string(),
    }
}

/// What to check after an error that retrying cannot fix.
fn hint<E: ProvideErrorMetadata>(op: Op, err: &SdkError<E>) -> String {
    match err.code() {
        // The first call on a pool: a wrong ID, region or account.
        Some("ResourceNotFoundException") if op == Op::DescribeUserPool => {
            "; check the pool ID in --user-pool-id / COGNITO_USER_POOL_ID (its region comes from the ID) and that the AWS credentials belong to the pool's account".to_owned()
        }
        Some(
            "AccessDeniedException"
            | "NotAuthorizedException"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "ExpiredTokenException",
        ) => format!(
            "; check the AWS credentials and that they allow cognito-idp:{} on the pool",
            op.name()
        ),
        _ => String::new(),
    }
}

/// The wait before the attempt after `attempt`: doubling from [`BASE_BACKOFF`] up to
/// [`MAX_BACKOFF`], jittered in its upper half so concurrent page chains do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let exponential = BASE_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(16));
    let half = exponential.min(MAX_BACKOFF) / 2;
    half + half.mul_f64(rand::rng().random::<f64>())
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

/// Spaces attempts evenly, retries included, so the run stays under Cognito's per-second quotas
/// (UserList: 30 RPS per account; ListGroups: 5 RPS per pool), however many page chains wait on
/// it at once. No burst: two attempts are always at least one interval apart.
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

#[cfg(test)]
mod tests {
    use aws_sdk_cognitoidentityprovider::{error::ConnectorError, operation::list_users::ListUsersError};

    use super::*;

    #[test]
    fn throttling_5xx_and_transport_failures_are_retried_and_nothing_else() {
        assert_eq!(
            by_answer(Some("TooManyRequestsException"), 400),
            Some(Retryable::Throttled)
        );
        assert_eq!(
            by_answer(Some("LimitExceededException"), 400),
            Some(Retryable::Throttled)
        );
        assert_eq!(
            by_answer(Some("InternalErrorException"), 500),
            Some(Retryable::Transient)
        );
        assert_eq!(by_answer(None, 503), Some(Retryable::Transient));
        assert_eq!(
            by_answer(Some("RequestTimeoutException"), 400),
            Some(Retryable::Transient)
        );
        assert_eq!(by_answer(Some("ResourceNotFoundException"), 400), None);
        assert_eq!(by_answer(Some("NotAuthorizedException"), 400), None);
        assert_eq!(by_answer(Some("InvalidParameterException"), 400), None);
        assert_eq!(
            by_answer(None, 501),
            None,
            "not implemented will not be next time either"
        );

        let failure = |e: ConnectorError| retryable(&SdkError::<ListUsersError>::dispatch_failure(e));
        assert_eq!(failure(ConnectorError::io("reset".into())), Some(Retryable::Transient));
        assert_eq!(
            failure(ConnectorError::timeout("slow".into())),
            Some(Retryable::Transient)
        );
        assert_eq!(failure(ConnectorError::user("bad endpoint".into())), None);
        assert_eq!(
            retryable(&SdkError::<ListUsersError>::timeout_error("operation timeout")),
            Some(Retryable::Transient)
        );
        assert_eq!(
            retryable(&SdkError::<ListUsersError>::construction_failure("no region")),
            None
        );
    }

    #[test]
    fn backoff_doubles_within_its_bounds() {
        for attempt in 1..=MAX_ATTEMPTS {
            let full = BASE_BACKOFF.saturating_mul(1 << (attempt - 1)).min(MAX_BACKOFF);
            let delay = backoff(attempt);
            assert!(
                delay >= full / 2 && delay <= full,
                "attempt {attempt}: {delay:?} of {full:?}"
            );
        }
    }
}
