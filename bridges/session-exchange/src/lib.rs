//! Session migration from Cognito to Descope, served on a Lambda function URL: an app that still
//! holds a Cognito session sends `{"refreshToken", "clientId"}` and gets a Descope session for the
//! same person, so nobody is logged out at the switch.
//!
//! [`State::handle`] answers in this order, and each step's failure has one answer:
//!
//! | step | failure | answer | the token's claim |
//! |---|---|---|---|
//! | 1. POST (OPTIONS: CORS preflight), `Origin` absent or one of the app's, body ≤ 16 KiB, `{"refreshToken", "clientId"[, "username"]}`, a configured client | any | 4xx refusal, nothing written or called | none |
//! | 2. claim the token: conditional write of its SHA-256 to DynamoDB | already claimed / DynamoDB down | 409 `already_used` / 503 `retry` | kept / none |
//! | 3. Cognito `InitiateAuth` `REFRESH_TOKEN_AUTH` | refused (invalid, expired, revoked, another client's or pool's) / throttled / other | 401 `invalid_token` / 503 `retry` / 500 `error` | released |
//! | 4. verify the ID token with `descope-jwt`'s Cognito rules (pool, this client, `token_use` `id`) | keys unavailable / refused | 503 `retry` / 401 `invalid_token` | released |
//! | 5. the one Descope user whose `cognitoSub` + `cognitoPoolId` are the token's | none or disabled / several / Descope down | 403 `not_migrated` / 500 `error` / 503 `retry` | released |
//! | 6. Descope management sign-in, refresh duration ≤ the client's refresh-token validity | throttled / other | 503 `retry` / 500 `error` | released |
//! | 7. Cognito `RevokeToken` | fails | still 200 with the session; logged as `revoke_failed` | kept |
//!
//! A claim is released whenever no Descope session was made, so the app may try again (after
//! the import for `not_migrated`) and made-up tokens leave no rows behind; only a token that was
//! exchanged stays claimed, and is never accepted again. The revocation comes last because the Descope session is what the user needs:
//! if it fails, the user is signed in to Descope and the claim still stops a second exchange, but
//! Cognito still honours the refresh token until it expires (the log line says so). Cognito access
//! and ID tokens already issued stay valid until they expire whatever happens here (revocation
//! stops refreshes; the authorizers' cutover mode accepts those tokens meanwhile).
//!
//! Tokens are [`Secret`]s: never in `Debug`, errors or logs.

pub mod cognito;
pub mod config;
pub mod request;
pub mod single_use;

use std::time::{SystemTime, UNIX_EPOCH};

use cognito::{AppClient, Cognito, Refreshed};
pub use config::{Config, SECRET_SETTINGS};
use descope_jwt::{IdentityProvider, TokenUse, Verifier, VerifyError};
use descope_management::{DescopeClient, DescopeError, RetryPolicy, Secret, wire::MgmtSignInOptions};
pub use request::{FunctionUrlRequest, FunctionUrlResponse, Refusal};
use serde_json::json;
use single_use::{Claim, ClaimError, SingleUse};

/// The custom attribute holding the Cognito `sub` (written by the importer).
pub const SUB_ATTRIBUTE: &str = "cognitoSub";
/// The custom attribute holding the Cognito pool ID (written by the importer).
pub const POOL_ATTRIBUTE: &str = "cognitoPoolId";

/// How an exchange ended (the `outcome` of the log line; the error label of the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A Descope session was made (and the Cognito token revoked).
    Exchanged,
    /// A Descope session was made but `RevokeToken` failed.
    RevokeFailed,
    /// The token was exchanged before (or an exchange of it is under way).
    AlreadyUsed,
    /// Cognito refused the refresh token, or its ID token did not verify.
    InvalidToken,
    /// No enabled Descope user carries the token's Cognito identity.
    NotMigrated,
    /// Throttled or unavailable: try again.
    Retry,
    /// A configuration problem: details in the log only.
    Error,
}

impl Outcome {
    /// The label in the log and, for failures, in `{"error": ...}`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Exchanged => "exchanged",
            Self::RevokeFailed => "revoke_failed",
            Self::AlreadyUsed => "already_used",
            Self::InvalidToken => "invalid_token",
            Self::NotMigrated => "not_migrated",
            Self::Retry => "retry",
            Self::Error => "error",
        }
    }

    fn status(self) -> u16 {
        match self {
            Self::Exchanged | Self::RevokeFailed => 200,
            Self::AlreadyUsed => 409,
            Self::InvalidToken => 401,
            Self::NotMigrated => 403,
            Self::Retry => 503,
            Self::Error => 500,
        }
    }

    /// Whether the claim is given back: whenever no session was made (see the crate docs). A
    /// refused token stays refused by Cognito, so giving it back costs nothing, and made-up
    /// tokens then leave no rows in the table.
    fn releases_claim(self) -> bool {
        matches!(self, Self::InvalidToken | Self::NotMigrated | Self::Retry | Self::Error)
    }
}

/// Everything built at cold start.
#[derive(Debug)]
pub struct State {
    config: Config,
    apps: Vec<AppClient>,
    cognito: Cognito,
    single_use: SingleUse,
    verifier: Verifier,
    descope: DescopeClient,
}

/// Why the state could not be built at cold start.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// An app client could not be read.
    #[error(transparent)]
    Cognito(#[from] cognito::SetupError),
    /// The verifier settings are inconsistent.
    #[error("the Cognito token verification settings: {0}")]
    Verifier(#[from] descope_jwt::ConfigError),
    /// The Descope client could not be built.
    #[error("the Descope client: {0}")]
    Descope(#[from] DescopeError),
}

/// The session the app stores (Descope's JWT response: what the client SDKs keep).
struct Session {
    session_jwt: Secret,
    refresh_jwt: Secret,
    cookie_expiration: i64,
    first_seen: bool,
    user_id: String,
    login_ids: Vec<String>,
}

/// Where an exchange got to.
struct Progress {
    outcome: Outcome,
    session: Option<Session>,
    sub: Option<String>,
}

impl Progress {
    fn ended(outcome: Outcome, sub: Option<String>) -> Self {
        Self {
            outcome,
            session: None,
            sub,
        }
    }
}

impl State {
    /// The state over these clients (the standard chain in production, moto in tests): reads each
    /// app client's secret and refresh-token validity once.
    pub async fn new(
        config: Config,
        cognito: aws_sdk_cognitoidentityprovider::Client,
        dynamodb: aws_sdk_dynamodb::Client,
    ) -> Result<Self, StateError> {
        let cognito = Cognito::new(cognito);
        let apps = cognito.app_clients(&config.user_pool_id, &config.client_ids).await?;
        let verifier = Verifier::new(config.verifier.clone())?;
        // The user waits on this request: `RetryPolicy::interactive`.
        let policy = RetryPolicy::interactive();
        let descope = DescopeClient::new(
            &config.descope_base_url,
            &config.descope_project_id,
            config.descope_management_key.expose(),
            policy,
        )?
        .with_user_agent(concat!("session-exchange/", env!("CARGO_PKG_VERSION")));
        Ok(Self {
            single_use: SingleUse::new(dynamodb, &config.table),
            config,
            apps,
            cognito,
            verifier,
            descope,
        })
    }

    /// Answers one invocation and logs one line (`session exchange`) with the outcome, the app
    /// client and, once known, the Cognito `sub` and Descope user ID; never a token.
    pub async fn handle(&self, request: FunctionUrlRequest) -> FunctionUrlResponse {
        let origin = match request::allowed_origin(&self.config, &request) {
            Ok(origin) => origin.map(str::to_owned),
            Err(refusal) => return refuse(refusal, None),
        };
        let origin = origin.as_deref();
        match request.request_context.http.method.as_str() {
            "POST" => {}
            "OPTIONS" => return FunctionUrlResponse::preflight(origin),
            _ => return refuse(Refusal::Method, origin),
        }
        let exchange = match request::parse(&request) {
            Ok(exchange) => exchange,
            Err(refusal) => return refuse(refusal, origin),
        };
        drop(request);
        let Some(app) = self.apps.iter().find(|app| app.id == exchange.client_id) else {
            return refuse(Refusal::UnknownClient, origin);
        };
        let username = exchange.username.as_deref().map(str::trim).filter(|u| !u.is_empty());
        if app.secret.is_some() && username.is_none() {
            return refuse(Refusal::UsernameRequired, origin);
        }

        let expires_at = now_secs().saturating_add(app.refresh_validity.as_secs());
        let claim = match self
            .single_use
            .claim(&exchange.refresh_token, &app.id, expires_at)
            .await
        {
            Ok(claim) => claim,
            Err(error) => {
                let outcome = match error {
                    ClaimError::AlreadyUsed => Outcome::AlreadyUsed,
                    ClaimError::Retry(_) => Outcome::Retry,
                    ClaimError::Failed(_) => Outcome::Error,
                };
                if outcome != Outcome::AlreadyUsed {
                    tracing::error!(%error, "the single-use table");
                }
                return self.answer(&Progress::ended(outcome, None), &app.id, origin);
            }
        };
        let progress = self.exchange(app, &exchange.refresh_token, username).await;
        if progress.outcome.releases_claim() {
            self.release(&claim).await;
        }
        self.answer(&progress, &app.id, origin)
    }

    /// Steps 3 to 7 (see the crate docs) for a claimed token.
    async fn exchange(&self, app: &AppClient, token: &Secret, username: Option<&str>) -> Progress {
        let id_token = match self.cognito.refresh(app, token, username).await {
            Refreshed::IdToken(id_token) => id_token,
            Refreshed::Refused(code) => {
                tracing::info!(code, "Cognito refused the refresh token");
                return Progress::ended(Outcome::InvalidToken, None);
            }
            Refreshed::Retry(detail) => {
                tracing::warn!(%detail, "Cognito throttled or failed");
                return Progress::ended(Outcome::Retry, None);
            }
            Refreshed::Failed(detail) => {
                tracing::error!(%detail, "Cognito refused the refresh: check the app client settings");
                return Progress::ended(Outcome::Error, None);
            }
        };
        let sub = match self.cognito_sub(&id_token, app).await {
            Ok(sub) => sub,
            Err(outcome) => return Progress::ended(outcome, None),
        };
        let sub_ref = Some(sub.clone());
        let pairs = [
            (SUB_ATTRIBUTE, sub.as_str()),
            (POOL_ATTRIBUTE, self.config.user_pool_id.as_str()),
        ];
        let owners = match self.descope.users_with_custom_text(&pairs, 2).await {
            Ok(owners) => owners,
            Err(error) => return Progress::ended(outcome_of_descope(&error, "search"), sub_ref),
        };
        let user = match owners.as_slice() {
            [user] if user.status != "disabled" => user,
            [] | [_] => {
                tracing::info!(%sub, "no enabled Descope user carries this Cognito identity");
                return Progress::ended(Outcome::NotMigrated, sub_ref);
            }
            _ => {
                tracing::error!(%sub, "several Descope users carry this Cognito identity; no session made");
                return Progress::ended(Outcome::Error, sub_ref);
            }
        };
        let Some(login_id) = user.login_ids.first() else {
            tracing::error!(%sub, "the Descope user of this identity has no login ID");
            return Progress::ended(Outcome::Error, sub_ref);
        };
        let options = MgmtSignInOptions {
            refresh_duration_secs: self.refresh_duration(app),
            ..MgmtSignInOptions::default()
        };
        let signed_in = match self.descope.sign_in(login_id, &options).await {
            Ok(signed_in) => signed_in,
            Err(error) => return Progress::ended(outcome_of_descope(&error, "sign-in"), sub_ref),
        };
        let outcome = match self.cognito.revoke(app, token).await {
            Ok(()) => Outcome::Exchanged,
            Err(detail) => {
                tracing::warn!(%detail, %sub, "the Descope session was made but the Cognito refresh token was not revoked: it stays valid in Cognito until it expires");
                Outcome::RevokeFailed
            }
        };
        Progress {
            outcome,
            session: Some(Session {
                session_jwt: signed_in.session_jwt,
                refresh_jwt: signed_in.refresh_jwt,
                cookie_expiration: signed_in.cookie_expiration,
                first_seen: signed_in.first_seen,
                user_id: user.user_id.clone(),
                login_ids: user.login_ids.clone(),
            }),
            sub: sub_ref,
        }
    }

    /// The `sub` of the ID token Cognito just issued, once it verifies as an ID token of this
    /// pool and this app client.
    async fn cognito_sub(&self, id_token: &Secret, app: &AppClient) -> Result<String, Outcome> {
        let claims = match self.verifier.verify(id_token.expose()).await {
            Ok(claims) => claims,
            Err(error @ (VerifyError::KeySetUnavailable { .. } | VerifyError::PenaltyWindow { .. })) => {
                tracing::warn!(%error, "Cognito's signing keys are unavailable");
                return Err(Outcome::Retry);
            }
            Err(error) => {
                tracing::warn!(%error, "the ID token Cognito returned does not verify");
                return Err(Outcome::InvalidToken);
            }
        };
        match &claims.provider {
            IdentityProvider::Cognito(identity)
                if identity.token_use == TokenUse::Id
                    && identity.user_pool_id == self.config.user_pool_id
                    && identity.client_id == app.id =>
            {
                Ok(claims.subject)
            }
            _ => {
                tracing::warn!("the token Cognito returned is not an ID token of this pool and app client");
                Err(Outcome::InvalidToken)
            }
        }
    }

    /// The client's refresh-token validity, or the configured cap when shorter.
    fn refresh_duration(&self, app: &AppClient) -> Option<std::num::NonZeroU32> {
        let limit = self
            .config
            .max_refresh
            .map_or(app.refresh_validity, |cap| cap.min(app.refresh_validity));
        std::num::NonZeroU32::new(u32::try_from(limit.as_secs()).unwrap_or(u32::MAX))
    }

    async fn release(&self, claim: &Claim) {
        if let Err(detail) = self.single_use.release(claim).await {
            // The token stays claimed: the app gets the same answer, but a retry is refused.
            tracing::warn!(%detail, "the claim could not be released");
        }
    }

    fn answer(&self, progress: &Progress, client_id: &str, origin: Option<&str>) -> FunctionUrlResponse {
        let outcome = progress.outcome;
        let user_id = progress.session.as_ref().map(|session| session.user_id.as_str());
        tracing::info!(
            outcome = outcome.label(),
            client_id,
            sub = progress.sub.as_deref(),
            user_id,
            "session exchange"
        );
        match &progress.session {
            Some(session) => FunctionUrlResponse::json(
                outcome.status(),
                &json!({
                    "sessionJwt": session.session_jwt,
                    "refreshJwt": session.refresh_jwt,
                    "cookieExpiration": session.cookie_expiration,
                    "firstSeen": session.first_seen,
                    "user": {"userId": session.user_id, "loginIds": session.login_ids},
                }),
                origin,
            ),
            None => FunctionUrlResponse::error(outcome.status(), outcome.label(), origin),
        }
    }
}

fn refuse(refusal: Refusal, origin: Option<&str>) -> FunctionUrlResponse {
    tracing::warn!(refused = refusal.label(), reason = %refusal, "session exchange");
    FunctionUrlResponse::error(refusal.status(), refusal.label(), origin)
}

/// What a failed Descope call means here.
fn outcome_of_descope(error: &DescopeError, call: &str) -> Outcome {
    let outcome = match error {
        DescopeError::Api { status: 429, .. } | DescopeError::Exhausted { .. } => Outcome::Retry,
        // The user was disabled or deleted between the search and the sign-in.
        DescopeError::Api { status: 400, code, .. }
            if call == "sign-in" && (code == descope_management::USER_NOT_FOUND || code == USER_DISABLED) =>
        {
            Outcome::NotMigrated
        }
        _ => Outcome::Error,
    };
    // DescopeError never carries a token (descope-management's invariant).
    tracing::warn!(call, error = %error, "Descope call failed");
    outcome
}

/// Descope's code for a disabled user refused a sign-in (the emulator's reading; unconfirmed).
const USER_DISABLED: &str = "E011002";

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
