//! Precheck: evaluation of asserted evidence without touching any run (core-model §10).

use serde_json::json;

use super::support::*;
use crate::engine::{ControlPlaneError, EngineConfig, precheck_evidence_from_payload};
use crate::evidence::TrustLane;
use crate::requirement::TriState;
use crate::run::DecisionOutcome;

fn precheck_spec() -> serde_json::Value {
    spec(
        "pre",
        json!([
            stage(
                "a",
                json!([gate("g", json!({"And": [{"Condition": "ok"}, {"Condition": "count"}]}))]),
                json!({"kind": "linear"})
            ),
            stage("b", json!([gate("g2", json!({"Condition": "ok"}))]), json!({"kind": "terminal"})),
        ]),
        json!([condition("ok", "ok", "equals", json!(true)), condition("count", "count", "greater_than", json!(3))]),
    )
}

fn asserted_harness() -> Harness {
    harness_with(
        precheck_spec(),
        EngineConfig { trust_requirement: TrustLane::Asserted, ..EngineConfig::default() },
        None,
    )
}

#[test]
fn asserted_evidence_passes_only_with_an_asserted_minimum() {
    let h = asserted_harness();
    let evidence =
        precheck_evidence_from_payload(h.engine.spec(), &json!({"ok": true, "count": 5, "ignored": 1})).unwrap();
    let result = h.engine.precheck(None, &evidence).unwrap();
    assert_eq!(
        result.decision,
        DecisionOutcome::Advance { from_stage: "a".into(), to_stage: "b".into(), timeout: false }
    );
    assert_eq!(result.gate_evaluations[0].status, TriState::True);
    let last = h.engine.precheck(Some(&"b".into()), &evidence).unwrap();
    assert_eq!(last.decision, DecisionOutcome::Complete { stage_id: "b".into() });

    let strict = harness(precheck_spec());
    let held = strict.engine.precheck(None, &evidence).unwrap();
    assert!(matches!(held.decision, DecisionOutcome::Hold { .. }));
    assert_eq!(held.gate_evaluations[0].status, TriState::Unknown);
    assert!(held.gate_evaluations[0].trace.iter().all(|entry| entry.status == TriState::Unknown));
    assert!(strict.provider.calls().is_empty());
    assert_eq!(strict.store.run_count(), 0);
}

#[test]
fn missing_evidence_is_unknown_and_false_gates_hold() {
    let h = asserted_harness();
    let evidence = precheck_evidence_from_payload(h.engine.spec(), &json!({"ok": true, "count": 1})).unwrap();
    let result = h.engine.precheck(None, &evidence).unwrap();
    assert!(
        matches!(result.decision, DecisionOutcome::Hold { ref summary } if summary.unmet_gates == vec!["g".into()])
    );
    assert_eq!(result.gate_evaluations[0].status, TriState::False);
    let partial = precheck_evidence_from_payload(h.engine.spec(), &json!({"ok": true})).unwrap();
    let result = h.engine.precheck(None, &partial).unwrap();
    assert_eq!(result.gate_evaluations[0].status, TriState::Unknown);
    assert_eq!(h.engine.precheck(None, &partial), h.engine.precheck(None, &partial), "deterministic");
}

#[test]
fn payload_mapping_rules() {
    let h = asserted_harness();
    let err = precheck_evidence_from_payload(h.engine.spec(), &json!([1, 2])).unwrap_err();
    assert_eq!(err, "payload must be an object keyed by condition ids");
    let single = harness_with(
        spec(
            "one",
            json!([stage("a", json!([gate("g", json!({"Condition": "c"}))]), json!({"kind": "terminal"}))]),
            json!([condition("c", "c", "equals", json!(7))]),
        ),
        EngineConfig { trust_requirement: TrustLane::Asserted, ..EngineConfig::default() },
        None,
    );
    let evidence = precheck_evidence_from_payload(single.engine.spec(), &json!(7)).unwrap();
    assert_eq!(
        single.engine.precheck(None, &evidence).unwrap().decision,
        DecisionOutcome::Complete { stage_id: "a".into() }
    );
    // An object payload is always a keyed map, even for a one-condition spec.
    let keyed = precheck_evidence_from_payload(single.engine.spec(), &json!({"c": 7})).unwrap();
    assert_eq!(keyed.len(), 1);
    let unkeyed = precheck_evidence_from_payload(single.engine.spec(), &json!({"value": 7})).unwrap();
    assert!(unkeyed.is_empty());
    assert_eq!(h.engine.precheck(Some(&"zzz".into()), &keyed), Err(ControlPlaneError::StageNotFound("zzz".into())));
}
