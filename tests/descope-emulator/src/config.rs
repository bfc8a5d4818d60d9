//! Emulator configuration: project, key type, issuer form, rate limits and faults.

use std::time::Duration;

/// Signing algorithm of the emulator's session keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyAlg {
    /// RSA 2048 with SHA-256, what Descope's JWKS schema suggests for production.
    #[default]
    Rs256,
    /// ECDSA P-384, what the official SDKs' own tests use.
    Es384,
}

impl KeyAlg {
    /// Parses `RS256` / `ES384` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "RS256" => Some(Self::Rs256),
            "ES384" => Some(Self::Es384),
            _ => None,
        }
    }
}

/// Which of Descope's issuer forms goes into `iss` (descope-api.md 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IssuerForm {
    /// The bare project ID (older projects, SDK fixtures).
    ProjectId,
    /// `https://api.descope.com/<pid>` ("AWS API Gateway" JWT template).
    Url,
    /// `https://api.descope.com/v1/apps/<pid>` (the newest docs' standard issuer).
    #[default]
    AppsUrl,
}

impl IssuerForm {
    /// Parses `projectId` / `url` / `appsUrl` (also `bare`, `apps`, case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "projectid" | "bare" | "project-id" => Some(Self::ProjectId),
            "url" => Some(Self::Url),
            "appsurl" | "apps" | "apps-url" => Some(Self::AppsUrl),
            _ => None,
        }
    }

    /// The `iss` value for `project_id` in this form.
    pub fn issuer(self, project_id: &str) -> String {
        match self {
            Self::ProjectId => project_id.to_owned(),
            Self::Url => format!("https://api.descope.com/{project_id}"),
            Self::AppsUrl => format!("https://api.descope.com/v1/apps/{project_id}"),
        }
    }
}

/// Which requests a rate-limit rule counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleScope {
    /// Exactly these paths share the rule's bucket.
    Paths(Vec<String>),
    /// Every management path not matched by an earlier `Paths` rule.
    OtherManagement,
}

/// One of Descope's rate limits: at most `limit` requests per `window`, then `backoff` of 429s.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitRule {
    /// Name used in logs and the request log (`user-create`, ...).
    pub name: String,
    /// Paths counted by this rule.
    pub scope: RuleScope,
    /// Requests allowed per window.
    pub limit: u32,
    /// Window length in Descope time (divided by the time scale in real time).
    pub window: Duration,
    /// How long every request is refused once the limit is hit, in Descope time.
    pub backoff: Duration,
}

/// Rate limiting, off unless set on the config.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitConfig {
    /// Rules, first match wins.
    pub rules: Vec<RateLimitRule>,
    /// Descope seconds per real second: 60 runs a 60 s window in 1 s.
    pub time_scale: f64,
}

impl RateLimitConfig {
    /// Descope's documented limits (descope-api.md 1.9), one bucket per listed path:
    /// create and create/batch 100 / 60 s, update 200 / 60 s, search (v1 and v2) 200 / 60 s,
    /// every other management call 1000 / 10 s.
    pub fn descope_defaults() -> Self {
        let minute = Duration::from_secs(60);
        let rule = |name: &str, paths: &[&str], limit| RateLimitRule {
            name: name.to_owned(),
            scope: RuleScope::Paths(paths.iter().map(|p| (*p).to_owned()).collect()),
            limit,
            window: minute,
            backoff: minute,
        };
        Self {
            rules: vec![
                rule("user-create", &["/v1/mgmt/user/create"], 100),
                rule("user-create-batch", &["/v1/mgmt/user/create/batch"], 100),
                rule("user-update", &["/v1/mgmt/user/update"], 200),
                rule("user-search", &["/v1/mgmt/user/search", "/v2/mgmt/user/search"], 200),
                RateLimitRule {
                    name: "management".to_owned(),
                    scope: RuleScope::OtherManagement,
                    limit: 1000,
                    window: Duration::from_secs(10),
                    backoff: Duration::from_secs(10),
                },
            ],
            time_scale: 1.0,
        }
    }

    /// Same rules, run `scale` times faster.
    pub fn with_time_scale(mut self, scale: f64) -> Self {
        self.time_scale = if scale.is_finite() && scale > 0.0 { scale } else { 1.0 };
        self
    }
}

/// When an injected 5xx or dropped connection hits a write: before or after it is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaultTiming {
    /// The write is not applied; the client's retry is safe.
    #[default]
    Before,
    /// The write is applied, then the answer is lost (the client sees a failure but the user exists).
    After,
    /// Each faulted write picks before or after from the seeded random sequence.
    Random,
}

impl FaultTiming {
    /// Parses `before` / `after` / `random`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "before" => Some(Self::Before),
            "after" => Some(Self::After),
            "random" => Some(Self::Random),
            _ => None,
        }
    }
}

/// Injected faults on management calls, off unless set on the config. Rates are in `0.0..=1.0`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Share of requests answered with `error_status` and no Descope body.
    pub error_rate: f64,
    /// Status of injected errors (503 by default, one the SDKs retry).
    pub error_status: u16,
    /// Share of requests whose connection is closed without any HTTP response.
    pub drop_rate: f64,
    /// Share of requests delayed by `latency` before being handled.
    pub latency_rate: f64,
    /// Added delay.
    pub latency: Duration,
    /// Before or after the write is applied.
    pub timing: FaultTiming,
    /// Seed of the random sequence: the same seed and request order give the same faults.
    pub seed: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            error_rate: 0.0,
            error_status: 503,
            drop_rate: 0.0,
            latency_rate: 0.0,
            latency: Duration::ZERO,
            timing: FaultTiming::Before,
            seed: 0,
        }
    }
}

/// Everything the emulator needs to start.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The Descope project ID (`P2...`) this emulator serves.
    pub project_id: String,
    /// The management key expected after `<projectId>:` in the bearer token.
    pub management_key: String,
    /// Algorithm of the signing keys.
    pub key_alg: KeyAlg,
    /// Default `iss` form of minted tokens.
    pub issuer_form: IssuerForm,
    /// Rate limits, `None` = unlimited.
    pub rate_limits: Option<RateLimitConfig>,
    /// Fault injection, `None` = no faults.
    pub faults: Option<FaultConfig>,
    /// Largest accepted `create/batch` / `patch/batch` (0 = unlimited).
    pub max_batch_size: usize,
    /// `rateLimitTier` answered by the license handshake.
    pub license_tier: String,
}

impl EmulatorConfig {
    /// A config with Descope's defaults: RS256 keys, apps-URL issuer, no rate limits, no faults,
    /// batches of at most 100 users.
    pub fn new(project_id: impl Into<String>, management_key: impl Into<String>) -> Self {
        Self {
            project_id: project_id.into(),
            management_key: management_key.into(),
            key_alg: KeyAlg::Rs256,
            issuer_form: IssuerForm::AppsUrl,
            rate_limits: None,
            faults: None,
            max_batch_size: 100,
            license_tier: "tier4".to_owned(),
        }
    }

    /// Sets the signing algorithm.
    pub fn key_alg(mut self, alg: KeyAlg) -> Self {
        self.key_alg = alg;
        self
    }

    /// Sets the default issuer form.
    pub fn issuer_form(mut self, form: IssuerForm) -> Self {
        self.issuer_form = form;
        self
    }

    /// Turns rate limiting on.
    pub fn rate_limits(mut self, limits: RateLimitConfig) -> Self {
        self.rate_limits = Some(limits);
        self
    }

    /// Turns fault injection on.
    pub fn faults(mut self, faults: FaultConfig) -> Self {
        self.faults = Some(faults);
        self
    }

    /// Sets the largest accepted batch (0 = unlimited).
    pub fn max_batch_size(mut self, max: usize) -> Self {
        self.max_batch_size = max;
        self
    }
}
