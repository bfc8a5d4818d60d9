//! A value that must never be printed, and is cleared from memory when dropped.

use zeroize::Zeroize as _;

/// A secret (the management key, a user's password, a session or refresh JWT): its `Debug` never
/// shows the value, so no `{:?}` of anything holding it (settings, the client, a request body, an
/// answer) can leak it; there is deliberately no `Display`. Its bytes are overwritten when it is
/// dropped (`zeroize`). Copies made by others are out of its reach: the JSON body serde writes
/// and reqwest/hyper send, TLS buffers, the caller's own strings, and an answer's bytes before
/// they are parsed into a `Secret`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that needs it (a header, a request body).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::from("K2the-key".to_owned());
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{secret:#?}"), "<redacted>");
        assert_eq!(secret.expose(), "K2the-key");
    }

    #[test]
    fn serde_carries_the_value_and_debug_of_a_holder_hides_it() {
        #[derive(Debug, serde::Deserialize, serde::Serialize)]
        struct Holder {
            password: Secret,
        }
        let holder: Holder = serde_json::from_str(r#"{"password": "hunter2"}"#).unwrap();
        assert_eq!(holder.password.expose(), "hunter2");
        assert!(!format!("{holder:?}").contains("hunter2"));
        assert_eq!(serde_json::to_string(&holder).unwrap(), r#"{"password":"hunter2"}"#);
    }
}
