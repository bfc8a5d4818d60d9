//! What a policy document is written in: its text format, and the document version this build
//! reads (both named in [`crate::PolicyError`] messages, so they sit below it).

/// The only document version this build understands.
pub const SUPPORTED_VERSION: u64 = 1;

/// The text format of a policy document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON.
    Json,
    /// TOML.
    Toml,
}

impl Format {
    /// JSON when the text starts with `{` (after whitespace), TOML otherwise.
    pub fn detect(text: &str) -> Self {
        if text.trim_start().starts_with('{') {
            Self::Json
        } else {
            Self::Toml
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_detected() {
        assert_eq!(Format::detect("  {\"version\": 1}"), Format::Json);
        assert_eq!(Format::detect("version = 1"), Format::Toml);
    }
}
