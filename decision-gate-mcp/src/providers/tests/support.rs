//! Shared fixtures.

use decision_gate_core::evidence::EvidenceContext;
use decision_gate_core::ids::{NamespaceId, RunId, ScenarioId, StageId, TenantId, TriggerId};
use decision_gate_core::spec::{EvidenceQuery, ScenarioSpec};
use decision_gate_core::time::Timestamp;
use serde_json::{Value, json};

use crate::providers::builtin_contracts::builtin_contracts;
use crate::providers::{CapabilityRegistry, ContractSource};

/// An evidence context at the given trigger time.
pub(super) fn ctx(trigger_time: Timestamp) -> EvidenceContext {
    EvidenceContext {
        tenant_id: TenantId::new(1).expect("nonzero"),
        namespace_id: NamespaceId::DEFAULT,
        run_id: RunId::new("run-1"),
        scenario_id: ScenarioId::new("scenario"),
        stage_id: StageId::new("stage-1"),
        trigger_id: TriggerId::new("trigger-1"),
        trigger_time,
        correlation_id: None,
    }
}

/// A query; `Value::Null` params mean "absent".
pub(super) fn query(provider: &str, check: &str, params: Value) -> EvidenceQuery {
    EvidenceQuery {
        provider_id: provider.into(),
        check_id: check.to_owned(),
        params: if params.is_null() { None } else { Some(params) },
    }
}

/// A condition as JSON (`expected` null = absent).
pub(super) fn cond(id: &str, provider: &str, check: &str, params: Value, comparator: &str, expected: Value) -> Value {
    let mut query = json!({"provider_id": provider, "check_id": check});
    if !params.is_null() {
        query["params"] = params;
    }
    json!({
        "condition_id": id,
        "query": query,
        "comparator": comparator,
        "expected": expected,
        "policy_tags": []
    })
}

/// A one-stage spec with the given conditions.
pub(super) fn spec(conditions: Vec<Value>) -> ScenarioSpec {
    serde_json::from_value(json!({
        "scenario_id": "scenario",
        "namespace_id": 1,
        "spec_version": "1",
        "stages": [{
            "stage_id": "stage-1",
            "entry_packets": [],
            "gates": [],
            "advance_to": {"kind": "terminal"},
            "timeout": null,
            "on_timeout": "fail"
        }],
        "conditions": conditions,
        "policies": [],
        "schemas": []
    }))
    .expect("spec fixture parses")
}

/// A registry of the four built-in contracts.
pub(super) fn builtin_registry() -> CapabilityRegistry {
    CapabilityRegistry::from_contracts(
        builtin_contracts().into_iter().map(|contract| (contract, ContractSource::Builtin)),
    )
    .expect("built-in contracts register")
}
