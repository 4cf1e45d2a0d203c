//! Table-driven tests of every comparator rule (spec §4.2–§4.5), one file per group of rules;
//! properties in `tests/properties.rs`. Shared table helpers live here.

mod equality;
mod ordering;
mod properties;
mod shapes;

use serde_json::{Number, Value};

use super::*;
use crate::evidence::{EvidenceResult, EvidenceValue};
use crate::requirement::TriState;

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
