//! Sign-ins that answer Descope's JWT response: the management sign-in (`POST
//! /v1/mgmt/auth/signin`, a session for a user with no user interaction), its sign-up variants
//! (`/v1/mgmt/auth/signup`, `/v1/mgmt/auth/signup-in`) and the end-user password sign-in
//! (`POST /v1/auth/password/signin`).
//!
//! The JWT response is what the SDKs read (go-sdk `JWTResponse`, python-sdk
//! `jwt_common.generate_jwt_response`): `sessionJwt`, `refreshJwt`, the cookie settings, `user`
//! and `firstSeen`. The SDKs verify both JWTs against the project's keys and expose them as
//! `sessionToken` / `refreshSessionToken`.

use axum::{Json, extract::State};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::{
    Emulator,
    emulator::now_secs,
    error::ApiError,
    sessions::{self, REFRESH_TTL, SESSION_TTL, SessionRequest},
    state::{User, UserStatus},
    users,
    wire::JsonBody,
};

/// Claims a caller's `customClaims` cannot set: the standard JWT claims and those the emulator
/// mints from the user. Descope says "system claims will be filtered out" (python-sdk
/// `update_jwt`); which names it filters is not documented, so this list is our reading.
const SYSTEM_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "drn",
    "amr",
    "roles",
    "permissions",
    "tenants",
    "dct",
    "su",
];

/// Body of `POST /v1/mgmt/auth/signin` (python-sdk `management/jwt.py` `sign_in`, go-sdk
/// `authenticationRequestBody`). The Python SDK sends `null` for unset members.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MgmtSignInRequest {
    /// The user's login ID (required).
    pub login_id: Option<String>,
    /// A step-up session (`su: true`); needs `jwt`.
    pub stepup: Option<bool>,
    /// An MFA session (`amr` gains `mfa`); needs `jwt`.
    pub mfa: Option<bool>,
    /// Log the user's other sessions out first.
    pub revoke_other_sessions: Option<bool>,
    /// Session types to revoke (go-sdk); accepted and ignored: the emulator revokes all.
    pub revoke_other_sessions_types: Option<Vec<String>>,
    /// Claims added to the session token (system claims filtered out).
    pub custom_claims: Option<Map<String, Value>>,
    /// The user's current refresh JWT, required for `stepup` / `mfa`.
    pub jwt: Option<String>,
    /// Refresh token lifetime in seconds; 0 or absent: the project's (4 weeks here).
    pub refresh_duration: Option<i64>,
}

/// The `user` member of a management sign-up (python-sdk `MgmtUserRequest.to_dict`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpUser {
    /// Display name.
    pub name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
}

/// Body of `POST /v1/mgmt/auth/signup` and `/signup-in` (python-sdk `_compose_sign_up_body`,
/// go-sdk `authenticationSignUpRequestBody`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MgmtSignUpRequest {
    /// Login ID of the new (or, for sign-up-or-in, existing) user.
    pub login_id: Option<String>,
    /// Profile of a new user.
    pub user: Option<SignUpUser>,
    /// Email verified.
    pub email_verified: Option<bool>,
    /// Phone verified.
    pub phone_verified: Option<bool>,
    /// SSO application of a new user.
    pub sso_app_id: Option<String>,
    /// Claims added to the session token (system claims filtered out).
    pub custom_claims: Option<Map<String, Value>>,
    /// Refresh token lifetime in seconds; 0 or absent: the project's.
    pub refresh_duration: Option<i64>,
}

/// Body of `POST /v1/auth/password/signin` (python-sdk `authmethod/password.py` `sign_in`).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordSignInRequest {
    /// Login ID as the user typed it.
    pub login_id: Option<String>,
    /// The password.
    pub password: Option<String>,
}

impl std::fmt::Debug for PasswordSignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordSignInRequest")
            .field("login_id", &self.login_id)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Mints the refresh and session tokens of one sign-in and builds the JWT response.
/// `session` carries the session token's extras (custom claims, amr); its lifetime is bounded by
/// the refresh token's, which lasts `refresh_ttl` seconds.
fn jwt_response(
    emu: &Emulator,
    user_id: &str,
    mut session: SessionRequest,
    refresh_ttl: i64,
) -> Result<Json<Value>, ApiError> {
    let first_seen = emu.store().sign_ins_of(&[user_id.to_owned()]).next().is_none();
    let now = now_secs();
    let refresh = sessions::mint(
        emu,
        &SessionRequest {
            user_id: Some(user_id.to_owned()),
            refresh: Some(true),
            expires_in: Some(refresh_ttl),
            issued_at: Some(now),
            amr: session.amr.clone(),
            ..SessionRequest::default()
        },
    )?;
    session.user_id = Some(user_id.to_owned());
    session.login_id = None;
    session.refresh = Some(false);
    session.issued_at = Some(now);
    session.expires_in = Some(SESSION_TTL.min(refresh_ttl));
    let minted = sessions::mint(emu, &session)?;
    let store = emu.store();
    let user = store
        .user(user_id)
        .map(|u| users::render(&store, u))
        .ok_or_else(|| ApiError::user_not_found(&format!("user ID {user_id:?}")))?;
    Ok(Json(json!({
        "sessionJwt": minted.token,
        "refreshJwt": refresh.token,
        "cookieDomain": "",
        "cookiePath": "/",
        "cookieMaxAge": refresh_ttl,
        "cookieExpiration": now + refresh_ttl,
        "user": user,
        "firstSeen": first_seen,
    })))
}

fn refresh_ttl(duration: Option<i64>) -> Result<i64, ApiError> {
    match duration.unwrap_or(0) {
        0 => Ok(REFRESH_TTL),
        d if d > 0 => Ok(d),
        d => Err(ApiError::invalid_argument(format!(
            "refreshDuration must be a positive number of seconds, not {d}"
        ))),
    }
}

fn custom_claims(claims: Option<&Map<String, Value>>) -> Result<Map<String, Value>, ApiError> {
    let claims: Map<String, Value> = claims
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !SYSTEM_CLAIMS.contains(&k.as_str()))
        .collect();
    sessions::check_custom_claims(&claims)?;
    Ok(claims)
}

fn required_login_id(login_id: Option<&str>) -> Result<&str, ApiError> {
    login_id
        .filter(|l| !l.is_empty())
        .ok_or_else(|| ApiError::missing_argument("loginId"))
}

/// The user holding `login_id`, if they may get a session (a disabled user or an expired
/// invitation: 400 E011002, like every session the emulator issues).
fn user_for_session(emu: &Emulator, login_id: &str, revoke_others: bool) -> Result<String, ApiError> {
    let mut store = emu.store();
    let id = store.resolve(Some(login_id), None)?;
    let status = store.user(&id).map(|u| u.status);
    if matches!(status, Some(UserStatus::Disabled | UserStatus::Expired)) {
        return Err(ApiError::invalid_argument(format!(
            "user {id} is {} and cannot get a session",
            status.map_or("", UserStatus::as_str)
        )));
    }
    if revoke_others {
        store.revoke_sessions(&id, now_secs());
    }
    Ok(id)
}

/// `POST /v1/mgmt/auth/signin`: a session for the user named by `loginId`, as if they had signed
/// in. Unknown login ID: 400 E112102; a disabled user (or an expired invitation): 400 E011002,
/// like every session the emulator issues. `revokeOtherSessions` logs the user's earlier sessions
/// out first; the sign-in is recorded in the user's auth history.
pub async fn mgmt_sign_in(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<MgmtSignInRequest>,
) -> Result<Json<Value>, ApiError> {
    let login_id = required_login_id(req.login_id.as_deref())?;
    let stepup = req.stepup.unwrap_or(false);
    let mfa = req.mfa.unwrap_or(false);
    if (stepup || mfa) && req.jwt.as_deref().is_none_or(str::is_empty) {
        // The SDKs refuse this before sending (go-sdk ErrInvalidStepUpJWT); the server must too.
        return Err(ApiError::missing_argument("jwt"));
    }
    let refresh_ttl = refresh_ttl(req.refresh_duration)?;
    let mut claims = custom_claims(req.custom_claims.as_ref())?;
    if stepup {
        claims.insert("su".to_owned(), json!(true));
    }
    let user_id = user_for_session(&emu, login_id, req.revoke_other_sessions.unwrap_or(false))?;
    let mut amr = vec!["pwd".to_owned()];
    if mfa {
        amr.push("mfa".to_owned());
    }
    let session = SessionRequest {
        custom_claims: Some(claims),
        amr: Some(amr),
        ..SessionRequest::default()
    };
    jwt_response(&emu, &user_id, session, refresh_ttl)
}

/// Whether a management sign-up may sign an existing user in instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignUp {
    /// `/signup`: the login ID must be new (400 E062107 otherwise).
    New,
    /// `/signup-in`: an existing user is signed in, their profile left as it is.
    OrIn,
}

fn sign_up(emu: &Emulator, req: &MgmtSignUpRequest, mode: SignUp) -> Result<Json<Value>, ApiError> {
    let login_id = required_login_id(req.login_id.as_deref())?;
    let refresh_ttl = refresh_ttl(req.refresh_duration)?;
    let claims = custom_claims(req.custom_claims.as_ref())?;
    let existing = emu.store().user_by_login(login_id).is_some();
    if existing && mode == SignUp::New {
        return Err(ApiError::user_exists(login_id));
    }
    if !existing {
        let profile = req.user.as_ref();
        let text = |f: fn(&SignUpUser) -> &Option<String>| profile.and_then(|u| f(u).clone()).unwrap_or_default();
        let mut user = User::new(login_id.to_owned(), UserStatus::Enabled);
        user.name = text(|u| &u.name);
        user.given_name = text(|u| &u.given_name);
        user.middle_name = text(|u| &u.middle_name);
        user.family_name = text(|u| &u.family_name);
        user.phone = text(|u| &u.phone);
        user.email = text(|u| &u.email);
        user.verified_email = req.email_verified.unwrap_or(false);
        user.verified_phone = req.phone_verified.unwrap_or(false);
        user.sso_app_ids = req.sso_app_id.iter().filter(|a| !a.is_empty()).cloned().collect();
        emu.store().insert_user(user, now_secs())?;
    }
    let user_id = user_for_session(emu, login_id, false)?;
    let session = SessionRequest {
        custom_claims: Some(claims),
        ..SessionRequest::default()
    };
    jwt_response(emu, &user_id, session, refresh_ttl)
}

/// `POST /v1/mgmt/auth/signup`: creates an enabled user with this login ID and profile, then
/// signs them in; a taken login ID is 400 E062107.
pub async fn mgmt_sign_up(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<MgmtSignUpRequest>,
) -> Result<Json<Value>, ApiError> {
    sign_up(&emu, &req, SignUp::New)
}

/// `POST /v1/mgmt/auth/signup-in`: signs the user in, creating them first if the login ID is new.
pub async fn mgmt_sign_up_or_in(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<MgmtSignUpRequest>,
) -> Result<Json<Value>, ApiError> {
    sign_up(&emu, &req, SignUp::OrIn)
}

/// `POST /v1/auth/password/signin` `{"loginId", "password"}`: the end-user password sign-in.
/// An unknown login ID, a user without a checkable password, a wrong password and a disabled user
/// all get one answer (401 E062901, unconfirmed code); a right but expired or temporary password
/// gets 401 E062909 (go-sdk `ErrPasswordExpired`): it must be replaced first.
pub async fn password_sign_in(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<PasswordSignInRequest>,
) -> Result<Json<Value>, ApiError> {
    let login_id = req
        .login_id
        .as_deref()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| ApiError::missing_argument("loginId"))?;
    let password = req
        .password
        .as_deref()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::missing_argument("password"))?;
    let user_id = {
        let store = emu.store();
        let user = store
            .user_by_login(login_id)
            .ok_or_else(ApiError::invalid_credentials)?;
        let matches = user.password_digest.as_ref().is_some_and(|d| d.matches(password));
        if !matches || matches!(user.status, UserStatus::Disabled | UserStatus::Expired) {
            return Err(ApiError::invalid_credentials());
        }
        if user.password_expired {
            return Err(ApiError::password_expired());
        }
        user.user_id.clone()
    };
    let session = SessionRequest {
        amr: Some(vec!["pwd".to_owned()]),
        ..SessionRequest::default()
    };
    jwt_response(&emu, &user_id, session, REFRESH_TTL)
}
