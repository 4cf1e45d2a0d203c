//! Interoperability with the official MCP Python SDK (testing.md §4.5: "An official MCP SDK
//! client (Rust `rmcp` client plus at least one of Python/TypeScript) completes the lifecycle
//! over stdio and Streamable HTTP").
//!
//! `python/dg_client.py` uses `mcp` (pinned in `python/requirements.txt`) to connect over stdio
//! or Streamable HTTP, in the handshake era (`initialize`) or the stateless era
//! (`server/discover`), lists the tools and runs define → start → next → next → status on the
//! `ci-release-gate` example. The SDK also validates every successful `structuredContent`
//! against the tool's published `outputSchema`. The interpreter is `DG_PYTHON` (a virtualenv
//! with the requirements installed; `scripts/test.sh` provides it). Without it these tests fail:
//! an SDK run that cannot happen must never count as a pass.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use serde_json::{Value, json};
use system_tests::{Era, HttpServer, McpClient, TOOLS, TestDir};

fn python() -> PathBuf {
    match std::env::var_os("DG_PYTHON") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => panic!(
            "DG_PYTHON is not set: it must name a Python interpreter with the packages of \
             system-tests/python/requirements.txt installed (mcp==2.3.0); scripts/test.sh creates that \
             virtualenv. For a local run: DG_PYTHON=/path/to/venv/bin/python cargo test -p system-tests \
             --features system-tests --test interop"
        ),
    }
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python").join("dg_client.py")
}

/// Runs the SDK client and returns its JSON summary.
fn run_client(dir: &TestDir, mode: &str, url: Option<&str>) -> Value {
    let started = Instant::now();
    let mut command = Command::new(python());
    command.arg(script()).arg(system_tests::binary()).arg(dir.path()).arg(mode);
    if let Some(url) = url {
        command.arg(url);
    }
    let output = command.current_dir(dir.path()).output().expect("run the Python SDK client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{mode}: the SDK client failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    let summary: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|err| panic!("{mode}: summary is not JSON ({err}):\n{stdout}\nstderr:\n{stderr}"));
    println!("{mode}: SDK lifecycle in {:.1?}", started.elapsed());
    summary
}

/// The outcome every mode must report exactly.
fn assert_summary(summary: &Value, protocol_version: &str) {
    assert_eq!(summary["sdk_version"], "2.3.0", "{summary}");
    assert_eq!(summary["protocol_version"], protocol_version, "{summary}");
    assert_eq!(summary["tool_count"], 17, "{summary}");
    assert_eq!(summary["tools"], json!(TOOLS), "canonical order: {summary}");
    assert_eq!(summary["start_stage"], "quality");
    assert_eq!(summary["outcomes"], json!(["advance", "complete"]));
    assert_eq!(summary["outcome"], "complete");
    assert_eq!(summary["status"], "completed");
    assert_eq!(summary["last_decision_seq"], 3);
}

/// Cross-checks the SDK's run from a Rust `rmcp` client on a server over the same store: the
/// definition the SDK created has the hash it was told, and the run it drove is completed.
async fn assert_visible_to_rmcp(url: &str, summary: &Value) {
    let client = McpClient::http(url, Era::Stateless).await.unwrap();
    let listed = client.call("scenarios_list", json!({"tenant_id": 1, "namespace_id": 1})).await.unwrap();
    assert_eq!(
        listed,
        json!({"items": [{"scenario_id": "ci-release-gate", "namespace_id": 1,
                          "spec_hash": {"algorithm": "sha256", "value": summary["spec_hash"]}}],
               "next_token": null})
    );
    let status = client
        .call(
            "scenario_status",
            json!({"scenario_id": "ci-release-gate", "request": {"tenant_id": 1, "namespace_id": 1,
                   "run_id": "py-release-1", "requested_at": {"kind": "logical", "value": 0}}}),
        )
        .await
        .unwrap();
    assert_eq!(status["status"], "completed");
    assert_eq!(status["last_decision"]["seq"], 3);
    assert_eq!(status["last_decision"]["outcome"]["kind"], "complete");
    client.close().await;
}

async fn stdio_mode(mode: &str, protocol_version: &str) {
    let dir = TestDir::from_example("ci-release-gate");
    dir.config("stdio", "");
    let summary = run_client(&dir, mode, None);
    assert_summary(&summary, protocol_version);
    // The SDK's stdio server has exited; its SQLite state is read back through HTTP.
    let config = dir.config("http", "");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    assert_visible_to_rmcp(&server.mcp_url(), &summary).await;
    assert!(!server.stderr().contains("panicked"));
}

async fn http_mode(mode: &str, protocol_version: &str) {
    let dir = TestDir::from_example("ci-release-gate");
    let config = dir.config("http", "");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let summary = run_client(&dir, mode, Some(&server.mcp_url()));
    assert_summary(&summary, protocol_version);
    assert_visible_to_rmcp(&server.mcp_url(), &summary).await;
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_stdio_initialize() {
    stdio_mode("stdio-initialize", "2025-11-25").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_stdio_discover() {
    stdio_mode("stdio-discover", "2026-07-28").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_http_initialize() {
    http_mode("http-initialize", "2025-11-25").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_http_discover() {
    http_mode("http-discover", "2026-07-28").await;
}
