//! Stage advance, idempotency, submissions, errors that persist nothing, trust lanes.

use std::collections::BTreeMap;

use serde_json::json;

use super::support::*;
use crate::engine::{ConditionEvalOrder, ControlPlaneError, EngineConfig};
use crate::evidence::{EvidenceResult, TrustLane};
use crate::hashing::MAX_EVIDENCE_BYTES;
use crate::ids::{RunId, SubmissionId};
use crate::ports::{RunStateStore, ScenarioStore};
use crate::requirement::TriState;
use crate::run::{
    DecisionOutcome, ProviderMissingError, RunStatus, StatusRequest, SubmitRequest, ToolCallErrorDetails,
};
use crate::spec::PacketPayload;
use crate::time::Timestamp;

fn advance(outcome: &DecisionOutcome) -> (String, String, bool) {
    match outcome {
        DecisionOutcome::Advance { from_stage, to_stage, timeout } => {
            (from_stage.to_string(), to_stage.to_string(), *timeout)
        }
        other => panic!("expected advance, got {other:?}"),
    }
}

#[test]
fn linear_fixed_and_terminal_advance_and_complete() {
    let h = harness(spec(
        "flow",
        json!([
            stage("a", json!([gate("ga", json!({"Condition": "c"}))]), json!({"kind": "linear"})),
            stage("b", json!([]), json!({"kind": "fixed", "stage_id": "d"})),
            stage("c", json!([]), json!({"kind": "terminal"})),
            stage("d", json!([]), json!({"kind": "linear"})),
        ]),
        json!([condition("c", "c", "equals", json!(true))]),
    ));
    h.provider.answer_json("c", json!(true));
    h.start("r", false);
    let first = h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    assert_eq!(advance(&first.decision.outcome), ("a".into(), "b".into(), false));
    let second = h.engine.scenario_next(&next("r", "t2", 2)).unwrap();
    assert_eq!(advance(&second.decision.outcome), ("b".into(), "d".into(), false));
    let third = h.engine.scenario_next(&next("r", "t3", 3)).unwrap();
    assert_eq!(
        third.decision.outcome,
        DecisionOutcome::Complete { stage_id: "d".into() },
        "linear on the last stage completes"
    );
    assert_eq!(third.status, RunStatus::Completed);
    let (state, _) = h.state("r");
    assert_eq!(state.stage_entered_at, Timestamp::Logical(2), "entry time of the last stage entered");
    assert_eq!(state.gate_evals.len(), 1, "zero-gate stages evaluate nothing");
    // Inactive runs answer with their last decision and log nothing new.
    let after = h.engine.scenario_next(&next("r", "t4", 4)).unwrap();
    assert_eq!(after.decision, third.decision);
    let (state, _) = h.state("r");
    assert_eq!(state.triggers.len(), 3);
    assert_eq!(state.tool_calls.len(), 4, "the replay still appends a tool-call record");
    // A replayed trigger id returns its own decision, not the final one.
    let replayed = h.engine.scenario_next(&next("r", "t1", 9)).unwrap();
    assert_eq!(replayed.decision, first.decision);
    assert_eq!(replayed.status, RunStatus::Completed, "with the run's current status");
    assert_eq!(h.engine.scenario_next(&next("r", "t3", 9)).unwrap().decision, third.decision);
}

#[test]
fn a_replayed_hold_after_completion_returns_the_hold() {
    let h = harness(spec(
        "replay",
        json!([stage("a", json!([gate("g", json!({"Condition": "c"}))]), json!({"kind": "terminal"}))]),
        json!([condition("c", "c", "equals", json!(true))]),
    ));
    h.start("r", false);
    h.provider.answer_json("c", json!(false));
    let held = h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    assert!(matches!(held.decision.outcome, DecisionOutcome::Hold { .. }));
    h.provider.answer_json("c", json!(true));
    let done = h.engine.scenario_next(&next("r", "t2", 2)).unwrap();
    assert_eq!(done.status, RunStatus::Completed);
    let calls_before = h.provider.calls().len();
    let replayed = h.engine.scenario_next(&next("r", "t1", 3)).unwrap();
    assert_eq!(replayed.decision, held.decision, "t1's own decision");
    assert_eq!(replayed.status, RunStatus::Completed);
    let fresh = h.engine.scenario_next(&next("r", "t3", 4)).unwrap();
    assert_eq!(fresh.decision, done.decision, "a new trigger gets the final decision");
    assert_eq!(h.provider.calls().len(), calls_before, "no provider is asked after completion");
    let (state, _) = h.state("r");
    assert!(state.gate_evals.iter().all(|record| record.trigger_id.as_str() != "t3"), "no evaluation for t3");
}

#[test]
fn false_gates_hold_and_never_fail_the_run() {
    let h = harness(spec(
        "hold",
        json!([stage(
            "a",
            json!([gate("g1", json!({"Condition": "c"})), gate("g2", json!({"And": []}))]),
            json!({"kind": "terminal"})
        )]),
        json!([condition("c", "c", "equals", json!(1))]),
    ));
    h.provider.answer_json("c", json!(2));
    h.start("r", false);
    let result = h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    match result.decision.outcome {
        DecisionOutcome::Hold { summary } => assert_eq!(summary.unmet_gates, vec!["g1".into()]),
        other => panic!("{other:?}"),
    }
    assert_eq!(result.status, RunStatus::Active);
}

#[test]
fn loops_reissue_entry_packets() {
    let mut looping = stage("a", json!([]), json!({"kind": "fixed", "stage_id": "a"}));
    looping["entry_packets"] = json!([packet("p", json!(1))]);
    let h = harness(spec("loop", json!([looping]), json!([])));
    h.start("r", true);
    for (i, id) in ["t1", "t2"].iter().enumerate() {
        let result = h.engine.scenario_next(&next("r", id, i as u64 + 1)).unwrap();
        assert_eq!(advance(&result.decision.outcome), ("a".into(), "a".into(), false));
        assert_eq!(result.packets.len(), 1);
        assert_eq!(result.packets[0].decision_id, result.decision.decision_id);
    }
    let (state, _) = h.state("r");
    assert_eq!(state.packets.iter().map(|p| p.envelope.packet_id.as_str()).collect::<Vec<_>>(), vec!["p", "p", "p"]);
}

fn branch_spec(default: serde_json::Value) -> serde_json::Value {
    spec(
        "branch",
        json!([
            {"stage_id": "a", "entry_packets": [], "gates": [gate("g", json!({"Condition": "c"}))],
             "advance_to": {"kind": "branch", "default": default, "branches": [
                {"gate_id": "g", "outcome": "false", "next_stage_id": "no"},
                {"gate_id": "g", "outcome": "true", "next_stage_id": "yes"}]},
             "on_timeout": "fail"},
            stage("yes", json!([]), json!({"kind": "terminal"})),
            stage("no", json!([]), json!({"kind": "terminal"})),
        ]),
        json!([condition("c", "c", "equals", json!(true))]),
    )
}

#[test]
fn branch_takes_the_first_matching_rule() {
    let h = harness(branch_spec(json!(null)));
    h.provider.answer_json("c", json!(true));
    h.start("r", false);
    let result = h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    assert_eq!(advance(&result.decision.outcome), ("a".into(), "yes".into(), false));
}

#[test]
fn branch_without_match_or_default_is_a_hard_error_that_persists_nothing() {
    // Only a `false` rule: on the normal path all gates are True, so it cannot match.
    let mut value = branch_spec(json!(null));
    value["stages"][0]["advance_to"]["branches"] = json!([{"gate_id": "g", "outcome": "false", "next_stage_id": "no"}]);
    let h = harness(value);
    h.provider.answer_json("c", json!(true));
    h.start("r", false);
    let before = h.state("r");
    let err = h.engine.scenario_next(&next("r", "t1", 1)).unwrap_err();
    assert_eq!(err, ControlPlaneError::GateResolutionFailed("no branch matched".into()));
    assert_eq!(h.state("r"), before, "no trigger and no tool-call record are kept");
    // With a default, the same evidence advances there.
    let mut with_default = branch_spec(json!("no"));
    with_default["stages"][0]["advance_to"]["branches"] =
        json!([{"gate_id": "g", "outcome": "false", "next_stage_id": "yes"}]);
    let h = harness(with_default);
    h.provider.answer_json("c", json!(true));
    h.start("r", false);
    let result = h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    assert_eq!(advance(&result.decision.outcome), ("a".into(), "no".into(), false));
}

#[test]
fn start_rejects_mismatches_and_duplicates() {
    let h = harness(spec("s", json!([stage("a", json!([]), json!({"kind": "terminal"}))]), json!([])));
    let wrong_scenario = run_config("r", "other", json!([]));
    assert!(matches!(
        h.engine.start_run(&wrong_scenario, Timestamp::Logical(0), false),
        Err(ControlPlaneError::ScenarioMismatch { .. })
    ));
    let mut wrong_namespace = run_config("r", "s", json!([]));
    wrong_namespace.namespace_id = crate::ids::NamespaceId::new(9).unwrap();
    assert!(matches!(
        h.engine.start_run(&wrong_namespace, Timestamp::Logical(0), false),
        Err(ControlPlaneError::NamespaceMismatch { .. })
    ));
    h.start("r", false);
    assert_eq!(
        h.engine.start_run(&run_config("r", "s", json!([])), Timestamp::Logical(0), false),
        Err(ControlPlaneError::RunAlreadyExists(RunId::new("r")))
    );
    assert_eq!(
        h.engine.scenario_next(&next("missing", "t", 1)),
        Err(ControlPlaneError::RunNotFound(RunId::new("missing")))
    );
    // Without entry packets: no trigger, no decision, and the first stage's packets never come.
    let (state, version) = h.state("r");
    assert!(state.triggers.is_empty() && state.decisions.is_empty() && state.packets.is_empty());
    assert_eq!(version, 1);
}

fn submit(id: &str, payload: serde_json::Value, content_type: &str, at: u64) -> SubmitRequest {
    SubmitRequest {
        run_id: RunId::new("r"),
        tenant_id: tenant(),
        namespace_id: namespace(),
        submission_id: SubmissionId::new(id),
        payload: serde_json::from_value(payload).unwrap(),
        content_type: content_type.to_owned(),
        submitted_at: Timestamp::Logical(at),
        correlation_id: None,
    }
}

#[test]
fn submissions_are_idempotent_by_id_and_conflicts_are_recorded() {
    let h = harness(spec("s", json!([stage("a", json!([]), json!({"kind": "terminal"}))]), json!([])));
    h.start("r", false);
    let first = h
        .engine
        .scenario_submit(&submit("s1", json!({"kind": "json", "value": {"x": 1}}), "application/json", 1))
        .unwrap();
    assert_eq!(first.record.content_hash.value, crate::hashing::hash_json_value(&json!({"x": 1}), None).unwrap().value);
    // Same content (1.0 canonicalises like 1), different time: the original record comes back.
    let again = h
        .engine
        .scenario_submit(&submit("s1", json!({"kind": "json", "value": {"x": 1.0}}), "application/json", 9))
        .unwrap();
    assert_eq!(again.record, first.record);
    assert_eq!(again.record.submitted_at, Timestamp::Logical(1));
    let conflict =
        h.engine.scenario_submit(&submit("s1", json!({"kind": "json", "value": {"x": 2}}), "application/json", 3));
    assert_eq!(conflict, Err(ControlPlaneError::SubmissionConflict(SubmissionId::new("s1"))));
    assert_eq!(conflict.unwrap_err().to_string(), "submission_id conflict: s1");
    let other_type =
        h.engine.scenario_submit(&submit("s1", json!({"kind": "json", "value": {"x": 1}}), "text/plain", 3));
    assert!(matches!(other_type, Err(ControlPlaneError::SubmissionConflict(_))));
    let (state, _) = h.state("r");
    assert_eq!(state.submissions.len(), 1);
    assert_eq!(state.tool_calls.len(), 4);
    let error = state.tool_calls[2].error.as_ref().unwrap();
    assert_eq!(error.code, "submission_conflict");
    assert_eq!(error.message, "submission_id conflict: s1");
    assert_eq!(error.details, ToolCallErrorDetails::Message { info: "submission_id=s1".into() });
    assert!(state.tool_calls.iter().all(|call| call.method == "scenario.submit"));
    // Bytes with the same raw bytes as a JSON text are different content.
    h.engine.scenario_submit(&submit("b", json!({"kind": "bytes", "bytes": [116, 114, 117, 101]}), "x", 1)).unwrap();
    assert!(h.engine.scenario_submit(&submit("b", json!({"kind": "json", "value": true}), "x", 1)).is_err());
}

#[test]
fn submissions_work_on_finished_runs_and_oversized_payloads_fail() {
    let h = harness(spec("s", json!([stage("a", json!([]), json!({"kind": "terminal"}))]), json!([])));
    h.start("r", false);
    h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    assert_eq!(h.state("r").0.status, RunStatus::Completed);
    assert!(h.engine.scenario_submit(&submit("late", json!({"kind": "json", "value": 1}), "x", 2)).is_ok());
    let before = h.state("r");
    let huge = PacketPayload::Bytes { bytes: vec![0; crate::hashing::MAX_PAYLOAD_BYTES + 1] };
    let mut request = submit("big", json!({"kind": "json", "value": 1}), "x", 3);
    request.payload = huge;
    assert!(matches!(h.engine.scenario_submit(&request), Err(ControlPlaneError::PayloadTooLarge { .. })));
    assert_eq!(h.state("r"), before);
}

#[test]
fn provider_validation_failure_is_recorded_and_returned() {
    let h = harness(spec("s", json!([stage("a", json!([]), json!({"kind": "terminal"}))]), json!([])));
    h.start("r", false);
    let missing = ProviderMissingError {
        missing_providers: vec!["p".into()],
        required_capabilities: vec!["c".into()],
        blocked_by_policy: false,
    };
    h.provider.set_missing(Some(missing.clone()));
    assert_eq!(h.engine.scenario_next(&next("r", "t1", 1)), Err(ControlPlaneError::ProviderMissing(missing.clone())));
    let (state, version) = h.state("r");
    assert_eq!(version, 2, "the transcript entry is saved");
    assert!(state.triggers.is_empty() && state.decisions.is_empty());
    let error = state.tool_calls[0].error.as_ref().unwrap();
    assert_eq!(error.code, "provider_missing");
    assert_eq!(error.details, ToolCallErrorDetails::ProviderMissing(missing));
    let details = serde_json::to_value(&error.details).unwrap();
    assert_eq!(details["kind"], "provider_missing");
    assert_eq!(details["missing_providers"], json!(["p"]));
}

#[test]
fn oversized_evidence_is_a_hard_error_not_unknown() {
    let h = harness(spec(
        "s",
        json!([stage("a", json!([gate("g", json!({"Condition": "c"}))]), json!({"kind": "terminal"}))]),
        json!([condition("c", "c", "exists", json!(null))]),
    ));
    h.provider.answer_json("c", json!("x".repeat(MAX_EVIDENCE_BYTES - 1)));
    h.start("r", false);
    let before = h.state("r");
    let err = h.engine.scenario_next(&next("r", "t1", 1)).unwrap_err();
    assert!(
        matches!(err, ControlPlaneError::EvidenceTooLarge { actual, max, .. } if actual == MAX_EVIDENCE_BYTES + 1 && max == MAX_EVIDENCE_BYTES)
    );
    assert_eq!(h.state("r"), before);
    h.provider.answer_json("c", json!("x".repeat(MAX_EVIDENCE_BYTES - 2)));
    assert!(h.engine.scenario_next(&next("r", "t1", 1)).is_ok(), "the exact boundary passes");
}

#[test]
fn trust_lanes_apply_per_gate() {
    let value = spec(
        "trust",
        json!([stage(
            "a",
            json!([
                {"gate_id": "strict", "requirement": {"Condition": "c"}, "trust": {"min_lane": "verified"}},
                {"gate_id": "lenient", "requirement": {"Condition": "c"}}
            ]),
            json!({"kind": "terminal"})
        )]),
        json!([condition("c", "c", "equals", json!(1))]),
    );
    let config = EngineConfig { trust_requirement: TrustLane::Asserted, ..EngineConfig::default() };
    let h = harness_with(value.clone(), config, None);
    h.provider.answer("c", EvidenceResult::asserted_json(json!(1)));
    h.start("r", false);
    h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    let (state, _) = h.state("r");
    let strict = &state.gate_evals[0];
    assert_eq!(strict.evaluation.status, TriState::Unknown);
    let error = strict.evidence[0].result.error.as_ref().unwrap();
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        ("trust_lane", "evidence lane Asserted does not satisfy Verified")
    );
    assert!(strict.evidence[0].result.value.is_some(), "a trust failure keeps the value");
    assert!(strict.evidence[0].result.evidence_hash.is_some());
    assert_eq!(state.gate_evals[1].evaluation.status, TriState::True, "same condition, lenient gate");

    // Default trust (verified) makes asserted evidence Unknown; a provider override to
    // asserted cannot lower the global minimum.
    let mut overrides = BTreeMap::new();
    overrides.insert("p".into(), TrustLane::Asserted);
    let config = EngineConfig { provider_trust_overrides: overrides, ..EngineConfig::default() };
    let h = harness_with(value, config, None);
    h.provider.answer("c", EvidenceResult::asserted_json(json!(1)));
    h.start("r", false);
    let result = h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    assert!(matches!(result.decision.outcome, DecisionOutcome::Hold { .. }));
    assert_eq!(h.state("r").0.gate_evals[1].evaluation.status, TriState::Unknown);
}

#[test]
fn deterministic_shuffle_changes_only_the_call_order() {
    let conditions: Vec<serde_json::Value> =
        ["beta", "alpha", "gamma", "delta"].iter().map(|id| condition(id, id, "equals", json!(1))).collect();
    let requirement =
        json!({"And": [{"Condition": "beta"}, {"Condition": "alpha"}, {"Condition": "gamma"}, {"Condition": "delta"}]});
    let value = spec(
        "shuffle",
        json!([stage("a", json!([gate("g", requirement)]), json!({"kind": "terminal"}))]),
        json!(conditions),
    );
    let run = |order: ConditionEvalOrder| {
        let h =
            harness_with(value.clone(), EngineConfig { condition_eval_order: order, ..EngineConfig::default() }, None);
        for id in ["alpha", "beta", "gamma", "delta"] {
            h.provider.answer_json(id, json!(1));
        }
        h.start("r", false);
        h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
        (h.provider.calls(), h.state("r").0)
    };
    let (spec_order, spec_state) = run(ConditionEvalOrder::Spec);
    assert_eq!(spec_order, vec!["beta", "alpha", "gamma", "delta"]);
    let (shuffled, shuffled_state) = run(ConditionEvalOrder::DeterministicShuffle { seed: 7 });
    let (shuffled_again, _) = run(ConditionEvalOrder::DeterministicShuffle { seed: 7 });
    assert_eq!(shuffled, shuffled_again, "the shuffle is deterministic");
    let mut sorted = shuffled.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["alpha", "beta", "delta", "gamma"]);
    let different = (0..20u64).any(|seed| run(ConditionEvalOrder::DeterministicShuffle { seed }).0 != spec_order);
    assert!(different, "some seed reorders the calls");
    assert_eq!(shuffled_state, spec_state, "recorded state is identical");
    let ids: Vec<&str> = spec_state.gate_evals[0].evidence.iter().map(|e| e.condition_id.as_str()).collect();
    assert_eq!(ids, vec!["alpha", "beta", "delta", "gamma"]);
}

#[test]
fn status_of_unknown_runs_and_inactive_runs_without_decisions() {
    let h = harness(spec("s", json!([stage("a", json!([]), json!({"kind": "terminal"}))]), json!([])));
    let request = StatusRequest {
        run_id: RunId::new("nope"),
        tenant_id: tenant(),
        namespace_id: namespace(),
        requested_at: Timestamp::Logical(0),
        correlation_id: None,
    };
    assert_eq!(h.engine.scenario_status(&request), Err(ControlPlaneError::RunNotFound(RunId::new("nope"))));
    // A run stored as failed with no decisions (e.g. produced elsewhere) answers RunInactive.
    let mut state = h.start("r", false);
    state.status = RunStatus::Failed;
    h.store.save(&state, 1).unwrap();
    assert_eq!(h.engine.scenario_next(&next("r", "t", 1)), Err(ControlPlaneError::RunInactive(RunStatus::Failed)));
}

#[test]
fn engine_builds_only_from_valid_specs() {
    let store = std::sync::Arc::new(crate::ports::MemoryStore::new());
    let bad: crate::spec::ScenarioSpec = serde_json::from_value(spec("bad", json!([]), json!([]))).unwrap();
    let ports = crate::engine::EnginePorts::new(
        std::sync::Arc::new(ScriptedProvider::default()),
        std::sync::Arc::new(crate::disclosure::LocalDispatcher),
        store.clone(),
    );
    let err = crate::engine::ControlPlane::new(bad, ports, EngineConfig::default()).unwrap_err();
    assert_eq!(err, ControlPlaneError::InvalidSpec(crate::spec::SpecError::MissingStages));
    assert!(ScenarioStore::list(&*store, tenant(), namespace(), None, 5).unwrap().items.is_empty());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    /// Any query order gives the same recorded state, whatever each provider answers.
    #[test]
    fn evaluation_is_deterministic_under_condition_order_shuffles(
        seed in proptest::prelude::any::<u64>(),
        answers in proptest::collection::vec(0u8..4, 6),
    ) {
        let ids = ["f", "b", "e", "a", "d", "c"];
        let conditions: Vec<serde_json::Value> = ids.iter().map(|id| condition(id, id, "equals", json!(1))).collect();
        let requirement = json!({"Or": [
            {"And": [{"Condition": "f"}, {"Condition": "b"}]},
            {"RequireGroup": {"min": 2, "reqs": [{"Condition": "e"}, {"Condition": "a"}, {"Not": {"Condition": "d"}}]}},
            {"Condition": "c"}, {"Condition": "f"}
        ]});
        let value = spec("shuffle", json!([stage("s", json!([gate("g", requirement)]), json!({"kind": "terminal"}))]), json!(conditions));
        let run = |order: ConditionEvalOrder| {
            let h = harness_with(value.clone(), EngineConfig { condition_eval_order: order, ..EngineConfig::default() }, None);
            for (id, answer) in ids.iter().zip(&answers) {
                match answer {
                    0 => h.provider.answer_json(id, json!(1)),
                    1 => h.provider.answer_json(id, json!(2)),
                    2 => h.provider.fail(id, "down"),
                    _ => h.provider.answer(id, EvidenceResult::default()),
                }
            }
            h.start("r", false);
            h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
            h.state("r").0
        };
        proptest::prop_assert_eq!(run(ConditionEvalOrder::Spec), run(ConditionEvalOrder::DeterministicShuffle { seed }));
    }
}
