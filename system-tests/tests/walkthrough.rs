//! The README's five-minute walkthrough, step by step: the zero-configuration server started in
//! a copy of `examples/ci-release-gate`, the prepared request files posted to `/rpc` as the
//! README's `curl` does, the same edits to the CI report, and the offline verifier. If the
//! README and the product drift apart, this fails.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use system_tests::raw::RawHttp;
use system_tests::{HttpServer, TestDir, binary};

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

fn verify_offline(dir: &Path) -> (Option<i32>, Value) {
    let output = Command::new(binary())
        .args(["runpack", "verify", "--manifest", ".decision-gate/runpacks/1/1/release-1/manifest.json"])
        .env_remove("DECISION_GATE_CONFIG")
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
    let server = HttpServer::start_zero_config(root).unwrap();
    let http = RawHttp::new(&server.base);

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
    assert!(root.join(".decision-gate/runpacks/1/1/release-1/manifest.json").is_file());
    let verified = post(&http, root, "8-verify.json").await;
    assert_eq!(verified["status"], "pass", "{verified}");

    let (code, report) = verify_offline(root);
    assert_eq!((code, report["status"].clone()), (Some(0), json!("pass")), "{report}");
    let decisions = root.join(".decision-gate/runpacks/1/1/release-1/artifacts/decisions.json");
    let mut bytes = std::fs::read(&decisions).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(&decisions, bytes).unwrap();
    let (code, report) = verify_offline(root);
    assert_eq!((code, report["status"].clone()), (Some(1), json!("fail")), "{report}");
    assert!(report["errors"].as_array().unwrap().contains(&json!("hash mismatch for artifacts/decisions.json")));
}
