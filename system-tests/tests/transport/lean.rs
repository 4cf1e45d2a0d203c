//! The lean `/mcp` path answers exactly as rmcp's Streamable HTTP service does. Two servers
//! with the same configuration, one with `[server.http] mcp_lean_path = false`, receive the
//! same requests in the same order (both eras, results, tool errors, protocol errors, requests
//! only rmcp handles); status, headers and body must be the same bytes. The lean server's
//! counter shows which requests took the lean path.

use serde_json::{Value, json};
use system_tests::raw::{RawHttp, RawResponse, stateless_meta};
use system_tests::{HttpServer, TestDir, example_spec};

use super::request;

struct Exchange {
    message: Value,
    headers: Vec<(&'static str, String)>,
    lean: bool,
}

fn stateless(id: Value, method: &str, params: Value, name: Option<&str>) -> Exchange {
    let mut params = params;
    params["_meta"] = stateless_meta("2026-07-28");
    let mut headers = vec![("mcp-protocol-version", "2026-07-28".to_owned()), ("mcp-method", method.to_owned())];
    if let Some(name) = name {
        headers.push(("mcp-name", name.to_owned()));
    }
    Exchange { message: request(id, method, params), headers, lean: true }
}

fn legacy(id: Value, version: &str, method: &str, params: Value) -> Exchange {
    Exchange {
        message: request(id, method, params),
        headers: vec![("mcp-protocol-version", version.to_owned())],
        lean: true,
    }
}

fn call(tool: &str, arguments: Value) -> Value {
    json!({"name": tool, "arguments": arguments})
}

fn through_rmcp(mut exchange: Exchange) -> Exchange {
    exchange.lean = false;
    exchange
}

fn exchanges() -> Vec<Exchange> {
    let status = json!({"scenario_id": "ci-release-gate", "request": {"run_id": "nope", "requested_at": {"kind": "logical", "value": 1}}});
    let mut keyed = stateless(json!(14), "tools/call", call("scenarios_list", json!({})), Some("scenarios_list"));
    keyed.message["params"]["_meta"]["io.decisiongate/idempotency_key"] = json!("k-1");
    let mut no_name = stateless(json!(20), "tools/call", call("scenarios_list", json!({})), None);
    no_name.headers.retain(|(name, _)| *name != "mcp-name");
    let mut legacy_with_meta = legacy(json!(21), "2025-06-18", "tools/list", json!({}));
    legacy_with_meta.message["params"]["_meta"] = stateless_meta("2025-06-18");
    let mut json_only = legacy(json!(24), "2025-06-18", "tools/list", json!({}));
    json_only.headers.push(("accept", "application/json".to_owned()));
    vec![
        stateless(json!(1), "tools/list", json!({}), None),
        legacy(json!(2), "2025-06-18", "tools/list", json!({})),
        legacy(json!("three"), "2025-11-25", "tools/list", json!({})),
        legacy(json!(4), "2025-03-26", "tools/list", json!({})),
        stateless(json!(5), "server/discover", json!({}), None),
        legacy(json!(6), "2025-06-18", "ping", json!({})),
        stateless(
            json!(7),
            "tools/call",
            call("scenario_define", json!({"spec": example_spec("ci-release-gate")})),
            Some("scenario_define"),
        ),
        legacy(json!(8), "2025-06-18", "tools/call", call("scenarios_list", json!({}))),
        stateless(json!(9), "tools/call", call("scenario_status", status.clone()), Some("scenario_status")),
        legacy(json!("ten"), "2025-11-25", "tools/call", call("scenario_status", status)),
        stateless(json!(11), "tools/call", call("no_such_tool", json!({})), Some("no_such_tool")),
        legacy(json!(12), "2025-06-18", "tools/list", json!({"cursor": "abc"})),
        stateless(json!(13), "tools/call", call("scenarios_list", json!({"bogus": 1})), Some("scenarios_list")),
        keyed,
        stateless(json!(15), "tools/call", call("providers_list", json!({})), Some("providers_list")),
        // Only rmcp answers these: the answers must still be the same on both servers.
        through_rmcp(no_name),
        through_rmcp(stateless(json!(22), "ping", json!({}), None)),
        through_rmcp(legacy_with_meta),
        through_rmcp(legacy(
            json!(23),
            "2025-06-18",
            "initialize",
            json!({"protocolVersion": "2025-06-18",
            "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
        )),
        through_rmcp(json_only),
    ]
}

async fn send(http: &RawHttp, exchange: &Exchange) -> RawResponse {
    let headers: Vec<(&str, &str)> = exchange.headers.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let accept_given = headers.iter().any(|(name, _)| *name == "accept");
    if accept_given {
        let mut all = vec![("content-type", "application/json")];
        all.extend(headers);
        return http.post("/mcp", &all, serde_json::to_vec(&exchange.message).unwrap()).await;
    }
    http.mcp(&exchange.message, &headers).await
}

fn comparable_headers(response: &RawResponse) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = response
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-server-correlation-id" | "mcp-session-id"))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("").to_owned()))
        .collect();
    headers.sort();
    headers
}

fn lean_count(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("decision_gate_mcp_lean_requests_total "))
        .map_or(0, |value| value.trim().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lean_path_answers_byte_for_byte_as_rmcp_does() {
    let lean_dir = TestDir::new();
    let rmcp_dir = TestDir::new();
    let lean_server = HttpServer::start(lean_dir.path(), &lean_dir.config("http", "")).unwrap();
    let rmcp_config = rmcp_dir.config("http", "[server.http]\nmcp_lean_path = false\n");
    let rmcp_server = HttpServer::start(rmcp_dir.path(), &rmcp_config).unwrap();
    let (lean_http, rmcp_http) = (RawHttp::new(&lean_server.base), RawHttp::new(&rmcp_server.base));
    let exchanges = exchanges();
    for exchange in &exchanges {
        let (lean, rmcp) = (send(&lean_http, exchange).await, send(&rmcp_http, exchange).await);
        let label = &exchange.message;
        assert_eq!(lean.status, rmcp.status, "{label}");
        assert_eq!(comparable_headers(&lean), comparable_headers(&rmcp), "{label}");
        assert_eq!(lean.text(), rmcp.text(), "{label}");
    }
    let expected = exchanges.iter().filter(|exchange| exchange.lean).count() as u64;
    assert_eq!(lean_count(&lean_http.get("/metrics").await.text()), expected);
    assert_eq!(lean_count(&rmcp_http.get("/metrics").await.text()), 0);
    // Both audit logs record the same requests with the same outcomes.
    let outcomes = |dir: &TestDir| -> Vec<Value> {
        dir.audit_events()
            .into_iter()
            .filter(|event| event["event"] == "mcp_request" || event["event"] == "tool_outcome")
            .map(|event| {
                json!([
                    event["event"],
                    event["method"],
                    event["tool"],
                    event["outcome"],
                    event["error_code"],
                    event["request_id"]
                ])
            })
            .collect()
    };
    assert_eq!(outcomes(&lean_dir), outcomes(&rmcp_dir));
}
