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

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use serde_json::{Number, Value};

use crate::model::{AttrType, AttributeDef, CognitoUser, DesiredUser, Identity, Problem, Status, Warning};

/// Marks every imported user; Descope flows test it to route first sign-ins (reset, passkey...).
pub const FRESHLY_MIGRATED: &str = "freshlyMigrated";

/// With `cognitoSub`, the identity of the Cognito user a Descope user is (see [`Identity`]).
pub const COGNITO_POOL_ID: &str = "cognitoPoolId";

/// The Cognito `sub` of the user (with [`COGNITO_POOL_ID`], its identity).
pub const COGNITO_SUB: &str = "cognitoSub";

/// Pool ID → the roles a Descope user holds because of that pool's Cognito groups (JSON text), so
/// that `sync` removes only those, never roles granted in Descope.
pub const COGNITO_GROUPS: &str = "cognitoGroups";

/// Set (to the time, RFC 3339) on a Descope account that existed before the import and was merged
/// with a Cognito user by `--on-conflict merge`: an audit trail, and the mark that keeps later runs
/// from raising its verified flags.
pub const COGNITO_MERGED_AT: &str = "cognitoMergedAt";

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
    (COGNITO_POOL_ID, "Cognito user pool ID"),
    (COGNITO_MERGED_AT, "the importer (--on-conflict merge)"),
    (COGNITO_GROUPS, "Cognito groups (roles they granted, per pool)"),
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginIdStrategy {
    /// Verified email, else verified phone number, else the Cognito username.
    Email,
    /// Verified phone number, else verified email, else the Cognito username.
    Phone,
    /// Always the Cognito username.
    Username,
    /// Verified email, else verified phone number; users with neither are reported, not migrated.
    EmailOrPhone,
}

/// Which of the other identifiers also become login IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdditionalLoginIds {
    /// Only the primary login ID.
    None,
    /// The Cognito username too, when it is not the primary.
    Username,
    /// Every other one of verified email, verified phone number and username.
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
    /// Let unverified emails and phones become login IDs (the first version's behaviour): whoever
    /// controls such an address could then sign in with an OTP or magic link.
    pub allow_unverified_login_ids: bool,
    /// Refuse a user with any value that cannot be stored, rather than leaving the value out.
    pub strict: bool,
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

/// How many users of one pool hold each email and phone number, compared the way Descope compares
/// login IDs ([`fold_login_id`]). Built by a pre-pass over the pool before any user is mapped, so
/// that who keeps a shared contact does not depend on the listing order. Only 64-bit hashes are
/// kept (a collision among a million contacts has odds near 10^-8 and could only make a contact
/// look shared, which is the safe direction).
#[derive(Debug, Default)]
pub struct ContactIndex {
    owners: HashMap<u64, Owners>,
}

/// Holders of one contact.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Owners {
    /// Users that verified it.
    pub verified: u32,
    /// All users holding it.
    pub total: u32,
}

/// The two contacts Cognito verifies, with their attribute names.
const CONTACTS: [(&str, &str, &str); 2] = [
    ("email", "email", "email_verified"),
    ("phone", "phone_number", "phone_number_verified"),
];

impl ContactIndex {
    /// Counts one user's email and phone.
    pub fn add(&mut self, user: &CognitoUser) {
        for (kind, attribute, flag) in CONTACTS {
            if let Some(value) = user.attributes.get(attribute).filter(|v| !v.is_empty()) {
                let verified = user.attributes.get(flag).is_some_and(|f| is_true(f));
                let owners = self.owners.entry(contact_key(kind, value)).or_default();
                owners.total = owners.total.saturating_add(1);
                owners.verified = owners.verified.saturating_add(u32::from(verified));
            }
        }
    }

    /// Who holds this contact (`kind` is `email` or `phone`).
    pub fn owners(&self, kind: &str, value: &str) -> Owners {
        self.owners.get(&contact_key(kind, value)).copied().unwrap_or_default()
    }

    /// Contacts indexed.
    pub fn len(&self) -> usize {
        self.owners.len()
    }

    /// Whether nothing was indexed.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }
}

fn contact_key(kind: &str, value: &str) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    // SipHash with fixed keys: the same on every run, never seeded per process.
    #[allow(deprecated)]
    let mut hasher = std::hash::SipHasher::new();
    kind.hash(&mut hasher);
    fold_login_id(value).hash(&mut hasher);
    hasher.finish()
}

/// A login ID as Descope compares it: without regard to letter case. Two Cognito users whose emails
/// differ only in case are one login ID in Descope.
pub use descope_management::fold_login_id;

/// Cognito's `*_verified` flags are the text `true` or `false`.
fn is_true(flag: &str) -> bool {
    flag.trim().eq_ignore_ascii_case("true")
}

/// Maps one Cognito user of pool `pool_id` (index `pool` in the run). `groups` are the user's group
/// names; `tenant` the pool's tenant; `contacts` the pool's [`ContactIndex`].
///
/// Login IDs: the first of the strategy's candidates that is a *verified* contact held by no other
/// verified user of the pool, or the username. An unverified email or phone still migrates as the
/// user's `email`/`phone` with `verifiedEmail`/`verifiedPhone` false, with a warning, unless
/// `allow_unverified_login_ids` restores the old behaviour. A value that cannot be stored as its
/// declared type is left out with a warning (refused with `strict`). The user is refused only when
/// it has no identity (`sub`), no login ID, or verified a contact another user verified too.
pub fn map_user(
    user: &CognitoUser,
    groups: &[String],
    pool: usize,
    pool_id: &str,
    tenant: Option<&str>,
    rules: &MappingRules,
    contacts: &ContactIndex,
) -> Result<DesiredUser, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let attr = |name: &str| user.attributes.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let Some(sub) = attr("sub") else {
        return Err(vec![Problem::NoSub]);
    };

    let mut left_out = |attribute: &str, value: &str, expected: &'static str, warnings: &mut Vec<Warning>| {
        if rules.strict {
            problems.push(invalid(attribute, value, expected));
        } else {
            warnings.push(Warning::ValueLeftOut {
                attribute: attribute.to_owned(),
                value: value.to_owned(),
                expected,
            });
        }
    };
    let mut flag = |name: &str, warnings: &mut Vec<Warning>| -> Option<bool> {
        let value = attr(name)?;
        match value.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            // Anything else is not a verification: the safe reading is "not verified".
            _ => {
                left_out(name, value, "boolean (true or false), read as not verified", warnings);
                Some(false)
            }
        }
    };
    let verified_email = flag("email_verified", &mut warnings);
    let verified_phone = flag("phone_number_verified", &mut warnings);

    let email = attr("email").map(str::to_owned);
    let phone = attr("phone_number").map(str::to_owned);
    let username = Some(user.username.clone()).filter(|u| !u.is_empty());
    let contact = |kind: &'static str| match kind {
        "email" => (email.as_deref(), verified_email == Some(true)),
        _ => (phone.as_deref(), verified_phone == Some(true)),
    };
    let order: &[&str] = match rules.login_id {
        LoginIdStrategy::Email => &["email", "phone", "username"],
        LoginIdStrategy::Phone => &["phone", "email", "username"],
        LoginIdStrategy::Username => &["username"],
        LoginIdStrategy::EmailOrPhone => &["email", "phone"],
    };
    let mut login_id = None;
    let mut passed_over: Vec<(&'static str, bool)> = Vec::new();
    for kind in order {
        if *kind == "username" {
            login_id = username.clone();
            break;
        }
        let kind: &'static str = if *kind == "email" { "email" } else { "phone" };
        let (Some(value), verified) = contact(kind) else {
            continue;
        };
        match usable(kind, value, verified, rules, contacts) {
            Usable::Yes => {
                login_id = Some(value.to_owned());
                break;
            }
            Usable::Unverified => passed_over.push((kind, false)),
            Usable::Shared => passed_over.push((kind, true)),
            Usable::SharedVerified(owners) => {
                problems.push(Problem::SharedVerifiedContact {
                    kind,
                    identifier: value.to_owned(),
                    owners,
                });
                return Err(problems);
            }
        }
    }
    let Some(login_id) = login_id else {
        problems.push(Problem::NoLoginId);
        return Err(problems);
    };
    for (kind, shared) in passed_over {
        let login_id = login_id.clone();
        warnings.push(if shared {
            Warning::SharedContact { kind, login_id }
        } else {
            Warning::UnverifiedContact { kind, login_id }
        });
    }
    let others: &[&str] = match rules.additional {
        AdditionalLoginIds::None => &[],
        AdditionalLoginIds::Username => &["username"],
        AdditionalLoginIds::All => &["email", "phone", "username"],
    };
    let mut additional_login_ids: Vec<String> = Vec::new();
    for kind in others {
        let id = if *kind == "username" {
            username.clone()
        } else {
            let kind: &'static str = if *kind == "email" { "email" } else { "phone" };
            match contact(kind) {
                // Never an unverified or shared contact, whatever the strategy.
                (Some(value), verified) if usable(kind, value, verified, rules, contacts) == Usable::Yes => {
                    Some(value.to_owned())
                }
                _ => None,
            }
        };
        if let Some(id) = id {
            let folded = fold_login_id(&id);
            if folded != fold_login_id(&login_id) && !additional_login_ids.iter().any(|a| fold_login_id(a) == folded) {
                additional_login_ids.push(id);
            }
        }
    }

    let mut custom = BTreeMap::new();
    custom.insert(FRESHLY_MIGRATED.to_owned(), Value::Bool(true));
    custom.insert(COGNITO_POOL_ID.to_owned(), Value::String(pool_id.to_owned()));
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
            left_out(name, value, "attribute declared in the user pool schema", &mut warnings);
            continue;
        };
        match convert(value, *kind) {
            Converted::Value(converted) => {
                custom.insert(descope, converted);
            }
            Converted::Text(text) if !rules.strict => {
                warnings.push(Warning::KeptAsText {
                    attribute: name.clone(),
                    value: text.clone(),
                });
                custom.insert(descope, Value::String(text));
            }
            Converted::Text(_) | Converted::Invalid => left_out(name, value, expected_name(*kind), &mut warnings),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let (roles, tenant) = match tenant {
        Some(tenant) => (Vec::new(), Some((tenant.to_owned(), groups.to_vec()))),
        None => (groups.to_vec(), None),
    };
    let mut sorted_groups = groups.to_vec();
    sorted_groups.sort();
    sorted_groups.dedup();
    Ok(DesiredUser {
        pool,
        cognito_username: user.username.clone(),
        identity: Identity {
            pool_id: pool_id.to_owned(),
            sub: sub.to_owned(),
        },
        owner: None,
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
        warnings,
        groups: sorted_groups,
        pool_groups: Arc::from(Vec::new()),
    })
}

/// Whether a contact may be a login ID of its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Usable {
    Yes,
    /// Cognito never verified it (and the rules do not allow unverified login IDs).
    Unverified,
    /// Another user of the pool holds it: a verified owner keeps it, or nobody verified it.
    Shared,
    /// Several users verified it: a conflict only a person can resolve.
    SharedVerified(u32),
}

fn usable(kind: &str, value: &str, verified: bool, rules: &MappingRules, contacts: &ContactIndex) -> Usable {
    let owners = contacts.owners(kind, value);
    if verified {
        return if owners.verified > 1 {
            Usable::SharedVerified(owners.verified)
        } else {
            Usable::Yes
        };
    }
    if !rules.allow_unverified_login_ids {
        Usable::Unverified
    } else if owners.verified == 0 && owners.total <= 1 {
        Usable::Yes
    } else {
        Usable::Shared
    }
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
        AttrType::DateTime => "date-time (seconds since the epoch, RFC 3339 or YYYY-MM-DD)",
    }
}

/// A Cognito attribute value converted to its declared type.
#[derive(Debug, Clone, PartialEq)]
pub enum Converted {
    /// The typed value.
    Value(Value),
    /// A DateTime value that is no date or time: Cognito does not validate DateTime attributes,
    /// so real pools hold free text there; it is kept verbatim (the attribute is a String).
    Text(String),
    /// Cannot be stored as its type.
    Invalid,
}

/// Converts a Cognito attribute value (always text) to the JSON value of its declared type.
/// DateTime: epoch seconds and RFC 3339 become RFC 3339 in UTC, a plain date (`2024-01-15`) stays
/// as written (no invented midnight or time zone).
pub fn convert(value: &str, kind: AttrType) -> Converted {
    let typed = |v: Option<Value>| v.map_or(Converted::Invalid, Converted::Value);
    match kind {
        AttrType::String => Converted::Value(Value::String(value.to_owned())),
        AttrType::Number => {
            let trimmed = value.trim();
            if let Ok(i) = trimmed.parse::<i64>() {
                return Converted::Value(Value::Number(i.into()));
            }
            typed(
                trimmed
                    .parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number),
            )
        }
        AttrType::Boolean => typed(match value.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(Value::Bool(true)),
            "false" | "0" => Some(Value::Bool(false)),
            _ => None,
        }),
        AttrType::DateTime => {
            let trimmed = value.trim();
            if let Ok(seconds) = trimmed.parse::<i64>() {
                return rfc3339(seconds).map_or_else(
                    || Converted::Text(value.to_owned()),
                    |t| Converted::Value(Value::String(t)),
                );
            }
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(trimmed) {
                return Converted::Value(Value::String(
                    t.with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                ));
            }
            if trimmed.len() == 10 && chrono::NaiveDate::parse_from_str(trimmed, "%Y-%m-%d").is_ok() {
                return Converted::Value(Value::String(trimmed.to_owned()));
            }
            Converted::Text(value.to_owned())
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
            allow_unverified_login_ids: false,
            strict: false,
        }
    }

    fn user(attrs: &[(&str, &str)]) -> CognitoUser {
        let mut attributes: BTreeMap<String, String> =
            attrs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        attributes.entry("sub".to_owned()).or_insert_with(|| "sub-1".to_owned());
        CognitoUser {
            username: "u-1".to_owned(),
            attributes,
            enabled: true,
            status: "CONFIRMED".to_owned(),
            created_at: Some(1_700_000_000),
        }
    }

    /// Maps `u` alone in its pool (the contact index holds just this user).
    fn map(u: &CognitoUser, rules: &MappingRules) -> Result<DesiredUser, Vec<Problem>> {
        let mut contacts = ContactIndex::default();
        contacts.add(u);
        map_user(u, &[], 0, "us-east-1_P", None, rules, &contacts)
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
        let mut contacts = ContactIndex::default();
        contacts.add(&u);
        let d = map_user(&u, &["admins".to_owned()], 0, "us-east-1_P", None, &rules(), &contacts).unwrap();
        assert_eq!(d.login_id, "ana@example.com");
        assert_eq!(
            d.identity,
            Identity {
                pool_id: "us-east-1_P".into(),
                sub: "0b5e-sub".into()
            }
        );
        assert_eq!((d.verified_email, d.verified_phone), (Some(true), Some(false)));
        assert_eq!(d.display_name.as_deref(), Some("Ana Lía"));
        assert_eq!(d.middle_name.as_deref(), Some("Lía"));
        assert_eq!(d.picture.as_deref(), Some("https://img/ana.png"));
        assert_eq!(d.roles, vec!["admins"]);
        assert_eq!(d.warnings, vec![]);
        assert_eq!(
            serde_json::to_value(&d.custom_attributes).unwrap(),
            json!({
                "freshlyMigrated": true,
                "cognitoPoolId": "us-east-1_P",
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
    fn only_verified_contacts_become_login_ids() {
        let verified = [("email_verified", "true"), ("phone_number_verified", "true")];
        let both = |flags: &[(&'static str, &'static str)]| {
            let mut attrs = vec![("email", "a@x.io"), ("phone_number", "+15550003")];
            attrs.extend_from_slice(flags);
            user(&attrs)
        };
        let login = |u: &CognitoUser, strategy, additional| {
            let rules = MappingRules {
                login_id: strategy,
                additional,
                ..rules()
            };
            map(u, &rules).map(|d| (d.login_id, d.additional_login_ids))
        };
        use AdditionalLoginIds as A;
        use LoginIdStrategy as S;
        let ok = |id: &str, more: &[&str]| Ok((id.to_owned(), more.iter().map(|s| (*s).to_owned()).collect()));
        // Table: (user, strategy, additional) -> (login ID, additional login IDs)
        type LoginIds = Result<(String, Vec<String>), Vec<Problem>>;
        let cases: Vec<(CognitoUser, S, A, LoginIds)> = vec![
            (both(&verified), S::Email, A::None, ok("a@x.io", &[])),
            (both(&verified), S::Phone, A::None, ok("+15550003", &[])),
            (both(&verified), S::Username, A::None, ok("u-1", &[])),
            (both(&verified), S::Email, A::Username, ok("a@x.io", &["u-1"])),
            (both(&verified), S::Email, A::All, ok("a@x.io", &["+15550003", "u-1"])),
            // Unverified email: the verified phone, then the username.
            (
                both(&[("phone_number_verified", "true")]),
                S::Email,
                A::None,
                ok("+15550003", &[]),
            ),
            (both(&[]), S::Email, A::None, ok("u-1", &[])),
            (both(&[]), S::Phone, A::None, ok("u-1", &[])),
            // --additional-login-ids never adds an unverified contact either.
            (
                both(&[("email_verified", "true")]),
                S::Email,
                A::All,
                ok("a@x.io", &["u-1"]),
            ),
            (both(&[]), S::EmailOrPhone, A::None, Err(vec![Problem::NoLoginId])),
            (user(&[]), S::Email, A::None, ok("u-1", &[])),
        ];
        for (i, (u, strategy, additional, expected)) in cases.into_iter().enumerate() {
            assert_eq!(login(&u, strategy, additional), expected, "case {i}");
        }
    }

    #[test]
    fn an_unverified_contact_is_migrated_as_a_field_with_a_warning() {
        let u = user(&[("email", "typo@gmial.com"), ("email_verified", "false")]);
        let d = map(&u, &rules()).unwrap();
        assert_eq!(d.login_id, "u-1");
        assert_eq!(d.email.as_deref(), Some("typo@gmial.com"));
        assert_eq!(d.verified_email, Some(false));
        assert_eq!(
            d.warnings,
            vec![Warning::UnverifiedContact {
                kind: "email",
                login_id: "u-1".into()
            }]
        );
        // The flag restores the first version's behaviour.
        let allowed = MappingRules {
            allow_unverified_login_ids: true,
            ..rules()
        };
        assert_eq!(map(&u, &allowed).unwrap().login_id, "typo@gmial.com");
    }

    #[test]
    fn a_shared_contact_goes_to_its_verified_owner_whatever_the_order() {
        let owner = user(&[("sub", "s-owner"), ("email", "Pat@X.io"), ("email_verified", "true")]);
        let mut other = user(&[("sub", "s-other"), ("email", "pat@x.io")]);
        other.username = "u-2".into();
        let mut second_verified = other.clone();
        second_verified
            .attributes
            .insert("email_verified".into(), "true".into());
        let allowed = MappingRules {
            allow_unverified_login_ids: true,
            ..rules()
        };
        for order in [[&owner, &other], [&other, &owner]] {
            let mut contacts = ContactIndex::default();
            for u in order {
                contacts.add(u);
            }
            for rules in [&rules(), &allowed] {
                let owner_d = map_user(&owner, &[], 0, "p", None, rules, &contacts).unwrap();
                assert_eq!(owner_d.login_id, "Pat@X.io");
                let other_d = map_user(&other, &[], 0, "p", None, rules, &contacts).unwrap();
                assert_eq!(other_d.login_id, "u-2", "the unverified holder falls back");
                assert_eq!(other_d.email.as_deref(), Some("pat@x.io"));
                assert!(!other_d.warnings.is_empty());
            }
        }
        // Two verified owners: a conflict for both.
        let mut contacts = ContactIndex::default();
        contacts.add(&owner);
        contacts.add(&second_verified);
        for u in [&owner, &second_verified] {
            let problems = map_user(u, &[], 0, "p", None, &rules(), &contacts).unwrap_err();
            assert!(
                matches!(&problems[..], [Problem::SharedVerifiedContact { owners: 2, .. }]),
                "{problems:?}"
            );
        }
        // Two unverified holders with the flag: neither gets it.
        let mut a = other.clone();
        a.username = "u-3".into();
        let mut contacts = ContactIndex::default();
        contacts.add(&other);
        contacts.add(&a);
        assert_eq!(
            map_user(&a, &[], 0, "p", None, &allowed, &contacts).unwrap().login_id,
            "u-3"
        );
    }

    #[test]
    fn one_bad_value_never_loses_the_user() {
        let u = user(&[
            ("email", "b@x.io"),
            ("email_verified", "yes"),
            ("custom:seats", "twelve"),
            ("custom:beta", "maybe"),
            ("custom:renewal", "next tuesday"),
            ("custom:undeclared", "x"),
        ]);
        let d = map(&u, &rules()).unwrap();
        assert_eq!(d.verified_email, Some(false), "anything but true is not verified");
        assert_eq!(d.login_id, "u-1");
        assert_eq!(d.custom_attributes.get("renewal"), Some(&json!("next tuesday")));
        assert!(!d.custom_attributes.contains_key("seats"));
        assert!(!d.custom_attributes.contains_key("beta"));
        let kinds: Vec<String> = d.warnings.iter().map(Warning::kind).collect();
        assert_eq!(
            kinds,
            vec![
                "email_verified is not a valid boolean (true or false), read as not verified: left out",
                "unverified email: migrated under another login ID",
                "custom:beta is not a valid boolean (true, false, 1 or 0): left out",
                "custom:renewal is not a date: kept as text",
                "custom:seats is not a valid number: left out",
                "custom:undeclared is not a valid attribute declared in the user pool schema: left out",
            ]
        );
        // --strict refuses the user, naming every value.
        let strict = MappingRules {
            strict: true,
            ..rules()
        };
        let problems = map(&u, &strict).unwrap_err();
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
    fn date_times_are_normalised_or_kept_as_written() {
        let cases = [
            ("1700003600", Converted::Value(json!("2023-11-14T23:13:20Z"))),
            (
                "2024-01-15T10:00:00+02:00",
                Converted::Value(json!("2024-01-15T08:00:00Z")),
            ),
            ("2024-01-15", Converted::Value(json!("2024-01-15"))),
            ("2024-02-30", Converted::Text("2024-02-30".into())),
            ("15/01/2024", Converted::Text("15/01/2024".into())),
        ];
        for (input, expected) in cases {
            assert_eq!(convert(input, AttrType::DateTime), expected, "{input}");
        }
        assert_eq!(convert("abc", AttrType::Number), Converted::Invalid);
    }

    #[test]
    fn a_user_without_sub_has_no_identity() {
        let mut u = user(&[("email", "c@x.io")]);
        u.attributes.remove("sub");
        assert_eq!(map(&u, &rules()).unwrap_err(), vec![Problem::NoSub]);
    }

    #[test]
    fn disabled_users_and_tenant_pools() {
        let mut u = user(&[("email", "c@x.io")]);
        u.enabled = false;
        let contacts = ContactIndex::default();
        let d = map_user(&u, &["a b".to_owned()], 1, "p", Some("acme"), &rules(), &contacts).unwrap();
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
