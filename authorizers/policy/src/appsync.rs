//! The `appsync` section: which GraphQL fields (`Type.field`) a principal may resolve.
//!
//! AppSync's `deniedFields` takes concrete `Type.field` names (no wildcards), so the section
//! lists the *protected* fields explicitly: every field named anywhere in it is protected, and a
//! principal is denied the protected fields none of its grants cover. Fields the policy never
//! names are not governed by it. A top-level field of an operation's root type (`Query.x`,
//! `Mutation.y`, `Subscription.z`) that is protected and not granted makes the authorizer refuse
//! the whole request.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{
    error::PolicyError,
    field::FieldName,
    names::is_graphql_name,
    section::{Principal, RawTenants, Section, TenantSource, TenantSources, grant_map},
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
struct RawRootTypes {
    query: Option<String>,
    mutation: Option<String>,
    subscription: Option<String>,
}

/// The tenant sources of this section: `dct` and `header` (AppSync has no path parameters).
const TENANT_SOURCES: TenantSources = TenantSources {
    prefix: "appsync: ",
    path_parameter: false,
    name_not_wanted: "\"name\" is only for the header source",
    name_missing: "the header source needs a \"name\"",
    name_invalid: "\"name\" must be letters, digits, '-' or '_' (a header name)",
    choices: "(use \"dct\" or \"header\"; AppSync has no path parameters)",
};

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
    section: Section<FieldName>,
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
        let tenant_source = TENANT_SOURCES.parse(&tenants)?;
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
        let section = Section {
            authenticated: fields(&raw.authenticated, "appsync.authenticated")?,
            roles: grant_map(&raw.roles, "appsync.roles", fields)?,
            permissions: grant_map(&raw.permissions, "appsync.permissions", fields)?,
            tenant_source,
            tenant_roles: grant_map(&tenants.roles, "appsync.tenants.roles", fields)?,
            tenant_permissions: grant_map(&tenants.permissions, "appsync.tenants.permissions", fields)?,
        };
        let mut protected: BTreeSet<FieldName> = fields(&raw.protected, "appsync.protected")?.into_iter().collect();
        protected.extend(section.named().cloned());
        Ok(Self {
            section,
            protected,
            root_types,
        })
    }

    /// Where tenant-scoped grants take the tenant from (`dct` or a request header).
    pub fn tenant_source(&self) -> &TenantSource {
        &self.section.tenant_source
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
        let mut granted = BTreeSet::new();
        // Fields hold no tenant placeholder: a tenant grant is the same field in any tenant.
        let tenant = self.section.grant(principal, requested_tenant, |field, _tenant| {
            granted.insert(field);
        });
        FieldGrants {
            denied: self
                .protected
                .iter()
                .filter(|f| !granted.contains(f))
                .cloned()
                .collect(),
            tenant: tenant.map(str::to_owned),
        }
    }
}

/// Parses a list of `Type.field` names at `location`; a name listed twice is refused.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        PolicyDocument,
        section::testing::{member, strings},
    };

    fn policy(text: &str) -> AppSyncPolicy {
        PolicyDocument::parse(text).unwrap().appsync().unwrap().clone()
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
                .tenant(member("T1", &admin, &none))
                .tenant(member("T2", &none, &billing))
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
