//! The authorizers' authorization policy: one declarative, versioned document that maps Descope
//! project roles, tenant roles and permissions to the API routes they may call. Default deny.
//!
//! ```
//! let doc = authz_policy::PolicyDocument::parse(r#"{
//!   "version": 1,
//!   "apigateway": {
//!     "authenticated": ["GET /me"],
//!     "roles": {"admin": ["* /*"]},
//!     "permissions": {"items.write": ["POST /items", "PUT /items/*"]}
//!   }
//! }"#)?;
//! let policy = doc.apigateway().ok_or("no apigateway section")?;
//! let roles = vec!["viewer".to_owned()];
//! let permissions = vec!["items.write".to_owned()];
//! let grants = policy.grants(&authz_policy::Principal::new(&roles, &permissions), None);
//! assert!(grants.allows("PUT", "/items/7"));
//! assert!(!grants.allows("DELETE", "/items/7"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The crate is pure: no AWS types, no I/O besides parsing text handed to it. The document layout
//! is `{"version": 1, "apigateway": {...}, "appsync": {...}}`; each authorizer reads its own
//! section. The `apigateway` section grants routes ([`ApiGatewayPolicy`]); the `appsync` section
//! protects GraphQL fields written `Type.field` ([`AppSyncPolicy`]).

// Layered, each module using only those of the layers before it (tests/structure checks there
// is no circle): format, names, route, field; error; section; apigateway, appsync; document.
mod apigateway;
mod appsync;
mod document;
mod error;
mod field;
mod format;
mod names;
mod route;
mod section;

pub use apigateway::{ApiGatewayPolicy, Grants};
pub use appsync::{AppSyncPolicy, FieldGrants, OperationType};
pub use document::PolicyDocument;
pub use error::PolicyError;
pub use field::{FieldError, FieldName};
pub use format::{Format, SUPPORTED_VERSION};
pub use names::{is_graphql_name, is_safe_tenant_id};
pub use route::{MAX_PATH_BYTES, Method, Route, RouteError, TENANT_PLACEHOLDER};
pub use section::{Membership, Principal, TenantSource};
