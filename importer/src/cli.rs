//! The command line. Every option also reads an environment variable (and so a `.env` file in the
//! working directory: that directory only, never a parent), using the official migration tool's
//! names where it has them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, builder::PossibleValue};

use crate::{
    mapping::{AdditionalLoginIds, LoginIdStrategy},
    migrate::ConflictPolicy,
    model::PoolTarget,
};

/// Move a Cognito user pool into Descope: users, groups as roles, memberships, custom attributes.
#[derive(Debug, Parser)]
#[command(name = "cognito-to-descope", version, about, long_about = None, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Connection and tuning options (accepted before or after the command).
    #[command(flatten)]
    pub options: Options,
}

/// The exit codes, for `--help` (README "Exit codes" says the same).
const EXIT_CODES: &str = "Exit codes:
  0  every user migrated (or matches, for verify)
  1  the run finished, but some users failed, cannot be migrated or differ (all listed)
  2  configuration problem (a setting, a refused management key, a project that conflicts)
  3  the run stopped before the end: Descope unavailable (MIGRATION_MAX_CONSECUTIVE_FAILURES calls
     in a row failed after retries) or another fatal error; the report says why. Re-run to resume
  130/143  interrupted by SIGINT (Ctrl-C) / SIGTERM; the report says so. Re-run to resume

Settings come from flags, the environment, or a .env file in the working directory (only there).
Prefer the environment or .env for DESCOPE_MANAGEMENT_KEY: a flag shows in the process list.";

/// A secret from the command line or the environment (the management key): its `Debug` never
/// shows the value, so no `{:?}` of the options (or of anything holding them) can leak it.
pub use descope_management::Secret;

// The choices' command-line names and help, kept here so that only this module knows clap (the
// types belong to `mapping` and `migrate`). The names are the serde names of the report.
impl ValueEnum for LoginIdStrategy {
    fn value_variants<'a>() -> &'a [Self] {
        &[Self::Email, Self::Phone, Self::Username, Self::EmailOrPhone]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Self::Email => PossibleValue::new("email")
                .help("Verified email, else verified phone number, else the Cognito username"),
            Self::Phone => PossibleValue::new("phone")
                .help("Verified phone number, else verified email, else the Cognito username"),
            Self::Username => PossibleValue::new("username").help("Always the Cognito username"),
            Self::EmailOrPhone => PossibleValue::new("email-or-phone")
                .help("Verified email, else verified phone number; users with neither are reported, not migrated"),
        })
    }
}

impl ValueEnum for AdditionalLoginIds {
    fn value_variants<'a>() -> &'a [Self] {
        &[Self::None, Self::Username, Self::All]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Self::None => PossibleValue::new("none").help("Only the primary login ID"),
            Self::Username => {
                PossibleValue::new("username").help("The Cognito username too, when it is not the primary")
            }
            Self::All => {
                PossibleValue::new("all").help("Every other one of verified email, verified phone number and username")
            }
        })
    }
}

impl ValueEnum for ConflictPolicy {
    fn value_variants<'a>() -> &'a [Self] {
        &[Self::Report, Self::Merge]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Self::Report => PossibleValue::new("report")
                .help("Write nothing to it, report the user as a conflict (exit 1). The default"),
            Self::Merge => PossibleValue::new("merge").help(
                "Merge the Cognito user into that account (it may have been registered by someone else before \
                 the import): its profile and identity are written, its verified flags are never raised, and \
                 roles are copied only when the login ID is verified on both sides. Every merge is reported by \
                 name",
            ),
        })
    }
}

// Each command's `--help` ends with examples (a test holds every subcommand to it).
const MIGRATE_EXAMPLES: &str = "Examples:
  # Read both sides and print the plan and every user's outcome; write nothing
  cognito-to-descope migrate --dry-run -v --user-pool-id us-east-1_AbCdEf123 --descope-project-id P2AbCdEf
  # Then migrate (DESCOPE_MANAGEMENT_KEY and the rest from the environment or .env)
  cognito-to-descope migrate
  # Two pools into two Descope tenants
  cognito-to-descope migrate --user-pool-id us-east-1_AbCdEf123=acme,eu-west-1_GhIjKl456=globex";

const VERIFY_EXAMPLES: &str = "Examples:
  # Check every user field by field before switching traffic; exit 1 on any mismatch
  cognito-to-descope verify --user-pool-id us-east-1_AbCdEf123 --descope-project-id P2AbCdEf
  # List every user checked, with the report at a path of your choice
  cognito-to-descope verify -v --report verify-report.json";

const SYNC_EXAMPLES: &str = "Examples:
  # What would change since the last run (roles of groups left, users disabled or deleted)
  cognito-to-descope sync --dry-run -v
  # Apply it, e.g. from cron every 15 minutes during the cutover
  cognito-to-descope sync --log-dir /var/log/cognito-to-descope";

const STATUS_EXAMPLES: &str = "Examples:
  # Per pool: users not in Descope yet, still freshlyMigrated, signed in to Descope
  cognito-to-descope status
  # The same as JSON, e.g. for a dashboard
  cognito-to-descope status --json | jq '.pools[] | {poolId, notInDescope, signedInToDescope}'";

const REPORT_EXAMPLES: &str = "Examples:
  # The page of a migration, for whoever signs it off (open it in any browser; it loads nothing)
  cognito-to-descope report logs/migration_report_cognito_29_11_2026_10:00:00.json --html migration.html
  # The page of the last verify run
  cognito-to-descope report \"$(ls -t logs/verify_report_cognito_*.json | head -1)\" --html verify.html";

const COMPLETIONS_EXAMPLES: &str = "Examples:
  cognito-to-descope completions bash > ~/.local/share/bash-completion/completions/cognito-to-descope
  cognito-to-descope completions zsh > ~/.zfunc/_cognito-to-descope   # with fpath+=~/.zfunc
  cognito-to-descope completions fish > ~/.config/fish/completions/cognito-to-descope.fish";

const MAN_EXAMPLES: &str = "Examples:
  cognito-to-descope man > ~/.local/share/man/man1/cognito-to-descope.1 && man cognito-to-descope
  cognito-to-descope man | man -l -";

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate users, groups and memberships (run with --dry-run first).
    #[command(after_help = MIGRATE_EXAMPLES)]
    Migrate {
        /// Read everything and print the full plan; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Check, user by user, that Descope holds what Cognito implies, and that every Descope user
    /// of the pools still exists in Cognito; exit 1 on any mismatch.
    #[command(after_help = VERIFY_EXAMPLES)]
    Verify,
    /// During a cutover: `migrate`, plus the changes that take access away (roles of groups the
    /// user left, users disabled or deleted in Cognito). Cognito is the source of truth. Run with
    /// --dry-run first.
    #[command(after_help = SYNC_EXAMPLES)]
    Sync {
        /// Read everything and print what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Delete Descope users whose Cognito user was deleted, instead of disabling them. RISK:
        /// their Descope history and anything granted in Descope is gone for good.
        #[arg(long)]
        delete_removed: bool,
    },
    /// How far the cutover has come, per pool: Cognito users not in Descope yet, users still
    /// freshlyMigrated, users who signed in to Descope. Read-only.
    #[command(after_help = STATUS_EXAMPLES)]
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Turn a run's JSON report into a self-contained HTML page: outcomes per pool as a chart,
    /// problems grouped, the users who need attention and why, the run's settings. Offline: needs
    /// no settings, calls nothing. The page is created owner-only (0600), like the report.
    #[command(after_help = REPORT_EXAMPLES)]
    Report {
        /// The JSON report a `migrate`, `verify` or `sync` run wrote (its path is printed at the
        /// end of the run; see --report / MIGRATION_REPORT).
        #[arg(value_name = "REPORT.json")]
        json_report: PathBuf,
        /// Where to write the page (replaced if it exists).
        #[arg(long, value_name = "OUT.html")]
        html: PathBuf,
    },
    /// Print shell completions to stdout. Needs no settings and reads no .env.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout. Needs no settings and reads no .env.
    #[command(after_help = MAN_EXAMPLES)]
    Man,
}

impl Command {
    /// Whether this command only reports (`status`): no user outcomes, no summary.
    pub fn is_status(&self) -> bool {
        matches!(self, Self::Status { .. })
    }

    /// The log and report name's kind, and whether this is a dry run.
    pub fn kind(&self) -> (&'static str, bool) {
        match self {
            Self::Migrate { dry_run } => ("migration", *dry_run),
            Self::Verify => ("verify", false),
            Self::Sync { dry_run, .. } => ("sync", *dry_run),
            Self::Status { .. } => ("status", false),
            Self::Report { .. } => ("report", false),
            // Answered before any setting is read (`docs::answer`): no log, no report.
            Self::Completions { .. } | Self::Man => ("docs", false),
        }
    }
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

    /// AWS region of the pools: optional, a check. Each pool is read in the region its ID starts
    /// with; a region given here (or in AWS_REGION / AWS_DEFAULT_REGION) that differs is an error.
    #[arg(long, env = "COGNITO_REGION", global = true)]
    pub region: Option<String>,

    /// Cognito endpoint override (AWS_ENDPOINT_URL works too); https unless on loopback.
    #[arg(long, env = "COGNITO_ENDPOINT_URL", global = true)]
    pub cognito_endpoint_url: Option<String>,

    /// Cognito requests per second (the UserList quota is 30 per account and region); 0 = unpaced.
    #[arg(long, env = "COGNITO_REQUESTS_PER_SECOND", default_value_t = 25, global = true)]
    pub cognito_rps: u32,

    /// Descope project ID.
    #[arg(long, env = "DESCOPE_PROJECT_ID", global = true)]
    pub descope_project_id: Option<String>,

    /// Descope management key (never printed or logged). Prefer the environment or .env: a flag
    /// shows in the process list.
    #[arg(long, env = "DESCOPE_MANAGEMENT_KEY", hide_env_values = true, global = true)]
    pub descope_management_key: Option<Secret>,

    /// Descope API base URL (default: derived from the project ID like the official SDKs); https
    /// unless on loopback.
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

    /// Stop the run (exit 3) after this many Descope calls in a row failed with 5xx or transport
    /// errors after their retries, instead of failing user after user; 0 = never stop.
    #[arg(long, env = "MIGRATION_MAX_CONSECUTIVE_FAILURES", default_value_t = 5, global = true)]
    pub max_consecutive_failures: u32,

    /// Attempts per Descope call on 5xx and transport errors (first try included; backoff doubles
    /// from 250 ms up to 30 s between them).
    #[arg(long, env = "DESCOPE_MAX_ATTEMPTS", default_value_t = 8, global = true)]
    pub descope_max_attempts: u32,
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
    /// The Cognito endpoint override, with the setting it came from; `None` = AWS's own endpoint.
    pub cognito_endpoint: Option<(&'static str, String)>,
    /// The regions of the pools (from their IDs), in order, without repeats.
    pub regions: Vec<String>,
}

impl Validated {
    /// The Cognito endpoint, as the plan prints it.
    pub fn cognito_endpoint_label(&self) -> String {
        match &self.cognito_endpoint {
            Some((from, url)) => format!("{url} (from {from})"),
            None => format!("AWS default for {}", self.regions.join(", ")),
        }
    }
}

impl std::fmt::Debug for Validated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validated")
            .field("pools", &self.pools)
            .field("project_id", &self.project_id)
            .field("management_key", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("cognito_endpoint", &self.cognito_endpoint)
            .field("regions", &self.regions)
            .finish()
    }
}

impl Options {
    /// Checks the settings a run cannot start without, with the ambient AWS settings of the
    /// process environment (`AWS_REGION`, `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL...`).
    pub fn validate(&self) -> Result<Validated, ConfigError> {
        let ambient: Vec<(&'static str, String)> = AMBIENT_AWS
            .iter()
            .filter_map(|name| std::env::var(name).ok().map(|value| (*name, value)))
            .collect();
        self.validate_with(&ambient)
    }

    /// [`Options::validate`] with the ambient AWS settings given (name, value).
    pub fn validate_with(&self, ambient: &[(&'static str, String)]) -> Result<Validated, ConfigError> {
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
            if crate::cognito::region_of(pool_id).is_none() {
                return Err(ConfigError(format!(
                    "invalid user pool ID {pool_id:?} in --user-pool-id / COGNITO_USER_POOL_ID: expected <region>_<id> as the Cognito console shows it (e.g. us-east-1_AbC123)"
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
            .filter(|k| !k.expose().trim().is_empty())
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
                check_endpoint("DESCOPE_BASE_URL / --descope-base-url", &url, "https://api.descope.com")?;
                url
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
        if !(1..=20).contains(&self.descope_max_attempts) {
            return Err(ConfigError(format!(
                "invalid DESCOPE_MAX_ATTEMPTS / --descope-max-attempts {}: use 1 to 20",
                self.descope_max_attempts
            )));
        }
        let cognito_endpoint = cognito_endpoint(self.cognito_endpoint_url.as_deref(), ambient)?;
        let regions = check_regions(&pools, self.region.as_deref(), ambient)?;
        Ok(Validated {
            pools,
            project_id,
            management_key: management_key.expose().trim().to_owned(),
            base_url,
            cognito_endpoint,
            regions,
        })
    }
}

/// Ambient AWS settings the importer checks against its own (read by [`Options::validate`]).
const AMBIENT_AWS: [&str; 4] = [
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
    "AWS_ENDPOINT_URL",
];

/// The Cognito endpoint override and where it came from: `--cognito-endpoint-url` /
/// `COGNITO_ENDPOINT_URL`, else the AWS SDK's `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`, else
/// `AWS_ENDPOINT_URL`; each must be https unless it is on loopback.
fn cognito_endpoint(
    option: Option<&str>,
    ambient: &[(&'static str, String)],
) -> Result<Option<(&'static str, String)>, ConfigError> {
    let ambient_value = |name: &str| {
        ambient
            .iter()
            .find(|(n, v)| *n == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
    };
    let chosen = match option.map(str::trim).filter(|v| !v.is_empty()) {
        Some(url) => Some(("COGNITO_ENDPOINT_URL / --cognito-endpoint-url", url.to_owned())),
        None => ambient_value("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
            .map(|url| ("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", url))
            .or_else(|| ambient_value("AWS_ENDPOINT_URL").map(|url| ("AWS_ENDPOINT_URL", url))),
    };
    // The SDK would read the ambient variables on its own; check them even when an explicit
    // setting wins, so a planted one is reported rather than silently shadowed.
    for name in ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_ENDPOINT_URL"] {
        if let Some(url) = ambient_value(name) {
            check_endpoint(name, &url, "https://cognito-idp.<region>.amazonaws.com")?;
        }
    }
    if let Some((from, url)) = &chosen {
        check_endpoint(from, url, "https://cognito-idp.<region>.amazonaws.com")?;
    }
    Ok(chosen)
}

/// An endpoint that receives the management key or feeds users into the migration must be
/// `https://`; plain `http://` is accepted only on loopback (an emulator, moto, a local tunnel).
pub fn check_endpoint(setting: &str, url: &str, example: &str) -> Result<(), ConfigError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| {
        ConfigError(format!(
            "invalid {setting} {url:?}: expected an https URL such as {example}"
        ))
    })?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&parsed) => Ok(()),
        "http" => Err(ConfigError(format!(
            "{setting} {url:?} is plain http to a host that is not loopback: use https (http is accepted only for 127.0.0.0/8, [::1] and localhost); check where the value comes from (environment, .env, AWS configuration)"
        ))),
        _ => Err(ConfigError(format!(
            "invalid {setting} {url:?}: expected an https URL such as {example}"
        ))),
    }
}

/// Whether the URL's host is this machine: 127.0.0.0/8, ::1 or localhost.
pub fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    // IPv6 hosts come bracketed; the URL parser has already normalised IPv4 forms (127.1, 0x7f...).
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}

/// Every pool is read in the region its ID names; an explicit region (`--region` /
/// `COGNITO_REGION`) or an ambient `AWS_REGION` / `AWS_DEFAULT_REGION` that names another is a
/// mistake worth stopping for (with pools in several regions, any single region is). Returns the
/// pools' regions in order.
pub fn check_regions(
    pools: &[PoolTarget],
    explicit: Option<&str>,
    ambient: &[(&'static str, String)],
) -> Result<Vec<String>, ConfigError> {
    let mut regions: Vec<String> = Vec::new();
    for pool in pools {
        if let Some(region) = crate::cognito::region_of(&pool.pool_id)
            && !regions.iter().any(|r| r == region)
        {
            regions.push(region.to_owned());
        }
    }
    let given = explicit
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| ("COGNITO_REGION / --region", r.to_owned()))
        .into_iter()
        .chain(
            ambient
                .iter()
                .filter(|(name, value)| {
                    matches!(*name, "AWS_REGION" | "AWS_DEFAULT_REGION") && !value.trim().is_empty()
                })
                .map(|(name, value)| (*name, value.trim().to_owned())),
        );
    for (setting, region) in given {
        if let Some(pool) = pools
            .iter()
            .find(|p| crate::cognito::region_of(&p.pool_id).is_some_and(|r| r != region))
        {
            let pool_region = crate::cognito::region_of(&pool.pool_id).unwrap_or_default();
            let advice = if regions.len() > 1 {
                format!(
                    "the pools live in {}, so no single region fits: unset {setting}",
                    regions.join(", ")
                )
            } else {
                format!("set {setting} to {pool_region} or unset it")
            };
            return Err(ConfigError(format!(
                "{setting} is {region} but user pool {} is in {pool_region} (its ID says so): {advice}",
                pool.pool_id
            )));
        }
    }
    Ok(regions)
}
