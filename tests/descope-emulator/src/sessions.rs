//! Session tokens in Descope's format (descope-api.md 2.1, 2.2), minted from the stored user.
//!
//! Real Descope issues tokens at the end of a login flow; the emulator has no flows, so tests ask
//! for a token directly through the test-only `POST /emulator/session`, or sign in through the
//! management sign-in or the password sign-in (`signin.rs`), which mint with the same code.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{Emulator, config::IssuerForm, emulator::now_secs, error::ApiError, state::UserStatus};

/// Descope's documented custom-claim limits.
const MAX_CLAIM_KEY: usize = 60;
const MAX_CLAIM_VALUE: usize = 500;
const MAX_CLAIMS: usize = 100;

/// Default lifetimes: 10 minutes for sessions, 4 weeks for refresh tokens.
pub(crate) const SESSION_TTL: i64 = 600;
pub(crate) const REFRESH_TTL: i64 = 28 * 24 * 3600;

/// Body of `POST /emulator/session`. Exactly one of `loginId` / `userId` names the user.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRequest {
    /// Login ID of the user.
    pub login_id: Option<String>,
    /// User ID of the user.
    pub user_id: Option<String>,
    /// `projectId` | `url` | `appsUrl`; the configured default when absent.
    pub issuer_form: Option<String>,
    /// A literal `iss`, overriding `issuerForm` (e.g. the agentic form).
    pub issuer: Option<String>,
    /// Mint a refresh token (`drn: "DSR"`) instead of a session token (`"DS"`).
    pub refresh: Option<bool>,
    /// Current tenant (`dct`); must be one of the user's tenants.
    pub tenant: Option<String>,
    /// Authentication methods (`amr`), default `["pwd"]`.
    pub amr: Option<Vec<String>>,
    /// Lifetime in seconds from `iat` (negative gives an expired token).
    pub expires_in: Option<i64>,
    /// `iat` override, epoch seconds.
    pub issued_at: Option<i64>,
    /// `aud`, if any (Descope's default template has none).
    pub audience: Option<Value>,
    /// Extra top-level claims, added last (they may override standard ones).
    pub custom_claims: Option<Map<String, Value>>,
}

/// A minted token and what is in it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MintedSession {
    /// The compact JWT.
    pub token: String,
    /// Its claims.
    pub claims: Value,
    /// The `kid` it was signed with.
    pub kid: String,
}

pub(crate) fn check_custom_claims(claims: &Map<String, Value>) -> Result<(), ApiError> {
    if claims.len() > MAX_CLAIMS {
        return Err(ApiError::invalid_argument(format!(
            "at most {MAX_CLAIMS} custom claims"
        )));
    }
    for (key, value) in claims {
        if key.chars().count() > MAX_CLAIM_KEY {
            return Err(ApiError::invalid_argument(format!(
                "custom claim key {key:?} is longer than {MAX_CLAIM_KEY} characters"
            )));
        }
        if value.to_string().chars().count() > MAX_CLAIM_VALUE {
            return Err(ApiError::invalid_argument(format!(
                "custom claim {key:?} is longer than {MAX_CLAIM_VALUE} characters"
            )));
        }
    }
    Ok(())
}

/// Builds the claims from the stored user and signs them with the current key.
pub fn mint(emu: &Emulator, req: &SessionRequest) -> Result<MintedSession, ApiError> {
    let project_id = &emu.config().project_id;
    let iss = match (&req.issuer, &req.issuer_form) {
        (Some(iss), _) => iss.clone(),
        (None, Some(form)) => IssuerForm::parse(form)
            .ok_or_else(|| ApiError::invalid_argument(format!("unknown issuerForm {form:?}")))?
            .issuer(project_id),
        (None, None) => emu.config().issuer_form.issuer(project_id),
    };
    let refresh = req.refresh.unwrap_or(false);
    let iat = req.issued_at.unwrap_or_else(now_secs);
    let exp = iat
        + req
            .expires_in
            .unwrap_or(if refresh { REFRESH_TTL } else { SESSION_TTL });

    let mut claims = {
        let store = emu.store();
        let user_id = store.resolve(req.login_id.as_deref(), req.user_id.as_deref())?;
        let user = store
            .user(&user_id)
            .ok_or_else(|| ApiError::user_not_found(&format!("user ID {user_id:?}")))?;
        if matches!(user.status, UserStatus::Disabled | UserStatus::Expired) {
            // Descope never lets a disabled or expired user log in.
            return Err(ApiError::invalid_argument(format!(
                "user {user_id} is {} and cannot get a session",
                user.status.as_str()
            )));
        }
        if let Some(tenant) = &req.tenant
            && !user.tenants.iter().any(|t| &t.tenant_id == tenant)
        {
            return Err(ApiError::invalid_argument(format!(
                "user {user_id} is not a member of tenant {tenant:?}"
            )));
        }
        let tenants: Map<String, Value> = user
            .tenants
            .iter()
            .map(|t| {
                let permissions = store.tenant_permissions(&t.tenant_id, &t.role_names);
                (
                    t.tenant_id.clone(),
                    json!({"roles": t.role_names, "permissions": permissions}),
                )
            })
            .collect();
        json!({
            "sub": user.user_id,
            "iss": iss,
            "drn": if refresh { "DSR" } else { "DS" },
            "iat": iat,
            "exp": exp,
            "amr": req.amr.clone().unwrap_or_else(|| vec!["pwd".to_owned()]),
            "roles": user.role_names,
            "permissions": store.project_permissions(&user.role_names),
            "tenants": tenants,
        })
    };
    if let Some(obj) = claims.as_object_mut() {
        if let Some(tenant) = &req.tenant {
            obj.insert("dct".to_owned(), json!(tenant));
        }
        if let Some(aud) = &req.audience {
            obj.insert("aud".to_owned(), aud.clone());
        }
        if let Some(custom) = &req.custom_claims {
            check_custom_claims(custom)?;
            obj.extend(custom.clone());
        }
    }

    let keys = emu.keys();
    let key = keys
        .signing_key()
        .ok_or_else(|| ApiError::invalid_argument("no signing key"))?;
    let token = key
        .sign(&claims)
        .map_err(|e| ApiError::invalid_argument(e.to_string()))?;
    let kid = key.kid().to_owned();
    drop(keys);
    // A new session (not a refresh token) is a sign-in, as the user's auth history shows it.
    if !refresh && let Some(sub) = claims.get("sub").and_then(Value::as_str) {
        emu.store().record_sign_in(sub, iat);
    }
    Ok(MintedSession { token, claims, kid })
}
