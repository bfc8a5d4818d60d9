//! The context both authorizers hand to the backend (feature `identity`): who the user is, who
//! vouched, roles, permissions, tenants and the `AUTHZ_CONTEXT_CLAIMS` copies, built within the
//! size budget of the service's [`ContextForm`].

use descope_jwt::Claims;
use serde_json::{Map, Value, json};

use crate::{
    identity::{Identity, identity_context},
    settings::{ConfigError, Env, list},
};

/// Context keys every authorizer fills itself ([`Identity::context`]); `AUTHZ_CONTEXT_CLAIMS`
/// may not use them.
pub const RESERVED_CONTEXT_KEYS: [&str; 12] = [
    "userId",
    "roles",
    "permissions",
    "currentTenant",
    "authorizedTenant",
    "tenants",
    "omitted",
    UNVERIFIED_CONTEXT_KEY,
    crate::identity::IDENTITY_CONTEXT_KEYS[0],
    crate::identity::IDENTITY_CONTEXT_KEYS[1],
    crate::identity::IDENTITY_CONTEXT_KEYS[2],
    crate::identity::IDENTITY_CONTEXT_KEYS[3],
];

/// The two wire forms of a context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextForm {
    /// API Gateway's `context`: strings, numbers and booleans as they are (anything else
    /// JSON-encoded into a string); an entry (key and value) over 2 KiB, or past 8 KiB in all,
    /// is left out.
    Scalars,
    /// AppSync's `resolverContext`: every value a string (numbers and booleans as their JSON
    /// text); a value over 4 KiB, or an entry past 32 KiB in all (far below AppSync's 5 MB: the
    /// context travels with every resolver invocation), is left out.
    Strings,
}

impl ContextForm {
    /// Longest single value, in bytes (for [`ContextForm::Scalars`], key included).
    pub const fn max_value(self) -> usize {
        match self {
            Self::Scalars => 2048,
            Self::Strings => 4096,
        }
    }

    /// Budget for all keys and values together, in bytes.
    pub const fn max_total(self) -> usize {
        match self {
            Self::Scalars => 8192,
            Self::Strings => 32 * 1024,
        }
    }
}

/// Builds a context within its form's budget: nulls are skipped; entries over the limits are
/// left out and their keys listed in `omitted`.
#[derive(Debug)]
pub struct ContextBuilder {
    form: ContextForm,
    map: Map<String, Value>,
    total: usize,
    omitted: Vec<String>,
}

impl ContextBuilder {
    /// An empty context of this form.
    pub fn new(form: ContextForm) -> Self {
        Self {
            form,
            map: Map::new(),
            total: 0,
            omitted: Vec::new(),
        }
    }

    /// Adds one entry.
    pub fn insert(&mut self, key: &str, value: Value) {
        let value = match value {
            Value::Null => return,
            Value::Number(_) | Value::Bool(_) if self.form == ContextForm::Scalars => value,
            Value::String(_) => value,
            other => Value::String(other.to_string()),
        };
        let text_len = match &value {
            Value::String(s) => s.len(),
            other => other.to_string().len(),
        };
        let size = key.len() + text_len;
        let checked = match self.form {
            ContextForm::Scalars => size,
            ContextForm::Strings => text_len,
        };
        if checked > self.form.max_value() || self.total + size > self.form.max_total() {
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

impl Identity {
    /// The context of a verified caller, in this order: `userId`, the identity keys (`idp`, and
    /// for a Cognito token `cognitoUsername`, `cognitoSub`, `cognitoUserPoolId`), `roles` and
    /// `permissions` (comma lists), `currentTenant`, `authorizedTenant` (left out when `None`:
    /// an answer the service may reuse for another tenant must not name one), `tenants` (JSON
    /// text), then the `AUTHZ_CONTEXT_CLAIMS` copies.
    pub fn context(&self, claims: &Claims, authorized_tenant: Option<&str>, form: ContextForm) -> Map<String, Value> {
        let mut c = ContextBuilder::new(form);
        c.insert("userId", Value::String(claims.subject.clone()));
        for (key, value) in identity_context(claims) {
            c.insert(key, Value::String(value));
        }
        c.insert("roles", Value::String(claims.roles.join(",")));
        c.insert("permissions", Value::String(claims.permissions.join(",")));
        c.insert(
            "currentTenant",
            Value::String(claims.current_tenant.clone().unwrap_or_default()),
        );
        if let Some(tenant) = authorized_tenant {
            c.insert("authorizedTenant", Value::String(tenant.to_owned()));
        }
        let tenants: Map<String, Value> = claims
            .tenants
            .iter()
            .map(|(id, t)| (id.clone(), json!({"roles": t.roles, "permissions": t.permissions})))
            .collect();
        c.insert("tenants", Value::String(Value::Object(tenants).to_string()));
        copy_context_claims(claims, self.context_claims(), |name, value| c.insert(name, value));
        c.build()
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// `AUTHZ_CONTEXT_CLAIMS`: token claims to copy into the context under their own names; each
    /// a plain name (letters, digits, `_`), none of [`RESERVED_CONTEXT_KEYS`] and none of the
    /// `also_reserved` keys this authorizer fills besides.
    pub fn context_claims(&self, also_reserved: &[&str]) -> Result<Vec<String>, ConfigError> {
        let Some(value) = self.get("AUTHZ_CONTEXT_CLAIMS") else {
            return Ok(Vec::new());
        };
        let claims = list(&value);
        let reserved: Vec<&str> = RESERVED_CONTEXT_KEYS.iter().chain(also_reserved).copied().collect();
        let bad = claims
            .iter()
            .find(|c| reserved.contains(&c.as_str()) || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        if let Some(bad) = bad {
            return Err(ConfigError::Invalid {
                name: "AUTHZ_CONTEXT_CLAIMS",
                value: value.clone(),
                reason: format!(
                    "claim {bad:?} is reserved or not a plain name (letters, digits, '_'); reserved: {}",
                    reserved.join(", ")
                ),
            });
        }
        Ok(claims)
    }
}

/// The context key listing the `AUTHZ_CONTEXT_CLAIMS` entries left out because the identity
/// provider did not mark them verified (apart from `omitted`, which lists values too large).
pub const UNVERIFIED_CONTEXT_KEY: &str = "unverified";

/// What an `AUTHZ_CONTEXT_CLAIMS` entry puts in the context.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextClaim {
    /// The value to copy: `amr` and `iss` from their typed fields, any other claim as in the token.
    Value(serde_json::Value),
    /// Left out: a Cognito `email` or `phone_number` whose `*_verified` claim is not true. Cognito
    /// puts addresses in its ID tokens whether or not anyone proved them, so a backend that keys
    /// accounts on `email` during a cutover must not get one Cognito never verified.
    Unverified,
    /// The token lacks it.
    Absent,
}

/// Copies every `AUTHZ_CONTEXT_CLAIMS` entry `names` the claims allow into a context through
/// `insert`, and lists the ones left out as unverified under [`UNVERIFIED_CONTEXT_KEY`]: the one
/// place both authorizers apply the rule.
pub fn copy_context_claims(
    claims: &descope_jwt::Claims,
    names: &[String],
    mut insert: impl FnMut(&str, serde_json::Value),
) {
    let mut unverified: Vec<&str> = Vec::new();
    for name in names {
        match context_claim(claims, name) {
            ContextClaim::Value(value) => insert(name, value),
            ContextClaim::Unverified => unverified.push(name),
            ContextClaim::Absent => {}
        }
    }
    if !unverified.is_empty() {
        insert(UNVERIFIED_CONTEXT_KEY, serde_json::Value::String(unverified.join(",")));
    }
}

/// The value of an `AUTHZ_CONTEXT_CLAIMS` entry for these claims.
pub fn context_claim(claims: &descope_jwt::Claims, name: &str) -> ContextClaim {
    let value = match name {
        "amr" => return ContextClaim::Value(serde_json::Value::String(claims.amr.join(","))),
        "iss" => return ContextClaim::Value(serde_json::Value::String(claims.issuer.clone())),
        other => claims.other.get(other),
    };
    let Some(value) = value else {
        return ContextClaim::Absent;
    };
    let verified_by = match name {
        "email" => Some("email_verified"),
        "phone_number" => Some("phone_number_verified"),
        _ => None,
    };
    if let (descope_jwt::IdentityProvider::Cognito(_), Some(marker)) = (&claims.provider, verified_by) {
        // AWS sends a boolean; some clients and older pools carry the string "true".
        let verified = match claims.other.get(marker) {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) => s == "true",
            _ => false,
        };
        if !verified {
            return ContextClaim::Unverified;
        }
    }
    ContextClaim::Value(value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::env_of as env;

    /// Claims of user `sub-1` from `provider`, with these `amr` values and other claims.
    fn claims_of(provider: descope_jwt::IdentityProvider, amr: &[&str], other: serde_json::Value) -> Claims {
        Claims {
            provider,
            subject: "sub-1".into(),
            issuer: "iss".into(),
            audience: vec![],
            expires_at: 0,
            issued_at: None,
            roles: vec![],
            permissions: vec![],
            tenants: Default::default(),
            current_tenant: None,
            amr: amr.iter().map(|m| (*m).to_owned()).collect(),
            other: other.as_object().cloned().unwrap_or_default(),
        }
    }

    #[test]
    fn a_cognito_email_or_phone_is_copied_only_when_verified() {
        use descope_jwt::{CognitoIdentity, IdentityProvider, TokenUse};
        let claims = |provider, other: serde_json::Value| claims_of(provider, &[], other);
        let cognito = || {
            IdentityProvider::Cognito(CognitoIdentity {
                user_pool_id: "eu-west-1_A".into(),
                username: "ada".into(),
                token_use: TokenUse::Id,
                client_id: "c".into(),
            })
        };
        let email = serde_json::json!("ada@example.com");
        for (verified, copied) in [
            (serde_json::json!(true), true),
            (serde_json::json!("true"), true),
            (serde_json::json!(false), false),
            (serde_json::json!("false"), false),
            (serde_json::json!("TRUE"), false),
            (serde_json::json!(1), false),
            (serde_json::Value::Null, false),
        ] {
            let mut other = serde_json::json!({"email": email, "phone_number": "+15555550100"});
            if !verified.is_null() {
                other["email_verified"] = verified.clone();
                other["phone_number_verified"] = verified.clone();
            }
            let c = claims(cognito(), other);
            for name in ["email", "phone_number"] {
                let got = context_claim(&c, name);
                assert_eq!(matches!(got, ContextClaim::Value(_)), copied, "{name} {verified}");
                if !copied {
                    assert_eq!(got, ContextClaim::Unverified, "{name} {verified}");
                }
            }
        }
        // Descope's claims are copied as they are; absent stays absent.
        let descope = claims(IdentityProvider::Descope, serde_json::json!({"email": email}));
        assert_eq!(context_claim(&descope, "email"), ContextClaim::Value(email));
        assert_eq!(
            context_claim(&claims(cognito(), serde_json::json!({})), "email"),
            ContextClaim::Absent
        );
    }

    #[test]
    fn the_identity_context_says_who_vouched() {
        use descope_jwt::{CognitoIdentity, IdentityProvider, TokenUse};
        let claims = |provider| claims_of(provider, &["pwd"], serde_json::json!({"plan": "pro"}));
        assert_eq!(
            identity_context(&claims(IdentityProvider::Descope)),
            [("idp", "descope".to_owned())]
        );
        let cognito = claims(IdentityProvider::Cognito(CognitoIdentity {
            user_pool_id: "eu-west-1_A".into(),
            username: "ada".into(),
            token_use: TokenUse::Access,
            client_id: "c".into(),
        }));
        assert_eq!(
            identity_context(&cognito),
            [
                ("idp", "cognito".to_owned()),
                ("cognitoUsername", "ada".to_owned()),
                ("cognitoSub", "sub-1".to_owned()),
                ("cognitoUserPoolId", "eu-west-1_A".to_owned()),
            ]
        );
        assert_eq!(
            context_claim(&cognito, "amr"),
            ContextClaim::Value(serde_json::json!("pwd"))
        );
        assert_eq!(
            context_claim(&cognito, "plan"),
            ContextClaim::Value(serde_json::json!("pro"))
        );
        assert_eq!(context_claim(&cognito, "absent"), ContextClaim::Absent);
    }

    #[test]
    fn context_claims_must_be_plain_unreserved_names() {
        assert_eq!(
            env(&[("AUTHZ_CONTEXT_CLAIMS", "plan, org_id")])
                .context_claims(&["principalId"])
                .unwrap(),
            ["plan", "org_id"]
        );
        for bad in ["roles", "principalId", "unverified", "cognitoSub", "a-b", "x.y"] {
            let error = env(&[("AUTHZ_CONTEXT_CLAIMS", bad)])
                .context_claims(&["principalId"])
                .unwrap_err()
                .to_string();
            assert!(error.contains(&format!("claim {bad:?} is reserved")), "{error}");
        }
    }

    #[test]
    fn context_values_are_flat_and_bounded() {
        let mut c = ContextBuilder::new(ContextForm::Scalars);
        c.insert("s", serde_json::json!("x"));
        c.insert("n", serde_json::json!(3));
        c.insert("b", serde_json::json!(true));
        c.insert("null", Value::Null);
        c.insert("list", serde_json::json!(["a", "b"]));
        c.insert("big", serde_json::json!("x".repeat(ContextForm::Scalars.max_value())));
        for i in 0..10 {
            c.insert(&format!("fill{i}"), serde_json::json!("y".repeat(1500)));
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
        assert!(total <= ContextForm::Scalars.max_total());
        assert!(map.values().all(|v| !v.is_object() && !v.is_array() && !v.is_null()));
    }

    #[test]
    fn context_values_are_strings_and_bounded() {
        let mut c = ContextBuilder::new(ContextForm::Strings);
        c.insert("s", serde_json::json!("x"));
        c.insert("n", serde_json::json!(3));
        c.insert("b", serde_json::json!(true));
        c.insert("null", Value::Null);
        c.insert("list", serde_json::json!(["a", "b"]));
        c.insert(
            "big",
            serde_json::json!("x".repeat(ContextForm::Strings.max_value() + 1)),
        );
        for i in 0..10 {
            c.insert(&format!("fill{i}"), serde_json::json!("y".repeat(4000)));
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
}
