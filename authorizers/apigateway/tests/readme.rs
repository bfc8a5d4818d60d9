//! The README's policy examples parse (JSON and TOML read the same) and its worked example holds;
//! the template caches and configures the functions as the README says.

use apigateway_authorizer::decide;
use authorizer_common::testing::{claims, wire};
use authz_policy::PolicyDocument;
use serde_json::{Value, json};

use crate::support::SUITE;

#[test]
fn readme_policy_is_the_same_in_json_and_toml() {
    let json = PolicyDocument::parse(&SUITE.readme_block("json")).unwrap();
    let toml = PolicyDocument::parse(&SUITE.readme_block("toml")).unwrap();
    assert_eq!(format!("{:?}", json.apigateway()), format!("{:?}", toml.apigateway()));
}

#[tokio::test]
async fn readme_worked_example_holds() {
    let (keys, state) = SUITE.readme_state().await;
    let mut ada = claims();
    ada["sub"] = json!("U2ada");
    ada["roles"] = json!(["viewer"]);
    ada["permissions"] = json!(["items.write"]);
    ada["tenants"] = json!({"T1": {"roles": ["tenant-admin"]}, "T2": {"permissions": ["invoices.read"]}});
    let token = keys.signing.sign(&ada).unwrap();
    let arn = |route: &str| format!("arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/{route}");
    let ask = |route: &str| {
        let event = json!({"type": "TOKEN", "authorizationToken": format!("Bearer {token}"), "methodArn": arn(route)});
        let state = &state;
        async move { decide(state, &event).await }
    };

    let decision = ask("GET/items/42").await;
    assert_eq!(decision.verdict.as_str(), "allow");
    let body = wire(decision.response);
    assert_eq!(body["principalId"], "U2ada");
    let mut expected: Vec<String> = ["GET/health", "GET/items", "GET/items/*", "GET/me"].map(arn).into();
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] {
        expected.push(arn(&format!("{method}/tenants/T1/*")));
    }
    expected.extend(
        [
            "GET/tenants/T2/invoices",
            "GET/tenants/T2/invoices/*",
            "POST/items",
            "PUT/items/*",
            "DELETE/items/*",
        ]
        .map(arn),
    );
    let resources: Vec<String> =
        serde_json::from_value(body["policyDocument"]["Statement"][0]["Resource"].clone()).unwrap();
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(sorted(resources), sorted(expected));
    assert_eq!(body["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(body["context"]["permissions"], "items.write");

    for (route, verdict) in [
        ("PUT/items/42", "allow"),
        ("DELETE/tenants/T1/users/7", "allow"),
        ("GET/tenants/T2/invoices/9", "allow"),
        ("DELETE/tenants/T2/invoices/9", "deny"),
        ("GET/admin/stats", "deny"),
    ] {
        assert_eq!(ask(route).await.verdict.as_str(), verdict, "{route}");
    }

    let mut admin = claims();
    admin["roles"] = json!(["admin"]);
    let token = keys.signing.sign(&admin).unwrap();
    let event = json!({"type": "TOKEN", "authorizationToken": token, "methodArn": arn("GET/admin/stats")});
    let body: Value = wire(decide(&state, &event).await.response);
    assert_eq!(body["policyDocument"]["Statement"][0]["Resource"], json!([arn("*/*")]));
}

/// Issue #14: API Gateway reuses a cached answer for the whole TTL, whatever the token's `exp`
/// and whatever changed in Descope meanwhile. The template's default stays at a minute or less,
/// the maximum stays AWS's, and AppSync's `ttlOverride` (which wins over the API's TTL) is capped
/// by the same parameter.
#[test]
fn the_template_caches_answers_for_at_most_a_minute_by_default() {
    let template = std::fs::read_to_string(SUITE.dir().join("../../../infra/template.yaml")).unwrap();
    let start = template.find("\n  AuthorizerCacheSeconds:\n").expect("the parameter");
    let block: Vec<&str> = template[start + 1..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .collect();
    let value = |key: &str| -> u64 {
        let line = block.iter().find(|l| l.trim_start().starts_with(key)).unwrap();
        line.trim_start()[key.len()..].trim().parse().unwrap()
    };
    assert!(value("Default:") <= 60, "default TTL {}", value("Default:"));
    assert_eq!(value("MaxValue:"), 3600);
    let appsync = template.find("  AppSyncAuthorizerFunction:\n").unwrap();
    let appsync_env = &template[appsync..template[appsync..].find("\n  # ---").unwrap() + appsync];
    assert!(
        appsync_env.contains("AUTHZ_MAX_TTL_SECONDS: !Ref AuthorizerCacheSeconds"),
        "the AppSync function's ttlOverride cap follows the parameter"
    );
}

/// Both functions read the same cutover settings, so the template must hand both of them every
/// one it has, the issuer formats and replica regions included; and the settings that only apply
/// with a pool reach them only with a pool (the functions refuse to start with them set and no
/// pool, so clearing CognitoUserPoolId alone must end the cutover, not the functions).
#[test]
fn the_template_gives_both_functions_the_same_cutover_settings() {
    let template = std::fs::read_to_string(SUITE.dir().join("../../../infra/template.yaml")).unwrap();
    let env_of = |function: &str| -> Vec<String> {
        let start = template.find(&format!("  {function}:\n")).expect("the function");
        let end = start + template[start..].find("\n  # ---").unwrap();
        template[start..end]
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("COGNITO_"))
            .map(str::to_owned)
            .collect()
    };
    let apigateway = env_of("ApiGatewayAuthorizerFunction");
    assert_eq!(apigateway, env_of("AppSyncAuthorizerFunction"));
    for line in [
        "COGNITO_USER_POOL_ID: !Ref CognitoUserPoolId",
        "COGNITO_CLIENT_IDS: !If [CutoverMode, !Ref CognitoClientIds, \"\"]",
        "COGNITO_TOKEN_USE: !If [CutoverMode, !Ref CognitoTokenUse, \"\"]",
        "COGNITO_ISSUER_FORMS: !If [CutoverMode, !Ref CognitoIssuerForms, \"\"]",
        "COGNITO_REPLICA_REGIONS: !If [CutoverMode, !Ref CognitoReplicaRegions, \"\"]",
    ] {
        assert!(apigateway.iter().any(|l| l == line), "{line} in {apigateway:?}");
    }
}

/// The condition the dependent settings hang on is "a pool is set".
#[test]
fn the_cutover_condition_is_a_pool_being_set() {
    let template = std::fs::read_to_string(SUITE.dir().join("../../../infra/template.yaml")).unwrap();
    assert!(
        template.contains("  CutoverMode: !Not [!Equals [!Ref CognitoUserPoolId, \"\"]]\n"),
        "CutoverMode must mean: CognitoUserPoolId is not empty"
    );
}
