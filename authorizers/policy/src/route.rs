//! Route patterns (`METHOD /path` with `*` wildcards) and how they match.
//!
//! A `*` in a path matches any run of characters, `/` included, exactly as `*` does in the IAM
//! resource ARNs API Gateway evaluates. The decision taken here for one route and the IAM policy
//! built from the same patterns therefore always agree.

use std::fmt;

/// The placeholder a tenant-scoped route may contain; replaced by a tenant ID before matching.
pub const TENANT_PLACEHOLDER: &str = "{tenant}";

/// Longest accepted path pattern, in bytes. The resource ARN built from it must stay under API
/// Gateway's 512-character limit with room for the ARN prefix and a tenant ID.
pub const MAX_PATH_BYTES: usize = 256;

/// An HTTP method of a route pattern, or any method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// Any method (`*` or `ANY` in the document).
    Any,
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
    /// `HEAD`.
    Head,
    /// `OPTIONS`.
    Options,
}

impl Method {
    /// Every concrete method, in the order IAM policies list them.
    pub const CONCRETE: [Method; 7] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Head,
        Method::Options,
    ];

    /// Parses a method as written in a policy (case-insensitive; `*` and `ANY` mean any method).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_uppercase().as_str() {
            "*" | "ANY" => Self::Any,
            "GET" => Self::Get,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "PATCH" => Self::Patch,
            "DELETE" => Self::Delete,
            "HEAD" => Self::Head,
            "OPTIONS" => Self::Options,
            _ => return None,
        })
    }

    /// The method as it appears in an execute-api ARN (`*` for any).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "*",
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
        }
    }

    /// True when this pattern method admits the request method `method` (compared without case).
    pub fn admits(self, method: &str) -> bool {
        self == Self::Any || self.as_str().eq_ignore_ascii_case(method)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A route pattern: a method and a path that starts with `/` and may contain `*` wildcards (and,
/// in tenant-scoped grants, the `{tenant}` placeholder).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Route {
    method: Method,
    path: String,
}

/// Why a route pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// Not of the form `METHOD /path`.
    #[error("expected \"METHOD /path\" (for example \"GET /items/*\")")]
    Shape,
    /// The method is not one API Gateway routes on.
    #[error("unknown method {0:?} (use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, or * for any)")]
    Method(String),
    /// The path does not start with `/`.
    #[error("the path must start with \"/\"")]
    NoLeadingSlash,
    /// The path is longer than [`MAX_PATH_BYTES`].
    #[error("the path is longer than {MAX_PATH_BYTES} bytes")]
    TooLong,
    /// The path has a character that has no place in an execute-api ARN pattern.
    #[error("the path contains {0:?}; only printable ASCII without spaces, '?' or '#' is allowed")]
    Character(char),
    /// A `{name}` other than `{tenant}`, typically an API Gateway path parameter.
    #[error("only {{tenant}} may appear in braces; write a path parameter such as {{id}} as *")]
    Braces,
}

impl Route {
    /// Parses `METHOD /path`.
    pub fn parse(text: &str) -> Result<Self, RouteError> {
        let mut parts = text.split_whitespace();
        let (Some(method), Some(path), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(RouteError::Shape);
        };
        let method = Method::parse(method).ok_or_else(|| RouteError::Method(method.to_owned()))?;
        if !path.starts_with('/') {
            return Err(RouteError::NoLeadingSlash);
        }
        if path.len() > MAX_PATH_BYTES {
            return Err(RouteError::TooLong);
        }
        if let Some(c) = path.chars().find(|c| !c.is_ascii_graphic() || matches!(c, '?' | '#')) {
            return Err(RouteError::Character(c));
        }
        if path.replace(TENANT_PLACEHOLDER, "").contains(['{', '}']) {
            return Err(RouteError::Braces);
        }
        Ok(Self {
            method,
            path: path.to_owned(),
        })
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The path pattern, starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// True when the path contains the `{tenant}` placeholder.
    pub fn has_tenant_placeholder(&self) -> bool {
        self.path.contains(TENANT_PLACEHOLDER)
    }

    /// This route with `{tenant}` replaced by `tenant` (which must be a safe ID, see
    /// [`crate::is_safe_tenant_id`]).
    pub(crate) fn for_tenant(&self, tenant: &str) -> Self {
        Self {
            method: self.method,
            path: self.path.replace(TENANT_PLACEHOLDER, tenant),
        }
    }

    /// True when a request `method path` (path starting with `/`) is covered by this pattern.
    /// A route still holding `{tenant}` matches nothing.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method.admits(method) && !self.has_tenant_placeholder() && glob(&self.path, path)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// IAM-style wildcard match: `*` matches any run of bytes (also empty, also `/`); everything else
/// matches itself. Linear-space backtracking over the last `*`, so O(pattern x text) at worst.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                backtrack = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match backtrack {
                Some((star, start)) => {
                    pi = star + 1;
                    ti = start + 1;
                    backtrack = Some((star, start + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_follows_iam_wildcards() {
        for (pattern, text, expected) in [
            ("/items", "/items", true),
            ("/items", "/items/", false),
            ("/items/*", "/items/1", true),
            ("/items/*", "/items/1/notes", true),
            ("/items/*", "/items/", true),
            ("/items/*", "/items", false),
            ("/*", "/", true),
            ("/*/notes", "/a/b/notes", true),
            ("/*/notes", "/a/notes/x", false),
            ("/a*b*c", "/aXbYc", true),
            ("/a*b*c", "/aXcYb", false),
            ("/**", "/anything", true),
            ("", "", true),
        ] {
            assert_eq!(glob(pattern, text), expected, "{pattern} vs {text}");
        }
    }

    #[test]
    fn routes_parse_and_match() {
        let route = Route::parse("get /items/*").unwrap();
        assert_eq!(route.to_string(), "GET /items/*");
        assert!(route.matches("GET", "/items/7"));
        assert!(route.matches("get", "/items/7"));
        assert!(!route.matches("POST", "/items/7"));
        let any = Route::parse("ANY /health").unwrap();
        assert_eq!(any.method(), Method::Any);
        assert!(any.matches("DELETE", "/health"));
        assert_eq!(Route::parse("* /*").unwrap().to_string(), "* /*");
    }

    #[test]
    fn bad_routes_say_why() {
        assert_eq!(Route::parse("GET"), Err(RouteError::Shape));
        assert_eq!(Route::parse("GET /a /b"), Err(RouteError::Shape));
        assert_eq!(Route::parse("FETCH /a"), Err(RouteError::Method("FETCH".into())));
        assert_eq!(Route::parse("GET items"), Err(RouteError::NoLeadingSlash));
        assert_eq!(Route::parse("GET /a?b"), Err(RouteError::Character('?')));
        assert_eq!(Route::parse("GET /é"), Err(RouteError::Character('é')));
        assert_eq!(Route::parse("GET /items/{id}"), Err(RouteError::Braces));
        assert_eq!(
            Route::parse(&format!("GET /{}", "a".repeat(300))),
            Err(RouteError::TooLong)
        );
        assert!(Route::parse("GET /tenants/{tenant}/items").is_ok());
    }

    #[test]
    fn placeholder_routes_match_only_once_filled() {
        let route = Route::parse("GET /t/{tenant}/items").unwrap();
        assert!(!route.matches("GET", "/t/{tenant}/items"));
        assert!(route.for_tenant("T1").matches("GET", "/t/T1/items"));
        assert!(!route.for_tenant("T1").matches("GET", "/t/T2/items"));
    }
}
