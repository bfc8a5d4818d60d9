//! A local Descope: the management API, JWKS and session tokens, with Descope's wire format,
//! error codes and rate limits, plus fault injection for resilience tests.
//!
//! In-process use:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use descope_emulator::{Emulator, EmulatorConfig, RunningEmulator};
//! let emulator = Emulator::new(EmulatorConfig::new("P2test", "K2secret"))?;
//! let running = RunningEmulator::start(emulator, "127.0.0.1:0").await?;
//! println!("base URL for the SDKs: {}", running.base_url());
//! # Ok(()) }
//! ```
//!
//! `app(emulator)` gives the bare [`axum::Router`] for `tower::ServiceExt::oneshot` tests; only
//! [`serve`] / [`RunningEmulator`] can drop connections. Endpoints and fidelity choices are listed
//! in the crate's README.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod attributes;
pub mod auth;
pub mod config;
pub mod emulator;
pub mod error;
pub mod faults;
pub mod inspect;
pub mod keys;
pub mod roles;
mod seed;
pub mod server;
pub mod sessions;
pub mod signin;
pub mod state;
pub mod tenants;
pub mod users;
pub mod wire;

use axum::{
    Json, Router,
    extract::{Request, State},
    middleware::from_fn_with_state,
    response::{IntoResponse, Response},
    routing::{delete, get, patch, post},
};
use serde_json::json;

pub use config::{
    EmulatorConfig, FaultConfig, FaultTiming, IssuerForm, KeyAlg, RateLimitConfig, RateLimitRule, RuleScope,
};
pub use emulator::{Emulator, EmulatorError, RequestLogEntry};
pub use error::ApiError;
pub use server::{RunningEmulator, serve};
pub use sessions::{MintedSession, SessionRequest};

/// `GET /v1/mgmt/license`: the SDKs' license handshake.
async fn license(State(emu): State<Emulator>) -> Json<serde_json::Value> {
    Json(json!({ "rateLimitTier": emu.config().license_tier }))
}

async fn not_found(req: Request) -> Response {
    ApiError::not_found(req.uri().path()).into_response()
}

/// The whole HTTP surface: the Descope API (behind limits, faults and the request log) and the
/// test-only `/emulator/*` endpoints.
pub fn app(emulator: Emulator) -> Router {
    let management = Router::new()
        .route("/v1/mgmt/license", get(license))
        // users
        .route("/v1/mgmt/user/create", post(users::create))
        .route("/v1/mgmt/user/create/test", post(users::create_test))
        .route("/v1/mgmt/user/create/batch", post(users::create_batch))
        .route("/v1/mgmt/user/update", post(users::update))
        .route("/v1/mgmt/user/patch", patch(users::patch))
        .route("/v1/mgmt/user/patch/batch", patch(users::patch_batch))
        .route("/v1/mgmt/user", get(users::load))
        .route("/v1/mgmt/users/load", post(users::load_many))
        .route("/v1/mgmt/user/search", post(users::search))
        .route("/v2/mgmt/user/search", post(users::search))
        .route("/v1/mgmt/user/update/status", post(users::update_status))
        .route("/v1/mgmt/user/update/loginid", post(users::update_login_id))
        .route("/v1/mgmt/user/logout", post(users::logout))
        .route("/v1/mgmt/user/history", post(users::history))
        .route(
            "/v1/mgmt/user/update/customAttribute",
            post(users::update_custom_attribute),
        )
        .route("/v1/mgmt/user/update/role/add", post(users::add_roles))
        .route("/v2/mgmt/user/update/role/add", post(users::add_roles))
        .route("/v1/mgmt/user/update/role/set", post(users::set_roles))
        .route("/v1/mgmt/user/update/role/remove", post(users::remove_roles))
        .route("/v1/mgmt/user/update/tenant/add", post(users::add_tenant))
        .route("/v1/mgmt/user/update/tenant/remove", post(users::remove_tenant))
        .route(
            "/v1/mgmt/user/password/set/temporary",
            post(users::set_temporary_password),
        )
        .route("/v1/mgmt/user/password/set/active", post(users::set_active_password))
        .route("/v1/mgmt/user/password/expire", post(users::expire_password))
        .route("/v1/mgmt/user/delete", post(users::delete))
        .route("/v1/mgmt/user/delete/batch", post(users::delete_batch))
        // sessions without user interaction
        .route("/v1/mgmt/auth/signin", post(signin::mgmt_sign_in))
        .route("/v1/mgmt/auth/signup", post(signin::mgmt_sign_up))
        .route("/v1/mgmt/auth/signup-in", post(signin::mgmt_sign_up_or_in))
        // custom attributes
        .route("/v1/mgmt/user/customattribute/create", post(attributes::create))
        .route("/v1/mgmt/user/customattributes", get(attributes::load))
        .route("/v1/mgmt/user/customattribute/delete", post(attributes::delete))
        // roles
        .route("/v1/mgmt/role/create", post(roles::create))
        .route("/v1/mgmt/role/create/batch", post(roles::create_batch))
        .route("/v1/mgmt/role/all", get(roles::load_all))
        .route("/v1/mgmt/role/search", post(roles::search))
        // tenants
        .route("/v1/mgmt/tenant/create", post(tenants::create))
        .route("/v1/mgmt/tenant/all", get(tenants::load_all))
        .route("/v1/mgmt/tenant", get(tenants::load))
        .route_layer(from_fn_with_state(emulator.clone(), auth::require_management_key));

    // End-user (client) endpoints authenticate with the project ID alone.
    let client = Router::new()
        .route("/v1/auth/password/signin", post(signin::password_sign_in))
        .route_layer(from_fn_with_state(emulator.clone(), auth::require_project_id));

    let public = Router::new()
        .route("/v2/keys/{project_id}", get(keys::jwks))
        .route("/v1/keys/{project_id}", get(keys::jwks_v1))
        .route("/{project_id}/.well-known/jwks.json", get(keys::jwks));

    let api = management
        .merge(client)
        .merge(public)
        .fallback(not_found)
        .layer(from_fn_with_state(emulator.clone(), faults::gate));

    let test_only = Router::new()
        .route("/emulator/state", get(inspect::state))
        .route(
            "/emulator/requests",
            get(inspect::requests).delete(inspect::clear_requests),
        )
        .route("/emulator/reset", post(inspect::reset))
        .route("/emulator/session", post(inspect::session))
        .route("/emulator/keys/rotate", post(inspect::rotate))
        .route("/emulator/keys/{kid}", delete(inspect::remove_key));

    test_only.merge(api).with_state(emulator)
}
