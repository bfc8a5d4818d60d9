//! Roles, tenants and custom attribute definitions.

use crate::common::start;
use serde_json::json;

#[tokio::test]
async fn roles_are_created_loaded_and_searched() {
    let h = start().await;
    h.create_tenant("T2acme", "Acme").await;
    h.post(
        "/v1/mgmt/role/create",
        json!({"name": "admin", "description": "all", "permissionNames": ["p1", "p2"], "default": true}),
    )
    .await
    .ok();
    let batch = h
        .post(
            "/v1/mgmt/role/create/batch",
            json!({"roles": [
                {"name": "viewer", "permissionNames": ["p1"]},
                {"name": "admin", "tenantId": "T2acme", "permissionNames": ["p3"]},
            ]}),
        )
        .await
        .ok();
    assert_eq!(batch["roles"].as_array().unwrap().len(), 2);

    let all = h.get("/v1/mgmt/role/all").await.ok()["roles"].clone();
    let summary: Vec<(&str, &str)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["tenantId"].as_str().unwrap()))
        .collect();
    assert_eq!(summary, [("admin", ""), ("viewer", ""), ("admin", "T2acme")]);
    let admin = &all[0];
    assert_eq!(admin["description"], "all");
    assert_eq!(admin["permissionNames"], json!(["p1", "p2"]));
    assert_eq!(admin["default"], true);
    assert_eq!(admin["private"], false);
    assert!(admin["id"].as_str().unwrap().starts_with("R2") && admin["createdTime"].as_i64().unwrap() > 0);

    let search = |body| {
        let h = &h;
        async move {
            let roles = h.post("/v1/mgmt/role/search", body).await.ok()["roles"].clone();
            roles
                .as_array()
                .unwrap()
                .iter()
                .map(|r| format!("{}@{}", r["name"].as_str().unwrap(), r["tenantId"].as_str().unwrap()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search(json!({"roleNames": ["viewer"]})).await, ["viewer@"]);
    assert_eq!(search(json!({"tenantIds": ["T2acme"]})).await, ["admin@T2acme"]);
    assert_eq!(
        search(json!({"tenantIds": ["T2acme"], "includeProjectRoles": true})).await,
        ["admin@", "viewer@", "admin@T2acme"]
    );
    assert_eq!(search(json!({"roleNameLike": "VIEW"})).await, ["viewer@"]);
    assert_eq!(search(json!({"permissionNames": ["p3"]})).await, ["admin@T2acme"]);
}

#[tokio::test]
async fn existing_roles_are_refused_and_batches_are_atomic() {
    let h = start().await;
    h.create_role("admin", &[]).await;
    h.post("/v1/mgmt/role/create", json!({"name": "admin"}))
        .await
        .error(400, "E011002");
    h.post("/v1/mgmt/role/create", json!({"name": ""}))
        .await
        .error(400, "E011004");
    h.post("/v1/mgmt/role/create", json!({"name": "x", "tenantId": "T2ghost"}))
        .await
        .error(400, "E011002");
    h.post(
        "/v1/mgmt/role/create/batch",
        json!({"roles": [{"name": "new"}, {"name": "admin"}]}),
    )
    .await
    .error(400, "E011002");
    h.post(
        "/v1/mgmt/role/create/batch",
        json!({"roles": [{"name": "dup"}, {"name": "dup"}]}),
    )
    .await
    .error(400, "E011002");
    assert_eq!(
        h.get("/v1/mgmt/role/all").await.ok()["roles"].as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn tenants_are_created_with_or_without_id() {
    let h = start().await;
    let given = h
        .post(
            "/v1/mgmt/tenant/create",
            json!({"id": "T2mine", "name": "Mine", "selfProvisioningDomains": ["mine.com"], "enforceSSO": false}),
        )
        .await
        .ok();
    assert_eq!(given, json!({"id": "T2mine"}));
    let generated = h.post("/v1/mgmt/tenant/create", json!({"name": "Other"})).await.ok()["id"].clone();
    let generated = generated.as_str().unwrap();
    assert!(generated.starts_with("T2") && generated.len() == 28, "{generated}");

    let all = h.get("/v1/mgmt/tenant/all").await.ok()["tenants"].clone();
    assert_eq!(all[0]["id"], "T2mine");
    assert_eq!(all[0]["selfProvisioningDomains"], json!(["mine.com"]));
    assert_eq!(all[1]["name"], "Other");
    assert_eq!(h.get("/v1/mgmt/tenant?id=T2mine").await.ok()["name"], "Mine");

    h.post("/v1/mgmt/tenant/create", json!({"id": "T2mine", "name": "Again"}))
        .await
        .error(400, "E011002");
    h.post("/v1/mgmt/tenant/create", json!({"name": "Mine"}))
        .await
        .error(400, "E011002");
    h.post("/v1/mgmt/tenant/create", json!({})).await.error(400, "E011004");
}

#[tokio::test]
async fn attribute_definitions_are_created_loaded_and_deleted() {
    let h = start().await;
    let created = h
        .post(
            "/v1/mgmt/user/customattribute/create",
            json!({"attributes": [
                {"name": "plan", "type": 4, "displayName": "Plan",
                 "options": [{"value": "free", "label": "Free"}, {"value": "pro", "label": "Pro"}],
                 "defaultValue": {}, "viewPermissions": [], "editPermissions": [], "editable": true},
                {"name": "score", "type": "number", "displayName": "Score"},
            ]}),
        )
        .await
        .ok();
    assert_eq!(created["total"], 2);
    assert_eq!(
        created["data"][0],
        json!({"name": "plan", "type": 4, "displayName": "Plan",
               "options": [{"value": "free", "label": "Free"}, {"value": "pro", "label": "Pro"}],
               "defaultValue": {}, "viewPermissions": [], "editPermissions": [], "editable": true})
    );
    assert_eq!(created["data"][1]["type"], 2, "type names are answered as codes");

    // Creating an existing name again is harmless and changes nothing.
    h.define_attribute("score", json!(1)).await;
    let loaded = h.get("/v1/mgmt/user/customattributes").await.ok();
    assert_eq!(loaded["data"][1]["type"], 2);

    h.create_user(json!({"loginId": "u", "customAttributes": {"score": 3}}))
        .await;
    let remaining = h
        .post("/v1/mgmt/user/customattribute/delete", json!({"names": ["score"]}))
        .await
        .ok();
    assert_eq!(remaining["data"].as_array().unwrap().len(), 1);
    let user = h.get("/v1/mgmt/user?loginId=u").await.ok();
    assert_eq!(
        user["user"]["customAttributes"],
        json!({}),
        "values of a deleted definition go with it"
    );
}

#[tokio::test]
async fn bad_attribute_definitions_are_refused() {
    let h = start().await;
    let cases = [
        ("unknown type code", json!({"name": "a", "type": 9}), "E011002"),
        ("type 0", json!({"name": "a", "type": 0}), "E011002"),
        ("unknown type name", json!({"name": "a", "type": "color"}), "E011002"),
        ("no type", json!({"name": "a"}), "E011004"),
        ("no name", json!({"type": 1}), "E011004"),
        ("colon in name", json!({"name": "custom:dept", "type": 1}), "E011002"),
        ("leading digit", json!({"name": "1dept", "type": 1}), "E011002"),
    ];
    for (case, def, code) in cases {
        let answer = h
            .post("/v1/mgmt/user/customattribute/create", json!({"attributes": [def]}))
            .await;
        assert_eq!(answer.code(), code, "{case}: {}", answer.body);
    }
    assert_eq!(h.get("/v1/mgmt/user/customattributes").await.ok()["total"], 0);
}

#[tokio::test]
async fn attribute_values_must_match_their_definition() {
    let h = start().await;
    h.define_attribute("s", json!(1)).await;
    h.define_attribute("n", json!(2)).await;
    h.define_attribute("b", json!(3)).await;
    h.define_attribute("d", json!("date")).await;
    h.post(
        "/v1/mgmt/user/customattribute/create",
        json!({"attributes": [
            {"name": "one", "type": "singleselect", "options": ["x", "y"]},
            {"name": "many", "type": 5, "options": [{"value": "x"}, {"value": "y"}]},
        ]}),
    )
    .await
    .ok();
    h.create_user(json!({"loginId": "u"})).await;

    let cases = [
        ("s", json!("text"), true),
        ("s", json!(1), false),
        ("n", json!(1.5), true),
        ("n", json!("1.5"), false),
        ("b", json!(false), true),
        ("b", json!("true"), false),
        ("d", json!(1_700_000_000_000_i64), true),
        ("d", json!("2024-01-01"), false),
        ("one", json!("y"), true),
        ("one", json!("z"), false),
        ("many", json!(["x", "y"]), true),
        ("many", json!(["x", "z"]), false),
        ("many", json!("x"), false),
        ("undefined", json!("x"), false),
    ];
    for (key, value, accepted) in cases {
        let body = json!({"loginId": "u", "attributeKey": key, "attributeValue": value});
        let answer = h.post("/v1/mgmt/user/update/customAttribute", body).await;
        if accepted {
            assert_eq!(answer.ok()["user"]["customAttributes"][key], value, "{key} = {value}");
        } else {
            answer.error(400, "E011003");
        }
    }
    // The same check guards create and patch.
    h.post(
        "/v1/mgmt/user/create",
        json!({"loginId": "v", "customAttributes": {"n": "NaN"}}),
    )
    .await
    .error(400, "E011003");
    h.call(
        reqwest::Method::PATCH,
        "/v1/mgmt/user/patch",
        json!({"loginId": "u", "customAttributes": {"b": 0}}),
    )
    .await
    .error(400, "E011003");
}
