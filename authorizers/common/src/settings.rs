//! Settings from the environment, read once at cold start: [`Env`] and the [`ConfigError`] that
//! names the variable to fix. The parts that need the verifier or the policy (features
//! `identity`, `policy`) add their readers in their own modules.

/// Why the configuration was refused. Each message names the environment variable to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required variable is unset or empty.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A variable has a value that cannot be used.
    #[error("{name}={value:?} is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// Both the inline policy and the policy file are set, or neither.
    #[cfg(feature = "policy")]
    #[error("set exactly one of AUTHZ_POLICY (the document inline) and AUTHZ_POLICY_FILE (a path)")]
    PolicySource,
    /// The policy file cannot be read.
    #[cfg(feature = "policy")]
    #[error("AUTHZ_POLICY_FILE={path:?} cannot be read: {reason}")]
    PolicyFile {
        /// The path.
        path: std::path::PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// The policy document is invalid.
    #[cfg(feature = "policy")]
    #[error("{source_name}: {error}")]
    Policy {
        /// `AUTHZ_POLICY` or the file path.
        source_name: String,
        /// What is wrong with it.
        error: authz_policy::PolicyError,
    },
    /// The policy lacks the section this authorizer reads.
    #[cfg(feature = "policy")]
    #[error("{source_name}: the policy has no \"{section}\" section ({consequence})")]
    NoSection {
        /// `AUTHZ_POLICY` or the file path.
        source_name: String,
        /// `apigateway` or `appsync`.
        section: &'static str,
        /// What running without it would mean, or how to write an empty one.
        consequence: &'static str,
    },
    /// The verifier refused the Descope settings.
    #[cfg(feature = "identity")]
    #[error("Descope settings: {0}")]
    Verifier(#[from] descope_jwt::ConfigError),
}

/// The function's environment, read through a lookup (the process environment in production, a
/// map in tests). Values are trimmed; empty values count as unset.
pub struct Env<F> {
    lookup: F,
}

impl Env<fn(&str) -> Option<String>> {
    /// The process environment.
    pub fn process() -> Self {
        Self {
            lookup: |name| std::env::var(name).ok(),
        }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// An environment read through `lookup`.
    pub fn new(lookup: F) -> Self {
        Self { lookup }
    }

    /// The trimmed value of `name`, `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// A number of whole seconds from 0 to `max`, `None` when unset.
    pub fn seconds(&self, name: &'static str, max: u64) -> Result<Option<u64>, ConfigError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        value
            .parse::<u64>()
            .ok()
            .filter(|s| *s <= max)
            .map(Some)
            .ok_or_else(|| ConfigError::Invalid {
                name,
                value,
                reason: format!("expected whole seconds from 0 to {max}"),
            })
    }

    /// `true` or `false`, `default` when unset.
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).as_deref() {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(ConfigError::Invalid {
                name,
                value: other.to_owned(),
                reason: "expected true or false".into(),
            }),
        }
    }
}

/// A comma-separated list, trimmed, without empty items.
pub fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An environment over fixed pairs (the functions' unit tests of their settings).
pub fn env_of(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
    let map: std::collections::HashMap<String, String> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Env::new(move |name: &str| map.get(name).cloned())
}

#[cfg(test)]
mod tests {
    use super::env_of as env;

    #[test]
    fn flags_and_seconds() {
        assert!(env(&[("F", "true")]).flag("F", false).unwrap());
        assert!(env(&[("F", "yes")]).flag("F", false).is_err());
        assert_eq!(env(&[]).seconds("S", 10).unwrap(), None);
        assert_eq!(env(&[("S", "10")]).seconds("S", 10).unwrap(), Some(10));
        assert!(env(&[("S", "-1")]).seconds("S", 10).is_err());
    }
}
