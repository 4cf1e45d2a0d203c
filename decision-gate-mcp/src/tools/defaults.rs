//! Arguments the server can know, filled in before decoding: the tenant (the caller's single
//! tenant), the namespace (the default namespace `1`), `run_config.scenario_id` (the tool's
//! `scenario_id`), `run_config.policy_tags` (empty), `scenario_status.request.requested_at` and
//! the run fields of an `evidence_query` context. Only absent keys are filled; a present value,
//! valid or not, is left for decoding to judge, so nothing is ever silently re-scoped.

use decision_gate_core::ids::{NamespaceId, TenantId};
use serde_json::{Map, Value, json};

use super::catalogue::ToolName;

/// The object holding a tool's `tenant_id` and `namespace_id`: `None` for the arguments
/// themselves, else the key of a nested object.
fn scope_object(tool: ToolName) -> Option<&'static str> {
    match tool {
        ToolName::ScenarioStart => Some("run_config"),
        ToolName::ScenarioStatus | ToolName::ScenarioNext | ToolName::ScenarioSubmit => Some("request"),
        ToolName::ScenarioTrigger => Some("trigger"),
        ToolName::EvidenceQuery => Some("context"),
        ToolName::SchemasRegister => Some("record"),
        _ => None,
    }
}

fn container(tool: ToolName, arguments: &Value) -> Option<&Map<String, Value>> {
    match scope_object(tool) {
        None => arguments.as_object(),
        Some(key) => arguments.get(key)?.as_object(),
    }
}

fn container_mut(tool: ToolName, arguments: &mut Value) -> Option<&mut Map<String, Value>> {
    match scope_object(tool) {
        None => arguments.as_object_mut(),
        Some(key) => arguments.get_mut(key)?.as_object_mut(),
    }
}

/// Whether the arguments give the key at all (present, whatever its value).
pub fn names_tenant(tool: ToolName, arguments: &Value) -> bool {
    if tool == ToolName::ScenarioDefine {
        return arguments.get("tenant_id").is_some_and(|tenant| !tenant.is_null())
            || arguments.pointer("/spec/default_tenant_id").is_some_and(|tenant| !tenant.is_null());
    }
    container(tool, arguments).is_some_and(|fields| fields.get("tenant_id").is_some_and(|tenant| !tenant.is_null()))
}

/// Inserts `value` unless the key is present with a non-null value.
fn insert_absent(fields: &mut Map<String, Value>, key: &str, value: Value) {
    if fields.get(key).is_none_or(Value::is_null) {
        fields.insert(key.to_owned(), value);
    }
}

/// Fills the absent keys the server can know (see the module documentation); `tenant` is the
/// default tenant for arguments that name none.
pub fn fill(tool: ToolName, arguments: &mut Value, tenant: Option<TenantId>, namespace: Option<NamespaceId>) {
    if tool == ToolName::ScenarioDefine {
        if let (Some(tenant), Some(fields)) = (tenant, arguments.as_object_mut()) {
            insert_absent(fields, "tenant_id", json!(tenant.get()));
        }
        return;
    }
    let scenario_id = arguments.get("scenario_id").cloned();
    let Some(fields) = container_mut(tool, arguments) else { return };
    if let Some(tenant) = tenant {
        insert_absent(fields, "tenant_id", json!(tenant.get()));
    }
    if let Some(namespace) = namespace {
        insert_absent(fields, "namespace_id", json!(namespace.get()));
    }
    match tool {
        ToolName::ScenarioStart => {
            if let Some(scenario_id) = scenario_id {
                insert_absent(fields, "scenario_id", scenario_id);
            }
            insert_absent(fields, "policy_tags", json!([]));
        }
        // Status is read-only and records nothing: the time is not used.
        ToolName::ScenarioStatus => insert_absent(fields, "requested_at", json!({"kind": "logical", "value": 0})),
        // A direct query is not part of a run: these name the query itself.
        ToolName::EvidenceQuery => {
            for key in ["run_id", "scenario_id", "stage_id", "trigger_id"] {
                insert_absent(fields, key, json!("evidence-query"));
            }
            insert_absent(fields, "trigger_time", json!({"kind": "logical", "value": 0}));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: u64) -> TenantId {
        TenantId::new(n).unwrap()
    }

    #[test]
    fn absent_ids_are_filled_and_present_ones_kept() {
        let mut next = json!({"scenario_id": "s", "request": {"run_id": "r", "trigger_id": "t"}});
        assert!(!names_tenant(ToolName::ScenarioNext, &next));
        fill(ToolName::ScenarioNext, &mut next, Some(t(3)), NamespaceId::new(1));
        assert_eq!(next["request"]["tenant_id"], 3);
        assert_eq!(next["request"]["namespace_id"], 1);
        let mut named = json!({"tenant_id": 2, "namespace_id": 5, "cursor": null});
        fill(ToolName::ScenariosList, &mut named, None, NamespaceId::new(1));
        assert_eq!(named, json!({"tenant_id": 2, "namespace_id": 5, "cursor": null}), "never re-scoped");
        let mut invalid = json!({"tenant_id": 0});
        fill(ToolName::SchemasList, &mut invalid, None, NamespaceId::new(1));
        assert_eq!(invalid["tenant_id"], 0, "an invalid id is left for decoding to refuse");
    }

    #[test]
    fn start_status_and_evidence_query_get_their_known_fields() {
        let mut start = json!({"scenario_id": "s", "run_config": {"run_id": "r", "dispatch_targets": []}});
        fill(ToolName::ScenarioStart, &mut start, Some(t(1)), NamespaceId::new(1));
        assert_eq!(start["run_config"]["scenario_id"], "s");
        assert_eq!(start["run_config"]["policy_tags"], json!([]));
        let mut status = json!({"scenario_id": "s", "request": {"run_id": "r"}});
        fill(ToolName::ScenarioStatus, &mut status, Some(t(1)), NamespaceId::new(1));
        assert_eq!(status["request"]["requested_at"], json!({"kind": "logical", "value": 0}));
        let mut query = json!({"query": {"provider_id": "time", "check_id": "now"}, "context": {"trigger_time": {"kind": "logical", "value": 5}}});
        fill(ToolName::EvidenceQuery, &mut query, Some(t(1)), NamespaceId::new(1));
        assert_eq!(query["context"]["trigger_time"]["value"], 5, "given values kept");
        assert_eq!(query["context"]["run_id"], "evidence-query");
    }

    #[test]
    fn a_definition_takes_its_tenant_from_the_argument_or_the_spec_pin() {
        let mut pinned = json!({"spec": {"namespace_id": 4, "default_tenant_id": 9}});
        assert!(names_tenant(ToolName::ScenarioDefine, &pinned));
        fill(ToolName::ScenarioDefine, &mut pinned, None, None);
        assert_eq!(pinned.get("tenant_id"), None, "the pin stands");
        let mut open = json!({"spec": {"namespace_id": 4}});
        fill(ToolName::ScenarioDefine, &mut open, Some(t(1)), None);
        assert_eq!(open["tenant_id"], 1);
    }
}
