//! DNS-rebinding defence on a loopback-bound server (the official MCP conformance scenario
//! `dns-rebinding-protection`: a non-loopback `Host` is refused with 403, loopback `Host` and
//! `Origin` values on any port are accepted), and a client of protocol revision 2025-03-26
//! (the first Streamable HTTP revision) through a whole lifecycle, including the conformance
//! scenario `server-sse-multiple-streams`'s concurrent requests.

use serde_json::{Value, json};
use system_tests::raw::{RawHttp, initialize};
use system_tests::{Era, HttpServer, McpClient, TestDir, example_spec};

use super::logical;

/// The conformance scenario's request: `initialize` with protocol version 2024-11-05.
fn conformance_initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2024-11-05",
        "capabilities": {}, "clientInfo": {"name": "conformance-dns-rebinding-test", "version": "1.0.0"}}})
}

#[tokio::test(flavor = "multi_thread")]
async fn loopback_hosts_and_origins_pass_and_foreign_ones_are_refused() {
    let dir = TestDir::new();
    let config = dir.config("http", "");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let http = RawHttp::new(&server.base);
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let accepted = [
        vec![("host", format!("localhost:{port}"))],
        vec![("host", format!("127.0.0.1:{port}"))],
        vec![("host", format!("[::1]:{port}"))],
        vec![("host", "localhost".to_owned())],
        vec![("host", format!("localhost:{port}")), ("origin", format!("http://localhost:{port}"))],
        vec![("host", format!("127.0.0.1:{port}")), ("origin", "http://127.0.0.1:3000".to_owned())],
        vec![("host", format!("localhost:{port}")), ("origin", "https://[::1]:8443".to_owned())],
    ];
    for headers in accepted {
        let pairs: Vec<(&str, &str)> = headers.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let response = http.mcp(&conformance_initialize(), &pairs).await;
        assert_eq!(response.status, 200, "{pairs:?}: {}", response.text());
        assert_eq!(response.json()["result"]["serverInfo"]["name"], "decision-gate");
    }
    let refused = [
        vec![("host", "evil.example.com".to_owned())],
        vec![("host", format!("evil.example.com:{port}"))],
        vec![("host", format!("localhost.evil.example:{port}"))],
        vec![("host", format!("localhost:{port}")), ("origin", "http://evil.example".to_owned())],
        vec![("host", format!("localhost:{port}")), ("origin", "null".to_owned())],
    ];
    for headers in refused {
        let pairs: Vec<(&str, &str)> = headers.iter().map(|(name, value)| (*name, value.as_str())).collect();
        for path in ["/mcp", "/rpc"] {
            let mut all = vec![("content-type", "application/json"), ("accept", "application/json, text/event-stream")];
            all.extend_from_slice(&pairs);
            let response = http.post(path, &all, serde_json::to_vec(&conformance_initialize()).unwrap()).await;
            assert_eq!(response.status, 403, "{path} {pairs:?}");
        }
    }
    let kinds: Vec<String> = dir
        .audit_events()
        .into_iter()
        .filter(|event| event["event"] == "security_audit")
        .map(|event| event["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(kinds.iter().filter(|kind| *kind == "host_rejected").count(), 6);
    assert_eq!(kinds.iter().filter(|kind| *kind == "origin_rejected").count(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_2025_03_26_client_completes_a_lifecycle() {
    let dir = TestDir::new();
    system_tests::server::copy_example_evidence("ci-release-gate", &dir);
    let config = dir.config("http", "");
    let server = HttpServer::start(dir.path(), &config).unwrap();

    // Raw: the negotiated version, a session id, then concurrent requests carrying
    // `MCP-Protocol-Version: 2025-03-26` (as the conformance scenario sends them).
    let http = RawHttp::new(&server.base);
    let init = http.mcp(&initialize(json!(1), "2025-03-26"), &[]).await;
    assert_eq!(init.status, 200);
    assert_eq!(init.json()["result"]["protocolVersion"], "2025-03-26");
    let session = init.header("mcp-session-id").expect("session id");
    let requests = (0..3).map(|index| {
        let http = http.clone();
        let session = session.clone();
        async move {
            let list = json!({"jsonrpc": "2.0", "id": 1000 + index, "method": "tools/list", "params": {}});
            http.mcp(&list, &[("mcp-session-id", &session), ("mcp-protocol-version", "2025-03-26")]).await
        }
    });
    for response in futures::future::join_all(requests).await {
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.json()["result"]["tools"].as_array().unwrap().len(), 17);
    }

    // An rmcp client speaking 2025-03-26 drives a run to completion.
    let client =
        McpClient::http(&server.mcp_url(), Era::Handshake(rmcp::model::ProtocolVersion::V_2025_03_26)).await.unwrap();
    assert_eq!(client.protocol_version().as_deref(), Some("2025-03-26"));
    client.call("scenario_define", json!({"spec": example_spec("ci-release-gate")})).await.unwrap();
    let start = json!({"scenario_id": "ci-release-gate", "run_config": {"tenant_id": 1, "namespace_id": 1,
        "run_id": "run-0326", "scenario_id": "ci-release-gate", "dispatch_targets": [], "policy_tags": []},
        "started_at": {"kind": "unix_millis", "value": 1_767_571_200_000_u64}, "issue_entry_packets": false});
    assert_eq!(client.call("scenario_start", start).await.unwrap()["status"], "active");
    let mut status = "active".to_owned();
    for (index, time) in [1_767_571_300_000_u64, 1_767_571_400_000].into_iter().enumerate() {
        let next = json!({"scenario_id": "ci-release-gate", "request": {"tenant_id": 1, "namespace_id": 1,
            "run_id": "run-0326", "trigger_id": format!("t{index}"), "agent_id": "agent",
            "time": {"kind": "unix_millis", "value": time}}});
        status = client.call("scenario_next", next).await.unwrap()["status"].as_str().unwrap().to_owned();
    }
    assert_eq!(status, "completed");
    let _ = logical(0);
    client.close().await;
}
