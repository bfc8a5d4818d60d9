//! Caller authentication.
//!
//! - Management calls: `Authorization: Bearer <projectId>:<managementKey>`. The SDKs build the
//!   bearer as `projectId[:token]:managementKey` (descope-api.md 1.2), so the first segment must be
//!   the project and the last one the key.
//! - Client (end-user) calls under `/v1/auth/`: `Authorization: Bearer <projectId>`, what the
//!   Python SDK's auth client sends (`_get_default_headers`: the project ID, then `:<token>` and
//!   `:<authManagementKey>` only when it has them). The first segment must be the project.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{Emulator, error::ApiError};

/// The `Bearer` value of the Authorization header (`<project ID>` or `<project ID>:<key>`).
fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization header"))?
        .to_str()
        .map_err(|_| ApiError::unauthorized("Authorization header is not text"))?
        .strip_prefix("Bearer ")
        .ok_or_else(|| ApiError::unauthorized("Authorization is not a Bearer token"))
}

fn check(emu: &Emulator, headers: &HeaderMap) -> Result<(), ApiError> {
    let bearer = bearer(headers)?;
    let parts: Vec<&str> = bearer.split(':').collect();
    let config = emu.config();
    match (parts.first(), parts.last()) {
        (Some(project), Some(key))
            if parts.len() >= 2 && *project == config.project_id && *key == config.management_key =>
        {
            Ok(())
        }
        // Never echo what was sent: it may be a real key pasted by mistake.
        _ => Err(ApiError::unauthorized("invalid project ID or management key")),
    }
}

/// Refuses management calls without the right project ID and management key.
pub async fn require_management_key(State(emu): State<Emulator>, req: Request, next: Next) -> Response {
    match check(&emu, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

fn check_project(emu: &Emulator, headers: &HeaderMap) -> Result<(), ApiError> {
    let bearer = bearer(headers)?;
    match bearer.split(':').next() {
        Some(project) if project == emu.config().project_id => Ok(()),
        _ => Err(ApiError::unauthorized("invalid project ID")),
    }
}

/// Refuses client calls that do not name this project in `Authorization: Bearer <projectId>`.
pub async fn require_project_id(State(emu): State<Emulator>, req: Request, next: Next) -> Response {
    match check_project(&emu, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}
