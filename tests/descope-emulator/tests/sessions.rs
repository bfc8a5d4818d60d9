//! JWKS, session tokens in Descope's format, and key rotation. Tokens are verified with
//! jsonwebtoken against the JWKS the emulator serves, as an authorizer would.

use crate::common::{Harness, PROJECT, start, start_with};
use descope_emulator::{EmulatorConfig, KeyAlg};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use reqwest::Method;
use serde_json::{Value, json};

async fn jwks(h: &Harness, path: &str) -> JwkSet {
    serde_json::from_value(h.get(path).await.ok()).unwrap()
}

async fn mint(h: &Harness, body: Value) -> crate::common::Answer {
    h.send(Method::POST, "/emulator/session", body, None).await
}

/// Verifies signature and expiry with the key the JWKS publishes under the token's kid.
fn verify(set: &JwkSet, token: &str) -> Result<Value, jsonwebtoken::errors::Error> {
    let header = jsonwebtoken::decode_header(token)?;
    let kid = header.kid.expect("kid in header");
    let jwk = set
        .find(&kid)
        .ok_or(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)?;
    let key = DecodingKey::from_jwk(jwk)?;
    let mut validation = Validation::new(header.alg);
    validation.validate_aud = false;
    Ok(jsonwebtoken::decode::<Value>(token, &key, &validation)?.claims)
}

async fn seed_user(h: &Harness) -> Value {
    h.create_role("admin", &["users.read", "users.write"]).await;
    h.create_role("viewer", &["users.read"]).await;
    h.create_tenant("T2acme", "Acme").await;
    h.create_tenant("T2globex", "Globex").await;
    h.post(
        "/v1/mgmt/role/create",
        json!({"name": "billing", "tenantId": "T2globex", "permissionNames": ["pay"]}),
    )
    .await
    .ok();
    h.create_user(json!({
        "loginId": "ada@example.com",
        "roleNames": ["admin"],
        "userTenants": [
            {"tenantId": "T2acme", "roleNames": ["viewer"]},
            {"tenantId": "T2globex", "roleNames": ["billing", "admin"]},
        ],
    }))
    .await
}

#[tokio::test]
async fn jwks_is_public_and_served_at_descope_paths() {
    let h = start().await;
    let v2 = h
        .send(Method::GET, &format!("/v2/keys/{PROJECT}"), Value::Null, None)
        .await
        .ok();
    let oidc = h
        .send(
            Method::GET,
            &format!("/{PROJECT}/.well-known/jwks.json"),
            Value::Null,
            None,
        )
        .await
        .ok();
    let v1 = h
        .send(Method::GET, &format!("/v1/keys/{PROJECT}"), Value::Null, None)
        .await
        .ok();
    assert_eq!(v2, oidc);
    assert_eq!(v1, v2["keys"]);
    let key = &v2["keys"][0];
    for member in ["kty", "kid", "alg", "use", "n", "e"] {
        assert!(key[member].is_string(), "{member} in {key}");
    }
    assert_eq!(
        (&key["kty"], &key["alg"], &key["use"]),
        (&json!("RSA"), &json!("RS256"), &json!("sig"))
    );
    h.send(Method::GET, "/v2/keys/P2other", Value::Null, None)
        .await
        .error(400, "E011002");
}

#[tokio::test]
async fn session_tokens_carry_descope_claims_from_the_stored_user() {
    let h = start().await;
    let user = seed_user(&h).await;
    let minted = mint(&h, json!({"loginId": "ada@example.com", "tenant": "T2globex"}))
        .await
        .ok();
    let token = minted["token"].as_str().unwrap();

    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), minted["kid"].as_str());

    let claims = verify(&jwks(&h, &format!("/v2/keys/{PROJECT}")).await, token).unwrap();
    assert_eq!(claims, minted["claims"]);
    assert_eq!(claims["sub"], user["userId"]);
    assert_eq!(claims["iss"], format!("https://api.descope.com/v1/apps/{PROJECT}"));
    assert_eq!(claims["drn"], "DS");
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["dct"], "T2globex");
    assert_eq!(claims["roles"], json!(["admin"]));
    assert_eq!(claims["permissions"], json!(["users.read", "users.write"]));
    assert_eq!(
        claims["tenants"],
        json!({
            "T2acme": {"roles": ["viewer"], "permissions": ["users.read"]},
            "T2globex": {"roles": ["billing", "admin"], "permissions": ["pay", "users.read", "users.write"]},
        })
    );
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 600);
    assert!(claims.get("aud").is_none(), "Descope's default token has no aud");
}

#[tokio::test]
async fn issuer_forms_refresh_tokens_and_custom_claims() {
    let h = start().await;
    let user = seed_user(&h).await;
    let user_id = user["userId"].as_str().unwrap();
    let set = jwks(&h, &format!("/v2/keys/{PROJECT}")).await;
    let cases = [
        (json!({"issuerForm": "projectId"}), "iss", json!(PROJECT)),
        (
            json!({"issuerForm": "url"}),
            "iss",
            json!(format!("https://api.descope.com/{PROJECT}")),
        ),
        (
            json!({"issuerForm": "appsUrl"}),
            "iss",
            json!(format!("https://api.descope.com/v1/apps/{PROJECT}")),
        ),
        (
            json!({"issuer": "https://x/agentic/P2/1"}),
            "iss",
            json!("https://x/agentic/P2/1"),
        ),
        (json!({"refresh": true}), "drn", json!("DSR")),
        (json!({"amr": ["email", "totp"]}), "amr", json!(["email", "totp"])),
        (json!({"audience": PROJECT}), "aud", json!(PROJECT)),
        (
            json!({"customClaims": {"cognitoUsername": "ada"}}),
            "cognitoUsername",
            json!("ada"),
        ),
    ];
    for (extra, claim, expected) in cases {
        let mut body = json!({"userId": user_id});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let minted = mint(&h, body).await.ok();
        let claims = verify(&set, minted["token"].as_str().unwrap()).unwrap();
        assert_eq!(claims[claim], expected, "{extra}");
    }
    let refresh = mint(&h, json!({"userId": user_id, "refresh": true})).await.ok();
    let c = &refresh["claims"];
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 28 * 24 * 3600);
}

#[tokio::test]
async fn sessions_are_refused_when_descope_would_not_issue_them() {
    let h = start().await;
    seed_user(&h).await;
    h.create_user(json!({"loginId": "off", "status": "disabled"})).await;
    let long_key = "k".repeat(61);
    let cases = [
        ("unknown user", json!({"loginId": "nobody"}), "E112102"),
        ("no user named", json!({}), "E011004"),
        ("disabled user", json!({"loginId": "off"}), "E011002"),
        (
            "tenant not joined",
            json!({"loginId": "ada@example.com", "tenant": "T2none"}),
            "E011002",
        ),
        (
            "unknown issuer form",
            json!({"loginId": "ada@example.com", "issuerForm": "weird"}),
            "E011002",
        ),
        (
            "claim key too long",
            json!({"loginId": "ada@example.com", "customClaims": {long_key: 1}}),
            "E011002",
        ),
        (
            "claim too long",
            json!({"loginId": "ada@example.com", "customClaims": {"k": "v".repeat(501)}}),
            "E011002",
        ),
    ];
    for (case, body, code) in cases {
        assert_eq!(mint(&h, body).await.code(), code, "{case}");
    }
}

#[tokio::test]
async fn expired_tokens_fail_verification() {
    let h = start().await;
    seed_user(&h).await;
    let minted = mint(&h, json!({"loginId": "ada@example.com", "expiresIn": -120}))
        .await
        .ok();
    let err = verify(
        &jwks(&h, &format!("/v2/keys/{PROJECT}")).await,
        minted["token"].as_str().unwrap(),
    );
    assert!(matches!(
        err.unwrap_err().kind(),
        jsonwebtoken::errors::ErrorKind::ExpiredSignature
    ));
}

#[tokio::test]
async fn es384_keys_sign_es384_tokens() {
    let h = start_with(EmulatorConfig::new(PROJECT, crate::common::KEY).key_alg(KeyAlg::Es384)).await;
    seed_user(&h).await;
    let set = jwks(&h, &format!("/v2/keys/{PROJECT}")).await;
    let published = h.get(&format!("/v2/keys/{PROJECT}")).await.ok();
    assert_eq!(
        (&published["keys"][0]["kty"], &published["keys"][0]["crv"]),
        (&json!("EC"), &json!("P-384"))
    );
    let minted = mint(&h, json!({"loginId": "ada@example.com"})).await.ok();
    let token = minted["token"].as_str().unwrap();
    assert_eq!(jsonwebtoken::decode_header(token).unwrap().alg, Algorithm::ES384);
    verify(&set, token).unwrap();
}

#[tokio::test]
async fn rotation_publishes_the_new_key_and_keeps_the_old_until_removed() {
    let h = start().await;
    seed_user(&h).await;
    let before = mint(&h, json!({"loginId": "ada@example.com"})).await.ok();
    let old_kid = before["kid"].as_str().unwrap().to_owned();

    let rotated = h
        .send(Method::POST, "/emulator/keys/rotate", json!({}), None)
        .await
        .ok();
    let new_kid = rotated["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    assert_eq!(rotated["keys"], json!([old_kid, new_kid]));

    let after = mint(&h, json!({"loginId": "ada@example.com"})).await.ok();
    assert_eq!(after["kid"], new_kid, "the new key signs");
    let set = jwks(&h, &format!("/v2/keys/{PROJECT}")).await;
    verify(&set, before["token"].as_str().unwrap()).expect("old tokens still verify");
    verify(&set, after["token"].as_str().unwrap()).expect("new tokens verify");

    // The signing key cannot be removed; the old one can.
    let refused = h
        .send(Method::DELETE, &format!("/emulator/keys/{new_kid}"), Value::Null, None)
        .await;
    assert_eq!(refused.status.as_u16(), 400);
    h.send(Method::DELETE, &format!("/emulator/keys/{old_kid}"), Value::Null, None)
        .await
        .ok();
    let set = jwks(&h, &format!("/v2/keys/{PROJECT}")).await;
    assert!(
        verify(&set, before["token"].as_str().unwrap()).is_err(),
        "old kid no longer published"
    );

    // dropOld replaces everything at once.
    let dropped = h
        .send(Method::POST, "/emulator/keys/rotate", json!({"dropOld": true}), None)
        .await
        .ok();
    assert_eq!(dropped["keys"], json!([dropped["kid"]]));
    let set = jwks(&h, &format!("/v2/keys/{PROJECT}")).await;
    assert!(verify(&set, after["token"].as_str().unwrap()).is_err());
}
