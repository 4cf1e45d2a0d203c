//! Lazy, tick-only timeouts with the three policies (core-model §6.7).

use serde_json::{Value, json};

use super::support::*;
use crate::engine::ControlPlaneError;
use crate::run::{DecisionOutcome, RunStatus};
use crate::time::Timestamp;

fn timed_spec(policy: &str, advance_to: Value) -> Value {
    let mut first = stage("a", json!([gate("g", json!({"Condition": "c"}))]), advance_to);
    first["timeout"] = json!({"timeout_ms": 5, "policy_tags": ["ignored"]});
    first["on_timeout"] = json!(policy);
    let mut second = stage("b", json!([]), json!({"kind": "terminal"}));
    second["entry_packets"] = json!([packet("pb", json!("hello"))]);
    spec(
        "timeouts",
        json!([first, second, stage("alt", json!([]), json!({"kind": "terminal"}))]),
        json!([condition("c", "c", "equals", json!(true))]),
    )
}

fn started(policy: &str, advance_to: Value) -> Harness {
    let h = harness(timed_spec(policy, advance_to));
    h.provider.answer_json("c", json!(false));
    h.start("r", false);
    h
}

#[test]
fn fail_policy_fails_the_run_without_provider_calls() {
    let h = started("fail", json!({"kind": "linear"}));
    let result = h.engine.trigger(&tick("r", "tick-10", Timestamp::Logical(10))).unwrap();
    assert_eq!(result.decision.outcome, DecisionOutcome::Fail { reason: "timeout".into() });
    assert_eq!(result.status, RunStatus::Failed);
    assert!(h.provider.calls().is_empty());
    let (state, _) = h.state("r");
    assert!(state.gate_evals.is_empty());
    assert_eq!(state.triggers.len(), 1);
    assert_eq!(state.tool_calls[0].method, "scenario.trigger");
}

#[test]
fn advance_with_flag_treats_gates_as_true() {
    let h = started("advance_with_flag", json!({"kind": "linear"}));
    let result = h.engine.trigger(&tick("r", "tick-10", Timestamp::Logical(10))).unwrap();
    assert_eq!(
        result.decision.outcome,
        DecisionOutcome::Advance { from_stage: "a".into(), to_stage: "b".into(), timeout: true }
    );
    assert_eq!(result.packets.len(), 1, "timeout advances issue packets");
    assert_eq!(h.state("r").0.stage_entered_at, Timestamp::Logical(10));
    // With a true-branch rule, the flag path can take it.
    let h = started(
        "advance_with_flag",
        json!({"kind": "branch", "branches": [{"gate_id": "g", "outcome": "true", "next_stage_id": "alt"}]}),
    );
    let result = h.engine.trigger(&tick("r", "t", Timestamp::Logical(5))).unwrap();
    assert_eq!(
        result.decision.outcome,
        DecisionOutcome::Advance { from_stage: "a".into(), to_stage: "alt".into(), timeout: true }
    );
    // Terminal stages complete.
    let h = started("advance_with_flag", json!({"kind": "terminal"}));
    let result = h.engine.trigger(&tick("r", "t", Timestamp::Logical(5))).unwrap();
    assert_eq!(result.decision.outcome, DecisionOutcome::Complete { stage_id: "a".into() });
    assert_eq!(result.status, RunStatus::Completed);
}

#[test]
fn alternate_branch_routes_unknown_rules() {
    let branches = json!({"kind": "branch", "branches": [
        {"gate_id": "g", "outcome": "true", "next_stage_id": "b"},
        {"gate_id": "g", "outcome": "unknown", "next_stage_id": "alt"}]});
    let h = started("alternate_branch", branches);
    let result = h.engine.trigger(&tick("r", "t", Timestamp::Logical(10))).unwrap();
    assert_eq!(
        result.decision.outcome,
        DecisionOutcome::Advance { from_stage: "a".into(), to_stage: "alt".into(), timeout: true }
    );

    let h = started("alternate_branch", json!({"kind": "fixed", "stage_id": "b"}));
    let result = h.engine.trigger(&tick("r", "t", Timestamp::Logical(10))).unwrap();
    assert_eq!(
        result.decision.outcome,
        DecisionOutcome::Advance { from_stage: "a".into(), to_stage: "b".into(), timeout: true }
    );

    let h = started("alternate_branch", json!({"kind": "terminal"}));
    let result = h.engine.trigger(&tick("r", "t", Timestamp::Logical(10))).unwrap();
    assert_eq!(result.decision.outcome, DecisionOutcome::Complete { stage_id: "a".into() });

    let only_true = json!({"kind": "branch", "branches": [{"gate_id": "g", "outcome": "true", "next_stage_id": "b"}]});
    let h = started("alternate_branch", only_true);
    let before = h.state("r");
    assert_eq!(
        h.engine.trigger(&tick("r", "t", Timestamp::Logical(10))),
        Err(ControlPlaneError::GateResolutionFailed("no branch matched".into()))
    );
    assert_eq!(h.state("r"), before);
}

#[test]
fn timeouts_are_lazy_and_tick_only() {
    let h = started("fail", json!({"kind": "linear"}));
    // A non-tick trigger after the deadline evaluates gates normally.
    let late_next = h.engine.scenario_next(&next("r", "n", 50)).unwrap();
    assert!(matches!(late_next.decision.outcome, DecisionOutcome::Hold { .. }));
    // A tick before the deadline evaluates gates (hold), and holds do not reset the clock.
    let early = h.engine.trigger(&tick("r", "tick-3", Timestamp::Logical(3))).unwrap();
    assert!(matches!(early.decision.outcome, DecisionOutcome::Hold { .. }));
    let at_deadline = h.engine.trigger(&tick("r", "tick-5", Timestamp::Logical(5))).unwrap();
    assert_eq!(at_deadline.decision.outcome, DecisionOutcome::Fail { reason: "timeout".into() });
}

#[test]
fn mixed_timestamp_kinds_and_overflow_are_errors_that_change_nothing() {
    let h = started("fail", json!({"kind": "linear"}));
    let before = h.state("r");
    assert_eq!(
        h.engine.trigger(&tick("r", "t", Timestamp::UnixMillis(10))),
        Err(ControlPlaneError::TriggerTimeMismatch)
    );
    assert_eq!(h.state("r"), before);

    let mut overflowing = timed_spec("fail", json!({"kind": "linear"}));
    overflowing["stages"][0]["timeout"]["timeout_ms"] = json!(u64::MAX);
    let h = harness(overflowing);
    // Unix millis need the timeout to fit an i64; logical counters overflow past u64::MAX.
    let config = run_config("r", "timeouts", json!([]));
    h.engine.start_run(&config, Timestamp::UnixMillis(0), false).unwrap();
    let before = h.state("r");
    assert_eq!(h.engine.trigger(&tick("r", "t", Timestamp::UnixMillis(1))), Err(ControlPlaneError::TimeoutCalculation));
    assert_eq!(h.state("r"), before);
    h.engine.start_run(&run_config("r2", "timeouts", json!([])), Timestamp::Logical(1), false).unwrap();
    let before = h.state("r2");
    assert_eq!(h.engine.trigger(&tick("r2", "t", Timestamp::Logical(1))), Err(ControlPlaneError::TimeoutCalculation));
    assert_eq!(h.state("r2"), before);
}
