//! End to end: the compiled `apigateway-authorizer` binary under a Lambda Runtime API stand-in,
//! verifying tokens issued by the Descope emulator (users, roles and tenants created through its
//! management API), through every event kind; in cutover mode beside Cognito tokens issued by moto;
//! plus a cold start with a bad setting.
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

struct Project {
    running: RunningEmulator,
}

impl Project {
    /// An emulator with roles, a tenant and two users: ada (reader, tenant-admin of T2acme) and
    /// bob (no roles).
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
            json!({"name": "reader", "permissionNames": ["items.read"]}),
        )
        .await;
        call("/v1/mgmt/role/create", json!({"name": "tenant-admin"})).await;
        call("/v1/mgmt/tenant/create", json!({"id": "T2acme", "name": "Acme"})).await;
        call(
            "/v1/mgmt/user/create",
            json!({"loginId": "ada@example.com", "roleNames": ["reader"],
                   "userTenants": [{"tenantId": "T2acme", "roleNames": ["tenant-admin"]}]}),
        )
        .await;
        call("/v1/mgmt/user/create", json!({"loginId": "bob@example.com"})).await;
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

    fn env(&self, extra: &[(&str, &str)]) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("DESCOPE_PROJECT_ID", PID.to_owned()),
            ("DESCOPE_BASE_URL", self.running.base_url()),
            ("AUTHZ_POLICY", POLICY_TOML.to_owned()),
            ("AUTHZ_TOKEN_COOKIE", "DS".to_owned()),
        ];
        for (k, v) in extra {
            let key: &'static str = match *k {
                "AUTHZ_SIMPLE_RESPONSES" => "AUTHZ_SIMPLE_RESPONSES",
                "AUTHZ_POLICY" => "AUTHZ_POLICY",
                "DESCOPE_JWKS_URL" => "DESCOPE_JWKS_URL",
                other => panic!("unexpected variable {other}"),
            };
            env.retain(|(name, _)| *name != key);
            env.push((key, (*v).to_owned()));
        }
        env
    }
}

fn response_body(reply: Reply) -> Value {
    match reply {
        Reply::Response { body, .. } => body,
        other => panic!("expected a response, got {other:?}"),
    }
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

/// The stdout log lines (JSON) with the authorizer's decision.
fn decisions(output: &str) -> Vec<Value> {
    output
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["message"] == "authorizer decision")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_answers_every_event_kind_with_emulator_tokens() {
    let project = Project::seed().await;
    let ada = project.token("ada@example.com", |r| r.tenant = Some("T2acme".into()));
    let bob = project.token("bob@example.com", |_| {});
    let expired = project.token("ada@example.com", |r| r.expires_in = Some(-120));
    let refresh = project.token("ada@example.com", |r| r.refresh = Some(true));
    let all_tokens = [&ada, &bob, &expired, &refresh];

    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &project.env(&[]));

    for fixture in ["rest-token.json", "rest-request.json", "http-v1.json", "http-v2.json"] {
        // ada: reader grants GET /request; her current tenant's routes come from tenant-admin.
        let body = response_body(api.call(event(fixture, &format!("Bearer {ada}"))).await);
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
        let body = response_body(api.call(event(fixture, &format!("bearer {bob}"))).await);
        assert_eq!(allowed_resources(&body), ["GET/health"], "{fixture}");

        // Expired, refresh, missing and garbage tokens: exactly "Unauthorized" (401).
        let missing = event_without_token(fixture);
        for bad in [
            event(fixture, &format!("Bearer {expired}")),
            event(fixture, &format!("Bearer {refresh}")),
            event(fixture, "Bearer x.y.z"),
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
    for token in all_tokens {
        let signature = token.rsplit_once('.').unwrap().1;
        assert!(!output.contains(signature), "a token leaked into the logs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_api_simple_responses_decide_the_requested_route() {
    let project = Project::seed().await;
    let ada = project.token("ada@example.com", |_| {});
    let bob = project.token("bob@example.com", |_| {});
    let expired = project.token("bob@example.com", |r| r.expires_in = Some(-120));

    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &project.env(&[("AUTHZ_SIMPLE_RESPONSES", "true")]));

    let body = response_body(api.call(event("http-v2.json", &format!("Bearer {ada}"))).await);
    assert_eq!(body["isAuthorized"], true);
    assert_eq!(body["context"]["roles"], "reader");
    let body = response_body(api.call(event("http-v2.json", &format!("Bearer {bob}"))).await);
    assert_eq!(body["isAuthorized"], false);
    assert_eq!(body["context"]["roles"], "");
    let mut health = event("http-v2.json", &format!("Bearer {bob}"));
    health["routeArn"] = json!("arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/health");
    assert_eq!(response_body(api.call(health).await)["isAuthorized"], true);
    // HTTP API cookies arrive in `cookies`.
    let mut cookie_only = event_without_token("http-v2.json");
    cookie_only["cookies"] = json!(["theme=dark", format!("DS={ada}")]);
    assert_eq!(response_body(api.call(cookie_only).await)["isAuthorized"], true);
    for bad in [
        event("http-v2.json", &format!("Bearer {expired}")),
        event_without_token("http-v2.json"),
    ] {
        assert_eq!(response_body(api.call(bad).await), json!({"isAuthorized": false}));
    }
    finish(child, Duration::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_setting_stops_the_cold_start_with_an_init_error() {
    let project = Project::seed().await;
    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &project.env(&[("AUTHZ_POLICY", "{\"version\": 2}")]));

    let reply = api.reply(Duration::from_secs(10)).await.expect("an init error");
    let Reply::InitError { body, error_type, .. } = reply else {
        panic!("expected an init error, got {reply:?}");
    };
    assert_eq!(error_type.as_deref(), Some("Runtime.ConfigError"));
    assert_eq!(body["errorType"], "Runtime.ConfigError");
    assert_eq!(
        body["errorMessage"],
        "invalid configuration: AUTHZ_POLICY: policy version 2 is not supported (this authorizer understands version 1)"
    );
    let (exit, output) = finish(child, Duration::from_secs(10));
    assert_eq!(exit, Some(1), "the process exits:\n{output}");
    assert_eq!(api.next_calls(), 0, "no event is requested");
    let errors: Vec<&str> = output.lines().filter(|l| l.contains("\"level\":\"ERROR\"")).collect();
    assert_eq!(errors.len(), 1, "one clear log line:\n{output}");
    assert!(errors[0].contains("policy version 2 is not supported"), "{}", errors[0]);
}

/// The stdout log lines' `reason`s, in order.
fn reasons(output: &str) -> Vec<String> {
    decisions(output)
        .iter()
        .map(|l| l["fields"]["reason"].as_str().unwrap().to_owned())
        .collect()
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
    let project = Project::seed().await;
    let moto = Moto::start();
    let pool = UserPool::create(&moto, "cutover").await;
    let web = pool.app_client("web").await;
    let partner = pool.app_client("partner").await;
    pool.group("reader").await;
    pool.user("ada", "ada@example.com", &["reader"]).await;
    pool.user("bob", "bob@example.com", &[]).await;
    let elsewhere = UserPool::create(&moto, "elsewhere").await;
    let elsewhere_web = elsewhere.app_client("web").await;
    elsewhere.group("reader").await;
    elsewhere.user("ada", "ada@example.com", &["reader"]).await;

    let ada = pool.tokens(&web, "ada").await;
    let ada_sub = pool.sub("ada").await;
    let bob = pool.tokens(&web, "bob").await;
    let via_partner = pool.tokens(&partner, "ada").await;
    let other_pool = elsewhere.tokens(&elsewhere_web, "ada").await;
    // Descope's ada has `reader` too (the importer's copy of the group); no current tenant.
    let ada_descope = project.token("ada@example.com", |_| {});

    let cutover = |token_use: &str| {
        let mut env = project.env(&[]);
        env.extend([
            ("COGNITO_USER_POOL_ID", pool.id.clone()),
            ("COGNITO_CLIENT_IDS", web.clone()),
            ("COGNITO_TOKEN_USE", token_use.to_owned()),
            ("COGNITO_ENDPOINT_URL", moto.url.clone()),
        ]);
        env
    };
    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &cutover("access"));
    let fixtures = ["rest-token.json", "rest-request.json", "http-v1.json", "http-v2.json"];
    for fixture in fixtures {
        // Mixed issuers, one function: the same policy for the group and the role of that name.
        let descope = response_body(api.call(event(fixture, &format!("Bearer {ada_descope}"))).await);
        let cognito = response_body(api.call(event(fixture, &format!("Bearer {}", ada.access))).await);
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
        let body = response_body(api.call(event(fixture, &format!("Bearer {}", bob.access))).await);
        assert_eq!(allowed_resources(&body), ["GET/health"], "{fixture}");

        // Refused: an ID token (access only here), another app client, another pool, a refresh token.
        for token in [&ada.id, &via_partner.access, &other_pool.access, &ada.refresh] {
            unauthorized(api.call(event(fixture, &format!("Bearer {token}"))).await);
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
    let idps: Vec<Value> = decisions(&output).iter().map(|l| l["fields"]["idp"].clone()).collect();
    assert_eq!(
        idps[..7],
        ["descope", "cognito", "cognito", "", "", "", ""].map(|s| json!(s))
    );
    let key_fetches = |emulator: &Emulator| {
        emulator
            .request_log()
            .iter()
            .filter(|r| r.path.starts_with("/v2/keys/"))
            .count()
    };
    assert_eq!(
        key_fetches(&project.running.emulator),
        1,
        "Descope's keys were fetched once, at cold start: no Cognito token caused a Descope fetch"
    );
    for token in [&ada.access, &ada.id, &via_partner.access, &other_pool.access] {
        let signature = token.rsplit_once('.').unwrap().1;
        assert!(!output.contains(signature), "a token leaked into the logs");
    }

    // ID tokens accepted too, HTTP API simple responses.
    let mut env = cutover("access,id");
    env.push(("AUTHZ_SIMPLE_RESPONSES", "true".to_owned()));
    let child = spawn_function(BINARY, &api, &env);
    for token in [&ada.access, &ada.id, &ada_descope] {
        let body = response_body(api.call(event("http-v2.json", &format!("Bearer {token}"))).await);
        assert_eq!(body["isAuthorized"], true, "{body}");
    }
    let body = response_body(api.call(event("http-v2.json", &format!("Bearer {}", bob.id))).await);
    assert_eq!(body["isAuthorized"], false);
    assert_eq!(body["context"]["idp"], "cognito");
    finish(child, Duration::ZERO);

    // The cutover ends by removing the settings: Cognito tokens are foreign, Descope's still pass.
    let child = spawn_function(BINARY, &api, &project.env(&[]));
    unauthorized(
        api.call(event("rest-token.json", &format!("Bearer {}", ada.access)))
            .await,
    );
    let body = response_body(
        api.call(event("rest-token.json", &format!("Bearer {ada_descope}")))
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

    let project = Project::seed().await;
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

    let env = |forms: Option<&str>| {
        let mut env = project.env(&[]);
        env.extend([
            ("COGNITO_USER_POOL_ID", pool.id.clone()),
            ("COGNITO_CLIENT_IDS", web.clone()),
            ("COGNITO_TOKEN_USE", "access".to_owned()),
            ("COGNITO_ENDPOINT_URL", moto.url.clone()),
        ]);
        if let Some(forms) = forms {
            env.push(("COGNITO_ISSUER_FORMS", forms.to_owned()));
            env.push(("COGNITO_ISSUER_ENDPOINT_URLS", format!("{updated_host}={stand_in}")));
        }
        env
    };
    let mut api = RuntimeApi::start().await.unwrap();

    // Today's settings: the original form only; the updated token is refused without a fetch.
    let child = spawn_function(BINARY, &api, &env(None));
    for token in [&original, &updated] {
        let _ = api.call(event("rest-token.json", &format!("Bearer {token}"))).await;
    }
    let (_, output) = finish(child, Duration::ZERO);
    assert_eq!(reasons(&output), ["route_granted", "wrong_issuer"], "{output}");
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        0,
        "the updated form's keys were never asked for"
    );

    // Both forms while clients pick up new tokens: each verifies with its own key set.
    let child = spawn_function(BINARY, &api, &env(Some("both")));
    for token in [&original, &updated] {
        let body = response_body(api.call(event("rest-token.json", &format!("Bearer {token}"))).await);
        assert!(allowed_resources(&body).contains(&"GET/request".to_owned()), "{body}");
        assert_eq!(body["context"]["idp"], "cognito");
        assert_eq!(body["context"]["cognitoUserPoolId"], pool.id.as_str());
    }
    let (_, output) = finish(child, Duration::ZERO);
    assert_eq!(reasons(&output), ["route_granted", "route_granted"], "{output}");
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "fetched once, at cold start");

    // Updated only: the original form is now foreign.
    let child = spawn_function(BINARY, &api, &env(Some("updated")));
    for token in [&original, &updated] {
        let _ = api.call(event("rest-token.json", &format!("Bearer {token}"))).await;
    }
    let (_, output) = finish(child, Duration::ZERO);
    assert_eq!(reasons(&output), ["wrong_issuer", "route_granted"], "{output}");
}

/// A REQUEST event for `method path` with the tenant path parameter set, as API Gateway sends it
/// for the resource `/tenants/{tenantId}/{proxy+}`.
fn tenant_request(token: &str, method: &str, tenant: &str, rest: &str) -> Value {
    let mut e = event("rest-request.json", &format!("Bearer {token}"));
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
    fn glob(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => glob(&p[1..], t) || (!t.is_empty() && glob(p, &t[1..])),
            (Some(a), Some(b)) if a == b => glob(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let resource = format!("arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/{method}{path}");
    let statement = &body["policyDocument"]["Statement"][0];
    statement["Effect"] == "Allow"
        && statement["Resource"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| glob(r.as_str().unwrap().as_bytes(), resource.as_bytes()))
}

/// Issue #14: with the tenant taken from the path, API Gateway may cache one answer (REQUEST
/// authorizer keyed on the token) and reuse it for another tenant's path. The backend then sees
/// the context of the first request, so that context must not depend on the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_answer_carries_nothing_of_the_request_that_filled_the_cache() {
    let project = Project::seed().await;
    let http = reqwest::Client::new();
    for (path, body) in [
        ("/v1/mgmt/tenant/create", json!({"id": "T2globex", "name": "Globex"})),
        (
            "/v1/mgmt/user/create",
            json!({"loginId": "carol@example.com", "userTenants": [
                {"tenantId": "T2acme", "roleNames": ["tenant-admin"]},
                {"tenantId": "T2globex", "roleNames": ["tenant-admin"]}]}),
        ),
    ] {
        let response = http
            .post(format!("{}{path}", project.running.base_url()))
            .header("Authorization", format!("Bearer {PID}:{KEY}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}");
    }
    let carol = project.token("carol@example.com", |r| r.tenant = Some("T2acme".into()));
    let policy = r#"{"version": 1, "apigateway": {"tenants": {"source": "pathParameter", "name": "tenantId",
        "roles": {"tenant-admin": ["* /tenants/{tenant}/*"]}}}}"#;

    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &project.env(&[("AUTHZ_POLICY", policy)]));
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
    let project = Project::seed().await;
    let mut api = RuntimeApi::start().await.unwrap();
    // TEST-NET-1 (RFC 5737): never routed, so nothing leaves the machine even if it were fetched.
    let url = format!("http://192.0.2.1/v2/keys/{PID}");
    let child = spawn_function(BINARY, &api, &project.env(&[("DESCOPE_JWKS_URL", &url)]));
    let reply = api.reply(Duration::from_secs(10)).await.expect("an init error");
    let Reply::InitError { body, .. } = reply else {
        panic!("expected an init error, got {reply:?}");
    };
    let message = body["errorMessage"].as_str().unwrap();
    assert!(message.contains("DESCOPE_JWKS_URL"), "{message}");
    assert!(message.contains("https://"), "{message}");
    let (exit, output) = finish(child, Duration::from_secs(10));
    assert_eq!(exit, Some(1), "the process exits:\n{output}");
    assert_eq!(api.next_calls(), 0, "no event is requested");
}

/// Issue #15: the template's metric filters, fed every line the binary prints, count what the
/// function decided: the dimensions come from the decision line's fixed-set fields, a Cognito
/// token counts as Cognito, and no other line counts as a request. (The dashboard plots exactly
/// these metrics: `authorizer-common`'s template test.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_template_metric_filters_count_the_decision_lines_the_binary_prints() {
    use authorizer_common::testing::metrics::{Template, Totals};

    let project = Project::seed().await;
    let moto = Moto::start();
    let pool = UserPool::create(&moto, "metrics").await;
    let web = pool.app_client("web").await;
    pool.group("reader").await;
    pool.user("ada", "ada@example.com", &["reader"]).await;
    pool.user("bob", "bob@example.com", &[]).await;
    let ada_cognito = pool.tokens(&web, "ada").await;
    let bob_cognito = pool.tokens(&web, "bob").await;
    let ada = project.token("ada@example.com", |_| {});
    let bob = project.token("bob@example.com", |_| {});
    let expired = project.token("ada@example.com", |r| r.expires_in = Some(-120));

    let mut env = project.env(&[]);
    env.extend([
        ("COGNITO_USER_POOL_ID", pool.id.clone()),
        ("COGNITO_CLIENT_IDS", web.clone()),
        ("COGNITO_TOKEN_USE", "access".to_owned()),
        ("COGNITO_ENDPOINT_URL", moto.url.clone()),
    ]);
    let mut api = RuntimeApi::start().await.unwrap();
    let child = spawn_function(BINARY, &api, &env);
    let bearer = |token: &str| event("rest-token.json", &format!("Bearer {token}"));
    for request in [
        bearer(&ada),                // descope allow
        bearer(&ada_cognito.access), // cognito allow
        bearer(&bob_cognito.access), // cognito deny
        bearer(&bob),                // descope deny
        bearer(&expired),            // unauthorized expired
        bearer(&ada_cognito.id),     // unauthorized wrong_token_use (access tokens only)
        event_without_token("rest-request.json"),
        json!({"unexpected": "event"}), // the WARN line: unsupported_event
    ] {
        let _ = api.call(request).await;
    }
    let (_, output) = finish(child, Duration::ZERO);
    assert_eq!(decisions(&output).len(), 8, "{output}");

    let template = Template::load();
    let filters = template.metric_filters(&template.log_group_of("ApiGatewayAuthorizerFunction"));
    let totals = Totals::of_log(&filters, &output);
    assert_eq!(
        totals.matched("Requests"),
        8,
        "one request per decision line, no other line"
    );
    assert_eq!(totals.sum("Requests"), 8.0);
    assert_eq!(totals.sum("Unauthorized"), 4.0);
    assert_eq!(totals.sum("Denied"), 2.0);
    assert_eq!(totals.sum("VerifiedRequests"), 4.0);
    assert_eq!(totals.sum("CognitoRequests"), 2.0);
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
    assert_eq!(totals.matched("Latency"), 8);
    let strings = |rows: &[&[&str]]| -> std::collections::BTreeMap<Vec<String>, f64> {
        rows.iter()
            .map(|r| (r.iter().map(|s| (*s).to_owned()).collect(), 1.0))
            .collect()
    };
    let mut by_reason = strings(&[
        &["allow", "route_granted"],
        &["deny", "route_not_granted"],
        &["unauthorized", "expired"],
        &["unauthorized", "wrong_token_use"],
        &["unauthorized", "missing_token"],
        &["unauthorized", "unsupported_event"],
    ]);
    by_reason.insert(vec!["allow".into(), "route_granted".into()], 2.0);
    by_reason.insert(vec!["deny".into(), "route_not_granted".into()], 2.0);
    assert_eq!(totals.by("RequestsByReason", &["Decision", "Reason"]), by_reason);
    assert_eq!(
        totals.by("VerifiedRequestsByIdP", &["IdP", "Decision", "Reason"]),
        strings(&[
            &["cognito", "allow", "route_granted"],
            &["cognito", "deny", "route_not_granted"],
            &["descope", "allow", "route_granted"],
            &["descope", "deny", "route_not_granted"],
        ])
    );
}
