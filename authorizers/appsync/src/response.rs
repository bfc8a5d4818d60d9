//! AppSync's authorizer response as the crate's own serde struct: never a JSON null,
//! `resolverContext` always present and flat (string values only).

use serde::Serialize;
use serde_json::{Map, Value};

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
