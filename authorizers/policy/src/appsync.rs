//! The `appsync` section: which GraphQL fields (`Type.field`) a principal may resolve.
//!
//! AppSync's `deniedFields` takes concrete `Type.field` names (no wildcards), so the section
//! lists the *protected* fields explicitly: every field named anywhere in it is protected, and a
//! principal is denied the protected fields none of its grants cover. Fields the policy never
//! names are not governed by it. A top-level field of an operation's root type (`Query.x`,
//! `Mutation.y`, `Subscription.z`) that is protected and not granted makes the authorizer refuse
//! the whole request.

use std::{
    borrow::Borrow,
    cmp::Ordering,
    collections::{BTreeMap, BTreeSet},
    fmt,
};

use serde::Deserialize;

use crate::{
    apigateway::{Principal, TenantSource},
    document::{PolicyError, check_names},
    route::is_safe_tenant_id,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawAppSync {
    #[serde(default)]
    authenticated: Vec<String>,
    #[serde(default)]
    roles: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    permissions: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    tenants: Option<RawTenants>,
    #[serde(default)]
    protected: Vec<String>,
    #[serde(default)]
    root_types: Option<RawRootTypes>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTenants {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    roles: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    permissions: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRootTypes {
    query: Option<String>,
    mutation: Option<String>,
    subscription: Option<String>,
}

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

/// True for a GraphQL name: `[_A-Za-z][_0-9A-Za-z]*`.
pub fn is_graphql_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

/// A GraphQL operation type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationType {
    /// `query` (also the `{ ... }` shorthand).
    Query,
    /// `mutation`.
    Mutation,
    /// `subscription`.
    Subscription,
}

impl OperationType {
    /// `query`, `mutation` or `subscription`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Mutation => "mutation",
            Self::Subscription => "subscription",
        }
    }
}

/// The validated `appsync` section.
#[derive(Debug, Clone)]
pub struct AppSyncPolicy {
    authenticated: Vec<FieldName>,
    roles: BTreeMap<String, Vec<FieldName>>,
    permissions: BTreeMap<String, Vec<FieldName>>,
    tenant_source: TenantSource,
    tenant_roles: BTreeMap<String, Vec<FieldName>>,
    tenant_permissions: BTreeMap<String, Vec<FieldName>>,
    protected: BTreeSet<FieldName>,
    root_types: [String; 3],
}

/// What one principal gets: the protected fields it is denied, and the tenant whose grants applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldGrants {
    denied: BTreeSet<FieldName>,
    tenant: Option<String>,
}

impl FieldGrants {
    /// The protected fields not granted, sorted: AppSync's `deniedFields`.
    pub fn denied(&self) -> impl ExactSizeIterator<Item = &FieldName> {
        self.denied.iter()
    }

    /// True unless `Type.field` is protected and not granted.
    pub fn allows(&self, type_name: &str, field: &str) -> bool {
        let mut key = String::with_capacity(type_name.len() + field.len() + 1);
        key.push_str(type_name);
        key.push('.');
        key.push_str(field);
        !self.denied.contains(key.as_str())
    }

    /// The tenant whose tenant grants applied (the token's `dct`, or the requested tenant with
    /// the header source), when it is one of the token's tenants.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
}

impl AppSyncPolicy {
    pub(crate) fn from_raw(raw: RawAppSync) -> Result<Self, PolicyError> {
        let tenants = raw.tenants.unwrap_or_default();
        let tenant_source = tenant_source(tenants.source.as_deref(), tenants.name.as_deref())?;
        let root = raw.root_types.unwrap_or_default();
        let mut root_types = [String::new(), String::new(), String::new()];
        for (slot, (value, default, key)) in root_types.iter_mut().zip([
            (root.query, "Query", "query"),
            (root.mutation, "Mutation", "mutation"),
            (root.subscription, "Subscription", "subscription"),
        ]) {
            let name = value.unwrap_or_else(|| default.to_owned());
            if !is_graphql_name(&name) || name.starts_with("__") {
                return Err(PolicyError::Shape(format!(
                    "appsync.rootTypes.{key} {name:?} is not a GraphQL type name"
                )));
            }
            *slot = name;
        }
        let mut policy = Self {
            authenticated: fields(&raw.authenticated, "appsync.authenticated")?,
            roles: field_map(&raw.roles, "appsync.roles")?,
            permissions: field_map(&raw.permissions, "appsync.permissions")?,
            tenant_source,
            tenant_roles: field_map(&tenants.roles, "appsync.tenants.roles")?,
            tenant_permissions: field_map(&tenants.permissions, "appsync.tenants.permissions")?,
            protected: fields(&raw.protected, "appsync.protected")?.into_iter().collect(),
            root_types,
        };
        let named: Vec<FieldName> = policy
            .authenticated
            .iter()
            .chain(
                [
                    &policy.roles,
                    &policy.permissions,
                    &policy.tenant_roles,
                    &policy.tenant_permissions,
                ]
                .into_iter()
                .flat_map(|m| m.values().flatten()),
            )
            .cloned()
            .collect();
        policy.protected.extend(named);
        Ok(policy)
    }

    /// Where tenant-scoped grants take the tenant from (`dct` or a request header).
    pub fn tenant_source(&self) -> &TenantSource {
        &self.tenant_source
    }

    /// Every protected field: `protected` plus every field any grant names.
    pub fn protected(&self) -> impl ExactSizeIterator<Item = &FieldName> {
        self.protected.iter()
    }

    /// The root type of an operation type (`Query`, `Mutation`, `Subscription` unless renamed in
    /// `rootTypes`).
    pub fn root_type(&self, operation: OperationType) -> &str {
        match operation {
            OperationType::Query => &self.root_types[0],
            OperationType::Mutation => &self.root_types[1],
            OperationType::Subscription => &self.root_types[2],
        }
    }

    /// What `principal` is denied. `requested_tenant` is the configured tenant header's value
    /// (ignored with the `dct` source).
    pub fn grants(&self, principal: &Principal<'_>, requested_tenant: Option<&str>) -> FieldGrants {
        let mut granted: BTreeSet<&FieldName> = self.authenticated.iter().collect();
        extend(&mut granted, &self.roles, principal.roles);
        extend(&mut granted, &self.permissions, principal.permissions);
        let wanted = match self.tenant_source {
            TenantSource::Header(_) => requested_tenant.map(str::trim),
            TenantSource::Dct | TenantSource::PathParameter(_) => principal.current_tenant,
        };
        let selected = wanted
            .and_then(|id| principal.membership(id))
            .filter(|m| is_safe_tenant_id(m.id));
        if let Some(membership) = selected {
            extend(&mut granted, &self.tenant_roles, membership.roles);
            extend(&mut granted, &self.tenant_permissions, membership.permissions);
        }
        FieldGrants {
            denied: self
                .protected
                .iter()
                .filter(|f| !granted.contains(f))
                .cloned()
                .collect(),
            tenant: selected.map(|m| m.id.to_owned()),
        }
    }
}

fn extend<'p>(set: &mut BTreeSet<&'p FieldName>, map: &'p BTreeMap<String, Vec<FieldName>>, names: &[String]) {
    for name in names {
        set.extend(map.get(name).into_iter().flatten());
    }
}

fn fields(texts: &[String], location: &str) -> Result<Vec<FieldName>, PolicyError> {
    let mut seen = BTreeSet::new();
    texts
        .iter()
        .map(|text| {
            let field = FieldName::parse(text).map_err(|reason| PolicyError::Field {
                field: text.clone(),
                location: location.to_owned(),
                reason,
            })?;
            if !seen.insert(text.as_str()) {
                return Err(PolicyError::DuplicateField {
                    field: text.clone(),
                    location: location.to_owned(),
                });
            }
            Ok(field)
        })
        .collect()
}

fn field_map(
    raw: &BTreeMap<String, Vec<String>>,
    location: &str,
) -> Result<BTreeMap<String, Vec<FieldName>>, PolicyError> {
    check_names(raw, location)?;
    raw.iter()
        .map(|(name, texts)| Ok((name.clone(), fields(texts, &format!("{location}.{name}"))?)))
        .collect()
}

fn tenant_source(source: Option<&str>, name: Option<&str>) -> Result<TenantSource, PolicyError> {
    let invalid = |m: &str| Err(PolicyError::TenantSource(format!("appsync: {m}")));
    let valid_name = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    match (source.unwrap_or("dct"), name) {
        ("dct", None) => Ok(TenantSource::Dct),
        ("dct", Some(_)) => invalid("\"name\" is only for the header source"),
        ("header", None) => invalid("the header source needs a \"name\""),
        ("header", Some(n)) if !valid_name(n) => {
            invalid("\"name\" must be letters, digits, '-' or '_' (a header name)")
        }
        ("header", Some(n)) => Ok(TenantSource::Header(n.to_ascii_lowercase())),
        (other, _) => invalid(&format!(
            "unknown source {other:?} (use \"dct\" or \"header\"; AppSync has no path parameters)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Membership, PolicyDocument};

    fn policy(text: &str) -> AppSyncPolicy {
        PolicyDocument::parse(text).unwrap().appsync().unwrap().clone()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn denied(grants: &FieldGrants) -> Vec<&str> {
        grants.denied().map(FieldName::as_str).collect()
    }

    const DOC: &str = r#"{
        "version": 1,
        "appsync": {
            "authenticated": ["Query.me", "Query.listPosts"],
            "roles": {
                "admin": ["Mutation.deletePost", "User.email", "Query.auditLog"],
                "editor": ["Mutation.createPost", "Mutation.updatePost"]
            },
            "permissions": {"pii.read": ["User.email", "User.phone"]},
            "tenants": {
                "roles": {"tenant-admin": ["Query.tenantUsers", "Mutation.inviteUser"]},
                "permissions": {"billing.read": ["Tenant.billing"]}
            },
            "protected": ["Query.internalStats"]
        }
    }"#;

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

    #[test]
    fn everything_named_is_protected_and_denied_unless_granted() {
        let p = policy(DOC);
        let protected: Vec<&str> = p.protected().map(FieldName::as_str).collect();
        assert_eq!(
            protected,
            [
                "Mutation.createPost",
                "Mutation.deletePost",
                "Mutation.inviteUser",
                "Mutation.updatePost",
                "Query.auditLog",
                "Query.internalStats",
                "Query.listPosts",
                "Query.me",
                "Query.tenantUsers",
                "Tenant.billing",
                "User.email",
                "User.phone",
            ]
        );
        let none: Vec<String> = vec![];
        let g = p.grants(&Principal::new(&none, &none), None);
        assert!(g.allows("Query", "me") && g.allows("Query", "listPosts"));
        assert!(g.allows("Query", "notInThePolicy"), "unnamed fields are not governed");
        assert!(!g.allows("User", "email"));
        assert_eq!(denied(&g).len(), 10);
        assert!(!denied(&g).contains(&"Query.me"));
    }

    #[test]
    fn roles_and_permissions_add_up() {
        let p = policy(DOC);
        let roles = strings(&["editor", "unknown-role"]);
        let perms = strings(&["pii.read"]);
        let g = p.grants(&Principal::new(&roles, &perms), None);
        assert_eq!(
            denied(&g),
            [
                "Mutation.deletePost",
                "Mutation.inviteUser",
                "Query.auditLog",
                "Query.internalStats",
                "Query.tenantUsers",
                "Tenant.billing",
            ]
        );
        let admin = strings(&["admin"]);
        let g = p.grants(&Principal::new(&admin, &[]), None);
        assert!(g.allows("User", "email") && !g.allows("User", "phone"));
        assert!(!g.allows("Query", "internalStats"), "protected and granted to nobody");
    }

    #[test]
    fn tenant_grants_follow_the_current_tenant_or_the_header() {
        let none: Vec<String> = vec![];
        let admin = strings(&["tenant-admin"]);
        let billing = strings(&["billing.read"]);
        let principal = |dct| {
            Principal::new(&none, &none)
                .tenant(Membership {
                    id: "T1",
                    roles: &admin,
                    permissions: &none,
                })
                .tenant(Membership {
                    id: "T2",
                    roles: &none,
                    permissions: &billing,
                })
                .current_tenant(dct)
        };
        let p = policy(DOC);
        let g = p.grants(&principal(Some("T1")), Some("T2"));
        assert_eq!(g.tenant(), Some("T1"), "dct source ignores the requested tenant");
        assert!(g.allows("Query", "tenantUsers") && !g.allows("Tenant", "billing"));
        let g = p.grants(&principal(Some("T9")), None);
        assert_eq!(g.tenant(), None, "a dct outside the memberships selects nothing");
        assert!(!g.allows("Query", "tenantUsers"));

        let p = policy(
            r#"{"version": 1, "appsync": {"tenants": {"source": "header", "name": "X-Tenant-Id",
                "roles": {"tenant-admin": ["Query.tenantUsers"]}}}}"#,
        );
        assert_eq!(p.tenant_source(), &TenantSource::Header("x-tenant-id".into()));
        assert!(p.grants(&principal(None), Some(" T1 ")).allows("Query", "tenantUsers"));
        assert!(
            !p.grants(&principal(Some("T1")), Some("T2"))
                .allows("Query", "tenantUsers")
        );
        assert!(!p.grants(&principal(Some("T1")), None).allows("Query", "tenantUsers"));
        assert!(!p.grants(&principal(None), Some("T9")).allows("Query", "tenantUsers"));
    }

    #[test]
    fn root_types_default_and_may_be_renamed() {
        let p = policy(DOC);
        assert_eq!(p.root_type(OperationType::Query), "Query");
        assert_eq!(p.root_type(OperationType::Mutation), "Mutation");
        assert_eq!(p.root_type(OperationType::Subscription), "Subscription");
        let p = policy(r#"{"version": 1, "appsync": {"rootTypes": {"query": "RootQuery"}}}"#);
        assert_eq!(p.root_type(OperationType::Query), "RootQuery");
        assert_eq!(p.root_type(OperationType::Mutation), "Mutation");
    }

    #[test]
    fn toml_and_json_read_the_same() {
        let toml = r#"
            version = 1
            [appsync]
            authenticated = ["Query.me", "Query.listPosts"]
            protected = ["Query.internalStats"]
            [appsync.roles]
            admin = ["Mutation.deletePost", "User.email", "Query.auditLog"]
            editor = ["Mutation.createPost", "Mutation.updatePost"]
            [appsync.permissions]
            "pii.read" = ["User.email", "User.phone"]
            [appsync.tenants.roles]
            tenant-admin = ["Query.tenantUsers", "Mutation.inviteUser"]
            [appsync.tenants.permissions]
            "billing.read" = ["Tenant.billing"]
        "#;
        assert_eq!(format!("{:?}", policy(toml)), format!("{:?}", policy(DOC)));
    }

    #[test]
    fn invalid_sections_are_named() {
        let cases = [
            (
                r#"{"version":1,"appsync":{"roles":{"admin":["Query.*"]}}}"#,
                "policy field \"Query.*\" at appsync.roles.admin is invalid: wildcards are not allowed",
            ),
            (
                r#"{"version":1,"appsync":{"authenticated":["Query"]}}"#,
                "\"Query\" at appsync.authenticated is invalid: expected Type.field",
            ),
            (
                r#"{"version":1,"appsync":{"permissions":{"p":["User.e-mail"]}}}"#,
                "is not a GraphQL name",
            ),
            (
                r#"{"version":1,"appsync":{"protected":["User.email","User.email"]}}"#,
                "\"User.email\" is listed twice at appsync.protected",
            ),
            (
                r#"{"version":1,"appsync":{"tenants":{"source":"pathParameter","name":"t"}}}"#,
                "AppSync has no path parameters",
            ),
            (
                r#"{"version":1,"appsync":{"tenants":{"source":"header"}}}"#,
                "needs a \"name\"",
            ),
            (
                r#"{"version":1,"appsync":{"tenants":{"name":"x"}}}"#,
                "only for the header source",
            ),
            (
                r#"{"version":1,"appsync":{"roles":{" ":["User.email"]}}}"#,
                "empty role",
            ),
            (
                r#"{"version":1,"appsync":{"rootTypes":{"query":"Root Query"}}}"#,
                "not a GraphQL type name",
            ),
            (r#"{"version":1,"appsync":{"fields":{}}}"#, "unknown field `fields`"),
            (r#"{"version":1,"appsync":{"roles":{"a":"User.email"}}}"#, "malformed"),
        ];
        for (doc, expected) in cases {
            let err = PolicyDocument::parse(doc).unwrap_err().to_string();
            assert!(err.contains(expected), "{doc}: {err}");
        }
    }
}
