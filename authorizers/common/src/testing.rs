//! The harness the functions' tests share (feature `test-util`): signing keys, a JWKS served on
//! loopback, session claims at a fixed clock, a crate's fixtures, goldens and state under test
//! ([`Suite`]), the compiled function under the Lambda Runtime API stand-in ([`runtime`]), the
//! Descope emulator and moto as the identity providers of end-to-end tests ([`e2e`]), and the
//! template's metric filters and dashboard ([`metrics`]). Test code: it panics on a broken
//! expectation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod e2e;
pub mod metrics;
pub mod runtime;

use std::{
    collections::HashMap,
    marker::PhantomData,
    path::{Path, PathBuf},
};

use axum::{Router, routing::get};
use descope_jwt::testing::{TestKey, jwks};
use serde_json::{Value, json};

use crate::Authorizer;

/// The Descope project of the golden tests.
pub const PID: &str = "P2goldenproject000000000001";
/// The fixed clock of the golden tests (2026-01-01T00:00:00Z): goldens never depend on time.
pub const NOW: i64 = 1_767_225_600;

/// Session claims of user `U2golden` of [`PID`] at [`NOW`]; tests add roles and tenants.
pub fn claims() -> Value {
    json!({
        "sub": "U2golden00000000000000000001",
        "iss": format!("https://api.descope.com/{PID}"),
        "drn": "DS",
        "iat": NOW - 60,
        "exp": NOW + 540,
        "amr": ["pwd"],
        "roles": [],
        "permissions": [],
        "tenants": {},
        "email": "ada@example.com",
    })
}

/// One crate's tests: its `tests/` directory (fixture events with a `$TOKEN` placeholder, the
/// policy `fixtures/policy.json`, goldens, the README beside it) and the authorizer `A` they test.
pub struct Suite<A> {
    manifest_dir: &'static str,
    authorizer: PhantomData<fn() -> A>,
}

impl<A> Suite<A> {
    /// The suite of the crate at `manifest_dir` (its `env!("CARGO_MANIFEST_DIR")`).
    pub const fn new(manifest_dir: &'static str) -> Self {
        Self {
            manifest_dir,
            authorizer: PhantomData,
        }
    }

    /// The crate's `tests/` directory.
    pub fn dir(&self) -> PathBuf {
        Path::new(self.manifest_dir).join("tests")
    }

    /// `tests/fixtures/<name>`, as text.
    pub fn fixture_text(&self, name: &str) -> String {
        let path = self.dir().join("fixtures").join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// `tests/fixtures/<name>`, parsed.
    pub fn fixture(&self, name: &str) -> Value {
        serde_json::from_str(&self.fixture_text(name)).unwrap()
    }

    /// A fixture event with `$TOKEN` replaced by `authorization` (the whole header value).
    pub fn event(&self, fixture: &str, authorization: &str) -> Value {
        let text = self.fixture_text(fixture).replace("$TOKEN", authorization);
        serde_json::from_str(&text).unwrap()
    }

    /// Compares `actual` with `tests/golden/<name>.json` (see [`assert_golden`]).
    #[track_caller]
    pub fn assert_golden(&self, name: &str, actual: &Value) {
        assert_golden(&self.dir(), name, actual);
    }

    /// The first fenced block with this language tag in the crate's README.
    pub fn readme_block(&self, lang: &str) -> String {
        let readme = std::fs::read_to_string(Path::new(self.manifest_dir).join("README.md")).unwrap();
        let start = readme.find(&format!("```{lang}\n")).unwrap() + lang.len() + 4;
        let end = start + readme[start..].find("```").unwrap();
        readme[start..end].to_owned()
    }
}

impl<A: Authorizer> Suite<A> {
    /// The state verifying [`PID`]'s tokens against `keys.signing` served on loopback, with the
    /// policy `fixtures/policy.json`, the `email` claim copied, `extra` on top, at the fixed
    /// clock [`NOW`], its keys prefetched.
    pub async fn state(&self, keys: &Keys, extra: &[(&str, &str)]) -> A {
        let state = self.cold_state(keys, extra).await;
        state.prefetch().await.unwrap();
        state
    }

    /// Fresh [`Keys`] and [`Suite::state`] for them.
    pub async fn keys_and_state(&self, extra: &[(&str, &str)]) -> (Keys, A) {
        let keys = Keys::new();
        let state = self.state(&keys, extra).await;
        (keys, state)
    }

    /// Fresh [`Keys`] and the state with the README's JSON policy alone (see [`Suite::state_of`]).
    pub async fn readme_state(&self) -> (Keys, A) {
        let keys = Keys::new();
        let state = self
            .state_of(&keys, &[("AUTHZ_POLICY", &self.readme_block("json"))])
            .await;
        (keys, state)
    }

    /// [`Suite::state`] without the prefetch: the first token fetches the keys.
    pub async fn cold_state(&self, keys: &Keys, extra: &[(&str, &str)]) -> A {
        let policy = self.fixture_text("policy.json");
        let mut vars = vec![("AUTHZ_POLICY", policy.as_str()), ("AUTHZ_CONTEXT_CLAIMS", "email")];
        vars.extend_from_slice(extra);
        self.state_of(keys, &vars).await
    }

    /// The state from `vars` alone (the policy included), verifying [`PID`]'s tokens against
    /// `keys.signing` served on loopback (in cutover mode the pool's keys too), at the fixed clock
    /// [`NOW`]; keys not prefetched. A later pair overrides an earlier one of the same name.
    pub async fn state_of(&self, keys: &Keys, vars: &[(&str, &str)]) -> A {
        let base = serve_jwks(jwks(&[&keys.signing])).await;
        let mut map: HashMap<String, String> = HashMap::from([
            ("DESCOPE_PROJECT_ID".into(), PID.into()),
            ("DESCOPE_JWKS_URL".into(), format!("{base}/v2/keys/{PID}")),
        ]);
        for (k, v) in vars {
            map.insert((*k).into(), (*v).into());
        }
        if map.contains_key("COGNITO_USER_POOL_ID") {
            // The pool's keys are served beside Descope's: the same server answers every path.
            map.entry("COGNITO_ENDPOINT_URL".into()).or_insert(base);
        }
        A::from_lookup(|name| map.get(name).cloned())
            .unwrap()
            .with_fixed_clock(NOW)
    }
}

/// Every Descope setting, none at its default (see [`assert_descope_settings_read`]).
pub const DESCOPE_SETTINGS: [(&str, &str); 6] = [
    ("DESCOPE_PROJECT_ID", "P2abc"),
    ("DESCOPE_BASE_URL", "http://127.0.0.1:9"),
    ("DESCOPE_JWKS_URL", "http://127.0.0.1:9/keys"),
    ("DESCOPE_ISSUERS", "a, b"),
    ("DESCOPE_AUDIENCE", "P2abc"),
    ("DESCOPE_LEEWAY_SECONDS", "10"),
];

/// Asserts that the verifier settings read from [`DESCOPE_SETTINGS`] say what they set.
#[track_caller]
pub fn assert_descope_settings_read(descope: &descope_jwt::Config) {
    assert_eq!(descope.effective_jwks_url(), "http://127.0.0.1:9/keys");
    assert_eq!(descope.accepted_issuers(), ["a", "b"]);
}

/// A class of token every authorizer refuses: its name, the `Authorization` value (`None`: no
/// token at all) and the reason the decision line gives.
pub type InvalidToken = (&'static str, Option<String>, &'static str);

/// Every class of invalid token, made with `keys` from the valid `claims`. For a state whose keys
/// were just prefetched: an unknown kid is then refused without a refetch (`penalty_window`).
pub fn invalid_tokens(keys: &Keys, claims: &Value) -> Vec<InvalidToken> {
    let sign = |edit: &dyn Fn(&mut Value)| {
        let mut c = claims.clone();
        edit(&mut c);
        format!("Bearer {}", keys.signing.sign(&c).unwrap())
    };
    let valid = keys.signing.sign(claims).unwrap();
    let (signing_input, _) = valid.rsplit_once('.').unwrap();
    let forged = keys.impostor.sign(claims).unwrap();
    let bad_signature = format!("Bearer {signing_input}.{}", forged.rsplit_once('.').unwrap().1);
    vec![
        ("missing", None, "missing_token"),
        ("malformed", Some("Bearer not-a-jwt".into()), "malformed"),
        ("malformed-scheme", Some("Basic dXNlcjpwYXNz".into()), "malformed"),
        ("expired", Some(sign(&|c| c["exp"] = json!(NOW - 60))), "expired"),
        ("bad-signature", Some(bad_signature), "bad_signature"),
        (
            "wrong-issuer",
            Some(sign(&|c| c["iss"] = json!("https://api.descope.com/P2someoneelse"))),
            "wrong_issuer",
        ),
        (
            "refresh-token",
            Some(sign(&|c| c["drn"] = json!("DSR"))),
            "refresh_token",
        ),
        (
            "unknown-kid",
            Some(format!("Bearer {}", keys.unpublished.sign(claims).unwrap())),
            "penalty_window",
        ),
    ]
}

/// The `Authorization` values that carry `token`: the `Bearer` prefix in any case, or none.
pub fn bearer_forms(token: &str) -> [String; 3] {
    [format!("bearer {token}"), format!("BEARER  {token}"), token.to_owned()]
}

/// A handler's answer in wire form: the response JSON, or the error as lambda_runtime posts it.
pub fn wire<E: Into<lambda_runtime::Diagnostic>>(result: Result<Value, E>) -> Value {
    match result {
        Ok(v) => v,
        Err(e) => serde_json::to_value(e.into()).unwrap(),
    }
}

/// Whether `pattern` matches all of `text`, `*` standing for any run of characters (as in IAM
/// resources and CloudWatch filter values).
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    fn glob(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => glob(&p[1..], t) || (!t.is_empty() && glob(p, &t[1..])),
            (Some(a), Some(b)) if a == b => glob(&p[1..], &t[1..]),
            _ => false,
        }
    }
    glob(pattern.as_bytes(), text.as_bytes())
}

/// The published signing key, a key that is not published, and an impostor using the published kid.
pub struct Keys {
    /// Published as `key-1`.
    pub signing: TestKey,
    /// Never published (`key-unknown`).
    pub unpublished: TestKey,
    /// Another key claiming the published kid `key-1`.
    pub impostor: TestKey,
}

impl Keys {
    /// Fresh RS256 keys.
    pub fn new() -> Self {
        Self {
            signing: TestKey::rs256("key-1").unwrap(),
            unpublished: TestKey::rs256("key-unknown").unwrap(),
            impostor: TestKey::rs256("key-1").unwrap(),
        }
    }
}

impl Default for Keys {
    fn default() -> Self {
        Self::new()
    }
}

/// Serves `body` at every path on 127.0.0.1; returns the base URL. The server lives as long as
/// the current tokio runtime.
pub async fn serve_jwks(body: Value) -> String {
    let body = body.to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/{*path}", get(move || async move { body }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Compares `actual` with `<tests_dir>/golden/<name>.json` exactly (as JSON values). With
/// `UPDATE_GOLDEN=1` the golden is (re)written instead; review the diff before committing.
#[track_caller]
pub fn assert_golden(tests_dir: &Path, name: &str, actual: &Value) {
    let path = tests_dir.join("golden").join(format!("{name}.json"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(actual).unwrap() + "\n").unwrap();
        return;
    }
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display())),
    )
    .unwrap();
    assert_eq!(
        actual,
        &expected,
        "golden {name} differs:\nactual: {}",
        serde_json::to_string_pretty(actual).unwrap()
    );
}

/// True when no value anywhere in `v` is JSON null.
pub fn has_no_nulls(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Array(items) => items.iter().all(has_no_nulls),
        Value::Object(map) => map.values().all(has_no_nulls),
        _ => true,
    }
}

/// The Cognito user pool of the functions' cutover tests (its keys are served with Descope's).
pub const COGNITO_POOL: &str = "eu-west-1_GoldenPool1";
/// The accepted app client of [`COGNITO_POOL`].
pub const COGNITO_CLIENT: &str = "goldenappclient0000000001";
/// The settings of cutover mode for [`COGNITO_POOL`], access and ID tokens accepted; the test
/// state adds `COGNITO_ENDPOINT_URL`.
pub const CUTOVER: [(&str, &str); 3] = [
    ("COGNITO_USER_POOL_ID", COGNITO_POOL),
    ("COGNITO_CLIENT_IDS", COGNITO_CLIENT),
    ("COGNITO_TOKEN_USE", "access,id"),
];

/// Claims of a Cognito access token (or, with `id`, an ID token) of [`COGNITO_POOL`] for `ada` in
/// `groups`, issued a minute before `now` and valid for the hour.
pub fn cognito_claims(groups: &[&str], id: bool, now: i64) -> Value {
    let mut claims = if id {
        descope_jwt::testing::cognito_id_claims(COGNITO_POOL, COGNITO_CLIENT, "ada", groups)
    } else {
        descope_jwt::testing::cognito_access_claims(COGNITO_POOL, COGNITO_CLIENT, "ada", groups)
    };
    for name in ["iat", "auth_time"] {
        claims[name] = Value::from(now - 60);
    }
    claims["exp"] = Value::from(now + 3540);
    claims
}

/// One of the sample events AWS ships in `aws_lambda_events`'s published source
/// (`src/fixtures/<name>`, MIT licensed), parsed. The crate is a dev-dependency of the functions;
/// its unpacked source is found through `cargo metadata`, so the samples are never copied and
/// follow the crate's version in Cargo.lock. Panics naming the fixture when it cannot be read.
pub fn aws_sample_event(name: &str) -> Value {
    let path = aws_lambda_events_dir().join("src").join("fixtures").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("AWS sample event {name} not readable at {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("AWS sample event {name} is not JSON: {e}"))
}

/// The unpacked source of the `aws_lambda_events` package in this workspace's lock file.
fn aws_lambda_events_dir() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        // Cargo sets CARGO and CARGO_MANIFEST_DIR for the test binaries it runs.
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("run through cargo test");
        let output = std::process::Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--locked", "--offline"])
            .current_dir(manifest)
            .output()
            .expect("cargo metadata runs");
        assert!(
            output.status.success(),
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
        let manifest_path = metadata["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "aws_lambda_events")
            .and_then(|p| p["manifest_path"].as_str())
            .expect("aws_lambda_events is a dev-dependency of the functions (see Cargo.toml)");
        Path::new(manifest_path)
            .parent()
            .expect("a manifest has a directory")
            .to_owned()
    })
    .clone()
}
