//! §4.2 step 5, equality and membership: `equals` / `not_equals`, `contains`, `in_set` and
//! `deep_equals` / `deep_not_equals`.

use super::run_table;
use crate::comparator::Comparator;
use crate::requirement::TriState;
use Comparator::*;
use TriState::{False as F, True as T, Unknown as U};

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
