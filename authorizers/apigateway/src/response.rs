//! The responses API Gateway accepts, as the crate's own serde structs: PascalCase policy keys,
//! no `Condition`, no `usageIdentifierKey`, and a context that is always a flat object.

use serde::Serialize;
use serde_json::{Map, Value};

/// The IAM policy version API Gateway expects.
pub const POLICY_VERSION: &str = "2012-10-17";

/// Longest resource ARN API Gateway accepts in an authorizer policy statement.
pub const MAX_RESOURCE_ARN: usize = 512;

/// Longest single context value, in bytes. Longer values are left out and named in `omitted`.
pub const MAX_CONTEXT_VALUE: usize = 2048;

/// Budget for all context values together, in bytes.
pub const MAX_CONTEXT_TOTAL: usize = 8192;

/// The IAM policy response of REST authorizers and HTTP API authorizers without simple responses.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IamResponse {
    /// The Descope user ID.
    pub principal_id: String,
    /// The policy over the whole API.
    pub policy_document: PolicyDocument,
    /// Flat key/value context.
    pub context: Map<String, Value>,
}

/// `policyDocument`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    /// Always [`POLICY_VERSION`].
    pub version: &'static str,
    /// One statement: Allow on the granted routes, or Deny on the whole API.
    pub statement: Vec<Statement>,
}

/// One policy statement.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// Always `execute-api:Invoke`.
    pub action: &'static str,
    /// Allow or Deny.
    pub effect: Effect,
    /// Method ARNs, wildcards allowed.
    pub resource: Vec<String>,
}

/// A statement effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// Allow.
    Allow,
    /// Deny.
    Deny,
}

/// The HTTP API simple response (payload 2.0 with simple responses enabled).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleResponse {
    /// Whether the requested route may be called.
    pub is_authorized: bool,
    /// Flat key/value context; left out on an invalid token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Map<String, Value>>,
}

/// Builds a context within the size budget: values over [`MAX_CONTEXT_VALUE`], or past
/// [`MAX_CONTEXT_TOTAL`], are left out and their keys listed in `omitted`.
#[derive(Debug, Default)]
pub struct ContextBuilder {
    map: Map<String, Value>,
    total: usize,
    omitted: Vec<String>,
}

impl ContextBuilder {
    /// Adds a string, number or boolean; anything else is JSON-encoded into a string; null is skipped.
    pub fn insert(&mut self, key: &str, value: Value) {
        let value = match value {
            Value::Null => return,
            Value::String(_) | Value::Number(_) | Value::Bool(_) => value,
            other => Value::String(other.to_string()),
        };
        let size = match &value {
            Value::String(s) => s.len(),
            other => other.to_string().len(),
        } + key.len();
        if size > MAX_CONTEXT_VALUE || self.total + size > MAX_CONTEXT_TOTAL {
            self.omitted.push(key.to_owned());
            return;
        }
        self.total += size;
        self.map.insert(key.to_owned(), value);
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
    fn context_values_are_flat_and_bounded() {
        let mut c = ContextBuilder::default();
        c.insert("s", json!("x"));
        c.insert("n", json!(3));
        c.insert("b", json!(true));
        c.insert("null", Value::Null);
        c.insert("list", json!(["a", "b"]));
        c.insert("big", json!("x".repeat(MAX_CONTEXT_VALUE)));
        for i in 0..10 {
            c.insert(&format!("fill{i}"), json!("y".repeat(1500)));
        }
        let map = c.build();
        assert_eq!(map["s"], "x");
        assert_eq!(map["n"], 3);
        assert_eq!(map["b"], true);
        assert_eq!(map["list"], "[\"a\",\"b\"]");
        assert!(!map.contains_key("null") && !map.contains_key("big"));
        assert_eq!(map["omitted"], "big,fill5,fill6,fill7,fill8,fill9");
        let total: usize = map
            .iter()
            .filter(|(k, _)| *k != "omitted")
            .map(|(k, v)| k.len() + v.as_str().map_or(v.to_string().len(), str::len))
            .sum();
        assert!(total <= MAX_CONTEXT_TOTAL);
        assert!(map.values().all(|v| !v.is_object() && !v.is_array() && !v.is_null()));
    }

    #[test]
    fn responses_serialize_without_nulls() {
        let r = IamResponse {
            principal_id: "U1".into(),
            policy_document: PolicyDocument {
                version: POLICY_VERSION,
                statement: vec![Statement {
                    action: "execute-api:Invoke",
                    effect: Effect::Deny,
                    resource: vec!["arn".into()],
                }],
            },
            context: Map::new(),
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"principalId": "U1", "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": ["arn"]}]}, "context": {}})
        );
        let s = SimpleResponse {
            is_authorized: false,
            context: None,
        };
        assert_eq!(serde_json::to_value(&s).unwrap(), json!({"isAuthorized": false}));
    }
}
