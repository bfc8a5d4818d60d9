//! The `apigateway` section: which routes a principal may call.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{
    document::{PolicyError, check_names},
    route::{Route, is_safe_tenant_id},
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

#[derive(Deserialize)]
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

/// Where the tenant of a tenant-scoped decision comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantSource {
    /// The token's current tenant (`dct`). The default.
    Dct,
    /// A request header (name stored in lowercase). The value must be one of the token's tenants.
    Header(String),
    /// An API Gateway path parameter. Tenant grants are given for every tenant of the token, each
    /// bound to its own ID at `{tenant}` in the route, so a cached policy fits every tenant path.
    PathParameter(String),
}

/// The validated `apigateway` section.
#[derive(Debug, Clone)]
pub struct ApiGatewayPolicy {
    authenticated: Vec<Route>,
    roles: BTreeMap<String, Vec<Route>>,
    permissions: BTreeMap<String, Vec<Route>>,
    tenant_source: TenantSource,
    tenant_roles: BTreeMap<String, Vec<Route>>,
    tenant_permissions: BTreeMap<String, Vec<Route>>,
}

/// A user's roles and permissions within one tenant.
#[derive(Debug, Clone, Copy)]
pub struct Membership<'a> {
    /// The tenant ID.
    pub id: &'a str,
    /// Roles in the tenant.
    pub roles: &'a [String],
    /// Permissions in the tenant.
    pub permissions: &'a [String],
}

/// Who is asking: the verified token's project roles and permissions, tenant memberships and
/// current tenant. Borrowed, so building one per request costs next to nothing.
#[derive(Debug, Clone, Default)]
pub struct Principal<'a> {
    pub(crate) roles: &'a [String],
    pub(crate) permissions: &'a [String],
    pub(crate) tenants: Vec<Membership<'a>>,
    pub(crate) current_tenant: Option<&'a str>,
}

impl<'a> Principal<'a> {
    /// A principal with these project-level roles and permissions and no tenants.
    pub fn new(roles: &'a [String], permissions: &'a [String]) -> Self {
        Self {
            roles,
            permissions,
            tenants: Vec::new(),
            current_tenant: None,
        }
    }

    /// Adds a tenant membership.
    pub fn tenant(mut self, membership: Membership<'a>) -> Self {
        self.tenants.push(membership);
        self
    }

    /// Sets the current tenant (`dct`).
    pub fn current_tenant(mut self, tenant: Option<&'a str>) -> Self {
        self.current_tenant = tenant;
        self
    }

    pub(crate) fn membership(&self, id: &str) -> Option<&Membership<'a>> {
        self.tenants.iter().find(|m| m.id == id)
    }
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
        let tenants = raw.tenants.unwrap_or(RawTenants {
            source: None,
            name: None,
            roles: BTreeMap::new(),
            permissions: BTreeMap::new(),
        });
        let tenant_source = tenant_source(tenants.source.as_deref(), tenants.name.as_deref())?;
        let needs_placeholder = matches!(tenant_source, TenantSource::PathParameter(_));
        let project = Placeholder::Forbidden;
        let tenant = if needs_placeholder {
            Placeholder::Required
        } else {
            Placeholder::Allowed
        };
        Ok(Self {
            authenticated: routes(&raw.authenticated, "apigateway.authenticated", project)?,
            roles: grant_map(&raw.roles, "apigateway.roles", project)?,
            permissions: grant_map(&raw.permissions, "apigateway.permissions", project)?,
            tenant_source,
            tenant_roles: grant_map(&tenants.roles, "apigateway.tenants.roles", tenant)?,
            tenant_permissions: grant_map(&tenants.permissions, "apigateway.tenants.permissions", tenant)?,
        })
    }

    /// Where tenant-scoped decisions take the tenant from.
    pub fn tenant_source(&self) -> &TenantSource {
        &self.tenant_source
    }

    /// True when the section grants nothing to anyone.
    pub fn grants_nothing(&self) -> bool {
        self.authenticated.is_empty()
            && [
                &self.roles,
                &self.permissions,
                &self.tenant_roles,
                &self.tenant_permissions,
            ]
            .iter()
            .all(|m| m.values().all(Vec::is_empty))
    }

    /// Everything `principal` may call. `requested_tenant` is the value of the configured tenant
    /// header or path parameter (ignored with the `dct` source).
    pub fn grants(&self, principal: &Principal<'_>, requested_tenant: Option<&str>) -> Grants {
        let mut set: BTreeSet<Route> = self.authenticated.iter().cloned().collect();
        extend(&mut set, &self.roles, principal.roles, None);
        extend(&mut set, &self.permissions, principal.permissions, None);

        let wanted = match self.tenant_source {
            TenantSource::Dct => principal.current_tenant,
            TenantSource::Header(_) | TenantSource::PathParameter(_) => requested_tenant.map(str::trim),
        };
        let selected = wanted
            .and_then(|id| principal.membership(id))
            .filter(|m| is_safe_tenant_id(m.id));
        let scoped: Vec<&Membership<'_>> = match self.tenant_source {
            TenantSource::PathParameter(_) => principal.tenants.iter().filter(|m| is_safe_tenant_id(m.id)).collect(),
            TenantSource::Dct | TenantSource::Header(_) => selected.into_iter().collect(),
        };
        for membership in scoped {
            extend(&mut set, &self.tenant_roles, membership.roles, Some(membership.id));
            extend(
                &mut set,
                &self.tenant_permissions,
                membership.permissions,
                Some(membership.id),
            );
        }
        Grants {
            routes: set.into_iter().collect(),
            tenant: selected.map(|m| m.id.to_owned()),
        }
    }
}

fn extend(set: &mut BTreeSet<Route>, map: &BTreeMap<String, Vec<Route>>, names: &[String], tenant: Option<&str>) {
    for name in names {
        for route in map.get(name).into_iter().flatten() {
            match tenant {
                Some(id) => set.insert(route.for_tenant(id)),
                None => set.insert(route.clone()),
            };
        }
    }
}

#[derive(Clone, Copy)]
enum Placeholder {
    Forbidden,
    Allowed,
    Required,
}

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

fn grant_map(
    raw: &BTreeMap<String, Vec<String>>,
    location: &str,
    placeholder: Placeholder,
) -> Result<BTreeMap<String, Vec<Route>>, PolicyError> {
    check_names(raw, location)?;
    raw.iter()
        .map(|(name, texts)| Ok((name.clone(), routes(texts, &format!("{location}.{name}"), placeholder)?)))
        .collect()
}

fn tenant_source(source: Option<&str>, name: Option<&str>) -> Result<TenantSource, PolicyError> {
    let invalid = |m: &str| Err(PolicyError::TenantSource(m.to_owned()));
    let valid_name = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    match (source.unwrap_or("dct"), name) {
        ("dct", None) => Ok(TenantSource::Dct),
        ("dct", Some(_)) => invalid("\"name\" is only for the header and pathParameter sources"),
        ("header" | "pathParameter", None) => invalid("the header and pathParameter sources need a \"name\""),
        ("header" | "pathParameter", Some(n)) if !valid_name(n) => {
            invalid("\"name\" must be letters, digits, '-' or '_' (a header or path parameter name)")
        }
        ("header", Some(n)) => Ok(TenantSource::Header(n.to_ascii_lowercase())),
        ("pathParameter", Some(n)) => Ok(TenantSource::PathParameter(n.to_owned())),
        (other, _) => Err(PolicyError::TenantSource(format!(
            "unknown source {other:?} (use \"dct\", \"header\" or \"pathParameter\")"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PolicyDocument;

    fn policy(json: &str) -> ApiGatewayPolicy {
        PolicyDocument::parse(json).unwrap().apigateway().unwrap().clone()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
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
                .tenant(Membership {
                    id: "T1",
                    roles: &admin,
                    permissions: &none,
                })
                .tenant(Membership {
                    id: "T2",
                    roles: &none,
                    permissions: &reader,
                })
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
            .tenant(Membership {
                id: "T1",
                roles: &editor,
                permissions: &none,
            })
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
        let member = strings(&["member"]);
        let principal = Principal::new(&none, &none)
            .tenant(Membership {
                id: "T1",
                roles: &member,
                permissions: &none,
            })
            .tenant(Membership {
                id: "T2",
                roles: &member,
                permissions: &none,
            })
            .tenant(Membership {
                id: "bad*id",
                roles: &member,
                permissions: &none,
            });
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
        let member = strings(&["member", "tenant-admin"]);
        for id in [".", ".."] {
            let principal = Principal::new(&none, &none)
                .tenant(Membership {
                    id,
                    roles: &member,
                    permissions: &none,
                })
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
