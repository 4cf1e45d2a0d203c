//! §4.2 steps 1–4 and §4.3: presence (`exists` / `not_exists`), absent values, bytes evidence,
//! JSON evidence without `expected`, and JSON null as evidence.

use serde_json::{Value, json};

use super::{NONE, bytes_result, eval, run_table, value_comparators};
use crate::comparator::{Comparator, compare};
use crate::evidence::{EvidenceResult, EvidenceValue};
use crate::requirement::TriState;
use Comparator::*;
use TriState::{False as F, True as T, Unknown as U};

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
