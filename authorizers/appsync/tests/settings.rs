//! Settings from the environment: defaults, every variable, and errors naming the variable.

use std::collections::HashMap;

use appsync_authorizer::*;
use authorizer_common::{
    ConfigError,
    testing::{DESCOPE_SETTINGS, assert_descope_settings_read},
};

const POLICY: &str = r#"{"version": 1, "appsync": {"roles": {"admin": ["User.email"]}}}"#;

fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Settings::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn minimal_settings_use_defaults() {
    let s = settings(&[("DESCOPE_PROJECT_ID", "P2abc"), ("AUTHZ_POLICY", POLICY)]).unwrap();
    assert_eq!(s.descope.effective_jwks_url(), "https://api.descope.com/v2/keys/P2abc");
    assert_eq!(s.max_ttl_seconds, DEFAULT_MAX_TTL_SECONDS);
    assert!(s.context_claims.is_empty());
    assert!(!s.resolvers_enforce_identity);
    assert_eq!(s.policy.protected().len(), 1);
}

#[test]
fn every_setting_is_read() {
    let s = settings(
        &[
            DESCOPE_SETTINGS.as_slice(),
            &[
                ("AUTHZ_POLICY", POLICY),
                ("AUTHZ_MAX_TTL_SECONDS", "3600"),
                ("AUTHZ_CONTEXT_CLAIMS", "email, plan"),
                ("AUTHZ_RESOLVERS_ENFORCE_IDENTITY", "true"),
            ],
        ]
        .concat(),
    )
    .unwrap();
    assert!(s.resolvers_enforce_identity);
    assert_descope_settings_read(&s.descope);
    assert_eq!(s.max_ttl_seconds, 3600);
    assert_eq!(s.context_claims, ["email", "plan"]);
}

#[test]
fn bad_settings_name_the_variable() {
    let base = [("DESCOPE_PROJECT_ID", "P2abc"), ("AUTHZ_POLICY", POLICY)];
    let with = |extra: (&'static str, &'static str)| {
        let mut v = base.to_vec();
        v.retain(|(k, _)| *k != extra.0);
        v.push(extra);
        v
    };
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("AUTHZ_POLICY", POLICY)], "DESCOPE_PROJECT_ID is not set"),
        (vec![("DESCOPE_PROJECT_ID", "P2abc")], "set exactly one of AUTHZ_POLICY"),
        (
            with(("AUTHZ_POLICY", "{\"version\": 1, \"apigateway\": {}}")),
            "no \"appsync\" section",
        ),
        (
            with((
                "AUTHZ_POLICY",
                r#"{"version": 1, "appsync": {"roles": {"a": ["Mutation.*"]}}}"#,
            )),
            "AUTHZ_POLICY: policy field \"Mutation.*\" at appsync.roles.a is invalid: wildcards are not allowed",
        ),
        (
            with(("AUTHZ_MAX_TTL_SECONDS", "3601")),
            "AUTHZ_MAX_TTL_SECONDS=\"3601\" is invalid",
        ),
        (with(("AUTHZ_MAX_TTL_SECONDS", "-1")), "from 0 to 3600"),
        (
            with(("DESCOPE_LEEWAY_SECONDS", "x")),
            "DESCOPE_LEEWAY_SECONDS=\"x\" is invalid",
        ),
        (
            with(("AUTHZ_RESOLVERS_ENFORCE_IDENTITY", "yes")),
            "AUTHZ_RESOLVERS_ENFORCE_IDENTITY=\"yes\" is invalid",
        ),
        (
            with(("AUTHZ_CONTEXT_CLAIMS", "email,userId")),
            "claim \"userId\" is reserved",
        ),
        (
            with(("AUTHZ_POLICY_FILE", "/nonexistent/policy.json")),
            "set exactly one of AUTHZ_POLICY",
        ),
    ];
    for (vars, expected) in cases {
        let err = settings(&vars).unwrap_err().to_string();
        assert!(err.contains(expected), "{vars:?}: {err}");
    }
}
