//! Cognito user → desired Descope user: pure functions, every Cognito field with a destination.
//!
//! | Cognito | Descope |
//! |---|---|
//! | `email`, `email_verified` | `email`, `verifiedEmail` |
//! | `phone_number`, `phone_number_verified` | `phone`, `verifiedPhone` |
//! | `name`, `given_name`, `middle_name`, `family_name`, `picture` | `displayName`, `givenName`, `middleName`, `familyName`, `picture` |
//! | `custom:x`, `dev:custom:x` | custom attribute `x`, typed as declared in the pool schema |
//! | `nickname`, `preferred_username`, `locale`, `zoneinfo`, `birthdate`, `gender`, `address`, `website`, `profile` | custom attributes `nickname`, `preferredUsername`, `locale`, `zoneinfo`, `birthdate`, `gender`, `address`, `website`, `profile` (String) |
//! | `updated_at` | custom attribute `cognitoUpdatedAt` (String, seconds since the epoch) |
//! | `sub`, username | custom attributes `cognitoSub`, `cognitoUsername` |
//! | `UserStatus` | custom attribute `cognitoUserStatus` (route FORCE_CHANGE_PASSWORD etc. in flows) |
//! | `identities` (federated sign-ins) | custom attribute `cognitoIdentities` (the JSON text) |
//! | `UserCreateDate` | custom attribute `cognitoCreatedAt` (RFC 3339) |
//! | `Enabled` | status `enabled` / `disabled` |
//! | groups | project roles, or tenant roles when the pool imports into a tenant |
//! | (always) | custom attribute `freshlyMigrated` = true (Boolean) |

use std::collections::{BTreeMap, HashMap};

use serde_json::{Number, Value};

use crate::model::{AttrType, AttributeDef, CognitoUser, DesiredUser, Problem, Status};

/// Marks every imported user; Descope flows test it to route first sign-ins (reset, passkey...).
pub const FRESHLY_MIGRATED: &str = "freshlyMigrated";

/// Cognito standard attributes without a Descope user field, kept as String custom attributes.
const KEPT_STANDARD: &[(&str, &str)] = &[
    ("nickname", "nickname"),
    ("preferred_username", "preferredUsername"),
    ("locale", "locale"),
    ("zoneinfo", "zoneinfo"),
    ("birthdate", "birthdate"),
    ("gender", "gender"),
    ("address", "address"),
    ("website", "website"),
    ("profile", "profile"),
    ("updated_at", "cognitoUpdatedAt"),
    ("sub", "cognitoSub"),
    ("identities", "cognitoIdentities"),
];

/// Attributes the importer writes from user metadata rather than from an attribute.
const METADATA: &[(&str, &str)] = &[
    ("cognitoUsername", "Cognito username"),
    ("cognitoUserStatus", "Cognito UserStatus"),
    ("cognitoCreatedAt", "Cognito UserCreateDate"),
];

/// Attributes that go to the Descope user's own fields.
const USER_FIELDS: &[&str] = &[
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "name",
    "given_name",
    "middle_name",
    "family_name",
    "picture",
];

/// Which login ID a user gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginIdStrategy {
    /// Email if present, else phone number, else the Cognito username.
    Email,
    /// Phone number if present, else email, else the Cognito username.
    Phone,
    /// Always the Cognito username.
    Username,
    /// Email if present, else phone number; users with neither are reported, not migrated.
    EmailOrPhone,
}

/// Which of the other identifiers also become login IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdditionalLoginIds {
    /// Only the primary login ID.
    None,
    /// The Cognito username too, when it is not the primary.
    Username,
    /// Every other one of email, phone number and username.
    All,
}

/// How users are mapped, fixed for the run.
#[derive(Debug, Clone)]
pub struct MappingRules {
    /// Primary login ID choice.
    pub login_id: LoginIdStrategy,
    /// Additional login IDs.
    pub additional: AdditionalLoginIds,
    /// Declared types of the pools' custom attributes, by Cognito name (`custom:plan`).
    pub custom_types: HashMap<String, AttrType>,
}

/// The Descope name of a custom or developer-only attribute (`custom:plan`, `dev:custom:plan` →
/// `plan`), or `None` for other attributes. Descope machine names are read as a letter followed by
/// letters, digits and `_` (the emulator enforces it; Descope does not document it), so any other
/// character becomes `_` and a name not starting with a letter gets an `attr_` prefix. Two Cognito
/// attributes that end up with the same name are refused by [`required_definitions`].
pub fn custom_attribute_name(cognito_name: &str) -> Option<String> {
    let name = cognito_name.strip_prefix("dev:").unwrap_or(cognito_name);
    let name = name.strip_prefix("custom:")?;
    let mut out: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "attr_");
    }
    Some(out)
}

/// Every attribute definition the migration needs: the fixed ones and the pools' custom attributes.
/// Fails when a custom attribute's Descope name collides with a fixed one or with another custom
/// attribute of a different type.
pub fn required_definitions(custom_types: &HashMap<String, AttrType>) -> Result<Vec<AttributeDef>, String> {
    let mut defs: BTreeMap<String, AttributeDef> = BTreeMap::new();
    let mut add = |name: &str, kind: AttrType, source: String| -> Result<(), String> {
        if let Some(existing) = defs.get(name) {
            // The same Cognito attribute declared by several pools is one definition.
            if existing.kind != kind || existing.source != source {
                return Err(format!(
                    "Descope attribute {name:?} would hold both {} and {source}; rename one of them in Cognito",
                    existing.source
                ));
            }
            return Ok(());
        }
        defs.insert(
            name.to_owned(),
            AttributeDef {
                name: name.to_owned(),
                kind,
                source,
            },
        );
        Ok(())
    };
    add(
        FRESHLY_MIGRATED,
        AttrType::Boolean,
        "the importer (true on import)".to_owned(),
    )?;
    for (cognito, descope) in KEPT_STANDARD {
        add(descope, AttrType::String, format!("Cognito {cognito}"))?;
    }
    for (descope, source) in METADATA {
        add(descope, AttrType::String, (*source).to_owned())?;
    }
    let mut customs: Vec<_> = custom_types.iter().collect();
    customs.sort_by(|a, b| a.0.cmp(b.0));
    for (cognito, kind) in customs {
        if let Some(name) = custom_attribute_name(cognito) {
            let declared = cognito.strip_prefix("dev:").unwrap_or(cognito);
            add(&name, *kind, format!("Cognito custom attribute {declared}"))?;
        }
    }
    Ok(defs.into_values().collect())
}

/// Maps one Cognito user. `groups` are the user's group names; `tenant` the pool's tenant.
/// Every value that cannot be converted is reported; the user is then not migrated.
pub fn map_user(
    user: &CognitoUser,
    groups: &[String],
    pool: usize,
    tenant: Option<&str>,
    rules: &MappingRules,
) -> Result<DesiredUser, Vec<Problem>> {
    let mut problems = Vec::new();
    let attr = |name: &str| user.attributes.get(name).map(String::as_str).filter(|v| !v.is_empty());

    let mut flag = |name: &str| -> Option<bool> {
        let value = attr(name)?;
        match value {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                problems.push(invalid(name, value, "boolean (true or false)"));
                None
            }
        }
    };
    let verified_email = flag("email_verified");
    let verified_phone = flag("phone_number_verified");

    let email = attr("email").map(str::to_owned);
    let phone = attr("phone_number").map(str::to_owned);
    let username = Some(user.username.clone()).filter(|u| !u.is_empty());
    let candidates: Vec<&Option<String>> = match rules.login_id {
        LoginIdStrategy::Email => vec![&email, &phone, &username],
        LoginIdStrategy::Phone => vec![&phone, &email, &username],
        LoginIdStrategy::Username => vec![&username],
        LoginIdStrategy::EmailOrPhone => vec![&email, &phone],
    };
    let login_id = candidates.iter().find_map(|c| c.as_ref()).cloned();
    let Some(login_id) = login_id else {
        problems.push(Problem::NoLoginId);
        return Err(problems);
    };
    let others: Vec<&Option<String>> = match rules.additional {
        AdditionalLoginIds::None => vec![],
        AdditionalLoginIds::Username => vec![&username],
        AdditionalLoginIds::All => vec![&email, &phone, &username],
    };
    let mut additional_login_ids: Vec<String> = Vec::new();
    for id in others.into_iter().flatten() {
        if *id != login_id && !additional_login_ids.contains(id) {
            additional_login_ids.push(id.clone());
        }
    }

    let mut custom = BTreeMap::new();
    custom.insert(FRESHLY_MIGRATED.to_owned(), Value::Bool(true));
    custom.insert("cognitoUsername".to_owned(), Value::String(user.username.clone()));
    custom.insert("cognitoUserStatus".to_owned(), Value::String(user.status.clone()));
    if let Some(created) = user.created_at.and_then(rfc3339) {
        custom.insert("cognitoCreatedAt".to_owned(), Value::String(created));
    }
    for (name, value) in &user.attributes {
        if USER_FIELDS.contains(&name.as_str()) || value.is_empty() {
            continue;
        }
        if let Some((_, descope)) = KEPT_STANDARD.iter().find(|(cognito, _)| cognito == name) {
            custom.insert((*descope).to_owned(), Value::String(value.clone()));
            continue;
        }
        let (Some(descope), Some(kind)) = (custom_attribute_name(name), rules.custom_types.get(name)) else {
            problems.push(Problem::InvalidValue {
                attribute: name.clone(),
                value: value.clone(),
                expected: "attribute declared in the user pool schema",
            });
            continue;
        };
        match convert(value, *kind) {
            Some(converted) => {
                custom.insert(descope, converted);
            }
            None => problems.push(invalid(name, value, expected_name(*kind))),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let (roles, tenant) = match tenant {
        Some(tenant) => (Vec::new(), Some((tenant.to_owned(), groups.to_vec()))),
        None => (groups.to_vec(), None),
    };
    Ok(DesiredUser {
        pool,
        cognito_username: user.username.clone(),
        login_id,
        additional_login_ids,
        email,
        verified_email,
        phone,
        verified_phone,
        display_name: attr("name").map(str::to_owned),
        given_name: attr("given_name").map(str::to_owned),
        middle_name: attr("middle_name").map(str::to_owned),
        family_name: attr("family_name").map(str::to_owned),
        picture: attr("picture").map(str::to_owned),
        status: if user.enabled {
            Status::Enabled
        } else {
            Status::Disabled
        },
        roles,
        tenant,
        custom_attributes: custom,
        owns_profile: true,
    })
}

fn invalid(attribute: &str, value: &str, expected: &'static str) -> Problem {
    Problem::InvalidValue {
        attribute: attribute.to_owned(),
        value: value.to_owned(),
        expected,
    }
}

fn expected_name(kind: AttrType) -> &'static str {
    match kind {
        AttrType::String => "string",
        AttrType::Number => "number",
        AttrType::Boolean => "boolean (true, false, 1 or 0)",
        AttrType::DateTime => "date-time (seconds since the epoch or RFC 3339)",
    }
}

/// Converts a Cognito attribute value (always text) to the JSON value of its declared type.
pub fn convert(value: &str, kind: AttrType) -> Option<Value> {
    match kind {
        AttrType::String => Some(Value::String(value.to_owned())),
        AttrType::Number => {
            let trimmed = value.trim();
            if let Ok(i) = trimmed.parse::<i64>() {
                return Some(Value::Number(i.into()));
            }
            trimmed
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number)
        }
        AttrType::Boolean => match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(Value::Bool(true)),
            "false" | "0" => Some(Value::Bool(false)),
            _ => None,
        },
        AttrType::DateTime => {
            let trimmed = value.trim();
            if let Ok(seconds) = trimmed.parse::<i64>() {
                return rfc3339(seconds).map(Value::String);
            }
            chrono::DateTime::parse_from_rfc3339(trimmed).ok().map(|t| {
                Value::String(
                    t.with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                )
            })
        }
    }
}

fn rfc3339(seconds: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(seconds, 0).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules() -> MappingRules {
        MappingRules {
            login_id: LoginIdStrategy::Email,
            additional: AdditionalLoginIds::None,
            custom_types: [
                ("custom:plan", AttrType::String),
                ("custom:seats", AttrType::Number),
                ("custom:beta", AttrType::Boolean),
                ("custom:renewal", AttrType::DateTime),
                ("dev:custom:score", AttrType::Number),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        }
    }

    fn user(attrs: &[(&str, &str)]) -> CognitoUser {
        CognitoUser {
            username: "u-1".to_owned(),
            attributes: attrs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            enabled: true,
            status: "CONFIRMED".to_owned(),
            created_at: Some(1_700_000_000),
        }
    }

    #[test]
    fn every_field_lands_where_the_table_says() {
        let u = user(&[
            ("sub", "0b5e-sub"),
            ("email", "ana@example.com"),
            ("email_verified", "true"),
            ("phone_number", "+15550001"),
            ("phone_number_verified", "false"),
            ("name", "Ana Lía"),
            ("given_name", "Ana"),
            ("middle_name", "Lía"),
            ("family_name", "Pérez"),
            ("picture", "https://img/ana.png"),
            ("nickname", "ani"),
            ("preferred_username", "anap"),
            ("locale", "es"),
            ("updated_at", "1700000100"),
            ("identities", r#"[{"providerName":"Google"}]"#),
            ("custom:plan", "gold"),
            ("custom:seats", "12"),
            ("custom:beta", "1"),
            ("custom:renewal", "1700003600"),
            ("dev:custom:score", "4.5"),
        ]);
        let d = map_user(&u, &["admins".to_owned()], 0, None, &rules()).unwrap();
        assert_eq!(d.login_id, "ana@example.com");
        assert_eq!((d.verified_email, d.verified_phone), (Some(true), Some(false)));
        assert_eq!(d.display_name.as_deref(), Some("Ana Lía"));
        assert_eq!(d.middle_name.as_deref(), Some("Lía"));
        assert_eq!(d.picture.as_deref(), Some("https://img/ana.png"));
        assert_eq!(d.roles, vec!["admins"]);
        assert_eq!(
            serde_json::to_value(&d.custom_attributes).unwrap(),
            json!({
                "freshlyMigrated": true,
                "cognitoUsername": "u-1",
                "cognitoUserStatus": "CONFIRMED",
                "cognitoCreatedAt": "2023-11-14T22:13:20Z",
                "cognitoSub": "0b5e-sub",
                "cognitoIdentities": r#"[{"providerName":"Google"}]"#,
                "cognitoUpdatedAt": "1700000100",
                "nickname": "ani",
                "preferredUsername": "anap",
                "locale": "es",
                "plan": "gold",
                "seats": 12,
                "beta": true,
                "renewal": "2023-11-14T23:13:20Z",
                "score": 4.5,
            })
        );
    }

    #[test]
    fn login_id_strategies() {
        let phone_only = user(&[("phone_number", "+15550002")]);
        let nothing = user(&[]);
        let both = user(&[("email", "a@x.io"), ("phone_number", "+15550003")]);
        let login = |u: &CognitoUser, strategy, additional| {
            let rules = MappingRules {
                login_id: strategy,
                additional,
                ..rules()
            };
            map_user(u, &[], 0, None, &rules).map(|d| (d.login_id, d.additional_login_ids))
        };
        use AdditionalLoginIds as A;
        use LoginIdStrategy as S;
        assert_eq!(login(&phone_only, S::Email, A::None), Ok(("+15550002".into(), vec![])));
        assert_eq!(login(&nothing, S::Email, A::None), Ok(("u-1".into(), vec![])));
        assert_eq!(login(&nothing, S::EmailOrPhone, A::None), Err(vec![Problem::NoLoginId]));
        assert_eq!(login(&both, S::Phone, A::None), Ok(("+15550003".into(), vec![])));
        assert_eq!(login(&both, S::Username, A::None), Ok(("u-1".into(), vec![])));
        assert_eq!(
            login(&both, S::Email, A::Username),
            Ok(("a@x.io".into(), vec!["u-1".into()]))
        );
        assert_eq!(
            login(&both, S::Email, A::All),
            Ok(("a@x.io".into(), vec!["+15550003".into(), "u-1".into()]))
        );
    }

    #[test]
    fn unconvertible_values_are_all_reported() {
        let u = user(&[
            ("email", "b@x.io"),
            ("email_verified", "yes"),
            ("custom:seats", "twelve"),
            ("custom:beta", "maybe"),
            ("custom:renewal", "next tuesday"),
            ("custom:undeclared", "x"),
        ]);
        let problems = map_user(&u, &[], 0, None, &rules()).unwrap_err();
        let attributes: Vec<_> = problems
            .iter()
            .map(|p| match p {
                Problem::InvalidValue { attribute, .. } => attribute.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            attributes,
            vec![
                "email_verified",
                "custom:beta",
                "custom:renewal",
                "custom:seats",
                "custom:undeclared"
            ]
        );
    }

    #[test]
    fn disabled_users_and_tenant_pools() {
        let mut u = user(&[("email", "c@x.io")]);
        u.enabled = false;
        let d = map_user(&u, &["a b".to_owned()], 1, Some("acme"), &rules()).unwrap();
        assert_eq!(d.status, Status::Disabled);
        assert!(d.roles.is_empty());
        assert_eq!(d.tenant, Some(("acme".to_owned(), vec!["a b".to_owned()])));
    }

    #[test]
    fn definitions_cover_fixed_and_custom_attributes_and_refuse_collisions() {
        let defs = required_definitions(&rules().custom_types).unwrap();
        let find = |n: &str| defs.iter().find(|d| d.name == n).map(|d| d.kind);
        assert_eq!(find("freshlyMigrated"), Some(AttrType::Boolean));
        assert_eq!(find("seats"), Some(AttrType::Number));
        assert_eq!(find("score"), Some(AttrType::Number));
        assert_eq!(find("cognitoSub"), Some(AttrType::String));
        let clash: HashMap<String, AttrType> = [("custom:cognitoSub".to_owned(), AttrType::Number)].into();
        assert!(required_definitions(&clash).unwrap_err().contains("cognitoSub"));
        let clash: HashMap<String, AttrType> = [
            ("custom:a-b".to_owned(), AttrType::String),
            ("custom:a.b".to_owned(), AttrType::String),
        ]
        .into();
        assert!(required_definitions(&clash).unwrap_err().contains("a_b"));
    }

    #[test]
    fn attribute_names_are_made_descope_safe() {
        assert_eq!(custom_attribute_name("custom:plan").as_deref(), Some("plan"));
        assert_eq!(custom_attribute_name("dev:custom:score").as_deref(), Some("score"));
        assert_eq!(custom_attribute_name("custom:plan-tier").as_deref(), Some("plan_tier"));
        assert_eq!(custom_attribute_name("custom:2fa").as_deref(), Some("attr_2fa"));
        assert_eq!(custom_attribute_name("custom:café").as_deref(), Some("caf_"));
        assert_eq!(custom_attribute_name("email"), None);
    }
}
