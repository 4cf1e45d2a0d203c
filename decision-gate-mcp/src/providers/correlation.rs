//! Client correlation ids (mcp-surface §14.2): trimmed, non-empty, at most 128 characters,
//! visible ASCII limited to RFC 7230 token characters.

/// Longest accepted correlation id, in characters.
pub const MAX_CORRELATION_ID_CHARS: usize = 128;

/// Why a correlation id was rejected; [`label`](CorrelationIdError::label) gives the audit label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CorrelationIdError {
    /// Nothing left after trimming.
    #[error("correlation id is empty")]
    EmptyAfterTrim,
    /// More than 128 characters.
    #[error("correlation id is longer than 128 characters")]
    TooLong,
    /// Inner whitespace.
    #[error("correlation id contains whitespace")]
    ContainsWhitespace,
    /// A control character.
    #[error("correlation id contains a control character")]
    ContainsControlChar,
    /// A character outside ASCII.
    #[error("correlation id is not ASCII")]
    NonAscii,
    /// An ASCII character that is not a token character.
    #[error("correlation id contains a character outside the token set")]
    ContainsDisallowedChar,
}

impl CorrelationIdError {
    /// The audit label (`empty_after_trim`, `too_long`, …).
    pub fn label(self) -> &'static str {
        match self {
            CorrelationIdError::EmptyAfterTrim => "empty_after_trim",
            CorrelationIdError::TooLong => "too_long",
            CorrelationIdError::ContainsWhitespace => "contains_whitespace",
            CorrelationIdError::ContainsControlChar => "contains_control_char",
            CorrelationIdError::NonAscii => "non_ascii",
            CorrelationIdError::ContainsDisallowedChar => "contains_disallowed_char",
        }
    }
}

/// Whether `c` is an RFC 7230 token character.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Trims and checks a correlation id, returning the trimmed text.
pub fn sanitize_correlation_id(raw: &str) -> Result<&str, CorrelationIdError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(CorrelationIdError::EmptyAfterTrim);
    }
    if trimmed.chars().count() > MAX_CORRELATION_ID_CHARS {
        return Err(CorrelationIdError::TooLong);
    }
    if !trimmed.is_ascii() {
        return Err(CorrelationIdError::NonAscii);
    }
    if trimmed.chars().any(|c| c.is_ascii_whitespace()) {
        return Err(CorrelationIdError::ContainsWhitespace);
    }
    if trimmed.chars().any(|c| c.is_ascii_control()) {
        return Err(CorrelationIdError::ContainsControlChar);
    }
    if !trimmed.chars().all(is_token_char) {
        return Err(CorrelationIdError::ContainsDisallowedChar);
    }
    Ok(trimmed)
}
