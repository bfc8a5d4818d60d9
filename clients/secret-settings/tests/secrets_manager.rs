//! References to Secrets Manager secrets, read from moto (AWS's behaviour: `GetSecretValue`,
//! `ResourceNotFoundException`; moto keeps each region's secrets apart as AWS does).

use moto_harness::REGION;
use secret_settings::{LAMBDA_MARKER, SecretError};

use crate::support::{ACCOUNT, Store, env, names_variable_not_values, resolve};

#[tokio::test]
async fn a_secret_string_overlays_the_environment_under_the_plain_name() {
    let store = Store::start();
    // A value written from a file (`--secret-string file://...`) often ends in a newline; the
    // environment reader trims values, and so does this.
    let arn = store.secret("descope/hmac", "connector-hmac-secret\n").await;
    let pairs = [
        (LAMBDA_MARKER, "password-check"),
        ("HMAC_REF", arn.as_str()),
        ("COGNITO_USER_POOL_ID", "us-east-1_abc"),
    ];
    let resolved = resolve(&["HMAC", "KEY"], &pairs, &store.moto.url).await.unwrap();

    assert_eq!(resolved.get("HMAC"), Some("connector-hmac-secret"));
    assert_eq!(resolved.names().collect::<Vec<_>>(), ["HMAC"]);
    let lookup = resolved.overlay(env(&pairs));
    assert_eq!(lookup("HMAC").as_deref(), Some("connector-hmac-secret"));
    assert_eq!(lookup("COGNITO_USER_POOL_ID").as_deref(), Some("us-east-1_abc"));
    assert_eq!(lookup("KEY"), None, "a setting set nowhere stays unset");
    assert!(
        !format!("{resolved:?}").contains("connector-hmac-secret"),
        "{resolved:?}"
    );
}

#[tokio::test]
async fn json_fields_of_one_secret_and_what_a_field_cannot_be() {
    let store = Store::start();
    let json = r#"{"hmac": "h-value", "managementKey": "k-value", "port": 8080}"#;
    let arn = store.secret("descope/password-check", json).await;
    let plain = store.secret("descope/plain", "not-json-value").await;
    let hmac = format!("{arn}#hmac");
    let key = format!("{arn}#managementKey");

    let resolved = resolve(
        &["HMAC", "KEY"],
        &[("HMAC_REF", &hmac), ("KEY_REF", &key)],
        &store.moto.url,
    )
    .await
    .unwrap();
    assert_eq!(resolved.get("HMAC"), Some("h-value"));
    assert_eq!(resolved.get("KEY"), Some("k-value"));

    let values = ["h-value", "k-value", "not-json-value"];
    let missing = format!("{arn}#bearer");
    let error = resolve(&["B"], &[("B_REF", &missing)], &store.moto.url)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SecretError::NoSuchField { field, .. } if field == "bearer"),
        "{error:?}"
    );
    let message = names_variable_not_values(&error, "B_REF", &values);
    assert!(message.contains(&missing), "{message}");

    let number = format!("{arn}#port");
    let error = resolve(&["B"], &[("B_REF", &number)], &store.moto.url)
        .await
        .unwrap_err();
    assert!(matches!(error, SecretError::FieldNotString { .. }), "{error:?}");
    names_variable_not_values(&error, "B_REF", &values);

    let not_json = format!("{plain}#hmac");
    let error = resolve(&["B"], &[("B_REF", &not_json)], &store.moto.url)
        .await
        .unwrap_err();
    assert!(matches!(error, SecretError::NotJson { .. }), "{error:?}");
    names_variable_not_values(&error, "B_REF", &values);
}

#[tokio::test]
async fn a_missing_secret_is_named_with_its_reference() {
    let store = Store::start();
    let arn = format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:descope/nothing-AbCdEf");
    let error = resolve(&["KEY"], &[("KEY_REF", &arn)], &store.moto.url)
        .await
        .unwrap_err();
    let SecretError::NotFound { name, code, .. } = &error else {
        panic!("expected NotFound, got {error:?}")
    };
    assert_eq!((*name, code.as_str()), ("KEY", "ResourceNotFoundException"));
    let message = error.to_string();
    assert!(message.contains("KEY_REF") && message.contains(&arn), "{message}");
}

#[tokio::test]
async fn the_region_the_arn_names_is_where_the_secret_is_read() {
    // The function runs in us-east-1 (its SDK configuration); the secret lives in eu-west-1,
    // which moto, like AWS, keeps apart: read from us-east-1 it does not exist.
    let store = Store::start();
    let arn = store.secret_in("eu-west-1", "descope/hmac", "eu-value").await;
    assert!(arn.contains(":eu-west-1:"), "{arn}");
    let resolved = resolve(&["HMAC"], &[("HMAC_REF", &arn)], &store.moto.url)
        .await
        .unwrap();
    assert_eq!(resolved.get("HMAC"), Some("eu-value"));
    let elsewhere = store.secrets_in(REGION).get_secret_value().secret_id(&arn).send().await;
    assert!(elsewhere.is_err(), "moto served another region's secret");
}

#[tokio::test]
async fn binary_and_blank_secrets_are_refused() {
    let store = Store::start();
    let binary = store.binary_secret("descope/binary").await;
    let error = resolve(&["KEY"], &[("KEY_REF", &binary)], &store.moto.url)
        .await
        .unwrap_err();
    assert!(matches!(error, SecretError::Binary { name: "KEY", .. }), "{error:?}");

    let blank = store.secret("descope/blank", "  \n").await;
    let error = resolve(&["KEY"], &[("KEY_REF", &blank)], &store.moto.url)
        .await
        .unwrap_err();
    assert!(matches!(error, SecretError::Empty { name: "KEY", .. }), "{error:?}");
    assert!(error.to_string().contains("KEY_REF"), "{error}");
}
