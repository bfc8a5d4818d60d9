//! `descope-emulator`: a local Descope for the demo and manual runs (see the crate README).

use std::{io::Write as _, time::Duration};

use anyhow::Context as _;
use clap::Parser;
use descope_emulator::{Emulator, EmulatorConfig, FaultConfig, FaultTiming, IssuerForm, KeyAlg, RateLimitConfig};

/// A local Descope management API, JWKS and session-token issuer.
#[derive(Debug, Parser)]
#[command(name = "descope-emulator", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port (printed on start).
    #[arg(long, default_value = "127.0.0.1:8090", env = "DESCOPE_EMULATOR_LISTEN")]
    listen: String,
    /// Project ID the emulator serves.
    #[arg(long, env = "DESCOPE_PROJECT_ID")]
    project_id: String,
    /// Management key expected in `Authorization: Bearer <projectId>:<key>`.
    #[arg(long, env = "DESCOPE_MANAGEMENT_KEY")]
    management_key: String,
    /// Session key algorithm.
    #[arg(long, default_value = "RS256", value_parser = parse_alg)]
    key_alg: KeyAlg,
    /// Default `iss` form: projectId, url or appsUrl.
    #[arg(long, default_value = "appsUrl", value_parser = parse_issuer)]
    issuer_form: IssuerForm,
    /// Largest create/batch or patch/batch (0 = unlimited).
    #[arg(long, default_value_t = 100)]
    max_batch_size: usize,
    /// Enforce Descope's documented rate limits.
    #[arg(long)]
    rate_limits: bool,
    /// Run rate-limit windows this many times faster (60 = a 60 s window lasts 1 s).
    #[arg(long, default_value_t = 1.0, value_parser = parse_positive)]
    time_scale: f64,
    /// Share of management calls answered with --fault-status (0..1).
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    fault_error_rate: f64,
    /// Status of injected errors.
    #[arg(long, default_value_t = 503, value_parser = clap::value_parser!(u16).range(500..=599))]
    fault_status: u16,
    /// Share of management calls whose connection is closed without a response (0..1).
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    fault_drop_rate: f64,
    /// Share of management calls delayed by --fault-latency-ms (0..1).
    #[arg(long, default_value_t = 0.0, value_parser = parse_rate)]
    fault_latency_rate: f64,
    /// Added latency in milliseconds.
    #[arg(long, default_value_t = 0)]
    fault_latency_ms: u64,
    /// Whether a faulted write is applied first: before, after or random.
    #[arg(long, default_value = "before", value_parser = parse_timing)]
    fault_timing: FaultTiming,
    /// Seed of the fault sequence (same seed and request order, same faults).
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
}

fn parse_alg(s: &str) -> Result<KeyAlg, String> {
    KeyAlg::parse(s).ok_or_else(|| format!("expected RS256 or ES384, got {s:?}"))
}

fn parse_issuer(s: &str) -> Result<IssuerForm, String> {
    IssuerForm::parse(s).ok_or_else(|| format!("expected projectId, url or appsUrl, got {s:?}"))
}

fn parse_timing(s: &str) -> Result<FaultTiming, String> {
    FaultTiming::parse(s).ok_or_else(|| format!("expected before, after or random, got {s:?}"))
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("expected a rate between 0 and 1, got {s:?}")),
    }
}

fn parse_positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        _ => Err(format!("expected a positive number, got {s:?}")),
    }
}

impl Args {
    fn config(&self) -> EmulatorConfig {
        let mut config = EmulatorConfig::new(&self.project_id, &self.management_key)
            .key_alg(self.key_alg)
            .issuer_form(self.issuer_form)
            .max_batch_size(self.max_batch_size);
        if self.rate_limits {
            config = config.rate_limits(RateLimitConfig::descope_defaults().with_time_scale(self.time_scale));
        }
        let faulty = self.fault_error_rate > 0.0 || self.fault_drop_rate > 0.0 || self.fault_latency_rate > 0.0;
        if faulty {
            config = config.faults(FaultConfig {
                error_rate: self.fault_error_rate,
                error_status: self.fault_status,
                drop_rate: self.fault_drop_rate,
                latency_rate: self.fault_latency_rate,
                latency: Duration::from_millis(self.fault_latency_ms),
                timing: self.fault_timing,
                seed: self.fault_seed,
            });
        }
        config
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let config = args.config();
    let project = config.project_id.clone();
    let emulator = Emulator::new(config).context("starting the emulator")?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "descope-emulator listening on http://{addr} project={project}")?;
    stdout.flush()?;
    descope_emulator::serve(listener, emulator, shutdown_signal()).await?;
    Ok(())
}
