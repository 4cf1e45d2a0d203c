//! Workloads shared by the core benchmarks and the `runpack_fixture` example.
#![allow(dead_code, missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;

use decision_gate_core::disclosure::LocalDispatcher;
use decision_gate_core::engine::{ControlPlane, EngineConfig, EnginePorts};
use decision_gate_core::evidence::{EvidenceAnchor, EvidenceContext, EvidenceResult};
use decision_gate_core::ids::{ConditionId, NamespaceId, RunId, TenantId, TriggerId};
use decision_gate_core::ports::{EvidenceError, EvidenceProvider, MemoryStore, RunStateStore};
use decision_gate_core::requirement::{Requirement, TriState};
use decision_gate_core::run::{NextRequest, ProviderMissingError, RunConfig, RunState};
use decision_gate_core::spec::{EvidenceQuery, ScenarioSpec};
use decision_gate_core::time::Timestamp;
use serde_json::{Value, json};

/// Answers every query with the check id's number, like a trivial deterministic provider.
pub struct CountingProvider;

impl EvidenceProvider for CountingProvider {
    fn query(&self, query: &EvidenceQuery, ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError> {
        let number: u64 = query.check_id.trim_start_matches('c').parse().unwrap_or(0);
        let anchor = match ctx.trigger_time {
            Timestamp::Logical(t) => t.to_string(),
            Timestamp::UnixMillis(t) => t.to_string(),
        };
        Ok(EvidenceResult {
            content_type: Some("application/json".into()),
            evidence_anchor: Some(EvidenceAnchor { anchor_type: "trigger_time_logical".into(), anchor_value: anchor }),
            ..EvidenceResult::json(json!(number))
        })
    }

    fn validate_providers(&self, _spec: &ScenarioSpec) -> Result<(), ProviderMissingError> {
        Ok(())
    }
}

/// A spec whose single stage has one gate over `conditions` conditions (all True), looping
/// back to itself so every trigger is a fresh decision.
pub fn looping_spec(conditions: usize) -> ScenarioSpec {
    let conds: Vec<Value> = (0..conditions)
        .map(|i| {
            json!({"condition_id": format!("c{i}"), "query": {"provider_id": "p", "check_id": format!("c{i}")},
                        "comparator": "greater_than_or_equal", "expected": 0, "policy_tags": []})
        })
        .collect();
    let leaves: Vec<Value> = (0..conditions).map(|i| json!({"Condition": format!("c{i}")})).collect();
    serde_json::from_value(json!({
        "scenario_id": "bench", "namespace_id": 1, "spec_version": "1", "policies": [], "schemas": [],
        "conditions": conds,
        "stages": [{"stage_id": "loop", "entry_packets": [], "gates": [{"gate_id": "g", "requirement": {"And": leaves}}],
                    "advance_to": {"kind": "fixed", "stage_id": "loop"}, "on_timeout": "fail"}]
    }))
    .expect("bench spec")
}

pub fn engine(conditions: usize) -> (ControlPlane, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    let ports = EnginePorts::new(Arc::new(CountingProvider), Arc::new(LocalDispatcher), store.clone());
    (ControlPlane::new(looping_spec(conditions), ports, EngineConfig::default()).expect("engine"), store)
}

pub fn run_config(run_id: &str) -> RunConfig {
    RunConfig {
        tenant_id: TenantId::new(1).unwrap(),
        namespace_id: NamespaceId::new(1).unwrap(),
        run_id: RunId::new(run_id),
        scenario_id: "bench".into(),
        dispatch_targets: vec![],
        policy_tags: vec![],
    }
}

pub fn next_request(run_id: &str, trigger: u64) -> NextRequest {
    NextRequest {
        run_id: RunId::new(run_id),
        tenant_id: TenantId::new(1).unwrap(),
        namespace_id: NamespaceId::new(1).unwrap(),
        trigger_id: TriggerId::new(format!("t{trigger}")),
        agent_id: "agent".into(),
        time: Timestamp::Logical(trigger),
        correlation_id: None,
    }
}

/// A run with `triggers` decisions on a three-condition looping stage.
pub fn run_with_triggers(triggers: u64) -> (ScenarioSpec, RunState) {
    let (engine, store) = engine(3);
    engine.start_run(&run_config("big"), Timestamp::Logical(0), false).expect("start");
    for trigger in 1..=triggers {
        engine.scenario_next(&next_request("big", trigger)).expect("next");
    }
    let (state, _) = store
        .load(TenantId::new(1).unwrap(), NamespaceId::new(1).unwrap(), &RunId::new("big"))
        .expect("load")
        .expect("run");
    (engine.spec().clone(), state)
}

/// A requirement tree with `leaves` condition leaves (Or of And groups plus a RequireGroup) and
/// the statuses to evaluate it against.
pub fn wide_tree(leaves: usize) -> (Requirement, HashMap<ConditionId, TriState>) {
    let per_group = 50;
    let mut statuses = HashMap::new();
    let groups: Vec<Requirement> = (0..leaves / per_group)
        .map(|g| {
            let members: Vec<Requirement> = (0..per_group)
                .map(|i| {
                    let id = format!("c{}", g * per_group + i);
                    let status = match (g + i) % 3 {
                        0 => TriState::True,
                        1 => TriState::Unknown,
                        _ => TriState::False,
                    };
                    statuses.insert(ConditionId::new(id.clone()), status);
                    Requirement::condition(id)
                })
                .collect();
            if g % 2 == 0 { Requirement::And(members) } else { Requirement::RequireGroup { min: 10, reqs: members } }
        })
        .collect();
    (Requirement::Or(groups), statuses)
}

/// About 1 MiB of realistic nested JSON (objects, strings, integers, floats, arrays).
pub fn one_mib_json() -> Value {
    let items: Vec<Value> = (0..5200)
        .map(|i| {
            json!({"id": i, "name": format!("item-{i}"), "price": (i as f64) * 1.25 + 0.1, "tags": ["alpha", "beta", "gamma"],
                   "active": i % 2 == 0, "owner": {"user": format!("user{}", i % 97), "team": "platform"}})
        })
        .collect();
    json!({"items": items, "version": 3})
}
