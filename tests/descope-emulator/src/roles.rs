//! Roles: create, create/batch (atomic), load all, search.

use axum::{Json, extract::State};
use serde_json::{Value, json};

use crate::{
    Emulator,
    emulator::now_secs,
    error::ApiError,
    state::{Role, random_id},
    wire::{JsonBody, RoleRequest, RoleResponse, RoleSearchRequest, RolesEnvelope, RolesRequest},
};

/// Wire form of a role.
pub fn render(role: &Role) -> RoleResponse {
    RoleResponse {
        id: role.id.clone(),
        name: role.name.clone(),
        description: role.description.clone(),
        permission_names: role.permission_names.clone(),
        created_time: role.created_time,
        tenant_id: role.tenant_id.clone().unwrap_or_default(),
        default: role.default,
        private: role.private,
    }
}

fn role(req: RoleRequest, now: i64) -> Role {
    Role {
        id: random_id("R2"),
        name: req.name.unwrap_or_default(),
        description: req.description.unwrap_or_default(),
        permission_names: req.permission_names.unwrap_or_default(),
        tenant_id: req.tenant_id.filter(|t| !t.is_empty()),
        default: req.default.unwrap_or(false),
        private: req.private.unwrap_or(false),
        created_time: now,
    }
}

/// `POST /v1/mgmt/role/create`: answers `{}`; an existing name is refused (E011002).
pub async fn create(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<RoleRequest>,
) -> Result<Json<Value>, ApiError> {
    emu.store().insert_roles(vec![role(req, now_secs())])?;
    Ok(Json(json!({})))
}

/// `POST /v1/mgmt/role/create/batch`: all roles or none ("single atomic transaction").
pub async fn create_batch(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<RolesRequest>,
) -> Result<Json<RolesEnvelope>, ApiError> {
    let now = now_secs();
    let roles: Vec<Role> = req
        .roles
        .ok_or_else(|| ApiError::missing_argument("roles"))?
        .into_iter()
        .map(|r| role(r, now))
        .collect();
    let rendered = roles.iter().map(render).collect();
    emu.store().insert_roles(roles)?;
    Ok(Json(RolesEnvelope { roles: rendered }))
}

/// `GET /v1/mgmt/role/all`: every role, project and tenant ones.
pub async fn load_all(State(emu): State<Emulator>) -> Json<RolesEnvelope> {
    Json(RolesEnvelope {
        roles: emu.store().roles().iter().map(render).collect(),
    })
}

/// `POST /v1/mgmt/role/search`: every given filter must match.
pub async fn search(State(emu): State<Emulator>, JsonBody(req): JsonBody<RoleSearchRequest>) -> Json<RolesEnvelope> {
    let store = emu.store();
    let like = req.role_name_like.as_deref().map(str::to_lowercase);
    let roles = store
        .roles()
        .iter()
        .filter(|r| match (&req.tenant_ids, &r.tenant_id) {
            (Some(ids), Some(t)) if !ids.is_empty() => ids.contains(t),
            (Some(ids), None) if !ids.is_empty() => req.include_project_roles.unwrap_or(false),
            _ => true,
        })
        .filter(|r| {
            req.role_names
                .as_ref()
                .is_none_or(|n| n.is_empty() || n.contains(&r.name))
        })
        .filter(|r| like.as_ref().is_none_or(|l| r.name.to_lowercase().contains(l)))
        .filter(|r| {
            req.permission_names
                .as_ref()
                .is_none_or(|p| p.is_empty() || r.permission_names.iter().any(|have| p.contains(have)))
        })
        .filter(|r| {
            req.role_ids
                .as_ref()
                .is_none_or(|ids| ids.is_empty() || ids.contains(&r.id))
        })
        .map(render)
        .collect();
    Json(RolesEnvelope { roles })
}
