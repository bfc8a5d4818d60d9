//! The responses API Gateway accepts, as the crate's own serde structs: PascalCase policy keys,
//! no `Condition`, no `usageIdentifierKey`, and a context that is always a flat object.

use serde::Serialize;
use serde_json::{Map, Value};

/// The IAM policy version API Gateway expects.
pub const POLICY_VERSION: &str = "2012-10-17";

/// Longest resource ARN API Gateway accepts in an authorizer policy statement.
pub const MAX_RESOURCE_ARN: usize = 512;

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
