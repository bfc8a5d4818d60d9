//! The function URL wire (payload format 2.0): the request the app sends, the checks made before
//! anything is written or called, and the response with its CORS headers.

use std::collections::{BTreeMap, HashMap};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use descope_management::Secret;
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// Largest raw body accepted, in bytes (a Cognito refresh token is about 1.8 KB).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The members of a function URL event this function reads. The body carries the refresh token,
/// so it goes straight into a [`Secret`].
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FunctionUrlRequest {
    /// Request headers; function URLs send the names in lower case.
    pub headers: HashMap<String, String>,
    /// The body as text, or base64 when `is_base64_encoded`.
    pub body: Option<Secret>,
    /// Whether `body` is base64.
    pub is_base64_encoded: bool,
    /// `requestContext.http.method` is all that is read of the context.
    pub request_context: RequestContext,
}

/// `requestContext` of a function URL event.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestContext {
    /// `http`.
    pub http: Http,
}

/// `requestContext.http`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Http {
    /// The HTTP method.
    pub method: String,
}

impl FunctionUrlRequest {
    /// A header's value, the name compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the app sends.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExchangeRequest {
    /// The Cognito refresh token the app holds.
    pub refresh_token: Secret,
    /// The app client it was issued to.
    pub client_id: String,
    /// The Cognito username: needed only for app clients with a secret (`SECRET_HASH`); who the
    /// user is comes from Cognito's ID token, never from this.
    #[serde(default)]
    pub username: Option<String>,
}

/// Why a request was refused before anything was written or called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A method other than POST (or OPTIONS).
    #[error("only POST is served")]
    Method,
    /// A browser request from an origin not in `SESSION_EXCHANGE_ALLOWED_ORIGINS`.
    #[error("the Origin is not one of the app's origins")]
    Origin,
    /// The body is larger than [`MAX_BODY_BYTES`].
    #[error("the body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// The body is not `{"refreshToken", "clientId"[, "username"]}` JSON, or a field is empty.
    #[error("the body is not {{\"refreshToken\", \"clientId\"}} JSON")]
    Malformed,
    /// The client ID is not one of `COGNITO_CLIENT_IDS`.
    #[error("the client ID is not one of the app clients this function exchanges for")]
    UnknownClient,
    /// The app client has a secret and the request names no username for `SECRET_HASH`.
    #[error("this app client has a secret: send the Cognito username too")]
    UsernameRequired,
}

impl Refusal {
    /// The value of `error` in the answer.
    pub fn label(self) -> &'static str {
        match self {
            Self::Method => "method_not_allowed",
            Self::Origin => "origin_not_allowed",
            Self::TooLarge => "too_large",
            Self::Malformed => "bad_request",
            Self::UnknownClient => "unknown_client",
            Self::UsernameRequired => "username_required",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            Self::Method => 405,
            Self::Origin => 403,
            Self::TooLarge => 413,
            Self::Malformed | Self::UnknownClient | Self::UsernameRequired => 400,
        }
    }
}

/// The `Origin` of a browser request when it is one of the app's (CORS headers echo it);
/// `Ok(None)` for a request without one (a native app); a foreign origin is refused.
pub fn allowed_origin<'a>(config: &Config, request: &'a FunctionUrlRequest) -> Result<Option<&'a str>, Refusal> {
    match request.header("origin") {
        None => Ok(None),
        Some(origin) if config.allowed_origins.iter().any(|allowed| allowed == origin) => Ok(Some(origin)),
        Some(_) => Err(Refusal::Origin),
    }
}

/// The body, size-checked and decoded, then parsed.
pub fn parse(request: &FunctionUrlRequest) -> Result<ExchangeRequest, Refusal> {
    let raw = request.body.as_ref().map_or("", Secret::expose);
    if raw.len() > MAX_BODY_BYTES * 4 / 3 + 4 {
        return Err(Refusal::TooLarge);
    }
    let decoded = if request.is_base64_encoded {
        Secret::from(
            String::from_utf8(STANDARD.decode(raw).map_err(|_| Refusal::Malformed)?).map_err(|_| Refusal::Malformed)?,
        )
    } else {
        Secret::from(raw)
    };
    if decoded.expose().len() > MAX_BODY_BYTES {
        return Err(Refusal::TooLarge);
    }
    let exchange: ExchangeRequest = serde_json::from_str(decoded.expose()).map_err(|_| Refusal::Malformed)?;
    if exchange.refresh_token.is_empty() || exchange.client_id.trim().is_empty() {
        return Err(Refusal::Malformed);
    }
    Ok(exchange)
}

/// The function URL response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionUrlResponse {
    /// HTTP status.
    pub status_code: u16,
    /// Response headers.
    pub headers: BTreeMap<&'static str, String>,
    /// JSON text (empty for a preflight).
    pub body: String,
}

impl FunctionUrlResponse {
    /// A JSON answer; never cached (it may carry a session); CORS headers when the request came
    /// from one of the app's origins.
    pub fn json(status_code: u16, body: &serde_json::Value, origin: Option<&str>) -> Self {
        let mut headers = BTreeMap::from([
            ("content-type", "application/json".to_owned()),
            ("cache-control", "no-store".to_owned()),
        ]);
        add_cors(&mut headers, origin);
        Self {
            status_code,
            headers,
            body: body.to_string(),
        }
    }

    /// `{"error": label}`.
    pub fn error(status_code: u16, label: &str, origin: Option<&str>) -> Self {
        Self::json(status_code, &serde_json::json!({ "error": label }), origin)
    }

    /// The answer to a CORS preflight from one of the app's origins.
    pub fn preflight(origin: Option<&str>) -> Self {
        let mut headers = BTreeMap::from([
            ("access-control-allow-methods", "POST".to_owned()),
            ("access-control-allow-headers", "content-type".to_owned()),
            ("access-control-max-age", "600".to_owned()),
        ]);
        add_cors(&mut headers, origin);
        Self {
            status_code: 204,
            headers,
            body: String::new(),
        }
    }
}

fn add_cors(headers: &mut BTreeMap<&'static str, String>, origin: Option<&str>) {
    if let Some(origin) = origin {
        headers.insert("access-control-allow-origin", origin.to_owned());
        headers.insert("vary", "origin".to_owned());
    }
}
