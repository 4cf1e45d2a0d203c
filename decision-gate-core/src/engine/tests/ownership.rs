//! A run belongs to the scenario (and spec hash) it was started from: an engine of any other
//! scenario, or of another definition of the same scenario, cannot read or drive it.

use std::sync::Arc;

use serde_json::{Value, json};

use super::support::*;
use crate::disclosure::LocalDispatcher;
use crate::engine::{ControlPlane, ControlPlaneError, EngineConfig, EnginePorts, RunOwnershipMismatch};
use crate::ids::{RunId, SubmissionId};
use crate::ports::RunStateStore;
use crate::run::{StatusRequest, SubmitRequest};
use crate::spec::{PacketPayload, ScenarioSpec};
use crate::time::Timestamp;

/// Scenario `x`: one stage whose gate needs a condition that never holds.
fn strict_spec() -> Value {
    spec(
        "x",
        json!([stage("a", json!([gate("g", json!({"Condition": "c"}))]), json!({"kind": "terminal"}))]),
        json!([condition("c", "c", "equals", json!(true))]),
    )
}

/// An engine for `spec_value` sharing the harness's store and provider.
fn engine_on(h: &Harness, spec_value: Value) -> ControlPlane {
    let ports = EnginePorts::new(h.provider.clone(), Arc::new(LocalDispatcher), h.store.clone());
    let spec: ScenarioSpec = serde_json::from_value(spec_value).unwrap();
    ControlPlane::new(spec, ports, EngineConfig::default()).unwrap()
}

fn submit(run_id: &str) -> SubmitRequest {
    SubmitRequest {
        run_id: RunId::new(run_id),
        tenant_id: tenant(),
        namespace_id: namespace(),
        submission_id: SubmissionId::new("s1"),
        payload: PacketPayload::Json { value: json!({"ok": true}) },
        content_type: "application/json".to_owned(),
        submitted_at: Timestamp::Logical(3),
        correlation_id: None,
    }
}

fn status(run_id: &str) -> StatusRequest {
    StatusRequest {
        run_id: RunId::new(run_id),
        tenant_id: tenant(),
        namespace_id: namespace(),
        requested_at: Timestamp::Logical(4),
        correlation_id: None,
    }
}

/// Every run-touching call of `other` on run `r` fails exactly like an unknown run and leaves
/// the stored state (and its version) untouched.
fn assert_refused(h: &Harness, other: &ControlPlane, expected_reason: &str) {
    let before = h.state("r");
    let failures = [
        other.scenario_next(&next("r", "t1", 1)).map(|_| ()).unwrap_err(),
        other.trigger(&tick("r", "t2", Timestamp::Logical(2))).map(|_| ()).unwrap_err(),
        other.scenario_submit(&submit("r")).map(|_| ()).unwrap_err(),
        other.scenario_status(&status("r")).map(|_| ()).unwrap_err(),
        other.load_run(tenant(), namespace(), &RunId::new("r")).map(|_| ()).unwrap_err(),
    ];
    let unknown = ControlPlaneError::RunNotFound(RunId::new("r")).to_string();
    for failure in failures {
        assert_eq!(failure.to_string(), unknown, "same client text as an unknown run");
        assert_eq!(failure.audit_reason().as_deref(), Some(expected_reason));
        assert!(!failure.is_retryable());
    }
    assert_eq!(h.state("r"), before, "no state change, no transcript entry");
}

#[test]
fn another_scenario_with_the_same_stages_cannot_touch_the_run() {
    let h = harness(strict_spec());
    h.start("r", false);
    // `y` copies x's stage ids with a gate that always passes.
    let bypass = engine_on(&h, spec("y", json!([stage("a", json!([]), json!({"kind": "terminal"}))]), json!([])));
    assert_refused(&h, &bypass, "run r: run belongs to scenario x, not y");
    // The owner still drives it: the gate holds.
    let held = h.engine.scenario_next(&next("r", "t1", 1)).unwrap();
    assert_eq!(held.decision.seq, 1);
    assert!(matches!(held.decision.outcome, crate::run::DecisionOutcome::Hold { .. }));
}

#[test]
fn another_definition_of_the_same_scenario_cannot_touch_the_run() {
    let h = harness(strict_spec());
    h.start("r", false);
    let mut redefined = strict_spec();
    redefined["spec_version"] = json!("2");
    let other = engine_on(&h, redefined);
    let (stored, _) = h.state("r");
    let expected = format!(
        "run r: {}",
        RunOwnershipMismatch::SpecHash {
            run_spec_hash: stored.spec_hash.value.clone(),
            requested_spec_hash: other.spec_hash().value.clone(),
        }
    );
    assert_refused(&h, &other, &expected);
}

#[test]
fn an_unknown_run_has_no_audit_reason() {
    let h = harness(strict_spec());
    let error = h.engine.scenario_next(&next("missing", "t1", 1)).unwrap_err();
    assert_eq!(error, ControlPlaneError::RunNotFound(RunId::new("missing")));
    assert_eq!(error.audit_reason(), None);
    assert!(h.store.load(tenant(), namespace(), &RunId::new("missing")).unwrap().is_none());
}
