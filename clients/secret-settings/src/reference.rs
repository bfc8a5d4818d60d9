//! What a `NAME_REF` variable may hold: a Secrets Manager secret ARN, an SSM parameter ARN, or
//! `ssm:<parameter name>`, each optionally followed by `#field` (one string field of a JSON
//! value). Parsing is pure; nothing here calls AWS.

use std::fmt;

/// Where a secret setting's value is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Reference {
    /// The store and the identifier it is fetched by.
    pub location: Location,
    /// `#field`: the value is a JSON object and the setting is this string member of it.
    pub field: Option<String>,
}

/// The store and the identifier of a [`Reference`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `GetSecretValue` of this secret ARN (the `SecretString` of its current version).
    SecretsManager {
        /// The ARN, without `#field`.
        arn: String,
        /// The region the ARN names (the client must be in it).
        region: String,
    },
    /// `GetParameter` with decryption, of this name or ARN.
    Parameter {
        /// The parameter's name (`/path/name`, optionally `:version` or `:label`) or its ARN.
        name: String,
        /// The region an ARN names; `None` for `ssm:<name>` (the function's own region).
        region: Option<String>,
    },
}

/// Why a reference was not understood: what was expected, never the text itself unless it
/// starts like a reference (a secret pasted into `NAME_REF` by mistake must not reach a log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAReference {
    /// The text when it starts with `arn:` or `ssm:` (then it is no secret), else `None`.
    pub shown: Option<String>,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// The forms [`Reference::parse`] accepts, for error messages.
pub const EXPECTED_FORMS: &str = "expected arn:aws:secretsmanager:<region>:<account>:secret:<name> \
     or arn:aws:ssm:<region>:<account>:parameter/<name> or ssm:<parameter name>, optionally followed \
     by #<JSON field>";

impl Reference {
    /// Parses the value of a `NAME_REF` variable (already trimmed).
    pub fn parse(text: &str) -> Result<Self, NotAReference> {
        let looks_like_reference = text.starts_with("arn:") || text.starts_with("ssm:");
        let refuse = |reason| NotAReference {
            shown: looks_like_reference.then(|| text.to_owned()),
            reason,
        };
        if !looks_like_reference {
            return Err(refuse("it starts with neither arn: nor ssm:"));
        }
        if text.chars().any(char::is_whitespace) {
            return Err(refuse("it contains white space"));
        }
        // Neither secret names nor parameter names may contain '#', so the first one starts the field.
        let (target, field) = match text.split_once('#') {
            None => (text, None),
            Some((_, "")) => return Err(refuse("the #field after it is empty")),
            Some((target, field)) => (target, Some(field.to_owned())),
        };
        let location = if let Some(name) = target.strip_prefix("ssm:") {
            if name.is_empty() {
                return Err(refuse("the parameter name after ssm: is empty"));
            }
            Location::Parameter {
                name: name.to_owned(),
                region: None,
            }
        } else {
            parse_arn(target).map_err(refuse)?
        };
        Ok(Self { location, field })
    }
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>` for the two services read.
fn parse_arn(arn: &str) -> Result<Location, &'static str> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err("an ARN has six parts separated by ':'");
    };
    if !partition.starts_with("aws") {
        return Err("the ARN's partition is not aws, aws-cn, aws-us-gov...");
    }
    if service != "secretsmanager" && service != "ssm" {
        return Err("the ARN is neither a Secrets Manager secret's nor an SSM parameter's");
    }
    if region.is_empty() {
        return Err("the ARN names no region");
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the ARN's account is not 12 digits");
    }
    let region = region.to_owned();
    match service {
        "secretsmanager" => match resource.strip_prefix("secret:") {
            Some(name) if !name.is_empty() => Ok(Location::SecretsManager {
                arn: arn.to_owned(),
                region,
            }),
            _ => Err("a Secrets Manager ARN ends in secret:<name>"),
        },
        _ => match resource.strip_prefix("parameter/") {
            Some(name) if !name.is_empty() => Ok(Location::Parameter {
                name: arn.to_owned(),
                region: Some(region),
            }),
            _ => Err("an SSM ARN ends in parameter/<name>"),
        },
    }
}

/// The reference as written (it is no secret: an ARN or a parameter name), for error messages.
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::SecretsManager { arn, .. } => f.write_str(arn)?,
            Location::Parameter { name, region: Some(_) } => f.write_str(name)?,
            Location::Parameter { name, region: None } => write!(f, "ssm:{name}")?,
        }
        match &self.field {
            Some(field) => write!(f, "#{field}"),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:descope/hmac-AbCdEf";

    #[test]
    fn the_three_forms_and_a_field() {
        let reference = Reference::parse(SECRET).unwrap();
        assert_eq!(
            reference.location,
            Location::SecretsManager {
                arn: SECRET.to_owned(),
                region: "eu-west-1".to_owned()
            }
        );
        assert_eq!(reference.field, None);
        let with_field = Reference::parse(&format!("{SECRET}#hmac")).unwrap();
        assert_eq!(with_field.field.as_deref(), Some("hmac"));
        assert_eq!(with_field.to_string(), format!("{SECRET}#hmac"));

        let arn = "arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/descope/key";
        assert_eq!(
            Reference::parse(arn).unwrap().location,
            Location::Parameter {
                name: arn.to_owned(),
                region: Some("us-gov-west-1".to_owned())
            }
        );
        let short = Reference::parse("ssm:/descope/key:3").unwrap();
        assert_eq!(
            short.location,
            Location::Parameter {
                name: "/descope/key:3".to_owned(),
                region: None
            }
        );
        assert_eq!(short.to_string(), "ssm:/descope/key:3");
    }

    #[test]
    fn what_is_refused_and_what_is_shown() {
        // Anything not starting like a reference may be the secret itself: never shown.
        for text in ["s3cr3t-value", "secretsmanager:x", "https://example.com/x"] {
            let error = Reference::parse(text).unwrap_err();
            assert_eq!(error.shown, None, "{text}");
        }
        for (text, reason) in [
            ("arn:aws:s3:::bucket/key", "neither"),
            ("arn:aws:secretsmanager:us-east-1", "six parts"),
            ("arn:aws:lambda:us-east-1:123456789012:function:f", "neither"),
            ("arn:aws:secretsmanager:us-east-1:123456789012:secret:", "secret:<name>"),
            ("arn:aws:secretsmanager::123456789012:secret:x", "no region"),
            ("arn:aws:secretsmanager:us-east-1:1234:secret:x", "12 digits"),
            ("arn:aws:ssm:us-east-1:123456789012:document/x", "parameter/<name>"),
            ("arn:other:ssm:us-east-1:123456789012:parameter/x", "partition"),
            ("ssm:", "empty"),
            ("ssm:/x#", "#field"),
            ("ssm:/x y", "white space"),
        ] {
            let error = Reference::parse(text).unwrap_err();
            assert_eq!(error.shown.as_deref(), Some(text));
            assert!(error.reason.contains(reason), "{text}: {}", error.reason);
        }
    }
}
