//! Full lifecycles of every example through real MCP clients, over stdio and Streamable HTTP,
//! in every protocol era; runpack export, verification and tamper detection.

use serde_json::{Value, json};
use system_tests::{CallError, Era, HttpServer, McpClient, TestDir, example_spec};

fn logical(value: u64) -> Value {
    json!({"kind": "logical", "value": value})
}

fn unix(value: i64) -> Value {
    json!({"kind": "unix_millis", "value": value})
}

struct Run<'a> {
    client: &'a McpClient,
    scenario: &'static str,
    run: String,
}

impl Run<'_> {
    async fn call(&self, tool: &str, arguments: Value) -> Value {
        match self.client.call(tool, arguments).await {
            Ok(value) => value,
            Err(error) => panic!("{tool} failed: {error:?}"),
        }
    }

    fn ids(&self) -> Value {
        json!({"tenant_id": 1, "namespace_id": 1, "run_id": self.run})
    }

    async fn start(&self, started_at: Value, targets: Value) -> Value {
        self.call(
            "scenario_start",
            json!({"scenario_id": self.scenario, "started_at": started_at, "issue_entry_packets": true,
                   "run_config": {"tenant_id": 1, "namespace_id": 1, "run_id": self.run, "scenario_id": self.scenario,
                                  "dispatch_targets": targets, "policy_tags": []}}),
        )
        .await
    }

    async fn next(&self, trigger: &str, time: Value) -> Value {
        let mut request = self.ids();
        request["trigger_id"] = json!(trigger);
        request["agent_id"] = json!("agent-7");
        request["time"] = time;
        self.call("scenario_next", json!({"scenario_id": self.scenario, "request": request})).await
    }

    async fn tick(&self, trigger: &str, time: Value) -> Value {
        let mut event = self.ids();
        event["trigger_id"] = json!(trigger);
        event["kind"] = json!("tick");
        event["time"] = time;
        event["source_id"] = json!("clock");
        self.call("scenario_trigger", json!({"scenario_id": self.scenario, "trigger": event})).await
    }

    async fn status(&self) -> Value {
        let mut request = self.ids();
        request["requested_at"] = logical(0);
        self.call("scenario_status", json!({"scenario_id": self.scenario, "request": request})).await
    }

    async fn export_and_verify(&self, dir: &TestDir) -> Value {
        let output_dir = format!("{}-{}", self.scenario, self.run);
        let exported = self
            .call(
                "runpack_export",
                json!({"scenario_id": self.scenario, "tenant_id": 1, "namespace_id": 1, "run_id": self.run,
                       "output_dir": output_dir, "generated_at": logical(10), "include_verification": true}),
            )
            .await;
        assert_eq!(exported["report"]["status"], "pass", "{exported}");
        assert_eq!(exported["manifest"]["manifest_version"], "v2");
        let verified =
            self.call("runpack_verify", json!({"runpack_dir": output_dir, "manifest_path": "manifest.json"})).await;
        assert_eq!(verified["status"], "pass", "{verified}");
        assert_eq!(verified["report"]["checked_files"], 8);
        assert_eq!(exported["report"]["checked_files"], 8, "export and verify count the same files");
        assert_eq!(verified["report"]["legacy"], false);
        // Tamper with one artifact: verification fails and names the file.
        let decisions = dir.path().join("runpacks/1/1").join(&output_dir).join("artifacts/decisions.json");
        let mut bytes = std::fs::read(&decisions).unwrap();
        bytes.push(b' ');
        std::fs::write(&decisions, bytes).unwrap();
        let tampered =
            self.call("runpack_verify", json!({"runpack_dir": output_dir, "manifest_path": "manifest.json"})).await;
        assert_eq!(tampered["status"], "fail");
        assert!(
            tampered["report"]["errors"]
                .as_array()
                .unwrap()
                .contains(&json!("hash mismatch for artifacts/decisions.json"))
        );
        exported
    }
}

fn outcome(result: &Value) -> &str {
    result["decision"]["outcome"]["kind"].as_str().unwrap_or_default()
}

async fn define(client: &McpClient, example: &str) -> Value {
    client.call("scenario_define", json!({"spec": example_spec(example)})).await.expect("define")
}

async fn ci_release_gate(client: &McpClient, dir: &TestDir) {
    define(client, "ci-release-gate").await;
    let run = Run { client, scenario: "ci-release-gate", run: "release-1".into() };
    let started = run.start(unix(1_800_000_000_000), json!([])).await;
    assert_eq!(started["status"], "active");
    assert_eq!(started["current_stage_id"], "quality");
    let first = run.next("t1", unix(1_800_000_000_001)).await;
    assert_eq!(outcome(&first), "advance");
    assert_eq!(first["decision"]["outcome"]["to_stage"], "release");
    assert_eq!(first["packets"][0]["envelope"]["packet_id"], "release-checklist");
    let second = run.next("t2", unix(1_800_000_000_002)).await;
    assert_eq!(outcome(&second), "complete");
    assert_eq!(second["status"], "completed");
    run.export_and_verify(dir).await;

    // A failing report holds the quality gate.
    dir.write(
        "evidence/ci/report.json",
        r#"{"tests":{"failed":2},"coverage":{"line_percent":91},"security":{"high":0}}"#,
    );
    let held = Run { client, scenario: "ci-release-gate", run: "release-2".into() };
    held.start(unix(1_800_000_000_000), json!([])).await;
    let hold = held.next("t1", unix(1_800_000_000_001)).await;
    assert_eq!(outcome(&hold), "hold");
    assert_eq!(hold["decision"]["outcome"]["summary"]["unmet_gates"], json!(["quality_gate"]));
    let status = held.status().await;
    assert_eq!(status["safe_summary"]["unmet_gates"], json!(["quality_gate"]));
}

async fn agent_loop(client: &McpClient, dir: &TestDir) {
    define(client, "agent-loop").await;
    let run = Run { client, scenario: "agent-loop", run: "loop-1".into() };
    let started = run.start(logical(0), json!([{"kind": "agent", "agent_id": "agent-7"}])).await;
    assert_eq!(started["packets"][0]["envelope"]["packet_id"], "plan-instructions");
    assert_eq!(outcome(&run.next("n1", logical(1)).await), "hold");
    dir.write("evidence/agent/plan.json", r#"{"approved": true}"#);
    let implement = run.next("n2", logical(2)).await;
    assert_eq!(implement["decision"]["outcome"]["to_stage"], "implement");
    assert_eq!(implement["packets"][0]["receipts"][0]["dispatcher"], "mcp");
    // Idempotency: the same trigger id returns the original decision and logs nothing new.
    let replay = run.next("n2", logical(99)).await;
    assert_eq!(replay["decision"], implement["decision"]);
    assert_eq!(replay["packets"], implement["packets"]);
    assert_eq!(outcome(&run.next("n3", logical(3)).await), "hold");
    dir.write("evidence/agent/build.json", r#"{"status": "green", "failing_tests": 0}"#);
    assert_eq!(run.next("n4", logical(4)).await["decision"]["outcome"]["to_stage"], "review");
    dir.write("evidence/agent/reviews.json", r#"{"alice": "approve", "bob": "changes", "carol": "pending"}"#);
    assert_eq!(outcome(&run.next("n5", logical(5)).await), "hold");
    dir.write("evidence/agent/reviews.json", r#"{"alice": "approve", "bob": "changes", "carol": "approve"}"#);
    let done = run.next("n6", logical(6)).await;
    assert_eq!(outcome(&done), "complete");
    // After completion a replayed trigger id still gets its own decision (with the run's
    // status), and a new trigger gets the final decision.
    let replayed = run.next("n2", logical(100)).await;
    assert_eq!(
        (replayed["decision"].clone(), replayed["status"].clone()),
        (implement["decision"].clone(), json!("completed"))
    );
    let after = run.next("n7", logical(101)).await;
    assert_eq!((after["decision"].clone(), after["status"].clone()), (done["decision"].clone(), json!("completed")));
    let exported = run.export_and_verify(dir).await;
    assert!(exported["manifest"]["integrity"]["root_hash"]["value"].is_string());
}

async fn disclosure_packets(client: &McpClient, dir: &TestDir) {
    define(client, "disclosure-packets").await;
    let run = Run { client, scenario: "disclosure-packets", run: "brief-1".into() };
    let targets = json!([{"kind": "agent", "agent_id": "migration-bot"}, {"kind": "channel", "channel": "ops"}]);
    let started = run.start(logical(0), targets).await;
    let packets = started["packets"].as_array().unwrap();
    assert_eq!(packets.len(), 2);
    assert_eq!(packets[0]["receipts"].as_array().unwrap().len(), 2, "one receipt per dispatch target");
    assert_eq!(packets[1]["payload"]["kind"], "bytes");
    assert_eq!(outcome(&run.next("c1", logical(1)).await), "hold");
    dir.write("evidence/clearance.json", r#"{"level": "secret"}"#);
    let restricted = run.next("c2", logical(2)).await;
    assert_eq!(restricted["packets"][0]["envelope"]["visibility"]["labels"], json!(["restricted"]));
    assert_eq!(restricted["packets"][0]["envelope"]["visibility"]["policy_tags"], json!(["need-to-know"]));
    assert_eq!(outcome(&run.next("c3", logical(3)).await), "complete");
    let status = run.status().await;
    assert_eq!(status["issued_packet_ids"], json!(["public-briefing", "runbook-bytes", "credentials-reference"]));
    run.export_and_verify(dir).await;
}

async fn timeout_branch(client: &McpClient, dir: &TestDir) {
    define(client, "timeout-branch").await;
    let run = Run { client, scenario: "timeout-branch", run: "change-1".into() };
    run.start(logical(0), json!([])).await;
    assert_eq!(outcome(&run.next("w1", logical(10)).await), "hold");
    assert_eq!(
        outcome(&run.tick("tick-30", logical(30_000)).await),
        "hold",
        "before the deadline a tick evaluates gates"
    );
    let escalated = run.tick("tick-60", logical(60_000)).await;
    assert_eq!(
        escalated["decision"]["outcome"],
        json!({"kind": "advance", "from_stage": "await_approval", "to_stage": "escalate", "timeout": true})
    );
    assert_eq!(escalated["packets"][0]["envelope"]["packet_id"], "page-on-call");
    assert_eq!(outcome(&run.next("w2", logical(60_001)).await), "complete");
    // A mixed timestamp kind on a tick is an error and changes nothing.
    let other = Run { client, scenario: "timeout-branch", run: "change-2".into() };
    other.start(logical(0), json!([])).await;
    let before = other.status().await;
    let mut event = other.ids();
    event["trigger_id"] = json!("bad-tick");
    event["kind"] = json!("tick");
    event["time"] = unix(70_000);
    event["source_id"] = json!("clock");
    let error =
        client.call("scenario_trigger", json!({"scenario_id": "timeout-branch", "trigger": event})).await.unwrap_err();
    assert_eq!(error.code(), -32030);
    assert_eq!(other.status().await, before);
    // An approved change deploys.
    dir.write("evidence/approvals/change.json", r#"{"approved": true}"#);
    assert_eq!(other.next("ok", logical(5)).await["decision"]["outcome"]["to_stage"], "deploy");
    run.export_and_verify(dir).await;
}

/// Every example in one server, through one client.
async fn all_examples(client: &McpClient, dir: &TestDir) {
    for example in ["ci-release-gate", "agent-loop", "disclosure-packets", "timeout-branch"] {
        system_tests::server::copy_example_evidence(example, dir);
    }
    ci_release_gate(client, dir).await;
    agent_loop(client, dir).await;
    disclosure_packets(client, dir).await;
    timeout_branch(client, dir).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn examples_over_stdio_in_every_era() {
    for era in Era::all() {
        let dir = TestDir::new();
        let config = dir.config("stdio", "");
        let client = McpClient::stdio(dir.path(), &config, era.clone()).await.unwrap();
        all_examples(&client, &dir).await;
        client.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn examples_over_http_in_every_era() {
    for era in Era::all() {
        let dir = TestDir::new();
        let config = dir.config("http", "");
        let server = HttpServer::start(dir.path(), &config).unwrap();
        let client = McpClient::http(&server.mcp_url(), era.clone()).await.unwrap();
        let expected = match &era {
            Era::Stateless => "2026-07-28".to_owned(),
            Era::Handshake(version) => version.as_str().to_owned(),
        };
        assert_eq!(client.protocol_version().as_deref(), Some(expected.as_str()));
        all_examples(&client, &dir).await;
        client.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn precheck_is_read_only_and_submissions_are_idempotent() {
    let dir = TestDir::new();
    let config = dir.config("stdio", "[trust]\nmin_lane = \"asserted\"\n");
    let client = McpClient::stdio(dir.path(), &config, Era::Stateless).await.unwrap();
    system_tests::server::copy_example_evidence("ci-release-gate", &dir);
    define(&client, "ci-release-gate").await;
    let run = Run { client: &client, scenario: "ci-release-gate", run: "r".into() };
    run.start(unix(1_800_000_000_000), json!([])).await;
    let shape = json!({"type": "object", "properties": {
        "tests_passed": {"type": "integer"}, "coverage_ok": {"type": "number"},
        "no_high_vulnerabilities": {"type": "integer"}, "freeze_lifted": {"type": "boolean"}}});
    let record = json!({"tenant_id": 1, "namespace_id": 1, "schema_id": "ci-report", "version": "1", "schema": shape,
                        "description": null, "created_at": unix(1)});
    client.call("schemas_register", json!({"record": record})).await.unwrap();
    let before = run.status().await;
    let precheck = json!({"tenant_id": 1, "namespace_id": 1, "data_shape": {"schema_id": "ci-report", "version": "1"},
                          "scenario_id": "ci-release-gate",
                          "payload": {"tests_passed": 0, "coverage_ok": 95, "no_high_vulnerabilities": 0}});
    let result = client.call("precheck", precheck.clone()).await.unwrap();
    assert_eq!(result["decision"]["kind"], "advance");
    assert_eq!(result["gate_evaluations"][0]["status"], "True");
    assert_eq!(client.call("precheck", precheck).await.unwrap(), result, "repeatable");
    assert_eq!(run.status().await, before, "precheck touches no run");
    let bad = json!({"tenant_id": 1, "namespace_id": 1, "data_shape": {"schema_id": "ci-report", "version": "1"},
                     "scenario_id": "ci-release-gate", "payload": {"tests_passed": "zero"}});
    let error = client.call("precheck", bad).await.unwrap_err();
    assert!(error.message().contains("payload does not match schema"), "{error:?}");

    let mut request = run.ids();
    request["submission_id"] = json!("s1");
    request["payload"] = json!({"kind": "json", "value": {"note": "ok"}});
    request["content_type"] = json!("application/json");
    request["submitted_at"] = logical(1);
    let first = client
        .call("scenario_submit", json!({"scenario_id": "ci-release-gate", "request": request.clone()}))
        .await
        .unwrap();
    let again = client
        .call("scenario_submit", json!({"scenario_id": "ci-release-gate", "request": request.clone()}))
        .await
        .unwrap();
    assert_eq!(first, again);
    request["payload"] = json!({"kind": "json", "value": {"note": "changed"}});
    match client.call("scenario_submit", json!({"scenario_id": "ci-release-gate", "request": request})).await {
        Err(CallError::Tool { code, message, .. }) => {
            assert_eq!((code, message.as_str()), (-32009, "submission_id conflict: s1"))
        }
        other => panic!("{other:?}"),
    }
    client.close().await;
}
