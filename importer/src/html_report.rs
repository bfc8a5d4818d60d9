//! `cognito-to-descope report REPORT.json --html OUT.html`: a run's JSON report as one
//! self-contained page for the people who decide (outcomes per pool as a chart, problems grouped,
//! the users who need attention and why, the run's settings).
//!
//! Trust: usernames, login IDs and attribute values in a report were typed by end users (a Cognito
//! username may hold `<`, `>` and quotes). Every value is HTML-escaped where it is written, the page
//! carries no script at all, and its Content-Security-Policy forbids scripts, images and every
//! network fetch, so even a mistake in escaping could not run code or call out. The page is
//! created owner-only (0600) like the JSON report: it holds the same names and contacts.
//!
//! Reading: the JSON report is written line by line as users complete (see
//! [`crate::report::JsonReport`]), so it is read the same way: a report of millions of users is
//! never held in memory, and the report of a run killed before its end (no `summary`, maybe a cut
//! line) still renders what it holds, marked incomplete. A report reformatted by another tool
//! (one JSON document on other lines) is read whole instead.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    io::{BufRead, BufReader, Write as _},
    path::Path,
};

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::report::{Outcome, create_private_dir};

/// How many users each "needs attention" list shows by name; the rest are counted (all of them
/// are in the JSON report). Keeps the page usable for a pool with many problems.
pub const SHOWN_PER_LIST: usize = 1000;

/// One user's line of the JSON report, as far as the page needs it (unknown fields are ignored,
/// so a newer report still renders).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct UserLine {
    pool: String,
    username: String,
    sub: Option<String>,
    login_id: Option<String>,
    outcome: String,
    reason: Option<String>,
    problems: Vec<Value>,
    warnings: Vec<Value>,
    mismatches: Vec<Value>,
}

/// A user listed under "needs attention".
#[derive(Debug, Clone)]
pub struct Attention {
    /// The Cognito pool.
    pub pool: String,
    /// The Cognito username.
    pub username: String,
    /// The Descope login ID, when the user has one.
    pub login_id: Option<String>,
    /// The Cognito `sub`.
    pub sub: Option<String>,
    /// The outcome's label.
    pub outcome: String,
    /// Why: the reason, problems, warnings and differing fields, in words.
    pub why: String,
}

/// The lists of users who need attention, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum List {
    /// Not migrated, or different from Cognito (the run's failures).
    NotMigrated,
    /// Merged into Descope accounts that existed before the import: review each.
    Merged,
    /// Access taken away because the Cognito user was deleted.
    AccessRemoved,
    /// Migrated, but not exactly as in Cognito.
    Warnings,
}

impl List {
    const ALL: [Self; 4] = [Self::NotMigrated, Self::Merged, Self::AccessRemoved, Self::Warnings];

    fn title(self) -> &'static str {
        match self {
            Self::NotMigrated => "Not migrated, or different from Cognito",
            Self::Merged => "Merged into Descope accounts that existed before the import (review each)",
            Self::AccessRemoved => "Deleted in Cognito: access taken away in Descope",
            Self::Warnings => "Migrated, but not exactly as in Cognito",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Self::NotMigrated => "not-migrated",
            Self::Merged => "merged",
            Self::AccessRemoved => "access-removed",
            Self::Warnings => "warnings",
        }
    }
}

/// What the page shows, gathered in one pass over the report.
#[derive(Debug, Default)]
pub struct Digest {
    /// The run's settings (the report's `run` header).
    pub run: Map<String, Value>,
    /// The report's `summary`; `None` when the run ended before writing it.
    pub summary: Option<Value>,
    /// Users read.
    pub users: u64,
    /// Pool → outcome (the report's name, e.g. `wouldCreate`) → users.
    pub per_pool: BTreeMap<String, BTreeMap<String, u64>>,
    /// The lists, each with the users shown and how many there are in all.
    pub lists: BTreeMap<List, (Vec<Attention>, u64)>,
    /// (list, group key) → (the group in words, pool → users). Keys are machine-readable:
    /// `problem:<tag>[@attribute]`, `warning:<tag>[@attribute]`, `mismatch:<field>`,
    /// `outcome:<outcome>` (a failure with only a reason, e.g. a conflict).
    pub groups: BTreeMap<(List, String), (String, BTreeMap<String, u64>)>,
    /// Whether the last line was cut (the process was killed while writing it).
    pub cut_line: bool,
}

impl Digest {
    fn add(&mut self, user: UserLine) {
        self.users += 1;
        *self
            .per_pool
            .entry(user.pool.clone())
            .or_default()
            .entry(user.outcome.clone())
            .or_default() += 1;
        let outcome = parse_outcome(&user.outcome);
        let list = match &outcome {
            None => Some(List::NotMigrated),
            Some(o) if o.is_failure() => Some(List::NotMigrated),
            Some(Outcome::Merged | Outcome::WouldMerge) => Some(List::Merged),
            Some(Outcome::Disabled | Outcome::Deleted | Outcome::WouldDisable | Outcome::WouldDelete) => {
                Some(List::AccessRemoved)
            }
            Some(_) if !user.warnings.is_empty() => Some(List::Warnings),
            Some(_) => None,
        };
        let Some(list) = list else { return };
        for (key, words) in group_keys(&user, list) {
            let (_, pools) = self
                .groups
                .entry((list, key))
                .or_insert_with(|| (words, BTreeMap::new()));
            *pools.entry(user.pool.clone()).or_default() += 1;
        }
        let (shown, total) = self.lists.entry(list).or_default();
        *total += 1;
        if shown.len() < SHOWN_PER_LIST {
            shown.push(Attention {
                why: why(&user),
                outcome: label(&user.outcome),
                pool: user.pool,
                username: user.username,
                login_id: user.login_id,
                sub: user.sub,
            });
        }
    }

    /// Whether the report ends before its summary: the run was killed, or is still going.
    pub fn incomplete(&self) -> bool {
        self.summary.is_none()
    }
}

/// The groups a user of `list` counts in (each once), as (key, words).
fn group_keys(user: &UserLine, list: List) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut tags = |items: &[Value], tag: &str, prefix: &str| {
        for item in items {
            let name = item[tag].as_str().unwrap_or("other");
            let (key, text) = match item["attribute"].as_str() {
                Some(attribute) => (
                    format!("{tag}:{name}@{attribute}"),
                    format!("{prefix}{}: {attribute}", words(name)),
                ),
                None => (format!("{tag}:{name}"), format!("{prefix}{}", words(name))),
            };
            if !keys.iter().any(|(k, _)| *k == key) {
                keys.push((key, text));
            }
        }
    };
    tags(&user.problems, "problem", "cannot be migrated: ");
    if list == List::Warnings {
        tags(&user.warnings, "warning", "");
    }
    for mismatch in &user.mismatches {
        let field = text(&mismatch["field"]);
        let key = format!("mismatch:{field}");
        if !keys.iter().any(|(k, _)| *k == key) {
            keys.push((key, format!("differs from Cognito: {field}")));
        }
    }
    if keys.is_empty() {
        keys.push((format!("outcome:{}", user.outcome), label(&user.outcome)));
    }
    keys
}

/// Chart and table order: done, planned, worth a look, access removed, failed; unknown last.
fn rank(outcome: &str) -> usize {
    const ORDER: [&str; 20] = [
        "created",
        "updated",
        "unchanged",
        "verified",
        "wouldCreate",
        "wouldUpdate",
        "createdWithWarnings",
        "merged",
        "wouldMerge",
        "removedInCognito",
        "disabled",
        "deleted",
        "wouldDisable",
        "wouldDelete",
        "conflict",
        "unmigratable",
        "failed",
        "mismatch",
        "missing",
        "notInCognito",
    ];
    ORDER.iter().position(|o| *o == outcome).unwrap_or(ORDER.len())
}

/// A pool's outcomes in [`rank`] order.
fn ordered(outcomes: &BTreeMap<String, u64>) -> Vec<(&str, u64)> {
    let mut list: Vec<(&str, u64)> = outcomes.iter().map(|(o, n)| (o.as_str(), *n)).collect();
    list.sort_by_key(|(o, _)| rank(o));
    list
}

fn parse_outcome(name: &str) -> Option<Outcome> {
    serde_json::from_value(Value::String(name.to_owned())).ok()
}

fn label(name: &str) -> String {
    parse_outcome(name).map_or_else(|| format!("unknown outcome {name:?}"), |o| o.label().to_owned())
}

/// The reason, problems, warnings and differing fields of one user, in words.
fn why(user: &UserLine) -> String {
    let mut parts: Vec<String> = user.reason.iter().cloned().collect();
    parts.extend(user.problems.iter().map(|p| tagged(p, "problem")));
    parts.extend(user.warnings.iter().map(|w| tagged(w, "warning")));
    parts.extend(user.mismatches.iter().map(|m| {
        format!(
            "{}: Cognito implies {}, Descope holds {}",
            text(&m["field"]),
            text(&m["expected"]),
            text(&m["actual"])
        )
    }));
    parts.join("; ")
}

/// `{"problem": "invalidValue", "attribute": "custom:seats", ...}` → `invalid value (attribute
/// custom:seats, value "twelve", ...)`.
fn tagged(value: &Value, tag: &str) -> String {
    let Some(fields) = value.as_object() else {
        return text(value);
    };
    let mut out = words(fields.get(tag).and_then(Value::as_str).unwrap_or(tag));
    let rest: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k.as_str() != tag)
        .map(|(k, v)| match v {
            Value::String(s) => format!("{} {s:?}", words(k)),
            other => format!("{} {other}", words(k)),
        })
        .collect();
    if !rest.is_empty() {
        out.push_str(&format!(" ({})", rest.join(", ")));
    }
    out
}

/// `sharedVerifiedContact` → `shared verified contact`.
fn words(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_uppercase() {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Reads a JSON report (see the module docs for how).
pub fn read(path: &Path) -> Result<Digest> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open the JSON report {}", path.display()))?;
    let mut lines = BufReader::new(file).lines();
    let first = match lines.next() {
        Some(line) => line.with_context(|| format!("cannot read {}", path.display()))?,
        None => bail!(
            "{} is empty: give the JSON report a run wrote (--report / MIGRATION_REPORT)",
            path.display()
        ),
    };
    // The writer's own layout: `{"run":{...},"users":[` on the first line.
    let header = first
        .strip_suffix("\"users\":[")
        .and_then(|h| h.strip_suffix(','))
        .and_then(|h| serde_json::from_str::<Value>(&format!("{h}}}")).ok());
    let Some(Value::Object(mut header)) = header else {
        drop(lines);
        return read_whole(path);
    };
    let mut digest = Digest {
        run: as_map(header.remove("run")),
        ..Digest::default()
    };
    let mut pending: Option<(usize, String)> = None;
    for (n, line) in lines.enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        // A line that did not parse is only acceptable as the very last one (cut by a kill).
        if let Some((at, _)) = pending.take() {
            bail!(
                "{} line {} is not a user record: the file was changed after the run wrote it",
                path.display(),
                at + 2
            );
        }
        if let Some(summary) = line.strip_prefix("],\"summary\":") {
            let summary = summary.strip_suffix('}').unwrap_or(summary);
            digest.summary = Some(
                serde_json::from_str(summary)
                    .with_context(|| format!("{}: the summary line is not JSON", path.display()))?,
            );
            return Ok(digest);
        }
        let record = line.strip_suffix(',').unwrap_or(&line);
        match serde_json::from_str::<UserLine>(record) {
            Ok(user) => digest.add(user),
            Err(_) => pending = Some((n, line)),
        }
    }
    digest.cut_line = pending.is_some();
    Ok(digest)
}

/// A report as one JSON document (reformatted by another tool): must be complete.
fn read_whole(path: &Path) -> Result<Digest> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut report: Map<String, Value> = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is not a cognito-to-descope JSON report (not JSON, or cut short and reformatted)",
            path.display()
        )
    })?;
    let (Some(run @ Value::Object(_)), Some(Value::Array(users))) = (report.remove("run"), report.remove("users"))
    else {
        bail!(
            "{} is not a cognito-to-descope JSON report: it has no \"run\" object and \"users\" list",
            path.display()
        );
    };
    let mut digest = Digest {
        run: as_map(Some(run)),
        summary: report.remove("summary"),
        ..Digest::default()
    };
    for (n, user) in users.into_iter().enumerate() {
        let user = serde_json::from_value(user)
            .with_context(|| format!("{}: user {} is not a user record", path.display(), n + 1))?;
        digest.add(user);
    }
    Ok(digest)
}

fn as_map(value: Option<Value>) -> Map<String, Value> {
    match value {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Runs `report REPORT.json --html OUT.html` and returns the exit code (2 when the report cannot
/// be read or the page written); `None` for every other command.
pub fn answer(command: &crate::cli::Command) -> Option<std::process::ExitCode> {
    let crate::cli::Command::Report { json_report, html } = command else {
        return None;
    };
    Some(match write_page(json_report, html) {
        Ok(digest) => {
            println!(
                "HTML report: {} ({} users{})",
                html.display(),
                digest.users,
                if digest.incomplete() { ", incomplete report" } else { "" }
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(crate::run::EXIT_CONFIG)
        }
    })
}

/// Writes the page of the report at `report` to `html`, owner-only, replacing it only once the
/// page is complete (a failure leaves no half-written page behind).
pub fn write_page(report: &Path, html: &Path) -> Result<Digest> {
    if std::fs::canonicalize(report).ok() == std::fs::canonicalize(html).ok() && html.exists() {
        bail!(
            "--html {} is the JSON report itself: choose another file for the page",
            html.display()
        );
    }
    let digest = read(report)?;
    if let Some(parent) = html.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent)?;
    }
    let page = render(&digest, &report.display().to_string());
    let name = html
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = html.with_file_name(format!(".{name}.partial"));
    let written = (|| -> Result<()> {
        // A fresh file (never one planted at that name, nor a link's target), owner-only.
        let _ = std::fs::remove_file(&partial);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&partial)?;
        file.write_all(page.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&partial, html)?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e.context(format!("cannot write the page {}", html.display())));
    }
    Ok(digest)
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One color per outcome (fixed, so two pages read alike): greens done, blues planned, amber
/// worth a look, purple access removed, reds failed.
fn color(outcome: &str) -> &'static str {
    match parse_outcome(outcome) {
        Some(Outcome::Created) => "#2e7d32",
        Some(Outcome::Updated) => "#66bb6a",
        Some(Outcome::Unchanged | Outcome::Verified) => "#a5d6a7",
        Some(Outcome::CreatedWithWarnings) => "#f9a825",
        Some(Outcome::Merged | Outcome::WouldMerge) => "#ef6c00",
        Some(Outcome::WouldCreate) => "#1565c0",
        Some(Outcome::WouldUpdate) => "#64b5f6",
        Some(Outcome::Disabled | Outcome::Deleted | Outcome::WouldDisable | Outcome::WouldDelete) => "#6a1b9a",
        Some(Outcome::RemovedInCognito) => "#ce93d8",
        Some(Outcome::Conflict) => "#c62828",
        Some(Outcome::Unmigratable) => "#e57373",
        Some(Outcome::Failed | Outcome::Mismatch | Outcome::Missing | Outcome::NotInCognito) => "#b71c1c",
        None => "#616161",
    }
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#212121}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd}
.sub{color:#555;margin-top:0}.verdict{font-size:1.15rem;padding:.6rem .9rem;border-radius:6px}
.ok{background:#e8f5e9}.bad{background:#ffebee}.note{background:#fff8e1;padding:.6rem .9rem;border-radius:6px}
table{border-collapse:collapse;margin:.6rem 0;width:100%}th,td{border-bottom:1px solid #eee;padding:.3rem .5rem;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;overflow-wrap:normal;white-space:nowrap}
figure{margin:.8rem 0}figcaption{font-weight:600;overflow-wrap:anywhere}svg.bar{width:100%;height:26px;display:block}
ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem}ul.legend svg{width:12px;height:12px;vertical-align:middle;margin-right:.3rem}
footer{margin-top:3rem;color:#666;font-size:.9rem}";

/// The page. Every value from the report goes through [`escape`]; nothing else is interpolated.
pub fn render(d: &Digest, source: &str) -> String {
    let command = d.run.get("command").map(text).unwrap_or_else(|| "run".into());
    let dry = d.run.get("dryRun").and_then(Value::as_bool).unwrap_or(false);
    let title = format!("cognito-to-descope {command}{}", if dry { " (dry run)" } else { "" });
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    let started = d.run.get("startedAt").map(text).unwrap_or_default();
    let started = chrono::DateTime::parse_from_rfc3339(&started)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S %:z").to_string())
        .unwrap_or(started);
    let project = d.run.get("descopeProjectId").map(text).unwrap_or_default();
    let seconds = d.summary.as_ref().and_then(|s| s["seconds"].as_f64());
    let _ = writeln!(
        h,
        "<p class=\"sub\">Descope project {} · started {}{}</p>",
        escape(&project),
        escape(&started),
        seconds.map(|s| format!(" · {s:.1} s")).unwrap_or_default()
    );
    let attention: u64 = d
        .lists
        .iter()
        .filter(|(l, _)| **l == List::NotMigrated)
        .map(|(_, (_, n))| n)
        .sum();
    let (class, verdict) = if attention == 0 {
        ("ok", format!("{} users, none failed.", d.users))
    } else {
        (
            "bad",
            format!("{} users, {attention} not migrated or different from Cognito.", d.users),
        )
    };
    let _ = writeln!(
        h,
        "<p class=\"verdict {class}\" data-users=\"{}\">{}</p>",
        d.users,
        escape(&verdict)
    );
    if d.incomplete() {
        let _ = writeln!(
            h,
            "<p class=\"note\" id=\"incomplete\">This report is incomplete: the run ended before writing its summary \
             (killed, or still running){}. The figures below count the {} users it recorded. Run the command again to \
             resume; its new report will be complete.</p>",
            if d.cut_line { ", in the middle of a line" } else { "" },
            d.users
        );
    } else if let Some(reason) = d.summary.as_ref().and_then(|s| s["aborted"]["reason"].as_str()) {
        let _ = writeln!(
            h,
            "<p class=\"note\" id=\"aborted\">The run stopped before the end: {}. Run it again to resume.</p>",
            escape(reason)
        );
    }
    h.push_str("</header>\n");
    outcomes_section(&mut h, d);
    problems_section(&mut h, d);
    attention_section(&mut h, d);
    settings_section(&mut h, d);
    let _ = write!(
        h,
        "<footer>Made by cognito-to-descope {} from {}. This page holds usernames and contact details: share it \
         as carefully as the JSON report.</footer>\n</body>\n</html>\n",
        escape(env!("CARGO_PKG_VERSION")),
        escape(source)
    );
    h
}

fn pool_caption(d: &Digest, pool: &str) -> String {
    let tenant = d
        .run
        .get("pools")
        .and_then(Value::as_array)
        .and_then(|pools| pools.iter().find(|p| p["poolId"] == pool))
        .and_then(|p| p["tenant"].as_str());
    match tenant {
        Some(t) => format!("{pool} → tenant {t}"),
        None => pool.to_owned(),
    }
}

fn outcomes_section(h: &mut String, d: &Digest) {
    h.push_str("<section id=\"outcomes\">\n<h2>Outcomes per pool</h2>\n");
    if d.per_pool.is_empty() {
        h.push_str("<p>No users were recorded.</p>\n</section>\n");
        return;
    }
    let mut all: BTreeMap<&str, u64> = BTreeMap::new();
    let mut columns: Vec<&str> = Vec::new();
    for (pool, outcomes) in &d.per_pool {
        let total: u64 = outcomes.values().sum();
        let _ = write!(
            h,
            "<figure>\n<figcaption>{} · {total} users</figcaption>\n<svg class=\"bar\" viewBox=\"0 0 1000 26\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\">",
            escape(&pool_caption(d, pool)),
            escape(&format!("outcomes of {pool}"))
        );
        let mut x = 0.0;
        for (outcome, count) in ordered(outcomes) {
            *all.entry(outcome).or_default() += count;
            let width = 1000.0 * count as f64 / total.max(1) as f64;
            let _ = write!(
                h,
                "<rect x=\"{x:.2}\" y=\"0\" width=\"{width:.2}\" height=\"26\" fill=\"{}\"><title>{}: {count}</title></rect>",
                color(outcome),
                escape(&label(outcome))
            );
            x += width;
        }
        h.push_str("</svg>\n</figure>\n");
    }
    columns.extend(all.keys());
    columns.sort_by_key(|o| rank(o));
    h.push_str("<ul class=\"legend\">\n");
    for outcome in &columns {
        let count = all[outcome];
        let _ = writeln!(
            h,
            "<li><svg viewBox=\"0 0 12 12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" fill=\"{}\"/></svg>{} ({count})</li>",
            color(outcome),
            escape(&label(outcome))
        );
    }
    h.push_str("</ul>\n<table id=\"outcome-figures\">\n<thead><tr><th>pool</th>");
    for outcome in &columns {
        let _ = write!(h, "<th class=\"n\">{}</th>", escape(&label(outcome)));
    }
    h.push_str("<th class=\"n\">all</th></tr></thead>\n<tbody>\n");
    for (pool, outcomes) in &d.per_pool {
        let _ = write!(h, "<tr><td>{}</td>", escape(pool));
        for outcome in &columns {
            let count = outcomes.get(*outcome).copied().unwrap_or(0);
            let _ = write!(
                h,
                "<td class=\"n\" data-pool=\"{}\" data-outcome=\"{}\">{count}</td>",
                escape(pool),
                escape(outcome)
            );
        }
        let _ = writeln!(
            h,
            "<td class=\"n\" data-pool=\"{}\" data-outcome=\"all\">{}</td></tr>",
            escape(pool),
            outcomes.values().sum::<u64>()
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn problems_section(h: &mut String, d: &Digest) {
    h.push_str("<section id=\"problems\">\n<h2>Problems, grouped</h2>\n");
    if d.groups.is_empty() {
        h.push_str("<p>None.</p>\n</section>\n");
        return;
    }
    h.push_str(
        "<table id=\"groups\">\n<thead><tr><th>list</th><th>problem</th><th>pool</th><th class=\"n\">users</th></tr></thead>\n<tbody>\n",
    );
    for ((list, key), (words, pools)) in &d.groups {
        for (pool, count) in pools {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\" data-group=\"{}\" data-pool=\"{}\">{count}</td></tr>",
                escape(list.title()),
                escape(words),
                escape(pool),
                escape(key),
                escape(pool)
            );
        }
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn attention_section(h: &mut String, d: &Digest) {
    h.push_str("<section id=\"attention\">\n<h2>Users who need attention</h2>\n");
    if d.lists.is_empty() {
        h.push_str("<p>None.</p>\n");
    }
    for list in List::ALL {
        let Some((shown, total)) = d.lists.get(&list) else {
            continue;
        };
        let _ = write!(
            h,
            "<h3>{} ({total})</h3>\n<table id=\"{}\" data-total=\"{total}\">\n<thead><tr><th>pool</th><th>username</th><th>login ID</th><th>outcome</th><th>why</th></tr></thead>\n<tbody>\n",
            escape(list.title()),
            list.id()
        );
        for user in shown {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&user.pool),
                escape(&user.username),
                escape(user.login_id.as_deref().unwrap_or("")),
                escape(&user.outcome),
                escape(&match &user.sub {
                    Some(sub) if list == List::NotMigrated => format!("{} [sub {sub}]", user.why),
                    _ => user.why.clone(),
                })
            );
        }
        h.push_str("</tbody>\n</table>\n");
        if *total > shown.len() as u64 {
            let _ = writeln!(
                h,
                "<p class=\"note\">{} more: every user is in the JSON report.</p>",
                *total - shown.len() as u64
            );
        }
    }
    h.push_str("</section>\n");
}

fn settings_section(h: &mut String, d: &Digest) {
    h.push_str("<section id=\"settings\">\n<h2>Run settings</h2>\n<table>\n<tbody>\n");
    let mut rows = Vec::new();
    flatten("", &Value::Object(d.run.clone()), &mut rows);
    if let Some(summary) = &d.summary {
        for key in ["seconds", "extra", "aborted"] {
            flatten(key, &summary[key], &mut rows);
        }
    }
    for (key, value) in rows {
        let _ = writeln!(h, "<tr><th>{}</th><td>{}</td></tr>", escape(&key), escape(&value));
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

/// Nested objects become `a.b` rows; lists of objects `a[0].b`.
fn flatten(prefix: &str, value: &Value, rows: &mut Vec<(String, String)>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| flatten(&join(k), v, rows)),
        Value::Array(items) if items.iter().any(Value::is_object) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), item, rows);
            }
        }
        Value::Null if prefix.is_empty() => {}
        other => rows.push((prefix.to_owned(), text(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape(r#""><img src=x onerror='a()'>&"#),
            "&quot;&gt;&lt;img src=x onerror=&#39;a()&#39;&gt;&amp;"
        );
    }

    #[test]
    fn problems_read_as_words() {
        let v = serde_json::json!({"problem": "invalidValue", "attribute": "custom:seats", "value": "x", "expected": "number"});
        assert_eq!(
            tagged(&v, "problem"),
            // Fields in name order (serde_json's map).
            "invalid value (attribute \"custom:seats\", expected \"number\", value \"x\")"
        );
    }
}
