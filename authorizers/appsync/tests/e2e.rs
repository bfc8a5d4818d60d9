//! End to end: the compiled `appsync-authorizer` binary under a Lambda Runtime API stand-in,
//! verifying tokens issued by the Descope emulator (users, roles and tenants created through its
//! management API); in cutover mode beside Cognito tokens issued by moto; plus a cold start with a
//! bad setting.

use std::time::Duration;

use authorizer_common::testing::{
    e2e::{CutoverPool, Project, cognito_env},
    metrics::{replay, rows},
    runtime::{
        Call as _, InitFailure, RuntimeApi, assert_no_token_in, decided, decisions, finish, idps, reasons,
        response_body, run_function, spawn_function, traced_decisions,
    },
};
use moto_harness::{Moto, UserPool};
use serde_json::json;

use crate::support::{SUITE, event_without_token};

const BINARY: &str = env!("CARGO_BIN_EXE_appsync-authorizer");

const POLICY_TOML: &str = r#"
version = 1

[appsync]
authenticated = ["Query.me", "Query.listPosts"]

[appsync.roles]
admin = ["Mutation.deletePost", "Query.auditLog", "User.email"]

[appsync.tenants.roles]
tenant-admin = ["Query.tenantUsers"]
"#;

/// An emulator with roles, a tenant and three users: ada (admin, tenant-admin of T2acme),
/// bob (no roles) and cara (tenant-admin of T2acme only, as imported from a tenant's pool).
async fn seed() -> Project {
    let project = Project::start().await;
    for (path, body) in [
        (
            "/v1/mgmt/role/create",
            json!({"name": "admin", "permissionNames": ["pii.read"]}),
        ),
        ("/v1/mgmt/role/create", json!({"name": "tenant-admin"})),
        ("/v1/mgmt/tenant/create", json!({"id": "T2acme", "name": "Acme"})),
        (
            "/v1/mgmt/user/create",
            json!({"loginId": "ada@example.com", "roleNames": ["admin"],
                   "userTenants": [{"tenantId": "T2acme", "roleNames": ["tenant-admin"]}]}),
        ),
        ("/v1/mgmt/user/create", json!({"loginId": "bob@example.com"})),
        (
            "/v1/mgmt/user/create",
            json!({"loginId": "cara@example.com",
                   "userTenants": [{"tenantId": "T2acme", "roleNames": ["tenant-admin"]}]}),
        ),
    ] {
        project.manage(path, body).await;
    }
    project
}

/// The function's settings for `project` with `policy`.
fn env(project: &Project, policy: &str) -> Vec<(&'static str, String)> {
    let mut env = project.env();
    env.extend([
        ("AUTHZ_POLICY", policy.to_owned()),
        ("AUTHZ_MAX_TTL_SECONDS", "3600".to_owned()),
    ]);
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_answers_appsync_with_emulator_tokens() {
    let project = seed().await;
    let ada = project.token("ada@example.com", |r| {
        r.tenant = Some("T2acme".into());
        r.expires_in = Some(900);
    });
    let bob = project.token("bob@example.com", |r| r.expires_in = Some(120));
    let expired = project.token("ada@example.com", |r| r.expires_in = Some(-120));
    let refresh = project.token("ada@example.com", |r| r.refresh = Some(true));
    let all_tokens = [&ada, &bob, &expired, &refresh];

    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &env(&project, POLICY_TOML));

    // ada: every protected field granted; her current tenant's tenant-admin role counts.
    let body = response_body(api.call(SUITE.event("query.json", &format!("Bearer {ada}"))).await);
    assert_eq!(body["isAuthorized"], true, "{body}");
    assert_eq!(body["deniedFields"], json!([]));
    let user_id = body["resolverContext"]["userId"].as_str().unwrap().to_owned();
    assert!(user_id.starts_with('U'), "{body}");
    assert_eq!(body["resolverContext"]["roles"], "admin");
    assert_eq!(body["resolverContext"]["permissions"], "pii.read");
    assert_eq!(body["resolverContext"]["currentTenant"], "T2acme");
    assert_eq!(body["resolverContext"]["authorizedTenant"], "T2acme");
    let ttl = body["ttlOverride"].as_u64().unwrap();
    assert!(
        (880..=900).contains(&ttl),
        "ttlOverride follows the token's lifetime: {ttl}"
    );
    let body = response_body(api.call(SUITE.event("mutation.json", &format!("Bearer {ada}"))).await);
    assert_eq!(body["isAuthorized"], true, "{body}");

    // bob: authorized for the query with the protected fields denied; refused the mutation.
    let body = response_body(api.call(SUITE.event("query.json", &format!("bearer {bob}"))).await);
    assert_eq!(body["isAuthorized"], true, "{body}");
    assert_eq!(
        body["deniedFields"],
        json!([
            "Mutation.deletePost",
            "Query.auditLog",
            "Query.tenantUsers",
            "User.email"
        ])
    );
    assert!(body["ttlOverride"].as_u64().unwrap() <= 120, "{body}");
    let body = response_body(api.call(SUITE.event("mutation.json", &format!("Bearer {bob}"))).await);
    assert_eq!(
        body,
        json!({"isAuthorized": false, "resolverContext": {}, "ttlOverride": 0})
    );

    // Expired, refresh, missing and garbage tokens: not authorized, never an invocation error.
    for bad in [
        SUITE.event("query.json", &format!("Bearer {expired}")),
        SUITE.event("query.json", &format!("Bearer {refresh}")),
        SUITE.event("query.json", "Bearer x.y.z"),
        event_without_token("query.json"),
    ] {
        let body = response_body(api.call(bad).await);
        assert_eq!(
            body,
            json!({"isAuthorized": false, "resolverContext": {}, "ttlOverride": 0})
        );
    }

    let (exit, output) = finish(child, Duration::ZERO);
    assert_eq!(exit, None, "the function kept polling for events until stopped");
    let lines = decisions(&output);
    assert_eq!(lines.len(), 8, "one decision line per event:\n{output}");
    let field = |i: usize, name: &str| lines[i]["fields"][name].clone();
    assert_eq!(
        (field(0, "decision"), field(0, "reason")),
        (json!("allow"), json!("all_granted"))
    );
    assert_eq!(field(0, "subject"), json!(user_id));
    assert_eq!(field(0, "operation_type"), json!("query"));
    assert!(field(0, "latency_us").is_u64());
    assert_eq!(field(2, "reason"), json!("fields_denied"));
    assert_eq!(field(2, "denied_fields"), json!(4));
    assert_eq!(
        (field(3, "decision"), field(3, "reason")),
        (json!("refuse"), json!("operation_not_granted"))
    );
    assert_eq!(field(3, "refused"), json!("Mutation.deletePost"));
    assert_eq!(field(4, "reason"), json!("expired"));
    assert_eq!(field(5, "reason"), json!("refresh_token"));
    assert_eq!(field(7, "reason"), json!("missing_token"));
    assert!(output.contains("signing keys prefetched"), "{output}");
    assert!(!output.contains("do-not-echo"), "request headers never reach the logs");
    assert_no_token_in(&output, all_tokens);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_setting_stops_the_cold_start_with_an_init_error() {
    let project = seed().await;
    let bad = r#"{"version": 1, "appsync": {"roles": {"admin": ["Mutation.*"]}}}"#;
    let failure = InitFailure::of(BINARY, &env(&project, bad)).await;
    failure.assert_config_error(
        "AUTHZ_POLICY: policy field \"Mutation.*\" at appsync.roles.admin is invalid: wildcards are not allowed: AppSync needs every Type.field spelled out",
        "wildcards are not allowed",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cutover_accepts_cognito_and_descope_tokens_side_by_side() {
    let project = seed().await;
    let moto = Moto::start();
    // A pool migrated into project roles, and a pool migrated into tenant T2acme.
    let main = UserPool::create(&moto, "main").await;
    let main_web = main.app_client("web").await;
    let main_partner = main.app_client("partner").await;
    main.group("admin").await;
    main.user("ada", "ada@example.com", &["admin"]).await;
    let acme = UserPool::create(&moto, "acme").await;
    let acme_web = acme.app_client("web").await;
    acme.group("tenant-admin").await;
    acme.user("cara", "cara@example.com", &["tenant-admin"]).await;
    let elsewhere = UserPool::create(&moto, "elsewhere").await;
    let elsewhere_web = elsewhere.app_client("web").await;
    elsewhere.user("ada", "ada@example.com", &[]).await;

    let ada = main.tokens(&main_web, "ada").await;
    let cara = acme.tokens(&acme_web, "cara").await;
    let via_partner = main.tokens(&main_partner, "ada").await;
    let other_pool = elsewhere.tokens(&elsewhere_web, "ada").await;
    let ada_descope = project.token("ada@example.com", |_| {});
    let cara_descope = project.token("cara@example.com", |r| r.tenant = Some("T2acme".into()));

    let mut settings = env(&project, POLICY_TOML);
    settings.extend(cognito_env(
        &moto,
        &format!("{}, {}=T2acme", main.id, acme.id),
        &format!("{main_web},{acme_web}"),
        "access,id",
    ));
    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &settings);
    for fixture in ["query.json", "mutation.json"] {
        for (descope, cognito) in [(&ada_descope, &ada), (&cara_descope, &cara)] {
            let expected = response_body(api.call(SUITE.event(fixture, &format!("Bearer {descope}"))).await);
            for token in [&cognito.access, &cognito.id] {
                let body = response_body(api.call(SUITE.event(fixture, &format!("Bearer {token}"))).await);
                assert_eq!(body["isAuthorized"], expected["isAuthorized"], "{fixture}: {body}");
                assert_eq!(body["deniedFields"], expected["deniedFields"], "{fixture}: {body}");
                if body["isAuthorized"] == true {
                    let context = &body["resolverContext"];
                    assert_eq!(context["idp"], "cognito");
                    assert_eq!(expected["resolverContext"]["idp"], "descope");
                    assert_eq!(
                        context["currentTenant"], expected["resolverContext"]["currentTenant"],
                        "{fixture}"
                    );
                }
            }
        }
    }
    // The tenant pool's group opened the tenant field, as cara's Descope tenant role does.
    let body = response_body(
        api.call(SUITE.event("query.json", &format!("Bearer {}", cara.access)))
            .await,
    );
    assert_eq!(
        body["deniedFields"],
        json!(["Mutation.deletePost", "Query.auditLog", "User.email"])
    );
    let context = &body["resolverContext"];
    assert_eq!(context["cognitoUsername"], "cara");
    assert_eq!(context["cognitoSub"], acme.sub("cara").await.as_str());
    assert_eq!(context["cognitoUserPoolId"], acme.id.as_str());
    assert_eq!(context["currentTenant"], "T2acme");
    // Mutation.deletePost is denied to her: the answer is never cached (issue #14).
    assert_eq!(body["ttlOverride"], 0, "{body}");

    // Refused: another app client of a configured pool, an unconfigured pool, a refresh token.
    for token in [&via_partner.access, &other_pool.access, &other_pool.id, &ada.refresh] {
        let body = response_body(api.call(SUITE.event("query.json", &format!("Bearer {token}"))).await);
        assert_eq!(
            body,
            json!({"isAuthorized": false, "resolverContext": {}, "ttlOverride": 0})
        );
    }
    let (_, output) = finish(child, Duration::ZERO);
    let reasons = reasons(&output);
    assert_eq!(
        idps(&output)[..3],
        [json!("descope"), json!("cognito"), json!("cognito")]
    );
    assert_eq!(
        reasons[reasons.len() - 4..],
        ["wrong_client", "wrong_issuer", "wrong_issuer", "malformed"]
    );
    assert_no_token_in(&output, [&ada.access, &ada.id, &cara.access, &cara.id]);

    // The cutover ends by removing the settings: Cognito tokens are foreign, Descope's still pass.
    let child = spawn_function(BINARY, &api, &env(&project, POLICY_TOML));
    let body = response_body(
        api.call(SUITE.event("query.json", &format!("Bearer {}", ada.access)))
            .await,
    );
    assert_eq!(body["isAuthorized"], false);
    let body = response_body(
        api.call(SUITE.event("query.json", &format!("Bearer {ada_descope}")))
            .await,
    );
    assert_eq!(body["isAuthorized"], true);
    finish(child, Duration::ZERO);
}

/// Issue #15: the template's metric filters, fed every line the binary prints, count what the
/// function decided: the dimensions come from the decision line's fixed-set fields, a Cognito
/// token counts as Cognito, a refused operation as `Denied`, and no other line as a request. (The
/// dashboard plots exactly these metrics: `authorizer-common`'s template test.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_template_metric_filters_count_the_decision_lines_the_binary_prints() {
    let project = seed().await;
    let moto = Moto::start();
    let cognito = CutoverPool::create(&moto, "metrics", "admin").await;
    let ada = project.token("ada@example.com", |_| {});
    let bob = project.token("bob@example.com", |_| {});
    let expired = project.token("ada@example.com", |r| r.expires_in = Some(-120));

    let mut settings = env(&project, POLICY_TOML);
    settings.extend(cognito.env(&moto, "access"));
    let bearer = |fixture: &str, token: &str| SUITE.event(fixture, &format!("Bearer {token}"));
    let requests = [
        bearer("query.json", &ada),                   // descope allow fields_denied (tenant field)
        bearer("query.json", &cognito.ada.access),    // cognito allow fields_denied
        bearer("mutation.json", &cognito.bob.access), // cognito refuse
        bearer("query.json", &bob),                   // descope allow fields_denied
        bearer("mutation.json", &bob),                // descope refuse
        bearer("query.json", &expired),               // unauthorized expired
        event_without_token("query.json"),            // unauthorized missing_token
        json!({"unexpected": "event"}),               // the WARN line: unsupported_event
    ];
    let output = run_function(BINARY, &settings, requests).await;

    // A refused operation counts as `Denied`.
    let totals = replay("AppSyncAuthorizerFunction", &output, 8);
    assert_eq!(
        totals.sums(&["Unauthorized", "Denied", "VerifiedRequests", "CognitoRequests"]),
        [3.0, 2.0, 5.0, 2.0]
    );
    assert_eq!(
        totals.by("RequestsByReason", &["Decision", "Reason"]),
        rows(&[
            (&["allow", "fields_denied"], 3.0),
            (&["refuse", "operation_not_granted"], 2.0),
            (&["unauthorized", "expired"], 1.0),
            (&["unauthorized", "missing_token"], 1.0),
            (&["unauthorized", "unsupported_event"], 1.0),
        ])
    );
    assert_eq!(
        totals.by("VerifiedRequestsByIdP", &["IdP", "Decision", "Reason"]),
        rows(&[
            (&["cognito", "allow", "fields_denied"], 1.0),
            (&["cognito", "refuse", "operation_not_granted"], 1.0),
            (&["descope", "allow", "fields_denied"], 2.0),
            (&["descope", "refuse", "operation_not_granted"], 1.0),
        ])
    );
}

/// X-Ray, as for the API Gateway authorizer: the trace header Lambda sends with an invocation
/// (`Lambda-Runtime-Trace-Id`, from the stand-in here) gives the decision line its
/// `xray_trace_id` when well formed; AppSync's line keeps its operation fields, and a refusal
/// still counts as `Denied`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_decision_line_carries_the_x_ray_trace_id_beside_the_operation_fields() {
    let project = seed().await;
    let ada = project.token("ada@example.com", |_| {});
    let bob = project.token("bob@example.com", |_| {});
    let events = [
        SUITE.event("query.json", &format!("Bearer {ada}")),
        SUITE.event("mutation.json", &format!("Bearer {bob}")),
        json!({"requestContext": "not an object"}),
    ];
    let request = [
        "message",
        "decision",
        "reason",
        "subject",
        "idp",
        "operation_type",
        "refused",
        "denied_fields",
        "ttl",
        "latency_us",
    ];
    let operator = ["message", "decision", "reason", "latency_us"];
    let (cases, output) = traced_decisions(BINARY, &env(&project, POLICY_TOML), &events, &request, &operator).await;
    for case in &cases {
        let [allow, refuse, warning] = &case[..] else {
            unreachable!()
        };
        // ada holds no current tenant here, so the tenant-admin field is denied.
        assert_eq!(
            decided(allow),
            [json!("allow"), json!("fields_denied"), json!("descope")]
        );
        assert_eq!(allow["fields"]["operation_type"], "query");
        assert_eq!(
            decided(refuse),
            [json!("refuse"), json!("operation_not_granted"), json!("descope")]
        );
        assert_eq!(refuse["fields"]["refused"], "Mutation.deletePost");
        assert_eq!(
            (&warning["level"], &warning["fields"]["reason"]),
            (&json!("WARN"), &json!("unsupported_event"))
        );
    }
    let totals = replay("AppSyncAuthorizerFunction", &output, 3 * cases.len());
    assert_eq!(
        totals.sums(&["Unauthorized", "Denied", "VerifiedRequests"]),
        [4.0, 4.0, 8.0]
    );
    assert_no_token_in(&output, [&ada, &bob]);
}
