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

mod apigateway;
mod appsync;
mod document;
mod route;

pub use apigateway::{ApiGatewayPolicy, Grants, Membership, Principal, TenantSource};
pub use appsync::{AppSyncPolicy, FieldError, FieldGrants, FieldName, OperationType, is_graphql_name};
pub use document::{Format, PolicyDocument, PolicyError, SUPPORTED_VERSION};
pub use route::{MAX_PATH_BYTES, Method, Route, RouteError, TENANT_PLACEHOLDER, is_safe_tenant_id};
