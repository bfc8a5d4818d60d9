//! The event parser (`Incoming`, `ApiArn`): ARNs, event kinds and token sources, and the
//! contract tests against the authorizer sample events AWS ships.

use apigateway_authorizer::{ApiArn, EventError, EventKind, Incoming, TokenSources};
use serde_json::{Value, json};

#[test]
fn arns_are_split_like_the_blueprints_do() {
    let arn = ApiArn::parse("arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/items/7").unwrap();
    assert_eq!(arn.method, "GET");
    assert_eq!(arn.path(), "/items/7");
    assert_eq!(
        arn.resource("*", "/*"),
        "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*/*"
    );
    let root = ApiArn::parse("arn:aws-cn:execute-api:cn-north-1:1:api/$default/POST/").unwrap();
    assert_eq!(root.path(), "/");
    assert_eq!(
        root.resource("POST", "/"),
        "arn:aws-cn:execute-api:cn-north-1:1:api/$default/POST/"
    );
    let short = ApiArn::parse("arn:aws:execute-api:us-east-1:1:api/prod/GET").unwrap();
    assert_eq!(short.path(), "/");
    for bad in [
        "",
        "arn:aws:lambda:us-east-1:1:function/x",
        "arn:aws:execute-api:us-east-1:1:api/prod",
        "arn:aws:execute-api:us-east-1:1:api/*/GET/x",
        "arn:aws:execute-api::1:api/prod/GET/x",
    ] {
        assert_eq!(ApiArn::parse(bad), None, "{bad}");
    }
}

#[test]
fn kinds_come_from_version_and_type() {
    let arn = "arn:aws:execute-api:r:1:a/s/GET/x";
    for (event, kind) in [
        (json!({"type": "TOKEN", "methodArn": arn}), EventKind::RestToken),
        (json!({"type": "REQUEST", "methodArn": arn}), EventKind::RestRequest),
        (
            json!({"version": "1.0", "type": "REQUEST", "methodArn": arn}),
            EventKind::HttpV1,
        ),
        (
            json!({"version": "2.0", "type": "REQUEST", "routeArn": arn}),
            EventKind::HttpV2,
        ),
    ] {
        assert_eq!(Incoming::parse(&event).unwrap().kind, kind);
    }
    assert_eq!(
        Incoming::parse(&json!({"type": "X"})).unwrap_err(),
        EventError::Unsupported
    );
    assert_eq!(Incoming::parse(&json!([])).unwrap_err(), EventError::Unsupported);
    assert_eq!(
        Incoming::parse(&json!({"version": "2.0", "methodArn": arn})).unwrap_err(),
        EventError::MissingArn
    );
}

#[test]
fn token_sources_are_tried_in_order() {
    let sources = TokenSources {
        header: Some("x-session".into()),
        query: Some("token".into()),
        cookie: Some("DS".into()),
    };
    let event = |headers: Value, query: Value, cookies: Option<Value>| {
        let mut e = json!({"type": "REQUEST", "methodArn": "arn", "headers": headers,
            "queryStringParameters": query});
        if let Some(c) = cookies {
            e["version"] = json!("2.0");
            e["routeArn"] = json!("arn");
            e["cookies"] = c;
        }
        e
    };
    let all = event(
        json!({"AUTHORIZATION": "Bearer a", "X-Session": "b", "Cookie": "x=1; DS=d"}),
        json!({"token": "c"}),
        None,
    );
    let pick = |e: &Value| Incoming::parse(e).unwrap().token_value(&sources).map(str::to_owned);
    assert_eq!(pick(&all).as_deref(), Some("Bearer a"));
    let e = event(
        json!({"authorization": " ", "x-session": "b"}),
        json!({"token": "c"}),
        None,
    );
    assert_eq!(pick(&e).as_deref(), Some("b"));
    let e = event(json!({}), json!({"token": "c"}), None);
    assert_eq!(pick(&e).as_deref(), Some("c"));
    let e = event(json!({"cookie": "x=1; DS=\"d\""}), json!(null), None);
    assert_eq!(pick(&e).as_deref(), Some("d"));
    let e = event(json!({}), json!({}), Some(json!(["a=1", "DS=v2"])));
    assert_eq!(pick(&e).as_deref(), Some("v2"));
    let e = event(json!({"Cookie": "DSR=r"}), json!({}), None);
    assert_eq!(pick(&e), None, "DSR is not DS");
    let off = TokenSources::default();
    let e = event(json!({"x-session": "b"}), json!({"token": "c"}), None);
    assert_eq!(Incoming::parse(&e).unwrap().token_value(&off), None);
}

/// Contract tests: every authorizer sample event AWS ships in `aws_lambda_events` (found in the
/// dev-dependency's published source, so they follow Cargo.lock) is read by this module as the
/// right kind, and the fields the function uses come out equal to the sample's values.
mod aws_samples {
    use authorizer_common::testing::aws_sample_event;

    use super::*;

    /// Parses a sample, failing with its name when the function cannot read it.
    fn read<'a>(name: &str, event: &'a Value) -> Incoming<'a> {
        Incoming::parse(event).unwrap_or_else(|e| panic!("AWS sample {name} not readable: {e:?}"))
    }

    /// The value at `pointer` in the sample itself, to compare with what the parser returns.
    fn at<'a>(event: &'a Value, pointer: &str) -> Option<&'a str> {
        event.pointer(pointer).and_then(Value::as_str)
    }

    fn header_source(name: &str) -> TokenSources {
        TokenSources {
            header: Some(name.to_lowercase()),
            ..TokenSources::default()
        }
    }

    #[test]
    fn rest_token_sample() {
        let name = "example-apigw-custom-auth-request.json";
        let event = aws_sample_event(name);
        let incoming = read(name, &event);
        assert_eq!(incoming.kind, EventKind::RestToken, "{name}");
        assert_eq!(Some(incoming.arn), at(&event, "/methodArn"), "{name}");
        assert_eq!(
            incoming.token_value(&TokenSources::default()),
            at(&event, "/authorizationToken"),
            "{name}"
        );
        // This sample's stage is `*` (a console test invoke, not a real request): a policy built
        // on it would cover every stage, so the function refuses the ARN (401, fail closed).
        assert_eq!(ApiArn::parse(incoming.arn), None, "{name}");
    }

    #[test]
    fn rest_and_http_v1_request_samples() {
        for name in [
            "example-apigw-custom-auth-request-type-request.json",
            "example-apigw-v2-custom-authorizer-v1-request.json",
        ] {
            let event = aws_sample_event(name);
            let incoming = read(name, &event);
            let kind = if event.get("version").is_some() {
                EventKind::HttpV1
            } else {
                EventKind::RestRequest
            };
            assert_eq!(incoming.kind, kind, "{name}");
            assert_eq!(Some(incoming.arn), at(&event, "/methodArn"), "{name}");
            let arn = ApiArn::parse(incoming.arn).unwrap_or_else(|| panic!("{name}: ARN not read"));
            assert_eq!(Some(arn.method), at(&event, "/httpMethod"), "{name}");
            assert_eq!(Some(arn.path().as_str()), at(&event, "/path"), "{name}");
            // Headers are found whatever the case AWS sends them in.
            for header in ["HeaderAuth1", "User-Agent", "CloudFront-Viewer-Country"] {
                let expected = at(&event, &format!("/headers/{header}"));
                assert!(expected.is_some(), "{name}: sample lacks {header}");
                assert_eq!(incoming.header(header), expected, "{name}: {header}");
                assert_eq!(incoming.header(&header.to_uppercase()), expected, "{name}: {header}");
            }
            // A token in a configured header (the samples' identity source is HeaderAuth1).
            assert_eq!(
                incoming.token_value(&header_source("HeaderAuth1")),
                at(&event, "/headers/HeaderAuth1"),
                "{name}"
            );
            // No Authorization header in the sample and no other source configured: no token.
            assert_eq!(incoming.token_value(&TokenSources::default()), None, "{name}");
            assert_eq!(
                incoming.query("QueryString1"),
                at(&event, "/queryStringParameters/QueryString1"),
                "{name}"
            );
            assert!(incoming.query("QueryString1").is_some(), "{name}");
            assert_eq!(incoming.path_parameter("anything"), None, "{name}");
        }
    }

    #[test]
    fn http_v2_samples() {
        for name in [
            "example-apigw-v2-custom-authorizer-v2-request.json",
            "example-apigw-v2-custom-authorizer-v2-request-without-cookies.json",
            "example-apigw-v2-custom-authorizer-v2-request-without-identity-source.json",
            "example-apigw-v2-custom-authorizer-v2-request-null-maps.json",
        ] {
            let event = aws_sample_event(name);
            let incoming = read(name, &event);
            assert_eq!(incoming.kind, EventKind::HttpV2, "{name}");
            assert_eq!(Some(incoming.arn), at(&event, "/routeArn"), "{name}");
            let arn = ApiArn::parse(incoming.arn).unwrap_or_else(|| panic!("{name}: ARN not read"));
            assert_eq!(arn.method, "GET", "{name}");
            assert_eq!(arn.path(), "/request", "{name}");
            assert_eq!(incoming.header("header1"), at(&event, "/headers/Header1"), "{name}");
            assert!(incoming.header("header1").is_some(), "{name}");
            assert_eq!(
                incoming.token_value(&header_source("Header2")),
                at(&event, "/headers/Header2"),
                "{name}"
            );
            // Repeated query keys arrive comma-joined and are passed on as sent; null maps are
            // simply empty.
            assert_eq!(
                incoming.query("parameter1"),
                at(&event, "/queryStringParameters/parameter1"),
                "{name}"
            );
            assert_eq!(
                incoming.path_parameter("parameter1"),
                at(&event, "/pathParameters/parameter1"),
                "{name}"
            );
            // The samples' cookies (`cookie1`) have no `=`: no cookie named `cookie1` is read.
            assert_eq!(incoming.cookie("cookie1"), None, "{name}");
        }
        let name = "example-apigw-v2-custom-authorizer-v2-request.json";
        let event = aws_sample_event(name);
        assert_eq!(read(name, &event).query("parameter1"), Some("value1,value2"));
        assert_eq!(read(name, &event).path_parameter("parameter1"), Some("value1"));
    }

    #[test]
    fn websocket_sample_is_not_taken_for_a_supported_kind() {
        // WebSocket API authorizers are out of scope: the event is refused (401), never misread.
        let name = "example-apigw-v2-custom-authorizer-websocket-request.json";
        assert_eq!(
            Incoming::parse(&aws_sample_event(name)).unwrap_err(),
            EventError::Unsupported,
            "{name}"
        );
    }
}
