//! A run belongs to the scenario it was started from. Scenario `y` copies the stage ids of
//! scenario `x` with a gate that always passes; every tool that touches an existing run, named
//! with `y` and a run of `x`, must answer exactly as for a run that does not exist, change
//! nothing and leave no transcript entry (a once-shipped defect let `y` complete `x`'s run).

use serde_json::{Value, json};
use system_tests::raw::RawHttp;
use system_tests::{CallError, Era, HttpServer, McpClient, TestDir};

use super::{call_raw, logical, structured};

/// `x`: one stage whose gate needs a time that never comes (trigger time before 0).
fn strict_spec() -> Value {
    json!({"scenario_id": "x", "namespace_id": 1, "spec_version": "1", "policies": [], "schemas": [],
           "conditions": [{"condition_id": "never", "query": {"provider_id": "time", "check_id": "before",
                           "params": {"timestamp": 0}}, "comparator": "equals", "expected": true, "policy_tags": []}],
           "stages": [{"stage_id": "gate", "entry_packets": [], "gates": [{"gate_id": "g", "requirement": {"Condition": "never"}}],
                       "advance_to": {"kind": "terminal"}, "on_timeout": "fail"}]})
}

/// `y`: the same stage id, no gate at all.
fn bypass_spec() -> Value {
    json!({"scenario_id": "y", "namespace_id": 1, "spec_version": "1", "policies": [], "schemas": [],
           "conditions": [],
           "stages": [{"stage_id": "gate", "entry_packets": [], "gates": [], "advance_to": {"kind": "terminal"},
                       "on_timeout": "fail"}]})
}

/// Every run-touching call naming scenario `scenario` and run `run`.
fn run_calls(scenario: &str, run: &str) -> Vec<(&'static str, Value)> {
    let ids = json!({"tenant_id": 1, "namespace_id": 1, "run_id": run});
    let with = |extra: Value| {
        let mut request = ids.clone();
        request.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        request
    };
    vec![
        (
            "scenario_next",
            json!({"scenario_id": scenario, "request": with(json!({"trigger_id": "t-bypass", "agent_id": "agent", "time": logical(5)}))}),
        ),
        (
            "scenario_trigger",
            json!({"scenario_id": scenario, "trigger": with(json!({"trigger_id": "t-tick", "kind": "tick", "time": logical(6), "source_id": "clock"}))}),
        ),
        (
            "scenario_submit",
            json!({"scenario_id": scenario, "request": with(json!({"submission_id": "s1", "payload": {"kind": "json", "value": {"ok": true}},
                   "content_type": "application/json", "submitted_at": logical(7)}))}),
        ),
        ("scenario_status", json!({"scenario_id": scenario, "request": with(json!({"requested_at": logical(8)}))})),
        (
            "runpack_export",
            json!({"scenario_id": scenario, "tenant_id": 1, "namespace_id": 1, "run_id": run, "output_dir": "bypass-export",
                   "generated_at": logical(9), "include_verification": false}),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_cannot_be_driven_read_or_exported_through_another_scenario() {
    let dir = TestDir::new();
    let config = dir.config("http", "");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let client = McpClient::http(&server.mcp_url(), Era::Stateless).await.unwrap();
    let http = RawHttp::new(&server.base);
    client.call("scenario_define", json!({"spec": strict_spec()})).await.unwrap();
    client.call("scenario_define", json!({"spec": bypass_spec()})).await.unwrap();

    // Before run `r` exists: the unknown-run answers, through rmcp and as raw bytes.
    let mut unknown_rmcp = Vec::new();
    let mut unknown_bytes = Vec::new();
    for (index, (tool, arguments)) in run_calls("y", "r").into_iter().enumerate() {
        unknown_rmcp.push(client.call(tool, arguments.clone()).await);
        unknown_bytes.push(call_raw(&http, 100 + index as u64, tool, arguments, &[]).await.body);
    }
    for (answer, (tool, _)) in unknown_rmcp.iter().zip(run_calls("y", "r")) {
        let expected = if tool == "runpack_export" { "run not found" } else { "run not found: r" };
        assert_eq!(
            answer,
            &Err(CallError::Tool {
                code: -32004,
                kind: "not_found".into(),
                message: expected.into(),
                retryable: false
            }),
            "{tool}"
        );
    }

    // Run `r` of scenario `x`, held at its gate.
    let start = json!({"scenario_id": "x", "run_config": {"tenant_id": 1, "namespace_id": 1, "run_id": "r",
        "scenario_id": "x", "dispatch_targets": [], "policy_tags": []}, "started_at": logical(0), "issue_entry_packets": false});
    client.call("scenario_start", start).await.unwrap();
    let held = client
        .call(
            "scenario_next",
            json!({"scenario_id": "x", "request": {"tenant_id": 1, "namespace_id": 1, "run_id": "r",
            "trigger_id": "t1", "agent_id": "agent", "time": logical(1)}}),
        )
        .await
        .unwrap();
    assert_eq!(held["decision"]["outcome"]["kind"], "hold");
    let status_of = |scenario: &str| json!({"scenario_id": scenario, "request": {"tenant_id": 1, "namespace_id": 1, "run_id": "r", "requested_at": logical(2)}});
    let before = client.call("scenario_status", status_of("x")).await.unwrap();

    // The bypass: every call through `y` answers exactly as for an unknown run.
    for (index, (tool, arguments)) in run_calls("y", "r").into_iter().enumerate() {
        assert_eq!(client.call(tool, arguments.clone()).await, unknown_rmcp[index], "{tool} through rmcp");
        let raw = call_raw(&http, 100 + index as u64, tool, arguments, &[]).await;
        assert_eq!(raw.body, unknown_bytes[index], "{tool}: byte for byte");
    }

    // Nothing changed: same status, same decision log, no export, and the runpack exported
    // through `x` holds only `x`'s calls (no transcript entry from `y`).
    assert_eq!(client.call("scenario_status", status_of("x")).await.unwrap(), before);
    assert_eq!(before["status"], "active");
    assert!(!dir.path().join("runpacks/1/1/bypass-export").exists());
    let exported = structured(
        &call_raw(
            &http,
            200,
            "runpack_export",
            json!({"scenario_id": "x", "tenant_id": 1, "namespace_id": 1,
            "run_id": "r", "output_dir": "owner-export", "generated_at": logical(10), "include_verification": false}),
            &[],
        )
        .await,
    );
    assert_eq!(exported["manifest"]["scenario_id"], "x");
    let artifacts = dir.path().join("runpacks/1/1/owner-export/artifacts");
    let transcript: Value = serde_json::from_slice(&std::fs::read(artifacts.join("tool_calls.json")).unwrap()).unwrap();
    let methods: Vec<&str> =
        transcript.as_array().unwrap().iter().map(|call| call["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["scenario.next"], "only the owner's trigger is in the transcript");
    let decisions: Value = serde_json::from_slice(&std::fs::read(artifacts.join("decisions.json")).unwrap()).unwrap();
    assert_eq!(decisions.as_array().unwrap().len(), 1);

    // The audit log tells the truth the client does not see.
    let reasons: Vec<Value> = dir
        .audit_events()
        .into_iter()
        .filter(|event| event["event"] == "tool_outcome" && event["reason"].is_string())
        .map(|event| json!([event["tool"], event["reason"]]))
        .collect();
    for (tool, _) in run_calls("y", "r") {
        let expected = json!([tool, "run r: run belongs to scenario x, not y"]);
        assert_eq!(reasons.iter().filter(|entry| **entry == expected).count(), 2, "{tool}: {reasons:?}");
    }
    client.close().await;
}
