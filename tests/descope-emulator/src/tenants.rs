//! Tenants: create (with or without an ID), load one, load all.

use axum::{
    Json,
    extract::{Query, State},
};
use serde::Deserialize;

use crate::{
    Emulator,
    emulator::now_secs,
    error::ApiError,
    state::{Tenant, random_id},
    wire::{JsonBody, TenantIdResponse, TenantRequest, TenantResponse, TenantsEnvelope},
};

/// Wire form of a tenant.
pub fn render(tenant: &Tenant) -> TenantResponse {
    TenantResponse {
        id: tenant.id.clone(),
        name: tenant.name.clone(),
        self_provisioning_domains: tenant.self_provisioning_domains.clone(),
        custom_attributes: tenant.custom_attributes.clone(),
        enforce_sso: tenant.enforce_sso,
        disabled: tenant.disabled,
        created_time: tenant.created_time,
    }
}

/// `POST /v1/mgmt/tenant/create`: answers `{"id"}`; a taken ID or name is refused (E011002).
pub async fn create(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<TenantRequest>,
) -> Result<Json<TenantIdResponse>, ApiError> {
    let id = req.id.filter(|id| !id.is_empty()).unwrap_or_else(|| random_id("T2"));
    emu.store().insert_tenant(Tenant {
        id: id.clone(),
        name: req.name.unwrap_or_default(),
        self_provisioning_domains: req.self_provisioning_domains.unwrap_or_default(),
        custom_attributes: req.custom_attributes.unwrap_or_default(),
        enforce_sso: req.enforce_sso.unwrap_or(false),
        disabled: req.disabled.unwrap_or(false),
        created_time: now_secs(),
    })?;
    Ok(Json(TenantIdResponse { id }))
}

/// `GET /v1/mgmt/tenant/all`.
pub async fn load_all(State(emu): State<Emulator>) -> Json<TenantsEnvelope> {
    Json(TenantsEnvelope {
        tenants: emu.store().tenants().iter().map(render).collect(),
    })
}

/// Query of `GET /v1/mgmt/tenant?id=...`.
#[derive(Debug, Deserialize)]
pub struct TenantQuery {
    id: Option<String>,
}

/// `GET /v1/mgmt/tenant?id=...`: the tenant itself (not wrapped).
pub async fn load(State(emu): State<Emulator>, Query(q): Query<TenantQuery>) -> Result<Json<TenantResponse>, ApiError> {
    let id =
        q.id.filter(|i| !i.is_empty())
            .ok_or_else(|| ApiError::missing_argument("id"))?;
    let store = emu.store();
    let tenant = store
        .tenant(&id)
        .ok_or_else(|| ApiError::invalid_argument(format!("tenant {id:?} does not exist")))?;
    Ok(Json(render(tenant)))
}
