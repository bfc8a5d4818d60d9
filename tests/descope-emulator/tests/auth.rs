//! Sign-ins that answer Descope's JWT response: the management sign-in (`/v1/mgmt/auth/signin`)
//! and the end-user password sign-in (`/v1/auth/password/signin`). Tokens are verified with
//! jsonwebtoken against the JWKS the emulator serves.

use crate::common::{Answer, Harness, KEY, PROJECT, start};
use jsonwebtoken::{DecodingKey, Validation, jwk::JwkSet};
use reqwest::Method;
use serde_json::{Value, json};

async fn verify(h: &Harness, token: &str) -> Value {
    let set: JwkSet = serde_json::from_value(h.get(&format!("/v2/keys/{PROJECT}")).await.ok()).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = set.find(&header.kid.unwrap()).unwrap();
    let mut validation = Validation::new(header.alg);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .unwrap()
        .claims
}

async fn sign_in(h: &Harness, login_id: &str, password: &str) -> Answer {
    h.send(
        Method::POST,
        "/v1/auth/password/signin",
        json!({"loginId": login_id, "password": password}),
        Some(&format!("Bearer {PROJECT}")),
    )
    .await
}

async fn mgmt_sign_in(h: &Harness, body: Value) -> Answer {
    h.post("/v1/mgmt/auth/signin", body).await
}

async fn history_len(h: &Harness, user_id: &str) -> usize {
    h.post("/v1/mgmt/user/history", json!([user_id])).await.ok()["usersAuthHistory"]
        .as_array()
        .unwrap()
        .len()
}

/// Asserts the JWT response and returns (session claims, refresh claims).
async fn tokens(h: &Harness, body: &Value, user_id: &str) -> (Value, Value) {
    let session = verify(h, body["sessionJwt"].as_str().unwrap()).await;
    let refresh = verify(h, body["refreshJwt"].as_str().unwrap()).await;
    assert_eq!(session["sub"], user_id);
    assert_eq!(refresh["sub"], user_id);
    assert_eq!(session["drn"], "DS");
    assert_eq!(refresh["drn"], "DSR");
    assert_eq!(body["user"]["userId"], user_id);
    assert_eq!(body["cookiePath"], "/");
    assert_eq!(body["cookieExpiration"], refresh["exp"]);
    (session, refresh)
}

#[tokio::test]
async fn management_sign_in_answers_a_jwt_response_and_records_the_sign_in() {
    let h = start().await;
    h.create_role("admin", &["users.write"]).await;
    let user = h
        .create_user(json!({"loginId": "ada@example.com", "roleNames": ["admin"]}))
        .await;
    let id = user["userId"].as_str().unwrap();

    let first = mgmt_sign_in(
        &h,
        json!({"loginId": "ADA@example.com", "stepup": false, "mfa": false,
        "revokeOtherSessions": null, "customClaims": null, "jwt": null, "refreshDuration": null}),
    )
    .await
    .ok();
    let (session, refresh) = tokens(&h, &first, id).await;
    assert_eq!(first["firstSeen"], true);
    assert_eq!(session["roles"], json!(["admin"]));
    assert_eq!(session["permissions"], json!(["users.write"]));
    let iat = session["iat"].as_i64().unwrap();
    assert_eq!(session["exp"].as_i64().unwrap() - iat, 600);
    assert_eq!(
        refresh["exp"].as_i64().unwrap() - iat,
        28 * 24 * 3600,
        "project default"
    );
    assert_eq!(history_len(&h, id).await, 1);

    let second = mgmt_sign_in(&h, json!({"loginId": "ada@example.com"})).await.ok();
    assert_eq!(second["firstSeen"], false);
    assert_eq!(history_len(&h, id).await, 2);
    assert_eq!(h.emulator().sessions_revoked_at(id), None);
}

#[tokio::test]
async fn refresh_duration_is_seconds_and_bounds_both_tokens() {
    let h = start().await;
    let id = h.create_user(json!({"loginId": "bo@example.com"})).await["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = mgmt_sign_in(&h, json!({"loginId": "bo@example.com", "refreshDuration": 3600}))
        .await
        .ok();
    let (session, refresh) = tokens(&h, &body, &id).await;
    let iat = refresh["iat"].as_i64().unwrap();
    assert_eq!(refresh["exp"].as_i64().unwrap() - iat, 3600);
    assert_eq!(body["cookieMaxAge"], 3600);
    assert_eq!(session["exp"].as_i64().unwrap() - iat, 600);

    // Shorter than a session: the session ends with its refresh token.
    let body = mgmt_sign_in(&h, json!({"loginId": "bo@example.com", "refreshDuration": 120}))
        .await
        .ok();
    let (session, refresh) = tokens(&h, &body, &id).await;
    assert_eq!(session["exp"], refresh["exp"]);
    assert_eq!(refresh["exp"].as_i64().unwrap() - refresh["iat"].as_i64().unwrap(), 120);

    mgmt_sign_in(&h, json!({"loginId": "bo@example.com", "refreshDuration": -1}))
        .await
        .error(400, "E011002");
}

#[tokio::test]
async fn custom_claims_go_into_the_session_token_without_system_claims() {
    let h = start().await;
    let id = h.create_user(json!({"loginId": "cy@example.com"})).await["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = mgmt_sign_in(
        &h,
        json!({"loginId": "cy@example.com",
               "customClaims": {"migratedFrom": "cognito", "sub": "U2forged", "roles": ["root"]}}),
    )
    .await
    .ok();
    let (session, refresh) = tokens(&h, &body, &id).await;
    assert_eq!(session["migratedFrom"], "cognito");
    assert_eq!(session["roles"], json!([]), "system claims are filtered out");
    assert!(refresh.get("migratedFrom").is_none());

    let long = "x".repeat(501);
    mgmt_sign_in(&h, json!({"loginId": "cy@example.com", "customClaims": {"k": long}}))
        .await
        .error(400, "E011002");
}

#[tokio::test]
async fn revoke_other_sessions_logs_earlier_sessions_out() {
    let h = start().await;
    let id = h.create_user(json!({"loginId": "di@example.com"})).await["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    mgmt_sign_in(&h, json!({"loginId": "di@example.com"})).await.ok();
    assert_eq!(h.emulator().sessions_revoked_at(&id), None);
    let body = mgmt_sign_in(&h, json!({"loginId": "di@example.com", "revokeOtherSessions": true}))
        .await
        .ok();
    let (session, _) = tokens(&h, &body, &id).await;
    let revoked = h.emulator().sessions_revoked_at(&id).unwrap();
    assert!(
        revoked <= session["iat"].as_i64().unwrap(),
        "the new session is not revoked"
    );
}

#[tokio::test]
async fn stepup_and_mfa_need_the_current_jwt() {
    let h = start().await;
    h.create_user(json!({"loginId": "ed@example.com"})).await;
    mgmt_sign_in(&h, json!({"loginId": "ed@example.com", "stepup": true}))
        .await
        .error(400, "E011004");
    mgmt_sign_in(&h, json!({"loginId": "ed@example.com", "mfa": true, "jwt": ""}))
        .await
        .error(400, "E011004");
    let first = mgmt_sign_in(&h, json!({"loginId": "ed@example.com"})).await.ok();
    let body = mgmt_sign_in(
        &h,
        json!({"loginId": "ed@example.com", "stepup": true, "mfa": true, "jwt": first["refreshJwt"]}),
    )
    .await
    .ok();
    let session = verify(&h, body["sessionJwt"].as_str().unwrap()).await;
    assert_eq!(session["su"], true);
    assert_eq!(session["amr"], json!(["pwd", "mfa"]));
}

#[tokio::test]
async fn management_sign_in_refuses_unknown_and_disabled_users_and_needs_the_key() {
    let h = start().await;
    mgmt_sign_in(&h, json!({"loginId": "nobody@example.com"}))
        .await
        .error(400, "E112102");
    mgmt_sign_in(&h, json!({})).await.error(400, "E011004");
    let id = h
        .create_user(json!({"loginId": "fay@example.com", "status": "disabled"}))
        .await["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    mgmt_sign_in(&h, json!({"loginId": "fay@example.com"}))
        .await
        .error(400, "E011002");
    assert_eq!(history_len(&h, &id).await, 0);
    h.send(
        Method::POST,
        "/v1/mgmt/auth/signin",
        json!({"loginId": "fay@example.com"}),
        Some(&format!("Bearer {PROJECT}")),
    )
    .await
    .error(401, "E011003");
}

#[tokio::test]
async fn an_active_password_signs_in_at_once() {
    let h = start().await;
    let id = h.create_user(json!({"loginId": "gil@example.com"})).await["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    sign_in(&h, "gil@example.com", "Correct-Horse-1")
        .await
        .error(401, "E062901");
    h.post(
        "/v1/mgmt/user/password/set/active",
        json!({"loginId": "gil@example.com", "password": "Correct-Horse-1", "setActive": true}),
    )
    .await
    .ok();
    let body = sign_in(&h, "GIL@example.com", "Correct-Horse-1").await.ok();
    let (session, _) = tokens(&h, &body, &id).await;
    assert_eq!(session["amr"], json!(["pwd"]));
    assert_eq!(body["firstSeen"], true);
    assert_eq!(body["user"]["password"], true);
    assert_eq!(history_len(&h, &id).await, 1);

    sign_in(&h, "gil@example.com", "correct-horse-1")
        .await
        .error(401, "E062901");
    assert_eq!(history_len(&h, &id).await, 1, "a refused sign-in is not a sign-in");
}

#[tokio::test]
async fn refused_password_sign_ins_answer_descope_codes() {
    let h = start().await;
    h.post(
        "/v1/mgmt/user/create",
        json!({"loginId": "hal@example.com", "password": "Created-Pass-1"}),
    )
    .await
    .ok();
    h.post(
        "/v1/mgmt/user/create/batch",
        json!({"users": [{"loginId": "imp@example.com", "hashedPassword": {"bcrypt": {"hash": "$2a$10$x"}}}]}),
    )
    .await
    .ok();
    h.create_user(json!({"loginId": "nopass@example.com"})).await;

    // A cleartext password given at creation signs in.
    sign_in(&h, "hal@example.com", "Created-Pass-1").await.ok();
    // Unknown login ID, no password, wrong password, an imported hash: one answer.
    sign_in(&h, "nobody@example.com", "x").await.error(401, "E062901");
    sign_in(&h, "nopass@example.com", "x").await.error(401, "E062901");
    sign_in(&h, "hal@example.com", "wrong").await.error(401, "E062901");
    sign_in(&h, "imp@example.com", "anything").await.error(401, "E062901");
    // Missing members.
    h.send(
        Method::POST,
        "/v1/auth/password/signin",
        json!({"loginId": "hal@example.com"}),
        Some(&format!("Bearer {PROJECT}")),
    )
    .await
    .error(400, "E011004");

    // Expired: the right password answers E062909, a wrong one still E062901.
    h.post("/v1/mgmt/user/password/expire", json!({"loginId": "hal@example.com"}))
        .await
        .ok();
    sign_in(&h, "hal@example.com", "Created-Pass-1")
        .await
        .error(401, "E062909");
    sign_in(&h, "hal@example.com", "wrong").await.error(401, "E062901");
    // A new active password replaces the expired one.
    h.post(
        "/v1/mgmt/user/password/set/active",
        json!({"loginId": "hal@example.com", "password": "Fresh-Pass-2"}),
    )
    .await
    .ok();
    sign_in(&h, "hal@example.com", "Created-Pass-1")
        .await
        .error(401, "E062901");
    sign_in(&h, "hal@example.com", "Fresh-Pass-2").await.ok();

    // Disabled: refused like a wrong password, even with the right one.
    h.post(
        "/v1/mgmt/user/update/status",
        json!({"loginId": "hal@example.com", "status": "disabled"}),
    )
    .await
    .ok();
    sign_in(&h, "hal@example.com", "Fresh-Pass-2")
        .await
        .error(401, "E062901");
}

#[tokio::test]
async fn a_temporary_password_must_be_replaced_before_it_gives_a_session() {
    let h = start().await;
    let id = h.create_user(json!({"loginId": "ivy@example.com"})).await["userId"]
        .as_str()
        .unwrap()
        .to_owned();
    h.post(
        "/v1/mgmt/user/password/set/temporary",
        json!({"loginId": "ivy@example.com", "password": "Temp-Pass-1"}),
    )
    .await
    .ok();
    sign_in(&h, "ivy@example.com", "Temp-Pass-1")
        .await
        .error(401, "E062909");
    assert_eq!(history_len(&h, &id).await, 0);
    h.post(
        "/v1/mgmt/user/password/set/active",
        json!({"loginId": "ivy@example.com", "password": "Temp-Pass-1"}),
    )
    .await
    .ok();
    sign_in(&h, "ivy@example.com", "Temp-Pass-1").await.ok();
}

#[tokio::test]
async fn password_sign_in_authenticates_with_the_project_id() {
    let h = start().await;
    h.post(
        "/v1/mgmt/user/create",
        json!({"loginId": "jo@example.com", "password": "Jo-Pass-1"}),
    )
    .await
    .ok();
    let body = json!({"loginId": "jo@example.com", "password": "Jo-Pass-1"});
    let path = "/v1/auth/password/signin";
    h.send(Method::POST, path, body.clone(), None)
        .await
        .error(401, "E011003");
    h.send(Method::POST, path, body.clone(), Some("Bearer P2someoneelse"))
        .await
        .error(401, "E011003");
    // The Python SDK's auth client adds `:<authManagementKey>` when it has one.
    h.send(Method::POST, path, body, Some(&format!("Bearer {PROJECT}:{KEY}")))
        .await
        .ok();
}

#[tokio::test]
async fn stored_passwords_never_show() {
    let h = start().await;
    h.post(
        "/v1/mgmt/user/create",
        json!({"loginId": "kim@example.com", "password": "Very-Secret-Pass"}),
    )
    .await
    .ok();
    let dump = h.emulator().state_dump().to_string();
    assert!(!dump.contains("Very-Secret-Pass"));
    let log = format!("{:?}", h.emulator().request_log());
    assert!(!log.contains("Very-Secret-Pass"));
}

#[tokio::test]
async fn management_sign_up_creates_the_user_and_sign_up_or_in_reuses_it() {
    let h = start().await;
    let body = json!({"loginId": "lu@example.com",
        "user": {"name": "Lu Xun", "givenName": "Lu", "middleName": null, "familyName": "Xun",
                 "phone": null, "email": "lu@example.com"},
        "emailVerified": true, "phoneVerified": null, "ssoAppId": null,
        "customClaims": {"via": "signup"}, "refreshDuration": 900});
    let created = h.post("/v1/mgmt/auth/signup", body.clone()).await.ok();
    let id = created["user"]["userId"].as_str().unwrap().to_owned();
    let (session, refresh) = tokens(&h, &created, &id).await;
    assert_eq!(created["firstSeen"], true);
    assert_eq!(created["user"]["name"], "Lu Xun");
    assert_eq!(created["user"]["verifiedEmail"], true);
    assert_eq!(created["user"]["status"], "enabled");
    assert_eq!(session["via"], "signup");
    assert_eq!(refresh["exp"].as_i64().unwrap() - refresh["iat"].as_i64().unwrap(), 900);

    h.post("/v1/mgmt/auth/signup", body.clone()).await.error(400, "E062107");
    let again = h
        .post(
            "/v1/mgmt/auth/signup-in",
            json!({"loginId": "LU@example.com", "user": {"name": "Other"}}),
        )
        .await
        .ok();
    tokens(&h, &again, &id).await;
    assert_eq!(again["firstSeen"], false);
    assert_eq!(
        again["user"]["name"], "Lu Xun",
        "an existing user's profile is left as it is"
    );
    let fresh = h
        .post("/v1/mgmt/auth/signup-in", json!({"loginId": "mo@example.com"}))
        .await
        .ok();
    assert_eq!(fresh["firstSeen"], true);
    assert_eq!(h.emulator().user_count(), 2);
    assert_eq!(history_len(&h, &id).await, 2);
}
