//! Single use, atomically: before anything else, the exchange writes the refresh token's hash to a
//! DynamoDB table with a condition that no item holds it yet. Of two concurrent exchanges of one
//! token exactly one write succeeds; the other is answered `already_used` without calling Cognito
//! or Descope. Items expire through the table's TTL (`expiresAt`) once the token itself would
//! have expired.
//!
//! The table holds only SHA-256 hashes of tokens (a refresh token is a long random value, so its
//! hash reveals nothing and cannot be reversed), the app client, and times.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::{digest, rand::SecureRandom as _};
use aws_sdk_dynamodb::{
    Client,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    types::AttributeValue,
};
use descope_management::Secret;

/// The table's partition key (string).
pub const KEY_ATTRIBUTE: &str = "tokenHash";
/// The table's TTL attribute (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "expiresAt";

/// A claim this invocation holds on one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    key: String,
    nonce: String,
}

/// Why a token could not be claimed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    /// Another exchange already claimed this token.
    #[error("this refresh token was already exchanged")]
    AlreadyUsed,
    /// DynamoDB throttled or failed for now; nothing was written.
    #[error("DynamoDB is unavailable for now: {0}")]
    Retry(String),
    /// The table is missing or not writable: an operator problem.
    #[error("DynamoDB refused the write: {0}")]
    Failed(String),
}

/// The single-use table.
#[derive(Debug, Clone)]
pub struct SingleUse {
    client: Client,
    table: String,
}

/// `sha256:<hex>` of the token: the item's key.
pub fn token_key(token: &str) -> String {
    let hash = digest::digest(&digest::SHA256, token.as_bytes());
    let hex: String = hash.as_ref().iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

impl SingleUse {
    /// The table `table` through this client.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Claims `token` for `client_id` until `expires_at` (epoch seconds), or says why not.
    pub async fn claim(&self, token: &Secret, client_id: &str, expires_at: u64) -> Result<Claim, ClaimError> {
        let mut bytes = [0_u8; 16];
        aws_lc_rs::rand::SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| ClaimError::Failed("no randomness for the claim's nonce".to_owned()))?;
        let claim = Claim {
            key: token_key(token.expose()),
            nonce: bytes.iter().map(|byte| format!("{byte:02x}")).collect(),
        };
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY_ATTRIBUTE, AttributeValue::S(claim.key.clone()))
            .item("claimId", AttributeValue::S(claim.nonce.clone()))
            .item("clientId", AttributeValue::S(client_id.to_owned()))
            .item("claimedAt", AttributeValue::N(now.to_string()))
            .item(TTL_ATTRIBUTE, AttributeValue::N(expires_at.to_string()))
            .condition_expression("attribute_not_exists(#key)")
            .expression_attribute_names("#key", KEY_ATTRIBUTE)
            .send()
            .await;
        match result {
            Ok(_) => Ok(claim),
            Err(error) => Err(match &error {
                SdkError::ServiceError(service) => match service.err().code() {
                    Some("ConditionalCheckFailedException") => ClaimError::AlreadyUsed,
                    Some(
                        "ProvisionedThroughputExceededException"
                        | "ThrottlingException"
                        | "RequestLimitExceeded"
                        | "InternalServerError"
                        | "TransactionConflictException",
                    ) => ClaimError::Retry(DisplayErrorContext(&error).to_string()),
                    _ => ClaimError::Failed(DisplayErrorContext(&error).to_string()),
                },
                _ => ClaimError::Retry(DisplayErrorContext(&error).to_string()),
            }),
        }
    }

    /// Gives a claim back (the exchange failed before any session was made and may be tried
    /// again). Deletes the item only while it still carries this claim's nonce.
    pub async fn release(&self, claim: &Claim) -> Result<(), String> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(claim.key.clone()))
            .condition_expression("claimId = :nonce")
            .expression_attribute_values(":nonce", AttributeValue::S(claim.nonce.clone()))
            .send()
            .await
            .map(|_| ())
            .map_err(|error| format!("DeleteItem: {}", DisplayErrorContext(&error)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_sha256_of_the_token() {
        // `printf %s abc | sha256sum`
        assert_eq!(
            token_key("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
