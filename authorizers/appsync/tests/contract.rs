//! Contract test: AWS's own sample AppSync authorization request (`aws_lambda_events`'s
//! `src/fixtures/example-appsync-lambda-auth-request.json`, found in the dev-dependency's published
//! source) is read by the handler: the token comes from `authorizationToken`, the operation from
//! `requestContext.queryString` and `requestContext.operationName`.

use appsync_authorizer::decide;
use authorizer_common::testing::{aws_sample_event, claims};
use serde_json::Value;

use crate::support::SUITE;

const SAMPLE: &str = "example-appsync-lambda-auth-request.json";

fn text<'a>(event: &'a Value, pointer: &str) -> &'a str {
    event
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("AWS sample {SAMPLE} lacks {pointer}"))
}

#[tokio::test]
async fn aws_sample_request_is_read_as_an_appsync_request() {
    let (keys, state) = SUITE.keys_and_state(&[]).await;
    let sample = aws_sample_event(SAMPLE);
    // The shape the handler expects, in AWS's own words (a changed name fails here, by name).
    text(&sample, "/authorizationToken");
    text(&sample, "/requestContext/queryString");
    assert_eq!(text(&sample, "/requestContext/operationName"), "MyQuery");

    // As shipped: the sample token is no JWT, so the answer is a refusal for the token itself,
    // which proves the event was recognised and the token found.
    let decision = decide(&state, &sample).await;
    assert_eq!(decision.verdict.as_str(), "unauthorized", "{SAMPLE}");
    assert!(
        !matches!(decision.reason.as_str(), "unsupported_event" | "missing_token"),
        "{SAMPLE}: not read ({})",
        decision.reason.as_str()
    );

    // With a valid token in `authorizationToken`: the sample's query is read, and its elided
    // selection sets (`{...}`) are not GraphQL, so the operation is refused, never allowed.
    let token = keys.signing.sign(&claims()).unwrap();
    let mut event = sample.clone();
    event["authorizationToken"] = Value::String(format!("Bearer {token}"));
    let decision = decide(&state, &event).await;
    assert_eq!(
        (decision.verdict.as_str(), decision.reason.as_str()),
        ("refuse", "unparseable_query"),
        "{SAMPLE}"
    );
    assert_eq!(decision.subject.as_deref(), Some("U2golden00000000000000000001"));

    // The sample's two operations with real selections: `operationName` picks `MyQuery`, which
    // selects only what every user may read (without it the document would be ambiguous, and
    // with the mutation the field would be refused). The user holds no role, so the protected
    // fields elsewhere in the schema are denied, as for any such token.
    let query = text(&sample, "/requestContext/queryString")
        .replace("mutation CreateEvent {...}", "mutation CreateEvent { deletePost }")
        .replace("query MyQuery {...}", "query MyQuery { me { id } }");
    assert_ne!(query, text(&sample, "/requestContext/queryString"), "{SAMPLE} changed");
    event["requestContext"]["queryString"] = Value::String(query);
    let decision = decide(&state, &event).await;
    assert_eq!(
        (decision.verdict.as_str(), decision.reason.as_str()),
        ("allow", "fields_denied"),
        "{SAMPLE}"
    );
    assert_eq!(decision.operation_type, Some("query"));
    assert!(decision.response.is_authorized, "{SAMPLE}");
}
