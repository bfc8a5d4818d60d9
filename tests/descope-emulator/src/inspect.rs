//! Test-only endpoints under `/emulator/`: state dump, request log, reset, sessions, key rotation.
//!
//! They exist only in the emulator, need no authentication, and are neither rate limited,
//! faulted nor logged: they are the test's backstage door, not part of the API under test.

use axum::{
    Json,
    extract::{Path, State},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    Emulator,
    error::ApiError,
    sessions::{MintedSession, SessionRequest},
    wire::JsonBody,
};

/// `GET /emulator/state`: users, roles, tenants, attribute definitions and published kids.
pub async fn state(State(emu): State<Emulator>) -> Json<Value> {
    Json(emu.state_dump())
}

/// `GET /emulator/requests`: `{"requests": [{method, path, query?, status, timestampMs, fault?}]}`.
pub async fn requests(State(emu): State<Emulator>) -> Json<Value> {
    Json(json!({ "requests": emu.request_log() }))
}

/// `DELETE /emulator/requests`: forget the log.
pub async fn clear_requests(State(emu): State<Emulator>) -> Json<Value> {
    emu.clear_request_log();
    Json(json!({}))
}

/// `POST /emulator/reset`: empty project (keys and fault sequence are kept).
pub async fn reset(State(emu): State<Emulator>) -> Json<Value> {
    emu.reset();
    Json(json!({}))
}

/// `POST /emulator/session`: a signed session (or refresh) token for a stored user.
pub async fn session(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<SessionRequest>,
) -> Result<Json<MintedSession>, ApiError> {
    emu.mint_session(&req).map(Json)
}

/// Body of `POST /emulator/keys/rotate`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotateRequest {
    /// Unpublish the previous keys at once.
    #[serde(default)]
    pub drop_old: bool,
}

/// `POST /emulator/keys/rotate`: `{"kid": new signing kid, "keys": published kids}`.
pub async fn rotate(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<RotateRequest>,
) -> Result<Json<Value>, ApiError> {
    let kid = emu
        .rotate_keys(req.drop_old)
        .map_err(|e| ApiError::invalid_argument(e.to_string()))?;
    Ok(Json(json!({ "kid": kid, "keys": emu.keys().kids() })))
}

/// `DELETE /emulator/keys/{kid}`: unpublish an old key.
pub async fn remove_key(State(emu): State<Emulator>, Path(kid): Path<String>) -> Result<Json<Value>, ApiError> {
    emu.remove_key(&kid)
        .map_err(|e| ApiError::invalid_argument(e.to_string()))?;
    Ok(Json(json!({ "keys": emu.keys().kids() })))
}
