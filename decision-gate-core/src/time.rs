//! Caller-supplied timestamps. The engine never reads a clock.

use serde::{Deserialize, Serialize};

/// A point in time supplied by the caller: wall-clock milliseconds or a logical counter.
///
/// Wire form (adjacently tagged): `{"kind":"unix_millis","value":<i64>}` or
/// `{"kind":"logical","value":<u64>}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Timestamp {
    /// Milliseconds since the Unix epoch (may be negative).
    UnixMillis(i64),
    /// A logical clock value.
    Logical(u64),
}

/// Why a deadline could not be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadlineError {
    /// The two timestamps are of different kinds.
    KindMismatch,
    /// The addition overflowed (or the timeout does not fit an `i64`).
    Overflow,
}

impl Timestamp {
    /// The wire label of the kind.
    pub fn kind_label(&self) -> &'static str {
        match self {
            Timestamp::UnixMillis(_) => "unix_millis",
            Timestamp::Logical(_) => "logical",
        }
    }

    /// Whether `self` is at or past `start + timeout_ms`, in the same timestamp kind.
    ///
    /// Unix millis use checked `i64` addition (the timeout must fit an `i64`); logical
    /// timestamps add the timeout to the counter with checked `u64` addition.
    pub fn reached_deadline(&self, start: &Timestamp, timeout_ms: u64) -> Result<bool, DeadlineError> {
        match (start, self) {
            (Timestamp::UnixMillis(begin), Timestamp::UnixMillis(now)) => {
                let timeout = i64::try_from(timeout_ms).map_err(|_| DeadlineError::Overflow)?;
                let deadline = begin.checked_add(timeout).ok_or(DeadlineError::Overflow)?;
                Ok(*now >= deadline)
            }
            (Timestamp::Logical(begin), Timestamp::Logical(now)) => {
                let deadline = begin.checked_add(timeout_ms).ok_or(DeadlineError::Overflow)?;
                Ok(*now >= deadline)
            }
            _ => Err(DeadlineError::KindMismatch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_is_adjacently_tagged() {
        assert_eq!(serde_json::to_string(&Timestamp::UnixMillis(-5)).unwrap(), r#"{"kind":"unix_millis","value":-5}"#);
        assert_eq!(serde_json::to_string(&Timestamp::Logical(7)).unwrap(), r#"{"kind":"logical","value":7}"#);
        let parsed: Timestamp = serde_json::from_str(r#"{"value":3,"kind":"logical"}"#).unwrap();
        assert_eq!(parsed, Timestamp::Logical(3));
        assert!(serde_json::from_str::<Timestamp>(r#"{"kind":"logical","value":-1}"#).is_err());
        assert!(serde_json::from_str::<Timestamp>(r#"{"kind":"wall","value":1}"#).is_err());
    }

    #[test]
    fn deadlines_use_checked_arithmetic_in_one_kind() {
        let start = Timestamp::Logical(5);
        assert_eq!(Timestamp::Logical(9).reached_deadline(&start, 5), Ok(false));
        assert_eq!(Timestamp::Logical(10).reached_deadline(&start, 5), Ok(true));
        assert_eq!(
            Timestamp::Logical(10).reached_deadline(&Timestamp::Logical(u64::MAX), 1),
            Err(DeadlineError::Overflow)
        );
        assert_eq!(Timestamp::UnixMillis(10).reached_deadline(&start, 5), Err(DeadlineError::KindMismatch));
        assert_eq!(
            Timestamp::UnixMillis(0).reached_deadline(&Timestamp::UnixMillis(0), u64::MAX),
            Err(DeadlineError::Overflow)
        );
        assert_eq!(Timestamp::UnixMillis(-1).reached_deadline(&Timestamp::UnixMillis(-6), 5), Ok(true));
        assert_eq!(Timestamp::UnixMillis(0).reached_deadline(&Timestamp::UnixMillis(0), 0), Ok(true));
    }
}
