//! Table-driven tests of every comparator rule (spec §4.2–§4.5); properties in `tests/properties.rs`.

use std::cmp::Ordering;

use serde_json::{Number, Value, json};

use super::dates::{compare_temporal, parse_date_only, parse_date_time};
use super::*;
use crate::evidence::{EvidenceResult, EvidenceValue};
use crate::requirement::TriState;
use Comparator::*;
use TriState::{False as F, True as T, Unknown as U};

mod properties;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Marks an absent `expected` (or an absent evidence value) in the tables.
const NONE: &str = "<none>";

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("invalid JSON {text:?}: {error}"))
}

fn num(text: &str) -> Number {
    match parse(text) {
        Value::Number(number) => number,
        other => panic!("{text:?} is not a number: {other}"),
    }
}

fn json_result(value: Value) -> EvidenceResult {
    EvidenceResult { value: Some(EvidenceValue::Json(value)), ..EvidenceResult::default() }
}

fn bytes_result(bytes: &[u8]) -> EvidenceResult {
    EvidenceResult { value: Some(EvidenceValue::Bytes(bytes.to_vec())), ..EvidenceResult::default() }
}

/// Evaluates `comparator` with JSON evidence and expected given as JSON text (`NONE` = absent).
fn eval(comparator: Comparator, evidence: &str, expected: &str) -> TriState {
    let result = if evidence == NONE { EvidenceResult::default() } else { json_result(parse(evidence)) };
    let expected = (expected != NONE).then(|| parse(expected));
    compare(comparator, expected.as_ref(), &result)
}

/// Runs a table of `(comparator, evidence, expected, want)` rows, reporting every mismatch.
fn run_table(rows: &[(Comparator, &str, &str, TriState)]) {
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|&(comparator, evidence, expected, want)| {
            let got = eval(comparator, evidence, expected);
            (got != want).then(|| format!("{comparator}({evidence}, {expected}): got {got:?}, want {want:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// Comparators other than `exists` / `not_exists`.
fn value_comparators() -> impl Iterator<Item = Comparator> {
    Comparator::ALL.into_iter().filter(|comparator| !comparator.ignores_expected())
}

// ---------------------------------------------------------------------------------------------
// §4.2 step 1: exists / not_exists
// ---------------------------------------------------------------------------------------------

#[test]
fn exists_and_not_exists_look_only_at_presence() {
    run_table(&[
        (Exists, NONE, NONE, F),
        (NotExists, NONE, NONE, T),
        (Exists, NONE, "1", F),
        (NotExists, NONE, "1", T),
        (Exists, "null", NONE, T),
        (NotExists, "null", NONE, F),
        (Exists, "5", NONE, T),
        (NotExists, "5", NONE, F),
        (Exists, "5", "\"something else\"", T),
        (NotExists, "5", "5", F),
        (Exists, "5", "null", T),
        (Exists, "false", NONE, T),
        (Exists, "\"\"", NONE, T),
        (Exists, "[]", NONE, T),
        (Exists, "{}", NONE, T),
        (NotExists, "{}", "{}", F),
    ]);
    for bytes in [&[][..], &[0, 1, 255][..]] {
        for expected in [None, Some(json!([1])), Some(json!("junk"))] {
            assert_eq!(compare(Exists, expected.as_ref(), &bytes_result(bytes)), T);
            assert_eq!(compare(NotExists, expected.as_ref(), &bytes_result(bytes)), F);
        }
    }
}

#[test]
fn exists_ignores_every_other_result_field() {
    // The engine filters errors before calling compare; compare itself only looks at `value`.
    let result = EvidenceResult {
        value: Some(EvidenceValue::Json(Value::Null)),
        lane: crate::evidence::TrustLane::Asserted,
        ..EvidenceResult::default()
    };
    assert_eq!(compare(Exists, None, &result), T);
    assert_eq!(compare(NotExists, None, &result), F);
}

// ---------------------------------------------------------------------------------------------
// §4.2 step 2: absent value
// ---------------------------------------------------------------------------------------------

#[test]
fn absent_value_is_unknown_for_every_value_comparator() {
    for comparator in value_comparators() {
        for expected in [NONE, "1", "\"a\"", "[1]", "{}", "null"] {
            assert_eq!(eval(comparator, NONE, expected), U, "{comparator} with expected {expected}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// §4.2 step 3: bytes
// ---------------------------------------------------------------------------------------------

#[test]
fn bytes_equals_and_not_equals() {
    let cases: &[(&[u8], Value, TriState, TriState)] = &[
        (&[1, 2, 3], json!([1, 2, 3]), T, F),
        (&[1, 2, 3], json!([1, 2]), F, T),
        (&[1, 2, 3], json!([3, 2, 1]), F, T),
        (&[1, 2], json!([1, 2, 3]), F, T),
        (&[], json!([]), T, F),
        (&[], json!([0]), F, T),
        (&[0], json!([]), F, T),
        (&[255, 0], json!([255, 0]), T, F),
        (&[0, 255], json!([255, 0]), F, T),
    ];
    for (bytes, expected, want_equals, want_not_equals) in cases {
        let result = bytes_result(bytes);
        assert_eq!(compare(Equals, Some(expected), &result), *want_equals, "{bytes:?} equals {expected}");
        assert_eq!(compare(NotEquals, Some(expected), &result), *want_not_equals, "{bytes:?} not_equals {expected}");
    }
}

#[test]
fn bytes_with_invalid_or_absent_expected_is_unknown() {
    let result = bytes_result(&[1, 2, 3]);
    let invalid = [
        None,
        Some(Value::Null),
        Some(json!([256])),
        Some(json!([1, 2, 256])),
        Some(json!([-1])),
        Some(json!([1.0])),
        Some(json!([1.5])),
        Some(json!(["1"])),
        Some(json!([null])),
        Some(json!([true])),
        Some(json!([[1]])),
        Some(json!([1, 2, 3, 18_446_744_073_709_551_615_u64])),
        Some(json!("abc")),
        Some(json!("\u{1}\u{2}\u{3}")),
        Some(json!(5)),
        Some(json!({"a": 1})),
        Some(json!(true)),
    ];
    for expected in &invalid {
        for comparator in value_comparators() {
            assert_eq!(compare(comparator, expected.as_ref(), &result), U, "{comparator} with {expected:?}");
        }
    }
}

#[test]
fn bytes_other_comparators_are_unknown_even_with_valid_expected() {
    let result = bytes_result(&[1, 2, 3]);
    for expected in [json!([1, 2, 3]), json!([1]), json!([])] {
        for comparator in value_comparators().filter(|c| !matches!(c, Equals | NotEquals)) {
            assert_eq!(compare(comparator, Some(&expected), &result), U, "{comparator} with {expected}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// §4.2 step 4: JSON evidence without expected (and `expected: null` = absent)
// ---------------------------------------------------------------------------------------------

#[test]
fn json_without_expected_is_unknown() {
    for comparator in value_comparators() {
        for evidence in ["1", "null", "\"a\"", "[1]", "{}", "true"] {
            assert_eq!(eval(comparator, evidence, NONE), U, "{comparator}({evidence}, <none>)");
            assert_eq!(eval(comparator, evidence, "null"), U, "{comparator}({evidence}, null)");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// §4.2 step 5: equals / not_equals
// ---------------------------------------------------------------------------------------------

/// `(evidence, expected, equals)`; `not_equals` must be the negation of every row.
const EQUALS_ROWS: &[(&str, &str, bool)] = &[
    // Top-level numbers: decimal-aware (§4.4).
    ("1", "1", true),
    ("1", "1.0", true),
    ("1.0", "1", true),
    ("1e3", "1000", true),
    ("1000", "1e3", true),
    ("1.5e-2", "0.015", true),
    ("-0.0", "0.0", true),
    ("-0.0", "0", true),
    ("0", "-0.0", true),
    ("0.1", "0.10000000000000001", true),
    ("9007199254740993", "9007199254740992.0", false),
    ("9007199254740993", "9007199254740992", false),
    ("9007199254740992", "9007199254740992.0", true),
    ("18446744073709551615", "18446744073709551615", true),
    ("18446744073709551615", "-1", false),
    ("-1", "18446744073709551615", false),
    ("18446744073709551615", "18446744073709551616", false),
    ("-9223372036854775808", "-9223372036854775808", true),
    ("1", "2", false),
    ("0.1", "0.2", false),
    ("2.5", "2", false),
    // Strings: plain, case-sensitive string equality; numeric-looking strings are strings.
    ("\"a\"", "\"a\"", true),
    ("\"a\"", "\"A\"", false),
    ("\"\"", "\"\"", true),
    ("\"123\"", "123", false),
    ("123", "\"123\"", false),
    ("\"1e3\"", "1000", false),
    ("\"Infinity\"", "1e308", false),
    ("\"1,234.56\"", "1234.56", false),
    // Date-time equality is string equality (§4.5).
    ("\"2024-01-01T00:00:00Z\"", "\"2024-01-01T00:00:00Z\"", true),
    ("\"2024-01-01T00:00:00Z\"", "\"2024-01-01T01:00:00+01:00\"", false),
    ("\"2024-01-02\"", "\"2024-1-2\"", false),
    // Booleans are never numbers.
    ("true", "true", true),
    ("false", "false", true),
    ("true", "false", false),
    ("true", "1", false),
    ("1", "true", false),
    ("false", "0", false),
    // Null evidence (§4.3).
    ("null", "0", false),
    ("null", "\"\"", false),
    ("null", "false", false),
    ("null", "[]", false),
    ("null", "{}", false),
    ("null", "[null]", false),
    // Arrays: order-sensitive, nested numbers use native equality.
    ("[1,2]", "[1,2]", true),
    ("[1,2]", "[2,1]", false),
    ("[1,2]", "[1,2,2]", false),
    ("[]", "[]", true),
    ("[1]", "[1.0]", false),
    ("[1.0]", "[1.0]", true),
    ("[[1,{\"a\":\"x\"}]]", "[[1,{\"a\":\"x\"}]]", true),
    ("[1]", "1", false),
    ("1", "[1]", false),
    // Objects: maps, order-insensitive, nested numbers native.
    ("{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", true),
    ("{\"a\":1}", "{\"a\":1.0}", false),
    ("{\"a\":1}", "{\"a\":1,\"b\":2}", false),
    ("{}", "{}", true),
    ("{\"a\":[1,2]}", "{\"a\":[2,1]}", false),
    ("{\"a\":null}", "{}", false),
    // Type mismatches.
    ("[]", "{}", false),
    ("{}", "[]", false),
    ("\"a\"", "[\"a\"]", false),
    ("0", "\"\"", false),
];

#[test]
fn equals_table() {
    let rows: Vec<_> = EQUALS_ROWS.iter().map(|&(e, x, eq)| (Equals, e, x, TriState::from(eq))).collect();
    run_table(&rows);
}

#[test]
fn not_equals_table_is_the_negation() {
    let rows: Vec<_> = EQUALS_ROWS.iter().map(|&(e, x, eq)| (NotEquals, e, x, TriState::from(!eq))).collect();
    run_table(&rows);
}

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
// §4.2 step 5: contains
// ---------------------------------------------------------------------------------------------

#[test]
fn contains_table() {
    run_table(&[
        // Substring.
        (Contains, "\"hello world\"", "\"lo w\"", T),
        (Contains, "\"hello\"", "\"hello\"", T),
        (Contains, "\"hello\"", "\"xyz\"", F),
        (Contains, "\"hello\"", "\"\"", T),
        (Contains, "\"\"", "\"\"", T),
        (Contains, "\"\"", "\"a\"", F),
        (Contains, "\"Hello\"", "\"hello\"", F),
        (Contains, "\"h\u{e9}llo\"", "\"\u{e9}\"", T),
        // Array superset by JSON equality, duplicates not counted.
        (Contains, "[1,2,3]", "[1,3]", T),
        (Contains, "[1,2,3]", "[3,1]", T),
        (Contains, "[1,2]", "[1,1]", T),
        (Contains, "[1]", "[1,1,1]", T),
        (Contains, "[1,2]", "[]", T),
        (Contains, "[]", "[]", T),
        (Contains, "[]", "[1]", F),
        (Contains, "[1,2]", "[4]", F),
        (Contains, "[1,2]", "[1,4]", F),
        (Contains, "[1]", "[1.0]", F),
        (Contains, "[1.0]", "[1]", F),
        (Contains, "[null]", "[null]", T),
        (Contains, "[[1,2],3]", "[[1,2]]", T),
        (Contains, "[[1,2],3]", "[[2,1]]", F),
        (Contains, "[[1,2],3]", "[1]", F),
        (Contains, "[{\"a\":1,\"b\":2}]", "[{\"b\":2,\"a\":1}]", T),
        (Contains, "[\"abc\"]", "[\"a\"]", F),
        // Everything else is Unknown.
        (Contains, "[1,2,3]", "1", U),
        (Contains, "[\"a\"]", "\"a\"", U),
        (Contains, "\"abc\"", "[\"a\"]", U),
        (Contains, "{\"a\":1}", "{\"a\":1}", U),
        (Contains, "{\"a\":1}", "\"a\"", U),
        (Contains, "{\"a\":1}", "[\"a\"]", U),
        (Contains, "123", "\"1\"", U),
        (Contains, "123", "23", U),
        (Contains, "true", "true", U),
        (Contains, "null", "\"x\"", U),
        (Contains, "null", "[null]", U),
    ]);
}

// ---------------------------------------------------------------------------------------------
// §4.2 step 5: in_set
// ---------------------------------------------------------------------------------------------

#[test]
fn in_set_table() {
    run_table(&[
        (InSet, "1", "[1,2]", T),
        (InSet, "3", "[1,2]", F),
        // Native JSON number equality: integer 1 is not float 1.0.
        (InSet, "1", "[1.0]", F),
        (InSet, "1.0", "[1]", F),
        (InSet, "1.0", "[1.0]", T),
        (InSet, "1", "[]", F),
        (InSet, "null", "[null]", T),
        (InSet, "null", "[]", F),
        (InSet, "null", "[0,\"\",false]", F),
        (InSet, "\"a\"", "[\"a\",\"b\"]", T),
        (InSet, "\"a\"", "[\"A\"]", F),
        (InSet, "\"a\"", "[[\"a\"]]", F),
        (InSet, "true", "[true]", T),
        (InSet, "true", "[1]", F),
        (InSet, "false", "[0]", F),
        (InSet, "\"1\"", "[1]", F),
        (InSet, "1", "[\"1\"]", F),
        // Unknown: E array/object, or X not an array.
        (InSet, "[1]", "[[1]]", U),
        (InSet, "[]", "[]", U),
        (InSet, "{\"a\":1}", "[{\"a\":1}]", U),
        (InSet, "1", "1", U),
        (InSet, "1", "\"1\"", U),
        (InSet, "1", "{\"a\":1}", U),
        (InSet, "\"a\"", "\"abc\"", U),
        (InSet, "null", "{}", U),
    ]);
}

// ---------------------------------------------------------------------------------------------
// §4.2 step 5: deep_equals / deep_not_equals
// ---------------------------------------------------------------------------------------------

#[test]
fn deep_table() {
    let rows: &[(&str, &str, Option<bool>)] = &[
        ("[1,2]", "[1,2]", Some(true)),
        ("[1,2]", "[2,1]", Some(false)),
        ("[]", "[]", Some(true)),
        ("{}", "{}", Some(true)),
        ("{\"a\":1,\"b\":[1]}", "{\"b\":[1],\"a\":1}", Some(true)),
        ("{\"a\":1}", "{\"a\":1.0}", Some(false)),
        ("[1]", "[1.0]", Some(false)),
        ("{\"a\":{\"b\":[1,{\"c\":null}]}}", "{\"a\":{\"b\":[1,{\"c\":null}]}}", Some(true)),
        ("{\"a\":{\"b\":[1,{\"c\":null}]}}", "{\"a\":{\"b\":[1,{\"c\":false}]}}", Some(false)),
        ("[]", "{}", None),
        ("{}", "[]", None),
        ("1", "1", None),
        ("\"a\"", "\"a\"", None),
        ("true", "true", None),
        ("[1]", "1", None),
        ("1", "[1]", None),
        ("null", "[]", None),
        ("null", "{}", None),
    ];
    for &(evidence, expected, equal) in rows {
        run_table(&[
            (DeepEquals, evidence, expected, equal.map_or(U, TriState::from)),
            (DeepNotEquals, evidence, expected, equal.map_or(U, |equal| TriState::from(!equal))),
        ]);
    }
}

// ---------------------------------------------------------------------------------------------
// §4.3 JSON null as evidence
// ---------------------------------------------------------------------------------------------

#[test]
fn null_evidence() {
    run_table(&[
        (Exists, "null", NONE, T),
        (NotExists, "null", NONE, F),
        (Equals, "null", "0", F),
        (Equals, "null", "\"\"", F),
        (NotEquals, "null", "0", T),
        (NotEquals, "null", "\"\"", T),
        (InSet, "null", "[null]", T),
        (InSet, "null", "[1]", F),
        (GreaterThan, "null", "0", U),
        (GreaterThanOrEqual, "null", "0", U),
        (LessThan, "null", "0", U),
        (LessThanOrEqual, "null", "0", U),
        (LexGreaterThan, "null", "\"a\"", U),
        (LexLessThanOrEqual, "null", "\"a\"", U),
        (Contains, "null", "\"a\"", U),
        (Contains, "null", "[null]", U),
        (DeepEquals, "null", "[]", U),
        (DeepNotEquals, "null", "{}", U),
    ]);
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
