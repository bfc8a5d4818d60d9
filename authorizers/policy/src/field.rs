//! AppSync field names, written `Type.field` as in `deniedFields`.

use std::{borrow::Borrow, cmp::Ordering, fmt};

use crate::names::is_graphql_name;

/// Why a `Type.field` name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// Not exactly `Type.field`.
    #[error("expected Type.field (one type name, one dot, one field name)")]
    NotTypeField,
    /// `*` in a name: AppSync's deniedFields does not expand wildcards.
    #[error("wildcards are not allowed: AppSync needs every Type.field spelled out")]
    Wildcard,
    /// A part is not a GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`).
    #[error("{0:?} is not a GraphQL name (letters, digits and '_', not starting with a digit)")]
    BadName(String),
    /// Introspection names (`__schema`, `__typename`) cannot be governed.
    #[error("names starting with \"__\" are reserved for GraphQL introspection")]
    Reserved,
}

/// A GraphQL field of a type, written `Type.field` as in AppSync's `deniedFields`.
#[derive(Debug, Clone)]
pub struct FieldName {
    text: String,
    dot: usize,
}

impl FieldName {
    /// Parses and validates `Type.field`.
    pub fn parse(text: &str) -> Result<Self, FieldError> {
        if text.contains('*') {
            return Err(FieldError::Wildcard);
        }
        let Some((type_name, field)) = text.split_once('.') else {
            return Err(FieldError::NotTypeField);
        };
        if type_name.is_empty() || field.is_empty() || field.contains('.') {
            return Err(FieldError::NotTypeField);
        }
        for part in [type_name, field] {
            if !is_graphql_name(part) {
                return Err(FieldError::BadName(part.to_owned()));
            }
            if part.starts_with("__") {
                return Err(FieldError::Reserved);
            }
        }
        Ok(Self {
            text: text.to_owned(),
            dot: type_name.len(),
        })
    }

    /// The type, e.g. `Query` or `User`.
    pub fn type_name(&self) -> &str {
        &self.text[..self.dot]
    }

    /// The field, e.g. `email`.
    pub fn field(&self) -> &str {
        &self.text[self.dot + 1..]
    }

    /// `Type.field`.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for FieldName {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for FieldName {}

impl PartialOrd for FieldName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FieldName {
    fn cmp(&self, other: &Self) -> Ordering {
        self.text.cmp(&other.text)
    }
}

impl Borrow<str> for FieldName {
    fn borrow(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_validated() {
        let f = FieldName::parse("User.email").unwrap();
        assert_eq!(
            (f.type_name(), f.field(), f.to_string().as_str()),
            ("User", "email", "User.email")
        );
        for (text, err) in [
            ("User", FieldError::NotTypeField),
            ("User.", FieldError::NotTypeField),
            (".email", FieldError::NotTypeField),
            ("A.b.c", FieldError::NotTypeField),
            ("Query.*", FieldError::Wildcard),
            ("*.email", FieldError::Wildcard),
            ("User.e-mail", FieldError::BadName("e-mail".into())),
            ("1User.email", FieldError::BadName("1User".into())),
            ("User. email", FieldError::BadName(" email".into())),
            ("Query.__schema", FieldError::Reserved),
        ] {
            assert_eq!(FieldName::parse(text).unwrap_err(), err, "{text}");
        }
    }
}
