//! Transport conformance through the real `decision-gate` binary (mcp-surface §2–§4, §14;
//! testing §4.5): stdio framing, limits and lifecycle; Streamable HTTP `/mcp` negotiation,
//! sessions and admission guards; the `/rpc` OSS dialect (JSON and SSE); limits, graceful
//! shutdown, health, readiness and metrics.
//!
//! One file per group of tests under `transport/`; the request builders and assertions they
//! share live here.

#[path = "transport/http.rs"]
mod http;
#[path = "transport/lean.rs"]
mod lean;
#[path = "transport/limits.rs"]
mod limits;
#[path = "transport/stdio.rs"]
mod stdio;
#[path = "transport/tools.rs"]
mod tools;

use serde_json::{Value, json};
use system_tests::raw::{RawHttp, RawResponse, stateless_meta};
use system_tests::{TOOLS, TestDir};

fn request(id: Value, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

/// A 2026-07-28 stateless `tools/call`.
fn stateless_call(id: Value, tool: &str, arguments: Value) -> Value {
    request(id, "tools/call", json!({"name": tool, "arguments": arguments, "_meta": stateless_meta("2026-07-28")}))
}

/// A 2026-07-28 stateless `tools/call` over raw HTTP, with the headers that revision requires.
async fn http_call(http: &RawHttp, id: Value, tool: &str, arguments: Value, extra: &[(&str, &str)]) -> RawResponse {
    let mut headers = vec![("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", tool)];
    headers.extend_from_slice(extra);
    http.mcp(&stateless_call(id, tool, arguments), &headers).await
}

fn providers_list_result() -> Value {
    json!({"providers": [
        {"provider_id": "env", "transport": "builtin", "checks": ["get"]},
        {"provider_id": "http", "transport": "builtin", "checks": ["status", "body_hash"]},
        {"provider_id": "json", "transport": "builtin", "checks": ["path"]},
        {"provider_id": "time", "transport": "builtin", "checks": ["now", "after", "before"]},
    ]})
}

fn assert_server_correlation_id(response: &RawResponse) -> String {
    let id = response.header("x-server-correlation-id").expect("x-server-correlation-id header");
    let parts: Vec<&str> = id.split('-').collect();
    assert_eq!(parts.len(), 3, "{id}");
    assert_eq!(parts[0], "dg", "{id}");
    for part in &parts[1..] {
        assert_eq!(part.len(), 16, "{id}");
        assert!(part.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)), "{id}");
    }
    id
}

fn audit_requests(dir: &TestDir) -> Vec<Value> {
    dir.audit_events().into_iter().filter(|event| event["event"] == "mcp_request").collect()
}
