//! Comparator evaluation (placeholder during development).
use serde_json::Value;

use super::Comparator;
use crate::evidence::EvidenceResult;
use crate::requirement::TriState;

/// Compares evidence with the expected value.
pub fn compare(_comparator: Comparator, _expected: Option<&Value>, _result: &EvidenceResult) -> TriState {
    TriState::Unknown
}
