//! [`SecretError`]: one variant per way a secret setting cannot be read. Each message names the
//! variable to fix and, once it is understood, the reference (an ARN or parameter name, never
//! the value).

use crate::{
    ALLOW_SECRETS_IN_ENVIRONMENT, LAMBDA_MARKER, REFERENCE_SUFFIX,
    reference::{EXPECTED_FORMS, Reference},
};

/// Why the secret settings could not be read; the cold start should stop on any of them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// A secret setting is in the environment in plain text while running deployed in Lambda,
    /// and [`ALLOW_SECRETS_IN_ENVIRONMENT`] is not `true`.
    #[error(
        "{name} holds a secret in plain text in the environment of a deployed Lambda function \
         ({LAMBDA_MARKER} is set), where anyone allowed lambda:GetFunctionConfiguration can read \
         it: store it in Secrets Manager or SSM Parameter Store and set {name}{REFERENCE_SUFFIX} \
         to its ARN instead (or set {ALLOW_SECRETS_IN_ENVIRONMENT}=true to accept that risk)"
    )]
    PlaintextRefused {
        /// The setting (`NAME`).
        name: &'static str,
    },
    /// Both `NAME` and `NAME_REF` are set: which one counts would be a guess.
    #[error(
        "both {name} and {name}{REFERENCE_SUFFIX} are set: set only {name}{REFERENCE_SUFFIX} \
         (a reference to the secret), or only {name} (the value, for a local run)"
    )]
    BothGiven {
        /// The setting (`NAME`).
        name: &'static str,
    },
    /// [`ALLOW_SECRETS_IN_ENVIRONMENT`] is neither `true` nor `false`.
    #[error("{ALLOW_SECRETS_IN_ENVIRONMENT}={value:?} is invalid: expected true or false")]
    InvalidFlag {
        /// Its value (a flag, no secret).
        value: String,
    },
    /// `NAME_REF` holds something that is not a reference this crate reads.
    #[error("{name}{REFERENCE_SUFFIX}{} is not a reference: {reason}; {EXPECTED_FORMS}", shown_text(.shown))]
    UnknownReference {
        /// The setting (`NAME`).
        name: &'static str,
        /// The text, only when it starts with `arn:` or `ssm:` (anything else may be the secret
        /// itself, pasted by mistake, and is not repeated).
        shown: Option<String>,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The secret or parameter does not exist (Secrets Manager `ResourceNotFoundException`, SSM
    /// `ParameterNotFound` or `ParameterVersionNotFound`).
    #[error(
        "{name}{REFERENCE_SUFFIX}={reference}: no such secret or parameter ({code}); check the \
         ARN or name, the region and the account"
    )]
    NotFound {
        /// The setting (`NAME`).
        name: &'static str,
        /// The reference.
        reference: Reference,
        /// The service's error code.
        code: String,
    },
    /// The function's role may not read it (`AccessDeniedException`).
    #[error(
        "{name}{REFERENCE_SUFFIX}={reference}: access denied ({code}): the function's role needs \
         secretsmanager:GetSecretValue or ssm:GetParameter on exactly this resource (and \
         kms:Decrypt when a customer-managed KMS key encrypts it)"
    )]
    AccessDenied {
        /// The setting (`NAME`).
        name: &'static str,
        /// The reference.
        reference: Reference,
        /// The service's error code.
        code: String,
    },
    /// The service could not decrypt it with its KMS key (Secrets Manager `DecryptionFailure`,
    /// SSM `InvalidKeyId`).
    #[error(
        "{name}{REFERENCE_SUFFIX}={reference}: the value cannot be decrypted ({code}): the role \
         needs kms:Decrypt on the KMS key that encrypts it, and the key must be enabled"
    )]
    Decryption {
        /// The setting (`NAME`).
        name: &'static str,
        /// The reference.
        reference: Reference,
        /// The service's error code.
        code: String,
    },
    /// The value (or the JSON field) is empty or white space only.
    #[error("{name}{REFERENCE_SUFFIX}={reference}: the value is empty")]
    Empty {
        /// The setting (`NAME`).
        name: &'static str,
        /// The reference.
        reference: Reference,
    },
    /// The secret holds binary data (`SecretBinary`) rather than a string.
    #[error(
        "{name}{REFERENCE_SUFFIX}={reference}: the secret holds binary data (SecretBinary); \
         store the setting as a string (SecretString)"
    )]
    Binary {
        /// The setting (`NAME`).
        name: &'static str,
        /// The reference.
        reference: Reference,
    },
    /// A `#field` was asked of a value that is not a JSON object.
    #[error(
        "{name}{REFERENCE_SUFFIX}={reference}: the value is not a JSON object, so it has no \
         field {field:?}; drop #{field} to read the whole value"
    )]
    NotJson {
        /// The setting (`NAME`).
        name: &'static str,
        /// The reference.
        reference: Reference,
        /// The field asked for.
        field: String,
    },
    /// The JSON object has no such field.
    #[error("{name}{REFERENCE_SUFFIX}={reference}: the JSON object has no field {field:?}")]
    NoSuchField {
        /// The setting (`NAME`).
        name: &'static str,
        /// The reference.
        reference: Reference,
        /// The field asked for.
        field: String,
    },
    /// The JSON field is not a string.
    #[error("{name}{REFERENCE_SUFFIX}={reference}: the field {field:?} is not a JSON string")]
    FieldNotString {
        /// The setting (`NAME`).
        name: &'static str,
        /// The reference.
        reference: Reference,
        /// The field asked for.
        field: String,
    },
    /// Any other failure of the call (throttling after the SDK's retries, a timeout, no
    /// network, no credentials or region): the SDK's error with its context.
    #[error("{name}{REFERENCE_SUFFIX}={reference}: reading it failed: {detail}")]
    Fetch {
        /// The setting (`NAME`).
        name: &'static str,
        /// The reference.
        reference: Reference,
        /// The SDK's error (it never contains the value).
        detail: String,
    },
}

impl SecretError {
    /// The setting the error is about, `None` for [`SecretError::InvalidFlag`].
    pub fn name(&self) -> Option<&'static str> {
        match self {
            Self::InvalidFlag { .. } => None,
            Self::PlaintextRefused { name }
            | Self::BothGiven { name }
            | Self::UnknownReference { name, .. }
            | Self::NotFound { name, .. }
            | Self::AccessDenied { name, .. }
            | Self::Decryption { name, .. }
            | Self::Empty { name, .. }
            | Self::Binary { name, .. }
            | Self::NotJson { name, .. }
            | Self::NoSuchField { name, .. }
            | Self::FieldNotString { name, .. }
            | Self::Fetch { name, .. } => Some(name),
        }
    }
}

fn shown_text(shown: &Option<String>) -> String {
    match shown {
        Some(text) => format!("={text}"),
        None => " (its value is not repeated: it may be the secret itself)".to_owned(),
    }
}
