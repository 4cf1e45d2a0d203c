//! The worked run of core-model §15.1, reproduced exactly.

use serde_json::json;

use super::support::*;
use crate::hashing::HashDigest;
use crate::ids::RunId;
use crate::requirement::TriState;
use crate::run::{DecisionOutcome, RunStatus, StatusRequest};
use crate::time::Timestamp;

fn worked_spec() -> serde_json::Value {
    let mut two = stage("two", json!([]), json!({"kind": "terminal"}));
    two["entry_packets"] = json!([{"packet_id": "p2", "schema_id": "bin", "content_type": "application/octet-stream",
        "visibility_labels": [], "policy_tags": [], "payload": {"kind": "bytes", "bytes": [1, 2, 3]}}]);
    let mut one = stage(
        "one",
        json!([gate("g1", json!({"Or": [{"Condition": "b"}, {"Condition": "a"}]}))]),
        json!({"kind": "linear"}),
    );
    one["entry_packets"] = json!([packet("p1", json!({"hello": "world"}))]);
    spec(
        "worked",
        json!([one, two]),
        json!([condition("a", "a", "equals", json!(1)), condition("b", "b", "not_exists", json!(null))]),
    )
}

#[test]
fn worked_example_is_reproduced_exactly() {
    let h = harness(worked_spec());
    h.provider.answer(
        "a",
        crate::evidence::EvidenceResult {
            evidence_hash: Some(HashDigest::sha256(b"claimed by the provider")),
            ..crate::evidence::EvidenceResult::json(json!(2))
        },
    );
    h.provider.fail("b", "boom");

    // 1. Start with entry packets and one dispatch target.
    let config = run_config("run-1", "worked", json!([{"kind": "agent", "agent_id": "agent-1"}]));
    let started = h.engine.start_run(&config, Timestamp::Logical(0), true).unwrap();
    assert_eq!(started.triggers.len(), 1);
    assert_eq!(started.triggers[0].seq, 1);
    assert_eq!(started.triggers[0].event.trigger_id.as_str(), "init");
    assert_eq!(started.triggers[0].event.source_id, "system");
    assert_eq!(started.decisions[0].decision_id.as_str(), "decision-1");
    assert_eq!(started.decisions[0].outcome, DecisionOutcome::Start { stage_id: "one".into() });
    assert_eq!(started.packets.len(), 1);
    assert_eq!(started.packets[0].envelope.packet_id.as_str(), "p1");
    assert_eq!(started.packets[0].receipts.len(), 1);
    assert_eq!(started.packets[0].receipts[0].dispatch_id, "mcp-p1");
    assert_eq!(started.packets[0].receipts[0].dispatcher, "mcp");
    assert!(started.tool_calls.is_empty(), "start writes no tool-call record");

    // 2. Next t1 at logical 1.
    let result = h.engine.scenario_next(&next("run-1", "t1", 1)).unwrap();
    assert_eq!(h.provider.calls(), vec!["b", "a"], "first-visit order");
    assert_eq!(result.decision.decision_id.as_str(), "decision-2");
    assert_eq!(result.decision.seq, 2);
    match &result.decision.outcome {
        DecisionOutcome::Hold { summary } => {
            assert_eq!(summary.unmet_gates, vec!["g1".into()]);
            assert_eq!(summary.retry_hint.as_deref(), Some("await_evidence"));
            assert!(summary.policy_tags.is_empty());
        }
        other => panic!("expected hold, got {other:?}"),
    }
    assert_eq!(result.status, RunStatus::Active);
    let (state, _) = h.state("run-1");
    let eval = &state.gate_evals[0];
    assert_eq!(eval.evaluation.status, TriState::Unknown);
    let trace: Vec<(&str, TriState)> =
        eval.evaluation.trace.iter().map(|e| (e.condition_id.as_str(), e.status)).collect();
    assert_eq!(trace, vec![("b", TriState::Unknown), ("a", TriState::False)]);
    let evidence_ids: Vec<&str> = eval.evidence.iter().map(|e| e.condition_id.as_str()).collect();
    assert_eq!(evidence_ids, vec!["a", "b"], "evidence sorted by condition id");
    assert_eq!(
        eval.evidence[0].result.evidence_hash.as_ref().unwrap().value,
        "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35"
    );
    assert_eq!(eval.evidence[0].status, TriState::False);
    let b_error = eval.evidence[1].result.error.as_ref().unwrap();
    assert_eq!((b_error.code.as_str(), b_error.message.as_str()), ("provider_error", "evidence provider error: boom"));
    assert_eq!(eval.evidence[1].result.value, None);
    assert_eq!(state.tool_calls.len(), 1);
    assert_eq!(state.tool_calls[0].call_id, "call-1");
    assert_eq!(state.tool_calls[0].method, "scenario.next");
    assert_eq!(state.tool_calls[0].called_at, Timestamp::Logical(1));

    // 3. Replays: `init` returns the start decision, `t1` the hold; no trigger is logged.
    let init = h.engine.scenario_next(&next("run-1", "init", 5)).unwrap();
    assert_eq!(init.decision.decision_id.as_str(), "decision-1");
    assert_eq!(init.packets.len(), 1, "replay returns the decision's packets");
    let again = h.engine.scenario_next(&next("run-1", "t1", 6)).unwrap();
    assert_eq!(again.decision, result.decision);
    let (state, version) = h.state("run-1");
    assert_eq!(state.triggers.len(), 2);
    assert_eq!(state.decisions.len(), 2);
    let calls: Vec<&str> = state.tool_calls.iter().map(|c| c.call_id.as_str()).collect();
    assert_eq!(calls, vec!["call-1", "call-2", "call-3"]);
    assert_eq!(h.provider.calls().len(), 2, "replays query no provider");

    // 4. Status is read-only.
    let request = StatusRequest {
        run_id: RunId::new("run-1"),
        tenant_id: tenant(),
        namespace_id: namespace(),
        requested_at: Timestamp::Logical(9),
        correlation_id: None,
    };
    let status = h.engine.scenario_status(&request).unwrap();
    assert_eq!(status.issued_packet_ids, vec!["p1".into()]);
    assert_eq!(status.safe_summary.as_ref().unwrap().unmet_gates, vec!["g1".into()]);
    assert_eq!(status.current_stage_id.as_str(), "one");
    assert_eq!(status.last_decision.unwrap().decision_id.as_str(), "decision-2");
    for _ in 0..3 {
        h.engine.scenario_status(&request).unwrap();
    }
    let (after, after_version) = h.state("run-1");
    assert_eq!((after, after_version), (state, version), "status appends and writes nothing");
}
