//! What is refused: plain text in a deployed function, both forms at once, a reference that is
//! not one (all before any AWS call, counted at a stand-in in front of moto), and a role that may
//! not read the secret (the stand-in's answer: moto does not enforce IAM).

use moto_harness::{Canned, StandIn};
use secret_settings::{ALLOW_SECRETS_IN_ENVIRONMENT, LAMBDA_MARKER, SecretError};

use crate::support::{Store, names_variable_not_values, resolve};

#[tokio::test]
async fn plaintext_is_refused_in_lambda_unless_allowed() {
    let store = Store::start();
    let stand_in = StandIn::builder(&store.moto.url).start();
    let arn = store.secret("descope/key", "key-value").await;

    // Deployed (Lambda sets AWS_LAMBDA_FUNCTION_NAME): the plain HMAC is refused, although the
    // other setting is a proper reference.
    let deployed = [
        (LAMBDA_MARKER, "password-check"),
        ("HMAC", "plain-hmac"),
        ("KEY_REF", arn.as_str()),
    ];
    let error = resolve(&["HMAC", "KEY"], &deployed, &stand_in.url).await.unwrap_err();
    assert!(
        matches!(error, SecretError::PlaintextRefused { name: "HMAC" }),
        "{error:?}"
    );
    let message = names_variable_not_values(&error, "HMAC_REF", &["plain-hmac"]);
    assert!(message.contains(ALLOW_SECRETS_IN_ENVIRONMENT), "{message}");
    assert!(stand_in.requests().is_empty(), "refused after calling AWS");

    // With the flag, the plain value stays in the environment and the reference is read.
    let allowed = [
        (LAMBDA_MARKER, "password-check"),
        ("HMAC", "plain-hmac"),
        ("KEY_REF", arn.as_str()),
        (ALLOW_SECRETS_IN_ENVIRONMENT, "true"),
    ];
    let resolved = resolve(&["HMAC", "KEY"], &allowed, &stand_in.url).await.unwrap();
    assert_eq!(resolved.get("HMAC"), None);
    assert_eq!(resolved.get("KEY"), Some("key-value"));
    assert_eq!(
        resolved.overlay(crate::support::env(&allowed))("HMAC").as_deref(),
        Some("plain-hmac")
    );

    // A local run (no AWS_LAMBDA_FUNCTION_NAME) needs no flag.
    assert!(
        resolve(&["HMAC"], &[("HMAC", "plain-hmac")], &stand_in.url)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn both_forms_or_an_unknown_reference_stop_before_any_call() {
    let store = Store::start();
    let stand_in = StandIn::builder(&store.moto.url).start();
    let arn = store.secret("descope/key", "key-value").await;

    let both = [("KEY", "key-value"), ("KEY_REF", arn.as_str())];
    let error = resolve(&["KEY"], &both, &stand_in.url).await.unwrap_err();
    assert!(matches!(error, SecretError::BothGiven { name: "KEY" }), "{error:?}");
    names_variable_not_values(&error, "KEY_REF", &["key-value"]);

    // A secret pasted where its reference belongs: refused without repeating it.
    let pasted = [("KEY_REF", arn.as_str()), ("HMAC_REF", "pasted-hmac-value")];
    let error = resolve(&["KEY", "HMAC"], &pasted, &stand_in.url).await.unwrap_err();
    assert!(
        matches!(error, SecretError::UnknownReference { name: "HMAC", .. }),
        "{error:?}"
    );
    names_variable_not_values(&error, "HMAC_REF", &["pasted-hmac-value"]);

    // An ARN of another service: shown, since an ARN is no secret.
    let s3 = "arn:aws:s3:::bucket/hmac";
    let error = resolve(&["HMAC"], &[("HMAC_REF", s3)], &stand_in.url)
        .await
        .unwrap_err();
    assert!(error.to_string().contains(s3), "{error}");
    assert!(stand_in.requests().is_empty(), "refused after calling AWS");
}

#[tokio::test]
async fn access_denied_names_the_permission() {
    // The stand-in answers GetSecretValue as AWS does for a role without the permission (moto
    // does not enforce IAM): HTTP 400 AccessDeniedException.
    let store = Store::start();
    let arn = store.secret("descope/key", "key-value").await;
    let stand_in = StandIn::builder(&store.moto.url)
        .on("secretsmanager.GetSecretValue", |_| {
            Some(Canned::error(
                400,
                "AccessDeniedException",
                "User: arn:aws:sts::123456789012:assumed-role/fn/fn is not authorized to perform: secretsmanager:GetSecretValue",
            ))
        })
        .start();
    let error = resolve(&["KEY"], &[("KEY_REF", &arn)], &stand_in.url)
        .await
        .unwrap_err();
    assert!(
        matches!(error, SecretError::AccessDenied { name: "KEY", .. }),
        "{error:?}"
    );
    let message = names_variable_not_values(&error, "KEY_REF", &["key-value"]);
    assert!(
        message.contains("secretsmanager:GetSecretValue") && message.contains(&arn),
        "{message}"
    );
}
