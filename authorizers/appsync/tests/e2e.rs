//! End to end: the compiled `appsync-authorizer` binary under a Lambda Runtime API stand-in,
//! verifying tokens issued by the Descope emulator (users, roles and tenants created through its
//! management API); in cutover mode beside Cognito tokens issued by moto; plus a cold start with a
//! bad setting.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::time::Duration;

use descope_emulator::{Emulator, EmulatorConfig, RunningEmulator, SessionRequest};
use moto_harness::{Moto, UserPool};
use serde_json::{Value, json};
use support::{
    event, event_without_token,
    runtime_api::{Call as _, Reply, RuntimeApi, finish, spawn_function},
};

const PID: &str = "P2e2eproject0000000000000001";
const KEY: &str = "K2e2e-management-key";
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

struct Project {
    running: RunningEmulator,
}

impl Project {
    /// An emulator with roles, a tenant and three users: ada (admin, tenant-admin of T2acme),
    /// bob (no roles) and cara (tenant-admin of T2acme only, as imported from a tenant's pool).
    async fn seed() -> Self {
        let emulator = Emulator::new(EmulatorConfig::new(PID, KEY)).unwrap();
        let running = RunningEmulator::start(emulator, "127.0.0.1:0").await.unwrap();
        let http = reqwest::Client::new();
        let call = |path: &'static str, body: Value| {
            let request = http
                .post(format!("{}{path}", running.base_url()))
                .header("Authorization", format!("Bearer {PID}:{KEY}"))
                .json(&body);
            async move {
                let response = request.send().await.unwrap();
                assert!(
                    response.status().is_success(),
                    "{path}: {}",
                    response.text().await.unwrap()
                );
            }
        };
        call(
            "/v1/mgmt/role/create",
            json!({"name": "admin", "permissionNames": ["pii.read"]}),
        )
        .await;
        call("/v1/mgmt/role/create", json!({"name": "tenant-admin"})).await;
        call("/v1/mgmt/tenant/create", json!({"id": "T2acme", "name": "Acme"})).await;
        call(
            "/v1/mgmt/user/create",
            json!({"loginId": "ada@example.com", "roleNames": ["admin"],
                   "userTenants": [{"tenantId": "T2acme", "roleNames": ["tenant-admin"]}]}),
        )
        .await;
        call("/v1/mgmt/user/create", json!({"loginId": "bob@example.com"})).await;
        call(
            "/v1/mgmt/user/create",
            json!({"loginId": "cara@example.com",
                   "userTenants": [{"tenantId": "T2acme", "roleNames": ["tenant-admin"]}]}),
        )
        .await;
        Self { running }
    }

    fn token(&self, login: &str, edit: impl FnOnce(&mut SessionRequest)) -> String {
        let mut request = SessionRequest {
            login_id: Some(login.to_owned()),
            ..SessionRequest::default()
        };
        edit(&mut request);
        self.running.emulator.mint_session(&request).unwrap().token
    }

    fn env(&self, policy: &str) -> Vec<(&'static str, String)> {
        vec![
            ("DESCOPE_PROJECT_ID", PID.to_owned()),
            ("DESCOPE_BASE_URL", self.running.base_url()),
            ("AUTHZ_POLICY", policy.to_owned()),
            ("AUTHZ_MAX_TTL_SECONDS", "3600".to_owned()),
        ]
    }
}

fn response_body(reply: Reply) -> Value {
    match reply {
        Reply::Response { body, .. } => body,
        other => panic!("expected a response, got {other:?}"),
    }
}

/// The stdout log lines (JSON) with the authorizer's decision.
fn decisions(output: &str) -> Vec<Value> {
    output
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["message"] == "authorizer decision")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_answers_appsync_with_emulator_tokens() {
    let project = Project::seed().await;
    let ada = project.token("ada@example.com", |r| {
        r.tenant = Some("T2acme".into());
        r.expires_in = Some(900);
    });
    let bob = project.token("bob@example.com", |r| r.expires_in = Some(120));
    let expired = project.token("ada@example.com", |r| r.expires_in = Some(-120));
    let refresh = project.token("ada@example.com", |r| r.refresh = Some(true));
    let all_tokens = [&ada, &bob, &expired, &refresh];

    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &project.env(POLICY_TOML));

    // ada: every protected field granted; her current tenant's tenant-admin role counts.
    let body = response_body(api.call(event("query.json", &format!("Bearer {ada}"))).await);
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
    let body = response_body(api.call(event("mutation.json", &format!("Bearer {ada}"))).await);
    assert_eq!(body["isAuthorized"], true, "{body}");

    // bob: authorized for the query with the protected fields denied; refused the mutation.
    let body = response_body(api.call(event("query.json", &format!("bearer {bob}"))).await);
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
    let body = response_body(api.call(event("mutation.json", &format!("Bearer {bob}"))).await);
    assert_eq!(
        body,
        json!({"isAuthorized": false, "resolverContext": {}, "ttlOverride": 0})
    );

    // Expired, refresh, missing and garbage tokens: not authorized, never an invocation error.
    for bad in [
        event("query.json", &format!("Bearer {expired}")),
        event("query.json", &format!("Bearer {refresh}")),
        event("query.json", "Bearer x.y.z"),
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
    for token in all_tokens {
        let signature = token.rsplit_once('.').unwrap().1;
        assert!(!output.contains(signature), "a token leaked into the logs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_setting_stops_the_cold_start_with_an_init_error() {
    let project = Project::seed().await;
    let mut api = RuntimeApi::start().await.unwrap();
    let bad = r#"{"version": 1, "appsync": {"roles": {"admin": ["Mutation.*"]}}}"#;
    let child = spawn_function(BINARY, &api, &project.env(bad));

    let reply = api.reply(Duration::from_secs(10)).await.expect("an init error");
    let Reply::InitError { body, error_type, .. } = reply else {
        panic!("expected an init error, got {reply:?}");
    };
    assert_eq!(error_type.as_deref(), Some("Runtime.ConfigError"));
    assert_eq!(body["errorType"], "Runtime.ConfigError");
    assert_eq!(
        body["errorMessage"],
        "invalid configuration: AUTHZ_POLICY: policy field \"Mutation.*\" at appsync.roles.admin is invalid: wildcards are not allowed: AppSync needs every Type.field spelled out"
    );
    let (exit, output) = finish(child, Duration::from_secs(10));
    assert_eq!(exit, Some(1), "the process exits:\n{output}");
    assert_eq!(api.next_calls(), 0, "no event is requested");
    let errors: Vec<&str> = output.lines().filter(|l| l.contains("\"level\":\"ERROR\"")).collect();
    assert_eq!(errors.len(), 1, "one clear log line:\n{output}");
    assert!(errors[0].contains("wildcards are not allowed"), "{}", errors[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cutover_accepts_cognito_and_descope_tokens_side_by_side() {
    let project = Project::seed().await;
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

    let mut env = project.env(POLICY_TOML);
    env.extend([
        ("COGNITO_USER_POOL_ID", format!("{}, {}=T2acme", main.id, acme.id)),
        ("COGNITO_CLIENT_IDS", format!("{main_web},{acme_web}")),
        ("COGNITO_TOKEN_USE", "access,id".to_owned()),
        ("COGNITO_ENDPOINT_URL", moto.url.clone()),
    ]);
    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &env);
    for fixture in ["query.json", "mutation.json"] {
        for (descope, cognito) in [(&ada_descope, &ada), (&cara_descope, &cara)] {
            let expected = response_body(api.call(event(fixture, &format!("Bearer {descope}"))).await);
            for token in [&cognito.access, &cognito.id] {
                let body = response_body(api.call(event(fixture, &format!("Bearer {token}"))).await);
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
    let body = response_body(api.call(event("query.json", &format!("Bearer {}", cara.access))).await);
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
        let body = response_body(api.call(event("query.json", &format!("Bearer {token}"))).await);
        assert_eq!(
            body,
            json!({"isAuthorized": false, "resolverContext": {}, "ttlOverride": 0})
        );
    }
    let (_, output) = finish(child, Duration::ZERO);
    let reasons: Vec<Value> = decisions(&output)
        .iter()
        .map(|l| l["fields"]["reason"].clone())
        .collect();
    let idps: Vec<Value> = decisions(&output).iter().map(|l| l["fields"]["idp"].clone()).collect();
    assert_eq!(idps[..3], [json!("descope"), json!("cognito"), json!("cognito")]);
    assert_eq!(
        reasons[reasons.len() - 4..],
        [
            json!("wrong_client"),
            json!("wrong_issuer"),
            json!("wrong_issuer"),
            json!("malformed")
        ]
    );
    for token in [&ada.access, &ada.id, &cara.access, &cara.id] {
        let signature = token.rsplit_once('.').unwrap().1;
        assert!(!output.contains(signature), "a token leaked into the logs");
    }

    // The cutover ends by removing the settings: Cognito tokens are foreign, Descope's still pass.
    let child = spawn_function(BINARY, &api, &project.env(POLICY_TOML));
    let body = response_body(api.call(event("query.json", &format!("Bearer {}", ada.access))).await);
    assert_eq!(body["isAuthorized"], false);
    let body = response_body(api.call(event("query.json", &format!("Bearer {ada_descope}"))).await);
    assert_eq!(body["isAuthorized"], true);
    finish(child, Duration::ZERO);
}

/// Issue #15: the template's metric filters, fed every line the binary prints, count what the
/// function decided: the dimensions come from the decision line's fixed-set fields, a Cognito
/// token counts as Cognito, a refused operation as `Denied`, and no other line as a request. (The
/// dashboard plots exactly these metrics: `authorizer-common`'s template test.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_template_metric_filters_count_the_decision_lines_the_binary_prints() {
    use std::collections::BTreeMap;

    use authorizer_common::testing::metrics::{Template, Totals};

    let project = Project::seed().await;
    let moto = Moto::start();
    let pool = UserPool::create(&moto, "metrics").await;
    let web = pool.app_client("web").await;
    pool.group("admin").await;
    pool.user("ada", "ada@example.com", &["admin"]).await;
    pool.user("bob", "bob@example.com", &[]).await;
    let ada_cognito = pool.tokens(&web, "ada").await;
    let bob_cognito = pool.tokens(&web, "bob").await;
    let ada = project.token("ada@example.com", |_| {});
    let bob = project.token("bob@example.com", |_| {});
    let expired = project.token("ada@example.com", |r| r.expires_in = Some(-120));

    let mut env = project.env(POLICY_TOML);
    env.extend([
        ("COGNITO_USER_POOL_ID", pool.id.clone()),
        ("COGNITO_CLIENT_IDS", web.clone()),
        ("COGNITO_TOKEN_USE", "access".to_owned()),
        ("COGNITO_ENDPOINT_URL", moto.url.clone()),
    ]);
    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &env);
    let bearer = |fixture: &str, token: &str| event(fixture, &format!("Bearer {token}"));
    for request in [
        bearer("query.json", &ada),                   // descope allow fields_denied (tenant field)
        bearer("query.json", &ada_cognito.access),    // cognito allow fields_denied
        bearer("mutation.json", &bob_cognito.access), // cognito refuse
        bearer("query.json", &bob),                   // descope allow fields_denied
        bearer("mutation.json", &bob),                // descope refuse
        bearer("query.json", &expired),               // unauthorized expired
        event_without_token("query.json"),            // unauthorized missing_token
        json!({"unexpected": "event"}),               // the WARN line: unsupported_event
    ] {
        let _ = api.call(request).await;
    }
    let (_, output) = finish(child, Duration::ZERO);
    assert_eq!(decisions(&output).len(), 8, "{output}");

    let template = Template::load();
    let filters = template.metric_filters(&template.log_group_of("AppSyncAuthorizerFunction"));
    let totals = Totals::of_log(&filters, &output);
    assert_eq!(
        totals.matched("Requests"),
        8,
        "one request per decision line, no other line"
    );
    assert_eq!(totals.sum("Requests"), 8.0);
    assert_eq!(totals.sum("Unauthorized"), 3.0);
    assert_eq!(totals.sum("Denied"), 2.0, "refused operations");
    assert_eq!(totals.sum("VerifiedRequests"), 5.0);
    assert_eq!(totals.sum("CognitoRequests"), 2.0);
    assert_eq!(totals.matched("Latency"), 8);
    // Any other line counts nowhere, and publishes the default 0 where there is one.
    let other = output.lines().find(|l| l.contains("signing keys prefetched")).unwrap();
    let other = Totals::of_log(&filters, other);
    assert!(
        other.series.values().all(|(sum, matched)| *sum == 0.0 && *matched == 0),
        "{other:?}"
    );
    assert!(
        other.series.keys().any(|(name, _)| name == "CognitoRequests"),
        "{other:?}"
    );

    let rows = |rows: &[(&[&str], f64)]| -> BTreeMap<Vec<String>, f64> {
        rows.iter()
            .map(|(r, n)| (r.iter().map(|s| (*s).to_owned()).collect(), *n))
            .collect()
    };
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
