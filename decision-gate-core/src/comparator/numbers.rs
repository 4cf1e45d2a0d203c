//! Decimal-aware number comparison (placeholder during development).
use std::cmp::Ordering;

use serde_json::Number;

/// Decimal-aware ordering of two JSON numbers.
pub fn compare_numbers(_a: &Number, _b: &Number) -> Ordering {
    Ordering::Equal
}

/// Decimal-aware equality of two JSON numbers.
pub fn numbers_equal(a: &Number, b: &Number) -> bool {
    compare_numbers(a, b) == Ordering::Equal
}
