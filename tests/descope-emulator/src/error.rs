//! Descope's error body and the error codes the emulator answers with.
//!
//! Every refusal leaves the emulator as `{"errorCode", "errorDescription", "errorMessage"}`, the
//! shape the official SDKs parse (go-sdk `descope/errors.go`). Codes come from go-sdk's list; where
//! Descope's exact code for a case is unknown the README's "Fidelity notes" say which one we chose.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

/// Error codes used by the emulator (names follow go-sdk `descope/errors.go`).
pub mod codes {
    /// Malformed request (unparseable JSON, wrong JSON types).
    pub const BAD_REQUEST: &str = "E011001";
    /// An argument has an invalid value (unknown role or tenant, bad status, negative page...).
    ///
    /// go-sdk names E011002 `ErrInvalidArguments`; the shared reference lists it the other way
    /// round (E011002 missing, E011004 invalid). We follow the SDK source.
    pub const INVALID_ARGUMENTS: &str = "E011002";
    /// Validation failure: custom attribute not defined or of the wrong type; bad management key.
    pub const VALIDATION_FAILURE: &str = "E011003";
    /// A required argument is missing (go-sdk `ErrMissingArguments`).
    pub const MISSING_ARGUMENTS: &str = "E011004";
    /// Password sign-in refused: unknown login ID, no password, wrong password or a user who may
    /// not sign in. Unconfirmed: no SDK source names Descope's code for it (see the README).
    pub const INVALID_CREDENTIALS: &str = "E062901";
    /// The password is expired or temporary and must be replaced (go-sdk `ErrPasswordExpired`).
    pub const PASSWORD_EXPIRED: &str = "E062909";
    /// A login ID is already taken by another user.
    pub const USER_ALREADY_EXISTS: &str = "E062107";
    /// No user with the given login ID or user ID.
    pub const USER_NOT_FOUND: &str = "E112102";
    /// Rate limit exceeded (HTTP 429 with `Retry-After`).
    pub const RATE_LIMIT_EXCEEDED: &str = "E130429";
}

/// A refusal in Descope's wire format, with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[{code}] {description}: {message}")]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: StatusCode,
    /// Descope error code, e.g. `E062107`.
    pub code: &'static str,
    /// Short description of the error class.
    pub description: String,
    /// Detail about this occurrence.
    pub message: String,
}

/// The JSON body Descope sends with an error.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody<'a> {
    /// Error code.
    pub error_code: &'a str,
    /// Error class description.
    pub error_description: &'a str,
    /// Detail.
    pub error_message: &'a str,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, description: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.to_owned(),
            message: message.into(),
        }
    }

    /// 400 E011001: the body could not be parsed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, "Bad request", message)
    }

    /// 400 E011002: an argument has an invalid value.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_ARGUMENTS,
            "Invalid argument",
            message,
        )
    }

    /// 400 E011004: a required argument is missing.
    pub fn missing_argument(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            codes::MISSING_ARGUMENTS,
            "Missing argument",
            format!("{name} is required"),
        )
    }

    /// 400 E011003: a value failed validation (custom attributes).
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            codes::VALIDATION_FAILURE,
            "Request is invalid",
            message,
        )
    }

    /// 401: missing or wrong `Authorization: Bearer <projectId>:<managementKey>`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            codes::VALIDATION_FAILURE,
            "Unauthorized access",
            message,
        )
    }

    /// 401 E062901 (unconfirmed code): a password sign-in refused. One answer for an unknown login
    /// ID, a user without a password, a wrong password and a disabled user, so the answer does
    /// not tell which login IDs exist.
    pub fn invalid_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            codes::INVALID_CREDENTIALS,
            "Invalid credentials",
            "the login ID or the password is wrong",
        )
    }

    /// 401 E062909: the password is expired (or temporary) and must be replaced first.
    pub fn password_expired() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            codes::PASSWORD_EXPIRED,
            "Password expired",
            "the password has expired and must be replaced (password reset or replace)",
        )
    }

    /// 400 E062107: the login ID belongs to another user.
    pub fn user_exists(login_id: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            codes::USER_ALREADY_EXISTS,
            "User already exists",
            format!("login ID {login_id:?} is already used by another user"),
        )
    }

    /// 400 E112102: no such user.
    pub fn user_not_found(what: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            codes::USER_NOT_FOUND,
            "User not found",
            format!("no user with {what}"),
        )
    }

    /// 404 for paths the emulator does not serve.
    pub fn not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            codes::BAD_REQUEST,
            "Not found",
            format!("{path} is not served by the Descope emulator"),
        )
    }

    /// 429 E130429; the `Retry-After` header is added by [`rate_limited_response`].
    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            codes::RATE_LIMIT_EXCEEDED,
            "Rate limit exceeded",
            "too many requests, retry after the time given in the Retry-After header",
        )
    }

    /// The `[code] description: message` line go-sdk prints, used in batch `failure` strings.
    pub fn failure_line(&self) -> String {
        self.to_string()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error_code: self.code,
            error_description: &self.description,
            error_message: &self.message,
        };
        (self.status, axum::Json(body)).into_response()
    }
}

/// A 429 answer with `Retry-After` (whole seconds, rounded up) and the exact wait in
/// `x-emulator-retry-after-ms` (emulator-only, for tests running with a time scale).
pub fn rate_limited_response(retry_after: std::time::Duration) -> Response {
    let mut response = ApiError::rate_limited().into_response();
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    headers.insert(
        "x-emulator-retry-after-ms",
        HeaderValue::from(u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX)),
    );
    response
}
