//! A small in-memory engine producing real run values for the output-schema tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use decision_gate_core::disclosure::LocalDispatcher;
use decision_gate_core::engine::{ControlPlane, EngineConfig, EnginePorts};
use decision_gate_core::evidence::{
    EvidenceAnchor, EvidenceContext, EvidenceRef, EvidenceResult, EvidenceSignature, EvidenceValue, TrustLane,
};
use decision_gate_core::ids::{NamespaceId, RunId, SubmissionId, TenantId, TriggerId};
use decision_gate_core::ports::{EvidenceError, EvidenceProvider, MemoryStore};
use decision_gate_core::run::{
    NextRequest, ProviderMissingError, RunConfig, StatusRequest, SubmitRequest, TriggerEvent, TriggerKind,
};
use decision_gate_core::spec::{EvidenceQuery, PacketPayload, ScenarioSpec};
use decision_gate_core::time::Timestamp;
use serde_json::{Value, json};

/// A provider answering by check id.
#[derive(Default)]
pub(super) struct TestProvider {
    answers: Mutex<HashMap<String, Result<EvidenceResult, String>>>,
    missing: Mutex<Option<ProviderMissingError>>,
}

impl TestProvider {
    pub(super) fn answer(&self, check_id: &str, result: EvidenceResult) {
        self.answers.lock().unwrap().insert(check_id.to_owned(), Ok(result));
    }

    pub(super) fn fail(&self, check_id: &str, message: &str) {
        self.answers.lock().unwrap().insert(check_id.to_owned(), Err(message.to_owned()));
    }

    pub(super) fn set_missing(&self, missing: Option<ProviderMissingError>) {
        *self.missing.lock().unwrap() = missing;
    }
}

impl EvidenceProvider for TestProvider {
    fn query(&self, query: &EvidenceQuery, _ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError> {
        match self.answers.lock().unwrap().get(&query.check_id) {
            Some(Ok(result)) => Ok(result.clone()),
            Some(Err(message)) => Err(EvidenceError(message.clone())),
            None => Err(EvidenceError(format!("no answer for {}", query.check_id))),
        }
    }

    fn validate_providers(&self, _spec: &ScenarioSpec) -> Result<(), ProviderMissingError> {
        self.missing.lock().unwrap().clone().map_or(Ok(()), Err)
    }
}

fn condition(id: &str, comparator: &str, expected: Value) -> Value {
    json!({"condition_id": id, "query": {"provider_id": "p", "check_id": id, "params": {"n": 1}},
           "comparator": comparator, "expected": expected, "policy_tags": ["tag"]})
}

fn with_trust(mut condition: Value) -> Value {
    condition["trust"] = json!({"min_lane": "asserted"});
    condition
}

/// Three stages: `one` (json packet; gates on `a` and on `Or[e, a]` where `e` always fails;
/// timeout 1000 → fail), `two` (bytes and external packets; branch on `b` to `three`), `three`
/// (gate on the bytes evidence `y`, terminal).
pub(super) fn spec_json() -> Value {
    json!({
        "scenario_id": "flow", "namespace_id": 1, "spec_version": "1", "default_tenant_id": 1,
        "policies": [{"policy_id": "pol", "description": "d"}], "schemas": [{"schema_id": "sch", "version": "1"}],
        "conditions": [
            condition("a", "equals", json!(1)),
            with_trust(condition("b", "equals", json!(true))),
            condition("e", "exists", Value::Null),
            condition("y", "exists", Value::Null),
        ],
        "stages": [
            {"stage_id": "one",
             "entry_packets": [{"packet_id": "p1", "schema_id": "sch", "content_type": "application/json",
                "visibility_labels": ["l"], "policy_tags": ["t"], "expiry": {"kind": "logical", "value": 99},
                "payload": {"kind": "json", "value": {"hello": "world"}}}],
             "gates": [{"gate_id": "g1", "requirement": {"Condition": "a"}},
                       {"gate_id": "g_err", "requirement": {"Or": [{"Condition": "e"}, {"Condition": "a"}]},
                        "trust": {"min_lane": "asserted"}}],
             "advance_to": {"kind": "linear"},
             "timeout": {"timeout_ms": 1000, "policy_tags": []}, "on_timeout": "fail"},
            {"stage_id": "two",
             "entry_packets": [
                {"packet_id": "p2", "schema_id": "sch", "content_type": "application/octet-stream",
                 "visibility_labels": [], "policy_tags": [], "payload": {"kind": "bytes", "bytes": [1, 2, 3]}},
                {"packet_id": "p3", "schema_id": "sch", "content_type": "text/plain", "visibility_labels": [],
                 "policy_tags": [], "payload": {"kind": "external", "content_ref": {"uri": "s3://b/k",
                    "content_hash": {"algorithm": "sha256", "value": "00"}, "encryption": "aes"}}}],
             "gates": [{"gate_id": "g2", "requirement": {"And": [{"Condition": "b"},
                {"RequireGroup": {"min": 1, "reqs": [{"Condition": "b"}, {"Not": {"Condition": "b"}}]}}]}}],
             "advance_to": {"kind": "branch", "branches": [{"gate_id": "g2", "outcome": "true", "next_stage_id": "three"}]},
             "on_timeout": "alternate_branch"},
            {"stage_id": "three", "entry_packets": [],
             "gates": [{"gate_id": "g3", "requirement": {"Condition": "y"}}],
             "advance_to": {"kind": "terminal"}, "on_timeout": "advance_with_flag"}
        ]
    })
}

pub(super) fn spec() -> ScenarioSpec {
    serde_json::from_value(spec_json()).unwrap()
}

/// An engine over a fresh memory store.
pub(super) struct Harness {
    pub(super) engine: ControlPlane,
    pub(super) provider: Arc<TestProvider>,
    pub(super) store: Arc<MemoryStore>,
}

pub(super) fn harness(config: EngineConfig) -> Harness {
    let provider = Arc::new(TestProvider::default());
    let store = Arc::new(MemoryStore::new());
    let ports = EnginePorts::new(provider.clone(), Arc::new(LocalDispatcher), store.clone());
    let engine = ControlPlane::new(spec(), ports, config).unwrap();
    provider.fail("e", "boom");
    provider.answer("a", EvidenceResult::json(json!(2)));
    provider.answer(
        "b",
        EvidenceResult {
            value: Some(EvidenceValue::Json(json!(true))),
            lane: TrustLane::Verified,
            error: None,
            evidence_hash: None,
            evidence_ref: Some(EvidenceRef { uri: "file:///b.json".to_owned() }),
            evidence_anchor: Some(EvidenceAnchor {
                anchor_type: "file_path".to_owned(),
                anchor_value: "{\"path\":\"b.json\"}".to_owned(),
            }),
            signature: Some(EvidenceSignature {
                scheme: "ed25519".to_owned(),
                key_id: "k".to_owned(),
                signature: vec![1, 2, 255],
            }),
            content_type: Some("application/json".to_owned()),
        },
    );
    provider.answer(
        "y",
        EvidenceResult {
            value: Some(EvidenceValue::Bytes(vec![0, 9, 255])),
            content_type: Some("application/octet-stream".to_owned()),
            ..EvidenceResult::default()
        },
    );
    Harness { engine, provider, store }
}

pub(super) fn tenant() -> TenantId {
    TenantId::new(1).unwrap()
}

pub(super) fn namespace() -> NamespaceId {
    NamespaceId::new(1).unwrap()
}

pub(super) fn run_config(run_id: &str) -> RunConfig {
    serde_json::from_value(json!({
        "tenant_id": 1, "namespace_id": 1, "run_id": run_id, "scenario_id": "flow",
        "dispatch_targets": [{"kind": "agent", "agent_id": "a"}, {"kind": "session", "session_id": "s"},
                             {"kind": "external", "system": "sys", "target": "t"}, {"kind": "channel", "channel": "c"}],
        "policy_tags": ["x"]
    }))
    .unwrap()
}

pub(super) fn next(run_id: &str, trigger_id: &str, time: u64) -> NextRequest {
    NextRequest {
        run_id: RunId::new(run_id),
        tenant_id: tenant(),
        namespace_id: namespace(),
        trigger_id: TriggerId::new(trigger_id),
        agent_id: "agent-7".to_owned(),
        time: Timestamp::Logical(time),
        correlation_id: None,
    }
}

pub(super) fn trigger(run_id: &str, trigger_id: &str, kind: TriggerKind, time: u64) -> TriggerEvent {
    TriggerEvent {
        trigger_id: TriggerId::new(trigger_id),
        tenant_id: tenant(),
        namespace_id: namespace(),
        run_id: RunId::new(run_id),
        kind,
        time: Timestamp::Logical(time),
        source_id: "tests".to_owned(),
        payload: Some(PacketPayload::Json { value: json!({"why": "because"}) }),
        correlation_id: Some("corr-1".into()),
    }
}

pub(super) fn status(run_id: &str) -> StatusRequest {
    StatusRequest {
        run_id: RunId::new(run_id),
        tenant_id: tenant(),
        namespace_id: namespace(),
        requested_at: Timestamp::UnixMillis(-1),
        correlation_id: None,
    }
}

pub(super) fn submit(run_id: &str, submission_id: &str, payload: PacketPayload) -> SubmitRequest {
    SubmitRequest {
        run_id: RunId::new(run_id),
        tenant_id: tenant(),
        namespace_id: namespace(),
        submission_id: SubmissionId::new(submission_id),
        payload,
        content_type: "application/json".to_owned(),
        submitted_at: Timestamp::UnixMillis(1_700_000_000_000),
        correlation_id: Some("sub-corr".into()),
    }
}
