//! User management as Descope serves it: auth, CRUD, batches, roles, tenants, search.

use std::time::Instant;

use crate::common::{KEY, PROJECT, start};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn management_calls_without_the_right_key_get_401_with_descope_error_body() {
    let h = start().await;
    let cases: &[(&str, Option<String>)] = &[
        ("no header", None),
        ("not bearer", Some(format!("Basic {PROJECT}:{KEY}"))),
        ("project only", Some(format!("Bearer {PROJECT}"))),
        ("wrong key", Some(format!("Bearer {PROJECT}:wrong"))),
        ("wrong project", Some(format!("Bearer P2other:{KEY}"))),
    ];
    for (case, auth) in cases {
        let answer = h
            .send(
                Method::POST,
                "/v1/mgmt/user/create",
                json!({"loginId": "a@x.com"}),
                auth.as_deref(),
            )
            .await;
        assert_eq!(answer.status.as_u16(), 401, "{case}");
        assert_eq!(answer.code(), "E011003", "{case}");
        let members: Vec<&String> = answer.body.as_object().unwrap().keys().collect();
        assert_eq!(members, ["errorCode", "errorDescription", "errorMessage"], "{case}");
        assert!(
            !answer.body.to_string().contains(KEY),
            "{case}: the key must never be echoed"
        );
    }
    assert_eq!(h.emulator().user_count(), 0, "nothing was created");

    // The SDK form with a token between project and key is accepted.
    let ok = h
        .send(
            Method::GET,
            "/v1/mgmt/role/all",
            Value::Null,
            Some(&format!("Bearer {PROJECT}:some-jwt:{KEY}")),
        )
        .await;
    assert_eq!(ok.status.as_u16(), 200);
}

#[tokio::test]
async fn license_handshake_answers_a_rate_limit_tier() {
    let h = start().await;
    assert_eq!(h.get("/v1/mgmt/license").await.ok(), json!({"rateLimitTier": "tier4"}));
}

#[tokio::test]
async fn every_field_of_the_user_round_trips() {
    let h = start().await;
    h.create_role("viewer", &["docs.read"]).await;
    h.create_role("editor", &["docs.write", "docs.read"]).await;
    h.create_tenant("T2acme", "Acme").await;
    h.define_attribute("department", json!(1)).await;
    h.define_attribute("age", json!(2)).await;
    h.define_attribute("freshlyMigrated", json!(3)).await;

    let created = h
        .create_user(json!({
            "loginId": "ada@example.com",
            "additionalLoginIds": ["ada", "+15555550101"],
            "email": "ada@example.com",
            "phone": "+15555550101",
            "displayName": "Ada Lovelace",
            "givenName": "Ada",
            "middleName": "Augusta",
            "familyName": "King",
            "picture": "https://example.com/ada.png",
            "verifiedEmail": true,
            "verifiedPhone": false,
            "roleNames": ["viewer"],
            "userTenants": [{"tenantId": "T2acme", "roleNames": ["editor"]}],
            "customAttributes": {"department": "R&D", "age": 36, "freshlyMigrated": true},
            "ssoAppIDs": ["app1"],
            "test": false,
        }))
        .await;

    let user_id = created["userId"].as_str().unwrap().to_owned();
    assert!(user_id.starts_with("U2") && user_id.len() == 28, "{user_id}");
    assert!(created["createdTime"].as_i64().unwrap() > 1_700_000_000);
    let expected = json!({
        "loginIds": ["ada@example.com", "ada", "+15555550101"],
        "userId": user_id,
        "name": "Ada Lovelace",
        "givenName": "Ada",
        "middleName": "Augusta",
        "familyName": "King",
        "email": "ada@example.com",
        "phone": "+15555550101",
        "verifiedEmail": true,
        "verifiedPhone": false,
        "roleNames": ["viewer"],
        "userTenants": [{"tenantId": "T2acme", "roleNames": ["editor"], "tenantName": "Acme",
                         "permissions": ["docs.write", "docs.read"]}],
        "status": "enabled",
        "externalIds": ["ada@example.com", "ada", "+15555550101"],
        "picture": "https://example.com/ada.png",
        "test": false,
        "customAttributes": {"department": "R&D", "age": 36, "freshlyMigrated": true},
        "createdTime": created["createdTime"],
        "TOTP": false,
        "SAML": false,
        "OAuth": {},
        "webauthn": false,
        "password": false,
        "ssoAppIds": ["app1"],
    });
    assert_eq!(created, expected);

    // Loading by any login ID or by user ID gives the same object.
    for query in ["loginId=ada@example.com", "loginId=ada", &format!("userId={user_id}")] {
        assert_eq!(
            h.get(&format!("/v1/mgmt/user?{query}")).await.ok()["user"],
            expected,
            "{query}"
        );
    }
    let many = h
        .post("/v1/mgmt/users/load", json!({"userIds": [user_id, "U2missing"]}))
        .await
        .ok();
    assert_eq!(many["users"], json!([expected]));
}

#[tokio::test]
async fn docs_field_names_are_accepted_like_the_sdk_names() {
    let h = start().await;
    let user = h
        .create_user(json!({
            "loginId": "doc@example.com", "name": "Doc Name", "additionalIdentifiers": ["doc"],
            "ssoAppIds": ["app2"],
        }))
        .await;
    assert_eq!(user["name"], "Doc Name");
    assert_eq!(user["loginIds"], json!(["doc@example.com", "doc"]));
    assert_eq!(user["ssoAppIds"], json!(["app2"]));
}

#[tokio::test]
async fn sdk_nulls_for_unset_fields_are_accepted() {
    let h = start().await;
    // The Python SDK sends every field, null when unset.
    let user = h
        .create_user(json!({
            "loginId": "null@example.com", "email": null, "phone": null, "displayName": null,
            "roleNames": [], "userTenants": [], "test": false, "picture": null,
            "customAttributes": null, "additionalLoginIds": null, "ssoAppIDs": [], "invite": false,
        }))
        .await;
    assert_eq!(user["email"], "");
    assert_eq!(user["loginIds"], json!(["null@example.com"]));
}

#[tokio::test]
async fn creating_a_taken_login_id_fails_with_e062107() {
    let h = start().await;
    h.create_user(json!({"loginId": "taken@example.com", "additionalLoginIds": ["alias"]}))
        .await;
    for login in ["taken@example.com", "alias"] {
        let answer = h.post("/v1/mgmt/user/create", json!({"loginId": login})).await;
        answer.error(400, "E062107");
    }
    // An additional login ID clashing with another user's login ID is refused too.
    h.post(
        "/v1/mgmt/user/create",
        json!({"loginId": "new", "additionalLoginIds": ["alias"]}),
    )
    .await
    .error(400, "E062107");
    assert_eq!(h.emulator().user_count(), 1);
}

#[tokio::test]
async fn login_ids_are_one_login_id_in_any_letter_case() {
    let h = start().await;
    h.create_user(json!({"loginId": "Ana@Example.com"})).await;
    // Taken in another case: refused like the same login ID.
    h.post("/v1/mgmt/user/create", json!({"loginId": "ana@example.COM"}))
        .await
        .error(400, "E062107");
    // Found in any case, and stored as it was given.
    let loaded = h.get("/v1/mgmt/user?loginId=ANA@EXAMPLE.COM").await;
    assert_eq!(loaded.status.as_u16(), 200, "{:?}", loaded.body);
    assert_eq!(loaded.body["user"]["loginIds"], json!(["Ana@Example.com"]));
    let found = h
        .post("/v2/mgmt/user/search", json!({"loginIds": ["ana@example.com"]}))
        .await;
    assert_eq!(found.body["users"].as_array().unwrap().len(), 1, "{:?}", found.body);
    assert_eq!(h.emulator().user_count(), 1);
}

#[tokio::test]
async fn update_login_id_renames_and_refuses_a_taken_one() {
    let h = start().await;
    h.create_user(json!({"loginId": "old-name", "email": "a@x.io"})).await;
    h.create_user(json!({"loginId": "taken@x.io"})).await;
    let renamed = h
        .post(
            "/v1/mgmt/user/update/loginid",
            json!({"loginId": "old-name", "newLoginId": "a@x.io"}),
        )
        .await;
    assert_eq!(renamed.status.as_u16(), 200, "{:?}", renamed.body);
    assert_eq!(renamed.body["user"]["loginIds"], json!(["a@x.io"]));
    h.get("/v1/mgmt/user?loginId=old-name").await.error(400, "E112102");
    h.post(
        "/v1/mgmt/user/update/loginid",
        json!({"loginId": "a@x.io", "newLoginId": "TAKEN@x.io"}),
    )
    .await
    .error(400, "E062107");
    h.post("/v1/mgmt/user/update/loginid", json!({"loginId": "a@x.io"}))
        .await
        .error(400, "E011004");
}

#[tokio::test]
async fn create_refuses_what_descope_refuses() {
    let h = start().await;
    let cases = [
        ("missing loginId", json!({"email": "a@x.com"}), "E011004"),
        ("empty loginId", json!({"loginId": ""}), "E011004"),
        (
            "unknown role",
            json!({"loginId": "a", "roleNames": ["ghost"]}),
            "E011002",
        ),
        (
            "unknown tenant",
            json!({"loginId": "a", "userTenants": [{"tenantId": "T2none"}]}),
            "E011002",
        ),
        ("bad status", json!({"loginId": "a", "status": "active"}), "E011002"),
        (
            "undefined attribute",
            json!({"loginId": "a", "customAttributes": {"x": 1}}),
            "E011003",
        ),
        ("malformed JSON types", json!({"loginId": 42}), "E011001"),
        (
            "hashed password with two kinds",
            json!({"loginId": "a", "hashedPassword": {"bcrypt": {"hash": "$2a$x"}, "md5": {"hash": "ab"}}}),
            "E011002",
        ),
    ];
    for (case, body, code) in cases {
        let answer = h.post("/v1/mgmt/user/create", body).await;
        assert_eq!(answer.code(), code, "{case}: {}", answer.body);
        assert_eq!(answer.status.as_u16(), 400, "{case}");
    }
    assert_eq!(h.emulator().user_count(), 0);
}

#[tokio::test]
async fn status_follows_invite_unless_given() {
    let h = start().await;
    let cases = [
        (json!({"loginId": "plain"}), "enabled"),
        (json!({"loginId": "invited", "invite": true}), "invited"),
        (
            json!({"loginId": "explicit", "invite": true, "status": "disabled"}),
            "disabled",
        ),
    ];
    for (body, status) in cases {
        assert_eq!(h.create_user(body.clone()).await["status"], status, "{body}");
    }
    let test_user = h
        .post("/v1/mgmt/user/create/test", json!({"loginId": "tester"}))
        .await
        .ok();
    assert_eq!(test_user["user"]["test"], true);
}

#[tokio::test]
async fn batch_create_reports_partial_results() {
    let h = start().await;
    h.create_role("member", &[]).await;
    h.create_user(json!({"loginId": "exists@example.com"})).await;
    let answer = h
        .post(
            "/v1/mgmt/user/create/batch",
            json!({"invite": true, "sendMail": false, "users": [
                {"loginId": "one@example.com", "roleNames": ["member"], "password": "s3cret"},
                {"loginId": "exists@example.com"},
                {"loginId": "two@example.com", "status": "enabled",
                 "hashedPassword": {"bcrypt": {"hash": "$2a$10$abc"}}},
                {"loginId": "two@example.com"},
                {"loginId": "three@example.com", "roleNames": ["ghost"]},
                {"loginId": ["not", "a", "string"]},
                {"loginId": "four@example.com", "status": "expired", "seed": "JBSWY3DPEHPK3PXP"},
            ]}),
        )
        .await
        .ok();

    let created: Vec<(&str, &str, bool)> = answer["createdUsers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["loginIds"][0].as_str().unwrap(),
                u["status"].as_str().unwrap(),
                u["password"] == true,
            )
        })
        .collect();
    assert_eq!(
        created,
        [
            ("one@example.com", "invited", true),
            ("two@example.com", "enabled", true),
            ("four@example.com", "expired", false)
        ]
    );
    assert_eq!(answer["createdUsers"][2]["TOTP"], true);

    let failures: Vec<(&str, &str)> = answer["failedUsers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["user"]["loginIds"][0].as_str().unwrap_or("?"),
                f["failure"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(failures.len(), 4, "{failures:?}");
    assert!(failures[0].0 == "exists@example.com" && failures[0].1.starts_with("[E062107]"));
    assert!(failures[1].0 == "two@example.com" && failures[1].1.starts_with("[E062107]"));
    assert!(failures[2].0 == "three@example.com" && failures[2].1.starts_with("[E011002]"));
    assert!(failures[3].1.starts_with("[E011001]"));
    assert_eq!(answer["additionalErrors"], json!({}));
    // Secrets of refused items are never echoed.
    assert!(!answer.to_string().contains("s3cret"));
    assert_eq!(h.emulator().user_count(), 4);
}

#[tokio::test]
async fn batch_without_invite_creates_enabled_users_and_batches_are_bounded() {
    let h = start().await;
    let answer = h
        .post("/v1/mgmt/user/create/batch", json!({"users": [{"loginId": "a"}]}))
        .await
        .ok();
    assert_eq!(answer["createdUsers"][0]["status"], "enabled");

    let too_many: Vec<Value> = (0..101).map(|i| json!({"loginId": format!("u{i}")})).collect();
    h.post("/v1/mgmt/user/create/batch", json!({"users": too_many}))
        .await
        .error(400, "E011002");
    h.post("/v1/mgmt/user/create/batch", json!({"users": []}))
        .await
        .error(400, "E011004");
}

#[tokio::test]
async fn update_replaces_and_patch_merges() {
    let h = start().await;
    h.define_attribute("team", json!(1)).await;
    h.define_attribute("level", json!(2)).await;
    h.create_user(json!({
        "loginId": "u@example.com", "email": "u@example.com", "displayName": "U",
        "verifiedEmail": true, "customAttributes": {"team": "a", "level": 1},
    }))
    .await;

    let patched = h
        .call(
            Method::PATCH,
            "/v1/mgmt/user/patch",
            json!({"loginId": "u@example.com", "givenName": "Uma", "customAttributes": {"level": 2}}),
        )
        .await
        .ok()["user"]
        .clone();
    assert_eq!(
        (&patched["name"], &patched["givenName"], &patched["email"]),
        (&json!("U"), &json!("Uma"), &json!("u@example.com"))
    );
    assert_eq!(patched["customAttributes"], json!({"team": "a", "level": 2}));

    let replaced = h
        .post(
            "/v1/mgmt/user/update",
            json!({"loginId": "u@example.com", "phone": "+1555"}),
        )
        .await
        .ok()["user"]
        .clone();
    assert_eq!(replaced["name"], "", "update is a whole replacement");
    assert_eq!(replaced["givenName"], "");
    assert_eq!(replaced["phone"], "+1555");
    assert_eq!(replaced["customAttributes"], json!({}));
    assert_eq!(replaced["verifiedEmail"], true, "verified flags are kept when not sent");
    assert_eq!(replaced["userId"], patched["userId"]);
    assert_eq!(replaced["createdTime"], patched["createdTime"]);

    h.post("/v1/mgmt/user/update", json!({"loginId": "nobody"}))
        .await
        .error(400, "E112102");
    h.call(
        Method::PATCH,
        "/v1/mgmt/user/patch",
        json!({"loginId": "u@example.com", "roleNames": ["ghost"]}),
    )
    .await
    .error(400, "E011002");
    // A refused change leaves the user as it was.
    assert_eq!(
        h.get("/v1/mgmt/user?loginId=u@example.com").await.ok()["user"],
        replaced
    );
}

#[tokio::test]
async fn patch_batch_reports_partial_results() {
    let h = start().await;
    h.create_user(json!({"loginId": "a"})).await;
    h.create_user(json!({"loginId": "b"})).await;
    let answer = h
        .call(
            Method::PATCH,
            "/v1/mgmt/user/patch/batch",
            json!({"users": [
                {"loginId": "a", "displayName": "A", "status": "disabled"},
                {"loginId": "ghost", "displayName": "G"},
                {"loginId": "b", "verifiedPhone": true},
            ]}),
        )
        .await
        .ok();
    let patched: Vec<&str> = answer["patchedUsers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["loginIds"][0].as_str().unwrap())
        .collect();
    assert_eq!(patched, ["a", "b"]);
    assert_eq!(answer["patchedUsers"][0]["status"], "disabled");
    assert_eq!(answer["patchedUsers"][0]["name"], "A");
    assert!(
        answer["failedUsers"][0]["failure"]
            .as_str()
            .unwrap()
            .starts_with("[E112102]")
    );
}

#[tokio::test]
async fn load_errors() {
    let h = start().await;
    h.get("/v1/mgmt/user?loginId=nobody").await.error(400, "E112102");
    h.get("/v1/mgmt/user?userId=U2nobody").await.error(400, "E112102");
    h.get("/v1/mgmt/user").await.error(400, "E011004");
}

#[tokio::test]
async fn status_custom_attribute_and_password_updates() {
    let h = start().await;
    h.define_attribute("plan", json!(1)).await;
    h.create_user(json!({"loginId": "s"})).await;

    let disabled = h
        .post(
            "/v1/mgmt/user/update/status",
            json!({"loginId": "s", "status": "disabled"}),
        )
        .await
        .ok();
    assert_eq!(disabled["user"]["status"], "disabled");
    h.post(
        "/v1/mgmt/user/update/status",
        json!({"loginId": "s", "status": "invited"}),
    )
    .await
    .error(400, "E011002");

    let set = h
        .post(
            "/v1/mgmt/user/update/customAttribute",
            json!({"loginId": "s", "attributeKey": "plan", "attributeValue": "pro"}),
        )
        .await
        .ok();
    assert_eq!(set["user"]["customAttributes"], json!({"plan": "pro"}));
    let cleared = h
        .post(
            "/v1/mgmt/user/update/customAttribute",
            json!({"loginId": "s", "attributeKey": "plan", "attributeValue": null}),
        )
        .await
        .ok();
    assert_eq!(cleared["user"]["customAttributes"], json!({}));

    h.post(
        "/v1/mgmt/user/password/set/active",
        json!({"loginId": "s", "password": "pw", "setActive": true}),
    )
    .await
    .ok();
    assert_eq!(h.get("/v1/mgmt/user?loginId=s").await.ok()["user"]["password"], true);
}

#[tokio::test]
async fn project_and_tenant_roles_are_added_set_and_removed() {
    let h = start().await;
    for role in ["a", "b", "c"] {
        h.create_role(role, &[]).await;
    }
    h.create_tenant("T2t", "T").await;
    h.create_user(json!({"loginId": "r"})).await;

    let steps = [
        (
            "/v2/mgmt/user/update/role/add",
            json!({"loginId": "r", "roleNames": ["a", "b"]}),
            json!(["a", "b"]),
        ),
        (
            "/v1/mgmt/user/update/role/add",
            json!({"loginId": "r", "roleNames": ["b", "c"]}),
            json!(["a", "b", "c"]),
        ),
        (
            "/v1/mgmt/user/update/role/remove",
            json!({"loginId": "r", "roleNames": ["a"]}),
            json!(["b", "c"]),
        ),
        (
            "/v1/mgmt/user/update/role/set",
            json!({"loginId": "r", "roleNames": ["a"]}),
            json!(["a"]),
        ),
    ];
    for (path, body, expected) in steps {
        let user = h.post(path, body).await.ok()["user"].clone();
        assert_eq!(user["roleNames"], expected, "{path}");
    }

    // Tenant roles need the membership first.
    h.post(
        "/v2/mgmt/user/update/role/add",
        json!({"loginId": "r", "tenantId": "T2t", "roleNames": ["b"]}),
    )
    .await
    .error(400, "E011002");
    h.post(
        "/v1/mgmt/user/update/tenant/add",
        json!({"loginId": "r", "tenantId": "T2t"}),
    )
    .await
    .ok();
    let user = h
        .post(
            "/v2/mgmt/user/update/role/add",
            json!({"loginId": "r", "tenantId": "T2t", "roleNames": ["b", "c"]}),
        )
        .await
        .ok()["user"]
        .clone();
    assert_eq!(user["roleNames"], json!(["a"]), "project roles untouched");
    assert_eq!(user["userTenants"][0]["roleNames"], json!(["b", "c"]));
    h.post(
        "/v1/mgmt/user/update/role/add",
        json!({"loginId": "r", "roleNames": ["ghost"]}),
    )
    .await
    .error(400, "E011002");
    h.post(
        "/v1/mgmt/user/update/tenant/add",
        json!({"loginId": "r", "tenantId": "T2ghost"}),
    )
    .await
    .error(400, "E011002");
    let removed = h
        .post(
            "/v1/mgmt/user/update/tenant/remove",
            json!({"loginId": "r", "tenantId": "T2t"}),
        )
        .await;
    assert_eq!(removed.ok()["user"]["userTenants"], json!([]));
}

#[tokio::test]
async fn delete_and_delete_batch() {
    let h = start().await;
    let a = h.create_user(json!({"loginId": "a"})).await;
    let b = h.create_user(json!({"loginId": "b"})).await;
    h.create_user(json!({"loginId": "c"})).await;

    h.post("/v1/mgmt/user/delete", json!({"loginId": "c"})).await.ok();
    h.post("/v1/mgmt/user/delete", json!({"loginId": "c"})).await.ok(); // deleting nobody succeeds
    h.post(
        "/v1/mgmt/user/delete/batch",
        json!({"userIds": [a["userId"], b["userId"], "U2none"]}),
    )
    .await
    .ok();
    assert_eq!(h.emulator().user_count(), 0);
    // The login ID is free again.
    h.create_user(json!({"loginId": "a"})).await;
}

#[tokio::test]
async fn search_filters_paginate_and_count() {
    let h = start().await;
    h.create_role("admin", &[]).await;
    h.create_tenant("T2one", "One").await;
    h.define_attribute("dept", json!(1)).await;
    h.define_attribute("level", json!(2)).await;
    for i in 0..10 {
        let mut user = json!({
            "loginId": format!("user{i}@example.com"),
            "email": format!("user{i}@example.com"),
            "phone": format!("+1555000{i:04}"),
            "displayName": format!("User Number {i}"),
            "customAttributes": {"dept": if i % 2 == 0 { "eng" } else { "ops" }, "level": i},
        });
        if i < 3 {
            user["roleNames"] = json!(["admin"]);
        }
        if i >= 8 {
            user["userTenants"] = json!([{"tenantId": "T2one"}]);
        }
        if i == 9 {
            user["status"] = json!("disabled");
        }
        h.create_user(user).await;
    }
    h.post("/v1/mgmt/user/create/test", json!({"loginId": "test-user"}))
        .await
        .ok();

    let u = |ids: &[usize]| ids.iter().map(|i| format!("user{i}@example.com")).collect::<Vec<_>>();
    let cases = [
        (
            "everything but test users",
            json!({}),
            u(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
        ),
        (
            "loginIds",
            json!({"loginIds": ["user3@example.com", "user5@example.com"]}),
            u(&[3, 5]),
        ),
        ("roleNames", json!({"roleNames": ["admin"]}), u(&[0, 1, 2])),
        ("tenantIds", json!({"tenantIds": ["T2one"]}), u(&[8, 9])),
        ("statuses", json!({"statuses": ["disabled"]}), u(&[9])),
        ("emails", json!({"emails": ["user4@example.com"]}), u(&[4])),
        ("phones", json!({"phones": ["+15550000007"]}), u(&[7])),
        (
            "custom attribute value",
            json!({"customAttributes": {"dept": "ops"}}),
            u(&[1, 3, 5, 7, 9]),
        ),
        (
            "custom attribute list",
            json!({"customAttributes": {"level": [2, 4.0]}}),
            u(&[2, 4]),
        ),
        (
            "custom attributes all keys",
            json!({"customAttributes": {"dept": "eng", "level": [1, 2, 3]}}),
            u(&[2]),
        ),
        ("text", json!({"text": "NUMBER 6"}), u(&[6])),
        (
            "combined",
            json!({"roleNames": ["admin"], "customAttributes": {"dept": "eng"}}),
            u(&[0, 2]),
        ),
        (
            "test users only",
            json!({"testUsersOnly": true}),
            vec!["test-user".to_owned()],
        ),
    ];
    for (case, body, expected) in cases {
        let (logins, total) = h.search_logins(body).await;
        assert_eq!(logins, expected, "{case}");
        assert_eq!(total, expected.len() as u64, "{case}");
    }
    let (with_test, _) = h.search_logins(json!({"withTestUser": true})).await;
    assert_eq!(with_test.len(), 11);

    // Pages are 0-based, stable, and `total` counts every match.
    let mut seen = Vec::new();
    for page in 0..4 {
        let (logins, total) = h.search_logins(json!({"limit": 3, "page": page})).await;
        assert_eq!(total, 10);
        seen.extend(logins);
    }
    assert_eq!(seen, u(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    let (beyond, total) = h.search_logins(json!({"limit": 3, "page": 9})).await;
    assert!(beyond.is_empty() && total == 10);

    h.post("/v2/mgmt/user/search", json!({"limit": -1}))
        .await
        .error(400, "E011002");
    h.post("/v2/mgmt/user/search", json!({"page": -1}))
        .await
        .error(400, "E011002");
    h.post("/v2/mgmt/user/search", json!({"statuses": ["gone"]}))
        .await
        .error(400, "E011002");
    // The v1 path answers the same way.
    assert_eq!(
        h.post("/v1/mgmt/user/search", json!({"limit": 2})).await.ok()["total"],
        10
    );
}

#[tokio::test]
async fn search_pages_are_capped_and_default_to_100() {
    let h = start().await;
    for batch in 0..6 {
        let users: Vec<Value> = (0..100).map(|i| json!({"loginId": format!("p{batch}-{i}")})).collect();
        h.post("/v1/mgmt/user/create/batch", json!({"users": users})).await.ok();
    }
    let (default_page, total) = h.search_logins(json!({"limit": 0})).await;
    assert_eq!((default_page.len(), total), (100, 600));
    let (capped, _) = h.search_logins(json!({"limit": 10_000})).await;
    assert_eq!(capped.len(), 500, "a limit above the maximum is capped, not honoured");
}

#[tokio::test]
async fn ten_thousand_users_in_batches_of_100_is_fast() {
    let h = start().await;
    let started = Instant::now();
    for batch in 0..100 {
        let users: Vec<Value> = (0..100)
            .map(|i| json!({"loginId": format!("load{batch}-{i}@example.com"), "email": "x@y"}))
            .collect();
        let answer = h.post("/v1/mgmt/user/create/batch", json!({"users": users})).await.ok();
        assert_eq!(answer["createdUsers"].as_array().unwrap().len(), 100);
    }
    let (_, total) = h.search_logins(json!({"loginIds": ["load99-99@example.com"]})).await;
    assert_eq!(total, 1);
    assert_eq!(h.emulator().user_count(), 10_000);
    // Generous bound for a debug build on 2 cores; an O(n) create would take far longer.
    assert!(started.elapsed().as_secs() < 30, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn logout_names_an_existing_user() {
    let h = start().await;
    h.create_user(json!({"loginId": "out@x.io"})).await;
    let answer = h.post("/v1/mgmt/user/logout", json!({"loginId": "out@x.io"})).await;
    assert_eq!(answer.status.as_u16(), 200, "{:?}", answer.body);
    h.post("/v1/mgmt/user/logout", json!({"loginId": "nobody@x.io"}))
        .await
        .error(400, "E112102");
}

#[tokio::test]
async fn auth_history_lists_each_sign_in() {
    let h = start().await;
    h.create_user(json!({"loginId": "seen@x.io"})).await;
    h.create_user(json!({"loginId": "unseen@x.io"})).await;
    let emu = h.emulator();
    let session = emu
        .mint_session(&serde_json::from_value(json!({"loginId": "seen@x.io"})).unwrap())
        .unwrap();
    let seen = session.claims["sub"].as_str().unwrap().to_owned();
    let dump = emu.state_dump();
    let ids: Vec<Value> = dump["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userId"].clone())
        .collect();
    let answer = h.post("/v1/mgmt/user/history", json!(ids)).await;
    assert_eq!(answer.status.as_u16(), 200, "{:?}", answer.body);
    let entries = answer.body["usersAuthHistory"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["userId"], seen.as_str());
    assert!(entries[0]["loginTime"].as_i64().unwrap() > 1_700_000_000);
}
