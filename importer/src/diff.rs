//! Does a Descope user match what Cognito says it should be? Used by the live run (to decide
//! whether an existing user needs a patch) and by `verify` (to report mismatches): one definition
//! of "migrated correctly".
//!
//! The comparison is one-sided where Descope may legitimately hold more than Cognito: extra roles,
//! extra tenants and extra custom attributes granted after the migration are not mismatches, and
//! `freshlyMigrated` only has to be present (flows set it to false after a first sign-in).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::{
    descope::wire::{User, UserBody, UserTenant},
    mapping::{COGNITO_GROUPS, COGNITO_MERGED_AT, FRESHLY_MIGRATED, fold_login_id},
    model::{DesiredUser, Status},
};

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The Descope field (`email`, `status`, `customAttributes.plan`, `roles`...).
    pub field: String,
    /// What Cognito implies.
    pub expected: String,
    /// What Descope holds.
    pub actual: String,
}

fn show<T: std::fmt::Debug>(value: &T) -> String {
    format!("{value:?}")
}

/// What a comparison may ask of an existing Descope user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Whether `verifiedEmail` / `verifiedPhone` are compared (and so may be raised by a patch).
    pub raise_verified: bool,
    /// Whether roles and tenant roles are compared (and so may be added by a patch).
    pub copy_roles: bool,
    /// `sync`: whether roles the user holds because of a Cognito group it has left are removed.
    pub remove_lost_roles: bool,
}

impl Limits {
    /// Everything compared (roles one way): a user this tool created for the identity.
    pub const FULL: Self = Self {
        raise_verified: true,
        copy_roles: true,
        remove_lost_roles: false,
    };

    /// The same limits, removing lost roles too (`sync`).
    pub fn with_removals(self, remove: bool) -> Self {
        Self {
            remove_lost_roles: remove && self.copy_roles,
            ..self
        }
    }
}

/// `cognitoGroups`: pool ID → the roles the user holds *because of* that pool's Cognito groups.
/// Removals touch only these, never roles granted in Descope.
pub fn group_record(actual: &User) -> BTreeMap<String, Vec<String>> {
    actual
        .custom_attributes
        .get(COGNITO_GROUPS)
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

/// The roles `actual` holds in the place `desired`'s pool grants them (project roles, or the
/// pool's tenant).
fn held_roles<'a>(desired: &DesiredUser, actual: &'a User) -> &'a [String] {
    match &desired.tenant {
        Some((tenant, _)) => actual
            .user_tenants
            .iter()
            .find(|t| &t.tenant_id == tenant)
            .map_or(&[][..], |t| t.role_names.as_slice()),
        None => &actual.role_names,
    }
}

/// Roles the user held because of this pool's groups before this run: the record, or for a user
/// imported before the record existed, every held role named like one of the pool's groups (the
/// import created those roles from the groups; a role of the same name granted in Descope cannot
/// be told apart and is counted as Cognito's, the safe direction for a privilege).
fn owned_before(desired: &DesiredUser, actual: &User) -> Vec<String> {
    let held = held_roles(desired, actual);
    match group_record(actual).remove(&desired.identity.pool_id) {
        Some(recorded) => recorded.into_iter().filter(|r| held.contains(r)).collect(),
        None => held
            .iter()
            .filter(|r| desired.pool_groups.contains(r))
            .cloned()
            .collect(),
    }
}

/// The limits for an account that existed before the import and is (being) merged with a Cognito
/// user: its verified flags are never raised (the person who registered it may not own the
/// address), and roles are copied only when the login ID is verified on both sides.
pub fn merge_limits(desired: &DesiredUser, actual: &User) -> Limits {
    let login = fold_login_id(&desired.login_id);
    let same = |v: &Option<String>| v.as_deref().is_some_and(|v| fold_login_id(v) == login);
    let verified_in_descope = (same(&actual.email) && actual.verified_email == Some(true))
        || (same(&actual.phone) && actual.verified_phone == Some(true));
    Limits {
        raise_verified: false,
        copy_roles: desired.login_id_is_verified_contact() && verified_in_descope,
        remove_lost_roles: false,
    }
}

/// The limits that apply to `actual`: full for this tool's users, merge limits for accounts that
/// were merged (they carry `cognitoMergedAt`).
pub fn limits(desired: &DesiredUser, actual: &User) -> Limits {
    if actual.custom_attributes.contains_key(COGNITO_MERGED_AT) {
        merge_limits(desired, actual)
    } else {
        Limits::FULL
    }
}

/// Every way `actual` falls short of `desired`.
pub fn compare(desired: &DesiredUser, actual: &User) -> Vec<Mismatch> {
    compare_with(desired, actual, limits(desired, actual))
}

/// Every way `actual` falls short of `desired`, within `limits`.
pub fn compare_with(desired: &DesiredUser, actual: &User, limits: Limits) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if desired.owns_profile {
        // The login ID is an attribute of the identity: the rules may give it another one than
        // last time (an email verified since), in any letter case compared as Descope does.
        let primary = actual.login_ids.first().map(|l| fold_login_id(l));
        if primary.as_deref() != Some(fold_login_id(&desired.login_id).as_str()) {
            out.push(Mismatch {
                field: "loginId".to_owned(),
                expected: show(&desired.login_id),
                actual: show(&actual.login_ids.first()),
            });
        }
    }
    let mut check = |field: &str, expected: &Option<String>, got: &Option<String>| {
        if let Some(expected) = expected
            && got.as_deref() != Some(expected.as_str())
        {
            out.push(Mismatch {
                field: field.to_owned(),
                expected: show(expected),
                actual: show(got),
            });
        }
    };
    if desired.owns_profile {
        check("email", &desired.email, &actual.email);
        check("phone", &desired.phone, &actual.phone);
        check("name", &desired.display_name, &actual.name);
        check("givenName", &desired.given_name, &actual.given_name);
        check("middleName", &desired.middle_name, &actual.middle_name);
        check("familyName", &desired.family_name, &actual.family_name);
        check("picture", &desired.picture, &actual.picture);
        let flags = [
            ("verifiedEmail", desired.verified_email, actual.verified_email),
            ("verifiedPhone", desired.verified_phone, actual.verified_phone),
        ];
        for (field, expected, got) in flags.into_iter().filter(|_| limits.raise_verified) {
            if let Some(expected) = expected
                && got.unwrap_or(false) != expected
            {
                out.push(Mismatch {
                    field: field.to_owned(),
                    expected: show(&expected),
                    actual: show(&got),
                });
            }
        }
        if actual.status != desired.status.as_str() {
            out.push(Mismatch {
                field: "status".to_owned(),
                expected: desired.status.as_str().to_owned(),
                actual: actual.status.clone(),
            });
        }
        for id in &desired.additional_login_ids {
            if !actual.holds(id) {
                out.push(Mismatch {
                    field: "loginIds".to_owned(),
                    expected: show(id),
                    actual: show(&actual.login_ids),
                });
            }
        }
        for (name, expected) in &desired.custom_attributes {
            let got = actual.custom_attributes.get(name);
            let ok = if name == FRESHLY_MIGRATED {
                got.is_some_and(Value::is_boolean)
            } else {
                got.is_some_and(|g| same_value(g, expected))
            };
            if !ok {
                out.push(Mismatch {
                    field: format!("customAttributes.{name}"),
                    expected: expected.to_string(),
                    actual: got.map_or_else(|| "absent".to_owned(), Value::to_string),
                });
            }
        }
    }
    if !limits.copy_roles {
        return out;
    }
    // Which roles come from Cognito: after a sync exactly the groups; after a migrate also the
    // earlier groups' roles it did not remove (so a later sync still can).
    let before = owned_before(desired, actual);
    let lost: Vec<String> = before.iter().filter(|r| !desired.groups.contains(r)).cloned().collect();
    let mut owned: Vec<String> = desired.groups.clone();
    if !limits.remove_lost_roles {
        owned.extend(lost.iter().cloned());
    }
    owned.sort();
    owned.dedup();
    let mut record = group_record(actual);
    if record.get(&desired.identity.pool_id) != Some(&owned) {
        let was = record.get(&desired.identity.pool_id).cloned();
        record.insert(desired.identity.pool_id.clone(), owned);
        out.push(Mismatch {
            field: "cognitoGroups".to_owned(),
            expected: serde_json::to_string(&record).unwrap_or_default(),
            actual: show(&was),
        });
    }
    if limits.remove_lost_roles && !lost.is_empty() {
        let field = match &desired.tenant {
            Some((tenant, _)) => format!("tenants.{tenant}.removedRoles"),
            None => "removedRoles".to_owned(),
        };
        out.push(Mismatch {
            field,
            expected: serde_json::to_string(&lost).unwrap_or_default(),
            actual: show(&held_roles(desired, actual)),
        });
    }
    let missing_roles: Vec<&String> = desired
        .roles
        .iter()
        .filter(|r| !actual.role_names.contains(r))
        .collect();
    if !missing_roles.is_empty() {
        out.push(Mismatch {
            field: "roles".to_owned(),
            expected: show(&desired.roles),
            actual: show(&actual.role_names),
        });
    }
    if let Some((tenant, roles)) = &desired.tenant {
        match actual.user_tenants.iter().find(|t| &t.tenant_id == tenant) {
            None => out.push(Mismatch {
                field: format!("tenants.{tenant}"),
                expected: show(roles),
                actual: "not a member".to_owned(),
            }),
            Some(t) if roles.iter().any(|r| !t.role_names.contains(r)) => out.push(Mismatch {
                field: format!("tenants.{tenant}.roles"),
                expected: show(roles),
                actual: show(&t.role_names),
            }),
            Some(_) => {}
        }
    }
    out
}

/// JSON equality, with numbers compared by value (`12` equals `12.0`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The patch that makes `actual` match `desired`, keeping what Descope holds beyond Cognito (other
/// roles, tenants and attributes). `None` when only the status differs or nothing does.
pub fn patch(desired: &DesiredUser, actual: &User, mismatches: &[Mismatch]) -> Option<UserBody> {
    let needs = |prefix: &str| mismatches.iter().any(|m| m.field.starts_with(prefix));
    let mut body = UserBody::patch(&desired.login_id);
    let mut any = false;
    macro_rules! field {
        ($name:literal, $target:ident, $source:expr) => {
            if needs($name) {
                body.$target = $source.clone();
                any = true;
            }
        };
    }
    field!("email", email, desired.email);
    field!("phone", phone, desired.phone);
    field!("name", display_name, desired.display_name);
    field!("givenName", given_name, desired.given_name);
    field!("middleName", middle_name, desired.middle_name);
    field!("familyName", family_name, desired.family_name);
    field!("picture", picture, desired.picture);
    field!("verifiedEmail", verified_email, desired.verified_email);
    field!("verifiedPhone", verified_phone, desired.verified_phone);
    if needs("loginIds") {
        let mut ids: Vec<String> = actual.login_ids.iter().skip(1).cloned().collect();
        ids.extend(
            desired
                .additional_login_ids
                .iter()
                .filter(|id| !actual.holds(id))
                .cloned(),
        );
        body.additional_login_ids = ids;
        any = true;
    }
    if needs("customAttributes.") {
        // Send the whole map so the result is right whether patch merges or replaces attributes.
        let mut merged: BTreeMap<String, Value> = actual.custom_attributes.clone();
        for (name, value) in &desired.custom_attributes {
            if name == FRESHLY_MIGRATED && merged.get(name).is_some_and(Value::is_boolean) {
                continue;
            }
            merged.insert(name.clone(), value.clone());
        }
        body.custom_attributes = Some(merged);
        any = true;
    }
    if let Some(record) = mismatches.iter().find(|m| m.field == "cognitoGroups") {
        let mut attributes = body
            .custom_attributes
            .take()
            .unwrap_or_else(|| actual.custom_attributes.clone());
        attributes.insert(COGNITO_GROUPS.to_owned(), Value::String(record.expected.clone()));
        body.custom_attributes = Some(attributes);
        any = true;
    }
    let removed = |field: &str| -> Vec<String> {
        mismatches
            .iter()
            .find(|m| m.field == field)
            .and_then(|m| serde_json::from_str(&m.expected).ok())
            .unwrap_or_default()
    };
    let lost = removed("removedRoles");
    if needs("roles") || !lost.is_empty() {
        let mut roles: Vec<String> = actual
            .role_names
            .iter()
            .filter(|r| !lost.contains(r))
            .cloned()
            .collect();
        roles.extend(desired.roles.iter().filter(|r| !actual.role_names.contains(r)).cloned());
        body.role_names = Some(roles);
        any = true;
    }
    if let Some((tenant, roles)) = &desired.tenant
        && mismatches
            .iter()
            .any(|m| m.field.starts_with(&format!("tenants.{tenant}")))
    {
        let lost = removed(&format!("tenants.{tenant}.removedRoles"));
        let mut tenants = actual.user_tenants.clone();
        match tenants.iter_mut().find(|t| &t.tenant_id == tenant) {
            Some(t) => {
                t.role_names.retain(|r| !lost.contains(r));
                let missing: Vec<String> = roles.iter().filter(|r| !t.role_names.contains(r)).cloned().collect();
                t.role_names.extend(missing);
            }
            None => tenants.push(UserTenant {
                tenant_id: tenant.clone(),
                role_names: roles.clone(),
            }),
        }
        body.user_tenants = Some(tenants);
        any = true;
    }
    any.then_some(body)
}

/// The status to set, when it differs.
pub fn status_change(desired: &DesiredUser, mismatches: &[Mismatch]) -> Option<Status> {
    mismatches.iter().any(|m| m.field == "status").then_some(desired.status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn desired() -> DesiredUser {
        DesiredUser {
            pool: 0,
            cognito_username: "u1".into(),
            identity: crate::model::Identity {
                pool_id: "p".into(),
                sub: "s1".into(),
            },
            owner: None,
            warnings: vec![],
            groups: vec!["admins".into()],
            pool_groups: std::sync::Arc::from(vec!["admins".to_owned()]),
            login_id: "a@x.io".into(),
            additional_login_ids: vec![],
            email: Some("a@x.io".into()),
            verified_email: Some(true),
            phone: None,
            verified_phone: None,
            display_name: Some("Ana".into()),
            given_name: None,
            middle_name: None,
            family_name: None,
            picture: None,
            status: Status::Disabled,
            roles: vec!["admins".into()],
            tenant: None,
            custom_attributes: [
                ("freshlyMigrated".to_owned(), json!(true)),
                ("seats".to_owned(), json!(12)),
            ]
            .into(),
            owns_profile: true,
        }
    }

    fn actual() -> User {
        User {
            login_ids: vec!["a@x.io".into()],
            email: Some("a@x.io".into()),
            name: Some("Ana".into()),
            verified_email: Some(true),
            status: "disabled".into(),
            role_names: vec!["admins".into(), "granted-later".into()],
            custom_attributes: [
                ("freshlyMigrated".to_owned(), json!(false)),
                ("seats".to_owned(), json!(12.0)),
                ("addedInDescope".to_owned(), json!("x")),
                (COGNITO_GROUPS.to_owned(), json!(r#"{"p":["admins"]}"#)),
            ]
            .into(),
            ..User::default()
        }
    }

    #[test]
    fn a_migrated_user_that_lived_on_matches() {
        assert_eq!(compare(&desired(), &actual()), vec![]);
    }

    #[test]
    fn differences_are_named_and_patched_without_losing_descope_extras() {
        let mut a = actual();
        a.name = Some("Old".into());
        a.status = "enabled".into();
        a.role_names = vec!["granted-later".into()];
        a.custom_attributes.remove("seats");
        let d = desired();
        let m = compare(&d, &a);
        let fields: Vec<_> = m.iter().map(|m| m.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "status", "customAttributes.seats", "roles"]);
        let p = patch(&d, &a, &m).unwrap();
        assert_eq!(p.display_name.as_deref(), Some("Ana"));
        assert_eq!(
            p.role_names,
            Some(vec!["granted-later".to_owned(), "admins".to_owned()])
        );
        let attrs = p.custom_attributes.unwrap();
        assert_eq!(attrs["freshlyMigrated"], json!(false), "a flow's false is not reset");
        assert_eq!(attrs["addedInDescope"], json!("x"));
        assert_eq!(attrs["seats"], json!(12));
        assert_eq!(status_change(&d, &m), Some(Status::Disabled));
    }

    #[test]
    fn tenant_pools_only_add_their_own_tenant() {
        let mut d = desired();
        d.roles.clear();
        d.tenant = Some(("acme".into(), vec!["editor".into()]));
        d.owns_profile = false;
        let mut a = actual();
        a.name = Some("Whatever another pool set".into());
        a.user_tenants = vec![UserTenant {
            tenant_id: "other".into(),
            role_names: vec!["x".into()],
        }];
        let m = compare(&d, &a);
        assert_eq!(m.len(), 1, "{m:?}");
        let p = patch(&d, &a, &m).unwrap();
        assert_eq!(
            p.user_tenants.unwrap(),
            vec![
                UserTenant {
                    tenant_id: "other".into(),
                    role_names: vec!["x".into()]
                },
                UserTenant {
                    tenant_id: "acme".into(),
                    role_names: vec!["editor".into()]
                },
            ]
        );
        assert!(p.display_name.is_none());
    }

    #[test]
    fn a_changed_login_id_and_case_variants() {
        let mut a = actual();
        a.login_ids = vec!["A@X.io".into()];
        assert_eq!(compare(&desired(), &a), vec![], "case does not make another login ID");
        a.login_ids = vec!["u1".into()];
        let m = compare(&desired(), &a);
        assert_eq!(m[0].field, "loginId");
    }

    #[test]
    fn merged_accounts_never_get_verified_flags_and_roles_only_when_verified_on_both_sides() {
        let d = desired();
        let mut a = actual();
        a.verified_email = Some(false);
        a.role_names.clear();
        a.custom_attributes
            .insert(COGNITO_MERGED_AT.to_owned(), json!("2026-11-29T00:00:00Z"));
        let fields: Vec<String> = compare(&d, &a).into_iter().map(|m| m.field).collect();
        assert!(!fields.contains(&"verifiedEmail".to_owned()), "{fields:?}");
        assert!(!fields.contains(&"roles".to_owned()), "unverified in Descope: no roles");
        a.verified_email = Some(true);
        let fields: Vec<String> = compare(&d, &a).into_iter().map(|m| m.field).collect();
        assert!(fields.contains(&"roles".to_owned()), "verified on both sides: roles");
        assert_eq!(limits(&d, &actual()), Limits::FULL, "the tool's own users");
    }

    #[test]
    fn sync_removes_only_roles_that_came_from_cognito_groups() {
        let mut d = desired();
        d.roles = vec![];
        d.groups = vec![];
        d.pool_groups = ["admins".to_owned(), "editors".to_owned()].into_iter().collect();
        let mut a = actual();
        a.role_names = vec!["admins".into(), "granted-later".into()];
        a.custom_attributes.remove(COGNITO_GROUPS);
        // No record yet (imported before it existed): roles named like a group are Cognito's.
        let sync = Limits::FULL.with_removals(true);
        let m = compare_with(&d, &a, sync);
        let removed = m.iter().find(|m| m.field == "removedRoles").unwrap();
        assert_eq!(removed.expected, r#"["admins"]"#);
        let p = patch(&d, &a, &m).unwrap();
        assert_eq!(p.role_names, Some(vec!["granted-later".to_owned()]));
        let record = p.custom_attributes.unwrap()[COGNITO_GROUPS].clone();
        assert_eq!(record, json!(r#"{"p":[]}"#));
        // migrate (no removals) records the role as still Cognito's, so a later sync can remove it.
        let m = compare(&d, &a);
        assert!(!m.iter().any(|m| m.field == "removedRoles"));
        let record = m.iter().find(|m| m.field == "cognitoGroups").unwrap();
        assert_eq!(record.expected, r#"{"p":["admins"]}"#);
        // With a record, a role granted in Descope under a group's name is kept.
        a.custom_attributes
            .insert(COGNITO_GROUPS.to_owned(), json!(r#"{"p":[]}"#));
        assert_eq!(compare_with(&d, &a, sync), vec![]);
    }
}
