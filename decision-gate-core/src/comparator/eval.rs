//! Comparator evaluation (spec §4.2–§4.5).

use std::cmp::Ordering;

use serde_json::Value;

use super::Comparator;
use super::dates::compare_temporal;
use super::numbers::{compare_numbers, numbers_equal};
use crate::evidence::{EvidenceResult, EvidenceValue};
use crate::requirement::TriState;

/// Compares evidence with the expected value (spec §4.2).
///
/// The caller has already turned provider errors into Unknown, so this implements only the
/// comparator steps:
/// 1. `exists` / `not_exists` look only at whether `result.value` is present (a JSON `null` and
///    bytes count as present); `expected` is ignored.
/// 2. An absent value is Unknown.
/// 3. Bytes evidence supports only `equals` / `not_equals` against a JSON array of integers in
///    `0..=255`; anything else is Unknown.
/// 4. JSON evidence without an expected value is Unknown.
/// 5. JSON evidence is dispatched per comparator (see the spec's table).
///
/// `expected: Some(Value::Null)` is treated as no expected value.
pub fn compare(comparator: Comparator, expected: Option<&Value>, result: &EvidenceResult) -> TriState {
    match comparator {
        Comparator::Exists => return TriState::from(result.value.is_some()),
        Comparator::NotExists => return TriState::from(result.value.is_none()),
        _ => {}
    }
    let Some(value) = &result.value else {
        return TriState::Unknown;
    };
    let expected = expected.filter(|expected| !expected.is_null());
    match value {
        EvidenceValue::Bytes(bytes) => compare_bytes(comparator, expected, bytes),
        EvidenceValue::Json(evidence) => match expected {
            Some(expected) => compare_json(comparator, evidence, expected),
            None => TriState::Unknown,
        },
    }
}

/// Step 3: bytes evidence.
fn compare_bytes(comparator: Comparator, expected: Option<&Value>, bytes: &[u8]) -> TriState {
    let Some(expected) = expected.and_then(expected_bytes) else {
        return TriState::Unknown;
    };
    match comparator {
        Comparator::Equals => TriState::from(bytes == expected.as_slice()),
        Comparator::NotEquals => TriState::from(bytes != expected.as_slice()),
        _ => TriState::Unknown,
    }
}

/// Reads an expected value as a byte array: a JSON array of unsigned integers up to 255.
fn expected_bytes(expected: &Value) -> Option<Vec<u8>> {
    let Value::Array(items) = expected else {
        return None;
    };
    items.iter().map(|item| item.as_u64().and_then(|byte| u8::try_from(byte).ok())).collect()
}

/// Step 5: JSON evidence `evidence` (E) against expected `expected` (X).
fn compare_json(comparator: Comparator, evidence: &Value, expected: &Value) -> TriState {
    match comparator {
        Comparator::Equals => TriState::from(json_equals(evidence, expected)),
        Comparator::NotEquals => TriState::from(!json_equals(evidence, expected)),
        Comparator::GreaterThan => ordering(evidence, expected, Ordering::is_gt),
        Comparator::GreaterThanOrEqual => ordering(evidence, expected, Ordering::is_ge),
        Comparator::LessThan => ordering(evidence, expected, Ordering::is_lt),
        Comparator::LessThanOrEqual => ordering(evidence, expected, Ordering::is_le),
        Comparator::LexGreaterThan => lexicographic(evidence, expected, Ordering::is_gt),
        Comparator::LexGreaterThanOrEqual => lexicographic(evidence, expected, Ordering::is_ge),
        Comparator::LexLessThan => lexicographic(evidence, expected, Ordering::is_lt),
        Comparator::LexLessThanOrEqual => lexicographic(evidence, expected, Ordering::is_le),
        Comparator::Contains => contains(evidence, expected),
        Comparator::InSet => in_set(evidence, expected),
        Comparator::DeepEquals => deep(evidence, expected).map_or(TriState::Unknown, TriState::from),
        Comparator::DeepNotEquals => deep(evidence, expected).map_or(TriState::Unknown, |equal| TriState::from(!equal)),
        // Handled before dispatch; kept total without panicking.
        Comparator::Exists => TriState::True,
        Comparator::NotExists => TriState::False,
    }
}

/// `equals`: decimal equality for two top-level numbers, native structural JSON equality
/// otherwise (nested numbers use serde_json equality, where `1` differs from `1.0`).
fn json_equals(evidence: &Value, expected: &Value) -> bool {
    match (evidence, expected) {
        (Value::Number(left), Value::Number(right)) => numbers_equal(left, right),
        _ => evidence == expected,
    }
}

/// Ordering comparators: two numbers (decimal), two date-times (instant) or two dates
/// (calendar); Unknown otherwise.
fn ordering(evidence: &Value, expected: &Value, accept: fn(Ordering) -> bool) -> TriState {
    let order = match (evidence, expected) {
        (Value::Number(left), Value::Number(right)) => Some(compare_numbers(left, right)),
        (Value::String(left), Value::String(right)) => compare_temporal(left, right),
        _ => None,
    };
    order.map_or(TriState::Unknown, |order| TriState::from(accept(order)))
}

/// Lexicographic comparators: byte-wise UTF-8 ordering of two strings; Unknown otherwise.
fn lexicographic(evidence: &Value, expected: &Value, accept: fn(Ordering) -> bool) -> TriState {
    match (evidence, expected) {
        (Value::String(left), Value::String(right)) => TriState::from(accept(left.as_bytes().cmp(right.as_bytes()))),
        _ => TriState::Unknown,
    }
}

/// `contains`: substring for two strings, superset (by native JSON equality, ignoring
/// multiplicity) for two arrays; Unknown otherwise.
fn contains(evidence: &Value, expected: &Value) -> TriState {
    match (evidence, expected) {
        (Value::String(haystack), Value::String(needle)) => TriState::from(haystack.contains(needle.as_str())),
        (Value::Array(haystack), Value::Array(needles)) => {
            TriState::from(needles.iter().all(|needle| haystack.contains(needle)))
        }
        _ => TriState::Unknown,
    }
}

/// `in_set`: scalar evidence is a member (by native JSON equality) of the expected array.
fn in_set(evidence: &Value, expected: &Value) -> TriState {
    match (evidence, expected) {
        (Value::Array(_) | Value::Object(_), _) => TriState::Unknown,
        (_, Value::Array(members)) => TriState::from(members.contains(evidence)),
        _ => TriState::Unknown,
    }
}

/// `deep_*`: structural equality of two arrays or two objects; `None` for other shapes.
fn deep(evidence: &Value, expected: &Value) -> Option<bool> {
    match (evidence, expected) {
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => Some(evidence == expected),
        _ => None,
    }
}
