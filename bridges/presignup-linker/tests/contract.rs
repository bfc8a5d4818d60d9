//! Contract test: AWS's own sample pre sign-up event (`aws_lambda_events`'s
//! `src/fixtures/example-cognito-event-userpools-presignup.json`, found in the dev-dependency's
//! published source) is read by the function's parser (the one `handle` uses), every field it
//! reads equal to the sample's value.

use authorizer_common::testing::aws_sample_event;
use presignup_linker::PreSignUpEvent;
use serde::Deserialize;
use serde_json::Value;

const SAMPLE: &str = "example-cognito-event-userpools-presignup.json";

#[test]
fn aws_sample_event_is_read_field_for_field() {
    let sample = aws_sample_event(SAMPLE);
    let event =
        PreSignUpEvent::deserialize(&sample).unwrap_or_else(|e| panic!("AWS sample {SAMPLE} not readable: {e}"));
    let text = |key: &str| sample[key].as_str().map(str::to_owned);
    assert_eq!(event.version, text("version"), "{SAMPLE}");
    assert_eq!(event.region, text("region"), "{SAMPLE}");
    assert_eq!(Some(event.user_pool_id), text("userPoolId"), "{SAMPLE}");
    assert_eq!(Some(event.user_name), text("userName"), "{SAMPLE}");
    assert_eq!(Some(event.trigger_source.clone()), text("triggerSource"), "{SAMPLE}");
    assert_eq!(event.trigger_source, "PreSignUp_SignUp", "{SAMPLE}");
    let attributes: serde_json::Map<String, Value> = event
        .request
        .user_attributes
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    assert_eq!(
        Value::Object(attributes),
        sample["request"]["userAttributes"],
        "{SAMPLE}"
    );
    assert!(sample["request"]["userAttributes"]["email"].is_string(), "{SAMPLE}");
}
