//! Management authentication: `Authorization: Bearer <projectId>:<managementKey>`.
//!
//! The SDKs build the bearer as `projectId[:token]:managementKey` (descope-api.md 1.2), so the
//! first segment must be the project and the last one the key.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{Emulator, error::ApiError};

fn check(emu: &Emulator, headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization header"))?
        .to_str()
        .map_err(|_| ApiError::unauthorized("Authorization header is not text"))?;
    let bearer = value
        .strip_prefix("Bearer ")
        .ok_or_else(|| ApiError::unauthorized("Authorization is not a Bearer token"))?;
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
