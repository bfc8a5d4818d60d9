//! The harness end to end, and moto's token format written down: a pool, an app client, a group and
//! a user on a real moto server, the tokens `AdminInitiateAuth` gives, and the JWKS they verify with.
//! The authorizers' cutover tests rely on every claim asserted here.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use moto_harness::{Moto, UserPool};
use serde_json::{Value, json};

/// Header and payload of a JWT, decoded without checking anything.
fn decode(token: &str) -> (Value, Value) {
    let part = |i: usize| -> Value {
        let segment = token.split('.').nth(i).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
    };
    (part(0), part(1))
}

fn keys(claims: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = claims.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn groups(claims: &Value) -> Vec<&str> {
    let mut groups: Vec<&str> = claims["cognito:groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    groups.sort_unstable();
    groups
}

#[tokio::test]
async fn moto_issues_cognito_tokens_that_its_jwks_verifies() {
    let moto = Moto::start();
    let pool = UserPool::create(&moto, "cutover").await;
    let client_id = pool.app_client("web").await;
    pool.group("admins").await;
    pool.group("editors").await;
    pool.user("ada", "ada@example.com", &["admins", "editors"]).await;
    pool.user("bob", "bob@example.com", &[]).await;
    let sub = pool.sub("ada").await;
    let issuer = moto.issuer(&pool.id);
    assert_eq!(
        issuer,
        format!("https://cognito-idp.us-east-1.amazonaws.com/{}", pool.id)
    );

    let tokens = pool.tokens(&client_id, "ada").await;

    // AWS sends no `typ`; moto's JWT library adds it.
    let (header, access) = decode(&tokens.access);
    assert_eq!(header, json!({"alg": "RS256", "kid": "dummy", "typ": "JWT"}));
    assert_eq!(
        keys(&access),
        [
            "auth_time",
            "client_id",
            "cognito:groups",
            "exp",
            "iat",
            "iss",
            "jti",
            "origin_jti",
            "scope",
            "sub",
            "token_use",
            "username"
        ]
    );
    assert_eq!(access["iss"], issuer);
    assert_eq!(access["token_use"], "access");
    assert_eq!(access["client_id"], client_id);
    assert_eq!(access["username"], "ada");
    assert_eq!(access["sub"], sub);
    // moto keeps a user's groups in a Python set: the order is not stable, so compare sorted.
    assert_eq!(groups(&access), ["admins", "editors"]);
    assert_eq!(access["scope"], "aws.cognito.signin.user.admin");
    assert_eq!(access["exp"].as_i64().unwrap() - access["iat"].as_i64().unwrap(), 3600);

    let (header, id) = decode(&tokens.id);
    assert_eq!(header, json!({"alg": "RS256", "kid": "dummy", "typ": "JWT"}));
    assert_eq!(
        keys(&id),
        [
            "aud",
            "auth_time",
            "cognito:groups",
            "cognito:username",
            "email",
            "exp",
            "iat",
            "iss",
            "jti",
            "origin_jti",
            "sub",
            "token_use"
        ]
    );
    assert_eq!(id["iss"], issuer);
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["aud"], client_id);
    assert_eq!(id["cognito:username"], "ada");
    assert_eq!(id["email"], "ada@example.com");
    assert_eq!(id["sub"], sub);
    assert_eq!(groups(&id), ["admins", "editors"]);
    // Both tokens of one sign-in share origin_jti, as in AWS.
    assert_eq!(id["origin_jti"], access["origin_jti"]);

    // The refresh token is opaque, not a JWT.
    assert_eq!(tokens.refresh.split('.').count(), 1, "{}", tokens.refresh);

    // No group, no cognito:groups claim at all (not an empty list).
    let bob = pool.tokens(&client_id, "bob").await;
    assert!(decode(&bob.access).1.get("cognito:groups").is_none());
    assert!(decode(&bob.id).1.get("cognito:groups").is_none());

    // The JWKS over HTTP, from moto's loopback URL: one 2048-bit RSA key, kid "dummy".
    let jwks: JwkSet = reqwest::get(moto.jwks_url(&pool.id))
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks.keys.len(), 1);
    let jwk = jwks.find("dummy").expect("kid dummy in moto's JWKS");
    let raw: Value = serde_json::to_value(jwk).unwrap();
    assert_eq!(raw["kty"], "RSA");
    assert_eq!(raw["alg"], "RS256");
    assert_eq!(
        URL_SAFE_NO_PAD.decode(raw["n"].as_str().unwrap()).unwrap().len() * 8,
        2048
    );

    // And the key does verify both tokens.
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[&issuer]);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(&tokens.access, &key, &validation).unwrap();
    validation.set_audience(&[&client_id]);
    validation.validate_aud = true;
    jsonwebtoken::decode::<Value>(&tokens.id, &key, &validation).unwrap();
}

#[tokio::test]
async fn id_tokens_carry_the_attributes_the_client_reads_as_strings() {
    let moto = Moto::start();
    let pool = UserPool::create(&moto, "attributes").await;
    pool.user("ada", "ada@example.com", &[]).await;
    let out = pool
        .client()
        .create_user_pool_client()
        .user_pool_id(&pool.id)
        .client_name("reads-more")
        .read_attributes("email")
        .read_attributes("email_verified")
        .send()
        .await
        .unwrap();
    let client_id = out.user_pool_client.unwrap().client_id.unwrap();
    let (_, id) = decode(&pool.tokens(&client_id, "ada").await.id);
    assert_eq!(id["email"], "ada@example.com");
    // AWS sends a boolean here; moto copies the attribute's string value.
    assert_eq!(id["email_verified"], "true");
}

#[tokio::test]
async fn every_pool_and_every_server_signs_with_the_same_key() {
    let first = Moto::start();
    let second = Moto::start();
    let a = UserPool::create(&first, "a").await;
    let b = UserPool::create(&second, "b").await;
    let jwks = |url: String| async move { reqwest::get(url).await.unwrap().json::<Value>().await.unwrap() };
    assert_eq!(jwks(first.jwks_url(&a.id)).await, jwks(second.jwks_url(&b.id)).await);
    // Any path segment serves it, even a pool that does not exist: moto does not check.
    assert_eq!(
        jwks(first.jwks_url(&a.id)).await,
        jwks(first.jwks_url("us-east-1_nosuchpool")).await
    );
}
