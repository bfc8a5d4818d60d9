//! Name checks both sections use: GraphQL names, tenant IDs that may enter a route, and the
//! header or path parameter a tenant source names. Pure predicates; the callers word the errors.

/// True for a GraphQL name: `[_A-Za-z][_0-9A-Za-z]*`.
pub fn is_graphql_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

/// True when a tenant ID may be put into a route: 1 to 128 characters of `A-Z a-z 0-9 . _ - :`,
/// not only dots. Anything else (a `*`, a `/`) could widen an ARN pattern, and `.` or `..` would
/// make `/tenants/{tenant}/*` a dot segment that HTTP clients and servers may resolve away, so
/// such a tenant gets no grants.
pub fn is_safe_tenant_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
        && !id.bytes().all(|b| b == b'.')
}

/// True for the name of a tenant header or path parameter: letters, digits, `-` or `_`.
pub(crate) fn is_parameter_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_tenant_ids_are_recognised() {
        assert!(is_safe_tenant_id("T2abc_def-1.x:y"));
        assert!(is_safe_tenant_id(".a.") && is_safe_tenant_id("a..b"));
        // A tenant made only of dots would turn `/tenants/{tenant}/*` into `/tenants/../*`.
        for bad in ["", "a*", "a/b", "a b", "a?", &"x".repeat(129), ".", "..", "..."] {
            assert!(!is_safe_tenant_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn graphql_and_parameter_names() {
        for good in ["Query", "_x", "a1_B"] {
            assert!(is_graphql_name(good), "{good}");
        }
        for bad in ["", "1a", "e-mail", " x", "a.b"] {
            assert!(!is_graphql_name(bad), "{bad}");
        }
        assert!(is_parameter_name("X-Tenant_Id9"));
        for bad in ["", "x y", "a.b", "é"] {
            assert!(!is_parameter_name(bad), "{bad}");
        }
    }
}
