//! Outputs built from real engine values validate against the output schemas, and the schemas
//! reject values that serde would never write.

use std::collections::BTreeMap;

use decision_gate_core::engine::{ControlPlaneError, EngineConfig, precheck_evidence_from_payload};
use decision_gate_core::evidence::{
    EvidenceAnchor, EvidenceRef, EvidenceResult, EvidenceResultError, EvidenceSignature, EvidenceValue, TrustLane,
    redact_evidence_result,
};
use decision_gate_core::hashing::HashDigest;
use decision_gate_core::ids::{RunId, StageId};
use decision_gate_core::ports::{RunStateStore, ScenarioStore};
use decision_gate_core::run::{
    DecisionOutcome, ProviderMissingError, RunState, RunStatus, StatusResponse, TriggerKind, TriggerResult,
};
use decision_gate_core::spec::PacketPayload;
use jsonschema::Validator;
use serde::Serialize;
use serde_json::{Value, json};

use super::engine::{Harness, harness, namespace, next, run_config, spec, status, submit, tenant, trigger};
use super::{assert_invalid, assert_valid, output_validator};
use crate::tools::catalogue::ToolName;

fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

/// Output validators of the run tools.
struct Outputs {
    start: Validator,
    status: Validator,
    next: Validator,
    trigger: Validator,
    submit: Validator,
}

impl Outputs {
    fn new() -> Self {
        Outputs {
            start: output_validator(ToolName::ScenarioStart),
            status: output_validator(ToolName::ScenarioStatus),
            next: output_validator(ToolName::ScenarioNext),
            trigger: output_validator(ToolName::ScenarioTrigger),
            submit: output_validator(ToolName::ScenarioSubmit),
        }
    }

    fn trigger_result(&self, result: &TriggerResult, what: &str) -> Value {
        let value = to_json(result);
        assert_valid(&self.next, &value, &format!("scenario_next {what}"));
        assert_valid(&self.trigger, &value, &format!("scenario_trigger {what}"));
        value
    }

    fn status(&self, response: &StatusResponse, what: &str) -> Value {
        let value = to_json(response);
        assert_valid(&self.status, &value, &format!("scenario_status {what}"));
        value
    }
}

/// Runs the full flow of run `a` and returns its final state (validating every result).
fn full_flow(h: &Harness, outputs: &Outputs) -> RunState {
    let state = h.engine.start_run(&run_config("a"), decision_gate_core::time::Timestamp::Logical(0), true).unwrap();
    assert_eq!(state.packets.len(), 1);
    assert_valid(&outputs.start, &to_json(&state), "started run with entry packets");

    let hold = h.engine.scenario_next(&next("a", "t1", 1)).unwrap();
    assert!(matches!(hold.decision.outcome, DecisionOutcome::Hold { .. }));
    outputs.trigger_result(&hold, "hold");
    let held = outputs.status(&h.engine.scenario_status(&status("a")).unwrap(), "hold");
    assert!(held["safe_summary"].is_object());

    h.provider.answer("a", EvidenceResult::json(json!(1)));
    let advance = h.engine.trigger(&trigger("a", "t2", TriggerKind::ExternalEvent, 2)).unwrap();
    assert!(matches!(advance.decision.outcome, DecisionOutcome::Advance { timeout: false, .. }));
    assert_eq!(advance.packets.len(), 2);
    assert_eq!(advance.packets[0].receipts.len(), 4);
    let advanced = outputs.trigger_result(&advance, "advance with packets");
    assert_eq!(advanced["decision"]["correlation_id"], "corr-1");

    let branch = h.engine.trigger(&trigger("a", "t3", TriggerKind::BackendEvent, 3)).unwrap();
    outputs.trigger_result(&branch, "branch advance");
    let complete = h.engine.scenario_next(&next("a", "t4", 4)).unwrap();
    assert!(matches!(complete.decision.outcome, DecisionOutcome::Complete { .. }));
    assert_eq!(complete.status, RunStatus::Completed);
    outputs.trigger_result(&complete, "complete");
    outputs.trigger_result(&h.engine.scenario_next(&next("a", "t1", 9)).unwrap(), "replay");

    for (id, payload) in [
        ("s-json", PacketPayload::Json { value: json!({"k": [1, 2]}) }),
        ("s-bytes", PacketPayload::Bytes { bytes: vec![0, 255] }),
        (
            "s-ext",
            PacketPayload::External {
                content_ref: serde_json::from_value(
                    json!({"uri": "u", "content_hash": {"algorithm": "sha256", "value": "ab"}}),
                )
                .unwrap(),
            },
        ),
    ] {
        let result = h.engine.scenario_submit(&submit("a", id, payload)).unwrap();
        assert_valid(&outputs.submit, &to_json(&result), id);
    }
    let conflict = h.engine.scenario_submit(&submit("a", "s-json", PacketPayload::Json { value: json!(0) }));
    assert!(matches!(conflict, Err(ControlPlaneError::SubmissionConflict(_))));

    h.provider.set_missing(Some(ProviderMissingError {
        missing_providers: vec!["p".to_owned()],
        required_capabilities: vec!["a".to_owned()],
        blocked_by_policy: false,
    }));
    assert!(h.engine.scenario_next(&next("a", "t5", 5)).is_err());
    h.provider.set_missing(None);

    let completed = outputs.status(&h.engine.scenario_status(&status("a")).unwrap(), "completed");
    assert_eq!(completed["safe_summary"], Value::Null);
    assert_eq!(completed["issued_packet_ids"], json!(["p1", "p2", "p3"]));
    let (state, _) = h.store.load(tenant(), namespace(), &RunId::new("a")).unwrap().unwrap();
    state
}

#[test]
fn run_outputs_from_the_engine_validate() {
    let outputs = Outputs::new();
    let h = harness(EngineConfig::default());
    let state = full_flow(&h, &outputs);
    let value = to_json(&state);
    let codes: Vec<&str> =
        state.tool_calls.iter().filter_map(|call| call.error.as_ref()).map(|error| error.code.as_str()).collect();
    assert_eq!(codes, ["submission_conflict", "provider_missing"]);
    assert!(value["gate_evals"].to_string().contains("provider_error"));
    assert_valid(&outputs.start, &value, "final run state");

    // Run b: no entry packets, then a tick after the deadline fails the run.
    let fresh = h.engine.start_run(&run_config("b"), decision_gate_core::time::Timestamp::Logical(0), false).unwrap();
    assert_valid(&outputs.start, &to_json(&fresh), "started run without packets");
    let never = outputs.status(&h.engine.scenario_status(&status("b")).unwrap(), "no decision yet");
    assert_eq!(never["last_decision"], Value::Null);
    let failed = h.engine.trigger(&trigger("b", "tick-1", TriggerKind::Tick, 2000)).unwrap();
    assert_eq!(failed.decision.outcome, DecisionOutcome::Fail { reason: "timeout".to_owned() });
    assert_eq!(failed.status, RunStatus::Failed);
    outputs.trigger_result(&failed, "fail");
    outputs.status(&h.engine.scenario_status(&status("b")).unwrap(), "failed");

    // Values serde never writes are rejected.
    let mut missing_status = to_json(&failed);
    missing_status.as_object_mut().unwrap().remove("status");
    assert_invalid(&outputs.trigger, &missing_status, "trigger result without status");
    let mut extra = value.clone();
    extra["version"] = json!(3);
    assert_invalid(&outputs.start, &extra, "run state with an extra key");
    let mut no_lane = value.clone();
    no_lane["gate_evals"][0]["evidence"][0]["result"].as_object_mut().unwrap().remove("lane");
    assert_invalid(&outputs.start, &no_lane, "evidence result without lane");
    let mut omitted_null = value.clone();
    omitted_null["decisions"][0].as_object_mut().unwrap().remove("correlation_id");
    assert_invalid(&outputs.start, &omitted_null, "decision without correlation_id");
    let mut status_value = to_json(&h.engine.scenario_status(&status("b")).unwrap());
    status_value.as_object_mut().unwrap().remove("safe_summary");
    assert_invalid(&outputs.status, &status_value, "status without safe_summary");
}

#[test]
fn next_feedback_levels_validate() {
    let outputs = Outputs::new();
    let h = harness(EngineConfig::default());
    h.engine.start_run(&run_config("a"), decision_gate_core::time::Timestamp::Logical(0), true).unwrap();
    let result = h.engine.scenario_next(&next("a", "t1", 1)).unwrap();
    let (state, _) = h.store.load(tenant(), namespace(), &RunId::new("a")).unwrap().unwrap();
    let records: Vec<_> = state.gate_evals.iter().filter(|record| record.trigger_id.as_str() == "t1").collect();
    assert_eq!(records.len(), 2);
    let evaluations: Vec<Value> = records.iter().map(|record| to_json(&record.evaluation)).collect();
    let redacted: Vec<Value> = records
        .iter()
        .map(|record| {
            let mut record = (*record).clone();
            for evidence in &mut record.evidence {
                evidence.result = redact_evidence_result(&evidence.result, false);
            }
            to_json(&record)
        })
        .collect();
    let base = to_json(&result);
    let with = |feedback: Value| {
        let mut value = base.clone();
        value["feedback"] = feedback;
        value
    };
    let samples = [
        with(json!({"level": "summary"})),
        with(json!({"level": "summary", "denied_reason": "feedback level denied (requested=trace, allowed=summary)"})),
        with(json!({"level": "trace", "gate_evaluations": evaluations})),
        with(json!({"level": "evidence", "gate_evaluations": evaluations, "gate_records": redacted})),
    ];
    for sample in &samples {
        assert_valid(&outputs.next, sample, "scenario_next with feedback");
    }
    assert_invalid(&outputs.next, &with(json!({"level": "everything"})), "bad feedback level");
    assert_invalid(&outputs.next, &with(json!({"level": "trace", "denied_reason": null})), "null feedback key");
    assert_invalid(&outputs.trigger, &samples[0], "scenario_trigger has no feedback");
}

#[test]
fn precheck_outputs_validate() {
    let validator = output_validator(ToolName::Precheck);
    let spec = spec();
    let strict = harness(EngineConfig::default());
    let lenient = harness(EngineConfig { trust_requirement: TrustLane::Asserted, ..EngineConfig::default() });
    let evidence = |payload: Value| precheck_evidence_from_payload(&spec, &payload).unwrap();
    let cases = [
        (strict.engine.precheck(None, &evidence(json!({"a": 1}))).unwrap(), "hold"),
        (lenient.engine.precheck(None, &evidence(json!({"a": 1}))).unwrap(), "advance"),
        (lenient.engine.precheck(Some(&StageId::new("three")), &evidence(json!({"y": 1}))).unwrap(), "complete"),
        (lenient.engine.precheck(Some(&StageId::new("three")), &BTreeMap::new()).unwrap(), "hold"),
    ];
    for (result, expected) in cases {
        let value = to_json(&result);
        assert_eq!(value["decision"]["kind"], expected);
        assert_valid(&validator, &value, expected);
    }
    assert_invalid(&validator, &json!({"decision": {"kind": "start"}, "gate_evaluations": []}), "start w/o stage");
}

#[test]
fn evidence_results_validate() {
    let validator = output_validator(ToolName::EvidenceQuery);
    let full = EvidenceResult {
        value: Some(EvidenceValue::Json(json!({"nested": [1, "two", null]}))),
        lane: TrustLane::Asserted,
        error: Some(EvidenceResultError {
            code: "jsonpath_not_found".to_owned(),
            message: "no match".to_owned(),
            details: Some(json!({"path": "$.x"})),
        }),
        evidence_hash: Some(HashDigest::sha256(b"2")),
        evidence_ref: Some(EvidenceRef { uri: "file:///x".to_owned() }),
        evidence_anchor: Some(EvidenceAnchor { anchor_type: "file_path".to_owned(), anchor_value: "{}".to_owned() }),
        signature: Some(EvidenceSignature { scheme: "ed25519".to_owned(), key_id: "k".to_owned(), signature: vec![7] }),
        content_type: Some("application/json".to_owned()),
    };
    let bytes = EvidenceResult { value: Some(EvidenceValue::Bytes(vec![0, 128, 255])), ..EvidenceResult::default() };
    let samples = [
        full.clone(),
        redact_evidence_result(&full, false),
        redact_evidence_result(&full, true),
        bytes,
        EvidenceResult::default(),
    ];
    for sample in &samples {
        assert_valid(&validator, &json!({"result": to_json(sample)}), "evidence result");
    }
    let value = to_json(&full);
    assert!(value.as_object().unwrap().values().all(|field| !field.is_null()), "every field set: {value}");
    let mut wrong = json!({"result": value});
    wrong["result"]["value"] = json!({"kind": "bytes", "bytes": [1]});
    assert_invalid(&validator, &wrong, "evidence bytes use `value`");
    wrong["result"]["value"] = json!({"kind": "json", "value": 1});
    wrong["result"]["lane"] = json!("Verified");
    assert_invalid(&validator, &wrong, "lane is lowercase");
}

#[test]
fn define_and_scenarios_list_outputs_validate() {
    let spec = spec();
    let define = output_validator(ToolName::ScenarioDefine);
    assert_valid(
        &define,
        &json!({"scenario_id": spec.scenario_id.as_str(), "spec_hash": to_json(&spec.spec_hash().unwrap())}),
        "scenario_define",
    );
    let list = output_validator(ToolName::ScenariosList);
    let store = decision_gate_core::ports::MemoryStore::new();
    store.define(tenant(), &spec).unwrap();
    let mut other = spec.clone();
    other.scenario_id = "zeta".into();
    store.define(tenant(), &other).unwrap();
    let first = store.list(tenant(), namespace(), None, 1).unwrap();
    assert!(first.next_token.is_some());
    assert_valid(&list, &to_json(&first), "scenarios_list first page");
    let last = store.list(tenant(), namespace(), first.next_token.as_deref(), 1).unwrap();
    assert!(last.next_token.is_none());
    assert_valid(&list, &to_json(&last), "scenarios_list last page");
    let mut no_token = to_json(&last);
    no_token.as_object_mut().unwrap().remove("next_token");
    assert_invalid(&list, &no_token, "next_token is always present");
}
