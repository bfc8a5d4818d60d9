//! What the bridges need to call Cognito on an app client with a secret.

use aws_lc_rs::hmac;
use base64::{Engine as _, engine::general_purpose::STANDARD};

/// `SECRET_HASH = base64(HMAC-SHA256(client secret, username + client id))`, which Cognito
/// requires on `AdminInitiateAuth`/`InitiateAuth` when the app client has a secret.
pub fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, client_secret.as_bytes());
    let mut context = hmac::Context::with_key(&key);
    context.update(username.as_bytes());
    context.update(client_id.as_bytes());
    STANDARD.encode(context.sign().as_ref())
}
