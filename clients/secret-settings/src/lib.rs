//! A Lambda function's secret settings (an HMAC secret, a management key, an app client secret),
//! read once at cold start from AWS Secrets Manager or SSM Parameter Store, so that the secrets
//! never sit in the function's environment.
//!
//! For each secret setting `NAME` the environment holds either:
//!
//! - `NAME_REF` ([`REFERENCE_SUFFIX`]): where the value is stored, one of
//!   - `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>`: the secret's
//!     `SecretString` (current version);
//!   - `arn:aws:ssm:<region>:<account>:parameter/<path>`: the parameter (`GetParameter` with
//!     decryption, so a `SecureString` is read in clear);
//!   - `ssm:<parameter name>` (e.g. `ssm:/descope/hmac`, optionally `:<version>`): the same, in the
//!     function's own region;
//!
//!   each optionally followed by `#<field>`: the value is a JSON object and the setting is that
//!   string member (one secret holding several settings, as the console's key/value form writes);
//! - or `NAME`, the value itself: for local runs. Running deployed in Lambda
//!   (`AWS_LAMBDA_FUNCTION_NAME` set) that is refused unless
//!   `ALLOW_SECRETS_IN_ENVIRONMENT=true`, because a function's environment is readable by anyone
//!   allowed `lambda:GetFunctionConfiguration`, and by anyone who can read the template or stack
//!   that set it (unless it came from a `NoEcho` parameter).
//!
//! Giving both is an error. Every reference is read once, all concurrently, and AWS clients are
//! built only when there is at least one reference (a cold start with none costs nothing). The
//! result overlays the environment, so settings code reads a resolved secret under its plain
//! `NAME`:
//!
//! ```no_run
//! # async fn cold_start() -> Result<(), secret_settings::SecretError> {
//! const SECRETS: &[&str] = &["PASSWORD_CHECK_HMAC_SECRET", "DESCOPE_MANAGEMENT_KEY"];
//! let secrets = secret_settings::resolve_process_env(SECRETS).await?;
//! let lookup = secrets.over_process_env();
//! assert!(lookup("DESCOPE_MANAGEMENT_KEY").is_some());
//! # Ok(()) }
//! ```
//!
//! Values are held in zeroizing strings and never shown in `Debug` or errors; errors name the
//! variable and the reference (an ARN or parameter name), never a value. The lookup hands out
//! plain `String` copies (what `authorizer_common::Env` reads); those, and the SDK's own response
//! buffers, are out of this crate's reach.

mod error;
mod fetch;
mod reference;

use std::{fmt, future::Future, time::Duration};

use aws_config::{SdkConfig, timeout::TimeoutConfig};
use zeroize::Zeroizing;

pub use error::SecretError;
pub use reference::{Location, NotAReference, Reference};

/// `NAME` + this suffix holds the reference to `NAME`'s value.
pub const REFERENCE_SUFFIX: &str = "_REF";

/// `true` accepts secret settings in plain text in a deployed function's environment.
pub const ALLOW_SECRETS_IN_ENVIRONMENT: &str = "ALLOW_SECRETS_IN_ENVIRONMENT";

/// Set by Lambda in every function's environment: its presence means "running deployed".
pub const LAMBDA_MARKER: &str = "AWS_LAMBDA_FUNCTION_NAME";

/// How long one read may take at cold start, retries included: well inside Lambda's 10 s init
/// phase, so a network problem ends in an error naming the reference rather than a timeout.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The secret settings read from references, to overlay the environment.
pub struct Resolved {
    values: Vec<(&'static str, Zeroizing<String>)>,
}

impl Resolved {
    /// The value read for `name` from its reference; `None` when `name` had none (its plain
    /// value, if any, is still in the environment).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, value)| value.as_str())
    }

    /// The settings that were read from a reference, in the order they were asked for.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.values.iter().map(|(name, _)| *name)
    }

    /// A lookup answering resolved settings under their plain `NAME`, and everything else from
    /// `base` (for `authorizer_common::Env::new`).
    pub fn overlay<'a, F>(&'a self, base: F) -> impl Fn(&str) -> Option<String> + 'a
    where
        F: Fn(&str) -> Option<String> + 'a,
    {
        move |name: &str| self.get(name).map(str::to_owned).or_else(|| base(name))
    }

    /// [`Resolved::overlay`] over the process environment.
    pub fn over_process_env(&self) -> impl Fn(&str) -> Option<String> + '_ {
        self.overlay(|name: &str| std::env::var(name).ok())
    }
}

/// Names only: the values never appear.
impl fmt::Debug for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolved")
            .field("from_references", &self.names().collect::<Vec<_>>())
            .finish()
    }
}

/// Reads the secret settings `names` as the crate documentation describes, from an environment
/// read through `lookup` (values trimmed, empty = unset, as `authorizer_common::Env` does).
/// `aws` loads the AWS configuration (credentials, region, endpoint); it is called only when at
/// least one `NAME_REF` is set. The first problem, in the order of `names`, is the error.
pub async fn resolve<L, A, Fut>(names: &[&'static str], lookup: L, aws: A) -> Result<Resolved, SecretError>
where
    L: Fn(&str) -> Option<String>,
    A: FnOnce() -> Fut,
    Fut: Future<Output = SdkConfig>,
{
    let get = |name: &str| {
        lookup(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let deployed = get(LAMBDA_MARKER).is_some();
    let allowed = match get(ALLOW_SECRETS_IN_ENVIRONMENT).as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(SecretError::InvalidFlag {
                value: other.to_owned(),
            });
        }
    };

    let mut wanted = Vec::new();
    for &name in names {
        let plain = get(name).is_some();
        match get(&format!("{name}{REFERENCE_SUFFIX}")) {
            Some(_) if plain => return Err(SecretError::BothGiven { name }),
            Some(text) => {
                let reference = Reference::parse(&text)
                    .map_err(|NotAReference { shown, reason }| SecretError::UnknownReference { name, shown, reason })?;
                wanted.push((name, reference));
            }
            None if plain && deployed && !allowed => return Err(SecretError::PlaintextRefused { name }),
            None => {}
        }
    }
    if wanted.is_empty() {
        return Ok(Resolved { values: Vec::new() });
    }

    let sdk = aws().await;
    let clients = fetch::Clients::new(&sdk, wanted.iter().map(|(_, reference)| reference));
    let reads = wanted.iter().map(|(name, reference)| clients.fetch(name, reference));
    let mut values = Vec::with_capacity(wanted.len());
    for ((name, _), read) in wanted.iter().zip(futures_util::future::join_all(reads).await) {
        values.push((*name, read?));
    }
    Ok(Resolved { values })
}

/// [`resolve`] over the process environment, with [`load_aws_config`]: what a function's `main`
/// calls at cold start.
pub async fn resolve_process_env(names: &[&'static str]) -> Result<Resolved, SecretError> {
    resolve(names, |name: &str| std::env::var(name).ok(), load_aws_config).await
}

/// The standard AWS chain (region, credentials, `AWS_ENDPOINT_URL`...) with [`READ_TIMEOUT`] per
/// read.
pub async fn load_aws_config() -> SdkConfig {
    aws_config::from_env()
        .timeout_config(TimeoutConfig::builder().operation_timeout(READ_TIMEOUT).build())
        .load()
        .await
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name: &str| map.get(name).cloned()
    }

    /// No reference: the AWS configuration must not even be loaded.
    async fn never() -> SdkConfig {
        panic!("the AWS configuration was loaded without a reference")
    }

    #[tokio::test]
    async fn without_references_nothing_is_loaded_and_the_environment_shows_through() {
        let lookup = env(&[("A", "plain"), ("B", " ")]);
        let resolved = resolve(&["A", "B"], &lookup, never).await.unwrap();
        assert_eq!(resolved.names().count(), 0);
        assert_eq!(resolved.overlay(&lookup)("A").as_deref(), Some("plain"));
    }

    #[tokio::test]
    async fn plaintext_in_lambda_needs_the_flag() {
        let deployed = [(LAMBDA_MARKER, "fn"), ("A", "a-value")];
        let error = resolve(&["A"], env(&deployed), never).await.unwrap_err();
        assert!(matches!(error, SecretError::PlaintextRefused { name: "A" }));
        let message = error.to_string();
        assert!(
            message.contains("A_REF") && message.contains(ALLOW_SECRETS_IN_ENVIRONMENT),
            "{message}"
        );
        assert!(!message.contains("a-value"), "{message}");

        let allowed = [
            (LAMBDA_MARKER, "fn"),
            ("A", "plain"),
            (ALLOW_SECRETS_IN_ENVIRONMENT, "true"),
        ];
        assert!(resolve(&["A"], env(&allowed), never).await.is_ok());
        let bad_flag = [(ALLOW_SECRETS_IN_ENVIRONMENT, "yes")];
        assert!(matches!(
            resolve(&["A"], env(&bad_flag), never).await,
            Err(SecretError::InvalidFlag { .. })
        ));
        // An unset name is not this crate's business: the settings code says it is required.
        assert!(resolve(&["A"], env(&[(LAMBDA_MARKER, "fn")]), never).await.is_ok());
    }

    #[tokio::test]
    async fn problems_found_before_any_call() {
        let both = [("A", "plain"), ("A_REF", "ssm:/a")];
        assert!(matches!(
            resolve(&["A"], env(&both), never).await,
            Err(SecretError::BothGiven { name: "A" })
        ));
        let pasted = [("A_REF", "the-secret-itself")];
        let error = resolve(&["A"], env(&pasted), never).await.unwrap_err();
        assert!(matches!(
            error,
            SecretError::UnknownReference {
                name: "A",
                shown: None,
                ..
            }
        ));
        assert!(!error.to_string().contains("the-secret-itself"), "{error}");
        assert_eq!(error.name(), Some("A"));
    }
}
