//! The policy document from the environment (feature `policy`): exactly one of `AUTHZ_POLICY`
//! (inline) and `AUTHZ_POLICY_FILE` (a path).

use std::path::PathBuf;

use authz_policy::PolicyDocument;

use crate::settings::{ConfigError, Env};

/// A policy document and where it came from (for messages).
#[derive(Debug)]
pub struct LoadedPolicy {
    /// `AUTHZ_POLICY` or `AUTHZ_POLICY_FILE <path>`.
    pub source_name: String,
    /// The parsed, validated document.
    pub document: PolicyDocument,
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// The policy document, from exactly one of `AUTHZ_POLICY` (inline) and `AUTHZ_POLICY_FILE`.
    pub fn policy(&self) -> Result<LoadedPolicy, ConfigError> {
        let (source_name, text) = match (self.get("AUTHZ_POLICY"), self.get("AUTHZ_POLICY_FILE")) {
            (Some(inline), None) => ("AUTHZ_POLICY".to_owned(), inline),
            (None, Some(path)) => {
                let path = PathBuf::from(path);
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::PolicyFile {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                (format!("AUTHZ_POLICY_FILE {}", path.display()), text)
            }
            _ => return Err(ConfigError::PolicySource),
        };
        let document = PolicyDocument::parse(&text).map_err(|error| ConfigError::Policy {
            source_name: source_name.clone(),
            error,
        })?;
        Ok(LoadedPolicy { source_name, document })
    }
}

impl LoadedPolicy {
    /// This authorizer's section of the document, taken out by `pick`; refused at cold start
    /// when absent, saying what running without it would mean (`consequence`).
    pub fn section<T>(
        self,
        section: &'static str,
        consequence: &'static str,
        pick: impl FnOnce(PolicyDocument) -> Option<T>,
    ) -> Result<T, ConfigError> {
        let Self { source_name, document } = self;
        pick(document).ok_or(ConfigError::NoSection {
            source_name,
            section,
            consequence,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::settings::{ConfigError, env_of as env};

    #[test]
    fn the_policy_comes_from_exactly_one_source() {
        let doc = r#"{"version": 1}"#;
        assert_eq!(
            env(&[("AUTHZ_POLICY", doc)]).policy().unwrap().source_name,
            "AUTHZ_POLICY"
        );
        assert!(matches!(env(&[]).policy(), Err(ConfigError::PolicySource)));
        assert!(matches!(
            env(&[("AUTHZ_POLICY", doc), ("AUTHZ_POLICY_FILE", "/p")]).policy(),
            Err(ConfigError::PolicySource)
        ));
        let missing = env(&[("AUTHZ_POLICY_FILE", "/nonexistent/policy.json")])
            .policy()
            .unwrap_err();
        assert!(missing.to_string().contains("/nonexistent/policy.json"), "{missing}");
        let invalid = env(&[("AUTHZ_POLICY", r#"{"version": 9}"#)]).policy().unwrap_err();
        assert!(invalid.to_string().starts_with("AUTHZ_POLICY: "), "{invalid}");
    }
}
