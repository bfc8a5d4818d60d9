//! The connector's signature: `x-descope-webhook-s256` = base64(HMAC-SHA256(secret, raw body)),
//! the reading of Descope's Node validation example. Pinned against two computations the crate
//! does not make: `openssl` run now, and RFC 4231's published HMAC-SHA256 test case 2.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use password_check::{
    Refusal,
    request::{authenticate_and_parse, signature},
};
use serde_json::json;

use crate::support::{HMAC_SECRET, config, event, request, signed};

fn settings() -> password_check::Config {
    config(&[
        ("PASSWORD_CHECK_HMAC_SECRET", HMAC_SECRET.to_owned()),
        ("COGNITO_USER_POOL_ID", "us-east-1_abc".to_owned()),
        ("COGNITO_CLIENT_ID", "client".to_owned()),
        ("DESCOPE_PROJECT_ID", "P2x".to_owned()),
        ("DESCOPE_MANAGEMENT_KEY", "K2x".to_owned()),
    ])
}

#[test]
fn the_signature_is_base64_of_hmac_sha256_over_the_raw_body() {
    // RFC 4231, test case 2 (key "Jefe"): HMAC-SHA256 = 5bdcc146...64ec3843, here in base64.
    assert_eq!(
        signature(b"Jefe", b"what do ya want for nothing?"),
        "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
    );
    // Descope's Node example: crypto.createHmac('sha256', secret).update(rawBody).digest('base64').
    let body = json!({"loginId": "ana@example.com", "password": "S3cret-pässword"}).to_string();
    let expected = crate::support::openssl_hmac(HMAC_SECRET, body.as_bytes());
    assert_eq!(signature(HMAC_SECRET.as_bytes(), body.as_bytes()), expected);
    let header = [("x-descope-webhook-s256", expected.as_str())];
    let parsed = authenticate_and_parse(&settings(), &request(event(&body, &header, false))).unwrap();
    assert_eq!(parsed.login_id, "ana@example.com");
    assert_eq!(parsed.password.expose(), "S3cret-pässword");
}

#[test]
fn a_base64_encoded_event_body_is_verified_over_its_decoded_bytes() {
    // Function URLs base64-encode bodies they do not take for text: the signed bytes are the
    // decoded ones, what Descope sent.
    let body = json!({"loginId": "ana", "password": "pw"}).to_string();
    let header = [(
        "x-descope-webhook-s256",
        crate::support::openssl_hmac(HMAC_SECRET, body.as_bytes()),
    )];
    let header: Vec<(&str, &str)> = header.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(authenticate_and_parse(&settings(), &request(event(&body, &header, true))).is_ok());
}

#[test]
fn the_unconfirmed_reading_signing_the_base64_of_the_body_is_refused() {
    // The settings page's "signs the base64 encoded payload", read as HMAC over base64(body):
    // not what the function implements, so such a signature does not pass.
    let body = json!({"loginId": "ana", "password": "pw"}).to_string();
    let other = crate::support::openssl_hmac(HMAC_SECRET, STANDARD.encode(&body).as_bytes());
    let header = [("x-descope-webhook-s256", other.as_str())];
    assert_eq!(
        authenticate_and_parse(&settings(), &request(event(&body, &header, false))).unwrap_err(),
        Refusal::BadSignature
    );
    // The same body signed as implemented passes.
    assert!(authenticate_and_parse(&settings(), &request(signed(&body))).is_ok());
}
