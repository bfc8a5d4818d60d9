//! The operations: the method, path and body each one sends, and how searches page.

use descope_management::wire::{NewCustomAttribute, Role, UserBody, UserSearch};
use serde_json::json;

use crate::support::{Scripted, client, ok, quick};

#[tokio::test]
async fn a_search_by_custom_attributes_reads_every_page() {
    let user = |id: &str| json!({"userId": id, "loginIds": [id], "customAttributes": {"cognitoSub": "s1"}});
    let server = Scripted::start([
        ok(json!({"users": [user("U1"), user("U2")], "total": 3})),
        ok(json!({"users": [user("U3")], "total": 3})),
    ])
    .await;
    let descope = client(&server, quick(1));
    let search = UserSearch::default()
        .custom_attribute("cognitoSub", "s1")
        .custom_attribute("cognitoPoolId", "us-east-1_A");
    let users = descope.search_users(&search, 2, usize::MAX).await.unwrap();
    let ids: Vec<&str> = users.iter().map(|u| u.user_id.as_str()).collect();
    assert_eq!(ids, ["U1", "U2", "U3"]);
    assert_eq!(users[0].custom_text("cognitoSub"), Some("s1"));
    assert_eq!(users[0].custom_text("cognitoPoolId"), None);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/v2/mgmt/user/search")
    );
    assert_eq!(
        seen[0].body,
        r#"{"customAttributes":{"cognitoPoolId":"us-east-1_A","cognitoSub":"s1"},"limit":2,"page":0,"withTestUser":true}"#
    );
    assert_eq!(seen[1].json()["page"], 1);
}

#[tokio::test]
async fn a_search_for_any_of_several_values_and_by_login_ids() {
    let server = Scripted::start([
        ok(json!({"users": [], "total": 0})),
        ok(json!({"users": [{"userId": "U1", "loginIds": ["Ana@Example.com"]}]})),
    ])
    .await;
    let descope = client(&server, quick(1));
    let subs = ["s1".to_owned(), "s2".to_owned()];
    let search = UserSearch::default().custom_attribute("cognitoSub", &subs[..]);
    assert!(descope.search_users(&search, 2, usize::MAX).await.unwrap().is_empty());
    let users = descope
        .users_by_login_ids(&["ana@example.com".to_owned()])
        .await
        .unwrap();
    assert!(users[0].holds("ana@EXAMPLE.com "), "login IDs compare case-folded");
    assert!(descope.users_by_login_ids(&[]).await.unwrap().is_empty());
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "an empty search sends nothing");
    assert_eq!(seen[0].json()["customAttributes"], json!({"cognitoSub": ["s1", "s2"]}));
    assert_eq!(
        seen[1].json(),
        json!({"loginIds": ["ana@example.com"], "limit": 1, "page": 0, "withTestUser": true})
    );
}

#[tokio::test]
async fn writes_send_what_the_sdks_send() {
    let server = Scripted::start([]).await;
    let descope = client(&server, quick(1));
    let mut body = UserBody::patch("ana@example.com");
    body.given_name = Some("Ana".into());
    descope.create_users(std::slice::from_ref(&body)).await.unwrap();
    descope.patch_users(&[body]).await.unwrap();
    descope.update_status("ana@example.com", "disabled").await.unwrap();
    descope
        .update_login_id("ana@example.com", "ana@new.example")
        .await
        .unwrap();
    descope.logout_user("ana@new.example").await.unwrap();
    descope.delete_user("ana@new.example").await.unwrap();
    descope
        .create_roles(&[Role {
            name: "admins".into(),
            description: "Full".into(),
            tenant_id: Some("t1".into()),
        }])
        .await
        .unwrap();
    descope.create_tenant("t1", "Tenant 1").await.unwrap();
    descope
        .create_custom_attributes(&[NewCustomAttribute::new("plan", 1)])
        .await
        .unwrap();
    assert!(descope.users_auth_history(&[]).await.unwrap().is_empty());
    let user = json!({"loginId": "ana@example.com", "givenName": "Ana"});
    let expected = [
        (
            "POST",
            "/v1/mgmt/user/create/batch",
            json!({"users": [user], "invite": false, "sendMail": false, "sendSMS": false}),
        ),
        ("PATCH", "/v1/mgmt/user/patch/batch", json!({"users": [user]})),
        (
            "POST",
            "/v1/mgmt/user/update/status",
            json!({"loginId": "ana@example.com", "status": "disabled"}),
        ),
        (
            "POST",
            "/v1/mgmt/user/update/loginid",
            json!({"loginId": "ana@example.com", "newLoginId": "ana@new.example"}),
        ),
        ("POST", "/v1/mgmt/user/logout", json!({"loginId": "ana@new.example"})),
        ("POST", "/v1/mgmt/user/delete", json!({"loginId": "ana@new.example"})),
        (
            "POST",
            "/v1/mgmt/role/create/batch",
            json!({"roles": [{"name": "admins", "description": "Full", "tenantId": "t1"}]}),
        ),
        (
            "POST",
            "/v1/mgmt/tenant/create",
            json!({"id": "t1", "name": "Tenant 1", "selfProvisioningDomains": []}),
        ),
        (
            "POST",
            "/v1/mgmt/user/customattribute/create",
            json!({"attributes": [{
                "name": "plan", "type": 1, "options": [], "displayName": "plan", "defaultValue": {},
                "viewPermissions": [], "editPermissions": [], "editable": true,
            }]}),
        ),
    ];
    let seen = server.seen();
    assert_eq!(seen.len(), expected.len(), "no history call for no users");
    for (seen, (method, path, body)) in seen.iter().zip(expected) {
        assert_eq!((seen.method.as_str(), seen.path.as_str()), (method, path));
        assert_eq!(seen.json(), body, "{path}");
    }
}

#[tokio::test]
async fn batch_results_and_auth_history_are_read() {
    let server = Scripted::start([
        ok(json!({
            "createdUsers": [{"userId": "U1", "loginIds": ["a"]}],
            "failedUsers": [{"failure": "exists", "user": {"loginIds": ["b"]}}],
        })),
        ok(json!({"usersAuthHistory": [{"userId": "U1", "loginTime": 1700000000}]})),
        // go-sdk reads the answer as a bare array: that shape is read too.
        ok(json!([{"userId": "U2", "loginTime": 1700000001}])),
    ])
    .await;
    let descope = client(&server, quick(1));
    let result = descope.create_users(&[]).await.unwrap();
    assert_eq!(result.created_users[0].user_id, "U1");
    assert_eq!(result.failed_users[0].login_id(), Some("b"));
    let history = descope.users_auth_history(&["U1".to_owned()]).await.unwrap();
    assert_eq!(
        (history[0].user_id.as_str(), history[0].login_time),
        ("U1", 1_700_000_000)
    );
    assert_eq!(server.seen()[1].json(), json!(["U1"]));
    let history = descope.users_auth_history(&["U2".to_owned()]).await.unwrap();
    assert_eq!(
        (history[0].user_id.as_str(), history[0].login_time),
        ("U2", 1_700_000_001)
    );
}
