//! moto as Secrets Manager and SSM, seeded through the SDK, and environments for `resolve`.

use std::collections::HashMap;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::config::{Credentials, SharedCredentialsProvider};
use moto_harness::{Moto, REGION};
use secret_settings::{Resolved, SecretError};

/// The account moto puts in every ARN.
pub const ACCOUNT: &str = "123456789012";

/// The AWS configuration a function would load, pointed at `endpoint` (moto or a stand-in):
/// region [`REGION`], static test credentials.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "static",
        )))
        .endpoint_url(endpoint)
        .build()
}

/// An environment of fixed pairs.
pub fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name: &str| map.get(name).cloned()
}

/// `resolve` of `names` over `pairs`, reading from `endpoint`.
pub async fn resolve(names: &[&'static str], pairs: &[(&str, &str)], endpoint: &str) -> Result<Resolved, SecretError> {
    let config = sdk_config(endpoint);
    secret_settings::resolve(names, env(pairs), || async move { config }).await
}

/// moto with seeding calls for both services.
pub struct Store {
    /// moto, kept running while the store lives.
    pub moto: Moto,
}

impl Store {
    /// Starts moto.
    pub fn start() -> Self {
        Self { moto: Moto::start() }
    }

    /// A Secrets Manager client on moto in `region`.
    pub fn secrets_in(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        let config = aws_sdk_secretsmanager::config::Builder::from(&sdk_config(&self.moto.url))
            .region(Region::new(region.to_owned()))
            .build();
        aws_sdk_secretsmanager::Client::from_conf(config)
    }

    /// Creates a secret holding the string `value` in [`REGION`]; its ARN.
    pub async fn secret(&self, name: &str, value: &str) -> String {
        self.secret_in(REGION, name, value).await
    }

    /// Creates a secret holding the string `value` in `region`; its ARN.
    pub async fn secret_in(&self, region: &str, name: &str, value: &str) -> String {
        let out = self
            .secrets_in(region)
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .expect("CreateSecret on moto");
        out.arn.expect("CreateSecret returns the ARN")
    }

    /// Creates a secret holding binary data; its ARN.
    pub async fn binary_secret(&self, name: &str) -> String {
        let out = self
            .secrets_in(REGION)
            .create_secret()
            .name(name)
            .secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(vec![0_u8, 1, 2]))
            .send()
            .await
            .expect("CreateSecret on moto");
        out.arn.expect("CreateSecret returns the ARN")
    }

    /// Puts a `SecureString` parameter (encrypted with the account's default key, alias/aws/ssm).
    pub async fn secure_parameter(&self, name: &str, value: &str) {
        let client = aws_sdk_ssm::Client::new(&sdk_config(&self.moto.url));
        client
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .send()
            .await
            .expect("PutParameter on moto");
    }
}

/// Asserts that `error`'s message names `variable` and contains none of `values`.
pub fn names_variable_not_values(error: &SecretError, variable: &str, values: &[&str]) -> String {
    let message = error.to_string();
    assert!(message.contains(variable), "{variable} not named: {message}");
    for value in values {
        assert!(!message.contains(value), "value {value:?} shown: {message}");
        assert!(
            !format!("{error:?}").contains(value),
            "value {value:?} in Debug: {error:?}"
        );
    }
    message
}
