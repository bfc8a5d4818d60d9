//! Why a policy document was refused: one variant per problem, each naming where it is.

use crate::{
    field::FieldError,
    format::{Format, SUPPORTED_VERSION},
    route::RouteError,
};

/// Why a policy document was refused. Messages are written for the operator reading the cold
/// start log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The text is not valid JSON or TOML.
    #[error("policy is not valid {format:?}: {message}")]
    Syntax {
        /// The format it was read as.
        format: Format,
        /// The parser's message.
        message: String,
    },
    /// The top level is not an object/table, or has no `version`.
    #[error("policy has no \"version\" (write \"version\": {SUPPORTED_VERSION} at the top level)")]
    MissingVersion,
    /// A version this build does not understand.
    #[error("policy version {found} is not supported (this authorizer understands version {SUPPORTED_VERSION})")]
    UnsupportedVersion {
        /// The version in the document, as written.
        found: String,
    },
    /// A field is unknown, missing or of the wrong type.
    #[error("policy is malformed: {0}")]
    Shape(String),
    /// A route pattern is invalid.
    #[error("policy route {route:?} at {location} is invalid: {reason}")]
    Route {
        /// The route as written.
        route: String,
        /// Where it is (`apigateway.roles.admin`).
        location: String,
        /// What is wrong.
        reason: RouteError,
    },
    /// A role or permission name is empty.
    #[error("policy has an empty role or permission name at {0}")]
    EmptyName(String),
    /// The tenant source is incomplete or inconsistent.
    #[error("policy tenant source is invalid: {0}")]
    TenantSource(String),
    /// `{tenant}` used where no tenant is known.
    #[error("policy route {route:?} at {location} uses {{tenant}}, which only tenant-scoped grants may use")]
    PlaceholderOutsideTenants {
        /// The route as written.
        route: String,
        /// Where it is.
        location: String,
    },
    /// An AppSync `Type.field` name is invalid.
    #[error("policy field {field:?} at {location} is invalid: {reason}")]
    Field {
        /// The field as written.
        field: String,
        /// Where it is (`appsync.roles.admin`).
        location: String,
        /// What is wrong.
        reason: FieldError,
    },
    /// The same AppSync field appears twice in one list.
    #[error("policy field {field:?} is listed twice at {location}")]
    DuplicateField {
        /// The field as written.
        field: String,
        /// Where it is.
        location: String,
    },
    /// With the `pathParameter` tenant source, a tenant grant without `{tenant}` would apply to
    /// every tenant's paths.
    #[error(
        "policy route {route:?} at {location} must contain {{tenant}}: with the pathParameter tenant source the tenant is the path segment at {{tenant}}"
    )]
    PlaceholderRequired {
        /// The route as written.
        route: String,
        /// Where it is.
        location: String,
    },
}
