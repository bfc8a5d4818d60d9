//! Signing keys, the JWKS endpoints and key rotation.
//!
//! The newest key signs; older keys stay published until removed, like a real rotation where
//! tokens signed before it must keep validating.

use axum::{
    Json,
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use descope_jwt::testing::{self, TestKey};
use serde_json::{Value, json};

use crate::{Emulator, config::KeyAlg, emulator::EmulatorError, error::ApiError, state::random_id};

/// The published keys; the last one signs.
#[derive(Debug)]
pub struct KeyRing {
    alg: KeyAlg,
    keys: Vec<TestKey>,
}

fn new_key(alg: KeyAlg) -> Result<TestKey, testing::TestKeyError> {
    // Descope kids are opaque strings; ours look like the other IDs.
    let kid = random_id("K2");
    match alg {
        KeyAlg::Rs256 => TestKey::rs256(kid),
        KeyAlg::Es384 => TestKey::es384(kid),
    }
}

impl KeyRing {
    /// One fresh key.
    pub fn new(alg: KeyAlg) -> Result<Self, testing::TestKeyError> {
        Ok(Self {
            alg,
            keys: vec![new_key(alg)?],
        })
    }

    /// The key that signs new tokens.
    pub fn signing_key(&self) -> Option<&TestKey> {
        self.keys.last()
    }

    /// Published kids, oldest first.
    pub fn kids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.kid().to_owned()).collect()
    }

    /// `{"keys": [...]}`.
    pub fn jwks(&self) -> Value {
        testing::jwks(&self.keys.iter().collect::<Vec<_>>())
    }

    /// Adds a signing key; with `drop_old` the previous ones are unpublished at once.
    pub fn rotate(&mut self, drop_old: bool) -> Result<String, EmulatorError> {
        let key = new_key(self.alg)?;
        let kid = key.kid().to_owned();
        if drop_old {
            self.keys.clear();
        }
        self.keys.push(key);
        Ok(kid)
    }

    /// Unpublishes an old key.
    pub fn remove(&mut self, kid: &str) -> Result<(), EmulatorError> {
        if self.signing_key().is_some_and(|k| k.kid() == kid) {
            return Err(EmulatorError::KeyRemoval(format!(
                "{kid} is the current signing key; rotate first"
            )));
        }
        let before = self.keys.len();
        self.keys.retain(|k| k.kid() != kid);
        if self.keys.len() == before {
            return Err(EmulatorError::KeyRemoval(format!("no published key {kid}")));
        }
        Ok(())
    }
}

fn check_project(emu: &Emulator, project_id: &str) -> Result<(), ApiError> {
    if project_id == emu.config().project_id {
        Ok(())
    } else {
        Err(ApiError::invalid_argument(format!("unknown project {project_id:?}")))
    }
}

/// `GET /v2/keys/{projectId}` and `GET /{projectId}/.well-known/jwks.json`: `{"keys": [...]}`.
/// No authentication, as in Descope.
pub async fn jwks(State(emu): State<Emulator>, Path(project_id): Path<String>) -> Response {
    match check_project(&emu, &project_id) {
        Ok(()) => Json(emu.jwks()).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /v1/keys/{projectId}`: the same keys as a bare array.
pub async fn jwks_v1(State(emu): State<Emulator>, Path(project_id): Path<String>) -> Response {
    match check_project(&emu, &project_id) {
        Ok(()) => {
            let keys = emu.jwks().get("keys").cloned().unwrap_or_else(|| json!([]));
            Json(keys).into_response()
        }
        Err(e) => e.into_response(),
    }
}
