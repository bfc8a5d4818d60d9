//! The verifier's contract, case by case: which tokens are accepted, which are refused and why,
//! and how keys are fetched. Keys are generated here, the JWKS is served on 127.0.0.1, and every
//! token is minted for its case.

use std::{sync::Arc, time::Duration};

use crate::support::{Answer, JwksServer, closed_port_url};
use aws_lc_rs::hmac;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use descope_jwt::{
    CognitoPool, Config, IdentityProvider, IssuerForms, TokenUse, Verifier,
    testing::{TestKey, cognito_access_claims, cognito_id_claims, jwks, now, session_claims},
};
use serde_json::{Value, json};

const PID: &str = "P2testproject0000000000001";

/// A JWKS server publishing `keys`, and a verifier for it with its keys prefetched.
struct Fixture {
    server: JwksServer,
    verifier: Verifier,
}

impl Fixture {
    async fn new(keys: &[&TestKey]) -> Self {
        Self::with_config(keys, |c| c).await
    }

    async fn with_config(keys: &[&TestKey], tune: impl FnOnce(Config) -> Config) -> Self {
        let server = JwksServer::start(Answer::Json(jwks(keys))).await;
        let verifier = Verifier::new(tune(Config::new(PID).jwks_url(server.jwks_url(PID)))).unwrap();
        verifier.prefetch().await.unwrap();
        Self { server, verifier }
    }

    /// Verifies `token` and checks the outcome: `Ok(())` for an accepted token, or the error kind.
    #[track_caller]
    fn check(&self, case: &str, token: &str, expected: Result<(), &str>) -> impl Future<Output = ()> {
        let caller = std::panic::Location::caller();
        async move {
            let outcome = self.verifier.verify(token).await;
            let got = outcome.as_ref().map(|_| ()).map_err(|e| e.kind());
            assert_eq!(got, expected, "case {case:?} (checked at {caller}): {outcome:?}");
            if let Err(error) = outcome {
                // Messages are safe to log: they never carry the token or its signature.
                let message = error.to_string();
                let signature = token.rsplit('.').next().unwrap_or_default();
                assert!(
                    signature.len() < 8 || !message.contains(signature),
                    "case {case:?} leaks: {message}"
                );
                assert!(
                    token.len() < 16 || !message.contains(token),
                    "case {case:?} leaks: {message}"
                );
            }
        }
    }
}

fn with(mut claims: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

fn header(alg: &str, kid: &str) -> Value {
    json!({"alg": alg, "kid": kid, "typ": "JWT"})
}

fn b64(value: &Value) -> String {
    B64.encode(value.to_string())
}

#[tokio::test]
async fn genuine_tokens_of_every_supported_key_type_are_accepted() {
    let rs256 = TestKey::rs256("rs256").unwrap();
    let ps256 = TestKey::rsa("ps256", "PS256", 2048).unwrap();
    let rs512 = TestKey::rsa("rs512", "RS512", 3072).unwrap();
    let es256 = TestKey::es256("es256").unwrap();
    let es384 = TestKey::es384("es384").unwrap();
    let keys = [&rs256, &ps256, &rs512, &es256, &es384];
    let fx = Fixture::new(&keys).await;
    for key in keys {
        let token = key.sign(&session_claims(PID, "U2user")).unwrap();
        fx.check(key.alg(), &token, Ok(())).await;
    }
}

#[tokio::test]
async fn every_issuer_form_descope_uses_for_the_project_is_accepted() {
    let key = TestKey::rs256("k1").unwrap();
    let fx = Fixture::new(&[&key]).await;
    let claims = session_claims(PID, "U2user");
    for iss in [
        PID.to_owned(),
        format!("https://api.descope.com/{PID}"),
        format!("https://api.descope.com/v1/apps/{PID}"),
    ] {
        let token = key.sign(&with(claims.clone(), json!({ "iss": iss }))).unwrap();
        fx.check(&iss, &token, Ok(())).await;
    }
}

#[tokio::test]
async fn claims_are_typed_for_authorization() {
    let key = TestKey::rs256("k1").unwrap();
    let fx = Fixture::with_config(&[&key], |c| c.audience(PID)).await;
    let token = key
        .sign(&with(
            session_claims(PID, "U2alice"),
            json!({
                "aud": [PID, "other"],
                "roles": ["admin"],
                "permissions": ["users:read"],
                "tenants": {"T2acme": {"roles": ["editor"], "permissions": ["docs:write"]}},
                "dct": "T2acme",
                "amr": ["email", "totp"],
                "nsec": {"plan": "gold"},
                "department": "R&D",
            }),
        ))
        .unwrap();
    let claims = fx.verifier.verify(&token).await.unwrap();
    assert_eq!(claims.subject, "U2alice");
    assert_eq!(claims.issuer, format!("https://api.descope.com/{PID}"));
    assert_eq!(claims.audience, vec![PID.to_owned(), "other".to_owned()]);
    assert_eq!(claims.roles, vec!["admin"]);
    assert_eq!(claims.permissions, vec!["users:read"]);
    assert_eq!(claims.current_tenant.as_deref(), Some("T2acme"));
    assert_eq!(claims.tenant_roles("T2acme"), &["editor".to_owned()]);
    assert!(claims.has_all_tenant_permissions("T2acme", &["docs:write"]));
    assert!(claims.is_mfa());
    assert_eq!(claims.claim("department"), Some(&json!("R&D")));
    assert_eq!(claims.claim("nsec"), Some(&json!({"plan": "gold"})));
    assert_eq!(claims.claim("drn"), Some(&json!("DS")));
}

/// Every refusal that depends on the claims, one row each.
#[tokio::test]
async fn claims_that_fail_a_check_are_refused_with_their_own_error() {
    let key = TestKey::rs256("k1").unwrap();
    let fx = Fixture::with_config(&[&key], |c| c.audience(PID)).await;
    let ok = with(session_claims(PID, "U2user"), json!({"aud": PID}));
    let t = now();
    let cases: Vec<(&str, Value, Result<(), &str>)> = vec![
        ("baseline", json!({}), Ok(())),
        ("expired an hour ago", json!({"exp": t - 3600}), Err("expired")),
        ("expired beyond the 5 s leeway", json!({"exp": t - 30}), Err("expired")),
        ("expired within the leeway", json!({"exp": t - 1}), Ok(())),
        ("no exp at all", json!({"exp": null}), Err("missing_expiry")),
        (
            "exp as a string",
            json!({"exp": (t + 60).to_string()}),
            Err("invalid_claim"),
        ),
        ("nbf in the future", json!({"nbf": t + 600}), Err("not_yet_valid")),
        ("iat in the future", json!({"iat": t + 600}), Err("issued_in_future")),
        (
            "another project's issuer",
            json!({"iss": "https://api.descope.com/P2otherproject0000000001"}),
            Err("wrong_issuer"),
        ),
        (
            "a Cognito issuer",
            json!({"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"}),
            Err("wrong_issuer"),
        ),
        (
            "issuer prefix trick",
            json!({"iss": format!("https://api.descope.com/{PID}/extra")}),
            Err("wrong_issuer"),
        ),
        ("no issuer", json!({"iss": null}), Err("wrong_issuer")),
        ("wrong audience", json!({"aud": "someone-else"}), Err("wrong_audience")),
        (
            "no audience while one is required",
            json!({"aud": null}),
            Err("wrong_audience"),
        ),
        ("no subject", json!({"sub": null}), Err("missing_subject")),
        ("empty subject", json!({"sub": ""}), Err("missing_subject")),
        ("refresh token", json!({"drn": "DSR"}), Err("refresh_token")),
        ("unknown token marker", json!({"drn": "XYZ"}), Err("invalid_claim")),
        ("no token marker (custom template)", json!({"drn": null}), Ok(())),
        ("roles not a list", json!({"roles": "admin"}), Err("invalid_claim")),
        ("tenants not a map", json!({"tenants": ["T1"]}), Err("invalid_claim")),
        ("dct not a string", json!({"dct": 7}), Err("invalid_claim")),
    ];
    for (case, changes, expected) in cases {
        let token = key.sign(&with(ok.clone(), changes)).unwrap();
        fx.check(case, &token, expected).await;
    }
}

#[tokio::test]
async fn refresh_tokens_pass_only_when_explicitly_allowed() {
    let key = TestKey::rs256("k1").unwrap();
    let fx = Fixture::with_config(&[&key], |c| c.accept_refresh_tokens(true)).await;
    let token = key
        .sign(&with(session_claims(PID, "U2user"), json!({"drn": "DSR"})))
        .unwrap();
    fx.check("refresh token, allowed", &token, Ok(())).await;
}

/// Refusals decided by the token's shape and header, before any claim is read.
#[tokio::test]
async fn hostile_and_broken_tokens_are_refused_before_the_claims() {
    let key = TestKey::rs256("k1").unwrap();
    let ec = TestKey::es256("ec1").unwrap();
    let fx = Fixture::new(&[&key, &ec]).await;
    let claims = session_claims(PID, "U2user");
    let good = key.sign(&claims).unwrap();
    let [h, p, s]: [&str; 3] = good.split('.').collect::<Vec<_>>().try_into().unwrap();

    // alg "none", with an empty and with a filler signature.
    let none_header = b64(&json!({"alg": "none", "kid": "k1"}));
    let unsigned = format!("{none_header}.{}.", b64(&claims));
    let none_filler = format!("{none_header}.{}.AAAA", b64(&claims));
    // HS256 keyed with the RSA public key (algorithm confusion): refused for its alg, not its MAC.
    let hs_header = b64(&header("HS256", "k1"));
    let input = format!("{hs_header}.{}", b64(&claims));
    let secret = key.public_jwk().to_string();
    let mac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()), input.as_bytes());
    let confused = format!("{input}.{}", B64.encode(mac.as_ref()));
    // The RSA key signs with RS512 while its JWK says RS256.
    let wrong_rsa_alg = TestKey::rsa("k1", "RS512", 2048).unwrap().sign(&claims).unwrap();
    let rs512_header = key.sign_with_header(&header("RS512", "k1"), &claims).unwrap();
    // An EC kid with an RSA alg, and the reverse.
    let rs_on_ec = key.sign_with_header(&header("RS256", "ec1"), &claims).unwrap();
    let es_on_rsa = ec.sign_with_header(&header("ES256", "k1"), &claims).unwrap();
    // Tampering.
    let promoted = b64(&with(claims.clone(), json!({"roles": ["admin"]})));
    let tampered_payload = format!("{h}.{promoted}.{s}");
    let mut sig = B64.decode(s).unwrap();
    sig[10] ^= 1;
    let tampered_signature = format!("{h}.{p}.{}", B64.encode(&sig));
    let other_signature = key.sign(&with(claims.clone(), json!({"sub": "U2other"}))).unwrap();
    let spliced = format!("{h}.{p}.{}", other_signature.rsplit('.').next().unwrap());
    // Header oddities.
    let no_kid = key.sign_with_header(&json!({"alg": "RS256"}), &claims).unwrap();
    let empty_kid = key.sign_with_header(&header("RS256", ""), &claims).unwrap();
    let crit = key
        .sign_with_header(
            &json!({"alg": "RS256", "kid": "k1", "crit": ["exp"], "exp": 1}),
            &claims,
        )
        .unwrap();
    let header_not_json = format!("{}.{p}.{s}", B64.encode("not json"));
    let payload_not_json = key
        .sign_with_header(&header("RS256", "k1"), &json!("just a string"))
        .unwrap();
    let es512 = key.sign_with_header(&header("ES512", "k1"), &claims).unwrap();
    let alg_number = key
        .sign_with_header(&json!({"alg": 256, "kid": "k1"}), &claims)
        .unwrap();
    let duplicate_alg = {
        let raw = r#"{"alg":"RS256","alg":"HS256","kid":"k1"}"#;
        let input = format!("{}.{p}", B64.encode(raw));
        format!("{input}.{}", B64.encode(key.sign_bytes(input.as_bytes()).unwrap()))
    };

    let cases: Vec<(&str, String, Result<(), &str>)> = vec![
        ("genuine", good.clone(), Ok(())),
        ("alg none, unsigned", unsigned, Err("malformed")),
        ("alg none, filler signature", none_filler, Err("unsupported_algorithm")),
        (
            "HS256 keyed with the public key",
            confused,
            Err("unsupported_algorithm"),
        ),
        ("ES512", es512, Err("unsupported_algorithm")),
        ("alg is a number", alg_number, Err("malformed")),
        ("alg given twice", duplicate_alg, Err("malformed")),
        (
            "RS512 signature under an RS256 key",
            wrong_rsa_alg,
            Err("algorithm_mismatch"),
        ),
        ("RS512 header, RS256 signature", rs512_header, Err("algorithm_mismatch")),
        ("RSA alg on an EC key", rs_on_ec, Err("algorithm_mismatch")),
        ("EC alg on an RSA key", es_on_rsa, Err("algorithm_mismatch")),
        ("tampered payload", tampered_payload, Err("bad_signature")),
        ("tampered signature", tampered_signature, Err("bad_signature")),
        ("signature of another token", spliced, Err("bad_signature")),
        ("no kid", no_kid, Err("missing_kid")),
        ("empty kid", empty_kid, Err("missing_kid")),
        ("unknown critical header", crit, Err("unsupported_critical")),
        ("header not JSON", header_not_json, Err("malformed")),
        ("payload not a JSON object", payload_not_json, Err("malformed")),
        ("two segments", format!("{h}.{p}"), Err("malformed")),
        ("four segments", format!("{good}.{s}"), Err("malformed")),
        ("empty payload", format!("{h}..{s}"), Err("malformed")),
        ("not base64", "héllo.wörld.!!!".to_owned(), Err("malformed")),
        ("whitespace inside", format!("{h}. {p}.{s}"), Err("malformed")),
        ("empty string", String::new(), Err("malformed")),
        ("1 MiB", format!("{h}.{}.{s}", "A".repeat(1 << 20)), Err("too_large")),
    ];
    for (case, token, expected) in cases {
        fx.check(case, &token, expected).await;
    }
    assert_eq!(fx.server.hits(), 1, "none of these may trigger a key fetch");
}

#[tokio::test]
async fn keys_named_in_the_token_are_never_fetched() {
    let key = TestKey::rs256("k1").unwrap();
    let attacker = TestKey::rs256("evil").unwrap();
    let fx = Fixture::with_config(&[&key], |c| c.penalty_window(Duration::ZERO)).await;
    let evil_jwks = JwksServer::start(Answer::Json(jwks(&[&attacker]))).await;
    let claims = session_claims(PID, "U2user");
    let header = json!({
        "alg": "RS256", "kid": "evil",
        "jku": evil_jwks.jwks_url(PID),
        "x5u": evil_jwks.jwks_url(PID),
        "jwk": attacker.public_jwk(),
    });
    let token = attacker.sign_with_header(&header, &claims).unwrap();
    fx.check("attacker key in jku/x5u/jwk", &token, Err("unknown_kid"))
        .await;
    assert_eq!(evil_jwks.hits(), 0);
}

#[tokio::test]
async fn a_flood_of_unknown_kids_costs_at_most_one_fetch_per_penalty_window() {
    let key = TestKey::rs256("k1").unwrap();
    let fx = Fixture::new(&[&key]).await;
    let claims = session_claims(PID, "U2user");
    let verifier = Arc::new(fx.verifier);
    let garbage: Vec<String> = (0..500)
        .map(|i| {
            key.sign_with_header(&header("RS256", &format!("junk-{i}")), &claims)
                .unwrap()
        })
        .collect();
    let outcomes = futures::future::join_all(garbage.iter().map(|t| verifier.verify(t))).await;
    for outcome in &outcomes {
        assert_eq!(outcome.as_ref().unwrap_err().kind(), "penalty_window");
    }
    assert_eq!(fx.server.hits(), 1, "only the prefetch reached the JWKS endpoint");
    // The genuine key still works during the flood.
    assert!(verifier.verify(&key.sign(&claims).unwrap()).await.is_ok());
}

#[tokio::test]
async fn concurrent_callers_share_one_fetch() {
    let key = TestKey::rs256("k1").unwrap();
    let server = JwksServer::start(Answer::Json(jwks(&[&key]))).await;
    // No prefetch: the first requests find an empty cache.
    let verifier = Verifier::new(Config::new(PID).jwks_url(server.jwks_url(PID))).unwrap();
    let token = key.sign(&session_claims(PID, "U2user")).unwrap();
    let outcomes = futures::future::join_all((0..100).map(|_| verifier.verify(&token))).await;
    assert!(
        outcomes.iter().all(Result::is_ok),
        "{:?}",
        outcomes.iter().find(|o| o.is_err())
    );
    assert_eq!(server.hits(), 1);

    // Same for an unknown kid after the penalty window: one refetch, shared.
    let verifier = Verifier::new(
        Config::new(PID)
            .jwks_url(server.jwks_url(PID))
            .penalty_window(Duration::from_millis(50)),
    )
    .unwrap();
    verifier.prefetch().await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    let unknown = key
        .sign_with_header(&header("RS256", "rotated"), &session_claims(PID, "U2user"))
        .unwrap();
    let before = server.hits();
    let outcomes = futures::future::join_all((0..50).map(|_| verifier.verify(&unknown))).await;
    assert!(
        outcomes
            .iter()
            .all(|o| o.as_ref().is_err_and(|e| e.kind() == "unknown_kid"))
    );
    assert_eq!(server.hits() - before, 1);
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_after_the_penalty_window() {
    let old = TestKey::rs256("2024-old").unwrap();
    let new = TestKey::es384("2025-new").unwrap();
    let window = Duration::from_millis(200);
    let fx = Fixture::with_config(&[&old], |c| c.penalty_window(window)).await;
    fx.server.set(Answer::Json(jwks(&[&old, &new])));
    let token = new.sign(&session_claims(PID, "U2user")).unwrap();

    fx.check("right after the prefetch", &token, Err("penalty_window"))
        .await;
    assert_eq!(fx.server.hits(), 1);
    tokio::time::sleep(window).await;
    fx.check("after the window", &token, Ok(())).await;
    assert_eq!(fx.server.hits(), 2);
    fx.check("cached from now on", &token, Ok(())).await;
    assert_eq!(fx.server.hits(), 2);

    // A key removed from the JWKS stops verifying at the next refetch.
    fx.server.set(Answer::Json(jwks(&[&new])));
    tokio::time::sleep(window).await;
    let trigger = new
        .sign_with_header(&header("ES384", "unknown"), &session_claims(PID, "U2user"))
        .unwrap();
    fx.check("unknown kid triggers a refetch", &trigger, Err("unknown_kid"))
        .await;
    fx.check(
        "the retired key",
        &old.sign(&session_claims(PID, "U2user")).unwrap(),
        Err("penalty_window"),
    )
    .await;
}

#[tokio::test]
async fn cached_keys_keep_verifying_when_the_jwks_server_goes_down() {
    let key = TestKey::rs256("k1").unwrap();
    let fx = Fixture::with_config(&[&key], |c| c.penalty_window(Duration::ZERO)).await;
    let Fixture { server, verifier } = fx;
    server.stop().await;
    let token = key.sign(&session_claims(PID, "U2user")).unwrap();
    assert!(verifier.verify(&token).await.is_ok());
    let unknown = key
        .sign_with_header(&header("RS256", "k2"), &session_claims(PID, "U2user"))
        .unwrap();
    assert_eq!(verifier.verify(&unknown).await.unwrap_err().kind(), "unknown_kid");
    assert!(
        verifier.verify(&token).await.is_ok(),
        "a failed refetch keeps the cached keys"
    );
}

#[tokio::test]
async fn with_no_keys_at_all_verification_fails_closed() {
    let key = TestKey::rs256("k1").unwrap();
    let token = key.sign(&session_claims(PID, "U2user")).unwrap();

    let verifier = Verifier::new(Config::new(PID).jwks_url(closed_port_url(PID).await)).unwrap();
    let error = verifier.prefetch().await.unwrap_err();
    assert_eq!(error.kind(), "key_set_unavailable");
    assert!(error.to_string().contains("request to http://127.0.0.1"), "{error}");
    let error = verifier.verify(&token).await.unwrap_err();
    assert_eq!(error.kind(), "key_set_unavailable", "{error}");

    // Endpoints that answer, but not with a key set.
    for (answer, needle) in [
        (Answer::Status(500, "oops"), "HTTP 500"),
        (Answer::Status(404, "no such project"), "HTTP 404"),
        (Answer::Status(302, ""), "HTTP 302"),
        (Answer::Json(json!({"keys": []})), "no usable signing key"),
        (Answer::Json(json!([key.public_jwk()])), "not a JWKS document"),
        (
            Answer::Json(json!({"keys": [{"kty": "oct", "kid": "k1", "k": "c2VjcmV0"}]})),
            "no usable",
        ),
    ] {
        let server = JwksServer::start(answer).await;
        let verifier = Verifier::new(Config::new(PID).jwks_url(server.jwks_url(PID))).unwrap();
        let error = verifier.verify(&token).await.unwrap_err();
        assert_eq!(error.kind(), "key_set_unavailable");
        assert!(error.to_string().contains(needle), "{error} should mention {needle}");
        // Within the penalty window, no second fetch.
        assert_eq!(verifier.verify(&token).await.unwrap_err().kind(), "key_set_unavailable");
        assert_eq!(server.hits(), 1);
    }
}

#[tokio::test]
async fn a_slow_jwks_endpoint_times_out() {
    // A listener that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let verifier = Verifier::new(
        Config::new(PID)
            .jwks_url(format!("http://{addr}/v2/keys/{PID}"))
            .fetch_timeout(Duration::from_millis(200)),
    )
    .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(verifier.prefetch().await.unwrap_err().kind(), "key_set_unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_token_of_another_project_is_refused() {
    let ours = TestKey::rs256("ours").unwrap();
    let theirs = TestKey::rs256("theirs").unwrap();
    let fx = Fixture::new(&[&ours]).await;
    let other_pid = "P2otherproject0000000000001";
    let their_token = theirs.sign(&session_claims(other_pid, "U2user")).unwrap();
    let fetches = fx.server.hits();
    fx.check("signed with their key", &their_token, Err("wrong_issuer"))
        .await;
    assert_eq!(fx.server.hits(), fetches, "a foreign issuer never causes a key fetch");
    // Even a token carrying their project's issuer under a key we trust is refused on its issuer.
    let reissued = ours.sign(&session_claims(other_pid, "U2user")).unwrap();
    fx.check("their issuer, our key", &reissued, Err("wrong_issuer")).await;
}

#[tokio::test]
async fn the_default_key_url_follows_descope_layout_under_the_base_url() {
    let key = TestKey::rs256("k1").unwrap();
    let server = JwksServer::start(Answer::Json(jwks(&[&key]))).await;
    let verifier = Verifier::new(Config::new(PID).base_url(server.base_url())).unwrap();
    assert_eq!(verifier.prefetch().await.unwrap(), 1);
    let token = key
        .sign(&with(
            session_claims(PID, "U2user"),
            json!({"iss": format!("{}/{PID}", server.base_url())}),
        ))
        .unwrap();
    assert!(
        verifier.verify(&token).await.is_ok(),
        "the base URL's issuer forms are accepted"
    );
}

#[tokio::test]
async fn a_key_retired_from_the_jwks_stops_verifying_once_the_set_is_old() {
    let old = TestKey::rs256("old").unwrap();
    let new = TestKey::rs256("new").unwrap();
    let fx = Fixture::with_config(&[&old, &new], |c| {
        c.max_key_age(Duration::from_millis(300))
            .penalty_window(Duration::from_millis(100))
    })
    .await;
    let token = old.sign(&session_claims(PID, "U2user")).unwrap();
    fx.check("fresh set", &token, Ok(())).await;
    fx.server.set(Answer::Json(jwks(&[&new])));
    fx.check("retired, but the cached set is young", &token, Ok(())).await;
    assert_eq!(fx.server.hits(), 1, "a young set is not refetched");
    tokio::time::sleep(Duration::from_millis(350)).await;
    fx.check("the old set is refreshed first", &token, Err("unknown_kid"))
        .await;
    assert_eq!(fx.server.hits(), 2);
    fx.check(
        "the current key",
        &new.sign(&session_claims(PID, "U2user")).unwrap(),
        Ok(()),
    )
    .await;
    assert_eq!(fx.server.hits(), 2);
}

#[tokio::test]
async fn a_failed_refresh_of_an_old_set_keeps_serving_it() {
    let key = TestKey::rs256("k1").unwrap();
    let fx = Fixture::with_config(&[&key], |c| {
        c.max_key_age(Duration::from_millis(100))
            .penalty_window(Duration::from_millis(50))
    })
    .await;
    fx.server.set(Answer::Status(503, "down"));
    tokio::time::sleep(Duration::from_millis(150)).await;
    let token = key.sign(&session_claims(PID, "U2user")).unwrap();
    let outcomes = futures::future::join_all((0..20).map(|_| fx.verifier.verify(&token))).await;
    assert!(
        outcomes.iter().all(Result::is_ok),
        "{:?}",
        outcomes.iter().find(|o| o.is_err())
    );
    assert_eq!(fx.server.hits(), 2, "concurrent callers shared one refresh attempt");
}

// ------------------------------------------------------------------------------------ cutover

const POOL: &str = "eu-west-1_Pool0000A";
const CLIENT: &str = "appclient0000000000000000a";

/// Descope's JWKS and a Cognito pool's JWKS on two servers, and a verifier accepting both. The two
/// key sets use the same kid on purpose: keys never cross issuers.
struct Cutover {
    descope: JwksServer,
    cognito: JwksServer,
    descope_key: TestKey,
    cognito_key: TestKey,
    verifier: Verifier,
}

impl Cutover {
    async fn new(token_uses: &[TokenUse], tune: impl FnOnce(Config) -> Config) -> Self {
        let descope_key = TestKey::rs256("k1").unwrap();
        let cognito_key = TestKey::rs256("k1").unwrap();
        let descope = JwksServer::start(Answer::Json(jwks(&[&descope_key]))).await;
        let cognito = JwksServer::start(Answer::Json(jwks(&[&cognito_key]))).await;
        let mut pool = CognitoPool::new(POOL)
            .client_id(CLIENT)
            .endpoint_url(cognito.base_url());
        for token_use in token_uses {
            pool = pool.token_use(*token_use);
        }
        let config = tune(Config::new(PID).jwks_url(descope.jwks_url(PID)).cognito_pool(pool));
        let verifier = Verifier::new(config).unwrap();
        assert_eq!(verifier.prefetch().await.unwrap(), 2, "one key from each issuer");
        Self {
            descope,
            cognito,
            descope_key,
            cognito_key,
            verifier,
        }
    }

    fn fetches(&self) -> (usize, usize) {
        (self.descope.hits(), self.cognito.hits())
    }
}

#[tokio::test]
async fn cutover_accepts_each_side_with_its_own_keys_and_rules() {
    let fx = Cutover::new(&[TokenUse::Access], |c| c).await;
    let descope = fx.descope_key.sign(&session_claims(PID, "U2ada")).unwrap();
    let claims = fx.verifier.verify(&descope).await.unwrap();
    assert_eq!(claims.provider, IdentityProvider::Descope);

    let access = fx
        .cognito_key
        .sign(&cognito_access_claims(POOL, CLIENT, "ada", &["admin"]))
        .unwrap();
    let claims = fx.verifier.verify(&access).await.unwrap();
    assert_eq!(claims.roles, ["admin"]);
    let IdentityProvider::Cognito(identity) = &claims.provider else {
        panic!("{claims:?}");
    };
    assert_eq!(
        (
            identity.user_pool_id.as_str(),
            identity.username.as_str(),
            identity.token_use
        ),
        (POOL, "ada", TokenUse::Access)
    );

    let check = |case: &'static str, token: String, expected: Result<(), &'static str>| {
        let verifier = &fx.verifier;
        async move {
            let got = verifier.verify(&token).await.map(|_| ()).map_err(|e| e.kind());
            assert_eq!(got, expected, "{case}");
        }
    };
    let cognito = |claims: Value| fx.cognito_key.sign(&claims).unwrap();
    let access_claims = || cognito_access_claims(POOL, CLIENT, "ada", &[]);
    let before = fx.fetches();
    check(
        "a Cognito issuer under Descope's key",
        fx.descope_key.sign(&access_claims()).unwrap(),
        Err("bad_signature"),
    )
    .await;
    check(
        "Descope's issuer under the pool's key",
        cognito(session_claims(PID, "U2ada")),
        Err("bad_signature"),
    )
    .await;
    check(
        "an ID token where access tokens are configured",
        cognito(cognito_id_claims(POOL, CLIENT, "ada", &[])),
        Err("wrong_token_use"),
    )
    .await;
    check(
        "another app client of the pool",
        cognito(cognito_access_claims(POOL, "otherclient00000000000000b", "ada", &[])),
        Err("wrong_client"),
    )
    .await;
    check(
        "another pool",
        cognito(cognito_access_claims("eu-west-1_Pool0000B", CLIENT, "ada", &[])),
        Err("wrong_issuer"),
    )
    .await;
    check(
        "the same pool ID in another region",
        cognito(with(
            access_claims(),
            json!({"iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL}")}),
        )),
        Err("wrong_issuer"),
    )
    .await;
    check(
        "no exp",
        cognito(with(access_claims(), json!({"exp": null}))),
        Err("missing_expiry"),
    )
    .await;
    check(
        "expired",
        cognito(with(access_claims(), json!({"exp": now() - 60}))),
        Err("expired"),
    )
    .await;
    assert_eq!(fx.fetches(), before, "no refusal above needed a key fetch");
}

#[tokio::test]
async fn id_tokens_pass_when_configured_and_are_checked_against_aud() {
    let fx = Cutover::new(&[TokenUse::Access, TokenUse::Id], |c| c).await;
    let id = fx
        .cognito_key
        .sign(&cognito_id_claims(POOL, CLIENT, "ada", &["editor"]))
        .unwrap();
    let claims = fx.verifier.verify(&id).await.unwrap();
    assert_eq!(claims.roles, ["editor"]);
    assert_eq!(claims.claim("email"), Some(&json!("ada@example.com")));
    let other_client = fx
        .cognito_key
        .sign(&cognito_id_claims(POOL, "otherclient00000000000000b", "ada", &[]))
        .unwrap();
    assert_eq!(
        fx.verifier.verify(&other_client).await.unwrap_err().kind(),
        "wrong_client"
    );
}

#[tokio::test]
async fn an_unconfigured_issuer_is_refused_before_any_key_lookup() {
    let fx = Cutover::new(&[TokenUse::Access], |c| c).await;
    let stranger = TestKey::rs256("never-seen").unwrap();
    let before = fx.fetches();
    for iss in [
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Stranger".to_owned(),
        "https://accounts.google.com".to_owned(),
        format!("https://api.descope.com/{PID}x"),
    ] {
        let token = stranger
            .sign(&with(session_claims(PID, "U2x"), json!({ "iss": iss })))
            .unwrap();
        assert_eq!(fx.verifier.verify(&token).await.unwrap_err().kind(), "wrong_issuer");
    }
    for payload in [json!({"sub": "U2x"}), json!({"iss": 7}), json!({"iss": null})] {
        let token = stranger.sign(&payload).unwrap();
        assert_eq!(fx.verifier.verify(&token).await.unwrap_err().kind(), "wrong_issuer");
    }
    // Two `iss` members: refused as malformed, so routing and the claim check cannot disagree.
    let header = B64.encode(json!({"alg": "RS256", "kid": "k1"}).to_string());
    let payload = B64.encode(format!(r#"{{"iss":"{PID}","iss":"https://accounts.google.com"}}"#));
    let token = format!("{header}.{payload}.c2ln");
    assert_eq!(fx.verifier.verify(&token).await.unwrap_err().kind(), "malformed");
    assert_eq!(fx.fetches(), before, "no key set was fetched for any of them");
}

#[tokio::test]
async fn each_issuer_has_its_own_penalty_window() {
    let window = Duration::from_millis(300);
    let fx = Cutover::new(&[TokenUse::Access], |c| c.penalty_window(window)).await;
    tokio::time::sleep(window + Duration::from_millis(50)).await;

    // A flood of unknown kids on the Cognito side: one fetch there, none at Descope.
    let unknown = TestKey::rs256("rotated-away").unwrap();
    for _ in 0..20 {
        let token = unknown.sign(&cognito_access_claims(POOL, CLIENT, "ada", &[])).unwrap();
        let kind = fx.verifier.verify(&token).await.unwrap_err().kind();
        assert!(matches!(kind, "unknown_kid" | "penalty_window"), "{kind}");
    }
    assert_eq!(fx.fetches(), (1, 2));

    // Descope rotates its key meanwhile: its own window is open, so the new kid is fetched at once.
    let rotated = TestKey::rs256("k2").unwrap();
    fx.descope.set(Answer::Json(jwks(&[&fx.descope_key, &rotated])));
    let token = rotated.sign(&session_claims(PID, "U2ada")).unwrap();
    fx.verifier.verify(&token).await.unwrap();
    assert_eq!(fx.fetches(), (2, 2));
}

#[tokio::test]
async fn without_a_pool_cognito_tokens_are_foreign() {
    let fx = Cutover::new(&[TokenUse::Access], |c| c).await;
    let verifier = Verifier::new(Config::new(PID).jwks_url(fx.descope.jwks_url(PID))).unwrap();
    let access = fx
        .cognito_key
        .sign(&cognito_access_claims(POOL, CLIENT, "ada", &[]))
        .unwrap();
    assert_eq!(verifier.verify(&access).await.unwrap_err().kind(), "wrong_issuer");
    assert_eq!(
        fx.cognito.hits(),
        1,
        "only the cutover verifier's prefetch reached the pool"
    );
}

#[tokio::test]
async fn an_unreachable_pool_leaves_descope_tokens_working() {
    let key = TestKey::rs256("k1").unwrap();
    let descope = JwksServer::start(Answer::Json(jwks(&[&key]))).await;
    let unreachable = closed_port_url(PID).await;
    let endpoint = unreachable.trim_end_matches(&format!("/v2/keys/{PID}")).to_owned();
    let pool = CognitoPool::new(POOL)
        .client_id(CLIENT)
        .token_use(TokenUse::Access)
        .endpoint_url(endpoint);
    let verifier = Verifier::new(Config::new(PID).jwks_url(descope.jwks_url(PID)).cognito_pool(pool)).unwrap();
    assert_eq!(verifier.prefetch().await.unwrap_err().kind(), "key_set_unavailable");
    verifier
        .verify(&key.sign(&session_claims(PID, "U2ada")).unwrap())
        .await
        .unwrap();
    let access = key.sign(&cognito_access_claims(POOL, CLIENT, "ada", &[])).unwrap();
    assert_eq!(
        verifier.verify(&access).await.unwrap_err().kind(),
        "key_set_unavailable",
        "fails closed"
    );
}

#[test]
fn a_pool_configured_twice_or_colliding_with_descope_is_refused() {
    let pool = || CognitoPool::new(POOL).client_id(CLIENT).token_use(TokenUse::Id);
    let twice = Config::new(PID).cognito_pool(pool()).cognito_pool(pool());
    assert_eq!(
        Verifier::new(twice).unwrap_err().to_string(),
        format!("Cognito user pool {POOL:?} is configured twice")
    );
    let colliding = Config::new(PID)
        .issuers([pool().issuers()[0].iss.clone()])
        .cognito_pool(pool());
    assert!(
        Verifier::new(colliding)
            .unwrap_err()
            .to_string()
            .contains("configured both for Descope and for a Cognito user pool")
    );
}

/// Issue #14: with no audience configured, Descope's Python SDK rule applies: a token that carries
/// `aud` must name the project, a token without `aud` passes.
#[tokio::test]
async fn by_default_an_aud_must_name_the_project_and_none_passes() {
    let key = TestKey::rs256("k1").unwrap();
    let fx = Fixture::new(&[&key]).await;
    let base = session_claims(PID, "U2user");
    for (case, aud, expected) in [
        ("no aud", Value::Null, Ok(())),
        ("the project ID", json!(PID), Ok(())),
        (
            "a list naming the project",
            json!(["https://api.example.com", PID]),
            Ok(()),
        ),
        (
            "another project's ID",
            json!("P2otherproject0000000000001"),
            Err("wrong_audience"),
        ),
        (
            "a third-party app's client ID",
            json!(["https://api.example.com", "app-client-1"]),
            Err("wrong_audience"),
        ),
    ] {
        let token = key.sign(&with(base.clone(), json!({ "aud": aud }))).unwrap();
        fx.check(case, &token, expected).await;
    }
}

/// Tokens Descope issues as an OIDC provider (to the hybrid set-up's Cognito app client, or to a
/// third-party app) name the project as client ID, so the audience rule cannot tell them from
/// session tokens. Which claim marks them is not documented: they are refused on any OIDC-only
/// claim, whether or not they also carry `drn` (both readings).
#[tokio::test]
async fn tokens_descope_issues_as_an_oidc_provider_are_refused_by_default() {
    let key = TestKey::rs256("k1").unwrap();
    let fx = Fixture::new(&[&key]).await;
    let t = now();
    let issuer = format!("https://api.descope.com/{PID}");
    let id_token = json!({
        "iss": issuer, "sub": "U2user", "aud": PID, "azp": PID, "nonce": "n-0S6_WzA2Mj",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "auth_time": t, "iat": t, "exp": t + 600,
        "email": "ada@example.com", "email_verified": true,
    });
    let access_token = json!({
        "iss": issuer, "sub": "U2user", "aud": [PID], "client_id": PID,
        "scope": "openid email profile", "iat": t, "exp": t + 600,
    });
    let cases = [
        ("OIDC ID token", id_token.clone()),
        (
            "OIDC ID token carrying drn DS",
            with(id_token.clone(), json!({"drn": "DS"})),
        ),
        (
            "OIDC ID token, nonce only",
            with(id_token, json!({"azp": null, "at_hash": null})),
        ),
        ("OIDC access token", access_token.clone()),
        (
            "OIDC access token carrying drn DS",
            with(access_token.clone(), json!({"drn": "DS"})),
        ),
        (
            "scp instead of scope",
            with(
                access_token,
                json!({"scope": null, "client_id": null, "scp": ["openid"]}),
            ),
        ),
        ("azp only", with(session_claims(PID, "U2user"), json!({"azp": PID}))),
        (
            "token_use",
            with(session_claims(PID, "U2user"), json!({"token_use": "access"})),
        ),
    ];
    for (case, claims) in cases {
        fx.check(case, &key.sign(&claims).unwrap(), Err("oidc_token")).await;
    }
    // A session token of the "AWS API Gateway" JWT template carries the project as `aud`: it passes.
    let session = with(session_claims(PID, "U2user"), json!({"aud": PID}));
    fx.check("session token with aud", &key.sign(&session).unwrap(), Ok(()))
        .await;
}

/// A key URL over plain http lets anyone on the path inject keys: only loopback hosts may use it.
#[test]
fn key_and_api_urls_must_be_https_except_on_loopback() {
    for (url, accepted) in [
        ("https://keys.example.com/v2/keys/P2", true),
        ("http://127.0.0.1:9/keys", true),
        ("http://127.9.8.7/keys", true),
        ("http://[::1]:9/keys", true),
        ("http://localhost:9/keys", true),
        ("http://LOCALHOST/keys", true),
        ("http://keys.example.com/v2/keys/P2", false),
        ("http://10.0.0.1/keys", false),
        ("http://128.0.0.1/keys", false),
        ("http://[::2]/keys", false),
        ("http://localhost.example.com/keys", false),
        ("http://127.0.0.1.nip.io/keys", false),
    ] {
        let pool = CognitoPool::new(POOL)
            .client_id(CLIENT)
            .token_use(TokenUse::Access)
            .endpoint_url(url);
        for (setting, config) in [
            ("JWKS URL", Config::new(PID).jwks_url(url)),
            ("base URL", Config::new(PID).base_url(url)),
            ("Cognito endpoint URL", Config::new(PID).cognito_pool(pool)),
        ] {
            let outcome = Verifier::new(config);
            assert_eq!(outcome.is_ok(), accepted, "{setting} {url}: {outcome:?}");
            if let Err(error) = outcome {
                let message = error.to_string();
                assert!(message.contains(setting) && message.contains("https"), "{message}");
            }
        }
    }
}

#[tokio::test]
async fn a_configured_audience_replaces_the_default_and_is_required() {
    let key = TestKey::rs256("k1").unwrap();
    let fx = Fixture::with_config(&[&key], |c| c.audience("https://api.example.com")).await;
    let base = session_claims(PID, "U2user");
    for (case, aud, expected) in [
        ("the configured audience", json!("https://api.example.com"), Ok(())),
        ("the project ID only", json!(PID), Err("wrong_audience")),
        ("no aud", Value::Null, Err("wrong_audience")),
    ] {
        let token = key.sign(&with(base.clone(), json!({ "aud": aud }))).unwrap();
        fx.check(case, &token, expected).await;
    }
}

#[tokio::test]
async fn oidc_tokens_pass_only_when_explicitly_allowed() {
    let key = TestKey::rs256("k1").unwrap();
    let fx = Fixture::with_config(&[&key], |c| c.accept_oidc_tokens(true)).await;
    let token = key
        .sign(&with(
            session_claims(PID, "U2user"),
            json!({"aud": PID, "nonce": "n-1", "azp": PID, "scope": "openid"}),
        ))
        .unwrap();
    fx.check("OIDC ID token, allowed", &token, Ok(())).await;
}

/// A pool issuing under several `iss` (formats, a replica region), each issuer's keys on its own
/// loopback server with its own key, so a test sees which key sets were fetched and that a token
/// is verified with the keys of the issuer it names only.
struct Issuers {
    original: JwksServer,
    updated: JwksServer,
    replica: JwksServer,
    original_key: TestKey,
    updated_key: TestKey,
    replica_key: TestKey,
}

const REPLICA: &str = "us-west-2";

impl Issuers {
    async fn start() -> Self {
        // The same kid everywhere: keys must never cross issuers.
        let original_key = TestKey::rs256("k1").unwrap();
        let updated_key = TestKey::rs256("k1").unwrap();
        let replica_key = TestKey::rs256("k1").unwrap();
        Self {
            original: JwksServer::start(Answer::Json(jwks(&[&original_key]))).await,
            updated: JwksServer::start(Answer::Json(jwks(&[&updated_key]))).await,
            replica: JwksServer::start(Answer::Json(jwks(&[&replica_key]))).await,
            original_key,
            updated_key,
            replica_key,
        }
    }

    /// The pool with `forms` and `replicas`, each issuer host overridden to its own server.
    fn pool(&self, forms: IssuerForms, replicas: &[&str]) -> CognitoPool {
        let mut pool = CognitoPool::new(POOL)
            .client_id(CLIENT)
            .token_use(TokenUse::Access)
            .issuer_forms(forms);
        for replica in replicas {
            pool = pool.replica_region(*replica);
        }
        for (host, server) in [
            ("cognito-idp.eu-west-1.amazonaws.com", &self.original),
            ("issuer-cognito-idp.eu-west-1.amazonaws.com", &self.updated),
            ("cognito-idp.us-west-2.amazonaws.com", &self.replica),
        ] {
            // Only hosts the pool has may be overridden (a typo must not fall back to AWS).
            if pool.issuers().iter().any(|i| i.host() == host) {
                pool = pool.issuer_endpoint_url(host, server.base_url());
            }
        }
        pool
    }

    fn verifier(&self, pool: CognitoPool) -> Verifier {
        // Descope's keys are never needed here: a port nothing listens on (the discard port).
        Verifier::new(
            Config::new(PID)
                .jwks_url(format!("http://127.0.0.1:9/v2/keys/{PID}"))
                .cognito_pool(pool),
        )
        .unwrap()
    }

    /// Key fetches so far: (original, updated, replica).
    fn fetches(&self) -> (usize, usize, usize) {
        (self.original.hits(), self.updated.hits(), self.replica.hits())
    }

    /// An access token of ada naming `iss`, signed with `key`.
    fn token(key: &TestKey, iss: &str) -> String {
        key.sign(&with(
            cognito_access_claims(POOL, CLIENT, "ada", &["admin"]),
            json!({ "iss": iss }),
        ))
        .unwrap()
    }
}

const ORIGINAL_ISS: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool0000A";
const UPDATED_ISS: &str = "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool0000A";
const REPLICA_ISS: &str = "https://cognito-idp.us-west-2.amazonaws.com/eu-west-1_Pool0000A";

#[tokio::test]
async fn tokens_of_each_configured_form_pass_each_with_its_own_key_set() {
    let fx = Issuers::start().await;
    let verifier = fx.verifier(fx.pool(IssuerForms::Both, &[REPLICA]));
    for (iss, key) in [
        (ORIGINAL_ISS, &fx.original_key),
        (UPDATED_ISS, &fx.updated_key),
        (REPLICA_ISS, &fx.replica_key),
    ] {
        let claims = verifier.verify(&Issuers::token(key, iss)).await.unwrap();
        assert_eq!(claims.issuer, iss);
        assert_eq!(claims.roles, ["admin"]);
        let IdentityProvider::Cognito(identity) = &claims.provider else {
            panic!("{iss}: {:?}", claims.provider)
        };
        assert_eq!(identity.user_pool_id, POOL);
    }
    assert_eq!(fx.fetches(), (1, 1, 1), "each issuer fetched its own key set once");
    // A token naming one issuer but signed with another issuer's key (same kid) does not verify.
    for (iss, key) in [
        (UPDATED_ISS, &fx.original_key),
        (ORIGINAL_ISS, &fx.updated_key),
        (REPLICA_ISS, &fx.original_key),
    ] {
        let kind = verifier.verify(&Issuers::token(key, iss)).await.unwrap_err().kind();
        assert_eq!(kind, "bad_signature", "{iss}");
    }
    // The updated form always names the primary region: a replica under it is no issuer of the pool.
    let stray = format!("https://issuer-cognito-idp.{REPLICA}.amazonaws.com/{POOL}");
    let kind = verifier
        .verify(&Issuers::token(&fx.updated_key, &stray))
        .await
        .unwrap_err()
        .kind();
    assert_eq!(kind, "wrong_issuer");
    assert_eq!(fx.fetches(), (1, 1, 1));
}

#[tokio::test]
async fn a_replica_region_token_passes_only_when_the_replica_is_configured() {
    let fx = Issuers::start().await;
    let token = Issuers::token(&fx.replica_key, REPLICA_ISS);
    let without = fx.verifier(fx.pool(IssuerForms::Original, &[]));
    assert_eq!(without.verify(&token).await.unwrap_err().kind(), "wrong_issuer");
    assert_eq!(fx.fetches(), (0, 0, 0), "refused before any key fetch");

    let with_replica = fx.verifier(fx.pool(IssuerForms::Original, &[REPLICA]));
    let claims = with_replica.verify(&token).await.unwrap();
    assert_eq!(claims.issuer, REPLICA_ISS);
    assert_eq!(fx.fetches(), (0, 0, 1));
}

#[tokio::test]
async fn the_right_pool_under_a_form_not_configured_is_refused_without_a_fetch() {
    let fx = Issuers::start().await;
    for (forms, refused, key) in [
        (IssuerForms::Original, UPDATED_ISS, &fx.updated_key),
        (IssuerForms::Updated, ORIGINAL_ISS, &fx.original_key),
    ] {
        let before = fx.fetches();
        let verifier = fx.verifier(fx.pool(forms, &[]));
        let kind = verifier.verify(&Issuers::token(key, refused)).await.unwrap_err().kind();
        assert_eq!(kind, "wrong_issuer", "{forms:?}");
        assert_eq!(fx.fetches(), before, "{forms:?}: no key set fetched for a refused form");
    }
    // The cold-start prefetch fetches the configured forms only: a pool that never switched has
    // no updated-form key set (aws-jwt-verify #279), and asking for it must not happen.
    let original_only = fx.verifier(fx.pool(IssuerForms::Original, &[]));
    let _ = original_only.prefetch().await;
    assert_eq!(fx.fetches(), (1, 0, 0));
    let updated_only = fx.verifier(fx.pool(IssuerForms::Updated, &[]));
    let _ = updated_only.prefetch().await;
    assert_eq!(fx.fetches(), (1, 1, 0));
    let token = Issuers::token(&fx.updated_key, UPDATED_ISS);
    updated_only.verify(&token).await.unwrap();
    assert_eq!(fx.fetches(), (1, 1, 0), "served from the prefetched set");
}

#[test]
fn issuer_settings_that_would_accept_nothing_are_refused() {
    let fx_pool = || CognitoPool::new(POOL).client_id(CLIENT).token_use(TokenUse::Access);
    for (pool, expected) in [
        (
            fx_pool().issuer_forms(IssuerForms::Updated).replica_region(REPLICA),
            "issues only the updated format",
        ),
        (
            fx_pool().issuer_endpoint_url("issuer-cognito-idp.eu-west-1.amazonaws.com", "http://127.0.0.1:1"),
            "matches none of its issuers",
        ),
        (fx_pool().replica_region("eu-west-1"), "primary region"),
        (fx_pool().region(REPLICA), "a replica region must be configured"),
    ] {
        let error = Verifier::new(Config::new(PID).cognito_pool(pool))
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{error}");
    }
    let replicated = fx_pool().replica_region(REPLICA).region(REPLICA);
    assert!(Verifier::new(Config::new(PID).cognito_pool(replicated)).is_ok());
}
