//! The command line. Every option also reads an environment variable (and so a `.env` file in the
//! working directory), using the official migration tool's names where it has them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::{
    mapping::{AdditionalLoginIds, LoginIdStrategy},
    migrate::ConflictPolicy,
    model::PoolTarget,
};

/// Move a Cognito user pool into Descope: users, groups as roles, memberships, custom attributes.
#[derive(Debug, Parser)]
#[command(name = "cognito-to-descope", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Connection and tuning options (accepted before or after the command).
    #[command(flatten)]
    pub options: Options,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate users, groups and memberships (run with --dry-run first).
    Migrate {
        /// Read everything and print the full plan; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Check, user by user, that Descope holds what Cognito implies; exit 1 on any mismatch.
    Verify,
}

/// Options shared by both commands.
#[derive(Debug, Args)]
pub struct Options {
    /// Cognito user pool ID; repeat as POOL=TENANT to import several pools into Descope tenants.
    #[arg(
        long = "user-pool-id",
        env = "COGNITO_USER_POOL_ID",
        value_delimiter = ',',
        global = true
    )]
    pub user_pool_ids: Vec<String>,

    /// AWS region of the pool (default: the AWS chain, then the pool ID's prefix).
    #[arg(long, env = "COGNITO_REGION", global = true)]
    pub region: Option<String>,

    /// Cognito endpoint override (AWS_ENDPOINT_URL works too).
    #[arg(long, env = "COGNITO_ENDPOINT_URL", global = true)]
    pub cognito_endpoint_url: Option<String>,

    /// Cognito requests per second (the UserList quota is 30 per account and region); 0 = unpaced.
    #[arg(long, env = "COGNITO_REQUESTS_PER_SECOND", default_value_t = 25, global = true)]
    pub cognito_rps: u32,

    /// Descope project ID.
    #[arg(long, env = "DESCOPE_PROJECT_ID", global = true)]
    pub descope_project_id: Option<String>,

    /// Descope management key (never printed or logged).
    #[arg(long, env = "DESCOPE_MANAGEMENT_KEY", hide_env_values = true, global = true)]
    pub descope_management_key: Option<String>,

    /// Descope API base URL (default: derived from the project ID like the official SDKs).
    #[arg(long, env = "DESCOPE_BASE_URL", global = true)]
    pub descope_base_url: Option<String>,

    /// Pace calls under Descope's documented limits times this factor (raise it for a plan with
    /// higher limits); 0 = no client-side pacing (429s are still waited out).
    #[arg(long, env = "DESCOPE_RATE_MULTIPLIER", default_value_t = 1.0, global = true)]
    pub descope_rate_multiplier: f64,

    /// Users per Descope batch call.
    #[arg(long, env = "MIGRATION_BATCH_SIZE", default_value_t = 100, global = true)]
    pub batch_size: usize,

    /// Batch calls in flight at once.
    #[arg(long, env = "MIGRATION_CONCURRENCY", default_value_t = 4, global = true)]
    pub concurrency: usize,

    /// Which identifier becomes the Descope login ID (only verified emails and phones qualify).
    #[arg(long, env = "MIGRATION_LOGIN_ID", value_enum, default_value_t = LoginIdStrategy::Email, global = true)]
    pub login_id: LoginIdStrategy,

    /// Which other identifiers become additional login IDs.
    #[arg(long, env = "MIGRATION_ADDITIONAL_LOGIN_IDS", value_enum, default_value_t = AdditionalLoginIds::None, global = true)]
    pub additional_login_ids: AdditionalLoginIds,

    /// A Descope account that holds a user's login ID but is not that Cognito user (registered
    /// before the import, perhaps by someone else): `report` it and write nothing (default), or
    /// `merge` the Cognito user into it (RISK: hands that account the user's profile and, when the
    /// login ID is verified on both sides, roles; review every merge the report lists).
    #[arg(long, env = "MIGRATION_ON_CONFLICT", value_enum, default_value_t = ConflictPolicy::Report, global = true)]
    pub on_conflict: ConflictPolicy,

    /// Let unverified emails and phone numbers become login IDs, as the first version did. RISK:
    /// whoever controls such an address (a typo'd domain, an address never owned) can sign in to
    /// the migrated account with an email/SMS OTP or magic link. Only for projects whose flows
    /// verify the contact again before any passwordless sign-in.
    #[arg(long, env = "MIGRATION_ALLOW_UNVERIFIED_LOGIN_IDS", global = true)]
    pub allow_unverified_login_ids: bool,

    /// Refuse a user with any value that cannot be stored as its declared type (a Number attribute
    /// holding `abc`...), instead of migrating the user without that value.
    #[arg(long, env = "MIGRATION_STRICT", global = true)]
    pub strict: bool,

    /// Directory of the log file and the default JSON report.
    #[arg(long, env = "MIGRATION_LOG_DIR", default_value = "logs", global = true)]
    pub log_dir: PathBuf,

    /// Path of the JSON report (default: in the log directory, named like the log).
    #[arg(long, env = "MIGRATION_REPORT", global = true)]
    pub report: Option<PathBuf>,

    /// More output: -v lists every user, -vv adds debug logs.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// A configuration problem: one message naming the setting, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Validated connection settings.
pub struct Validated {
    /// Pools in order.
    pub pools: Vec<PoolTarget>,
    /// Project ID.
    pub project_id: String,
    /// Management key (kept out of `Debug`).
    pub management_key: String,
    /// Base URL.
    pub base_url: String,
}

impl std::fmt::Debug for Validated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validated")
            .field("pools", &self.pools)
            .field("project_id", &self.project_id)
            .field("management_key", &"<redacted>")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl Options {
    /// Checks the settings a run cannot start without.
    pub fn validate(&self) -> Result<Validated, ConfigError> {
        let missing = |what: &str, var: &str, flag: &str| {
            ConfigError(format!(
                "missing {what}: set {var} (environment or .env) or pass {flag}"
            ))
        };
        if self.user_pool_ids.iter().all(|p| p.trim().is_empty()) {
            return Err(missing(
                "Cognito user pool ID",
                "COGNITO_USER_POOL_ID",
                "--user-pool-id",
            ));
        }
        let mut pools: Vec<PoolTarget> = Vec::new();
        for spec in self.user_pool_ids.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            let (pool_id, tenant) = match spec.split_once('=') {
                Some((pool, tenant)) => (pool.trim(), Some(tenant.trim())),
                None => (spec, None),
            };
            if pool_id.is_empty() || pool_id.contains(char::is_whitespace) || tenant.is_some_and(str::is_empty) {
                return Err(ConfigError(format!(
                    "invalid --user-pool-id / COGNITO_USER_POOL_ID value {spec:?}: expected POOL_ID or POOL_ID=TENANT_ID"
                )));
            }
            if pools.iter().any(|p| p.pool_id == pool_id) {
                return Err(ConfigError(format!(
                    "user pool {pool_id} is given twice in --user-pool-id / COGNITO_USER_POOL_ID"
                )));
            }
            pools.push(PoolTarget {
                pool_id: pool_id.to_owned(),
                tenant: tenant.map(str::to_owned),
            });
        }
        if pools.len() > 1 && pools.iter().any(|p| p.tenant.is_none()) {
            return Err(ConfigError(
                "several user pools need a tenant each: pass --user-pool-id POOL_ID=TENANT_ID for every pool"
                    .to_owned(),
            ));
        }
        let project_id = self
            .descope_project_id
            .clone()
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| missing("Descope project ID", "DESCOPE_PROJECT_ID", "--descope-project-id"))?;
        let project_id = project_id.trim().to_owned();
        if !project_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ConfigError(format!(
                "invalid DESCOPE_PROJECT_ID / --descope-project-id {project_id:?}: use the project ID from the Descope console"
            )));
        }
        let management_key = self
            .descope_management_key
            .clone()
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| {
                missing(
                    "Descope management key",
                    "DESCOPE_MANAGEMENT_KEY",
                    "--descope-management-key",
                )
            })?;
        let base_url = match &self.descope_base_url {
            Some(url) if !url.trim().is_empty() => {
                let url = url.trim().trim_end_matches('/').to_owned();
                match reqwest::Url::parse(&url) {
                    Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => url,
                    _ => {
                        return Err(ConfigError(format!(
                            "invalid DESCOPE_BASE_URL / --descope-base-url {url:?}: expected an http(s) URL such as https://api.descope.com"
                        )));
                    }
                }
            }
            _ => descope_jwt::base_url_for_project(&project_id),
        };
        if !(1..=1000).contains(&self.batch_size) {
            return Err(ConfigError(format!(
                "invalid MIGRATION_BATCH_SIZE / --batch-size {}: use 1 to 1000 (Descope documents no maximum; 100 is the usual)",
                self.batch_size
            )));
        }
        if !(self.descope_rate_multiplier.is_finite() && self.descope_rate_multiplier >= 0.0) {
            return Err(ConfigError(format!(
                "invalid DESCOPE_RATE_MULTIPLIER / --descope-rate-multiplier {}: use 0 (off) or a positive factor",
                self.descope_rate_multiplier
            )));
        }
        if !(1..=64).contains(&self.concurrency) {
            return Err(ConfigError(format!(
                "invalid MIGRATION_CONCURRENCY / --concurrency {}: use 1 to 64",
                self.concurrency
            )));
        }
        Ok(Validated {
            pools,
            project_id,
            management_key: management_key.trim().to_owned(),
            base_url,
        })
    }
}
