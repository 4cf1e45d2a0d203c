// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The enterprise binary as an operator and a client meet it: zero-configuration start with
//! the owner key printed exactly once, RFC 9728 metadata at both paths, the OpenAPI document,
//! the operator's admin commands (seen by a running server within the credential cache
//! lifetime), and real MCP clients with bearer credentials: rmcp over HTTP and the official
//! Python SDK over HTTP and over stdio with `DECISION_GATE_API_KEY`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use enterprise_system_tests::{Caller, Enterprise, enterprise_binary, printed_owner_key, structured};
use serde_json::{Value, json};
use system_tests::{Era, McpClient, TOOLS, TestDir, example_spec};

fn admin_cli(data_dir: &Path, config: Option<&Path>, args: &[&str]) -> (i32, Value, String) {
    let output = Enterprise::operator_with(data_dir, config, args);
    (output.code, output.json, output.stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_start_prints_the_owner_key_once_and_the_server_describes_itself() {
    let dir = TestDir::new();
    let first = Enterprise::start(&dir, None).unwrap();
    let key = first.owner_key.clone();
    for name in ["decision-gate.db", "audit.jsonl", "runpacks", "evidence"] {
        assert!(first.data_dir.join(name).exists(), "{name} in the data directory");
    }
    let bootstrap: Vec<Value> = first
        .audit()
        .into_iter()
        .filter(|record| record["event"] == "admin_action" && record["action"] == "bootstrap")
        .collect();
    assert_eq!(bootstrap.len(), 1);
    assert_eq!(bootstrap[0]["target"], format!("key {}", key.split('_').nth(1).unwrap()));
    assert!(!first.audit_text().contains(key.rsplit('_').next().unwrap()), "the key is never audited");
    first.server.terminate();

    // A restart prints no key; the first one still works.
    let data = dir.path().join("data").display().to_string();
    let args = ["serve", "--http", "127.0.0.1:0", "--data-dir", data.as_str()];
    let again = system_tests::HttpServer::start_program(&enterprise_binary(), dir.path(), &args, &[]).unwrap();
    assert_eq!(printed_owner_key(&again.stderr()), None, "{}", again.stderr());
    let http = system_tests::raw::RawHttp::new(&again.base);
    let caller = Caller { http: http.clone(), authorization: Some(format!("Bearer {key}")) };
    assert_eq!(caller.tool_names().await, TOOLS);

    // RFC 9728 metadata at the root and the /mcp path form, identical.
    let root = http.get("/.well-known/oauth-protected-resource").await;
    let path_form = http.get("/.well-known/oauth-protected-resource/mcp").await;
    assert_eq!((root.status, path_form.status), (200, 200));
    assert_eq!(root.body, path_form.body);
    let metadata = root.json();
    assert_eq!(metadata["resource"], format!("{}/mcp", again.base));
    assert_eq!(metadata["bearer_methods_supported"], json!(["header"]));
    assert_eq!(metadata["authorization_servers"], json!([]));
    let scopes = metadata["scopes_supported"].as_array().unwrap();
    assert!(scopes.contains(&json!("dg:scenario.define")) && scopes.contains(&json!("dg:keys.manage")));

    // The OpenAPI document needs no credential and describes the admin API.
    let openapi = http.get("/admin/v1/openapi.json").await;
    assert_eq!(openapi.status, 200);
    let document = openapi.json();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["paths"]["/admin/v1/tenants/{tenant_id}/keys/{key_id}/rotate"]["post"].is_object());
}

#[tokio::test(flavor = "multi_thread")]
async fn operator_commands_change_what_a_running_server_accepts_within_the_cache_lifetime() {
    let dir = TestDir::new();
    let config = dir.write("enterprise.toml", "[enterprise]\ncredential_cache_ttl_ms = 300\n");
    let server = Enterprise::start(&dir, Some("[enterprise]\ncredential_cache_ttl_ms = 300\n")).unwrap();
    let data = server.data_dir.clone();
    let (code, tenant, stderr) = admin_cli(&data, Some(&config), &["tenants", "create", "ops-made"]);
    assert_eq!(code, 0, "{stderr}");
    let tenant_id = tenant["tenant_id"].as_u64().unwrap().to_string();
    let (code, issued, stderr) =
        admin_cli(&data, Some(&config), &["keys", "issue", &tenant_id, "--name", "ci", "--role", "editor"]);
    assert_eq!(code, 0, "{stderr}");
    let token = issued["token"].as_str().unwrap().to_owned();
    let caller = Caller { http: server.http(None), authorization: Some(format!("Bearer {token}")) };
    let listed = structured(&caller.call(1, "scenarios_list", json!({})).await);
    assert_eq!(listed["items"], json!([]));
    let (code, _, stderr) =
        admin_cli(&data, Some(&config), &["keys", "revoke", &tenant_id, issued["key"]["key_id"].as_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(caller.call(2, "scenarios_list", json!({})).await.status, 401, "revoked within the cache lifetime");
    // Refusals exit 1 with the reason; the operator's actions are audited as such.
    let (code, _, stderr) = admin_cli(&data, Some(&config), &["keys", "revoke", &tenant_id, "0000000000000000"]);
    assert_eq!((code, stderr.trim()), (1, "decision-gate-enterprise: not_found: not found"));
    let operator = server
        .audit()
        .into_iter()
        .filter(|record| record["event"] == "admin_action" && record["transport"] == "cli" && record["outcome"] == "ok")
        .map(|record| record["action"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(operator, ["tenant.create", "key.issue", "key.revoke"]);
    assert!(!server.audit_text().contains(token.rsplit('_').next().unwrap()));
}

#[tokio::test(flavor = "multi_thread")]
async fn rmcp_drives_a_run_with_an_api_key() {
    let dir = TestDir::new();
    let server = Enterprise::start(&dir, None).unwrap();
    let token = server.owner().key(1, &["editor"]).await;
    let evidence = server.data_dir.join("evidence/1/1/ci");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::copy(
        system_tests::examples_dir().join("ci-release-gate/evidence/ci/report.json"),
        evidence.join("report.json"),
    )
    .unwrap();
    let headers: HashMap<String, String> = [("authorization".to_owned(), format!("Bearer {token}"))].into();
    for (index, era) in Era::all().into_iter().enumerate() {
        let client = McpClient::http_with_headers(&server.server.mcp_url(), era, headers.clone()).await.unwrap();
        assert_eq!(client.list_tools().await.unwrap().len(), 17);
        if index == 0 {
            client.call("scenario_define", json!({"spec": example_spec("ci-release-gate")})).await.unwrap();
        }
        let run = format!("rmcp-{index}");
        let ids = json!({"run_id": run});
        client
            .call(
                "scenario_start",
                json!({"scenario_id": "ci-release-gate", "run_config": {"run_id": run, "dispatch_targets": []},
                "started_at": {"kind": "unix_millis", "value": 1_800_000_000_000u64}, "issue_entry_packets": false}),
            )
            .await
            .unwrap();
        let mut outcomes = Vec::new();
        for (trigger, time) in [("t1", 1_800_000_000_001u64), ("t2", 1_800_000_000_002)] {
            let mut request = ids.clone();
            request["trigger_id"] = json!(trigger);
            request["agent_id"] = json!("rmcp");
            request["time"] = json!({"kind": "unix_millis", "value": time});
            let next = client
                .call("scenario_next", json!({"scenario_id": "ci-release-gate", "request": request}))
                .await
                .unwrap();
            outcomes.push(next["decision"]["outcome"]["kind"].as_str().unwrap().to_owned());
        }
        assert_eq!(outcomes, ["advance", "complete"]);
        client.close().await;
    }
}

fn python() -> PathBuf {
    PathBuf::from(std::env::var_os("DG_PYTHON").expect("DG_PYTHON names the Python with the mcp SDK (scripts/test.sh)"))
}

fn python_client(workdir: &Path, mode: &str, url: Option<&str>, env: &[(&str, String)]) -> Value {
    let script = system_tests::workspace_root().join("system-tests/python/dg_client.py");
    let mut command = Command::new(python());
    command.arg(script).arg(enterprise_binary()).arg(workdir).arg(mode);
    if let Some(url) = url {
        command.arg(url);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.current_dir(workdir).output().expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{mode}: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).expect("summary")
}

fn assert_lifecycle(summary: &Value) {
    assert_eq!(summary["tool_count"], 17, "{summary}");
    assert_eq!(summary["outcomes"], json!(["advance", "complete"]), "{summary}");
    assert_eq!(summary["status"], "completed");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_python_sdk_authenticates_with_a_bearer_key_over_http_and_stdio() {
    let dir = TestDir::from_example("ci-release-gate");
    let server = Enterprise::start(&dir, None).unwrap();
    let token = server.owner().key(1, &["editor"]).await;
    let evidence = server.data_dir.join("evidence/1/1/ci");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::copy(dir.path().join("evidence/ci/report.json"), evidence.join("report.json")).unwrap();
    let http = python_client(
        dir.path(),
        "http-initialize",
        Some(&server.server.mcp_url()),
        &[("DG_AUTHORIZATION", format!("Bearer {token}"))],
    );
    assert_lifecycle(&http);
    assert_eq!(http["protocol_version"], "2025-11-25");
    server.server.terminate();

    // Over stdio the process authenticates with DECISION_GATE_API_KEY (a fresh run id: the
    // script's run exists already, so use a second data directory's copy of the state).
    let stdio_dir = TestDir::from_example("ci-release-gate");
    let data = stdio_dir.path().join("data");
    let first = Enterprise::start(&stdio_dir, None).unwrap();
    let stdio_key = first.owner().key(1, &["editor"]).await;
    let evidence = data.join("evidence/1/1/ci");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::copy(stdio_dir.path().join("evidence/ci/report.json"), evidence.join("report.json")).unwrap();
    first.server.terminate();
    let args = json!(["serve", "--data-dir", data.display().to_string()]).to_string();
    let env = json!({"DECISION_GATE_API_KEY": stdio_key}).to_string();
    let stdio = python_client(
        stdio_dir.path(),
        "stdio-discover",
        None,
        &[("DG_SERVER_ARGS", args.clone()), ("DG_SERVER_ENV", env)],
    );
    assert_lifecycle(&stdio);
    // Without the key every call is refused.
    let script = system_tests::workspace_root().join("system-tests/python/dg_client.py");
    let refused = Command::new(python())
        .arg(script)
        .arg(enterprise_binary())
        .arg(stdio_dir.path())
        .arg("stdio-discover")
        .env("DG_SERVER_ARGS", args)
        .current_dir(stdio_dir.path())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("unauthenticated"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
