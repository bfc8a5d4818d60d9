//! One invocation of the tool: logging, clients, the command, the summary and the exit code.

use std::{
    fs::File,
    io::IsTerminal as _,
    path::{Path, PathBuf},
    process::ExitCode,
    sync::{Arc, Mutex},
};

use anyhow::{Context as _, Result};
use serde_json::json;
use tracing_subscriber::{EnvFilter, Layer as _, layer::SubscriberExt as _, util::SubscriberInitExt as _};

use crate::{
    cli::{Cli, Command, Validated},
    cognito::{Cognito, CognitoSettings},
    descope::{Descope, DescopeClient, DescopeError, RetryPolicy},
    mapping::MappingRules,
    migrate::{self, RunSettings},
    pipeline::{Pools, StreamSettings},
    report::{JsonReport, Outcome, Reporter},
    verify,
};

/// Exit code for a configuration problem (as the issue and the official tool's users expect).
pub const EXIT_CONFIG: u8 = 2;

/// Runs the parsed command line to completion and returns the process exit code.
pub async fn run(cli: Cli) -> ExitCode {
    let validated = match cli.options.validate() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let (kind, dry_run) = match cli.command {
        Command::Migrate { dry_run } => ("migration", dry_run),
        Command::Verify => ("verify", false),
    };
    // Named as the official tool names its logs; a second run within the same second gets a suffix
    // rather than overwriting the first one's log.
    let mut stamp = chrono::Local::now().format("%d_%m_%Y_%H:%M:%S").to_string();
    let base_stamp = stamp.clone();
    for n in 2.. {
        if !cli
            .options
            .log_dir
            .join(format!("{kind}_log_cognito_{stamp}.log"))
            .exists()
        {
            break;
        }
        stamp = format!("{base_stamp}_{n}");
    }
    let log_path = cli.options.log_dir.join(format!("{kind}_log_cognito_{stamp}.log"));
    if let Err(e) = init_logging(&log_path, cli.options.verbose) {
        eprintln!(
            "error: cannot write the log file {}: {e:#} (choose another --log-dir / MIGRATION_LOG_DIR)",
            log_path.display()
        );
        return ExitCode::from(EXIT_CONFIG);
    }
    let report_path = cli
        .options
        .report
        .clone()
        .unwrap_or_else(|| cli.options.log_dir.join(format!("{kind}_report_cognito_{stamp}.json")));
    match execute(&cli, &validated, dry_run, &report_path).await {
        Ok(code) => {
            eprintln!("Log: {}", log_path.display());
            code
        }
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            eprintln!("Log: {}", log_path.display());
            let config = e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<DescopeError>(),
                    Some(DescopeError::Unauthorized { .. })
                )
            }) || e.chain().any(|c| c.downcast_ref::<SetupConflict>().is_some());
            ExitCode::from(if config { EXIT_CONFIG } else { 1 })
        }
    }
}

/// The project or the pools are set up in a way the migration cannot work with.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SetupConflict(String);

async fn execute(cli: &Cli, v: &Validated, dry_run: bool, report_path: &Path) -> Result<ExitCode> {
    let options = &cli.options;
    let cognito_settings = CognitoSettings {
        region: options.region.clone(),
        endpoint_url: options.cognito_endpoint_url.clone(),
        requests_per_second: options.cognito_rps,
    };
    let cognito = Cognito::connect(&cognito_settings, &v.pools[0].pool_id).await?;
    let policy = RetryPolicy {
        rate_multiplier: options.descope_rate_multiplier,
        ..RetryPolicy::default()
    };
    let client = DescopeClient::new(&v.base_url, &v.project_id, &v.management_key, policy)
        .context("building the HTTP client")?;
    let descope = Arc::new(Descope::new(client));
    let pools = Pools::read(&cognito, &v.pools).await?;
    let custom_types = pools.custom_types().map_err(|e| SetupConflict(e.to_string()))?;
    let rules = MappingRules {
        login_id: options.login_id,
        additional: options.additional_login_ids,
        custom_types,
        allow_unverified_login_ids: options.allow_unverified_login_ids,
        strict: options.strict,
    };
    let stream = StreamSettings {
        batch_size: options.batch_size,
        concurrency: options.concurrency,
    };
    let pool_list: Vec<String> = v
        .pools
        .iter()
        .map(|p| match &p.tenant {
            Some(t) => format!("{} -> tenant {t}", p.pool_id),
            None => p.pool_id.clone(),
        })
        .collect();
    let run_info = json!({
        "command": if matches!(cli.command, Command::Verify) { "verify" } else { "migrate" },
        "dryRun": dry_run,
        "pools": v.pools,
        "descopeProjectId": v.project_id,
        "descopeBaseUrl": v.base_url,
        "batchSize": options.batch_size,
        "concurrency": options.concurrency,
        "loginId": options.login_id,
        "additionalLoginIds": options.additional_login_ids,
        "onConflict": options.on_conflict,
        "allowUnverifiedLoginIds": options.allow_unverified_login_ids,
        "strict": options.strict,
        "startedAt": chrono::Utc::now().to_rfc3339(),
    });
    let report = JsonReport::create(report_path, &run_info)?;
    let terminal = std::io::stderr().is_terminal();
    let reporter = Arc::new(Mutex::new(Reporter::new(
        options.verbose,
        pools.estimated_users(),
        terminal,
        Some(report),
    )));

    let mut plan_summary = json!(null);
    match cli.command {
        Command::Verify => {
            println!(
                "Verifying {} against Descope project {}",
                pool_list.join(", "),
                v.project_id
            );
            verify::run(
                &cognito,
                Arc::clone(&descope),
                &pools,
                &rules,
                stream,
                Arc::clone(&reporter),
            )
            .await?;
        }
        Command::Migrate { .. } => {
            let header = if dry_run {
                "Dry run (nothing is written)"
            } else {
                "Migrating"
            };
            println!(
                "{header}: {} into Descope project {} at {}",
                pool_list.join(", "),
                v.project_id,
                v.base_url
            );
            let plan = migrate::plan(&descope, &pools).await?;
            if !plan.conflicts.is_empty() {
                return Err(SetupConflict(format!(
                    "the Descope project conflicts with the pools; fix these first:\n  {}",
                    plan.conflicts.join("\n  ")
                ))
                .into());
            }
            if !dry_run {
                migrate::apply(&descope, &plan).await?;
            }
            print!("{}", plan.render(dry_run));
            plan_summary = json!({
                "attributesCreated": plan.attributes_to_create.len(),
                "tenantsCreated": plan.tenants_to_create.len(),
                "rolesCreated": plan.roles_to_create.len(),
            });
            let settings = RunSettings {
                rules,
                stream,
                conflict: options.on_conflict,
                dry_run,
            };
            migrate::users(&cognito, Arc::clone(&descope), &pools, &settings, Arc::clone(&reporter)).await?;
            let nothing_planned = plan.attributes_to_create.is_empty()
                && plan.tenants_to_create.is_empty()
                && plan.roles_to_create.is_empty();
            let r = reporter.lock().unwrap_or_else(|p| p.into_inner());
            let writes = r.count(&Outcome::Created)
                + r.count(&Outcome::CreatedWithWarnings)
                + r.count(&Outcome::Updated)
                + r.count(&Outcome::Merged);
            print!("{}", fallback_notice(&pools, &r, options.allow_unverified_login_ids));
            if !dry_run && nothing_planned && writes == 0 && r.failure_count() == 0 {
                println!(
                    "Nothing to do: Descope already matches Cognito for all {} users.",
                    r.total()
                );
            }
        }
    }
    let stats = descope.stats();
    let peak = peak_rss_mib();
    let extra = json!({
        "descopeCalls": stats,
        "plan": plan_summary,
        "peakRssMiB": peak,
        "cpuSeconds": cpu_seconds(),
        "finishedAt": chrono::Utc::now().to_rfc3339(),
    });
    let mut r = reporter.lock().unwrap_or_else(|p| p.into_inner());
    let summary = r.finish(extra)?;
    print!("{summary}");
    println!(
        "Descope calls: {} ({} requests, {} rate-limited, {} retried){}",
        stats.calls,
        stats.requests,
        stats.rate_limited,
        stats.retried,
        peak.map(|p| format!("; peak memory {p:.0} MiB")).unwrap_or_default()
    );
    Ok(if r.failure_count() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Per pool: how many users do not get their email or phone as login ID, and what that means when
/// the pool signs users in by email or phone (their username is then an ID nobody can type).
fn fallback_notice(pools: &Pools, reporter: &crate::report::Reporter, allowed: bool) -> String {
    let mut out = String::new();
    for (target, info) in pools.targets.iter().zip(&pools.infos) {
        let count = reporter.fallbacks(&target.pool_id);
        if count == 0 {
            continue;
        }
        out.push_str(&format!(
            "Pool {}: {count} users have an unverified (or shared) email or phone and get another login ID (their username, or the other contact).\n",
            target.pool_id
        ));
        let by_contact: Vec<&str> = info
            .username_attributes
            .iter()
            .map(|a| if a == "phone_number" { "phone number" } else { "email" })
            .collect();
        if !by_contact.is_empty() && !allowed {
            out.push_str(&format!(
                "  This pool signs users in by {}: their Cognito username is a generated ID nobody can type, so these users cannot sign in to Descope by that {} until it is verified. Choose one: verify the contact in your Descope flow before any passwordless sign-in; check their Cognito password just in time (the password check function); or pass --allow-unverified-login-ids (RISK: whoever controls an unverified address can sign in to the account with an OTP or magic link).\n",
                by_contact.join(" or "),
                by_contact.join(" or ")
            ));
        }
    }
    out
}

fn init_logging(path: &PathBuf, verbose: u8) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = File::create(path)?;
    let file_filter = if verbose >= 2 {
        "info,importer=debug,cognito_to_descope=debug"
    } else {
        "info"
    };
    let file_layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_target(false)
        .with_writer(Mutex::new(file))
        .with_filter(EnvFilter::new(format!(
            "{file_filter},aws=warn,hyper=warn,reqwest=warn"
        )));
    let stderr_default = match verbose {
        0 => "error",
        1 => "warn",
        _ => "debug,aws=info,hyper=info",
    };
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(stderr_default)));
    tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init()?;
    Ok(())
}

/// CPU time (user + system) of this process so far (Linux; clock ticks assumed 100 Hz, the Linux
/// default), for the benchmark.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Peak resident memory of this process (Linux), for the summary and the benchmark.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
