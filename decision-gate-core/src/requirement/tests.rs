use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use TriState::{False as F, True as T, Unknown as U};

fn cond(id: &str) -> Requirement {
    Requirement::condition(id)
}

fn eval_with(tree: &Requirement, statuses: &[(&str, TriState)]) -> TreeEvaluation {
    let map: BTreeMap<&str, TriState> = statuses.iter().copied().collect();
    evaluate_requirement(tree, LogicMode::Kleene, &mut |id| map.get(id.as_str()).copied().unwrap_or(U))
}

#[test]
fn kleene_tables_every_row() {
    let k = LogicMode::Kleene;
    let and_table = [(T, T, T), (T, F, F), (T, U, U), (F, T, F), (F, F, F), (F, U, F), (U, T, U), (U, F, F), (U, U, U)];
    for (a, b, want) in and_table {
        assert_eq!(k.and(a, b), want, "AND {a:?} {b:?}");
    }
    let or_table = [(T, T, T), (T, F, T), (T, U, T), (F, T, T), (F, F, F), (F, U, U), (U, T, T), (U, F, U), (U, U, U)];
    for (a, b, want) in or_table {
        assert_eq!(k.or(a, b), want, "OR {a:?} {b:?}");
    }
    assert_eq!((k.not(T), k.not(F), k.not(U)), (F, T, U));
}

#[test]
fn bochvar_is_infectious() {
    let b = LogicMode::Bochvar;
    assert_eq!(b.and(F, U), U);
    assert_eq!(b.or(T, U), U);
    assert_eq!(b.and(T, F), F);
    assert_eq!(b.or(F, T), T);
    assert_eq!(b.not(U), U);
}

#[test]
fn require_group_rule_rows() {
    assert_eq!(require_group(0, 0, 0), T);
    assert_eq!(require_group(0, 0, 3), T);
    assert_eq!(require_group(2, 2, 0), T);
    assert_eq!(require_group(2, 1, 0), F);
    assert_eq!(require_group(2, 1, 1), U);
    assert_eq!(require_group(3, 0, 2), F);
    assert_eq!(require_group(255, 0, 0), F);
}

#[test]
fn empty_combinators() {
    assert_eq!(eval_with(&Requirement::And(vec![]), &[]).status, T);
    assert_eq!(eval_with(&Requirement::Or(vec![]), &[]).status, F);
    assert_eq!(eval_with(&Requirement::RequireGroup { min: 0, reqs: vec![] }, &[]).status, T);
    assert_eq!(eval_with(&Requirement::RequireGroup { min: 3, reqs: vec![cond("a")] }, &[("a", T)]).status, F);
}

#[test]
fn no_short_circuit_and_duplicates_are_traced() {
    let tree = Requirement::And(vec![cond("a"), Requirement::Or(vec![cond("b"), cond("a")]), cond("c")]);
    let result = eval_with(&tree, &[("a", F), ("b", T), ("c", U)]);
    assert_eq!(result.status, F);
    let visited: Vec<(&str, TriState)> = result.trace.iter().map(|e| (e.condition_id.as_str(), e.status)).collect();
    assert_eq!(visited, vec![("a", F), ("b", T), ("a", F), ("c", U)]);
}

fn nested_nots(count: usize) -> Requirement {
    let mut tree = cond("a");
    for _ in 0..count {
        tree = Requirement::Not(Box::new(tree));
    }
    tree
}

#[test]
fn depth_32_evaluates_and_33_is_unknown_with_empty_trace() {
    let ok = eval_with(&nested_nots(32), &[("a", T)]);
    assert_eq!(ok.status, T);
    assert_eq!(ok.trace.len(), 1);
    let deep = eval_with(&nested_nots(33), &[("a", T)]);
    assert_eq!(deep.status, U);
    assert!(deep.trace.is_empty());
}

#[test]
fn depth_overflow_keeps_earlier_trace_entries() {
    let tree = Requirement::Or(vec![cond("x"), nested_nots(33), cond("y")]);
    let result = eval_with(&tree, &[("x", T), ("a", T), ("y", T)]);
    assert_eq!(result.status, U);
    assert_eq!(result.trace.len(), 1);
    assert_eq!(result.trace[0].condition_id.as_str(), "x");
}

#[test]
fn wire_form_parses_and_rejects_bad_shapes() {
    let tree: Requirement = serde_json::from_value(
        json!({"And":[{"Condition":"a"},{"RequireGroup":{"min":1,"reqs":[{"Not":{"Condition":"b"}}]}},{"Or":[]}]}),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&tree).unwrap(),
        json!({"And":[{"Condition":"a"},{"RequireGroup":{"min":1,"reqs":[{"Not":{"Condition":"b"}}]}},{"Or":[]}]})
    );
    for bad in [
        json!({"And":[], "Or":[]}),
        json!("And"),
        json!({"RequireGroup":{"min":256,"reqs":[]}}),
        json!({"RequireGroup":{"min":-1,"reqs":[]}}),
        json!({"RequireGroup":{"min":1.5,"reqs":[]}}),
        json!({"Xor":[]}),
        json!({"Condition": 5}),
    ] {
        assert!(serde_json::from_value::<Requirement>(bad.clone()).is_err(), "{bad} should not parse");
    }
}

#[test]
fn structure_validation_rules() {
    let limits = StructureLimits::default();
    assert_eq!(validate_structure(&nested_nots(32), limits), Ok(()));
    assert_eq!(validate_structure(&nested_nots(33), limits), Err(StructureError::TooDeep { max_depth: 32 }));
    assert_eq!(
        validate_structure(&Requirement::RequireGroup { min: 2, reqs: vec![cond("a")] }, limits),
        Err(StructureError::InvalidGroup { min: 2, count: 1 })
    );
    assert!(matches!(
        validate_structure(&Requirement::RequireGroup { min: 0, reqs: vec![cond("a")] }, limits),
        Err(StructureError::InvalidStructure(_))
    ));
    assert_eq!(validate_structure(&Requirement::RequireGroup { min: 0, reqs: vec![] }, limits), Ok(()));
    assert_eq!(validate_structure(&Requirement::And(vec![]), limits), Ok(()));
    let strict = StructureLimits { allow_empty_and_or: false, ..limits };
    assert!(matches!(validate_structure(&Requirement::Or(vec![]), strict), Err(StructureError::InvalidStructure(_))));
}

#[test]
fn condition_visit_order_is_depth_first() {
    let tree = Requirement::Or(vec![cond("b"), Requirement::Not(Box::new(cond("a"))), cond("b")]);
    let mut seen = Vec::new();
    tree.for_each_condition(&mut |id| seen.push(id.as_str()));
    assert_eq!(seen, vec!["b", "a", "b"]);
}
