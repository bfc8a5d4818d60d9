//! The README's policy examples parse (JSON and TOML read the same) and its worked example holds.

use appsync_authorizer::decide;
use authorizer_common::testing::{NOW, claims};
use authz_policy::PolicyDocument;
use serde_json::{Value, json};

use crate::support::SUITE;

#[test]
fn readme_policy_is_the_same_in_json_and_toml() {
    let json = PolicyDocument::parse(&SUITE.readme_block("json")).unwrap();
    let toml = PolicyDocument::parse(&SUITE.readme_block("toml")).unwrap();
    assert!(json.appsync().is_some());
    assert_eq!(format!("{:?}", json.appsync()), format!("{:?}", toml.appsync()));
}

#[tokio::test]
async fn readme_worked_example_holds() {
    let (keys, state) = SUITE.readme_state().await;
    let mut ada = claims();
    ada["sub"] = json!("U2ada");
    ada["exp"] = json!(NOW + 600);
    ada["roles"] = json!(["editor"]);
    ada["permissions"] = json!(["pii.read"]);
    ada["tenants"] = json!({"T1": {"roles": ["tenant-admin"]}, "T2": {"permissions": ["billing.read"]}});
    ada["dct"] = json!("T1");
    let token = keys.signing.sign(&ada).unwrap();
    let ask = |query: &str| {
        let event = json!({
            "authorizationToken": format!("Bearer {token}"),
            "requestContext": {"apiId": "a1b2c3", "accountId": "123456789012", "requestId": "r1",
                               "queryString": query, "operationName": null, "variables": {}},
            "requestHeaders": {}
        });
        let state = &state;
        async move { decide(state, &event).await }
    };

    let decision = ask("query Feed { listPosts { items { title author { name email phone } } } }").await;
    assert_eq!(decision.verdict.as_str(), "allow");
    let body: Value = serde_json::to_value(&decision.response).unwrap();
    assert_eq!(body["isAuthorized"], true);
    assert_eq!(
        body["deniedFields"],
        json!([
            "Mutation.deletePost",
            "Query.auditLog",
            "Query.internalStats",
            "Tenant.billing",
            "User.phone"
        ])
    );
    // Mutation.deletePost is denied: never cached unless the resolvers check the caller.
    assert_eq!(body["ttlOverride"], 0);
    let context = &body["resolverContext"];
    assert_eq!(
        (&context["userId"], &context["roles"], &context["permissions"]),
        (&json!("U2ada"), &json!("editor"), &json!("pii.read"))
    );
    assert_eq!(
        (&context["currentTenant"], &context["authorizedTenant"]),
        (&json!("T1"), &json!("T1"))
    );

    for (query, verdict) in [
        ("mutation { deletePost(id: \"1\") { id } }", "refuse"),
        ("{ internalStats }", "refuse"),
        ("mutation { createPost(title: \"x\") { id } }", "allow"),
        ("{ tenantUsers { id } }", "allow"),
    ] {
        assert_eq!(ask(query).await.verdict.as_str(), verdict, "{query}");
    }
}
