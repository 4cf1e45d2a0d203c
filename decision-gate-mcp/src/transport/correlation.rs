//! Correlation ids (mcp-surface §14.2): server ids per request, validation of client ids.

use std::sync::atomic::{AtomicU64, Ordering};

/// Longest accepted client correlation id.
pub const MAX_CLIENT_CORRELATION_ID: usize = 128;

/// Issues `dg-<boot id 16 hex>-<sequence 16 hex>` ids; the boot id is 64 random bits per process.
#[derive(Debug)]
pub struct CorrelationIds {
    boot_id: u64,
    sequence: AtomicU64,
}

impl Default for CorrelationIds {
    fn default() -> Self {
        CorrelationIds { boot_id: rand::random(), sequence: AtomicU64::new(0) }
    }
}

impl CorrelationIds {
    /// The next server correlation id (sequence from 1).
    pub fn next(&self) -> String {
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        format!("dg-{:016x}-{:016x}", self.boot_id, sequence)
    }
}

/// Why a client correlation id was rejected (the only thing ever logged about it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CorrelationRejection {
    /// Nothing left after trimming.
    EmptyAfterTrim,
    /// More than 128 characters.
    TooLong,
    /// Contains whitespace.
    ContainsWhitespace,
    /// Contains a control character.
    ContainsControlChar,
    /// Not ASCII (or not visible ASCII in a header).
    NonAscii,
    /// A character outside the RFC 7230 token set.
    ContainsDisallowedChar,
}

impl CorrelationRejection {
    /// The audit label.
    pub fn label(self) -> &'static str {
        match self {
            CorrelationRejection::EmptyAfterTrim => "empty_after_trim",
            CorrelationRejection::TooLong => "too_long",
            CorrelationRejection::ContainsWhitespace => "contains_whitespace",
            CorrelationRejection::ContainsControlChar => "contains_control_char",
            CorrelationRejection::NonAscii => "non_ascii",
            CorrelationRejection::ContainsDisallowedChar => "contains_disallowed_char",
        }
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Validates a client correlation id; returns the trimmed id.
pub fn sanitize_client_correlation_id(raw: &str) -> Result<String, CorrelationRejection> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(CorrelationRejection::EmptyAfterTrim);
    }
    if trimmed.chars().count() > MAX_CLIENT_CORRELATION_ID {
        return Err(CorrelationRejection::TooLong);
    }
    if !trimmed.is_ascii() {
        return Err(CorrelationRejection::NonAscii);
    }
    if trimmed.chars().any(char::is_whitespace) {
        return Err(CorrelationRejection::ContainsWhitespace);
    }
    if trimmed.chars().any(|c| c.is_control()) {
        return Err(CorrelationRejection::ContainsControlChar);
    }
    if !trimmed.chars().all(is_token_char) {
        return Err(CorrelationRejection::ContainsDisallowedChar);
    }
    Ok(trimmed.to_owned())
}

/// Validates raw header bytes: anything that is not visible ASCII is `non_ascii`.
pub fn sanitize_header_correlation_id(raw: &[u8]) -> Result<String, CorrelationRejection> {
    match std::str::from_utf8(raw) {
        Ok(text) if text.is_ascii() => sanitize_client_correlation_id(text),
        _ => Err(CorrelationRejection::NonAscii),
    }
}

/// Whether a string is already a valid correlation token.
pub fn is_valid_token(text: &str) -> bool {
    sanitize_client_correlation_id(text).is_ok_and(|clean| clean == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_ids_have_the_documented_shape() {
        let ids = CorrelationIds::default();
        let first = ids.next();
        let second = ids.next();
        assert_eq!(first.len(), 3 + 16 + 1 + 16);
        assert!(first.starts_with("dg-") && first.ends_with("-0000000000000001"));
        assert!(second.ends_with("-0000000000000002"));
        assert_eq!(first[3..19], second[3..19]);
    }

    #[test]
    fn client_id_rules() {
        assert_eq!(sanitize_client_correlation_id("  abc-1.2_X~ ").unwrap(), "abc-1.2_X~");
        assert_eq!(sanitize_client_correlation_id("   "), Err(CorrelationRejection::EmptyAfterTrim));
        assert_eq!(sanitize_client_correlation_id(&"a".repeat(129)), Err(CorrelationRejection::TooLong));
        assert!(sanitize_client_correlation_id(&"a".repeat(128)).is_ok());
        assert_eq!(sanitize_client_correlation_id("a b"), Err(CorrelationRejection::ContainsWhitespace));
        assert_eq!(sanitize_client_correlation_id("a\u{1}b"), Err(CorrelationRejection::ContainsControlChar));
        assert_eq!(sanitize_client_correlation_id("é"), Err(CorrelationRejection::NonAscii));
        assert_eq!(sanitize_client_correlation_id("a/b"), Err(CorrelationRejection::ContainsDisallowedChar));
        assert_eq!(sanitize_header_correlation_id(&[0xff]), Err(CorrelationRejection::NonAscii));
        assert!(is_valid_token("ok-1"));
        assert!(!is_valid_token(" ok"));
    }
}
