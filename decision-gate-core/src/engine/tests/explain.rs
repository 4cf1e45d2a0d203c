//! Hold explanations: each unmet condition of a held stage with its reason class.

use serde_json::{Value, json};

use super::support::*;
use crate::engine::{UnmetReason, explain_gates};
use crate::evidence::{EvidenceResult, TrustLane};
use crate::requirement::TriState;

fn reasons(h: &Harness, trigger: &str) -> Vec<(String, Option<String>, UnmetReason, Option<String>)> {
    let (state, _) = h.state("r");
    let records = state.gate_evals.iter().filter(|record| record.trigger_id.as_str() == trigger);
    explain_gates(h.engine.spec(), records)
        .into_iter()
        .map(|unmet| {
            (unmet.gate_id.to_string(), unmet.condition_id.map(|id| id.to_string()), unmet.reason, unmet.message)
        })
        .collect()
}

fn nested_not(depth: usize) -> Value {
    (0..depth).fold(json!({"Condition": "ok"}), |inner, _| json!({"Not": inner}))
}

#[test]
fn every_unmet_condition_gets_its_reason_class() {
    // Permissive validation admits a tree deeper than the evaluation limit.
    let permissive = crate::engine::EngineConfig {
        validation: crate::spec::ValidationMode::Permissive,
        ..crate::engine::EngineConfig::default()
    };
    let h = harness_with(
        spec(
            "explained",
            json!([stage(
                "a",
                json!([
                    gate(
                        "values",
                        json!({"And": [{"Condition": "false"}, {"Condition": "missing"}, {"Condition": "typed"}]})
                    ),
                    gate(
                        "providers",
                        json!({"And": [{"Condition": "failing"}, {"Condition": "asserted"}, {"Condition": "ok"}]})
                    ),
                    gate("shape", json!({"Not": {"Condition": "ok"}})),
                    gate("deep", nested_not(40)),
                    gate("passing", json!({"Condition": "ok"})),
                ]),
                json!({"kind": "terminal"})
            )]),
            json!([
                condition("false", "false", "equals", json!(1)),
                condition("missing", "missing", "equals", json!(1)),
                condition("typed", "typed", "greater_than", json!(1)),
                condition("failing", "failing", "equals", json!(1)),
                condition("asserted", "asserted", "equals", json!(1)),
                condition("ok", "ok", "equals", json!(1)),
            ]),
        ),
        permissive,
        None,
    );
    h.provider.answer_json("false", json!(2));
    h.provider.answer("missing", EvidenceResult::default());
    h.provider.answer_json("typed", json!("not a number"));
    h.provider.fail("failing", "upstream answered 503");
    h.provider.answer("asserted", EvidenceResult { lane: TrustLane::Asserted, ..EvidenceResult::json(json!(1)) });
    h.provider.answer_json("ok", json!(1));
    h.start("r", false);
    let held = h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    assert!(matches!(held.decision.outcome, crate::run::DecisionOutcome::Hold { .. }));
    let found = reasons(&h, "t1");
    let expected = [
        ("values", Some("false"), UnmetReason::ConditionFalse, None),
        ("values", Some("missing"), UnmetReason::EvidenceMissing, None),
        ("values", Some("typed"), UnmetReason::ComparatorTypeMismatch, None),
        (
            "providers",
            Some("asserted"),
            UnmetReason::TrustLaneTooLow,
            Some("evidence lane Asserted does not satisfy Verified"),
        ),
        (
            "providers",
            Some("failing"),
            UnmetReason::ProviderError,
            Some("evidence provider error: upstream answered 503"),
        ),
        ("shape", None, UnmetReason::RequirementNotMet, None),
        ("deep", None, UnmetReason::EvaluationDepth, None),
    ];
    let expected: Vec<_> = expected
        .into_iter()
        .map(|(gate, condition, reason, message)| {
            (gate.to_owned(), condition.map(str::to_owned), reason, message.map(str::to_owned))
        })
        .collect();
    assert_eq!(found, expected);
    // Statuses are the recorded ones, and nothing is said about passing gates.
    let (state, _) = h.state("r");
    let all = explain_gates(h.engine.spec(), &state.gate_evals);
    assert!(all.iter().all(|unmet| unmet.gate_id.as_str() != "passing"));
    assert_eq!(all.iter().find(|unmet| unmet.reason == UnmetReason::ConditionFalse).unwrap().status, TriState::False);
    assert_eq!(serde_json::to_value(&all[0]).unwrap()["reason"], "condition_false");
}
