//! Valid arguments of every tool, with fresh ids per call so that valid calls succeed.

use serde_json::{Value, json};
use system_tests::example_spec;

/// The tools the brief singles out get most of the random budget.
pub(crate) const FOCUS: [&str; 7] = [
    "scenario_define",
    "scenario_start",
    "scenario_next",
    "precheck",
    "schemas_register",
    "evidence_query",
    "runpack_export",
];

pub(crate) fn logical(value: u64) -> Value {
    json!({"kind": "logical", "value": value})
}

pub(crate) fn unix(value: i64) -> Value {
    json!({"kind": "unix_millis", "value": value})
}

pub(crate) fn loop_spec(scenario: &str) -> Value {
    json!({"scenario_id": scenario, "namespace_id": 1, "spec_version": "1", "policies": [], "schemas": [],
           "conditions": [],
           "stages": [{"stage_id": "spin", "entry_packets": [], "gates": [],
                       "advance_to": {"kind": "fixed", "stage_id": "spin"}, "on_timeout": "fail"}]})
}

pub(crate) fn renamed(example: &str, scenario: &str) -> Value {
    let mut spec = example_spec(example);
    spec["scenario_id"] = json!(scenario);
    spec
}

pub(crate) fn ci_shape() -> Value {
    json!({"type": "object", "properties": {
        "tests_passed": {"type": "integer"}, "coverage_ok": {"type": "number"},
        "no_high_vulnerabilities": {"type": "integer"}, "freeze_lifted": {"type": "boolean"}}})
}

/// Valid arguments for `tool`; `n` makes every created id fresh.
pub(crate) fn base(tool: &str, n: u64) -> Value {
    let gate = json!({"tenant_id": 1, "namespace_id": 1, "run_id": "fz-run-gate"});
    let spin = json!({"tenant_id": 1, "namespace_id": 1, "run_id": "fz-run-loop"});
    let with = |base: &Value, extra: Value| {
        let mut value = base.clone();
        for (key, item) in extra.as_object().unwrap() {
            value[key] = item.clone();
        }
        value
    };
    match tool {
        "scenario_define" => {
            let id = format!("fz-def-{n}");
            let spec = match n % 5 {
                0 => renamed("ci-release-gate", &id),
                1 => renamed("agent-loop", &id),
                2 => renamed("disclosure-packets", &id),
                3 => renamed("timeout-branch", &id),
                _ => loop_spec(&id),
            };
            json!({"spec": spec})
        }
        "scenario_start" => json!({"scenario_id": "fz-loop", "started_at": logical(0), "issue_entry_packets": true,
            "run_config": {"tenant_id": 1, "namespace_id": 1, "run_id": format!("fz-start-{n}"), "scenario_id": "fz-loop",
                           "dispatch_targets": [{"kind": "agent", "agent_id": "a"}, {"kind": "channel", "channel": "c"}],
                           "policy_tags": ["t"]}}),
        "scenario_status" => {
            json!({"scenario_id": "fz-gate", "request": with(&gate, json!({"requested_at": logical(0)}))})
        }
        "scenario_next" => {
            if n.is_multiple_of(2) {
                json!({"scenario_id": "fz-gate", "request": with(&gate, json!({"trigger_id": format!("fz-next-{n}"),
                    "agent_id": "fz-agent", "time": unix(1_800_000_000_000 + n as i64)}))})
            } else {
                json!({"scenario_id": "fz-loop", "feedback": "summary", "request": with(&spin, json!({
                    "trigger_id": format!("fz-next-{n}"), "agent_id": "fz-agent", "time": logical(n),
                    "correlation_id": "fz-corr"}))})
            }
        }
        "scenario_submit" => json!({"scenario_id": "fz-gate", "request": with(&gate, json!({
            "submission_id": format!("fz-sub-{n}"), "payload": {"kind": "json", "value": {"n": n}},
            "content_type": "application/json", "submitted_at": unix(1_800_000_000_000)}))}),
        "scenario_trigger" => json!({"scenario_id": "fz-loop", "trigger": with(&spin, json!({
            "trigger_id": format!("fz-trig-{n}"), "kind": "external_event", "time": logical(n), "source_id": "fz",
            "payload": {"kind": "json", "value": [1, 2]}}))}),
        "evidence_query" => {
            let query = if n.is_multiple_of(2) {
                json!({"provider_id": "json", "check_id": "path",
                       "params": {"file": "ci/report.json", "jsonpath": "$.coverage.line_percent"}})
            } else {
                json!({"provider_id": "time", "check_id": "after", "params": {"timestamp": "2026-01-05T00:00:00Z"}})
            };
            json!({"query": query, "context": {"tenant_id": 1, "namespace_id": 1, "run_id": "fz-run-gate",
                "scenario_id": "fz-gate", "stage_id": "quality", "trigger_id": "fz-q", "trigger_time": unix(1_800_000_000_000)}})
        }
        "runpack_export" => {
            json!({"scenario_id": "fz-gate", "tenant_id": 1, "namespace_id": 1, "run_id": "fz-run-gate",
            "output_dir": format!("fz-export-{n}"), "generated_at": logical(10), "include_verification": n.is_multiple_of(2)})
        }
        "runpack_verify" => json!({"runpack_dir": "fz-export-setup", "manifest_path": "manifest.json"}),
        "providers_list" => json!({}),
        "provider_contract_get" => json!({"provider_id": "json"}),
        "provider_check_schema_get" => json!({"provider_id": "json", "check_id": "path"}),
        "schemas_register" => json!({"record": {"tenant_id": 1, "namespace_id": 1, "schema_id": format!("fz-reg-{n}"),
            "version": "1", "schema": ci_shape(), "description": null, "created_at": logical(n)}}),
        "schemas_list" | "scenarios_list" => json!({"tenant_id": 1, "namespace_id": 1, "limit": 10}),
        "schemas_get" => json!({"tenant_id": 1, "namespace_id": 1, "schema_id": "fz-shape", "version": "1"}),
        "precheck" => {
            if n.is_multiple_of(2) {
                json!({"tenant_id": 1, "namespace_id": 1, "data_shape": {"schema_id": "fz-shape", "version": "1"},
                       "scenario_id": "fz-gate", "payload": {"tests_passed": 0, "coverage_ok": 95, "no_high_vulnerabilities": 0}})
            } else {
                json!({"tenant_id": 1, "namespace_id": 1, "data_shape": {"schema_id": "fz-shape", "version": "1"},
                       "spec": renamed("ci-release-gate", "fz-inline"), "stage_id": "quality",
                       "payload": {"tests_passed": 0, "coverage_ok": 95, "no_high_vulnerabilities": 0}})
            }
        }
        other => panic!("no base arguments for {other}"),
    }
}
