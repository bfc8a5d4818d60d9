//! The versioned document: format detection, version check, shape, then validation of each
//! section. Every error names where in the document the problem is.

use serde::{
    Deserialize, Deserializer,
    de::{self, MapAccess, SeqAccess, Visitor},
};
use serde_json::{Map, Value};

use crate::{
    apigateway::{ApiGatewayPolicy, RawApiGateway},
    appsync::{AppSyncPolicy, RawAppSync},
    error::PolicyError,
    format::{Format, SUPPORTED_VERSION},
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    #[allow(dead_code)]
    version: Value,
    apigateway: Option<RawApiGateway>,
    appsync: Option<Value>,
}

/// A parsed, validated policy document.
#[derive(Debug, Clone)]
pub struct PolicyDocument {
    apigateway: Option<ApiGatewayPolicy>,
    appsync: Option<AppSyncPolicy>,
    appsync_raw: Option<Value>,
}

impl PolicyDocument {
    /// Parses JSON or TOML, detected by [`Format::detect`].
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        Self::parse_as(text, Format::detect(text))
    }

    /// Parses text in the given format and validates it.
    pub fn parse_as(text: &str, format: Format) -> Result<Self, PolicyError> {
        let value: Value = match format {
            // serde_json alone keeps the last of repeated keys; TOML refuses them, so must JSON.
            Format::Json => {
                serde_json::from_str::<UniqueKeys>(text)
                    .map_err(|e| PolicyError::Syntax {
                        format,
                        message: e.to_string(),
                    })?
                    .0
            }
            Format::Toml => toml::from_str(text).map_err(|e| PolicyError::Syntax {
                format,
                message: e.message().to_owned(),
            })?,
        };
        Self::from_value(value)
    }

    /// Validates an already parsed document. The version is checked before anything else, so a
    /// document written for a newer authorizer is refused with that reason.
    pub fn from_value(value: Value) -> Result<Self, PolicyError> {
        match value.get("version") {
            None => return Err(PolicyError::MissingVersion),
            Some(v) if v.as_u64() == Some(SUPPORTED_VERSION) => {}
            Some(v) => {
                return Err(PolicyError::UnsupportedVersion { found: v.to_string() });
            }
        }
        let raw: RawDocument = serde_json::from_value(value).map_err(|e| PolicyError::Shape(e.to_string()))?;
        let apigateway = raw.apigateway.map(ApiGatewayPolicy::from_raw).transpose()?;
        let appsync = match &raw.appsync {
            None => None,
            Some(value) => {
                let section: RawAppSync =
                    serde_json::from_value(value.clone()).map_err(|e| PolicyError::Shape(format!("appsync: {e}")))?;
                Some(AppSyncPolicy::from_raw(section)?)
            }
        };
        Ok(Self {
            apigateway,
            appsync,
            appsync_raw: raw.appsync,
        })
    }

    /// The API Gateway section, when present.
    pub fn apigateway(&self) -> Option<&ApiGatewayPolicy> {
        self.apigateway.as_ref()
    }

    /// The AppSync section, when present.
    pub fn appsync(&self) -> Option<&AppSyncPolicy> {
        self.appsync.as_ref()
    }

    /// The AppSync section as written (already validated; see [`PolicyDocument::appsync`]).
    pub fn appsync_raw(&self) -> Option<&Value> {
        self.appsync_raw.as_ref()
    }
}

/// A JSON value whose objects, at every depth, have no repeated key (`{"viewer": [...],
/// "viewer": ["* /*"]}` would otherwise silently grant the last list).
struct UniqueKeys(Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor).map(UniqueKeys)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate key {key:?} (each key may appear once per object)"
                )));
            }
            let UniqueKeys(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_checked_first() {
        assert_eq!(PolicyDocument::parse("{}").unwrap_err(), PolicyError::MissingVersion);
        assert_eq!(
            PolicyDocument::parse(r#"{"version": 2, "apigateway": {"nonsense": 1}}"#).unwrap_err(),
            PolicyError::UnsupportedVersion { found: "2".into() }
        );
        assert_eq!(
            PolicyDocument::parse("version = \"1\"").unwrap_err(),
            PolicyError::UnsupportedVersion { found: "\"1\"".into() }
        );
        let err = PolicyDocument::parse("version = 2").unwrap_err();
        assert!(err.to_string().contains("understands version 1"), "{err}");
    }

    #[test]
    fn syntax_errors_name_the_format() {
        let err = PolicyDocument::parse("{\"version\": 1,").unwrap_err();
        assert!(
            matches!(
                err,
                PolicyError::Syntax {
                    format: Format::Json,
                    ..
                }
            ),
            "{err}"
        );
        let err = PolicyDocument::parse("version = = 1").unwrap_err();
        assert!(
            matches!(
                err,
                PolicyError::Syntax {
                    format: Format::Toml,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn unknown_sections_and_fields_are_refused() {
        let err = PolicyDocument::parse(r#"{"version": 1, "apigw": {}}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `apigw`"), "{err}");
        let err = PolicyDocument::parse(r#"{"version": 1, "apigateway": {"rols": {}}}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `rols`"), "{err}");
        let err = PolicyDocument::parse(r#"{"version": 1, "apigateway": {"roles": {"a": "GET /x"}}}"#).unwrap_err();
        assert!(matches!(err, PolicyError::Shape(_)), "{err}");
    }

    #[test]
    fn a_repeated_json_key_is_refused_as_toml_refuses_it() {
        // serde_json would keep the last value: `viewer` would silently get `* /*`.
        let json = r#"{"version": 1, "apigateway": {"roles": {"viewer": ["GET /items"], "viewer": ["* /*"]}}}"#;
        let err = PolicyDocument::parse(json).unwrap_err();
        assert!(
            matches!(&err, PolicyError::Syntax { format: Format::Json, message } if message.contains("\"viewer\"")),
            "{err}"
        );
        assert!(err.to_string().contains("duplicate key"), "{err}");
        let toml = "version = 1\n[apigateway.roles]\nviewer = [\"GET /items\"]\nviewer = [\"* /*\"]\n";
        assert!(matches!(
            PolicyDocument::parse(toml).unwrap_err(),
            PolicyError::Syntax {
                format: Format::Toml,
                ..
            }
        ));
        let top = r#"{"version": 1, "version": 1}"#;
        assert!(PolicyDocument::parse(top).is_err(), "at any depth");
        let nested = r#"{"version": 1, "appsync": {"tenants": {"roles": {"a": ["Query.x"], "a": ["Query.y"]}}}}"#;
        assert!(PolicyDocument::parse(nested).is_err(), "at any depth");
        // The same key in different objects is not a repeat.
        let fine = r#"{"version": 1, "apigateway": {"roles": {"a": ["GET /x"]}, "permissions": {"a": ["GET /y"]}}}"#;
        assert!(PolicyDocument::parse(fine).is_ok());
    }

    #[test]
    fn the_appsync_section_is_validated_and_kept() {
        let doc = PolicyDocument::parse(r#"{"version": 1, "appsync": {"authenticated": ["Query.me"]}}"#).unwrap();
        assert!(doc.apigateway().is_none());
        assert_eq!(doc.appsync().unwrap().protected().len(), 1);
        assert_eq!(doc.appsync_raw().unwrap()["authenticated"][0], "Query.me");
        let err = PolicyDocument::parse(r#"{"version": 1, "appsync": {"anything": ["goes", "here"]}}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `anything`"), "{err}");
    }
}
