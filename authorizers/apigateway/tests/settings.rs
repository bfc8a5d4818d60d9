//! Settings from the environment: defaults, every variable, and errors naming the variable.

use std::collections::HashMap;

use apigateway_authorizer::*;
use authorizer_common::{
    ConfigError,
    testing::{DESCOPE_SETTINGS, assert_descope_settings_read},
};

const POLICY: &str = r#"{"version": 1, "apigateway": {"authenticated": ["GET /me"]}}"#;

fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    Settings::from_lookup(|name| map.get(name).cloned())
}

#[test]
fn minimal_settings_use_descope_defaults() {
    let s = settings(&[("DESCOPE_PROJECT_ID", "P2abc"), ("AUTHZ_POLICY", POLICY)]).unwrap();
    assert_eq!(s.descope.effective_jwks_url(), "https://api.descope.com/v2/keys/P2abc");
    assert_eq!(s.token_sources, TokenSources::default());
    assert!(!s.simple_responses);
    assert!(s.context_claims.is_empty());
}

#[test]
fn every_setting_is_read() {
    let s = settings(
        &[
            DESCOPE_SETTINGS.as_slice(),
            &[
                ("AUTHZ_POLICY", POLICY),
                ("AUTHZ_TOKEN_HEADER", "X-Session-Token"),
                ("AUTHZ_TOKEN_QUERY", "token"),
                ("AUTHZ_TOKEN_COOKIE", "DS"),
                ("AUTHZ_SIMPLE_RESPONSES", "true"),
                ("AUTHZ_CONTEXT_CLAIMS", "email, plan"),
            ],
        ]
        .concat(),
    )
    .unwrap();
    assert_descope_settings_read(&s.descope);
    assert_eq!(s.token_sources.header.as_deref(), Some("x-session-token"));
    assert_eq!(s.token_sources.query.as_deref(), Some("token"));
    assert_eq!(s.token_sources.cookie.as_deref(), Some("DS"));
    assert!(s.simple_responses);
    assert_eq!(s.context_claims, ["email", "plan"]);
}

#[test]
fn bad_settings_name_the_variable() {
    let cases: [(&[(&str, &str)], &str); 9] = [
        (&[("AUTHZ_POLICY", POLICY)], "DESCOPE_PROJECT_ID is not set"),
        (&[("DESCOPE_PROJECT_ID", "P2abc")], "set exactly one of AUTHZ_POLICY"),
        (
            &[("DESCOPE_PROJECT_ID", "P2abc"), ("AUTHZ_POLICY", "{\"version\": 3}")],
            "AUTHZ_POLICY: policy version 3 is not supported",
        ),
        (
            &[("DESCOPE_PROJECT_ID", "P2abc"), ("AUTHZ_POLICY", "{\"version\": 1}")],
            "no \"apigateway\" section",
        ),
        (
            &[
                ("DESCOPE_PROJECT_ID", "P2abc"),
                ("AUTHZ_POLICY_FILE", "/nonexistent/policy.json"),
            ],
            "AUTHZ_POLICY_FILE=\"/nonexistent/policy.json\" cannot be read",
        ),
        (
            &[
                ("DESCOPE_PROJECT_ID", "P2abc"),
                ("AUTHZ_POLICY", POLICY),
                ("DESCOPE_LEEWAY_SECONDS", "-1"),
            ],
            "DESCOPE_LEEWAY_SECONDS=\"-1\" is invalid",
        ),
        (
            &[
                ("DESCOPE_PROJECT_ID", "P2abc"),
                ("AUTHZ_POLICY", POLICY),
                ("AUTHZ_SIMPLE_RESPONSES", "yes"),
            ],
            "AUTHZ_SIMPLE_RESPONSES=\"yes\" is invalid",
        ),
        (
            &[
                ("DESCOPE_PROJECT_ID", "P2abc"),
                ("AUTHZ_POLICY", POLICY),
                ("AUTHZ_CONTEXT_CLAIMS", "email,roles"),
            ],
            "claim \"roles\" is reserved",
        ),
        (
            &[
                ("DESCOPE_PROJECT_ID", "P2abc"),
                ("AUTHZ_POLICY", POLICY),
                ("AUTHZ_TOKEN_COOKIE", "D S"),
            ],
            "AUTHZ_TOKEN_COOKIE=\"D S\" is invalid",
        ),
    ];
    for (vars, expected) in cases {
        let err = settings(vars).unwrap_err().to_string();
        assert!(err.contains(expected), "{vars:?}: {err}");
    }
}

#[test]
fn the_policy_may_come_from_a_toml_file() {
    let dir = std::env::temp_dir().join(format!("apigw-authz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("policy.toml");
    std::fs::write(&path, "version = 1\n[apigateway]\nauthenticated = [\"GET /me\"]\n").unwrap();
    let s = settings(&[
        ("DESCOPE_PROJECT_ID", "P2abc"),
        ("AUTHZ_POLICY_FILE", path.to_str().unwrap()),
    ])
    .unwrap();
    assert!(!s.policy.grants_nothing());
    std::fs::remove_dir_all(&dir).unwrap();
}
