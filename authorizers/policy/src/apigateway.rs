//! The `apigateway` section: which routes a principal may call.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{
    error::PolicyError,
    route::Route,
    section::{Principal, RawTenants, Section, TenantSource, TenantSources, grant_map},
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawApiGateway {
    #[serde(default)]
    authenticated: Vec<String>,
    #[serde(default)]
    roles: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    permissions: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    tenants: Option<RawTenants>,
}

/// The tenant sources of this section: all three; errors are unprefixed (the section's original
/// wording).
const TENANT_SOURCES: TenantSources = TenantSources {
    prefix: "",
    path_parameter: true,
    name_not_wanted: "\"name\" is only for the header and pathParameter sources",
    name_missing: "the header and pathParameter sources need a \"name\"",
    name_invalid: "\"name\" must be letters, digits, '-' or '_' (a header or path parameter name)",
    choices: "(use \"dct\", \"header\" or \"pathParameter\")",
};

/// The validated `apigateway` section.
#[derive(Debug, Clone)]
pub struct ApiGatewayPolicy {
    section: Section<Route>,
}

/// The routes a principal may call, with `{tenant}` filled in, sorted and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Grants {
    routes: Vec<Route>,
    tenant: Option<String>,
}

impl Grants {
    /// The granted route patterns.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// True when nothing is granted.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// True when the request `method path` is covered by a granted route.
    pub fn allows(&self, method: &str, path: &str) -> bool {
        self.routes.iter().any(|r| r.matches(method, path))
    }

    /// The tenant the request was authorized for: the token's current tenant (`dct` source) or
    /// the requested tenant (header or path parameter source), when it is one of the token's
    /// tenants.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
}

impl ApiGatewayPolicy {
    pub(crate) fn from_raw(raw: RawApiGateway) -> Result<Self, PolicyError> {
        let tenants = raw.tenants.unwrap_or_default();
        let tenant_source = TENANT_SOURCES.parse(&tenants)?;
        let project = |texts: &[String], location: &str| routes(texts, location, Placeholder::Forbidden);
        let tenant_placeholder = match tenant_source {
            TenantSource::PathParameter(_) => Placeholder::Required,
            TenantSource::Dct | TenantSource::Header(_) => Placeholder::Allowed,
        };
        let tenant = |texts: &[String], location: &str| routes(texts, location, tenant_placeholder);
        let section = Section {
            authenticated: project(&raw.authenticated, "apigateway.authenticated")?,
            roles: grant_map(&raw.roles, "apigateway.roles", project)?,
            permissions: grant_map(&raw.permissions, "apigateway.permissions", project)?,
            tenant_source,
            tenant_roles: grant_map(&tenants.roles, "apigateway.tenants.roles", tenant)?,
            tenant_permissions: grant_map(&tenants.permissions, "apigateway.tenants.permissions", tenant)?,
        };
        Ok(Self { section })
    }

    /// Where tenant-scoped decisions take the tenant from.
    pub fn tenant_source(&self) -> &TenantSource {
        &self.section.tenant_source
    }

    /// True when the section grants nothing to anyone.
    pub fn grants_nothing(&self) -> bool {
        self.section.named().next().is_none()
    }

    /// Everything `principal` may call. `requested_tenant` is the value of the configured tenant
    /// header or path parameter (ignored with the `dct` source).
    pub fn grants(&self, principal: &Principal<'_>, requested_tenant: Option<&str>) -> Grants {
        let mut routes = BTreeSet::new();
        let tenant = self.section.grant(principal, requested_tenant, |route, tenant| {
            routes.insert(match tenant {
                Some(id) => route.for_tenant(id),
                None => route.clone(),
            });
        });
        Grants {
            routes: routes.into_iter().collect(),
            tenant: tenant.map(str::to_owned),
        }
    }
}

/// Where `{tenant}` may appear in a list's routes.
#[derive(Clone, Copy)]
enum Placeholder {
    /// Project grants: no tenant to fill in.
    Forbidden,
    /// Tenant grants with the `dct` or header source.
    Allowed,
    /// Tenant grants with the `pathParameter` source: the tenant is the path segment at it.
    Required,
}

/// Parses a list of route patterns at `location`, `{tenant}` where `placeholder` allows it.
fn routes(texts: &[String], location: &str, placeholder: Placeholder) -> Result<Vec<Route>, PolicyError> {
    texts
        .iter()
        .map(|text| {
            let route = Route::parse(text).map_err(|reason| PolicyError::Route {
                route: text.clone(),
                location: location.to_owned(),
                reason,
            })?;
            match (placeholder, route.has_tenant_placeholder()) {
                (Placeholder::Forbidden, true) => Err(PolicyError::PlaceholderOutsideTenants {
                    route: text.clone(),
                    location: location.to_owned(),
                }),
                (Placeholder::Required, false) => Err(PolicyError::PlaceholderRequired {
                    route: text.clone(),
                    location: location.to_owned(),
                }),
                _ => Ok(route),
            }
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

    fn policy(json: &str) -> ApiGatewayPolicy {
        PolicyDocument::parse(json).unwrap().apigateway().unwrap().clone()
    }

    fn listed(grants: &Grants) -> Vec<String> {
        grants.routes().iter().map(ToString::to_string).collect()
    }

    const DOC: &str = r#"{
        "version": 1,
        "apigateway": {
            "authenticated": ["GET /me"],
            "roles": {"admin": ["* /*"], "viewer": ["GET /items", "GET /items/*", "GET /me"]},
            "permissions": {"items.write": ["POST /items", "PUT /items/*"]},
            "tenants": {
                "roles": {"tenant-admin": ["* /tenants/{tenant}/*"]},
                "permissions": {"invoices.read": ["GET /tenants/{tenant}/invoices"], "reports.read": ["GET /reports"]}
            }
        }
    }"#;

    #[test]
    fn default_deny_with_authenticated_routes_for_everyone() {
        let p = policy(DOC);
        let none: Vec<String> = vec![];
        let g = p.grants(&Principal::new(&none, &none), None);
        assert_eq!(listed(&g), ["GET /me"]);
        assert!(g.allows("GET", "/me"));
        assert!(!g.allows("GET", "/items"));
        assert_eq!(g.tenant(), None);
    }

    #[test]
    fn roles_and_permissions_add_up_without_duplicates() {
        let p = policy(DOC);
        let roles = strings(&["viewer", "unknown-role"]);
        let perms = strings(&["items.write"]);
        let g = p.grants(&Principal::new(&roles, &perms), None);
        assert_eq!(
            listed(&g),
            ["GET /items", "GET /items/*", "GET /me", "POST /items", "PUT /items/*"]
        );
        assert!(g.allows("PUT", "/items/3"));
        assert!(!g.allows("DELETE", "/items/3"));
    }

    #[test]
    fn dct_selects_the_tenant_and_must_be_a_membership() {
        let p = policy(DOC);
        let none: Vec<String> = vec![];
        let admin = strings(&["tenant-admin"]);
        let reader = strings(&["invoices.read", "reports.read"]);
        let principal = |dct| {
            Principal::new(&none, &none)
                .tenant(member("T1", &admin, &none))
                .tenant(member("T2", &none, &reader))
                .current_tenant(dct)
        };
        let g = p.grants(&principal(Some("T2")), Some("T1"));
        assert_eq!(g.tenant(), Some("T2"));
        assert_eq!(listed(&g), ["GET /me", "GET /reports", "GET /tenants/T2/invoices"]);
        assert!(!g.allows("DELETE", "/tenants/T1/x"), "T1 is not the current tenant");
        let g = p.grants(&principal(Some("T1")), None);
        assert!(g.allows("DELETE", "/tenants/T1/x"));
        let g = p.grants(&principal(Some("T9")), None);
        assert_eq!(g.tenant(), None, "a dct outside the memberships selects nothing");
        assert_eq!(listed(&g), ["GET /me"]);
    }

    #[test]
    fn header_source_uses_the_requested_tenant_only_when_a_member() {
        let p = policy(
            r#"{"version": 1, "apigateway": {"tenants": {"source": "header", "name": "X-Tenant-Id",
                "roles": {"editor": ["POST /docs"]}}}}"#,
        );
        assert_eq!(p.tenant_source(), &TenantSource::Header("x-tenant-id".into()));
        let none: Vec<String> = vec![];
        let editor = strings(&["editor"]);
        let principal = Principal::new(&none, &none)
            .tenant(member("T1", &editor, &none))
            .current_tenant(Some("T1"));
        assert!(p.grants(&principal, Some(" T1 ")).allows("POST", "/docs"));
        assert_eq!(p.grants(&principal, Some("T1")).tenant(), Some("T1"));
        assert!(p.grants(&principal, Some("T2")).is_empty());
        assert!(
            p.grants(&principal, None).is_empty(),
            "dct is not used with the header source"
        );
    }

    #[test]
    fn path_parameter_source_grants_each_tenant_its_own_paths() {
        let p = policy(
            r#"{"version": 1, "apigateway": {"tenants": {"source": "pathParameter", "name": "tenantId",
                "roles": {"member": ["GET /tenants/{tenant}/*"]}}}}"#,
        );
        let none: Vec<String> = vec![];
        let roles = strings(&["member"]);
        let principal = Principal::new(&none, &none)
            .tenant(member("T1", &roles, &none))
            .tenant(member("T2", &roles, &none))
            .tenant(member("bad*id", &roles, &none));
        let g = p.grants(&principal, Some("T2"));
        assert_eq!(listed(&g), ["GET /tenants/T1/*", "GET /tenants/T2/*"]);
        assert_eq!(g.tenant(), Some("T2"));
        assert!(g.allows("GET", "/tenants/T1/a") && !g.allows("GET", "/tenants/T3/a"));
        assert_eq!(p.grants(&principal, Some("T3")).tenant(), None);
    }

    #[test]
    fn a_tenant_made_of_dots_never_reaches_a_route() {
        let path = policy(
            r#"{"version": 1, "apigateway": {"tenants": {"source": "pathParameter", "name": "tenantId",
                "roles": {"member": ["GET /tenants/{tenant}/*"]}}}}"#,
        );
        let header = policy(
            r#"{"version": 1, "apigateway": {"tenants": {"source": "header", "name": "x-tenant",
                "roles": {"member": ["GET /t/{tenant}/*"]}}}}"#,
        );
        let dct = policy(DOC);
        let none: Vec<String> = vec![];
        let roles = strings(&["member", "tenant-admin"]);
        for id in [".", ".."] {
            let principal = Principal::new(&none, &none)
                .tenant(member(id, &roles, &none))
                .current_tenant(Some(id));
            for (source, p) in [("path", &path), ("header", &header), ("dct", &dct)] {
                let g = p.grants(&principal, Some(id));
                assert!(
                    g.routes()
                        .iter()
                        .all(|r| !r.path().contains("/./") && !r.path().contains("/../")),
                    "{source} {id:?}: {:?}",
                    listed(&g)
                );
                assert_eq!(g.tenant(), None, "{source} {id:?}");
            }
        }
    }

    #[test]
    fn toml_and_json_read_the_same() {
        let toml = r#"
            version = 1
            [apigateway]
            authenticated = ["GET /me"]
            [apigateway.roles]
            admin = ["* /*"]
            viewer = ["GET /items", "GET /items/*", "GET /me"]
            [apigateway.permissions]
            "items.write" = ["POST /items", "PUT /items/*"]
            [apigateway.tenants.roles]
            tenant-admin = ["* /tenants/{tenant}/*"]
            [apigateway.tenants.permissions]
            "invoices.read" = ["GET /tenants/{tenant}/invoices"]
            "reports.read" = ["GET /reports"]
        "#;
        let from_toml = policy(toml);
        let from_json = policy(DOC);
        assert_eq!(format!("{from_toml:?}"), format!("{from_json:?}"));
    }

    #[test]
    fn invalid_sections_are_named() {
        let cases = [
            (
                r#"{"version":1,"apigateway":{"roles":{"admin":["GET /x","GIT /y"]}}}"#,
                "\"GIT /y\" at apigateway.roles.admin is invalid: unknown method",
            ),
            (
                r#"{"version":1,"apigateway":{"authenticated":["GET /t/{tenant}"]}}"#,
                "at apigateway.authenticated uses {tenant}",
            ),
            (
                r#"{"version":1,"apigateway":{"tenants":{"source":"pathParameter","name":"t","roles":{"r":["GET /x"]}}}}"#,
                "at apigateway.tenants.roles.r must contain {tenant}",
            ),
            (
                r#"{"version":1,"apigateway":{"tenants":{"source":"header"}}}"#,
                "need a \"name\"",
            ),
            (
                r#"{"version":1,"apigateway":{"tenants":{"source":"cookie","name":"x"}}}"#,
                "unknown source \"cookie\"",
            ),
            (
                r#"{"version":1,"apigateway":{"tenants":{"name":"x"}}}"#,
                "only for the header and pathParameter",
            ),
            (
                r#"{"version":1,"apigateway":{"tenants":{"source":"header","name":"x y"}}}"#,
                "letters, digits",
            ),
            (r#"{"version":1,"apigateway":{"roles":{" ":["GET /x"]}}}"#, "empty role"),
        ];
        for (doc, expected) in cases {
            let err = PolicyDocument::parse(doc).unwrap_err().to_string();
            assert!(err.contains(expected), "{doc}: {err}");
        }
    }

    #[test]
    fn an_empty_section_grants_nothing() {
        assert!(policy(r#"{"version": 1, "apigateway": {}}"#).grants_nothing());
        assert!(policy(r#"{"version": 1, "apigateway": {"roles": {"a": []}}}"#).grants_nothing());
        assert!(!policy(DOC).grants_nothing());
    }
}
