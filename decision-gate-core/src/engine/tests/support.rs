//! Test doubles and builders for engine tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::disclosure::LocalDispatcher;
use crate::engine::{ControlPlane, EngineConfig, EnginePorts};
use crate::evidence::{EvidenceContext, EvidenceResult};
use crate::ids::{NamespaceId, RunId, TenantId, TriggerId};
use crate::ports::{EvidenceError, EvidenceProvider, MemoryStore, PolicyDecider, RunStateStore};
use crate::run::{NextRequest, ProviderMissingError, RunConfig, RunState, TriggerEvent, TriggerKind};
use crate::spec::{EvidenceQuery, ScenarioSpec};
use crate::time::Timestamp;

/// Hook run inside a provider call (used to interleave concurrent writers).
pub(crate) type QueryHook = Box<dyn Fn(&EvidenceQuery, &EvidenceContext) + Send + Sync>;

/// A provider answering by check id, recording every call.
#[derive(Default)]
pub(crate) struct ScriptedProvider {
    answers: Mutex<HashMap<String, Result<EvidenceResult, String>>>,
    pub(crate) calls: Mutex<Vec<String>>,
    missing: Mutex<Option<ProviderMissingError>>,
    hook: Mutex<Option<Arc<QueryHook>>>,
}

impl ScriptedProvider {
    pub(crate) fn answer(&self, check_id: &str, result: EvidenceResult) {
        self.answers.lock().unwrap().insert(check_id.to_owned(), Ok(result));
    }

    pub(crate) fn answer_json(&self, check_id: &str, value: Value) {
        self.answer(check_id, EvidenceResult::json(value));
    }

    pub(crate) fn fail(&self, check_id: &str, message: &str) {
        self.answers.lock().unwrap().insert(check_id.to_owned(), Err(message.to_owned()));
    }

    pub(crate) fn set_missing(&self, missing: Option<ProviderMissingError>) {
        *self.missing.lock().unwrap() = missing;
    }

    pub(crate) fn set_hook(&self, hook: Option<QueryHook>) {
        *self.hook.lock().unwrap() = hook.map(Arc::new);
    }

    pub(crate) fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

impl EvidenceProvider for ScriptedProvider {
    fn query(&self, query: &EvidenceQuery, ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError> {
        self.calls.lock().unwrap().push(query.check_id.clone());
        let hook = self.hook.lock().unwrap().clone();
        if let Some(hook) = hook {
            hook(query, ctx);
        }
        match self.answers.lock().unwrap().get(&query.check_id) {
            Some(Ok(result)) => Ok(result.clone()),
            Some(Err(message)) => Err(EvidenceError(message.clone())),
            None => Err(EvidenceError(format!("no answer for {}", query.check_id))),
        }
    }

    fn validate_providers(&self, _spec: &ScenarioSpec) -> Result<(), ProviderMissingError> {
        match self.missing.lock().unwrap().clone() {
            Some(missing) => Err(missing),
            None => Ok(()),
        }
    }
}

/// An engine with its in-memory store and scripted provider.
pub(crate) struct Harness {
    pub(crate) engine: ControlPlane,
    pub(crate) store: Arc<MemoryStore>,
    pub(crate) provider: Arc<ScriptedProvider>,
}

pub(crate) fn harness(spec: Value) -> Harness {
    harness_with(spec, EngineConfig::default(), None)
}

pub(crate) fn harness_with(spec: Value, config: EngineConfig, policy: Option<Arc<dyn PolicyDecider>>) -> Harness {
    let store = Arc::new(MemoryStore::new());
    let provider = Arc::new(ScriptedProvider::default());
    let mut ports = EnginePorts::new(provider.clone(), Arc::new(LocalDispatcher), store.clone());
    ports.policy = policy;
    let spec: ScenarioSpec = serde_json::from_value(spec).expect("test spec parses");
    let engine = ControlPlane::new(spec, ports, config).expect("test spec is valid");
    Harness { engine, store, provider }
}

pub(crate) fn tenant() -> TenantId {
    TenantId::new(1).unwrap()
}

pub(crate) fn namespace() -> NamespaceId {
    NamespaceId::new(1).unwrap()
}

pub(crate) fn run_config(run_id: &str, scenario_id: &str, targets: Value) -> RunConfig {
    serde_json::from_value(json!({
        "tenant_id": 1, "namespace_id": 1, "run_id": run_id, "scenario_id": scenario_id,
        "dispatch_targets": targets, "policy_tags": []
    }))
    .unwrap()
}

pub(crate) fn next(run_id: &str, trigger_id: &str, time: u64) -> NextRequest {
    NextRequest {
        run_id: RunId::new(run_id),
        tenant_id: tenant(),
        namespace_id: namespace(),
        trigger_id: TriggerId::new(trigger_id),
        agent_id: "agent".to_owned(),
        time: Timestamp::Logical(time),
        correlation_id: None,
    }
}

pub(crate) fn tick(run_id: &str, trigger_id: &str, time: Timestamp) -> TriggerEvent {
    TriggerEvent {
        trigger_id: TriggerId::new(trigger_id),
        tenant_id: tenant(),
        namespace_id: namespace(),
        run_id: RunId::new(run_id),
        kind: TriggerKind::Tick,
        time,
        source_id: "clock".to_owned(),
        payload: None,
        correlation_id: None,
    }
}

impl Harness {
    pub(crate) fn start(&self, run_id: &str, issue_entry_packets: bool) -> RunState {
        let config = run_config(run_id, self.engine.spec().scenario_id.as_str(), json!([]));
        self.engine.start_run(&config, Timestamp::Logical(0), issue_entry_packets).expect("start")
    }

    pub(crate) fn state(&self, run_id: &str) -> (RunState, u64) {
        self.store.load(tenant(), namespace(), &RunId::new(run_id)).unwrap().expect("run exists")
    }
}

/// A condition JSON object.
pub(crate) fn condition(id: &str, check: &str, comparator: &str, expected: Value) -> Value {
    json!({"condition_id": id, "query": {"provider_id": "p", "check_id": check}, "comparator": comparator,
           "expected": expected, "policy_tags": []})
}

/// A stage JSON object.
pub(crate) fn stage(id: &str, gates: Value, advance_to: Value) -> Value {
    json!({"stage_id": id, "entry_packets": [], "gates": gates, "advance_to": advance_to, "on_timeout": "fail"})
}

/// A JSON packet spec.
pub(crate) fn packet(id: &str, value: Value) -> Value {
    json!({"packet_id": id, "schema_id": "schema", "content_type": "application/json",
           "visibility_labels": ["l1"], "policy_tags": ["t1"], "payload": {"kind": "json", "value": value}})
}

/// A spec JSON object.
pub(crate) fn spec(scenario_id: &str, stages: Value, conditions: Value) -> Value {
    json!({"scenario_id": scenario_id, "namespace_id": 1, "spec_version": "1", "stages": stages,
           "conditions": conditions, "policies": [], "schemas": []})
}

/// A single-gate requirement on one condition.
pub(crate) fn gate(id: &str, requirement: Value) -> Value {
    json!({"gate_id": id, "requirement": requirement})
}
