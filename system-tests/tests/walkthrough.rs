//! The README's five-minute walkthrough, step by step: the server started as the README starts
//! it in a copy of `examples/ci-release-gate` (the example's `decision-gate.toml`, a fresh
//! `DECISION_GATE_HOME`), the prepared request files posted to `/rpc` as the README's `curl`
//! does, the same edits to the CI report, and the offline verifier. If the README and the
//! product drift apart, this fails. A second test checks that a walkthrough's leftovers in the
//! example directory never reach the tests.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use system_tests::raw::RawHttp;
use system_tests::{Era, HttpServer, McpClient, TestDir, binary};

/// Posts `requests/<name>` byte for byte and returns the tool result inside the OSS
/// `{"content":[{"type":"json","json":…}]}` shape.
async fn post(http: &RawHttp, dir: &Path, name: &str) -> Value {
    let body = std::fs::read(dir.join("requests").join(name)).expect("request file exists");
    let response = http.post("/rpc", &[("content-type", "application/json")], body).await;
    let message = response.json();
    assert_eq!(response.status, 200, "{name}: {message}");
    let content = message["result"]["content"].as_array().unwrap_or_else(|| panic!("{name}: {message}"));
    assert_eq!(content.len(), 1, "{name}: {message}");
    assert_eq!(content[0]["type"], "json");
    content[0]["json"].clone()
}

/// The README's `sed -i 's/FROM/TO/'` on the CI report; the pattern must be present.
fn sed_report(dir: &Path, from: &str, to: &str) {
    let path = dir.join("evidence/ci/report.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "README edit pattern {from:?} not found in {text}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn outcome(result: &Value) -> &str {
    result["decision"]["outcome"]["kind"].as_str().unwrap_or_default()
}

fn verify_offline(dir: &Path, home: &Path) -> (Option<i32>, Value) {
    let manifest = home.join("runpacks/1/1/release-1/manifest.json");
    let output = Command::new(binary())
        .args(["runpack", "verify", "--manifest"])
        .arg(&manifest)
        .env_remove("DECISION_GATE_CONFIG")
        .env("DECISION_GATE_HOME", home)
        .current_dir(dir)
        .output()
        .expect("run the verifier");
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code(), report)
}

#[tokio::test(flavor = "multi_thread")]
async fn readme_walkthrough_runs_as_written() {
    let dir = TestDir::from_example("ci-release-gate");
    let root = dir.path();
    let home = tempfile::tempdir().unwrap();
    let home_text = home.path().display().to_string();
    let server = HttpServer::start_as_in_readme(root, &[("DECISION_GATE_HOME", &home_text)]).unwrap();
    let http = RawHttp::new(&server.base);
    // The banner names the data directory and the endpoints; stderr is for people (the audit
    // log is a file in the data directory).
    let banner = server.stderr();
    assert!(banner.contains(&format!("data directory: {home_text}")), "{banner}");
    assert!(banner.contains("/mcp, /rpc, /healthz, /readyz, /metrics"), "{banner}");
    assert!(banner.contains("auth: local_only"), "{banner}");
    assert!(banner.lines().all(|line| !line.trim_start().starts_with('{')), "no JSON on stderr: {banner}");
    let index = http.get("/").await.json();
    assert_eq!(index["endpoints"]["mcp"], "/mcp");
    assert_eq!(index["auth"], "local_only");

    let defined = post(&http, root, "1-define.json").await;
    assert_eq!(defined["scenario_id"], "ci-release-gate");
    assert!(defined["spec_hash"]["value"].as_str().is_some_and(|hash| hash.len() == 64), "{defined}");

    let started = post(&http, root, "2-start.json").await;
    assert_eq!(started["run_id"], "release-1");
    assert_eq!(started["status"], "active");
    assert_eq!(started["current_stage_id"], "quality");

    sed_report(root, "\"failed\": 0", "\"failed\": 2");
    let held = post(&http, root, "3-next.json").await;
    assert_eq!(outcome(&held), "hold", "{held}");
    assert_eq!(held["decision"]["outcome"]["summary"]["unmet_gates"], json!(["quality_gate"]));
    // The reason, as the README says: the local caller's feedback names the unmet condition.
    let unmet = &held["feedback"]["unmet_conditions"];
    assert_eq!(unmet.as_array().map(Vec::len), Some(1), "{held}");
    assert_eq!((&unmet[0]["condition_id"], &unmet[0]["reason"]), (&json!("tests_passed"), &json!("condition_false")));

    sed_report(root, "\"failed\": 2", "\"failed\": 0");
    let advanced = post(&http, root, "4-next.json").await;
    assert_eq!(outcome(&advanced), "advance", "{advanced}");
    assert_eq!(advanced["decision"]["outcome"]["to_stage"], "release");
    assert_eq!(advanced["packets"][0]["envelope"]["packet_id"], "release-checklist");
    assert_eq!(advanced["packets"][0]["receipts"][0]["target"], json!({"kind": "agent", "agent_id": "release-bot"}));
    // Resending a request with the same trigger_id returns the recorded decision.
    assert_eq!(post(&http, root, "4-next.json").await, advanced);

    let completed = post(&http, root, "5-next.json").await;
    assert_eq!(outcome(&completed), "complete", "{completed}");
    let status = post(&http, root, "6-status.json").await;
    assert_eq!(status["status"], "completed", "{status}");

    let exported = post(&http, root, "7-export.json").await;
    assert_eq!(exported["report"]["status"], "pass", "{exported}");
    assert!(home.path().join("runpacks/1/1/release-1/manifest.json").is_file());
    let verified = post(&http, root, "8-verify.json").await;
    assert_eq!(verified["status"], "pass", "{verified}");

    let (code, report) = verify_offline(root, home.path());
    assert_eq!((code, report["status"].clone()), (Some(0), json!("pass")), "{report}");
    let decisions = home.path().join("runpacks/1/1/release-1/artifacts/decisions.json");
    let mut bytes = std::fs::read(&decisions).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(&decisions, bytes).unwrap();
    let (code, report) = verify_offline(root, home.path());
    assert_eq!((code, report["status"].clone()), (Some(1), json!("fail")), "{report}");
    assert!(report["errors"].as_array().unwrap().contains(&json!("hash mismatch for artifacts/decisions.json")));
    // Nothing was created in the example's directory: the data directory holds it all.
    let mut created: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| {
            !["scenario.json", "evidence", "requests", "decision-gate.toml", "runpacks"].contains(&name.as_str())
        })
        .collect();
    created.sort();
    assert_eq!(created, Vec::<String>::new());
    assert_eq!(std::fs::read_dir(root.join("runpacks")).unwrap().count(), 0, "the test dir's own empty runpacks dir");
    for name in ["decision-gate.db", "audit.jsonl", "runpacks"] {
        assert!(home.path().join(name).exists(), "{name} in the data directory");
    }
}

#[test]
fn what_a_walkthrough_leaves_in_an_example_directory_never_reaches_the_tests() {
    // A walkthrough run without a fresh data directory leaves `.decision-gate/` in the example.
    let example = system_tests::examples_dir().join("agent-loop");
    let leftover = example.join(".decision-gate");
    std::fs::create_dir_all(&leftover).unwrap();
    std::fs::write(leftover.join("decision-gate.db"), b"left by a walkthrough").unwrap();
    let copy = TestDir::from_example("agent-loop");
    let _ = std::fs::remove_dir_all(&leftover);
    assert!(!copy.path().join(".decision-gate").exists());
    assert!(copy.path().join("scenario.json").is_file());
    assert!(copy.path().join("decision-gate.toml").is_file());
}

/// What an agent meets on the zero-configuration server: no tenant or namespace arguments, the
/// reasons of a hold with evidence feedback, a bare evidence query, a compact tool list, and a
/// misspelled argument named instead of ignored.
#[tokio::test(flavor = "multi_thread")]
async fn an_agent_on_the_zero_configuration_server() {
    let dir = TestDir::new();
    let home = tempfile::tempdir().unwrap();
    let home_text = home.path().display().to_string();
    let server = HttpServer::start_as_in_readme(dir.path(), &[("DECISION_GATE_HOME", &home_text)]).unwrap();
    assert!(home.path().join("evidence").is_dir(), "the evidence root is created in the data directory");
    std::fs::create_dir_all(home.path().join("evidence/ci")).unwrap();
    std::fs::write(home.path().join("evidence/ci/report.json"), r#"{"tests": {"failed": 3}}"#).unwrap();
    let client = McpClient::http(&server.mcp_url(), Era::Stateless).await.unwrap();

    // The tool list an agent pays for on every connection.
    let tools = client.list_tools().await.unwrap();
    let size = serde_json::to_vec(&tools).unwrap().len();
    assert!(size < 40_000, "tools/list is {size} bytes");

    let spec = json!({"scenario_id": "ship", "namespace_id": 1, "spec_version": "1", "policies": [], "schemas": [],
        "conditions": [{"condition_id": "green", "query": {"provider_id": "json", "check_id": "path",
            "params": {"file": "ci/report.json", "jsonpath": "$.tests.failed"}}, "comparator": "equals", "expected": 0,
            "policy_tags": []},
            {"condition_id": "typed", "query": {"provider_id": "json", "check_id": "path",
            "params": {"file": "ci/missing.json"}}, "comparator": "equals", "expected": 0, "policy_tags": []}],
        "stages": [{"stage_id": "gate", "entry_packets": [], "gates": [{"gate_id": "ready",
            "requirement": {"And": [{"Condition": "green"}, {"Condition": "typed"}]}}],
            "advance_to": {"kind": "terminal"}, "on_timeout": "fail"}]});
    client.call("scenario_define", json!({"spec": spec})).await.unwrap();
    let started = client
        .call(
            "scenario_start",
            json!({"scenario_id": "ship", "run_config": {"run_id": "r1", "dispatch_targets": []},
            "started_at": {"kind": "logical", "value": 0}, "issue_entry_packets": false}),
        )
        .await
        .unwrap();
    assert_eq!((started["tenant_id"].clone(), started["namespace_id"].clone()), (json!(1), json!(1)));
    let held = client
        .call("scenario_next", json!({"scenario_id": "ship", "feedback": "evidence",
            "request": {"run_id": "r1", "trigger_id": "t1", "agent_id": "agent", "time": {"kind": "logical", "value": 1}}}))
        .await
        .unwrap();
    assert_eq!(held["decision"]["outcome"]["kind"], "hold");
    assert_eq!(held["feedback"]["level"], "evidence", "local callers may ask for evidence: {held}");
    let reasons: Vec<(Value, Value, Value)> = held["feedback"]["unmet_conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|unmet| (unmet["condition_id"].clone(), unmet["reason"].clone(), unmet["error_code"].clone()))
        .collect();
    assert_eq!(
        reasons,
        [
            (json!("green"), json!("condition_false"), Value::Null),
            (json!("typed"), json!("provider_error"), json!("file_not_found")),
        ]
    );
    assert!(held["feedback"]["gate_records"].is_array());
    let status =
        client.call("scenario_status", json!({"scenario_id": "ship", "request": {"run_id": "r1"}})).await.unwrap();
    assert_eq!(status["status"], "active");

    // evidence_query needs no run context.
    let evidence = client
        .call(
            "evidence_query",
            json!({"query": {"provider_id": "json", "check_id": "path",
            "params": {"file": "ci/report.json", "jsonpath": "$.tests.failed"}}, "context": {}}),
        )
        .await
        .unwrap();
    assert_eq!(evidence["result"]["error"], Value::Null, "{evidence}");
    assert!(evidence["result"]["evidence_hash"]["value"].is_string());

    // A misspelled argument is named, not ignored.
    let typo = client
        .call("scenario_status", json!({"scenario_id": "ship", "request": {"run_id": "r1", "requestedat": 5}}))
        .await
        .unwrap_err();
    assert_eq!(typo.code(), -32602);
    assert!(
        typo.message().contains("unknown argument at /request") && typo.message().contains("requestedat"),
        "{typo:?}"
    );
    client.close().await;
}
