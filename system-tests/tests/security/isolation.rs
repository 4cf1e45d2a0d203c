//! Tenant isolation and the exposure policy (public binds refused without opt-in and
//! authentication).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use system_tests::raw::{IO_TIMEOUT, config_with, edit_config};
use system_tests::{CallError, Era, HttpServer, McpClient, TestDir, example_spec};

// ---------------------------------------------------------------------------------------------
// Tenant isolation
// ---------------------------------------------------------------------------------------------

fn not_defined() -> Result<Value, CallError> {
    Err(CallError::Tool {
        code: -32004,
        kind: "not_found".into(),
        message: "scenario not defined".into(),
        retryable: false,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scenario_of_one_tenant_is_invisible_to_another() {
    let dir = TestDir::new();
    let config = dir.config("http", "[tenancy]\ntenants = [1, 2]\n");
    edit_config(&config, "default_tenants = [1]", "default_tenants = [1, 2]");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    // The loopback caller is accepted in local_only mode.
    let client = McpClient::http(&server.mcp_url(), Era::Stateless).await.unwrap();
    let spec = example_spec("ci-release-gate");
    let scenario = "ci-release-gate";
    let defined = client.call("scenario_define", json!({"spec": spec, "tenant_id": 1})).await.unwrap();
    assert_eq!(defined["scenario_id"], scenario);
    let run_config = |tenant: u64| {
        json!({"tenant_id": tenant, "namespace_id": 1, "run_id": "run-1", "scenario_id": scenario,
               "dispatch_targets": [], "policy_tags": []})
    };
    let start = |tenant: u64| {
        json!({"scenario_id": scenario, "run_config": run_config(tenant),
               "started_at": {"kind": "logical", "value": 0}, "issue_entry_packets": false})
    };
    let status = |tenant: u64| {
        json!({"scenario_id": scenario, "request": {"tenant_id": tenant, "namespace_id": 1, "run_id": "run-1",
               "requested_at": {"kind": "logical", "value": 1}}})
    };
    let export = |tenant: u64| {
        json!({"scenario_id": scenario, "tenant_id": tenant, "namespace_id": 1, "run_id": "run-1",
               "output_dir": format!("export-{tenant}"), "generated_at": {"kind": "logical", "value": 10},
               "include_verification": false})
    };
    let list = |tenant: u64| json!({"tenant_id": tenant, "namespace_id": 1});
    let shape = |tenant: u64| {
        json!({"record": {"tenant_id": tenant, "namespace_id": 1, "schema_id": "ci-report", "version": "1",
               "schema": {"type": "object", "properties": {
                   "tests_passed": {"type": "integer"}, "coverage_ok": {"type": "number"},
                   "no_high_vulnerabilities": {"type": "integer"}, "freeze_lifted": {"type": "boolean"}}},
               "description": null, "created_at": {"kind": "logical", "value": 1}}})
    };
    let precheck = |tenant: u64| {
        json!({"tenant_id": tenant, "namespace_id": 1, "data_shape": {"schema_id": "ci-report", "version": "1"},
               "scenario_id": scenario,
               "payload": {"tests_passed": 0, "coverage_ok": 95, "no_high_vulnerabilities": 0}})
    };

    // Tenant 1 owns the definition and a run.
    assert_eq!(client.call("scenario_start", start(1)).await.unwrap()["status"], "active");
    assert_eq!(client.call("scenario_status", status(1)).await.unwrap()["status"], "active");
    client.call("schemas_register", shape(1)).await.unwrap();
    client.call("schemas_register", shape(2)).await.unwrap();
    let listed = client.call("scenarios_list", list(1)).await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["scenario_id"], scenario);
    assert_eq!(listed["items"][0]["spec_hash"], defined["spec_hash"]);
    client.call("precheck", precheck(1)).await.unwrap();

    // Tenant 2: indistinguishable from a scenario that was never defined.
    assert_eq!(client.call("scenario_status", status(2)).await, not_defined());
    assert_eq!(client.call("scenario_start", start(2)).await, not_defined());
    assert_eq!(client.call("runpack_export", export(2)).await, not_defined());
    assert_eq!(client.call("precheck", precheck(2)).await, not_defined());
    assert_eq!(client.call("scenarios_list", list(2)).await.unwrap(), json!({"items": [], "next_token": null}));
    let mut next = status(2);
    next["request"].as_object_mut().unwrap().remove("requested_at");
    next["request"]["trigger_id"] = json!("t1");
    next["request"]["agent_id"] = json!("agent");
    next["request"]["time"] = json!({"kind": "logical", "value": 2});
    assert_eq!(client.call("scenario_next", next).await, not_defined());
    // A never-defined scenario answers tenant 1 the same way.
    let mut unknown = status(1);
    unknown["scenario_id"] = json!("never-defined");
    assert_eq!(client.call("scenario_status", unknown).await, not_defined());

    // Nothing leaked into tenant 2's namespace, and tenant 1's run is untouched.
    assert!(!dir.path().join("runpacks/2").exists(), "tenant 2 has no runpack partition");
    assert!(!dir.path().join("runpacks/export-2").exists());
    assert_eq!(client.call("scenario_status", status(1)).await.unwrap()["status"], "active");
    // Tenant 2 may define its own scenario with the same id (a separate key).
    let own = client.call("scenario_define", json!({"spec": example_spec(scenario), "tenant_id": 2})).await.unwrap();
    assert_eq!(own["spec_hash"], defined["spec_hash"]);
    assert_eq!(client.call("scenarios_list", list(2)).await.unwrap()["items"].as_array().unwrap().len(), 1);

    client.call("runpack_export", export(1)).await.unwrap();
    // With the same scenario defined in tenant 2, the run store itself refuses tenant 1's run:
    // every run-level probe answers exactly as for a run that never existed.
    let probes = |run: &str| {
        let scoped = |extra: Value| {
            let mut fields = json!({"tenant_id": 2, "namespace_id": 1, "run_id": run});
            fields.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            fields
        };
        vec![
            (
                "scenario_status",
                json!({"scenario_id": scenario, "request": scoped(json!({"requested_at": {"kind": "logical", "value": 1}}))}),
            ),
            (
                "scenario_next",
                json!({"scenario_id": scenario, "request": scoped(json!({"trigger_id": "probe", "agent_id": "agent", "time": {"kind": "logical", "value": 2}}))}),
            ),
            (
                "scenario_trigger",
                json!({"scenario_id": scenario, "trigger": scoped(json!({"trigger_id": "probe-t", "kind": "tick", "time": {"kind": "logical", "value": 3}, "source_id": "clock"}))}),
            ),
            (
                "scenario_submit",
                json!({"scenario_id": scenario, "request": scoped(json!({"submission_id": "probe-s", "payload": {"kind": "json", "value": {"ok": true}}, "content_type": "application/json", "submitted_at": {"kind": "logical", "value": 4}}))}),
            ),
            (
                "runpack_export",
                json!({"scenario_id": scenario, "tenant_id": 2, "namespace_id": 1, "run_id": run, "output_dir": "probe-export", "generated_at": {"kind": "logical", "value": 10}, "include_verification": false}),
            ),
        ]
    };
    // (Messages name the run asked about; with that name swapped the answers must be equal.)
    for ((tool, foreign), (_, ghost)) in probes("run-1").into_iter().zip(probes("run-9")) {
        let foreign = format!("{:?}", client.call(tool, foreign).await);
        let ghost = format!("{:?}", client.call(tool, ghost).await).replace("run-9", "run-1");
        assert!(foreign.starts_with("Err("), "{tool}: tenant 1's run is not tenant 2's: {foreign}");
        assert_eq!(foreign, ghost, "{tool}: like a run that never existed");
    }
    let verify =
        |dir: &str| json!({"tenant_id": 2, "namespace_id": 1, "runpack_dir": dir, "manifest_path": "manifest.json"});
    assert_eq!(
        client.call("runpack_verify", verify("export-1")).await,
        client.call("runpack_verify", verify("never-exported")).await
    );
    assert_eq!(client.call("scenario_status", status(1)).await.unwrap()["status"], "active", "untouched");
    client.close().await;
}

// ---------------------------------------------------------------------------------------------
// Exposure policy
// ---------------------------------------------------------------------------------------------

/// Runs `serve` to completion (it must refuse to start); returns the exit code and stderr.
async fn refused_serve(dir: &Path, config: &Path, flag: bool, env: Option<&str>) -> (Option<i32>, String) {
    let mut command = tokio::process::Command::new(system_tests::binary());
    command.arg("serve").arg("--config").arg(config).current_dir(dir).kill_on_drop(true);
    command.stdin(std::process::Stdio::null());
    if flag {
        command.arg("--allow-non-loopback");
    }
    match env {
        Some(value) => command.env("DECISION_GATE_ALLOW_NON_LOOPBACK", value),
        None => command.env_remove("DECISION_GATE_ALLOW_NON_LOOPBACK"),
    };
    let output = tokio::time::timeout(IO_TIMEOUT, command.output())
        .await
        .expect("serve must exit instead of listening")
        .expect("run decision-gate");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("listening on"), "{stderr}");
    assert_eq!(output.stdout, b"");
    (output.status.code(), stderr)
}

fn public_config(dir: &TestDir, auth: &str) -> PathBuf {
    let config = config_with(dir, "http", "", auth);
    edit_config(&config, "bind = \"127.0.0.1:0\"", "bind = \"0.0.0.0:0\"");
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn exposure_policy_refuses_public_binds() {
    let dir = TestDir::new();
    let bearer = public_config(&dir, "[server.auth]\nmode = \"bearer_token\"\nbearer_tokens = [\"exposure-token\"]\n");
    let opt_in = "decision-gate: refusing to bind non-loopback address 0.0.0.0:0: pass --allow-non-loopback or set \
                  DECISION_GATE_ALLOW_NON_LOOPBACK=1\n";
    assert_eq!(refused_serve(dir.path(), &bearer, false, None).await, (Some(2), opt_in.to_owned()));
    assert_eq!(refused_serve(dir.path(), &bearer, false, Some("off")).await, (Some(2), opt_in.to_owned()));
    assert_eq!(
        refused_serve(dir.path(), &bearer, false, Some("maybe")).await,
        (Some(2), "decision-gate: DECISION_GATE_ALLOW_NON_LOOPBACK must be a boolean, got \"maybe\"\n".to_owned())
    );
    // Opted in, but without TLS (neither in-process nor upstream termination).
    let no_tls = "decision-gate: refusing to bind non-loopback address 0.0.0.0:0 without [server.tls] or \
                  tls_termination = \"upstream\"\n";
    assert_eq!(refused_serve(dir.path(), &bearer, true, None).await, (Some(2), no_tls.to_owned()));
    assert_eq!(refused_serve(dir.path(), &bearer, false, Some("yes")).await, (Some(2), no_tls.to_owned()));

    // local_only can never be exposed, even with the flag.
    let local_dir = TestDir::new();
    let local = public_config(&local_dir, "");
    let (code, stderr) = refused_serve(local_dir.path(), &local, true, None).await;
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "decision-gate: invalid config: server.bind 0.0.0.0:0 is not a loopback address; a non-loopback bind \
         requires server.auth.mode bearer_token or mtls (local_only accepts loopback callers only)\n"
    );
}
