//! In-process seeding for tests, benchmarks and the demo: the same validation and storage as the
//! management API's handlers, without an HTTP client. What the code under test reads still goes
//! over the wire.

use serde_json::{Value, json};

use crate::{
    ApiError, Emulator, attributes,
    wire::{AttributesRequest, UserRequest},
};

impl Emulator {
    /// Defines text custom attributes (as `POST /v1/mgmt/user/customattribute/create` with
    /// `type` 1).
    pub fn define_text_attributes(&self, names: &[&str]) -> Result<(), ApiError> {
        let attributes: Vec<Value> = names.iter().map(|name| json!({"name": name, "type": 1})).collect();
        let request: AttributesRequest = serde_json::from_value(json!({ "attributes": attributes }))
            .map_err(|e| ApiError::invalid_argument(e.to_string()))?;
        attributes::define(self, request)
    }

    /// Creates a user from a `POST /v1/mgmt/user/create` body; its user ID.
    pub fn create_user(&self, body: Value) -> Result<String, ApiError> {
        let request: UserRequest =
            serde_json::from_value(body).map_err(|e| ApiError::invalid_argument(e.to_string()))?;
        crate::users::create_user_id(self, &request)
    }

    /// A user as the importer creates it: `login_id`, also its verified email, with these custom
    /// attributes (which must be defined); its user ID.
    pub fn migrated_user(&self, login_id: &str, custom_attributes: Value) -> Result<String, ApiError> {
        self.create_user(json!({
            "loginId": login_id,
            "email": login_id,
            "verifiedEmail": true,
            "customAttributes": custom_attributes
        }))
    }
}
