//! The two reads: Secrets Manager `GetSecretValue` and SSM `GetParameter` (with decryption), one
//! client per service and region, each built only when a reference needs it; then the `#field`
//! and the empty check. Values go straight into zeroizing strings.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_secretsmanager::{
    error::{DisplayErrorContext, ProvideErrorMetadata},
    operation::get_secret_value::GetSecretValueError,
};
use aws_sdk_ssm::operation::get_parameter::GetParameterError;
use serde_json::Value;
use zeroize::{Zeroize as _, Zeroizing};

use crate::{
    SecretError,
    reference::{Location, Reference},
};

/// The clients the references need, keyed by the region a reference names (`None`: the
/// region of the [`SdkConfig`]): a secret in another region must be read from there.
pub(crate) struct Clients {
    secrets: HashMap<Option<String>, aws_sdk_secretsmanager::Client>,
    parameters: HashMap<Option<String>, aws_sdk_ssm::Client>,
}

impl Clients {
    /// The clients for `references`, from one loaded configuration (credentials, endpoint).
    pub(crate) fn new<'a>(sdk: &SdkConfig, references: impl IntoIterator<Item = &'a Reference>) -> Self {
        let mut clients = Self {
            secrets: HashMap::new(),
            parameters: HashMap::new(),
        };
        for reference in references {
            match &reference.location {
                Location::SecretsManager { region, .. } => {
                    let region = Some(region.clone());
                    clients.secrets.entry(region.clone()).or_insert_with(|| {
                        let mut config = aws_sdk_secretsmanager::config::Builder::from(sdk);
                        if let Some(region) = region {
                            config = config.region(aws_sdk_secretsmanager::config::Region::new(region));
                        }
                        aws_sdk_secretsmanager::Client::from_conf(config.build())
                    });
                }
                Location::Parameter { region, .. } => {
                    clients.parameters.entry(region.clone()).or_insert_with(|| {
                        let mut config = aws_sdk_ssm::config::Builder::from(sdk);
                        if let Some(region) = region.clone() {
                            config = config.region(aws_sdk_ssm::config::Region::new(region));
                        }
                        aws_sdk_ssm::Client::from_conf(config.build())
                    });
                }
            }
        }
        clients
    }

    /// The value `reference` names, for the setting `name`.
    pub(crate) async fn fetch(
        &self,
        name: &'static str,
        reference: &Reference,
    ) -> Result<Zeroizing<String>, SecretError> {
        let raw = match &reference.location {
            Location::SecretsManager { arn, region } => {
                let client = self.secrets.get(&Some(region.clone()));
                Self::secret(client, name, reference, arn).await?
            }
            Location::Parameter { name: id, region } => {
                let client = self.parameters.get(region);
                Self::parameter(client, name, reference, id).await?
            }
        };
        let value = match &reference.field {
            None => raw,
            Some(field) => json_field(name, reference, field, &raw)?,
        };
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(SecretError::Empty {
                name,
                reference: reference.clone(),
            });
        }
        Ok(if trimmed.len() == value.len() {
            value
        } else {
            Zeroizing::new(trimmed.to_owned())
        })
    }

    async fn secret(
        client: Option<&aws_sdk_secretsmanager::Client>,
        name: &'static str,
        reference: &Reference,
        arn: &str,
    ) -> Result<Zeroizing<String>, SecretError> {
        let Some(client) = client else {
            return Err(missing_client(name, reference));
        };
        let mut output = match client.get_secret_value().secret_id(arn).send().await {
            Ok(output) => output,
            Err(error) => {
                let code = error.code().unwrap_or_default().to_owned();
                let reference = reference.clone();
                return Err(match error.as_service_error() {
                    Some(GetSecretValueError::ResourceNotFoundException(_)) => {
                        SecretError::NotFound { name, reference, code }
                    }
                    Some(GetSecretValueError::DecryptionFailure(_)) => {
                        SecretError::Decryption { name, reference, code }
                    }
                    _ if code == "AccessDeniedException" => SecretError::AccessDenied { name, reference, code },
                    _ => SecretError::Fetch {
                        name,
                        reference,
                        detail: DisplayErrorContext(&error).to_string(),
                    },
                });
            }
        };
        match output.secret_string.take() {
            Some(value) => Ok(Zeroizing::new(value)),
            None if output.secret_binary.is_some() => Err(SecretError::Binary {
                name,
                reference: reference.clone(),
            }),
            None => Err(SecretError::Empty {
                name,
                reference: reference.clone(),
            }),
        }
    }

    async fn parameter(
        client: Option<&aws_sdk_ssm::Client>,
        name: &'static str,
        reference: &Reference,
        id: &str,
    ) -> Result<Zeroizing<String>, SecretError> {
        let Some(client) = client else {
            return Err(missing_client(name, reference));
        };
        let output = match client.get_parameter().name(id).with_decryption(true).send().await {
            Ok(output) => output,
            Err(error) => {
                let code = error.code().unwrap_or_default().to_owned();
                let reference = reference.clone();
                return Err(match error.as_service_error() {
                    Some(GetParameterError::ParameterNotFound(_) | GetParameterError::ParameterVersionNotFound(_)) => {
                        SecretError::NotFound { name, reference, code }
                    }
                    Some(GetParameterError::InvalidKeyId(_)) => SecretError::Decryption { name, reference, code },
                    _ if code == "AccessDeniedException" => SecretError::AccessDenied { name, reference, code },
                    _ => SecretError::Fetch {
                        name,
                        reference,
                        detail: DisplayErrorContext(&error).to_string(),
                    },
                });
            }
        };
        match output.parameter.and_then(|parameter| parameter.value) {
            Some(value) => Ok(Zeroizing::new(value)),
            None => Err(SecretError::Empty {
                name,
                reference: reference.clone(),
            }),
        }
    }
}

/// [`Clients::new`] was given every reference, so this cannot happen; an error rather than a panic.
fn missing_client(name: &'static str, reference: &Reference) -> SecretError {
    SecretError::Fetch {
        name,
        reference: reference.clone(),
        detail: "no client was built for this reference (a bug in secret-settings)".to_owned(),
    }
}

/// One string member of a JSON object; every other string of the parsed copy is overwritten.
fn json_field(
    name: &'static str,
    reference: &Reference,
    field: &str,
    raw: &str,
) -> Result<Zeroizing<String>, SecretError> {
    let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(raw) else {
        return Err(SecretError::NotJson {
            name,
            reference: reference.clone(),
            field: field.to_owned(),
        });
    };
    let taken = object.remove(field);
    object.values_mut().for_each(scrub);
    match taken {
        Some(Value::String(value)) => Ok(Zeroizing::new(value)),
        None => Err(SecretError::NoSuchField {
            name,
            reference: reference.clone(),
            field: field.to_owned(),
        }),
        Some(mut other) => {
            scrub(&mut other);
            Err(SecretError::FieldNotString {
                name,
                reference: reference.clone(),
                field: field.to_owned(),
            })
        }
    }
}

/// Overwrites the strings of a parsed JSON value (other members of a JSON secret).
fn scrub(value: &mut Value) {
    match value {
        Value::String(text) => text.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(scrub),
        Value::Object(members) => members.values_mut().for_each(scrub),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}
