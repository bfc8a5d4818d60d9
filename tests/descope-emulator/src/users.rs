//! User management: create, batch create, update, patch, load, search and the small updates.
//!
//! Handlers translate wire bodies into changes of a [`User`] and hand them to the store, which
//! validates every change the same way (see `state.rs`).

use axum::{
    Json,
    extract::{Query, State},
};
use serde_json::{Map, Value, json};

use crate::{
    Emulator,
    emulator::now_secs,
    error::ApiError,
    state::{PasswordDigest, Store, User, UserStatus, UserTenant, login_key},
    wire::{
        CreateBatchRequest, FailedUser, JsonBody, LoadQuery, PatchBatchRequest, PatchBatchResponse, SearchRequest,
        UserEnvelope, UserIdsRequest, UserRefRequest, UserRequest, UserResponse, UserTenantResponse, UsersEnvelope,
    },
};

/// Search page size when `limit` is 0.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Largest page; a bigger `limit` is silently capped (see README).
pub const MAX_PAGE_SIZE: usize = 500;

/// Hashed-password kinds Descope imports (descope-api.md 1.6).
const HASH_KINDS: &[&str] = &[
    "bcrypt",
    "firebase",
    "pbkdf2",
    "django",
    "phpass",
    "md5",
    "sha",
    "argon2",
    "bach",
    "buddyauth",
];

/// Wire form of a stored user.
pub fn render(store: &Store, user: &User) -> UserResponse {
    UserResponse {
        login_ids: user.login_ids.clone(),
        user_id: user.user_id.clone(),
        name: user.name.clone(),
        given_name: user.given_name.clone(),
        middle_name: user.middle_name.clone(),
        family_name: user.family_name.clone(),
        email: user.email.clone(),
        phone: user.phone.clone(),
        verified_email: user.verified_email,
        verified_phone: user.verified_phone,
        role_names: user.role_names.clone(),
        user_tenants: user
            .tenants
            .iter()
            .map(|t| UserTenantResponse {
                tenant_id: t.tenant_id.clone(),
                role_names: t.role_names.clone(),
                tenant_name: store.tenant(&t.tenant_id).map(|x| x.name.clone()).unwrap_or_default(),
                permissions: store.tenant_permissions(&t.tenant_id, &t.role_names),
            })
            .collect(),
        status: user.status.as_str().to_owned(),
        external_ids: user.login_ids.clone(),
        picture: user.picture.clone(),
        test: user.test,
        custom_attributes: user.custom_attributes.clone(),
        created_time: user.created_time,
        totp: user.totp,
        saml: false,
        oauth: Map::new(),
        webauthn: false,
        password: user.password,
        sso_app_ids: user.sso_app_ids.clone(),
    }
}

fn envelope(store: &Store, user_id: &str) -> Result<Json<UserEnvelope>, ApiError> {
    let user = store
        .user(user_id)
        .ok_or_else(|| ApiError::user_not_found(&format!("user ID {user_id:?}")))?;
    Ok(Json(UserEnvelope {
        user: render(store, user),
    }))
}

fn parse_status(s: &str) -> Result<UserStatus, ApiError> {
    UserStatus::parse(s).ok_or_else(|| {
        ApiError::invalid_argument(format!(
            "invalid status {s:?}, expected enabled, disabled, invited or expired"
        ))
    })
}

fn tenants_from(refs: &[crate::wire::TenantRef]) -> Result<Vec<UserTenant>, ApiError> {
    refs.iter()
        .map(|t| {
            Ok(UserTenant {
                tenant_id: t
                    .tenant_id
                    .clone()
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| ApiError::missing_argument("userTenants.tenantId"))?,
                role_names: t.role_names.clone().unwrap_or_default(),
            })
        })
        .collect()
}

fn check_hashed_password(hashed: &Value) -> Result<(), ApiError> {
    let obj = hashed
        .as_object()
        .ok_or_else(|| ApiError::invalid_argument("hashedPassword must be an object"))?;
    let kinds: Vec<&String> = obj.keys().filter(|k| !obj[k.as_str()].is_null()).collect();
    match kinds.as_slice() {
        [kind] if HASH_KINDS.contains(&kind.as_str()) => Ok(()),
        _ => Err(ApiError::invalid_argument(format!(
            "hashedPassword must hold exactly one of {}",
            HASH_KINDS.join(", ")
        ))),
    }
}

/// Whole-object semantics (create, update): absent fields become empty. Verified flags and
/// `test` keep their value when absent, since the SDKs only send them when set.
fn replace_fields(user: &mut User, req: &UserRequest) -> Result<(), ApiError> {
    let login_id = req
        .login_id
        .clone()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| ApiError::missing_argument("loginId"))?;
    let mut login_ids = vec![login_id];
    login_ids.extend(req.additional_login_ids().cloned().unwrap_or_default());
    user.login_ids = login_ids;
    user.name = req.display_name().cloned().unwrap_or_default();
    user.given_name = req.given_name.clone().unwrap_or_default();
    user.middle_name = req.middle_name.clone().unwrap_or_default();
    user.family_name = req.family_name.clone().unwrap_or_default();
    user.email = req.email.clone().unwrap_or_default();
    user.phone = req.phone.clone().unwrap_or_default();
    user.picture = req.picture.clone().unwrap_or_default();
    if let Some(v) = req.verified_email {
        user.verified_email = v;
    }
    if let Some(v) = req.verified_phone {
        user.verified_phone = v;
    }
    user.role_names = req.role_names.clone().unwrap_or_default();
    user.tenants = tenants_from(req.user_tenants.as_deref().unwrap_or_default())?;
    user.custom_attributes = req
        .custom_attributes
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .collect();
    user.sso_app_ids = req.sso_app_ids().cloned().unwrap_or_default();
    if let Some(t) = req.test {
        user.test = t;
    }
    Ok(())
}

/// Patch semantics: only fields present (and not null) change; custom attributes are merged
/// key by key and a null value removes the key.
fn patch_fields(user: &mut User, req: &UserRequest) -> Result<(), ApiError> {
    let set = |field: &mut String, value: Option<&String>| {
        if let Some(v) = value {
            field.clone_from(v);
        }
    };
    set(&mut user.name, req.display_name());
    set(&mut user.given_name, req.given_name.as_ref());
    set(&mut user.middle_name, req.middle_name.as_ref());
    set(&mut user.family_name, req.family_name.as_ref());
    set(&mut user.email, req.email.as_ref());
    set(&mut user.phone, req.phone.as_ref());
    set(&mut user.picture, req.picture.as_ref());
    if let Some(extra) = req.additional_login_ids() {
        user.login_ids.truncate(1);
        user.login_ids.extend(extra.iter().cloned());
    }
    if let Some(v) = req.verified_email {
        user.verified_email = v;
    }
    if let Some(v) = req.verified_phone {
        user.verified_phone = v;
    }
    if let Some(roles) = &req.role_names {
        user.role_names.clone_from(roles);
    }
    if let Some(tenants) = &req.user_tenants {
        user.tenants = tenants_from(tenants)?;
    }
    if let Some(attrs) = &req.custom_attributes {
        for (k, v) in attrs {
            if v.is_null() {
                user.custom_attributes.remove(k);
            } else {
                user.custom_attributes.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(apps) = req.sso_app_ids() {
        user.sso_app_ids.clone_from(apps);
    }
    if let Some(status) = &req.status {
        user.status = parse_status(status)?;
    }
    if let Some(t) = req.test {
        user.test = t;
    }
    Ok(())
}

/// A new user from a create body; `status` wins over the invite-derived default.
fn new_user(req: &UserRequest, default_status: UserStatus, test: bool) -> Result<User, ApiError> {
    let status = match &req.status {
        Some(s) => parse_status(s)?,
        None => default_status,
    };
    let mut user = User::new(String::new(), status);
    replace_fields(&mut user, req)?;
    if test {
        user.test = true;
    }
    if let Some(hashed) = req.hashed_password.as_ref().filter(|h| !h.is_null()) {
        check_hashed_password(hashed)?;
        user.password = true;
    }
    if let Some(password) = req.password.as_deref().filter(|p| !p.is_empty()) {
        user.password = true;
        user.password_digest = Some(PasswordDigest::new(password));
    }
    user.totp = req.seed.as_deref().is_some_and(|s| !s.is_empty());
    Ok(user)
}

/// A refused batch item as the user it asked for, without secrets.
fn echo(store: &Store, item: &Value) -> Value {
    let parsed: Option<UserRequest> = serde_json::from_value(item.clone()).ok();
    let mut user = User::new(String::new(), UserStatus::Enabled);
    match parsed.map(|req| replace_fields(&mut user, &req)) {
        Some(Ok(())) => serde_json::to_value(render(store, &user)).unwrap_or(Value::Null),
        _ => json!({"loginIds": item.get("loginId").cloned().into_iter().collect::<Vec<_>>()}),
    }
}

fn create_one(emu: &Emulator, req: &UserRequest, test: bool) -> Result<Json<UserEnvelope>, ApiError> {
    let default = if req.invite.unwrap_or(false) {
        UserStatus::Invited
    } else {
        UserStatus::Enabled
    };
    let user = new_user(req, default, test)?;
    let mut store = emu.store();
    let id = store.insert_user(user, now_secs())?;
    envelope(&store, &id)
}

/// `create_one` for in-process seeding (`seed`): the new user's ID.
pub(crate) fn create_user_id(emu: &Emulator, req: &UserRequest) -> Result<String, ApiError> {
    Ok(create_one(emu, req, false)?.0.user.user_id)
}

/// `POST /v1/mgmt/user/create`: E062107 when a login ID is taken.
pub async fn create(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRequest>,
) -> Result<Json<UserEnvelope>, ApiError> {
    create_one(&emu, &req, false)
}

/// `POST /v1/mgmt/user/create/test`: same, marked as a test user.
pub async fn create_test(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRequest>,
) -> Result<Json<UserEnvelope>, ApiError> {
    create_one(&emu, &req, true)
}

fn batch_items(users: Option<Vec<Value>>, max: usize) -> Result<Vec<Value>, ApiError> {
    let users = users
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::missing_argument("users"))?;
    if max > 0 && users.len() > max {
        return Err(ApiError::invalid_argument(format!(
            "a batch holds at most {max} users, got {}",
            users.len()
        )));
    }
    Ok(users)
}

/// `POST /v1/mgmt/user/create/batch`: each user is created or listed in `failedUsers`.
/// Users are `invited` when `invite` is true, else `enabled`, unless an item sets `status`.
pub async fn create_batch(
    State(emu): State<Emulator>,
    JsonBody(raw): JsonBody<CreateBatchRequest>,
) -> Result<Json<crate::wire::CreateBatchResponse>, ApiError> {
    let default = if raw.invite.unwrap_or(false) {
        UserStatus::Invited
    } else {
        UserStatus::Enabled
    };
    let items = batch_items(raw.users, emu.config().max_batch_size)?;
    let now = now_secs();
    let mut store = emu.store();
    let mut created = Vec::new();
    let mut failed = Vec::new();
    for item in items {
        let result = serde_json::from_value::<UserRequest>(item.clone())
            .map_err(|e| ApiError::bad_request(format!("invalid user: {e}")))
            .and_then(|req| new_user(&req, default, false))
            .and_then(|user| store.insert_user(user, now));
        match result {
            Ok(id) => {
                if let Some(user) = store.user(&id) {
                    created.push(render(&store, user));
                }
            }
            Err(e) => failed.push(FailedUser {
                failure: e.failure_line(),
                user: echo(&store, &item),
            }),
        }
    }
    Ok(Json(crate::wire::CreateBatchResponse {
        created_users: created,
        failed_users: failed,
        additional_errors: Map::new(),
    }))
}

fn login_of(req: &UserRequest) -> Result<&str, ApiError> {
    req.login_id
        .as_deref()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| ApiError::missing_argument("loginId"))
}

/// `POST /v1/mgmt/user/update`: replaces the whole user named by `loginId`.
pub async fn update(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRequest>,
) -> Result<Json<UserEnvelope>, ApiError> {
    let mut store = emu.store();
    let id = store.resolve(Some(login_of(&req)?), None)?;
    store.update_user(&id, |u| replace_fields(u, &req))?;
    envelope(&store, &id)
}

/// `PATCH /v1/mgmt/user/patch`: changes only the fields given.
pub async fn patch(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRequest>,
) -> Result<Json<UserEnvelope>, ApiError> {
    let mut store = emu.store();
    let id = store.resolve(Some(login_of(&req)?), None)?;
    store.update_user(&id, |u| patch_fields(u, &req))?;
    envelope(&store, &id)
}

/// `PATCH /v1/mgmt/user/patch/batch`: each patch applied or listed in `failedUsers`.
pub async fn patch_batch(
    State(emu): State<Emulator>,
    JsonBody(raw): JsonBody<PatchBatchRequest>,
) -> Result<Json<PatchBatchResponse>, ApiError> {
    let items = batch_items(raw.users, emu.config().max_batch_size)?;
    let mut store = emu.store();
    let mut patched = Vec::new();
    let mut failed = Vec::new();
    for item in items {
        let result = serde_json::from_value::<UserRequest>(item.clone())
            .map_err(|e| ApiError::bad_request(format!("invalid user: {e}")))
            .and_then(|req| {
                let id = store.resolve(Some(login_of(&req)?), None)?;
                store.update_user(&id, |u| patch_fields(u, &req))?;
                Ok(id)
            });
        match result {
            Ok(id) => {
                if let Some(user) = store.user(&id) {
                    patched.push(render(&store, user));
                }
            }
            Err(e) => failed.push(FailedUser {
                failure: e.failure_line(),
                user: echo(&store, &item),
            }),
        }
    }
    Ok(Json(PatchBatchResponse {
        patched_users: patched,
        failed_users: failed,
        additional_errors: Map::new(),
    }))
}

/// `GET /v1/mgmt/user?loginId=...` or `?userId=...`.
pub async fn load(State(emu): State<Emulator>, Query(q): Query<LoadQuery>) -> Result<Json<UserEnvelope>, ApiError> {
    let store = emu.store();
    let id = store.resolve(q.login_id.as_deref(), q.user_id.as_deref())?;
    envelope(&store, &id)
}

/// `POST /v1/mgmt/users/load`: the users found among `userIds` (unknown IDs skipped).
pub async fn load_many(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserIdsRequest>,
) -> Result<Json<UsersEnvelope>, ApiError> {
    let ids = req.user_ids.ok_or_else(|| ApiError::missing_argument("userIds"))?;
    let store = emu.store();
    let users = ids
        .iter()
        .filter_map(|id| store.user(id))
        .map(|u| render(&store, u))
        .collect();
    Ok(Json(UsersEnvelope { users, total: None }))
}

/// JSON equality where `1` equals `1.0`.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn any_of(filter: &Option<Vec<String>>, matches: impl Fn(&String) -> bool) -> bool {
    filter
        .as_ref()
        .is_none_or(|values| values.is_empty() || values.iter().any(matches))
}

fn matches(user: &User, req: &SearchRequest, statuses: &[UserStatus]) -> bool {
    let test_only = req.test_users_only.unwrap_or(false);
    if test_only && !user.test || !test_only && user.test && !req.with_test_user.unwrap_or(false) {
        return false;
    }
    if !statuses.is_empty() && !statuses.contains(&user.status) {
        return false;
    }
    let in_tenant = |t: &String| user.tenants.iter().any(|m| &m.tenant_id == t);
    let text_ok = req.text.as_deref().filter(|t| !t.is_empty()).is_none_or(|text| {
        let text = text.to_lowercase();
        let fields = [
            &user.user_id,
            &user.name,
            &user.given_name,
            &user.family_name,
            &user.email,
            &user.phone,
        ];
        fields
            .into_iter()
            .chain(&user.login_ids)
            .any(|f| f.to_lowercase().contains(&text))
    });
    let attrs_ok = req.custom_attributes.as_ref().is_none_or(|wanted| {
        wanted.iter().all(|(key, want)| {
            let have = user.custom_attributes.get(key).unwrap_or(&Value::Null);
            match want {
                Value::Array(options) => options.iter().any(|o| json_eq(o, have)),
                single => json_eq(single, have),
            }
        })
    });
    let tenant_roles_ok = req.tenant_role_names.as_ref().is_none_or(|by_tenant| {
        by_tenant.iter().all(|(tenant, filter)| {
            let held = user
                .tenants
                .iter()
                .find(|m| &m.tenant_id == tenant)
                .map(|m| &m.role_names);
            let values = filter.values.clone().unwrap_or_default();
            held.is_some_and(|held| {
                if filter.and.unwrap_or(false) {
                    values.iter().all(|v| held.contains(v))
                } else {
                    values.is_empty() || values.iter().any(|v| held.contains(v))
                }
            })
        })
    });
    let created_ms = user.created_time.saturating_mul(1000);
    any_of(&req.login_ids, |l| {
        user.login_ids.iter().any(|have| login_key(have) == login_key(l))
    }) && any_of(&req.user_ids, |id| &user.user_id == id)
        && any_of(&req.role_names, |r| user.role_names.contains(r))
        && any_of(&req.tenant_ids, in_tenant)
        && any_of(&req.emails, |e| &user.email == e)
        && any_of(&req.phones, |p| &user.phone == p)
        && any_of(&req.sso_app_ids, |a| user.sso_app_ids.contains(a))
        && req.from_created_time.is_none_or(|from| created_ms >= from)
        && req.to_created_time.is_none_or(|to| created_ms <= to)
        && text_ok
        && attrs_ok
        && tenant_roles_ok
}

/// `POST /v2/mgmt/user/search` (and v1): filtered users in creation order, one page, with the
/// total number of matches.
pub async fn search(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<SearchRequest>,
) -> Result<Json<UsersEnvelope>, ApiError> {
    let limit = req.limit.unwrap_or(0);
    let page = req.page.unwrap_or(0);
    if limit < 0 || page < 0 {
        return Err(ApiError::invalid_argument("limit and page must be non-negative"));
    }
    let size = match usize::try_from(limit).unwrap_or(usize::MAX) {
        0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    };
    let statuses = req
        .statuses
        .iter()
        .flatten()
        .map(|s| parse_status(s))
        .collect::<Result<Vec<_>, _>>()?;
    let store = emu.store();
    let found: Vec<&User> = store.users().filter(|u| matches(u, &req, &statuses)).collect();
    let skip = usize::try_from(page).unwrap_or(usize::MAX).saturating_mul(size);
    let users = found.iter().skip(skip).take(size).map(|u| render(&store, u)).collect();
    Ok(Json(UsersEnvelope {
        users,
        total: Some(found.len()),
    }))
}

fn named_user(store: &Store, req: &UserRefRequest) -> Result<String, ApiError> {
    store.resolve(req.login_id.as_deref(), req.user_id.as_deref())
}

/// Runs `change` on the user named in the body and answers `{"user"}`.
fn update_named(
    emu: &Emulator,
    req: &UserRefRequest,
    change: impl FnOnce(&mut User) -> Result<(), ApiError>,
) -> Result<Json<UserEnvelope>, ApiError> {
    let mut store = emu.store();
    let id = named_user(&store, req)?;
    store.update_user(&id, change)?;
    envelope(&store, &id)
}

/// `POST /v1/mgmt/user/update/loginid`: `{"loginId", "newLoginId"}` replaces that login ID
/// (primary or additional) of the user; refused with E062107 when another user holds the new one.
pub async fn update_login_id(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<UserEnvelope>, ApiError> {
    let new_login = req
        .new_login_id
        .clone()
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| ApiError::missing_argument("newLoginId"))?;
    let old = req.login_id.clone().unwrap_or_default();
    update_named(&emu, &req, |u| {
        match u.login_ids.iter_mut().find(|l| login_key(l) == login_key(&old)) {
            Some(slot) => *slot = new_login,
            None => u.login_ids[0] = new_login,
        }
        Ok(())
    })
}

/// `POST /v1/mgmt/user/history`: the body is a JSON array of user IDs (go-sdk `History`, docs
/// "users auth history"); answers `{"usersAuthHistory": [{userId, loginTime, city, country, ip}]}`
/// with one entry per sign-in, `loginTime` in epoch seconds.
pub async fn history(
    State(emu): State<Emulator>,
    JsonBody(user_ids): JsonBody<Vec<String>>,
) -> Result<Json<Value>, ApiError> {
    let store = emu.store();
    let entries: Vec<Value> = store
        .sign_ins_of(&user_ids)
        .map(|(id, at)| json!({"userId": id, "loginTime": at, "city": "", "country": "", "ip": ""}))
        .collect();
    Ok(Json(json!({ "usersAuthHistory": entries })))
}

/// `POST /v1/mgmt/user/logout` `{"loginId"|"userId", "sessionTypes"?}` (docs: logout all user
/// devices): ends the user's sessions. The emulator keeps no server-side sessions; it checks the
/// user exists (E112102 otherwise), records the time (tokens issued before it count as revoked,
/// [`Emulator::sessions_revoked_at`]) and answers `{}`.
pub async fn logout(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<Value>, ApiError> {
    let mut store = emu.store();
    let id = named_user(&store, &req)?;
    store.revoke_sessions(&id, now_secs());
    Ok(Json(json!({})))
}

/// `POST /v1/mgmt/user/update/status`: `enabled` or `disabled`.
pub async fn update_status(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<UserEnvelope>, ApiError> {
    let status = match req.status.as_deref() {
        Some("enabled") => UserStatus::Enabled,
        Some("disabled") => UserStatus::Disabled,
        Some(other) => {
            return Err(ApiError::invalid_argument(format!(
                "invalid status {other:?}, expected enabled or disabled"
            )));
        }
        None => return Err(ApiError::missing_argument("status")),
    };
    update_named(&emu, &req, |u| {
        u.status = status;
        Ok(())
    })
}

/// `POST /v1/mgmt/user/update/customAttribute`: the attribute must be defined and the value
/// of its type (E011003 otherwise); `null` clears it.
pub async fn update_custom_attribute(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<UserEnvelope>, ApiError> {
    let key = req
        .attribute_key
        .clone()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::missing_argument("attributeKey"))?;
    let value = req.attribute_value.clone().unwrap_or(Value::Null);
    {
        // An undefined key is refused even when clearing it.
        let store = emu.store();
        if store.attribute(&key).is_none() {
            return Err(ApiError::validation(format!("custom attribute {key:?} is not defined")));
        }
    }
    update_named(&emu, &req, |u| {
        if value.is_null() {
            u.custom_attributes.remove(&key);
        } else {
            u.custom_attributes.insert(key.clone(), value.clone());
        }
        Ok(())
    })
}

/// How a role call changes a role list.
#[derive(Debug, Clone, Copy)]
pub enum RoleChange {
    /// Add missing roles.
    Add,
    /// Replace the list.
    Set,
    /// Remove the given roles.
    Remove,
}

fn change_roles(list: &mut Vec<String>, names: &[String], change: RoleChange) {
    match change {
        RoleChange::Add => {
            for n in names {
                if !list.contains(n) {
                    list.push(n.clone());
                }
            }
        }
        RoleChange::Set => *list = names.to_vec(),
        RoleChange::Remove => list.retain(|r| !names.contains(r)),
    }
}

fn roles_call(emu: &Emulator, req: &UserRefRequest, change: RoleChange) -> Result<Json<UserEnvelope>, ApiError> {
    let names = req
        .role_names
        .clone()
        .ok_or_else(|| ApiError::missing_argument("roleNames"))?;
    let tenant = req.tenant_id.clone().filter(|t| !t.is_empty());
    update_named(emu, req, |u| {
        match &tenant {
            None => change_roles(&mut u.role_names, &names, change),
            Some(tenant) => {
                let membership = u.tenants.iter_mut().find(|t| &t.tenant_id == tenant).ok_or_else(|| {
                    ApiError::invalid_argument(format!(
                        "user is not a member of tenant {tenant:?}; add the tenant first"
                    ))
                })?;
                change_roles(&mut membership.role_names, &names, change);
            }
        }
        Ok(())
    })
}

/// `POST /v2/mgmt/user/update/role/add` (also v1): project roles, or tenant roles with `tenantId`.
pub async fn add_roles(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<UserEnvelope>, ApiError> {
    roles_call(&emu, &req, RoleChange::Add)
}

/// `POST /v1/mgmt/user/update/role/set`.
pub async fn set_roles(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<UserEnvelope>, ApiError> {
    roles_call(&emu, &req, RoleChange::Set)
}

/// `POST /v1/mgmt/user/update/role/remove`.
pub async fn remove_roles(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<UserEnvelope>, ApiError> {
    roles_call(&emu, &req, RoleChange::Remove)
}

fn tenant_of(req: &UserRefRequest) -> Result<String, ApiError> {
    req.tenant_id
        .clone()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::missing_argument("tenantId"))
}

/// `POST /v1/mgmt/user/update/tenant/add`: no-op if already a member.
pub async fn add_tenant(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<UserEnvelope>, ApiError> {
    let tenant = tenant_of(&req)?;
    update_named(&emu, &req, |u| {
        if !u.tenants.iter().any(|t| t.tenant_id == tenant) {
            u.tenants.push(UserTenant {
                tenant_id: tenant.clone(),
                role_names: Vec::new(),
            });
        }
        Ok(())
    })
}

/// `POST /v1/mgmt/user/update/tenant/remove`.
pub async fn remove_tenant(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<UserEnvelope>, ApiError> {
    let tenant = tenant_of(&req)?;
    update_named(&emu, &req, |u| {
        u.tenants.retain(|t| t.tenant_id != tenant);
        Ok(())
    })
}

/// Whether a password set through the management API can sign in at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordKind {
    /// `set/active`: signs in at once.
    Active,
    /// `set/temporary`: set as expired, so the user must replace it at the next sign-in.
    Temporary,
}

/// `POST /v1/mgmt/user/password/set/active` and `/set/temporary`: `{"loginId", "password"}`;
/// answers `{}`. The password replaces any earlier one (an imported hash too).
pub async fn set_password(
    State(emu): State<Emulator>,
    kind: PasswordKind,
    req: UserRefRequest,
) -> Result<Json<Value>, ApiError> {
    let password = req
        .password
        .as_deref()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::missing_argument("password"))?;
    let digest = PasswordDigest::new(password);
    let _user = update_named(&emu, &req, |u| {
        u.password = true;
        u.password_digest = Some(digest);
        u.password_expired = kind == PasswordKind::Temporary;
        Ok(())
    })?;
    Ok(Json(json!({})))
}

/// `POST /v1/mgmt/user/password/set/active`.
pub async fn set_active_password(
    state: State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<Value>, ApiError> {
    set_password(state, PasswordKind::Active, req).await
}

/// `POST /v1/mgmt/user/password/set/temporary`.
pub async fn set_temporary_password(
    state: State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<Value>, ApiError> {
    set_password(state, PasswordKind::Temporary, req).await
}

/// `POST /v1/mgmt/user/password/expire`: the password stays but no longer signs in (E062909)
/// until it is replaced; a user without a password is left as it is.
pub async fn expire_password(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<Value>, ApiError> {
    let _user = update_named(&emu, &req, |u| {
        u.password_expired = u.password;
        Ok(())
    })?;
    Ok(Json(json!({})))
}

/// `POST /v1/mgmt/user/delete`: by `loginId` or `userId`; deleting nobody succeeds.
pub async fn delete(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserRefRequest>,
) -> Result<Json<Value>, ApiError> {
    let mut store = emu.store();
    match named_user(&store, &req) {
        Ok(id) => {
            store.delete_user(&id);
        }
        Err(e) if e.code == crate::error::codes::USER_NOT_FOUND => {}
        Err(e) => return Err(e),
    }
    Ok(Json(json!({})))
}

/// `POST /v1/mgmt/user/delete/batch`: unknown IDs are skipped.
pub async fn delete_batch(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<UserIdsRequest>,
) -> Result<Json<Value>, ApiError> {
    let ids = req.user_ids.ok_or_else(|| ApiError::missing_argument("userIds"))?;
    let mut store = emu.store();
    for id in &ids {
        store.delete_user(id);
    }
    Ok(Json(json!({})))
}
