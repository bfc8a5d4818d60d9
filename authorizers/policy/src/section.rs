//! What both sections share: grants to everyone signed in, to project roles and permissions, and
//! to tenant roles and permissions, the tenant those apply to chosen per request; who is asking
//! ([`Principal`]); and which grants that principal gets. A section is [`Section`] over what it
//! grants: routes in the `apigateway` section, `Type.field` names in the `appsync` section.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{
    error::PolicyError,
    names::{is_parameter_name, is_safe_tenant_id},
};

/// A section's `tenants` table, as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenants {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    pub(crate) roles: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub(crate) permissions: BTreeMap<String, Vec<String>>,
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

/// The tenant sources a section accepts, and the words its errors use for them.
pub(crate) struct TenantSources {
    /// Put before every message (`"appsync: "`), or empty.
    pub(crate) prefix: &'static str,
    /// Whether `pathParameter` is a source of this section (`header` and `dct` always are).
    pub(crate) path_parameter: bool,
    /// The message for a `name` given with the `dct` source.
    pub(crate) name_not_wanted: &'static str,
    /// The message for a named source without a `name`.
    pub(crate) name_missing: &'static str,
    /// The message for a `name` that is not a header or parameter name.
    pub(crate) name_invalid: &'static str,
    /// The sources to suggest after an unknown one, in parentheses.
    pub(crate) choices: &'static str,
}

impl TenantSources {
    /// Reads `source` and `name` of a `tenants` table (`dct` when absent).
    pub(crate) fn parse(&self, tenants: &RawTenants) -> Result<TenantSource, PolicyError> {
        let invalid = |message: &str| Err(PolicyError::TenantSource(format!("{}{message}", self.prefix)));
        let named = |source: &str| source == "header" || (self.path_parameter && source == "pathParameter");
        match (tenants.source.as_deref().unwrap_or("dct"), tenants.name.as_deref()) {
            ("dct", None) => Ok(TenantSource::Dct),
            ("dct", Some(_)) => invalid(self.name_not_wanted),
            (source, None) if named(source) => invalid(self.name_missing),
            (source, Some(name)) if named(source) && !is_parameter_name(name) => invalid(self.name_invalid),
            ("header", Some(name)) => Ok(TenantSource::Header(name.to_ascii_lowercase())),
            ("pathParameter", Some(name)) if self.path_parameter => Ok(TenantSource::PathParameter(name.to_owned())),
            (other, _) => invalid(&format!("unknown source {other:?} {}", self.choices)),
        }
    }
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
    roles: &'a [String],
    permissions: &'a [String],
    tenants: Vec<Membership<'a>>,
    current_tenant: Option<&'a str>,
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

    fn membership(&self, id: &str) -> Option<&Membership<'a>> {
        self.tenants.iter().find(|m| m.id == id)
    }
}

/// The grants of one section: `G` is what is granted (a route, a field). Each section fills it
/// from its own lists, naming their locations in its errors.
#[derive(Debug, Clone)]
pub(crate) struct Section<G> {
    /// Granted to every verified token.
    pub(crate) authenticated: Vec<G>,
    /// By project role.
    pub(crate) roles: BTreeMap<String, Vec<G>>,
    /// By project permission.
    pub(crate) permissions: BTreeMap<String, Vec<G>>,
    /// Where tenant-scoped grants take the tenant from.
    pub(crate) tenant_source: TenantSource,
    /// By role in the selected tenant.
    pub(crate) tenant_roles: BTreeMap<String, Vec<G>>,
    /// By permission in the selected tenant.
    pub(crate) tenant_permissions: BTreeMap<String, Vec<G>>,
}

impl<G> Section<G> {
    /// Everything any list names, repeats included.
    pub(crate) fn named(&self) -> impl Iterator<Item = &G> {
        self.authenticated.iter().chain(
            [
                &self.roles,
                &self.permissions,
                &self.tenant_roles,
                &self.tenant_permissions,
            ]
            .into_iter()
            .flat_map(|m| m.values().flatten()),
        )
    }

    /// Hands `grant` everything `principal` gets, each with the tenant ID it is granted in (`None`
    /// for project grants), and returns the selected tenant. `requested_tenant` is the value of the
    /// configured header or path parameter (ignored with the `dct` source).
    ///
    /// The selected tenant is the token's current tenant (`dct` source) or the requested one, when
    /// it is one of the token's tenants and its ID is safe to put in a route; its tenant grants
    /// apply. With the `pathParameter` source every tenant of the token with a safe ID gets its
    /// tenant grants instead, each in its own tenant, so one answer fits every tenant path.
    pub(crate) fn grant<'s, 'p>(
        &'s self,
        principal: &Principal<'p>,
        requested_tenant: Option<&str>,
        mut grant: impl FnMut(&'s G, Option<&'p str>),
    ) -> Option<&'p str> {
        for item in &self.authenticated {
            grant(item, None);
        }
        let mut give = |map: &'s BTreeMap<String, Vec<G>>, names: &[String], tenant: Option<&'p str>| {
            for name in names {
                for item in map.get(name).into_iter().flatten() {
                    grant(item, tenant);
                }
            }
        };
        give(&self.roles, principal.roles, None);
        give(&self.permissions, principal.permissions, None);

        let wanted = match self.tenant_source {
            TenantSource::Dct => principal.current_tenant,
            TenantSource::Header(_) | TenantSource::PathParameter(_) => requested_tenant.map(str::trim),
        };
        let selected = wanted
            .and_then(|id| principal.membership(id))
            .filter(|m| is_safe_tenant_id(m.id));
        let scoped: Vec<&Membership<'p>> = match self.tenant_source {
            TenantSource::PathParameter(_) => principal.tenants.iter().filter(|m| is_safe_tenant_id(m.id)).collect(),
            TenantSource::Dct | TenantSource::Header(_) => selected.into_iter().collect(),
        };
        for membership in scoped {
            give(&self.tenant_roles, membership.roles, Some(membership.id));
            give(&self.tenant_permissions, membership.permissions, Some(membership.id));
        }
        selected.map(|m| m.id)
    }
}

/// Parses a grant map (role or permission name to a list), each list by `parse` with its location
/// (`apigateway.roles.admin`). A blank name is refused.
pub(crate) fn grant_map<G>(
    raw: &BTreeMap<String, Vec<String>>,
    location: &str,
    parse: impl Fn(&[String], &str) -> Result<Vec<G>, PolicyError>,
) -> Result<BTreeMap<String, Vec<G>>, PolicyError> {
    if raw.keys().any(|name| name.trim().is_empty()) {
        return Err(PolicyError::EmptyName(location.to_owned()));
    }
    raw.iter()
        .map(|(name, texts)| Ok((name.clone(), parse(texts, &format!("{location}.{name}"))?)))
        .collect()
}

/// Helpers for the sections' tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::Membership;

    /// Owned copies of `items`.
    pub(crate) fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    /// A membership in tenant `id`.
    pub(crate) fn member<'a>(id: &'a str, roles: &'a [String], permissions: &'a [String]) -> Membership<'a> {
        Membership { id, roles, permissions }
    }
}
