//! Decimal-aware comparison of JSON numbers (spec §4.4).
//!
//! A JSON number is either an exact integer (it fitted u64 or i64 at parse time) or an f64.
//! Each number stands for the exact decimal written by its canonical text: the integer digits,
//! or the shortest round-trip text of the f64. Two numbers are compared as those decimals,
//! scale-insensitively, so `1 == 1.0`, `1e3 == 1000` and `-0.0 == 0.0`, while the exact integer
//! `9007199254740993` differs from the f64 `9007199254740992.0`.
//!
//! Fast paths: two integers compare as `i128`; two floats compare natively (distinct doubles
//! have distinct shortest texts whose decimal order matches the numeric order, and `-0.0` equals
//! `0.0`). Only mixed integer/float pairs go through [`BigDecimal`].

use std::cmp::Ordering;
use std::str::FromStr;

use bigdecimal::BigDecimal;
use serde_json::Number;

use crate::hashing::canonical_number_text;

/// The two representations a JSON number can have.
#[derive(Clone, Copy, Debug)]
enum Repr {
    /// An integer that fitted u64 or i64 (every such value fits i128).
    Int(i128),
    /// Any other number.
    Float(f64),
}

fn repr(number: &Number) -> Repr {
    if let Some(unsigned) = number.as_u64() {
        Repr::Int(i128::from(unsigned))
    } else if let Some(signed) = number.as_i64() {
        Repr::Int(i128::from(signed))
    } else {
        // Without `arbitrary_precision` every non-integer number is an f64, so `as_f64` is
        // always `Some`; 0.0 is an unreachable fallback that keeps this total.
        Repr::Float(number.as_f64().unwrap_or(0.0))
    }
}

/// Orders an exact integer against an f64 through the decimal text of the f64.
fn compare_int_float(int: i128, float: f64, float_number: &Number) -> Ordering {
    match BigDecimal::from_str(&canonical_number_text(float_number)) {
        Ok(decimal) => BigDecimal::from(int).cmp(&decimal),
        // The canonical text of a finite f64 always parses; fall back to a float comparison
        // rather than panicking.
        #[allow(clippy::cast_precision_loss)]
        Err(_) => (int as f64).partial_cmp(&float).unwrap_or(Ordering::Equal),
    }
}

/// Decimal-aware ordering of two JSON numbers (spec §4.4).
///
/// Each number is read as the exact decimal of its canonical text (exact digits for integers
/// that fit u64/i64, the shortest round-trip text for f64s) and the decimals are compared
/// scale-insensitively. The result is a total order: `compare_numbers(a, b)` is always
/// `compare_numbers(b, a).reverse()`.
pub fn compare_numbers(a: &Number, b: &Number) -> Ordering {
    match (repr(a), repr(b)) {
        (Repr::Int(x), Repr::Int(y)) => x.cmp(&y),
        // JSON numbers are finite, so `partial_cmp` is always `Some`.
        (Repr::Float(x), Repr::Float(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Repr::Int(x), Repr::Float(y)) => compare_int_float(x, y, b),
        (Repr::Float(x), Repr::Int(y)) => compare_int_float(y, x, a).reverse(),
    }
}

/// Decimal-aware equality of two JSON numbers (spec §4.4): `1 == 1.0`, `1e3 == 1000`,
/// `-0.0 == 0.0`, but the exact integer `9007199254740993` is not the f64 `9007199254740992.0`.
pub fn numbers_equal(a: &Number, b: &Number) -> bool {
    compare_numbers(a, b) == Ordering::Equal
}
