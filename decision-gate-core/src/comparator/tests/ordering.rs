//! §4.2 step 5, ordering: numbers (§4.4), dates and date-times (§4.5), the date parsers, the
//! lexicographic comparators, and `compare_numbers` / `numbers_equal` directly.

use std::cmp::Ordering;

use serde_json::json;

use super::{eval, num, run_table};
use crate::comparator::dates::{compare_temporal, parse_date_only, parse_date_time};
use crate::comparator::{Comparator, compare_numbers, numbers_equal};
use crate::requirement::TriState;
use Comparator::*;
use TriState::{False as F, True as T, Unknown as U};

// ---------------------------------------------------------------------------------------------
// §4.2 step 5: ordering comparators (numbers, §4.4; dates and date-times, §4.5)
// ---------------------------------------------------------------------------------------------

/// Asserts all four ordering comparators for `evidence` vs `expected` given the expected
/// ordering (`None` = every ordering comparator is Unknown).
fn assert_ordering(evidence: &str, expected: &str, want: Option<Ordering>) {
    let expect = |accept: fn(Ordering) -> bool| want.map_or(U, |order| TriState::from(accept(order)));
    run_table(&[
        (GreaterThan, evidence, expected, expect(Ordering::is_gt)),
        (GreaterThanOrEqual, evidence, expected, expect(Ordering::is_ge)),
        (LessThan, evidence, expected, expect(Ordering::is_lt)),
        (LessThanOrEqual, evidence, expected, expect(Ordering::is_le)),
    ]);
}

#[test]
fn ordering_explicit_rows() {
    run_table(&[
        (GreaterThan, "2", "1", T),
        (GreaterThan, "1", "2", F),
        (GreaterThan, "1", "1", F),
        (GreaterThanOrEqual, "1", "1.0", T),
        (GreaterThanOrEqual, "0", "1", F),
        (LessThan, "1", "1.0", F),
        (LessThan, "1", "1.5", T),
        (LessThanOrEqual, "1", "1.0", T),
        (LessThanOrEqual, "2", "1", F),
        (GreaterThan, "9007199254740993", "9007199254740992", T),
        (GreaterThan, "9007199254740993", "9007199254740992.0", T),
        (GreaterThan, "18446744073709551615", "-1", T),
        (LessThan, "-1", "18446744073709551615", T),
        (GreaterThanOrEqual, "1", "true", U),
        (GreaterThan, "\"123\"", "123", U),
        (LessThan, "123", "\"124\"", U),
        (GreaterThan, "\"b\"", "\"a\"", U),
        (GreaterThan, "\"2024-01-02T00:00:00Z\"", "\"2024-01-01T00:00:00Z\"", T),
        (LessThan, "\"2024-01-02\"", "\"2024-01-03\"", T),
    ]);
}

#[test]
fn ordering_numbers() {
    let rows: &[(&str, &str, Ordering)] = &[
        ("2", "1", Ordering::Greater),
        ("1", "1", Ordering::Equal),
        ("1", "1.0", Ordering::Equal),
        ("1e3", "1000", Ordering::Equal),
        ("1.5e-2", "0.015", Ordering::Equal),
        ("-0.0", "0", Ordering::Equal),
        ("-0.0", "0.0", Ordering::Equal),
        ("1.5", "1", Ordering::Greater),
        ("-1.5", "-1", Ordering::Less),
        ("0.1", "0.09999999999999999", Ordering::Greater),
        ("9007199254740993", "9007199254740992", Ordering::Greater),
        ("9007199254740993", "9007199254740992.0", Ordering::Greater),
        ("9007199254740992.0", "9007199254740993", Ordering::Less),
        ("18446744073709551615", "-1", Ordering::Greater),
        ("-9223372036854775808", "18446744073709551615", Ordering::Less),
        ("1e300", "18446744073709551615", Ordering::Greater),
        ("-1e300", "-9223372036854775808", Ordering::Less),
        ("5e-324", "0", Ordering::Greater),
        ("-5e-324", "0", Ordering::Less),
        ("-1e-300", "-0.0", Ordering::Less),
    ];
    for &(evidence, expected, order) in rows {
        assert_ordering(evidence, expected, Some(order));
    }
}

#[test]
fn ordering_shape_mismatches_are_unknown() {
    let rows: &[(&str, &str)] = &[
        ("1", "true"),
        ("true", "1"),
        ("true", "false"),
        ("\"123\"", "123"),
        ("123", "\"123\""),
        ("\"1e3\"", "1000"),
        ("\"b\"", "\"a\""),
        ("\"abc\"", "\"abc\""),
        ("null", "0"),
        ("null", "\"2024-01-01\""),
        ("[2]", "[1]"),
        ("[2]", "1"),
        ("{}", "{}"),
        ("{\"a\":2}", "{\"a\":1}"),
        ("1", "\"2024-01-01\""),
        ("\"2024-01-01\"", "20240101"),
    ];
    for &(evidence, expected) in rows {
        assert_ordering(evidence, expected, None);
    }
}

#[test]
fn ordering_date_times_as_instants() {
    let rows: &[(&str, &str, Option<Ordering>)] = &[
        ("2024-01-02T00:00:00Z", "2024-01-01T00:00:00Z", Some(Ordering::Greater)),
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", Some(Ordering::Equal)),
        // Same instant, different offsets.
        ("2024-01-01T01:00:00+01:00", "2024-01-01T00:00:00Z", Some(Ordering::Equal)),
        ("2024-01-01T00:00:00-05:00", "2024-01-01T05:00:00Z", Some(Ordering::Equal)),
        ("2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00Z", Some(Ordering::Equal)),
        // Later wall clock, earlier instant.
        ("2024-01-01T00:30:00+01:00", "2024-01-01T00:00:00Z", Some(Ordering::Less)),
        ("2023-12-31T23:30:00-01:00", "2024-01-01T00:00:00Z", Some(Ordering::Greater)),
        // Fractional seconds.
        ("2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00Z", Some(Ordering::Greater)),
        ("2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00Z", Some(Ordering::Equal)),
        // Not RFC 3339 (no offset), and not a date either.
        ("2024-01-01T00:00:00", "2024-01-01T00:00:00Z", None),
        ("2024-01-01T25:00:00Z", "2024-01-01T00:00:00Z", None),
        ("2024-02-30T00:00:00Z", "2024-01-01T00:00:00Z", None),
        // One date-time and one date.
        ("2024-01-01T00:00:00Z", "2024-01-01", None),
        ("2024-01-01", "2024-01-01T00:00:00Z", None),
        ("2024-01-02", "2024-01-01T00:00:00-05:00", None),
    ];
    for &(evidence, expected, order) in rows {
        assert_ordering(&json!(evidence).to_string(), &json!(expected).to_string(), order);
    }
}

#[test]
fn ordering_dates_as_calendar_dates() {
    let rows: &[(&str, &str, Option<Ordering>)] = &[
        ("2024-01-02", "2024-01-01", Some(Ordering::Greater)),
        ("2024-01-01", "2024-01-01", Some(Ordering::Equal)),
        ("2023-12-31", "2024-01-01", Some(Ordering::Less)),
        // Lenient forms.
        ("2024-1-2", "2024-01-02", Some(Ordering::Equal)),
        ("2024-1-10", "2024-01-09", Some(Ordering::Greater)),
        ("+2024-01-02", "2024-01-02", Some(Ordering::Equal)),
        ("10000-01-01", "9999-12-31", Some(Ordering::Greater)),
        ("0-01-01", "1-01-01", Some(Ordering::Less)),
        ("2024-02-29", "2024-03-01", Some(Ordering::Less)),
        // Invalid calendar dates.
        ("2024-02-30", "2024-01-01", None),
        ("2023-02-29", "2024-01-01", None),
        ("2024-13-01", "2024-01-01", None),
        ("2024-00-01", "2024-01-01", None),
        ("2024-01-00", "2024-01-01", None),
        ("2024-01-01", "2024-01-32", None),
        // Wrong number of parts, or junk.
        ("2024-01", "2024-01-01", None),
        ("2024-01-01-01", "2024-01-01", None),
        ("2024/01/01", "2024-01-01", None),
        (" 2024-01-01", "2024-01-01", None),
        ("2024-01-01 ", "2024-01-01", None),
        ("2024--01", "2024-01-01", None),
        ("abcd-ef-gh", "2024-01-01", None),
        ("", "2024-01-01", None),
        ("2024-01-01", "", None),
        // A leading '-' on the year makes four parts (split on every '-').
        ("-0044-03-15", "2024-01-01", None),
        // Year out of i32 range.
        ("2147483648-01-01", "2024-01-01", None),
    ];
    for &(evidence, expected, order) in rows {
        assert_ordering(&json!(evidence).to_string(), &json!(expected).to_string(), order);
    }
}

#[test]
fn date_parsers_directly() {
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d);
    assert_eq!(parse_date_only("2024-01-02"), date(2024, 1, 2));
    assert_eq!(parse_date_only("2024-1-2"), date(2024, 1, 2));
    assert_eq!(parse_date_only("+2024-01-02"), date(2024, 1, 2));
    assert_eq!(parse_date_only("02024-001-002"), date(2024, 1, 2));
    assert_eq!(parse_date_only("-2024-01-02"), None);
    assert_eq!(parse_date_only("2024-01-02T00:00:00Z"), None);
    assert_eq!(parse_date_only("2024-02-30"), None);
    assert!(parse_date_time("2024-01-02T03:04:05Z").is_some());
    assert!(parse_date_time("2024-01-02T03:04:05.123456789+05:30").is_some());
    assert!(parse_date_time("2024-01-02").is_none());
    assert!(parse_date_time("2024-01-02T03:04:05").is_none());
    assert_eq!(compare_temporal("2024-01-02", "2024-01-01"), Some(Ordering::Greater));
    assert_eq!(compare_temporal("2024-01-02T00:00:00Z", "2024-01-01"), None);
}

// ---------------------------------------------------------------------------------------------
// §4.2 step 5: lexicographic comparators
// ---------------------------------------------------------------------------------------------

#[test]
fn lexicographic_strings_bytewise() {
    let rows: &[(&str, &str, Ordering)] = &[
        ("b", "a", Ordering::Greater),
        ("a", "b", Ordering::Less),
        ("a", "a", Ordering::Equal),
        ("", "", Ordering::Equal),
        ("", "a", Ordering::Less),
        ("a", "ab", Ordering::Less),
        // Case-sensitive: 'B' (0x42) < 'a' (0x61).
        ("B", "a", Ordering::Less),
        ("a", "A", Ordering::Greater),
        // Digits compare as text.
        ("10", "9", Ordering::Less),
        ("2024-10-01", "2024-9-01", Ordering::Less),
        // UTF-8 bytes = code points: U+00E9 > 'z'; U+FF61 < U+1F600 (UTF-16 would disagree).
        ("\u{e9}", "z", Ordering::Greater),
        ("\u{ff61}", "\u{1f600}", Ordering::Less),
    ];
    for &(evidence, expected, order) in rows {
        let (e, x) = (json!(evidence).to_string(), json!(expected).to_string());
        run_table(&[
            (LexGreaterThan, &e, &x, TriState::from(order.is_gt())),
            (LexGreaterThanOrEqual, &e, &x, TriState::from(order.is_ge())),
            (LexLessThan, &e, &x, TriState::from(order.is_lt())),
            (LexLessThanOrEqual, &e, &x, TriState::from(order.is_le())),
        ]);
    }
}

#[test]
fn lexicographic_non_strings_are_unknown() {
    let comparators = [LexGreaterThan, LexGreaterThanOrEqual, LexLessThan, LexLessThanOrEqual];
    let rows: &[(&str, &str)] = &[
        ("2", "1"),
        ("\"2\"", "1"),
        ("2", "\"1\""),
        ("null", "\"a\""),
        ("true", "\"a\""),
        ("[\"b\"]", "[\"a\"]"),
        ("{}", "\"a\""),
        ("\"a\"", "[\"a\"]"),
    ];
    for &(evidence, expected) in rows {
        for comparator in comparators {
            assert_eq!(eval(comparator, evidence, expected), U, "{comparator}({evidence}, {expected})");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// §4.4 numbers: compare_numbers / numbers_equal directly
// ---------------------------------------------------------------------------------------------

#[test]
fn compare_numbers_table() {
    let rows: &[(&str, &str, Ordering)] = &[
        ("1", "1.0", Ordering::Equal),
        ("1e3", "1000", Ordering::Equal),
        ("1.5e-2", "0.015", Ordering::Equal),
        ("-0.0", "0.0", Ordering::Equal),
        ("-0.0", "0", Ordering::Equal),
        ("-0", "0", Ordering::Equal),
        ("0.1", "0.10000000000000001", Ordering::Equal),
        ("9007199254740993", "9007199254740992.0", Ordering::Greater),
        ("9007199254740993", "9007199254740992", Ordering::Greater),
        ("9007199254740992", "9007199254740992.0", Ordering::Equal),
        ("18446744073709551615", "-1", Ordering::Greater),
        ("18446744073709551615", "-9223372036854775808", Ordering::Greater),
        ("18446744073709551615", "18446744073709551615.0", Ordering::Less),
        ("18446744073709551615", "18446744073709551616", Ordering::Less),
        ("-9223372036854775808", "9223372036854775807", Ordering::Less),
        ("1e21", "1000000000000000000000", Ordering::Equal),
        ("2.5", "2", Ordering::Greater),
        ("-2.5", "-2", Ordering::Less),
        ("0.30000000000000004", "0.3", Ordering::Greater),
        ("1.7976931348623157e308", "18446744073709551615", Ordering::Greater),
        ("-1.7976931348623157e308", "-9223372036854775808", Ordering::Less),
        ("5e-324", "0", Ordering::Greater),
        ("-5e-324", "-0.0", Ordering::Less),
        ("1e-7", "0", Ordering::Greater),
        ("123456789.125", "123456789", Ordering::Greater),
        ("123456789.125", "123456790", Ordering::Less),
        // Large f64s are compared through their shortest text (§4.4 "printed form"): the f64
        // 2^63 prints as 9223372036854776000, so it is above i64::MAX and below
        // 9223372036854775900, and not equal to the exact integer 2^63.
        ("9223372036854775808.0", "9223372036854775807", Ordering::Greater),
        ("9223372036854775808.0", "9223372036854775808", Ordering::Greater),
        ("9223372036854775808.0", "9223372036854776000", Ordering::Equal),
        ("9223372036854775808.0", "9223372036854775900", Ordering::Greater),
        ("9223372036854775808.0", "9223372036854776001", Ordering::Less),
        ("-9223372036854775808.0", "-9223372036854775808", Ordering::Less),
    ];
    for &(a, b, order) in rows {
        let (a_num, b_num) = (num(a), num(b));
        assert_eq!(compare_numbers(&a_num, &b_num), order, "compare_numbers({a}, {b})");
        assert_eq!(compare_numbers(&b_num, &a_num), order.reverse(), "compare_numbers({b}, {a})");
        assert_eq!(numbers_equal(&a_num, &b_num), order.is_eq(), "numbers_equal({a}, {b})");
    }
}

#[test]
fn parsed_representations_are_the_assumed_ones() {
    // These pin the serde_json parse behaviour the table above relies on.
    assert!(num("9007199254740992.0").is_f64());
    assert!(num("1.0").is_f64());
    assert!(num("18446744073709551616").is_f64());
    assert_eq!(num("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(num("-9223372036854775808").as_i64(), Some(i64::MIN));
    assert_eq!(crate::hashing::canonical_number_text(&num("9223372036854775808.0")), "9223372036854776000");
}
