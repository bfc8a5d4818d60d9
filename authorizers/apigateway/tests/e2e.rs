//! End to end: the compiled `apigateway-authorizer` binary under a Lambda Runtime API stand-in,
//! verifying tokens issued by the Descope emulator (users, roles and tenants created through its
//! management API), through every event kind; in cutover mode beside Cognito tokens issued by moto;
//! plus a cold start with a bad setting.

use std::time::Duration;

use authorizer_common::testing::{
    e2e::{CutoverPool, E2E_PID as PID, Project, cognito_env},
    metrics::{replay, rows},
    runtime::{
        Call as _, InitFailure, Reply, RuntimeApi, assert_no_token_in, decided, decisions, finish, idps, reasons,
        response_body, run_function, spawn_function, traced_decisions,
    },
    wildcard_match,
};
use moto_harness::{Moto, UserPool};
use serde_json::{Value, json};

use crate::support::{SUITE, event_without_token};

const BINARY: &str = env!("CARGO_BIN_EXE_apigateway-authorizer");

const POLICY_TOML: &str = r#"
version = 1

[apigateway]
authenticated = ["GET /health"]

[apigateway.roles]
reader = ["GET /request", "GET /items/*"]

[apigateway.tenants.roles]
tenant-admin = ["* /tenants/{tenant}/*"]
"#;

/// An emulator with roles, a tenant and two users: ada (reader, tenant-admin of T2acme) and
/// bob (no roles).
async fn seed() -> Project {
    let project = Project::start().await;
    project
        .manage(
            "/v1/mgmt/role/create",
            json!({"name": "reader", "permissionNames": ["items.read"]}),
        )
        .await;
    project
        .manage("/v1/mgmt/role/create", json!({"name": "tenant-admin"}))
        .await;
    project
        .manage("/v1/mgmt/tenant/create", json!({"id": "T2acme", "name": "Acme"}))
        .await;
    project
        .manage(
            "/v1/mgmt/user/create",
            json!({"loginId": "ada@example.com", "roleNames": ["reader"],
                   "userTenants": [{"tenantId": "T2acme", "roleNames": ["tenant-admin"]}]}),
        )
        .await;
    project
        .manage("/v1/mgmt/user/create", json!({"loginId": "bob@example.com"}))
        .await;
    project
}

/// The function's settings for `project`, with `extra` replacing or adding variables.
fn env(project: &Project, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut env = project.env();
    env.extend([
        ("AUTHZ_POLICY", POLICY_TOML.to_owned()),
        ("AUTHZ_TOKEN_COOKIE", "DS".to_owned()),
    ]);
    for (key, value) in extra {
        env.retain(|(name, _)| name != key);
        env.push((key, (*value).to_owned()));
    }
    env
}

fn allowed_resources(body: &Value) -> Vec<String> {
    let statement = &body["policyDocument"]["Statement"][0];
    assert_eq!(statement["Effect"], "Allow", "{body}");
    statement["Resource"]
        .as_array()
        .unwrap()
        .iter()
        // `arn:...:abcdef123/<stage>/<VERB>/<path>` -> `<VERB>/<path>`
        .map(|r| r.as_str().unwrap().splitn(3, '/').nth(2).unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_answers_every_event_kind_with_emulator_tokens() {
    let project = seed().await;
    let ada = project.token("ada@example.com", |r| r.tenant = Some("T2acme".into()));
    let bob = project.token("bob@example.com", |_| {});
    let expired = project.token("ada@example.com", |r| r.expires_in = Some(-120));
    let refresh = project.token("ada@example.com", |r| r.refresh = Some(true));
    let all_tokens = [&ada, &bob, &expired, &refresh];

    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &env(&project, &[]));

    for fixture in ["rest-token.json", "rest-request.json", "http-v1.json", "http-v2.json"] {
        // ada: reader grants GET /request; her current tenant's routes come from tenant-admin.
        let body = response_body(api.call(SUITE.event(fixture, &format!("Bearer {ada}"))).await);
        let user_id = body["principalId"].as_str().unwrap().to_owned();
        assert!(user_id.starts_with('U'), "{body}");
        assert_eq!(body["context"]["userId"], user_id.as_str());
        assert_eq!(body["context"]["roles"], "reader");
        assert_eq!(body["context"]["permissions"], "items.read");
        assert_eq!(body["context"]["currentTenant"], "T2acme");
        let routes = allowed_resources(&body);
        assert!(routes.contains(&"GET/request".to_owned()), "{fixture}: {routes:?}");
        assert!(
            routes.contains(&"DELETE/tenants/T2acme/*".to_owned()),
            "{fixture}: {routes:?}"
        );
        assert!(routes.contains(&"GET/health".to_owned()), "{fixture}: {routes:?}");

        // bob: only the routes for any authenticated user; GET /request gets 403 from API Gateway.
        let body = response_body(api.call(SUITE.event(fixture, &format!("bearer {bob}"))).await);
        assert_eq!(allowed_resources(&body), ["GET/health"], "{fixture}");

        // Expired, refresh, missing and garbage tokens: exactly "Unauthorized" (401).
        let missing = event_without_token(fixture);
        for bad in [
            SUITE.event(fixture, &format!("Bearer {expired}")),
            SUITE.event(fixture, &format!("Bearer {refresh}")),
            SUITE.event(fixture, "Bearer x.y.z"),
            missing,
        ] {
            match api.call(bad).await {
                Reply::Error { body, .. } => {
                    assert_eq!(
                        body,
                        json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"})
                    );
                }
                other => panic!("{fixture}: expected Unauthorized, got {other:?}"),
            }
        }
    }
    // The Descope session cookie, for REQUEST events.
    let mut cookie_only = event_without_token("rest-request.json");
    cookie_only["headers"]["Cookie"] = json!(format!("theme=dark; DS={ada}"));
    let body = response_body(api.call(cookie_only).await);
    assert!(allowed_resources(&body).contains(&"GET/request".to_owned()));

    let (exit, output) = finish(child, Duration::ZERO);
    assert_eq!(exit, None, "the function kept polling for events until stopped");
    let lines = decisions(&output);
    assert_eq!(lines.len(), 4 * 6 + 1, "one decision line per event:\n{output}");
    assert_eq!(lines[0]["fields"]["decision"], "allow");
    assert_eq!(lines[0]["fields"]["event_kind"], "rest_token");
    assert!(lines[0]["fields"]["latency_us"].is_u64());
    assert_eq!(lines[1]["fields"]["decision"], "deny");
    assert_eq!(lines[2]["fields"]["reason"], "expired");
    assert_eq!(lines[3]["fields"]["reason"], "refresh_token");
    assert_eq!(lines[5]["fields"]["reason"], "missing_token");
    assert!(output.contains("signing keys prefetched"), "{output}");
    assert_no_token_in(&output, all_tokens);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_api_simple_responses_decide_the_requested_route() {
    let project = seed().await;
    let ada = project.token("ada@example.com", |_| {});
    let bob = project.token("bob@example.com", |_| {});
    let expired = project.token("bob@example.com", |r| r.expires_in = Some(-120));

    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &env(&project, &[("AUTHZ_SIMPLE_RESPONSES", "true")]));

    let body = response_body(api.call(SUITE.event("http-v2.json", &format!("Bearer {ada}"))).await);
    assert_eq!(body["isAuthorized"], true);
    assert_eq!(body["context"]["roles"], "reader");
    let body = response_body(api.call(SUITE.event("http-v2.json", &format!("Bearer {bob}"))).await);
    assert_eq!(body["isAuthorized"], false);
    assert_eq!(body["context"]["roles"], "");
    let mut health = SUITE.event("http-v2.json", &format!("Bearer {bob}"));
    health["routeArn"] = json!("arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/health");
    assert_eq!(response_body(api.call(health).await)["isAuthorized"], true);
    // HTTP API cookies arrive in `cookies`.
    let mut cookie_only = event_without_token("http-v2.json");
    cookie_only["cookies"] = json!(["theme=dark", format!("DS={ada}")]);
    assert_eq!(response_body(api.call(cookie_only).await)["isAuthorized"], true);
    for bad in [
        SUITE.event("http-v2.json", &format!("Bearer {expired}")),
        event_without_token("http-v2.json"),
    ] {
        assert_eq!(response_body(api.call(bad).await), json!({"isAuthorized": false}));
    }
    finish(child, Duration::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_setting_stops_the_cold_start_with_an_init_error() {
    let project = seed().await;
    let failure = InitFailure::of(BINARY, &env(&project, &[("AUTHZ_POLICY", "{\"version\": 2}")])).await;
    failure.assert_config_error(
        "AUTHZ_POLICY: policy version 2 is not supported (this authorizer understands version 1)",
        "policy version 2 is not supported",
    );
}

fn unauthorized(reply: Reply) {
    match reply {
        Reply::Error { body, .. } => {
            assert_eq!(
                body,
                json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"})
            );
        }
        other => panic!("expected Unauthorized, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cutover_accepts_cognito_and_descope_tokens_side_by_side() {
    let project = seed().await;
    let moto = Moto::start();
    let CutoverPool { pool, web, ada, bob } = CutoverPool::create(&moto, "cutover", "reader").await;
    let partner = pool.app_client("partner").await;
    let elsewhere = UserPool::create(&moto, "elsewhere").await;
    let elsewhere_web = elsewhere.app_client("web").await;
    elsewhere.group("reader").await;
    elsewhere.user("ada", "ada@example.com", &["reader"]).await;

    let ada_sub = pool.sub("ada").await;
    let via_partner = pool.tokens(&partner, "ada").await;
    let other_pool = elsewhere.tokens(&elsewhere_web, "ada").await;
    // Descope's ada has `reader` too (the importer's copy of the group); no current tenant.
    let ada_descope = project.token("ada@example.com", |_| {});

    let cutover = |token_use: &str| {
        let mut env = env(&project, &[]);
        env.extend(cognito_env(&moto, &pool.id, &web, token_use));
        env
    };
    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &cutover("access"));
    let fixtures = ["rest-token.json", "rest-request.json", "http-v1.json", "http-v2.json"];
    for fixture in fixtures {
        // Mixed issuers, one function: the same policy for the group and the role of that name.
        let descope = response_body(api.call(SUITE.event(fixture, &format!("Bearer {ada_descope}"))).await);
        let cognito = response_body(api.call(SUITE.event(fixture, &format!("Bearer {}", ada.access))).await);
        assert_eq!(cognito["policyDocument"], descope["policyDocument"], "{fixture}");
        assert!(
            allowed_resources(&cognito).contains(&"GET/request".to_owned()),
            "{fixture}"
        );
        assert_eq!(descope["context"]["idp"], "descope");
        assert_eq!(cognito["principalId"], ada_sub.as_str());
        let context = &cognito["context"];
        assert_eq!(context["idp"], "cognito", "{fixture}");
        assert_eq!(context["cognitoUsername"], "ada");
        assert_eq!(context["cognitoSub"], ada_sub.as_str());
        assert_eq!(context["cognitoUserPoolId"], pool.id.as_str());
        assert_eq!(context["roles"], "reader");
        let body = response_body(api.call(SUITE.event(fixture, &format!("Bearer {}", bob.access))).await);
        assert_eq!(allowed_resources(&body), ["GET/health"], "{fixture}");

        // Refused: an ID token (access only here), another app client, another pool, a refresh token.
        for token in [&ada.id, &via_partner.access, &other_pool.access, &ada.refresh] {
            unauthorized(api.call(SUITE.event(fixture, &format!("Bearer {token}"))).await);
        }
    }
    let (_, output) = finish(child, Duration::ZERO);
    let expected: Vec<&str> = [
        "route_granted",
        "route_granted",
        "route_not_granted",
        "wrong_token_use",
        "wrong_client",
        "wrong_issuer",
        "malformed",
    ]
    .repeat(fixtures.len());
    assert_eq!(reasons(&output), expected, "{output}");
    // Each decision line says which side vouched, so operators can watch Cognito traffic fade.
    assert_eq!(
        idps(&output)[..7],
        ["descope", "cognito", "cognito", "", "", "", ""].map(|s| json!(s))
    );
    assert_eq!(
        project.key_fetches(),
        1,
        "Descope's keys were fetched once, at cold start: no Cognito token caused a Descope fetch"
    );
    assert_no_token_in(&output, [&ada.access, &ada.id, &via_partner.access, &other_pool.access]);

    // ID tokens accepted too, HTTP API simple responses.
    let mut settings = cutover("access,id");
    settings.push(("AUTHZ_SIMPLE_RESPONSES", "true".to_owned()));
    let child = spawn_function(BINARY, &api, &settings);
    for token in [&ada.access, &ada.id, &ada_descope] {
        let body = response_body(api.call(SUITE.event("http-v2.json", &format!("Bearer {token}"))).await);
        assert_eq!(body["isAuthorized"], true, "{body}");
    }
    let body = response_body(
        api.call(SUITE.event("http-v2.json", &format!("Bearer {}", bob.id)))
            .await,
    );
    assert_eq!(body["isAuthorized"], false);
    assert_eq!(body["context"]["idp"], "cognito");
    finish(child, Duration::ZERO);

    // The cutover ends by removing the settings: Cognito tokens are foreign, Descope's still pass.
    let child = spawn_function(BINARY, &api, &env(&project, &[]));
    unauthorized(
        api.call(SUITE.event("rest-token.json", &format!("Bearer {}", ada.access)))
            .await,
    );
    let body = response_body(
        api.call(SUITE.event("rest-token.json", &format!("Bearer {ada_descope}")))
            .await,
    );
    assert!(allowed_resources(&body).contains(&"GET/request".to_owned()));
    let (_, output) = finish(child, Duration::ZERO);
    assert_eq!(reasons(&output), ["wrong_issuer", "route_granted"]);
}

/// A key set on loopback that counts its requests, for the issuer forms moto does not issue.
async fn counting_jwks(body: Value) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let body = body.to_string();
    let app = axum::Router::new().route(
        "/{*path}",
        axum::routing::get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            async move { body }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hits)
}

/// A pool that switched to the updated issuer format during the cutover: moto's tokens carry the
/// original format, the updated ones are minted with a test key whose key set only a loopback
/// stand-in for `issuer-cognito-idp.<region>.amazonaws.com` serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cutover_follows_the_issuer_forms_configured_for_the_pool() {
    use std::sync::atomic::Ordering;

    use descope_jwt::testing::{TestKey, cognito_access_claims, jwks};

    let project = seed().await;
    let moto = Moto::start();
    let pool = UserPool::create(&moto, "switching").await;
    let web = pool.app_client("web").await;
    pool.group("reader").await;
    pool.user("ada", "ada@example.com", &["reader"]).await;
    let original = pool.tokens(&web, "ada").await.access;
    let region = pool.id.split_once('_').unwrap().0.to_owned();
    let updated_host = format!("issuer-cognito-idp.{region}.amazonaws.com");
    let key = TestKey::rs256("updated-1").unwrap();
    let (stand_in, fetches) = counting_jwks(jwks(&[&key])).await;
    let mut claims = cognito_access_claims(&pool.id, &web, "ada", &["reader"]);
    claims["iss"] = json!(format!("https://{updated_host}/{}", pool.id));
    let updated = key.sign(&claims).unwrap();

    let settings = |forms: Option<&str>| {
        let mut settings = env(&project, &[]);
        settings.extend(cognito_env(&moto, &pool.id, &web, "access"));
        if let Some(forms) = forms {
            settings.push(("COGNITO_ISSUER_FORMS", forms.to_owned()));
            settings.push(("COGNITO_ISSUER_ENDPOINT_URLS", format!("{updated_host}={stand_in}")));
        }
        settings
    };
    let both_tokens = || [&original, &updated].map(|token| SUITE.event("rest-token.json", &format!("Bearer {token}")));

    // Today's settings: the original form only; the updated token is refused without a fetch.
    let output = run_function(BINARY, &settings(None), both_tokens()).await;
    assert_eq!(reasons(&output), ["route_granted", "wrong_issuer"], "{output}");
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        0,
        "the updated form's keys were never asked for"
    );

    // Both forms while clients pick up new tokens: each verifies with its own key set.
    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &settings(Some("both")));
    for token in [&original, &updated] {
        let body = response_body(
            api.call(SUITE.event("rest-token.json", &format!("Bearer {token}")))
                .await,
        );
        assert!(allowed_resources(&body).contains(&"GET/request".to_owned()), "{body}");
        assert_eq!(body["context"]["idp"], "cognito");
        assert_eq!(body["context"]["cognitoUserPoolId"], pool.id.as_str());
    }
    let (_, output) = finish(child, Duration::ZERO);
    assert_eq!(reasons(&output), ["route_granted", "route_granted"], "{output}");
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "fetched once, at cold start");

    // Updated only: the original form is now foreign.
    let output = run_function(BINARY, &settings(Some("updated")), both_tokens()).await;
    assert_eq!(reasons(&output), ["wrong_issuer", "route_granted"], "{output}");
}

/// A REQUEST event for `method path` with the tenant path parameter set, as API Gateway sends it
/// for the resource `/tenants/{tenantId}/{proxy+}`.
fn tenant_request(token: &str, method: &str, tenant: &str, rest: &str) -> Value {
    let mut e = SUITE.event("rest-request.json", &format!("Bearer {token}"));
    let path = format!("/tenants/{tenant}/{rest}");
    e["methodArn"] = json!(format!(
        "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/{method}{path}"
    ));
    e["httpMethod"] = json!(method);
    e["path"] = json!(path);
    e["resource"] = json!("/tenants/{tenantId}/{proxy+}");
    e["pathParameters"] = json!({"tenantId": tenant, "proxy": rest});
    e
}

/// Whether an IAM policy allows `method path` on the fixture API, as API Gateway evaluates a
/// cached policy for a later request (IAM wildcards: `*` is any run of characters).
fn policy_allows(body: &Value, method: &str, path: &str) -> bool {
    let resource = format!("arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/{method}{path}");
    let statement = &body["policyDocument"]["Statement"][0];
    statement["Effect"] == "Allow"
        && statement["Resource"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| wildcard_match(r.as_str().unwrap(), &resource))
}

/// Issue #14: with the tenant taken from the path, API Gateway may cache one answer (REQUEST
/// authorizer keyed on the token) and reuse it for another tenant's path. The backend then sees
/// the context of the first request, so that context must not depend on the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_answer_carries_nothing_of_the_request_that_filled_the_cache() {
    let project = seed().await;
    for (path, body) in [
        ("/v1/mgmt/tenant/create", json!({"id": "T2globex", "name": "Globex"})),
        (
            "/v1/mgmt/user/create",
            json!({"loginId": "carol@example.com", "userTenants": [
                {"tenantId": "T2acme", "roleNames": ["tenant-admin"]},
                {"tenantId": "T2globex", "roleNames": ["tenant-admin"]}]}),
        ),
    ] {
        project.manage(path, body).await;
    }
    let carol = project.token("carol@example.com", |r| r.tenant = Some("T2acme".into()));
    let policy = r#"{"version": 1, "apigateway": {"tenants": {"source": "pathParameter", "name": "tenantId",
        "roles": {"tenant-admin": ["* /tenants/{tenant}/*"]}}}}"#;

    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &env(&project, &[("AUTHZ_POLICY", policy)]));
    // The first request fills the cache.
    let cached = response_body(api.call(tenant_request(&carol, "GET", "T2acme", "invoices")).await);
    // The second, for the other tenant, would be answered from the cache...
    assert!(
        policy_allows(&cached, "DELETE", "/tenants/T2globex/users/7"),
        "the cached policy covers the other tenant's path: {cached}"
    );
    // ...so its backend sees `cached["context"]`, which must be what a fresh answer would say.
    let fresh = response_body(api.call(tenant_request(&carol, "DELETE", "T2globex", "users/7")).await);
    assert_eq!(fresh["policyDocument"], cached["policyDocument"]);
    assert_eq!(
        cached["context"], fresh["context"],
        "the backend-visible context differs between the cached and a fresh answer"
    );
    assert!(
        cached["context"].get("authorizedTenant").is_none(),
        "with the path source the backend reads the tenant from the path: {}",
        cached["context"]
    );
    finish(child, Duration::ZERO);
}

/// Issue #14: a key URL over plain http would let anyone on the path inject signing keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_key_url_stops_the_cold_start() {
    let project = seed().await;
    // TEST-NET-1 (RFC 5737): never routed, so nothing leaves the machine even if it were fetched.
    let url = format!("http://192.0.2.1/v2/keys/{PID}");
    let failure = InitFailure::of(BINARY, &env(&project, &[("DESCOPE_JWKS_URL", &url)])).await;
    let message = failure.message();
    assert!(message.contains("DESCOPE_JWKS_URL"), "{message}");
    assert!(message.contains("https://"), "{message}");
    failure.assert_stopped();
}

/// Issue #15: the template's metric filters, fed every line the binary prints, count what the
/// function decided: the dimensions come from the decision line's fixed-set fields, a Cognito
/// token counts as Cognito, and no other line counts as a request. (The dashboard plots exactly
/// these metrics: `authorizer-common`'s template test.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_template_metric_filters_count_the_decision_lines_the_binary_prints() {
    let project = seed().await;
    let moto = Moto::start();
    let cognito = CutoverPool::create(&moto, "metrics", "reader").await;
    let ada = project.token("ada@example.com", |_| {});
    let bob = project.token("bob@example.com", |_| {});
    let expired = project.token("ada@example.com", |r| r.expires_in = Some(-120));

    let mut settings = env(&project, &[]);
    settings.extend(cognito.env(&moto, "access"));
    let bearer = |token: &str| SUITE.event("rest-token.json", &format!("Bearer {token}"));
    let requests = [
        bearer(&ada),                // descope allow
        bearer(&cognito.ada.access), // cognito allow
        bearer(&cognito.bob.access), // cognito deny
        bearer(&bob),                // descope deny
        bearer(&expired),            // unauthorized expired
        bearer(&cognito.ada.id),     // unauthorized wrong_token_use (access tokens only)
        event_without_token("rest-request.json"),
        json!({"unexpected": "event"}), // the WARN line: unsupported_event
    ];
    let output = run_function(BINARY, &settings, requests).await;

    let totals = replay("ApiGatewayAuthorizerFunction", &output, 8);
    assert_eq!(
        totals.sums(&["Unauthorized", "Denied", "VerifiedRequests", "CognitoRequests"]),
        [4.0, 2.0, 4.0, 2.0]
    );
    assert_eq!(
        totals.by("RequestsByReason", &["Decision", "Reason"]),
        rows(&[
            (&["allow", "route_granted"], 2.0),
            (&["deny", "route_not_granted"], 2.0),
            (&["unauthorized", "expired"], 1.0),
            (&["unauthorized", "wrong_token_use"], 1.0),
            (&["unauthorized", "missing_token"], 1.0),
            (&["unauthorized", "unsupported_event"], 1.0),
        ])
    );
    assert_eq!(
        totals.by("VerifiedRequestsByIdP", &["IdP", "Decision", "Reason"]),
        rows(&[
            (&["cognito", "allow", "route_granted"], 1.0),
            (&["cognito", "deny", "route_not_granted"], 1.0),
            (&["descope", "allow", "route_granted"], 1.0),
            (&["descope", "deny", "route_not_granted"], 1.0),
        ])
    );
}

/// X-Ray: Lambda hands each invocation its trace header in the Runtime API's
/// `Lambda-Runtime-Trace-Id` (AWS's behaviour; the stand-in sends it here). Every decision line,
/// the operator's warning too, carries that invocation's trace ID when well formed, beside every
/// field it had before, and the template's metric filters still count the lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_decision_line_carries_the_invocations_x_ray_trace_id() {
    let project = seed().await;
    let ada = project.token("ada@example.com", |_| {});
    let bob = project.token("bob@example.com", |_| {});
    let events = [
        SUITE.event("rest-token.json", &format!("Bearer {ada}")),
        SUITE.event("rest-token.json", &format!("Bearer {bob}")),
        json!({"unexpected": "event"}),
    ];
    let request = [
        "message",
        "event_kind",
        "decision",
        "reason",
        "subject",
        "idp",
        "latency_us",
    ];
    let operator = ["message", "event_kind", "decision", "reason", "latency_us"];
    let (cases, output) = traced_decisions(BINARY, &env(&project, &[]), &events, &request, &operator).await;
    for case in &cases {
        let [allow, deny, warning] = &case[..] else {
            unreachable!()
        };
        assert_eq!(
            decided(allow),
            [json!("allow"), json!("route_granted"), json!("descope")]
        );
        assert!(allow["fields"]["subject"].as_str().unwrap().starts_with('U'), "{allow}");
        assert_eq!(
            decided(deny),
            [json!("deny"), json!("route_not_granted"), json!("descope")]
        );
        assert_eq!(warning["level"], "WARN");
        assert_eq!(warning["fields"]["reason"], "unsupported_event");
    }
    let totals = replay("ApiGatewayAuthorizerFunction", &output, 3 * cases.len());
    assert_eq!(
        totals.sums(&["Denied", "Unauthorized", "VerifiedRequests"]),
        [4.0, 4.0, 8.0]
    );
    assert_no_token_in(&output, [&ada, &bob]);
}
