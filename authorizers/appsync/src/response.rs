//! AppSync's authorizer response as the crate's own serde struct: never a JSON null,
//! `resolverContext` always present and flat (string values only).

use serde::Serialize;
use serde_json::{Map, Value};

/// Longest single `resolverContext` value, in bytes. Longer values are left out and named in
/// `omitted`.
pub const MAX_CONTEXT_VALUE: usize = 4096;

/// Budget for all `resolverContext` keys and values together, in bytes (far below AppSync's
/// 5 MB; the context travels with every resolver invocation).
pub const MAX_CONTEXT_TOTAL: usize = 32 * 1024;

/// `{"isAuthorized", "resolverContext", "deniedFields"?, "ttlOverride"}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerResponse {
    /// false gives the client `UnauthorizedException`.
    pub is_authorized: bool,
    /// Flat string map, `{}` when not authorized.
    pub resolver_context: Map<String, Value>,
    /// `Type.field` entries AppSync forces to null; left out when not authorized.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied_fields: Option<Vec<String>>,
    /// Seconds AppSync may cache this answer for the token; 0 = do not cache.
    pub ttl_override: u64,
}

impl AuthorizerResponse {
    /// `{"isAuthorized": false, "resolverContext": {}, "ttlOverride": 0}`.
    pub fn refused() -> Self {
        Self {
            is_authorized: false,
            resolver_context: Map::new(),
            denied_fields: None,
            ttl_override: 0,
        }
    }
}

/// Builds a `resolverContext` within the size budget. Every value becomes a string (numbers and
/// booleans as their JSON text, arrays and objects JSON-encoded); nulls are skipped; values over
/// [`MAX_CONTEXT_VALUE`], or past [`MAX_CONTEXT_TOTAL`], are left out and listed in `omitted`.
#[derive(Debug, Default)]
pub struct ContextBuilder {
    map: Map<String, Value>,
    total: usize,
    omitted: Vec<String>,
}

impl ContextBuilder {
    /// Adds one entry.
    pub fn insert(&mut self, key: &str, value: Value) {
        let text = match value {
            Value::Null => return,
            Value::String(s) => s,
            other => other.to_string(),
        };
        let size = key.len() + text.len();
        if text.len() > MAX_CONTEXT_VALUE || self.total + size > MAX_CONTEXT_TOTAL {
            self.omitted.push(key.to_owned());
            return;
        }
        self.total += size;
        self.map.insert(key.to_owned(), Value::String(text));
    }

    /// The finished context.
    pub fn build(mut self) -> Map<String, Value> {
        if !self.omitted.is_empty() {
            self.map
                .insert("omitted".to_owned(), Value::String(self.omitted.join(",")));
        }
        self.map
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn context_values_are_strings_and_bounded() {
        let mut c = ContextBuilder::default();
        c.insert("s", json!("x"));
        c.insert("n", json!(3));
        c.insert("b", json!(true));
        c.insert("null", Value::Null);
        c.insert("list", json!(["a", "b"]));
        c.insert("big", json!("x".repeat(MAX_CONTEXT_VALUE + 1)));
        for i in 0..10 {
            c.insert(&format!("fill{i}"), json!("y".repeat(4000)));
        }
        let map = c.build();
        assert_eq!(map["s"], "x");
        assert_eq!(map["n"], "3");
        assert_eq!(map["b"], "true");
        assert_eq!(map["list"], "[\"a\",\"b\"]");
        assert!(!map.contains_key("null") && !map.contains_key("big"));
        assert_eq!(map["omitted"], "big,fill8,fill9");
        assert!(map.values().all(Value::is_string));
    }

    #[test]
    fn responses_serialize_without_nulls() {
        assert_eq!(
            serde_json::to_value(AuthorizerResponse::refused()).unwrap(),
            json!({"isAuthorized": false, "resolverContext": {}, "ttlOverride": 0})
        );
        let allowed = AuthorizerResponse {
            is_authorized: true,
            resolver_context: Map::new(),
            denied_fields: Some(vec![]),
            ttl_override: 60,
        };
        assert_eq!(
            serde_json::to_value(allowed).unwrap(),
            json!({"isAuthorized": true, "resolverContext": {}, "deniedFields": [], "ttlOverride": 60})
        );
    }
}
