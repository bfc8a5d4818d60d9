//! Test-only inspection: state dump, request log, reset, and the in-process router.

use crate::common::{KEY, PROJECT, start};
use descope_emulator::{Emulator, EmulatorConfig, app};
use http_body_util::BodyExt as _;
use reqwest::Method;
use serde_json::{Value, json};
use tower::ServiceExt as _;

#[tokio::test]
async fn state_dump_shows_users_roles_tenants_and_attributes() {
    let h = start().await;
    h.create_role("admin", &["p"]).await;
    h.create_tenant("T2a", "A").await;
    h.define_attribute("dept", json!(1)).await;
    let user = h.create_user(json!({"loginId": "u", "roleNames": ["admin"]})).await;

    let state = h.send(Method::GET, "/emulator/state", Value::Null, None).await.ok();
    assert_eq!(state["projectId"], PROJECT);
    assert_eq!(state["users"], json!([user]));
    assert_eq!(state["roles"][0]["name"], "admin");
    assert_eq!(state["tenants"][0]["id"], "T2a");
    assert_eq!(state["customAttributes"][0]["name"], "dept");
    assert_eq!(state["keys"].as_array().unwrap().len(), 1);
    assert_eq!(state, h.emulator().state_dump());

    h.send(Method::POST, "/emulator/reset", Value::Null, None).await.ok();
    let state = h.emulator().state_dump();
    for part in ["users", "roles", "tenants", "customAttributes"] {
        assert_eq!(state[part], json!([]), "{part}");
    }
}

#[tokio::test]
async fn request_log_records_calls_but_never_the_key() {
    let h = start().await;
    h.create_user(json!({"loginId": "u"})).await;
    h.get("/v1/mgmt/user?loginId=u").await.ok();
    h.send(
        Method::GET,
        "/v1/mgmt/user?loginId=u",
        Value::Null,
        Some("Bearer P2x:wrong"),
    )
    .await;
    h.send(Method::GET, &format!("/v2/keys/{PROJECT}"), Value::Null, None)
        .await
        .ok();
    h.send(Method::GET, "/emulator/state", Value::Null, None).await.ok(); // not logged

    let log = h.send(Method::GET, "/emulator/requests", Value::Null, None).await.ok();
    let entries = log["requests"].as_array().unwrap();
    let summary: Vec<(&str, &str, u64)> = entries
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap(),
                e["path"].as_str().unwrap(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("POST", "/v1/mgmt/user/create", 200),
            ("GET", "/v1/mgmt/user", 200),
            ("GET", "/v1/mgmt/user", 401),
            ("GET", &format!("/v2/keys/{PROJECT}"), 200),
        ]
    );
    assert_eq!(entries[1]["query"], "loginId=u");
    let stamps: Vec<i64> = entries.iter().map(|e| e["timestampMs"].as_i64().unwrap()).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]) && stamps[0] > 1_700_000_000_000);
    assert!(!log.to_string().contains(KEY));

    h.send(Method::DELETE, "/emulator/requests", Value::Null, None)
        .await
        .ok();
    assert!(h.emulator().request_log().is_empty());
}

#[tokio::test]
async fn unknown_paths_get_a_descope_style_404() {
    let h = start().await;
    let answer = h.get("/v1/mgmt/not/served").await;
    assert_eq!(answer.status.as_u16(), 404);
    assert!(answer.body["errorCode"].is_string());
}

#[tokio::test]
async fn the_router_works_in_process_with_oneshot() {
    let emulator = Emulator::new(EmulatorConfig::new(PROJECT, KEY)).unwrap();
    let request = |auth: &str| {
        axum::http::Request::post("/v1/mgmt/user/create")
            .header("Authorization", auth)
            .body(axum::body::Body::from(r#"{"loginId":"in-process"}"#))
            .unwrap()
    };
    let router = app(emulator.clone());
    let refused = router.clone().oneshot(request("Bearer P2x:y")).await.unwrap();
    assert_eq!(refused.status(), 401);
    let body = refused.into_body().collect().await.unwrap().to_bytes();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errorCode"], "E011003");

    let created = router
        .oneshot(request(&format!("Bearer {PROJECT}:{KEY}")))
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    assert_eq!(emulator.user_count(), 1);
}
