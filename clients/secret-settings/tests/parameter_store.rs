//! References to SSM parameters, read from moto (AWS's behaviour: `GetParameter` with
//! decryption returns a `SecureString` in clear, accepts the name or the ARN, and answers
//! `ParameterNotFound`).

use moto_harness::REGION;
use secret_settings::SecretError;

use crate::support::{ACCOUNT, Store, resolve};

#[tokio::test]
async fn a_secure_string_by_name_and_by_arn() {
    let store = Store::start();
    store
        .secure_parameter("/descope/management-key", "K2-management-key")
        .await;
    store.secure_parameter("/descope/hmac", "hmac-from-ssm").await;
    let arn = format!("arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/descope/hmac");

    let resolved = resolve(
        &["KEY", "HMAC"],
        &[("KEY_REF", "ssm:/descope/management-key"), ("HMAC_REF", &arn)],
        &store.moto.url,
    )
    .await
    .unwrap();
    assert_eq!(resolved.get("KEY"), Some("K2-management-key"));
    assert_eq!(resolved.get("HMAC"), Some("hmac-from-ssm"));
}

#[tokio::test]
async fn a_missing_parameter_is_named_with_its_reference() {
    let store = Store::start();
    let error = resolve(&["KEY"], &[("KEY_REF", "ssm:/descope/nothing")], &store.moto.url)
        .await
        .unwrap_err();
    let SecretError::NotFound { name, code, .. } = &error else {
        panic!("expected NotFound, got {error:?}")
    };
    assert_eq!((*name, code.as_str()), ("KEY", "ParameterNotFound"));
    assert!(error.to_string().contains("KEY_REF=ssm:/descope/nothing"), "{error}");
}
