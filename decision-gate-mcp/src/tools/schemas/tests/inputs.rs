//! Sample arguments of every tool: valid ones validate (and decode into the core types), invalid
//! ones do not.

use decision_gate_core::evidence::EvidenceContext;
use decision_gate_core::ports::{DataShapeRecord, DataShapeRef};
use decision_gate_core::run::{NextRequest, RunConfig, StatusRequest, SubmitRequest, TriggerEvent};
use decision_gate_core::spec::{EvidenceQuery, ScenarioSpec};
use decision_gate_core::time::Timestamp;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{assert_invalid, assert_valid, input_validator};
use crate::tools::catalogue::ToolName;

fn spec() -> Value {
    json!({
        "scenario_id": "s", "namespace_id": 1, "spec_version": "1", "policies": [], "schemas": [],
        "conditions": [{"condition_id": "c", "query": {"provider_id": "time", "check_id": "after",
            "params": {"timestamp": 0}}, "comparator": "equals", "expected": true, "policy_tags": []}],
        "stages": [{"stage_id": "a", "entry_packets": [], "gates": [{"gate_id": "g", "requirement": {"Condition": "c"}}],
            "advance_to": {"kind": "terminal"}, "on_timeout": "fail"}]
    })
}

fn logical(value: u64) -> Value {
    json!({"kind": "logical", "value": value})
}

fn run_config() -> Value {
    json!({"tenant_id": 1, "namespace_id": 1, "run_id": "run-1", "scenario_id": "s",
           "dispatch_targets": [{"kind": "agent", "agent_id": "a"}, {"kind": "session", "session_id": "x"},
                                {"kind": "external", "system": "sys", "target": "t"}, {"kind": "channel", "channel": "c"}],
           "policy_tags": ["p"]})
}

fn status_request() -> Value {
    json!({"tenant_id": 1, "namespace_id": 1, "run_id": "run-1", "requested_at": {"kind": "unix_millis", "value": -5}})
}

fn next_request() -> Value {
    json!({"tenant_id": 1, "namespace_id": 1, "run_id": "run-1", "trigger_id": "t1", "agent_id": "agent",
           "time": logical(2), "correlation_id": "c-1"})
}

fn submit_request(payload: Value) -> Value {
    json!({"tenant_id": 1, "namespace_id": 1, "run_id": "run-1", "submission_id": "sub-1", "payload": payload,
           "content_type": "application/json", "submitted_at": logical(3), "correlation_id": null})
}

fn trigger() -> Value {
    json!({"trigger_id": "trigger-1", "tenant_id": 1, "namespace_id": 1, "run_id": "run-1", "kind": "external_event",
           "time": logical(2), "source_id": "system-tests", "payload": null, "correlation_id": null})
}

fn context() -> Value {
    json!({"tenant_id": 1, "namespace_id": 1, "run_id": "run-1", "scenario_id": "s", "stage_id": "a",
           "trigger_id": "t", "trigger_time": {"kind": "unix_millis", "value": 5}})
}

fn record(signing: Option<Value>) -> Value {
    let mut record = json!({"tenant_id": 1, "namespace_id": 2, "schema_id": "shape", "version": "v1",
        "schema": {"type": "object"}, "description": null, "created_at": logical(1)});
    if let Some(signing) = signing {
        record["signing"] = signing;
    }
    record
}

/// Valid arguments of every tool, in canonical order.
fn valid_samples() -> Vec<(ToolName, Vec<Value>)> {
    vec![
        (ToolName::ScenarioDefine, vec![json!({"spec": spec()}), json!({"spec": spec(), "tenant_id": 3})]),
        (
            ToolName::ScenarioStart,
            vec![json!({"scenario_id": "s", "run_config": run_config(), "started_at": logical(1),
                        "issue_entry_packets": true})],
        ),
        (ToolName::ScenarioStatus, vec![json!({"scenario_id": "s", "request": status_request()})]),
        (
            ToolName::ScenarioNext,
            vec![
                json!({"scenario_id": "s", "request": next_request()}),
                json!({"scenario_id": "s", "request": next_request(), "feedback": "trace"}),
                json!({"scenario_id": "s", "request": next_request(), "feedback": "evidence"}),
                json!({"scenario_id": "s", "request": next_request(), "feedback": null}),
            ],
        ),
        (
            ToolName::ScenarioSubmit,
            vec![
                json!({"scenario_id": "s", "request": submit_request(json!({"kind": "json", "value": {"a": 1}}))}),
                json!({"scenario_id": "s", "request": submit_request(json!({"kind": "bytes", "bytes": [0, 255]}))}),
                json!({"scenario_id": "s", "request": submit_request(json!({"kind": "external", "content_ref":
                    {"uri": "s3://b/k", "content_hash": {"algorithm": "sha256", "value": "00"}}}))}),
            ],
        ),
        (ToolName::ScenarioTrigger, vec![json!({"scenario_id": "s", "trigger": trigger()})]),
        (
            ToolName::EvidenceQuery,
            vec![
                json!({"query": {"provider_id": "time", "check_id": "now"}, "context": context()}),
                json!({"query": {"provider_id": "env", "check_id": "get", "params": {"key": "HOME"}},
                       "context": context()}),
            ],
        ),
        (
            ToolName::RunpackExport,
            vec![
                json!({"scenario_id": "s", "tenant_id": 1, "namespace_id": 1, "run_id": "run-1",
                       "generated_at": logical(10), "include_verification": true}),
                json!({"scenario_id": "s", "tenant_id": 1, "namespace_id": 1, "run_id": "run-1",
                       "generated_at": logical(10), "include_verification": false, "output_dir": "out",
                       "manifest_name": "manifest.json"}),
                json!({"scenario_id": "s", "tenant_id": 1, "namespace_id": 1, "run_id": "run-1",
                       "generated_at": logical(10), "include_verification": false, "output_dir": null,
                       "manifest_name": null}),
            ],
        ),
        (ToolName::RunpackVerify, vec![json!({"runpack_dir": "out", "manifest_path": "manifest.json"})]),
        (ToolName::ProvidersList, vec![json!({})]),
        (ToolName::ProviderContractGet, vec![json!({"provider_id": "time"})]),
        (ToolName::ProviderCheckSchemaGet, vec![json!({"provider_id": "time", "check_id": "after"})]),
        (
            ToolName::SchemasRegister,
            vec![
                json!({"record": record(None)}),
                json!({"record": record(Some(json!({"key_id": "k", "signature": "sig"})))}),
                json!({"record": record(Some(json!({"key_id": "k", "signature": "sig", "algorithm": "ed25519"})))}),
            ],
        ),
        (
            ToolName::SchemasList,
            vec![
                json!({"tenant_id": 1, "namespace_id": 1}),
                json!({"tenant_id": 1, "namespace_id": 1, "cursor": null, "limit": 1}),
                json!({"tenant_id": 1, "namespace_id": 1, "cursor": "{\"schema_id\":\"a\",\"version\":\"1\"}",
                       "limit": 1000}),
            ],
        ),
        (ToolName::SchemasGet, vec![json!({"tenant_id": 1, "namespace_id": 1, "schema_id": "a", "version": "1"})]),
        (ToolName::ScenariosList, vec![json!({"tenant_id": 1, "namespace_id": 1, "cursor": "s", "limit": 50})]),
        (
            ToolName::Precheck,
            vec![
                json!({"tenant_id": 1, "namespace_id": 1, "data_shape": {"schema_id": "a", "version": "1"},
                       "payload": {"c": true}, "scenario_id": "s"}),
                json!({"tenant_id": 1, "namespace_id": 1, "data_shape": {"schema_id": "a", "version": "1"},
                       "payload": true, "spec": spec(), "stage_id": "a", "scenario_id": null}),
                json!({"tenant_id": 1, "namespace_id": 1, "data_shape": {"schema_id": "a", "version": "1"},
                       "payload": null, "spec": null, "stage_id": null, "scenario_id": "s"}),
            ],
        ),
    ]
}

#[test]
fn valid_samples_of_every_tool_validate() {
    let samples = valid_samples();
    let tools: Vec<ToolName> = samples.iter().map(|(tool, _)| *tool).collect();
    assert_eq!(tools, ToolName::ALL);
    for (tool, instances) in samples {
        let validator = input_validator(tool);
        for instance in instances {
            assert_valid(&validator, &instance, tool.as_str());
        }
    }
}

fn decodes<T: DeserializeOwned>(value: &Value) -> bool {
    serde_json::from_value::<T>(value.clone()).is_ok()
}

#[test]
fn valid_nested_objects_decode_into_the_core_types() {
    assert!(decodes::<ScenarioSpec>(&spec()));
    assert!(decodes::<RunConfig>(&run_config()));
    assert!(decodes::<StatusRequest>(&status_request()));
    assert!(decodes::<NextRequest>(&next_request()));
    assert!(decodes::<SubmitRequest>(&submit_request(json!({"kind": "bytes", "bytes": [1]}))));
    assert!(decodes::<TriggerEvent>(&trigger()));
    assert!(decodes::<EvidenceContext>(&context()));
    assert!(decodes::<EvidenceQuery>(&json!({"provider_id": "p", "check_id": "c", "params": null})));
    assert!(decodes::<DataShapeRecord>(&record(Some(json!({"key_id": "k", "signature": "s"})))));
    assert!(decodes::<DataShapeRecord>(&record(Some(Value::Null))));
    assert!(decodes::<DataShapeRef>(&json!({"schema_id": "a", "version": "1"})));
    assert!(decodes::<Timestamp>(&json!({"kind": "unix_millis", "value": i64::MIN})));
}

/// Applies `edit` to a copy of `base`.
fn edited(base: &Value, edit: impl FnOnce(&mut Value)) -> Value {
    let mut value = base.clone();
    edit(&mut value);
    value
}

fn remove(value: &mut Value, pointer: &str, key: &str) {
    value.pointer_mut(pointer).and_then(Value::as_object_mut).unwrap().remove(key);
}

#[test]
fn invalid_samples_fail() {
    let start = json!({"scenario_id": "s", "run_config": run_config(), "started_at": logical(1),
                       "issue_entry_packets": false});
    let validator = input_validator(ToolName::ScenarioStart);
    assert_valid(&validator, &start, "start");
    let cases = [
        edited(&start, |v| remove(v, "", "issue_entry_packets")),
        edited(&start, |v| remove(v, "/run_config", "run_id")),
        edited(&start, |v| v["run_config"]["namespace_id"] = json!(0)),
        edited(&start, |v| v["run_config"]["tenant_id"] = json!(0)),
        edited(&start, |v| v["run_config"]["tenant_id"] = json!("1")),
        edited(&start, |v| v["run_config"]["tenant_id"] = json!(1.5)),
        edited(&start, |v| v["run_config"]["dispatch_targets"] = json!([{"kind": "agent"}])),
        edited(&start, |v| v["run_config"]["dispatch_targets"] = json!([{"kind": "pigeon", "agent_id": "a"}])),
        edited(&start, |v| v["issue_entry_packets"] = json!("yes")),
        edited(&start, |v| v["started_at"] = json!({"kind": "wall", "value": 1})),
        edited(&start, |v| v["started_at"] = json!({"kind": "logical"})),
        edited(&start, |v| v["started_at"] = json!(1)),
        edited(&start, |v| v["unexpected"] = json!(true)),
    ];
    for (index, case) in cases.iter().enumerate() {
        assert_invalid(&validator, case, &format!("scenario_start case {index}"));
    }

    let status = input_validator(ToolName::ScenarioStatus);
    let base = json!({"scenario_id": "s", "request": status_request()});
    assert_valid(&status, &edited(&base, |v| remove(v, "/request", "namespace_id")), "status without namespace");
    assert_invalid(&status, &edited(&base, |v| remove(v, "/request", "run_id")), "status without run");
    assert_invalid(&status, &edited(&base, |v| v["request"]["namespace_id"] = json!(0)), "status namespace 0");
    assert_invalid(&status, &edited(&base, |v| remove(v, "", "scenario_id")), "status without scenario_id");

    let next = input_validator(ToolName::ScenarioNext);
    let base = json!({"scenario_id": "s", "request": next_request()});
    assert_invalid(&next, &edited(&base, |v| v["feedback"] = json!("everything")), "bad feedback level");
    assert_invalid(&next, &edited(&base, |v| remove(v, "/request", "trigger_id")), "next without trigger_id");
    assert_invalid(&next, &edited(&base, |v| v["request"]["time"] = json!({"kind": "logical", "value": "2"})), "time");

    let submit = input_validator(ToolName::ScenarioSubmit);
    let base = json!({"scenario_id": "s", "request": submit_request(json!({"kind": "bytes", "bytes": [1]}))});
    assert_invalid(&submit, &edited(&base, |v| v["request"]["payload"]["bytes"] = json!([256])), "byte 256");
    assert_invalid(&submit, &edited(&base, |v| v["request"]["payload"] = json!({"kind": "json"})), "json no value");
    assert_invalid(
        &submit,
        &edited(&base, |v| {
            v["request"]["payload"] = json!({"kind": "external", "content_ref": {"uri": "u",
                "content_hash": {"algorithm": "SHA256", "value": "00"}}})
        }),
        "upper-case hash algorithm",
    );

    let trigger_tool = input_validator(ToolName::ScenarioTrigger);
    let base = json!({"scenario_id": "s", "trigger": trigger()});
    assert_invalid(&trigger_tool, &edited(&base, |v| v["trigger"]["kind"] = json!("poke")), "trigger kind");
    assert_invalid(&trigger_tool, &edited(&base, |v| remove(v, "/trigger", "source_id")), "trigger source");

    let evidence = input_validator(ToolName::EvidenceQuery);
    let base = json!({"query": {"provider_id": "time", "check_id": "now"}, "context": context()});
    assert_valid(
        &evidence,
        &json!({"query": {"provider_id": "time", "check_id": "now"}, "context": {}}),
        "bare context",
    );
    assert_invalid(&evidence, &edited(&base, |v| v["context"]["namespace_id"] = json!(0)), "context namespace 0");
    assert_invalid(&evidence, &edited(&base, |v| remove(v, "/query", "check_id")), "query check");

    let export = input_validator(ToolName::RunpackExport);
    let base = json!({"scenario_id": "s", "tenant_id": 1, "namespace_id": 1, "run_id": "r",
                      "generated_at": logical(1), "include_verification": true});
    assert_invalid(&export, &edited(&base, |v| remove(v, "", "generated_at")), "export without generated_at");
    assert_invalid(&export, &edited(&base, |v| v["namespace_id"] = json!(0)), "export namespace 0");
    assert_invalid(&export, &edited(&base, |v| v["output_dir"] = json!(7)), "export output_dir type");

    assert_invalid(&input_validator(ToolName::RunpackVerify), &json!({"runpack_dir": "x"}), "verify manifest_path");
    assert_invalid(&input_validator(ToolName::ProvidersList), &json!({"x": 1}), "providers_list extra key");
    assert_invalid(&input_validator(ToolName::ProviderContractGet), &json!({"provider_id": ""}), "empty provider");
    assert_invalid(&input_validator(ToolName::ProviderCheckSchemaGet), &json!({"provider_id": "time"}), "no check_id");

    let register = input_validator(ToolName::SchemasRegister);
    let base = json!({"record": record(None)});
    assert_invalid(&register, &edited(&base, |v| remove(v, "/record", "created_at")), "record created_at");
    assert_invalid(&register, &edited(&base, |v| remove(v, "/record", "description")), "record description");
    assert_invalid(&register, &edited(&base, |v| v["record"]["namespace_id"] = json!(0)), "record namespace 0");
    assert_invalid(&register, &edited(&base, |v| v["record"]["signing"] = json!({"key_id": "k"})), "signing");

    for tool in [ToolName::SchemasList, ToolName::ScenariosList] {
        let list = input_validator(tool);
        let base = json!({"tenant_id": 1, "namespace_id": 1});
        assert_invalid(&list, &edited(&base, |v| v["limit"] = json!(0)), "limit 0");
        assert_invalid(&list, &edited(&base, |v| v["limit"] = json!(1001)), "limit 1001");
        assert_invalid(&list, &edited(&base, |v| v["cursor"] = json!(5)), "cursor type");
        assert_valid(&list, &edited(&base, |v| remove(v, "", "tenant_id")), "list without tenant");
        assert_invalid(&list, &edited(&base, |v| v["tenant_id"] = json!(null)), "list tenant null");
    }

    let get = input_validator(ToolName::SchemasGet);
    assert_invalid(&get, &json!({"tenant_id": 1, "namespace_id": 1, "schema_id": "a"}), "schemas_get version");
    assert_invalid(&get, &json!({"schema_id": "a", "version": "1", "verson": "2"}), "schemas_get misspelled key");

    let precheck = input_validator(ToolName::Precheck);
    let base = json!({"tenant_id": 1, "namespace_id": 1, "data_shape": {"schema_id": "a", "version": "1"},
                      "payload": {}});
    assert_valid(&precheck, &base, "precheck base");
    assert_invalid(&precheck, &edited(&base, |v| remove(v, "", "payload")), "precheck payload");
    assert_invalid(&precheck, &edited(&base, |v| remove(v, "/data_shape", "version")), "precheck data_shape");
    assert_invalid(&precheck, &edited(&base, |v| v["spec"] = json!({"scenario_id": "s"})), "precheck spec");

    let define = input_validator(ToolName::ScenarioDefine);
    assert_invalid(&define, &json!({}), "define without spec");
    assert_invalid(&define, &json!({"spec": spec(), "tenant_id": 0}), "define tenant 0");
    assert_invalid(&define, &json!({"spec": edited(&spec(), |v| v["namespace_id"] = json!(0))}), "spec namespace 0");
}
