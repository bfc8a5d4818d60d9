//! Golden tests: AppSync authorizer requests shaped like AWS's
//! `example-appsync-lambda-auth-request.json` (with `requestHeaders`), with a token minted at a
//! fixed clock put in at test time, against exact expected responses in `tests/golden/`.
//! `UPDATE_GOLDEN=1 cargo test -p appsync-authorizer --test integration golden` rewrites the goldens.

use appsync_authorizer::{State, decide, handle};
use authorizer_common::testing::{
    CUTOVER, Keys, NOW, bearer_forms, claims, cognito_claims, has_no_nulls, invalid_tokens,
};
use serde_json::{Value, json};

use crate::support::{SUITE, event_without_token};

fn user(case: &str) -> Value {
    let mut c = claims();
    match case {
        // Every protected field granted: admin and editor roles, tenant-admin in the current tenant.
        "allow" => {
            c["roles"] = json!(["admin", "editor"]);
            c["tenants"] = json!({
                "T2acme": {"roles": ["tenant-admin"], "permissions": []},
                "T2globex": {"roles": [], "permissions": ["audit.read"]}
            });
            c["dct"] = json!("T2acme");
        }
        // Only what every authenticated user gets, plus pii.read: the rest is denied.
        "partial" => c["permissions"] = json!(["pii.read"]),
        "none" => {}
        other => panic!("unknown case {other}"),
    }
    c
}

async fn answer(state: &State, event: &Value) -> (Value, &'static str, &'static str) {
    let decision = decide(state, event).await;
    let response = serde_json::to_value(&decision.response).unwrap();
    assert!(has_no_nulls(&response), "{response}");
    assert!(response["resolverContext"].is_object(), "{response}");
    (response, decision.verdict.as_str(), decision.reason.as_str())
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn valid_tokens_get_exact_answers() {
    let (keys, state) = SUITE.keys_and_state(&[]).await;
    for (case, fixture, golden, verdict, reason) in [
        ("allow", "query.json", "query-allow", "allow", "all_granted"),
        ("partial", "query.json", "query-partial", "allow", "fields_denied"),
        ("none", "query.json", "query-none", "allow", "fields_denied"),
        ("allow", "mutation.json", "mutation-allow", "allow", "all_granted"),
        (
            "partial",
            "mutation.json",
            "mutation-refused",
            "refuse",
            "operation_not_granted",
        ),
    ] {
        let token = keys.signing.sign(&user(case)).unwrap();
        let (response, got_verdict, got_reason) = answer(&state, &SUITE.event(fixture, &bearer(&token))).await;
        assert_eq!((got_verdict, got_reason), (verdict, reason), "{golden}");
        let text = response.to_string();
        assert!(!text.contains(&token), "the token never appears in a response");
        assert!(!text.contains("do-not-echo"), "request headers are not echoed");
        SUITE.assert_golden(golden, &response);
    }
}

#[tokio::test]
async fn the_refusal_names_the_operation_fields_and_is_never_cached() {
    let (keys, state) = SUITE.keys_and_state(&[]).await;
    let token = keys.signing.sign(&user("none")).unwrap();
    let decision = decide(&state, &SUITE.event("mutation.json", &bearer(&token))).await;
    assert_eq!(
        decision.refused,
        ["Mutation.deletePost"],
        "the alias `deleted` counts as deletePost"
    );
    assert_eq!(decision.operation_type, Some("mutation"));
    assert_eq!(decision.response.ttl_override, 0);
    // The other operation of the same document is allowed.
    let mut mine = SUITE.event("mutation.json", &bearer(&token));
    mine["requestContext"]["operationName"] = json!("Mine");
    let (response, verdict, _) = answer(&state, &mine).await;
    assert_eq!(verdict, "allow");
    SUITE.assert_golden("query-none", &response);
}

#[tokio::test]
async fn unreadable_queries_are_refused() {
    let (keys, state) = SUITE.keys_and_state(&[]).await;
    let token = keys.signing.sign(&user("allow")).unwrap();
    for (query, operation, reason) in [
        (json!("query { me "), json!(null), "unparseable_query"),
        (json!(""), json!(null), "no_query"),
        (json!(null), json!(null), "no_query"),
        (
            json!("query A { me } query B { me }"),
            json!(null),
            "operation_not_found",
        ),
        (json!("query A { me }"), json!("B"), "operation_not_found"),
        (
            json!("query { ...F } fragment F on User { email }"),
            json!(null),
            "bad_fragment",
        ),
    ] {
        let mut e = SUITE.event("query.json", &bearer(&token));
        e["requestContext"]["queryString"] = query.clone();
        e["requestContext"]["operationName"] = operation;
        let (response, verdict, got) = answer(&state, &e).await;
        assert_eq!((verdict, got), ("refuse", reason), "{query}");
        SUITE.assert_golden("refused", &response);
    }
}

#[tokio::test]
async fn ttl_override_never_outlives_the_token_and_respects_the_cap() {
    let keys = Keys::new();
    let default_cap = SUITE.state(&keys, &[]).await;
    let long_cap = SUITE.state(&keys, &[("AUTHZ_MAX_TTL_SECONDS", "3600")]).await;
    let no_cache = SUITE.state(&keys, &[("AUTHZ_MAX_TTL_SECONDS", "0")]).await;
    for (exp, state, expected) in [
        (NOW + 540, &default_cap, 300), // capped at the default maximum
        (NOW + 60, &default_cap, 60),   // the token's remaining lifetime
        (NOW + 540, &long_cap, 540),
        (NOW + 3, &long_cap, 3),
        (NOW - 2, &long_cap, 0), // expired but within the verifier's leeway: never cached
        (NOW + 540, &no_cache, 0),
    ] {
        // Every field granted: no denied mutation turns caching off (see below).
        let mut c = user("allow");
        c["exp"] = json!(exp);
        let token = keys.signing.sign(&c).unwrap();
        let (response, verdict, _) = answer(state, &SUITE.event("query.json", &bearer(&token))).await;
        assert_eq!(verdict, "allow");
        assert_eq!(response["ttlOverride"], expected, "exp = NOW{:+}", exp - NOW);
    }
}

#[tokio::test]
async fn a_tenant_header_decides_and_turns_caching_off() {
    let keys = Keys::new();
    let policy = SUITE.fixture_text("policy-header.json");
    let state = SUITE.state(&keys, &[("AUTHZ_POLICY", &policy)]).await;
    let mut c = user("none");
    c["tenants"] = json!({"T2acme": {"roles": ["tenant-admin"]}, "T2globex": {"roles": []}});
    c["dct"] = json!("T2globex");
    let token = keys.signing.sign(&c).unwrap();

    let (response, verdict, reason) = answer(&state, &SUITE.event("tenant-query.json", &bearer(&token))).await;
    assert_eq!((verdict, reason), ("allow", "all_granted"));
    assert!(
        !response.to_string().contains("do-not-echo"),
        "request headers are not echoed"
    );
    SUITE.assert_golden("tenant-header-allow", &response);

    for tenant in [Some("T2globex"), Some("T2unknown"), None] {
        let mut e = SUITE.event("tenant-query.json", &bearer(&token));
        let headers = e["requestHeaders"].as_object_mut().unwrap();
        headers.remove("X-Tenant-Id");
        if let Some(t) = tenant {
            headers.insert("x-tenant-id".into(), json!(t));
        }
        let decision = decide(&state, &e).await;
        assert_eq!(
            (decision.verdict.as_str(), decision.reason.as_str()),
            ("refuse", "operation_not_granted"),
            "{tenant:?}"
        );
        assert_eq!(decision.response.ttl_override, 0);
    }
    // A query not touching tenant fields: authorized, User.email denied, still never cached.
    let (response, verdict, _) = answer(&state, &SUITE.event("query.json", &bearer(&token))).await;
    assert_eq!(verdict, "allow");
    assert_eq!(response["ttlOverride"], 0);
    assert_eq!(response["deniedFields"], json!(["Query.tenantUsers", "User.email"]));
}

#[tokio::test]
async fn every_invalid_token_class_is_exactly_not_authorized() {
    let (keys, state) = SUITE.keys_and_state(&[]).await;
    let mut classes = invalid_tokens(&keys, &user("allow"));
    classes.insert(1, ("empty", Some("  ".into()), "missing_token"));
    for (class, token, reason) in &classes {
        for fixture in ["query.json", "mutation.json", "tenant-query.json"] {
            let event = match token {
                None => event_without_token(fixture),
                Some(t) => SUITE.event(fixture, t),
            };
            let (response, verdict, got) = answer(&state, &event).await;
            assert_eq!((verdict, got), ("unauthorized", *reason), "{fixture} {class}");
            SUITE.assert_golden("unauthorized", &response);
            // `handle` answers the same, and never fails.
            assert_eq!(handle(&state, event).await.unwrap(), response);
        }
    }
}

#[tokio::test]
async fn bearer_prefix_in_any_case_or_none() {
    let (keys, state) = SUITE.keys_and_state(&[]).await;
    let token = keys.signing.sign(&user("allow")).unwrap();
    for header in bearer_forms(&token) {
        let (response, verdict, _) = answer(&state, &SUITE.event("query.json", &header)).await;
        assert_eq!(verdict, "allow");
        SUITE.assert_golden("query-allow", &response);
    }
}

#[tokio::test]
async fn an_unknown_kid_is_looked_up_once_then_refused() {
    let keys = Keys::new();
    let state = SUITE.cold_state(&keys, &[]).await;
    let token = bearer(&keys.unpublished.sign(&user("allow")).unwrap());
    let (response, verdict, reason) = answer(&state, &SUITE.event("query.json", &token)).await;
    assert_eq!((verdict, reason), ("unauthorized", "unknown_kid"));
    SUITE.assert_golden("unauthorized", &response);
    let (_, _, reason) = answer(&state, &SUITE.event("query.json", &token)).await;
    assert_eq!(reason, "penalty_window");
}

#[tokio::test]
async fn unknown_events_are_not_authorized_not_errors() {
    let (keys, state) = SUITE.keys_and_state(&[]).await;
    let token = keys.signing.sign(&user("allow")).unwrap();
    for event in [
        json!({"hello": "world"}),
        json!(null),
        json!([1, 2]),
        json!({"authorizationToken": bearer(&token)}),
        json!({"authorizationToken": bearer(&token), "requestContext": "x"}),
    ] {
        let (response, verdict, reason) = answer(&state, &event).await;
        assert_eq!((verdict, reason), ("unauthorized", "unsupported_event"), "{event}");
        SUITE.assert_golden("unauthorized", &response);
    }
    // A token that is not a string counts as missing.
    let mut e = SUITE.event("query.json", "x");
    e["authorizationToken"] = json!(42);
    assert_eq!(answer(&state, &e).await.2, "missing_token");
}

#[tokio::test]
async fn in_cutover_a_cognito_group_opens_what_the_descope_role_of_that_name_opens() {
    let (keys, state) = SUITE.keys_and_state(&CUTOVER).await;
    for groups in [&["admin", "editor"][..], &["editor"], &[]] {
        let mut descope = claims();
        descope["roles"] = json!(groups);
        let descope = keys.signing.sign(&descope).unwrap();
        let access = keys.signing.sign(&cognito_claims(groups, false, NOW)).unwrap();
        let id = keys.signing.sign(&cognito_claims(groups, true, NOW)).unwrap();
        for fixture in ["query.json", "mutation.json"] {
            let (expected, verdict, reason) = answer(&state, &SUITE.event(fixture, &bearer(&descope))).await;
            for token in [&access, &id] {
                let (response, got_verdict, got_reason) = answer(&state, &SUITE.event(fixture, &bearer(token))).await;
                let case = format!("{fixture} {groups:?}");
                assert_eq!((got_verdict, got_reason), (verdict, reason), "{case}");
                for key in ["isAuthorized", "deniedFields", "ttlOverride"] {
                    assert_eq!(response[key], expected[key], "{case}: {key}");
                }
                let context = &response["resolverContext"];
                assert_eq!(context["roles"], expected["resolverContext"]["roles"], "{case}");
                if verdict == "allow" {
                    assert_eq!(context["idp"], "cognito", "{case}");
                    assert_eq!(expected["resolverContext"]["idp"], "descope", "{case}");
                }
            }
            if groups == ["editor"] && fixture == "query.json" {
                let (response, _, _) = answer(&state, &SUITE.event(fixture, &bearer(&access))).await;
                SUITE.assert_golden("query-cognito", &response);
            }
        }
    }
}

/// Issue #14: AppSync forces denied fields to null but may still run their resolvers, for up to
/// `ttlOverride` seconds after a cached answer. A token denied a protected root mutation or
/// subscription field is therefore decided afresh each time (`ttlOverride` 0), unless the
/// resolvers check the caller themselves (`AUTHZ_RESOLVERS_ENFORCE_IDENTITY=true`).
#[tokio::test]
async fn a_token_denied_a_mutation_or_subscription_is_never_cached_by_default() {
    let keys = Keys::new();
    let subscriptions = r#"{"version": 1, "appsync": {"authenticated": ["Query.me", "Query.listPosts"],
        "roles": {"admin": ["Subscription.onPost", "User.email"]}}}"#;
    let renamed = r#"{"version": 1, "appsync": {"authenticated": ["Query.me", "Query.listPosts"],
        "rootTypes": {"mutation": "Writes"},
        "roles": {"admin": ["Writes.deletePost"], "auditor": ["Mutation.notARoot"]}}}"#;
    let mut editor = claims();
    editor["roles"] = json!(["admin", "editor"]);
    for (case, policy, claims, default_ttl, enforced_ttl) in [
        ("mutations denied", None, user("partial"), 0, 300),
        ("nothing denied", None, user("allow"), 300, 300),
        ("only a non-root field denied", None, editor, 300, 300),
        ("a subscription denied", Some(subscriptions), user("none"), 0, 300),
        ("a renamed mutation root denied", Some(renamed), user("none"), 0, 300),
        (
            "a type named Mutation that is not the root",
            Some(renamed),
            {
                let mut c = claims();
                c["roles"] = json!(["admin"]);
                c
            },
            300,
            300,
        ),
    ] {
        let token = keys.signing.sign(&claims).unwrap();
        for (setting, expected) in [("false", default_ttl), ("true", enforced_ttl)] {
            let mut vars = vec![("AUTHZ_RESOLVERS_ENFORCE_IDENTITY", setting)];
            if let Some(policy) = policy {
                vars.push(("AUTHZ_POLICY", policy));
            }
            let state = SUITE.state(&keys, &vars).await;
            let (response, verdict, _) = answer(&state, &SUITE.event("query.json", &bearer(&token))).await;
            assert_eq!(verdict, "allow", "{case}");
            assert_eq!(
                response["ttlOverride"], expected,
                "{case}, enforced by resolvers: {setting}"
            );
        }
    }
}
