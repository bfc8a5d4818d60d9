//! Custom attribute definitions and the type check of user values.
//!
//! Only `1=String, 2=Number, 3=Boolean` are confirmed codes; 4 to 6 are this emulator's reading
//! (README, "Fidelity notes"). The Python SDK sends type names instead of codes; both are accepted.

use axum::{Json, extract::State};
use serde_json::Value;

use crate::{
    Emulator,
    error::ApiError,
    state::{AttributeDef, AttributeOption},
    wire::{
        AttributeNamesRequest, AttributeRequest, AttributeResponse, AttributesEnvelope, AttributesRequest, JsonBody,
        OptionRequest, OptionResponse,
    },
};

/// Type of a custom attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeType {
    /// 1: JSON string.
    String,
    /// 2: JSON number.
    Number,
    /// 3: JSON boolean.
    Boolean,
    /// 4: one string out of the options.
    SingleSelect,
    /// 5: array of strings out of the options.
    MultiSelect,
    /// 6: date as epoch milliseconds (a JSON number).
    Date,
}

impl AttributeType {
    /// Integer wire code.
    pub fn code(self) -> i64 {
        match self {
            Self::String => 1,
            Self::Number => 2,
            Self::Boolean => 3,
            Self::SingleSelect => 4,
            Self::MultiSelect => 5,
            Self::Date => 6,
        }
    }

    /// From an integer code or a (case-insensitive) type name.
    pub fn from_wire(value: &Value) -> Option<Self> {
        match value {
            Value::Number(n) => match n.as_i64()? {
                1 => Some(Self::String),
                2 => Some(Self::Number),
                3 => Some(Self::Boolean),
                4 => Some(Self::SingleSelect),
                5 => Some(Self::MultiSelect),
                6 => Some(Self::Date),
                _ => None,
            },
            Value::String(s) => match s.to_ascii_lowercase().as_str() {
                "string" | "text" => Some(Self::String),
                "number" => Some(Self::Number),
                "boolean" | "bool" => Some(Self::Boolean),
                "singleselect" => Some(Self::SingleSelect),
                "multiselect" | "array" => Some(Self::MultiSelect),
                "date" => Some(Self::Date),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Refuses a value of the wrong JSON type, or outside the options of a select attribute.
/// `null` is accepted: it clears the value.
pub fn check_value(def: &AttributeDef, value: &Value) -> Result<(), String> {
    let allowed = |s: &str| def.options.is_empty() || def.options.iter().any(|o| o.value == s);
    let ok = match (def.kind, value) {
        (_, Value::Null) => true,
        (AttributeType::String, Value::String(_)) => true,
        (AttributeType::Number | AttributeType::Date, Value::Number(_)) => true,
        (AttributeType::Boolean, Value::Bool(_)) => true,
        (AttributeType::SingleSelect, Value::String(s)) => allowed(s),
        (AttributeType::MultiSelect, Value::Array(items)) => items.iter().all(|i| i.as_str().is_some_and(allowed)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "custom attribute {:?} of type {:?} does not accept {value}",
            def.name, def.kind
        ))
    }
}

/// A machine name Descope is sure to accept: a letter, then letters, digits or `_`.
/// (`custom:foo` is refused on purpose, see README.)
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn definition(req: AttributeRequest) -> Result<AttributeDef, ApiError> {
    let name = req
        .name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::missing_argument("name"))?;
    if !valid_name(&name) {
        return Err(ApiError::invalid_argument(format!(
            "custom attribute name {name:?} must start with a letter and hold only letters, digits and _"
        )));
    }
    let kind_value = req.kind.ok_or_else(|| ApiError::missing_argument("type"))?;
    let kind = AttributeType::from_wire(&kind_value)
        .ok_or_else(|| ApiError::invalid_argument(format!("unknown custom attribute type {kind_value}")))?;
    let options = req
        .options
        .unwrap_or_default()
        .into_iter()
        .map(|o| match o {
            OptionRequest::Bare(v) => AttributeOption {
                label: v.clone(),
                value: v,
            },
            OptionRequest::Full { value, label } => {
                let value = value.unwrap_or_default();
                AttributeOption {
                    label: label.unwrap_or_else(|| value.clone()),
                    value,
                }
            }
        })
        .collect();
    Ok(AttributeDef {
        display_name: req.display_name.unwrap_or_else(|| name.clone()),
        name,
        kind,
        options,
        default_value: req.default_value.unwrap_or(Value::Object(Default::default())),
        view_permissions: req.view_permissions.unwrap_or_default(),
        edit_permissions: req.edit_permissions.unwrap_or_default(),
        editable: req.editable.unwrap_or(true),
    })
}

/// Wire form of a definition.
pub fn render(def: &AttributeDef) -> AttributeResponse {
    AttributeResponse {
        name: def.name.clone(),
        kind: def.kind.code(),
        options: def
            .options
            .iter()
            .map(|o| OptionResponse {
                value: o.value.clone(),
                label: o.label.clone(),
            })
            .collect(),
        display_name: def.display_name.clone(),
        default_value: def.default_value.clone(),
        view_permissions: def.view_permissions.clone(),
        edit_permissions: def.edit_permissions.clone(),
        editable: def.editable,
    }
}

fn envelope(defs: &[AttributeDef]) -> AttributesEnvelope {
    AttributesEnvelope {
        data: defs.iter().map(render).collect(),
        total: defs.len(),
    }
}

/// `POST /v1/mgmt/user/customattribute/create`: all definitions valid, or none stored.
pub async fn create(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<AttributesRequest>,
) -> Result<Json<AttributesEnvelope>, ApiError> {
    define(&emu, req)?;
    Ok(Json(envelope(emu.store().attributes())))
}

/// Validates and stores the definitions of a create request (the handler and `seed`).
pub(crate) fn define(emu: &Emulator, req: AttributesRequest) -> Result<(), ApiError> {
    let defs = req
        .attributes
        .ok_or_else(|| ApiError::missing_argument("attributes"))?
        .into_iter()
        .map(definition)
        .collect::<Result<Vec<_>, _>>()?;
    emu.store().insert_attributes(defs);
    Ok(())
}

/// `GET /v1/mgmt/user/customattributes`.
pub async fn load(State(emu): State<Emulator>) -> Json<AttributesEnvelope> {
    Json(envelope(emu.store().attributes()))
}

/// `POST /v1/mgmt/user/customattribute/delete`: answers with the remaining definitions.
pub async fn delete(
    State(emu): State<Emulator>,
    JsonBody(req): JsonBody<AttributeNamesRequest>,
) -> Result<Json<AttributesEnvelope>, ApiError> {
    let names = req.names.ok_or_else(|| ApiError::missing_argument("names"))?;
    let mut store = emu.store();
    store.delete_attributes(&names);
    Ok(Json(envelope(store.attributes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_parse_from_codes_and_names() {
        let cases = [
            (json!(1), Some(AttributeType::String)),
            (json!("boolean"), Some(AttributeType::Boolean)),
            (json!("Number"), Some(AttributeType::Number)),
            (json!(6), Some(AttributeType::Date)),
            (json!(0), None),
            (json!(7), None),
            (json!(true), None),
        ];
        for (wire, expected) in cases {
            assert_eq!(AttributeType::from_wire(&wire), expected, "{wire}");
            if let Some(t) = expected {
                assert_eq!(AttributeType::from_wire(&json!(t.code())), Some(t));
            }
        }
    }

    #[test]
    fn machine_names_are_letters_digits_and_underscores() {
        assert!(valid_name("freshlyMigrated") && valid_name("cognito_sub2"));
        assert!(!valid_name("custom:dept") && !valid_name("") && !valid_name("_x") && !valid_name("a-b"));
    }
}
