//! Outcomes per user: counted, shown (progress bar or plain lines, `-v` listing), logged, and
//! written to the machine-readable JSON report as they happen.

use std::{
    collections::BTreeMap,
    fs::File,
    io::{BufWriter, Write as _},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{Context as _, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    diff::Mismatch,
    model::{Problem, Warning},
};

/// What happened to one Cognito user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Created in Descope by this run.
    Created,
    /// Created, but something was migrated differently from Cognito (see `warnings`).
    CreatedWithWarnings,
    /// Existed (this Cognito identity's Descope user) and was patched to match Cognito.
    Updated,
    /// Existed and already matched.
    Unchanged,
    /// Another Descope account (not this Cognito identity) holds the login ID, or several Cognito
    /// users verified the same contact: nothing was written for this user.
    Conflict,
    /// `--on-conflict merge`: a Descope account that existed before the import now carries this
    /// Cognito identity.
    Merged,
    /// Could not be written (after retries).
    Failed,
    /// Cannot be migrated as it is in Cognito (no login ID, duplicate, bad value with --strict).
    Unmigratable,
    /// Dry run: would be created.
    WouldCreate,
    /// Dry run: would be patched.
    WouldUpdate,
    /// Dry run: `--on-conflict merge` would merge it into an existing Descope account.
    WouldMerge,
    /// `sync`: the Cognito user was deleted; its Descope user is now disabled and signed out.
    Disabled,
    /// `sync --delete-removed`: the Cognito user was deleted; so is its Descope user now.
    Deleted,
    /// `sync` dry run: would be disabled (deleted in Cognito).
    WouldDisable,
    /// `sync --delete-removed` dry run: would be deleted (deleted in Cognito).
    WouldDelete,
    /// The Cognito user was deleted and its Descope user is already disabled: nothing to do.
    RemovedInCognito,
    /// `verify`: a Descope user of the pool whose Cognito user no longer exists is still enabled.
    NotInCognito,
    /// `verify`: the Descope user matches Cognito.
    Verified,
    /// `verify`: the Descope user differs from Cognito.
    Mismatch,
    /// `verify`: no Descope user carries this identity or holds the login ID.
    Missing,
}

impl Outcome {
    /// Short label for lists and the summary.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::CreatedWithWarnings => "created with warnings",
            Self::Updated => "updated",
            Self::Unchanged => "already up to date",
            Self::Conflict => "conflict (not written)",
            Self::Merged => "merged into an existing account",
            Self::Failed => "failed",
            Self::Unmigratable => "cannot be migrated",
            Self::WouldCreate => "would create",
            Self::WouldUpdate => "would update",
            Self::WouldMerge => "would merge into an existing account",
            Self::Disabled => "deleted in Cognito: disabled",
            Self::Deleted => "deleted in Cognito: deleted",
            Self::WouldDisable => "deleted in Cognito: would disable",
            Self::WouldDelete => "deleted in Cognito: would delete",
            Self::RemovedInCognito => "deleted in Cognito, disabled in Descope",
            Self::NotInCognito => "deleted in Cognito, still enabled in Descope",
            Self::Verified => "matches",
            Self::Mismatch => "differs",
            Self::Missing => "missing in Descope",
        }
    }

    /// Whether this outcome makes the run unsuccessful.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::Failed | Self::Unmigratable | Self::Conflict | Self::Mismatch | Self::Missing | Self::NotInCognito
        )
    }
}

/// One user's line in the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOutcome {
    /// The Cognito pool.
    pub pool: String,
    /// The Cognito username.
    pub username: String,
    /// The Cognito `sub` (the user's identity with the pool).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The Descope login ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_id: Option<String>,
    /// What happened.
    pub outcome: Outcome,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Problems that prevent migration.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// What was migrated differently from Cognito.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// Fields that differed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mismatches: Vec<Mismatch>,
}

impl UserOutcome {
    /// An outcome with no reason, problems, warnings or mismatches yet.
    pub fn new(pool: &str, username: String, login_id: Option<String>, outcome: Outcome) -> Self {
        Self {
            pool: pool.to_owned(),
            username,
            sub: None,
            login_id,
            outcome,
            reason: None,
            problems: Vec::new(),
            warnings: Vec::new(),
            mismatches: Vec::new(),
        }
    }
}

/// How many merges and users with warnings the summary shows by name.
const NOTABLE_SHOWN: usize = 20;

/// Where outcomes go. Built once per run; handlers share it behind a mutex.
pub struct Reporter {
    counts: BTreeMap<&'static str, u64>,
    outcomes: BTreeMap<String, u64>,
    problem_kinds: BTreeMap<String, u64>,
    /// Warning kind → pool → users.
    warning_kinds: BTreeMap<String, BTreeMap<String, u64>>,
    /// Pool → users migrated under another login ID than their email or phone (unverified or
    /// shared contact).
    fallbacks: BTreeMap<String, u64>,
    failures: Vec<UserOutcome>,
    /// Merges and users with warnings, listed after the summary (the first few of each kind).
    notable: Vec<UserOutcome>,
    listed: Vec<UserOutcome>,
    verbose: u8,
    progress: Option<ProgressBar>,
    plain_every: u64,
    seen: u64,
    started: Instant,
    report: Option<JsonReport>,
    /// Why the run stopped before its end, once it did.
    aborted: Option<String>,
}

impl Reporter {
    /// A reporter; `expected` sizes the progress bar, `terminal` chooses a bar or plain lines.
    pub fn new(verbose: u8, expected: u64, terminal: bool, report: Option<JsonReport>) -> Self {
        let progress = terminal.then(|| {
            let bar = ProgressBar::new(expected.max(1));
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} users ({per_sec}) {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self {
            counts: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            problem_kinds: BTreeMap::new(),
            warning_kinds: BTreeMap::new(),
            fallbacks: BTreeMap::new(),
            failures: Vec::new(),
            notable: Vec::new(),
            listed: Vec::new(),
            verbose,
            progress,
            plain_every: 1000,
            seen: 0,
            started: Instant::now(),
            report,
            aborted: None,
        }
    }

    /// Sizes the progress bar once the pools' sizes are known.
    pub fn set_expected(&mut self, expected: u64) {
        if let Some(bar) = &self.progress {
            bar.set_length(expected.max(1));
        }
    }

    /// Marks the run as stopped before its end; the summary and the report say why.
    pub fn abort(&mut self, reason: impl Into<String>) {
        self.aborted.get_or_insert_with(|| reason.into());
    }

    /// Records one user.
    pub fn record(&mut self, outcome: UserOutcome) {
        *self.counts.entry(outcome.outcome.label()).or_default() += 1;
        *self.outcomes.entry(format!("{:?}", outcome.outcome)).or_default() += 1;
        for problem in &outcome.problems {
            let kind = match problem {
                Problem::NoLoginId => "no usable login ID".to_owned(),
                Problem::NoSub => "no sub".to_owned(),
                Problem::SharedVerifiedContact { kind, .. } => {
                    format!("{kind} verified by several Cognito users (conflict)")
                }
                Problem::DuplicateLoginId { .. } => "login ID shared with another Cognito user".to_owned(),
                Problem::InvalidValue {
                    attribute, expected, ..
                } => format!("{attribute} is not a valid {expected}"),
            };
            *self.problem_kinds.entry(kind).or_default() += 1;
        }
        if outcome
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::UnverifiedContact { .. } | Warning::SharedContact { .. }))
        {
            *self.fallbacks.entry(outcome.pool.clone()).or_default() += 1;
        }
        for warning in &outcome.warnings {
            *self
                .warning_kinds
                .entry(warning.kind())
                .or_default()
                .entry(outcome.pool.clone())
                .or_default() += 1;
        }
        let line = describe(&outcome);
        if outcome.outcome.is_failure() {
            tracing::warn!("{line}");
        } else {
            tracing::info!("{line}");
        }
        if let Some(report) = &mut self.report
            && let Err(e) = report.user(&outcome)
        {
            tracing::error!("writing the JSON report failed: {e}");
            self.report = None;
        }
        self.seen += 1;
        match &self.progress {
            Some(bar) => bar.inc(1),
            None if self.seen.is_multiple_of(self.plain_every) => {
                eprintln!("progress: {} users processed ({:.0}/s)", self.seen, self.rate());
            }
            None => {}
        }
        if outcome.outcome.is_failure() {
            self.failures.push(outcome);
        } else {
            // Every merge is listed by name; users with warnings only the first few.
            if matches!(outcome.outcome, Outcome::Merged | Outcome::WouldMerge)
                || (!outcome.warnings.is_empty() && self.notable.len() < NOTABLE_SHOWN)
            {
                self.notable.push(outcome.clone());
            }
            if self.verbose > 0 {
                self.listed.push(outcome);
            }
        }
    }

    fn rate(&self) -> f64 {
        self.seen as f64 / self.started.elapsed().as_secs_f64().max(1e-3)
    }

    /// Users recorded so far.
    pub fn total(&self) -> u64 {
        self.seen
    }

    /// Users of `pool` migrated under another login ID than their (unverified or shared) email or
    /// phone.
    pub fn fallbacks(&self, pool: &str) -> u64 {
        self.fallbacks.get(pool).copied().unwrap_or(0)
    }

    /// Users whose outcome is a failure.
    pub fn failure_count(&self) -> usize {
        self.failures.len()
    }

    /// Count of one outcome.
    pub fn count(&self, outcome: &Outcome) -> u64 {
        self.counts.get(outcome.label()).copied().unwrap_or(0)
    }

    /// Ends the progress display and returns the summary lines, the listing (with `-v`) and the
    /// failures, ready to print.
    pub fn finish(&mut self, extra: Value) -> Result<String> {
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
        let elapsed = self.started.elapsed();
        let mut out = String::new();
        if self.verbose > 0 && !self.listed.is_empty() {
            out.push_str("Users:\n");
            for user in &self.listed {
                out.push_str(&format!("  {}\n", describe(user)));
            }
        }
        out.push_str(&format!("Users: {} in {}\n", self.seen, human(elapsed)));
        for (label, count) in &self.counts {
            out.push_str(&format!("  {label}: {count}\n"));
        }
        if !self.problem_kinds.is_empty() {
            out.push_str("Problems (users that cannot be migrated as they are in Cognito):\n");
            for (kind, count) in &self.problem_kinds {
                out.push_str(&format!("  {kind}: {count}\n"));
            }
        }
        if !self.warning_kinds.is_empty() {
            out.push_str("Warnings (migrated, but not exactly as in Cognito), per pool:\n");
            for (kind, pools) in &self.warning_kinds {
                for (pool, count) in pools {
                    out.push_str(&format!("  {kind}: {count} in {pool}\n"));
                }
            }
        }
        let merged: Vec<&UserOutcome> = self
            .notable
            .iter()
            .filter(|u| matches!(u.outcome, Outcome::Merged | Outcome::WouldMerge))
            .collect();
        if !merged.is_empty() {
            out.push_str("Merged into Descope accounts that existed before the import (review each):\n");
            for user in merged {
                out.push_str(&format!("  {}\n", describe(user)));
            }
        }
        let warned: Vec<&UserOutcome> = self
            .notable
            .iter()
            .filter(|u| !u.warnings.is_empty() && !matches!(u.outcome, Outcome::Merged | Outcome::WouldMerge))
            .collect();
        if !warned.is_empty() && self.verbose == 0 {
            out.push_str("Users with warnings (first few; all in the JSON report, or use -v):\n");
            for user in warned.iter().take(NOTABLE_SHOWN) {
                out.push_str(&format!("  {}\n", describe(user)));
            }
        }
        let (conflicts, others): (Vec<&UserOutcome>, Vec<&UserOutcome>) =
            self.failures.iter().partition(|u| u.outcome == Outcome::Conflict);
        if !conflicts.is_empty() {
            out.push_str(&format!(
                "Conflicts ({}): another Descope account holds the login ID, or several Cognito users verified it; nothing was written for these users or to those accounts:\n",
                conflicts.len()
            ));
            for user in conflicts {
                out.push_str(&format!("  {}\n", describe(user)));
            }
        }
        if !others.is_empty() {
            out.push_str(&format!("Not migrated ({}):\n", others.len()));
            for user in others {
                out.push_str(&format!("  {}\n", describe(user)));
            }
        }
        if let Some(reason) = &self.aborted {
            out.push_str(&format!(
                "Stopped before the end: {reason}\nRun again to resume: users already migrated are left as they are, and nothing is created twice.\n"
            ));
        }
        if let Some(report) = self.report.take() {
            let mut summary = json!({
                "users": self.seen,
                "outcomes": self.outcomes,
                "problems": self.problem_kinds,
                "warnings": self.warning_kinds,
                "seconds": elapsed.as_secs_f64(),
                "extra": extra,
            });
            if let Some(reason) = &self.aborted {
                summary["aborted"] = json!({ "reason": reason });
            }
            let path = report.finish(&summary)?;
            out.push_str(&format!("JSON report: {}\n", path.display()));
        }
        Ok(out)
    }
}

fn describe(user: &UserOutcome) -> String {
    let mut line = format!("{:<24} {}", user.outcome.label(), user.username);
    if let Some(login_id) = &user.login_id
        && login_id != &user.username
    {
        line.push_str(&format!(" ({login_id})"));
    }
    if let Some(sub) = &user.sub
        && user.outcome.is_failure()
    {
        line.push_str(&format!(" [sub {sub}]"));
    }
    if let Some(reason) = &user.reason {
        line.push_str(&format!(": {reason}"));
    }
    for problem in &user.problems {
        line.push_str(&format!(": {problem}"));
    }
    for warning in &user.warnings {
        line.push_str(&format!(": {warning}"));
    }
    if !user.mismatches.is_empty() {
        let fields: Vec<String> = user
            .mismatches
            .iter()
            .map(|m| format!("{} expected {} got {}", m.field, m.expected, m.actual))
            .collect();
        line.push_str(&format!(": {}", fields.join("; ")));
    }
    line
}

fn human(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// The JSON report, written as users complete so that even a huge run never holds it in memory:
/// `{"run": {...}, "users": [...], "summary": {...}}`.
pub struct JsonReport {
    path: PathBuf,
    out: BufWriter<File>,
    first: bool,
}

impl JsonReport {
    /// Creates the file (owner-only, see [`create_private`]) and writes the run's header.
    pub fn create(path: &Path, run: &Value) -> Result<Self> {
        let file = create_private(path).with_context(|| format!("creating the report {}", path.display()))?;
        let mut out = BufWriter::new(file);
        write!(out, "{{\"run\":{run},\"users\":[")?;
        Ok(Self {
            path: path.to_owned(),
            out,
            first: true,
        })
    }

    /// Appends one user's line.
    pub fn user(&mut self, outcome: &UserOutcome) -> Result<()> {
        if !self.first {
            self.out.write_all(b",")?;
        }
        self.first = false;
        self.out.write_all(b"\n")?;
        serde_json::to_writer(&mut self.out, outcome)?;
        Ok(())
    }

    /// Writes the summary, closes the document and returns its path.
    pub fn finish(mut self, summary: &Value) -> Result<PathBuf> {
        write!(self.out, "\n],\"summary\":{summary}}}\n")?;
        self.out.flush()?;
        Ok(self.path)
    }
}

/// Creates (or truncates) a file only its owner can read and write (0600 on Unix): logs and reports
/// hold names, emails and phone numbers. An existing file is truncated and gets 0600 too, whatever
/// mode it had. A missing parent directory is created owner-only (0700); an existing one is left
/// as it is.
pub fn create_private(path: &Path) -> Result<File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    // The mode above applies only to a file this call creates.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .with_context(|| format!("making {} readable by its owner only", path.display()))?;
    Ok(file)
}

/// Creates a directory and its missing parents, each owner-only (0700 on Unix, before the umask).
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}
