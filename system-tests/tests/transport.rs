//! Transport conformance through the real `decision-gate` binary (mcp-surface §2–§4, §14;
//! testing §4.5): stdio framing, limits and lifecycle; Streamable HTTP `/mcp` negotiation,
//! sessions and admission guards; the `/rpc` OSS dialect (JSON and SSE); limits, graceful
//! shutdown, health, readiness and metrics.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use system_tests::raw::{
    RawHttp, RawResponse, StdioProcess, config_with, edit_config, error_envelope, initialize, parse_prometheus,
    stateless_meta,
};
use system_tests::{CallError, Era, HttpServer, McpClient, TestDir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every tool in the canonical order of mcp-surface §7.2.
const TOOLS: [&str; 17] = [
    "scenario_define",
    "scenario_start",
    "scenario_status",
    "scenario_next",
    "scenario_submit",
    "scenario_trigger",
    "evidence_query",
    "runpack_export",
    "runpack_verify",
    "providers_list",
    "provider_contract_get",
    "provider_check_schema_get",
    "schemas_register",
    "schemas_list",
    "schemas_get",
    "scenarios_list",
    "precheck",
];

const READ_ONLY: [&str; 9] = [
    "scenario_status",
    "runpack_verify",
    "providers_list",
    "provider_contract_get",
    "provider_check_schema_get",
    "schemas_list",
    "schemas_get",
    "scenarios_list",
    "precheck",
];

const SUPPORTED: [&str; 3] = ["2025-06-18", "2025-11-25", "2026-07-28"];

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

// ---------------------------------------------------------------------------------------------
// stdio
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn stdio_framing_limits_and_lifecycle() {
    let dir = TestDir::new();
    let config = config_with(&dir, "stdio", "max_body_bytes = 512", "");
    let mut server = StdioProcess::spawn(dir.path(), &config);

    // `ping` works before initialize; other requests without 2026 `_meta` are rejected.
    assert_eq!(
        server.request(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).await,
        json!({"jsonrpc": "2.0", "id": 1, "result": {}})
    );
    assert_eq!(
        server.request(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})).await,
        error_envelope(json!(2), -32600, "server not initialized", "invalid_request", false)
    );

    // Line limit: exactly 512 bytes is served, 513 bytes is answered with -32070 (id null)
    // and the server keeps serving.
    let sized = |id: u64, length: usize| {
        let base = json!({"jsonrpc": "2.0", "id": id, "method": "ping", "params": {"pad": ""}}).to_string().len();
        json!({"jsonrpc": "2.0", "id": id, "method": "ping", "params": {"pad": "x".repeat(length - base)}})
    };
    let at_limit = sized(3, 512);
    assert_eq!(at_limit.to_string().len(), 512);
    assert_eq!(server.request(&at_limit).await, json!({"jsonrpc": "2.0", "id": 3, "result": {}}));
    let over = sized(4, 513);
    assert_eq!(
        server.request(&over).await,
        error_envelope(Value::Null, -32070, "request body too large", "request_too_large", false)
    );
    let long = sized(5, 100_000);
    assert_eq!(
        server.request(&long).await,
        error_envelope(Value::Null, -32070, "request body too large", "request_too_large", false)
    );
    assert_eq!(
        server.request(&json!({"jsonrpc": "2.0", "id": 6, "method": "ping"})).await,
        json!({"jsonrpc": "2.0", "id": 6, "result": {}})
    );

    // Garbage, batches and wrong versions.
    server.send_line(b"this is not json").await;
    assert_eq!(server.recv().await, error_envelope(Value::Null, -32700, "invalid JSON", "parse_error", false));
    server.send_line(b"[1]").await;
    assert_eq!(
        server.recv().await,
        error_envelope(Value::Null, -32600, "invalid json-rpc request", "invalid_request", false)
    );
    assert_eq!(
        server.request(&json!({"jsonrpc": "1.0", "id": 7, "method": "ping"})).await,
        error_envelope(json!(7), -32600, "invalid json-rpc version", "invalid_request", false)
    );

    // A notification gets no response: the next line answers the following ping.
    server.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
    server.send(&json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 99}})).await;
    assert_eq!(
        server.request(&json!({"jsonrpc": "2.0", "id": 8, "method": "ping"})).await,
        json!({"jsonrpc": "2.0", "id": 8, "result": {}})
    );

    // 2026-07-28 stateless requests need no initialize.
    let call = server.request(&stateless_call(json!(9), "providers_list", json!({}))).await;
    assert_eq!(call["id"], 9);
    assert_eq!(call["result"]["isError"], false);
    assert_eq!(call["result"]["structuredContent"], providers_list_result());
    let text = call["result"]["content"][0]["text"].as_str().expect("text item");
    assert_eq!(call["result"]["content"][0]["type"], "text");
    assert_eq!(serde_json::from_str::<Value>(text).unwrap(), providers_list_result());
    let discover =
        server.request(&request(json!(10), "server/discover", json!({"_meta": stateless_meta("2026-07-28")}))).await;
    assert_eq!(discover["result"]["supportedVersions"], json!(SUPPORTED), "{discover}");
    assert_eq!(discover["result"]["capabilities"], json!({"tools": {"listChanged": false}}));

    // An unsupported `_meta` version: rmcp's -32022 listing the supported versions.
    assert_eq!(
        server.request(&request(json!(11), "tools/list", json!({"_meta": stateless_meta("2099-01-01")}))).await,
        json!({"jsonrpc": "2.0", "id": 11, "error": {"code": -32022, "message": "Unsupported protocol version",
               "data": {"requested": "2099-01-01", "supported": SUPPORTED}}})
    );

    // Handshake era.
    let init = server.request(&initialize(json!(12), "2025-06-18")).await;
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(init["result"]["capabilities"], json!({"tools": {"listChanged": false}}));
    assert_eq!(init["result"]["serverInfo"]["name"], "decision-gate");
    server.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
    let listed = server.request(&json!({"jsonrpc": "2.0", "id": 13, "method": "tools/list"})).await;
    let names: Vec<&str> =
        listed["result"]["tools"].as_array().unwrap().iter().map(|tool| tool["name"].as_str().unwrap()).collect();
    assert_eq!(names, TOOLS);
    assert_eq!(
        server.request(&json!({"jsonrpc": "2.0", "id": 14, "method": "no/such_method"})).await,
        error_envelope(json!(14), -32601, "method not found", "method_not_found", false)
    );
    for (id, params) in [(15, json!({"arguments": {}})), (16, json!({"name": 5})), (17, json!("x"))] {
        assert_eq!(
            server.request(&request(json!(id), "tools/call", params)).await,
            error_envelope(json!(id), -32602, "invalid tool params", "invalid_params", false)
        );
    }
    assert_eq!(
        server.request(&request(json!("s"), "tools/call", json!({"name": "no_such_tool"}))).await,
        error_envelope(json!("s"), -32602, "unknown tool: no_such_tool", "invalid_params", false)
    );

    // EOF ends the server cleanly, with nothing more on stdout.
    let (status, rest) = server.close().await;
    assert_eq!(status.code(), Some(0));
    assert_eq!(rest, b"");

    // Every message, the oversized lines included, is audited on the stdio transport.
    let requests = audit_requests(&dir);
    let too_large: Vec<&Value> = requests.iter().filter(|event| event["error_code"] == -32070).collect();
    assert_eq!(too_large.len(), 2, "oversized lines are audited");
    for event in &too_large {
        assert_eq!(
            (&event["transport"], &event["endpoint"], &event["client_subject"], &event["request_id"]),
            (&json!("stdio"), &Value::Null, &json!("stdio"), &Value::Null)
        );
        assert_eq!(event["error_kind"], "request_too_large");
    }
    let correlation: Vec<&str> =
        requests.iter().map(|event| event["server_correlation_id"].as_str().unwrap()).collect();
    let mut unique = correlation.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), correlation.len(), "a fresh server correlation id per message");
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_content_length_framing_speaks_the_oss_dialect() {
    let dir = TestDir::new();
    let config = config_with(&dir, "stdio", "stdio_framing = \"content_length\"\nmax_body_bytes = 4096", "");
    let mut server = StdioProcess::spawn(dir.path(), &config);

    let (headers, listed) = server.request_framed(&request(json!(1), "tools/list", json!({}))).await;
    let body_length = serde_json::to_vec(&listed).unwrap().len();
    assert_eq!(headers, format!("Content-Length: {body_length}\r\n\r\n"));
    let tools = listed["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|tool| tool["name"].as_str().unwrap()).collect();
    assert_eq!(names, TOOLS);
    for tool in tools {
        let mut keys: Vec<&str> = tool.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["description", "input_schema", "name"], "OSS tool shape");
    }

    let (_, init) = server.request_framed(&initialize(json!("i"), "2025-11-25")).await;
    assert_eq!(init, error_envelope(json!("i"), -32601, "method not found", "method_not_found", false));

    let (_, called) = server
        .request_framed(&request(json!(2), "tools/call", json!({"name": "providers_list", "arguments": {}})))
        .await;
    assert_eq!(
        called,
        json!({"jsonrpc": "2.0", "id": 2, "result": {"content": [{"type": "json", "json": providers_list_result()}]}})
    );
    let (_, missing) = server.request_framed(&request(json!(3), "tools/call", json!({"name": "providers_list"}))).await;
    assert_eq!(missing, error_envelope(json!(3), -32602, "invalid tool params", "invalid_params", false));
    let (_, unknown) =
        server.request_framed(&request(json!(4), "tools/call", json!({"name": "nope", "arguments": {}}))).await;
    assert_eq!(unknown, error_envelope(json!(4), -32601, "unknown tool", "method_not_found", false));

    // An oversized frame is skipped and answered; the next frame is served.
    let (_, too_large) =
        server.request_framed(&request(json!(5), "tools/list", json!({"pad": "x".repeat(5000)}))).await;
    assert_eq!(too_large, error_envelope(Value::Null, -32070, "request body too large", "request_too_large", false));
    let (_, again) = server.request_framed(&request(json!(6), "tools/list", json!({}))).await;
    assert_eq!(again["result"]["tools"].as_array().unwrap().len(), 17);

    let (status, rest) = server.close().await;
    assert_eq!(status.code(), Some(0));
    assert_eq!(rest, b"");
}

// ---------------------------------------------------------------------------------------------
// Streamable HTTP `/mcp` and `/rpc`: admission guards, negotiation, correlation, wire shapes
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn http_negotiation_guards_correlation_and_rpc_wire() {
    let dir = TestDir::new();
    let config = config_with(
        &dir,
        "http",
        "max_body_bytes = 512",
        "[server.http]\nallowed_origins = [\"http://localhost:3000\"]\n\n[tenancy]\ntenants = [1, 7331]\n",
    );
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let http = RawHttp::new(&server.base);

    // initialize negotiation: a supported version is kept, an unsupported one gets the
    // newest handshake version; every initialize issues a session id.
    let mut boot_ids = Vec::new();
    for (requested, negotiated) in
        [("2025-11-25", "2025-11-25"), ("2025-06-18", "2025-06-18"), ("1999-01-01", "2025-11-25")]
    {
        let response = http.mcp(&initialize(json!(1), requested), &[]).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type").as_deref(), Some("application/json"));
        let body = response.json();
        assert_eq!(body["result"]["protocolVersion"], negotiated, "{requested}");
        assert_eq!(body["result"]["capabilities"], json!({"tools": {"listChanged": false}}));
        assert_eq!(body["result"]["serverInfo"]["name"], "decision-gate");
        let session = response.header("mcp-session-id").expect("session id issued on initialize");
        assert!(!session.is_empty());
        boot_ids.push(assert_server_correlation_id(&response).split('-').nth(1).unwrap().to_owned());
    }
    boot_ids.dedup();
    assert_eq!(boot_ids.len(), 1, "one boot id per process");

    // The session id is accepted on later requests; a garbage one is 404.
    let init = http.mcp(&initialize(json!(1), "2025-11-25"), &[]).await;
    let session = init.header("mcp-session-id").unwrap();
    let ping = json!({"jsonrpc": "2.0", "id": 2, "method": "ping"});
    let with_session = http.mcp(&ping, &[("mcp-session-id", &session), ("mcp-protocol-version", "2025-11-25")]).await;
    assert_eq!((with_session.status, with_session.json()), (200, json!({"jsonrpc": "2.0", "id": 2, "result": {}})));
    let garbage = http.mcp(&ping, &[("mcp-session-id", "not-a-session")]).await;
    assert_eq!(garbage.status, 404);
    assert_eq!(garbage.json(), error_envelope(Value::Null, -32600, "session not found", "invalid_request", false));
    let deleted = http.send(reqwest::Method::DELETE, "/mcp", &[("mcp-session-id", &session)], None).await.unwrap();
    assert_eq!(deleted.status, 204);

    // A stateless request with `_meta` needs no initialize.
    let call = http_call(&http, json!(3), "providers_list", json!({}), &[]).await;
    assert_eq!(call.status, 200);
    assert_eq!(call.json()["result"]["structuredContent"], providers_list_result());

    // GET /mcp is 405; unknown paths 404.
    let get = http.get("/mcp").await;
    assert_eq!((get.status, get.header("allow").as_deref()), (405, Some("POST")));
    assert_eq!(http.get("/nope").await.status, 404);

    // Header checks.
    let bad_version = http.mcp(&ping, &[("mcp-protocol-version", "1999-01-01")]).await;
    assert_eq!(bad_version.status, 400);
    assert_eq!(
        bad_version.json(),
        error_envelope(Value::Null, -32600, "unsupported protocol version", "invalid_request", false)
    );
    let mismatch = http.mcp(&ping, &[("mcp-method", "tools/list")]).await;
    assert_eq!(mismatch.status, 400);
    assert_eq!(
        mismatch.json(),
        error_envelope(Value::Null, -32602, "header mismatch: Mcp-Method", "invalid_params", false)
    );
    let agreeing = http.mcp(&ping, &[("mcp-method", "ping")]).await;
    assert_eq!(agreeing.status, 200);

    // Origin: refused unless allowed, on both endpoints; no CORS headers.
    let tools_list = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list"});
    let forbidden = error_envelope(Value::Null, -32600, "origin not allowed", "invalid_request", false);
    for response in [
        http.mcp(&ping, &[("origin", "http://evil.example")]).await,
        http.rpc(&tools_list, &[("origin", "http://evil.example")]).await,
        http.rpc(&tools_list, &[("origin", "http://localhost:3001")]).await,
    ] {
        assert_eq!((response.status, response.json()), (403, forbidden.clone()));
        assert_eq!(response.header("access-control-allow-origin"), None);
    }
    let allowed = http.mcp(&ping, &[("origin", "http://localhost:3000")]).await;
    assert_eq!((allowed.status, allowed.json()), (200, json!({"jsonrpc": "2.0", "id": 2, "result": {}})));
    assert_eq!(allowed.header("access-control-allow-origin"), None);
    let allowed_rpc = http.rpc(&tools_list, &[("origin", "http://localhost:3000")]).await;
    assert_eq!(allowed_rpc.status, 200);

    // Body limit: 413 with a JSON-RPC envelope before parsing (the body is not even JSON).
    let too_large = error_envelope(Value::Null, -32070, "request body too large", "request_too_large", false);
    let oversized = "x".repeat(513);
    let exact =
        format!("{{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\",\"params\":{{\"p\":\"{}\"}}}}", "y".repeat(454));
    assert_eq!(exact.len(), 512);
    let mcp_large = http.post("/mcp", &system_tests::raw::MCP_HEADERS, oversized.clone()).await;
    let rpc_large = http.post("/rpc", &[("content-type", "application/json")], oversized.clone()).await;
    for response in [&mcp_large, &rpc_large] {
        assert_eq!((response.status, response.json()), (413, too_large.clone()));
        assert_eq!(response.header("content-type").as_deref(), Some("application/json"));
        assert_server_correlation_id(response);
    }
    let at_limit = http.post("/mcp", &system_tests::raw::MCP_HEADERS, exact).await;
    assert_eq!((at_limit.status, at_limit.json()), (200, json!({"jsonrpc": "2.0", "id": 5, "result": {}})));

    // Parse errors and batches.
    let invalid = http.post("/mcp", &system_tests::raw::MCP_HEADERS, "{\"jsonrpc\":").await;
    assert_eq!(
        (invalid.status, invalid.json()),
        (400, error_envelope(Value::Null, -32700, "invalid JSON", "parse_error", false))
    );
    let batch = http.post("/mcp", &system_tests::raw::MCP_HEADERS, serde_json::to_vec(&json!([ping])).unwrap()).await;
    assert_eq!(
        (batch.status, batch.json()),
        (400, error_envelope(Value::Null, -32600, "invalid json-rpc request", "invalid_request", false))
    );
    let rpc_batch = http.rpc(&json!([tools_list]), &[]).await;
    assert_eq!(
        (rpc_batch.status, rpc_batch.json()),
        (400, error_envelope(Value::Null, -32600, "invalid json-rpc request", "invalid_request", false))
    );
    // Requests rmcp cannot decode still get the §3.2 envelope with the id echoed.
    for (params, code, message, kind) in [
        (json!("x"), -32602, "invalid tool params", "invalid_params"),
        (json!([1]), -32602, "invalid tool params", "invalid_params"),
        (json!({"arguments": {}}), -32602, "invalid tool params", "invalid_params"),
        (json!({"name": 5}), -32602, "invalid tool params", "invalid_params"),
    ] {
        let response = http.mcp(&request(json!(6), "tools/call", params.clone()), &[]).await;
        assert_eq!(
            (response.status, response.json()),
            (200, error_envelope(json!(6), code, message, kind, false)),
            "{params}"
        );
    }
    let no_method = http.mcp(&json!({"jsonrpc": "2.0", "id": 6}), &[]).await;
    assert_eq!(
        (no_method.status, no_method.json()),
        (400, error_envelope(json!(6), -32600, "invalid json-rpc request", "invalid_request", false))
    );
    let unknown_method = http.mcp(&request(json!(6), "no/such_method", json!({})), &[]).await;
    assert_eq!(
        (unknown_method.status, unknown_method.json()),
        (200, error_envelope(json!(6), -32601, "method not found", "method_not_found", false))
    );
    // A notification is accepted with 202 and no body.
    let notification = http.mcp(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}), &[]).await;
    assert_eq!((notification.status, notification.body.len()), (202, 0));

    // Correlation ids: a bad client id is refused, never echoed or logged; a valid one is echoed.
    let bad_value = "bad value-7f3a";
    let bad = http.mcp(&ping, &[("x-correlation-id", bad_value)]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json(),
        error_envelope(Value::Null, -32073, "invalid correlation id", "invalid_correlation_id", false)
    );
    assert_server_correlation_id(&bad);
    assert_eq!(bad.header("x-correlation-id"), None);
    assert!(!bad.text().contains("7f3a"));
    let too_long = "a".repeat(129);
    let long = http.rpc(&tools_list, &[("x-correlation-id", &too_long)]).await;
    assert_eq!((long.status, long.json()["error"]["code"].clone()), (400, json!(-32073)));
    let good = http.mcp(&ping, &[("x-correlation-id", "client-corr_42.x")]).await;
    assert_eq!(good.status, 200);
    assert_eq!(good.header("x-correlation-id").as_deref(), Some("client-corr_42.x"));
    let exactly_128 = "b".repeat(128);
    let longest = http.rpc(&tools_list, &[("x-correlation-id", &exactly_128)]).await;
    assert_eq!((longest.status, longest.header("x-correlation-id")), (200, Some(exactly_128.clone())));
    assert_server_correlation_id(&longest);

    // `/rpc` wire compatibility (mcp-surface §4.3).
    let rpc_init = http.rpc(&json!({"jsonrpc": "2.0", "id": "a", "method": "initialize", "params": {}}), &[]).await;
    assert_eq!(rpc_init.status, 400);
    assert_eq!(rpc_init.header("content-type").as_deref(), Some("application/json"));
    assert_server_correlation_id(&rpc_init);
    assert_eq!(
        rpc_init.json(),
        json!({"jsonrpc": "2.0", "id": "a", "error": {"code": -32601, "message": "method not found",
               "data": {"kind": "method_not_found", "retryable": false, "request_id": "\"a\""}}})
    );
    let idless = http.rpc(&json!({"jsonrpc": "2.0", "method": "tools/list"}), &[]).await;
    assert_eq!(
        (idless.status, idless.json()),
        (400, error_envelope(Value::Null, -32600, "invalid json-rpc request", "invalid_request", false))
    );
    let time_now = http
        .rpc(
            &request(
                json!(7),
                "tools/call",
                json!({"name": "evidence_query", "arguments": {
                    "query": {"provider_id": "time", "check_id": "now"},
                    "context": {"tenant_id": 1, "namespace_id": 1, "run_id": "r", "scenario_id": "s", "stage_id": "st",
                                "trigger_id": "t", "trigger_time": {"kind": "unix_millis", "value": 5}}}}),
            ),
            &[],
        )
        .await;
    assert_eq!(time_now.status, 200);
    assert_eq!(
        time_now.json(),
        json!({"jsonrpc": "2.0", "id": 7, "result": {"content": [{"type": "json", "json": {"result": {
            "value": null, "lane": "verified", "error": null,
            "evidence_hash": {"algorithm": "sha256", "value": "ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d"},
            "evidence_ref": null,
            "evidence_anchor": {"anchor_type": "trigger_time_unix_millis", "anchor_value": "5"},
            "signature": null, "content_type": null}}}]}})
    );
    let rpc_list = http.rpc(&tools_list, &[]).await;
    let listed = rpc_list.json();
    let names: Vec<&str> =
        listed["result"]["tools"].as_array().unwrap().iter().map(|tool| tool["name"].as_str().unwrap()).collect();
    assert_eq!(names, TOOLS);

    // Health and readiness need no auth and are not audited.
    let audited_before = audit_requests(&dir).len();
    let health = http.get("/healthz").await;
    assert_eq!((health.status, health.json()), (200, json!({"status": "ok"})));
    let ready = http.get("/readyz").await;
    assert_eq!((ready.status, ready.json()), (200, json!({"status": "ready"})));
    assert_eq!(audit_requests(&dir).len(), audited_before);

    // A tool call whose ids must never become metric labels.
    let leak = http_call(
        &http,
        json!("req-leak-check-77ab"),
        "evidence_query",
        json!({"query": {"provider_id": "time", "check_id": "now"},
               "context": {"tenant_id": 7331, "namespace_id": 9001, "run_id": "run-leak-check",
                           "scenario_id": "scn-leak-check", "stage_id": "s", "trigger_id": "t",
                           "trigger_time": {"kind": "logical", "value": 5}, "correlation_id": "ctx-leak-check"}}),
        &[("x-correlation-id", "corr-leak-check-5f1e")],
    )
    .await;
    assert_eq!(leak.status, 200, "{}", leak.text());
    let leak_body = leak.json();
    assert_eq!(leak_body["result"]["isError"], false, "{leak_body}");
    assert_eq!(leak_body["result"]["structuredContent"]["result"]["evidence_anchor"]["anchor_value"], "5");
    let leak_correlation = leak.header("x-server-correlation-id").unwrap();

    // Audit: the oversized bodies and the correlation rejection are recorded; the bad value is not.
    let audit_text = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    assert!(!audit_text.contains("7f3a"), "invalid correlation ids are never logged");
    assert!(!server.stderr().contains("7f3a"), "invalid correlation ids are never logged");
    let events = dir.audit_events();
    let large: Vec<&Value> = events.iter().filter(|event| event["error_code"] == -32070).collect();
    let endpoints: Vec<&Value> = large.iter().map(|event| &event["endpoint"]).collect();
    assert_eq!(endpoints, [&json!("/mcp"), &json!("/rpc")]);
    assert!(large.iter().all(|event| event["event"] == "mcp_request" && event["request_bytes"] == 513));
    let rejection = events
        .iter()
        .find(|event| event["event"] == "security_audit" && event["kind"] == "invalid_correlation_id")
        .expect("security_audit for the bad correlation id");
    assert_eq!(rejection["message"], "correlation_id_rejected: contains_whitespace");
    assert_eq!(rejection["unsafe_client_correlation_id"], Value::Null);
    let leak_event = events
        .iter()
        .find(|event| event["event"] == "mcp_request" && event["server_correlation_id"] == leak_correlation.as_str())
        .expect("audit of the leak-check call");
    assert_eq!(leak_event["unsafe_client_correlation_id"], "corr-leak-check-5f1e");
    assert_eq!(leak_event["request_id"], "\"req-leak-check-77ab\"");
    assert_eq!(leak_event["redaction"], "evidence");

    // Metrics: strict Prometheus text; bounded labels only.
    let metrics = http.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    let samples = parse_prometheus(&metrics.text()).unwrap_or_else(|err| panic!("{err}\n{}", metrics.text()));
    for sample in &samples {
        for (label, value) in &sample.labels {
            assert!(!value.contains("leak-check"), "{}{{{label}={value:?}}} leaks an id", sample.name);
            assert!(!value.contains("dg-"), "{}{{{label}={value:?}}} leaks a correlation id", sample.name);
            assert!(value != "7331" && value != "9001", "{}{{{label}={value:?}}} leaks a tenant", sample.name);
        }
    }
    let count = |labels: &[(&str, &str)]| -> f64 {
        samples
            .iter()
            .filter(|sample| {
                sample.name == "decision_gate_requests_total"
                    && labels.iter().all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value))
            })
            .map(|sample| sample.value)
            .sum()
    };
    assert_eq!(
        count(&[("endpoint", "/mcp"), ("method", "tools/call"), ("tool", "evidence_query"), ("outcome", "ok")]),
        1.0
    );
    assert_eq!(count(&[("endpoint", "/rpc"), ("tool", "evidence_query"), ("outcome", "ok")]), 1.0);
    assert_eq!(count(&[("endpoint", "/mcp"), ("error_kind", "request_too_large")]), 1.0);
    assert_eq!(count(&[("endpoint", "/rpc"), ("error_kind", "request_too_large")]), 1.0);
    assert_eq!(count(&[("error_kind", "invalid_correlation_id")]), 2.0);
    assert!(samples.iter().any(|sample| sample.name == "decision_gate_ready" && sample.value == 1.0));
}

/// The `/rpc` error envelope byte for byte as Decision Gate OSS writes it (mcp-surface §4.3
/// wire table, invariant 15.1: `/rpc` is byte-for-byte the OSS dialect).
#[tokio::test(flavor = "multi_thread")]
async fn rpc_wire_bytes_keep_the_oss_field_order() {
    let dir = TestDir::new();
    let config = dir.config("http", "");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let http = RawHttp::new(&server.base);
    let response = http.rpc(&json!({"jsonrpc": "2.0", "id": "a", "method": "initialize", "params": {}}), &[]).await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.text(),
        r#"{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"method not found","data":{"kind":"method_not_found","retryable":false,"request_id":"\"a\""}}}"#
    );
    let time_now = http
        .rpc(
            &json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "evidence_query", "arguments": {
                "query": {"provider_id": "time", "check_id": "now"},
                "context": {"tenant_id": 1, "namespace_id": 1, "run_id": "r", "scenario_id": "s", "stage_id": "st",
                            "trigger_id": "t", "trigger_time": {"kind": "unix_millis", "value": 5}}}}}),
            &[],
        )
        .await;
    assert_eq!(time_now.status, 200);
    assert_eq!(
        time_now.text(),
        concat!(
            r#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"json","json":{"result":{"value":null,"#,
            r#""lane":"verified","error":null,"evidence_hash":{"algorithm":"sha256","#,
            r#""value":"ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d"},"evidence_ref":null,"#,
            r#""evidence_anchor":{"anchor_type":"trigger_time_unix_millis","anchor_value":"5"},"signature":null,"#,
            r#""content_type":null}}}]}}"#
        )
    );
}

/// 2026-07-28 over Streamable HTTP: `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` must
/// agree with the body; any disagreement is -32602 `header mismatch`, HTTP 400, in the §3.2
/// envelope (mcp-surface §2.1, §3.3).
#[tokio::test(flavor = "multi_thread")]
async fn stateless_header_disagreement_is_invalid_params() {
    let dir = TestDir::new();
    let config = dir.config("http", "");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let http = RawHttp::new(&server.base);
    let message = stateless_call(json!(1), "providers_list", json!({}));
    let name = http
        .mcp(
            &message,
            &[("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", "schemas_list")],
        )
        .await;
    assert_eq!(name.status, 400);
    assert_eq!(name.json(), error_envelope(Value::Null, -32602, "header mismatch: Mcp-Name", "invalid_params", false));
    let version = http
        .mcp(
            &message,
            &[("mcp-protocol-version", "2025-11-25"), ("mcp-method", "tools/call"), ("mcp-name", "providers_list")],
        )
        .await;
    assert_eq!(version.status, 400);
    assert_eq!(
        version.json(),
        error_envelope(
            json!(1),
            -32602,
            "header mismatch: MCP-Protocol-Version header (2025-11-25) does not match request _meta protocolVersion (2026-07-28)",
            "invalid_params",
            false
        )
    );
    let missing = http.mcp(&message, &[("mcp-protocol-version", "2026-07-28")]).await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.json(),
        error_envelope(
            json!(1),
            -32602,
            "header mismatch: missing required Mcp-Method header",
            "invalid_params",
            false
        )
    );
    let events = audit_requests(&dir);
    let kinds: Vec<(&Value, &Value)> =
        events.iter().map(|event| (&event["error_code"], &event["error_kind"])).collect();
    assert_eq!(kinds, vec![(&json!(-32602), &json!("invalid_params")); 3], "audited as invalid_params");
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_are_shared_across_processes_and_bound_to_the_principal() {
    let dir = TestDir::new();
    let secret = dir.write("session.key", [0x5a_u8; 48]);
    let extra = format!(
        "[server.auth]\nmode = \"bearer_token\"\nbearer_tokens = [\"token-one-aaaa\", \"token-two-bbbb\"]\n\n\
         [server.sessions]\nshared_secret_path = \"{}\"\n",
        secret.display()
    );
    let config = dir.config("http", &extra);
    let first = HttpServer::start(dir.path(), &config).unwrap();
    let second = HttpServer::start(dir.path(), &config).unwrap();
    let one = RawHttp::new(&first.base);
    let two = RawHttp::new(&second.base);
    let auth_one = ("authorization", "Bearer token-one-aaaa");
    let auth_two = ("authorization", "Bearer token-two-bbbb");

    let init = one.mcp(&initialize(json!(1), "2025-06-18"), &[auth_one]).await;
    assert_eq!(init.status, 200);
    let session = init.header("mcp-session-id").expect("session id");
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});

    // The other process accepts the id for the same principal.
    let accepted =
        two.mcp(&list, &[auth_one, ("mcp-session-id", &session), ("mcp-protocol-version", "2025-06-18")]).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert_eq!(accepted.json()["result"]["tools"].as_array().unwrap().len(), 17);

    // Another principal presenting it, or a garbage id, is 404 on either process.
    let not_found = error_envelope(Value::Null, -32600, "session not found", "invalid_request", false);
    for (http, auth, id) in [
        (&two, auth_two, session.as_str()),
        (&one, auth_two, session.as_str()),
        (&one, auth_one, "v1.2025-06-18.0.00.00"),
        (&two, auth_one, "garbage"),
    ] {
        let response = http.mcp(&list, &[auth, ("mcp-session-id", id)]).await;
        assert_eq!((response.status, response.json()), (404, not_found.clone()), "{id}");
    }
    // A tampered MAC is rejected too.
    let mut tampered = session.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let response = two.mcp(&list, &[auth_one, ("mcp-session-id", &tampered)]).await;
    assert_eq!(response.status, 404);
}

// ---------------------------------------------------------------------------------------------
// Tools through rmcp: schemas, isError envelopes, visibility and the allowlist
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn tools_list_schemas_and_error_results_through_rmcp() {
    let dir = TestDir::new();
    let config = dir.config("http", "");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    for era in Era::all() {
        let client = McpClient::http(&server.mcp_url(), era.clone()).await.unwrap();
        let tools = client.list_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
        assert_eq!(names, TOOLS, "{era:?}");
        for tool in &tools {
            let input = Value::Object((*tool.input_schema).clone());
            assert_eq!(input["type"], "object", "{}", tool.name);
            decision_gate_mcp::tools::compile_schema(&input)
                .unwrap_or_else(|err| panic!("{} inputSchema does not compile: {err}", tool.name));
            let output = Value::Object((*tool.output_schema.clone().expect("outputSchema")).clone());
            assert_eq!(output["type"], "object", "{}", tool.name);
            decision_gate_mcp::tools::compile_schema(&output)
                .unwrap_or_else(|err| panic!("{} outputSchema does not compile: {err}", tool.name));
            let annotations = tool.annotations.as_ref().expect("annotations");
            let read_only = READ_ONLY.contains(&tool.name.as_ref());
            assert_eq!(annotations.read_only_hint, Some(read_only), "{}", tool.name);
            assert_eq!(annotations.destructive_hint, Some(false), "{}", tool.name);
            let open_world = ["scenario_next", "scenario_trigger", "evidence_query"].contains(&tool.name.as_ref());
            assert_eq!(annotations.open_world_hint, Some(open_world), "{}", tool.name);
        }
        // Successful calls: the harness asserts structuredContent equals the parsed text item.
        assert_eq!(client.call("providers_list", json!({})).await.unwrap(), providers_list_result());
        // Tool failures are isError results with code, kind, message and retryable.
        let status = json!({"scenario_id": "missing", "request": {"tenant_id": 1, "namespace_id": 1, "run_id": "r",
                            "requested_at": {"kind": "logical", "value": 0}}});
        assert_eq!(
            client.call("scenario_status", status).await,
            Err(CallError::Tool {
                code: -32004,
                kind: "not_found".into(),
                message: "scenario not defined".into(),
                retryable: false
            })
        );
        match client.call("scenario_status", json!({"scenario_id": "missing"})).await {
            Err(CallError::Tool { code, kind, retryable, message }) => {
                assert_eq!((code, kind.as_str(), retryable), (-32602, "invalid_params", false));
                assert!(message.contains("request"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            client.call("provider_contract_get", json!({"provider_id": "nope"})).await.unwrap_err().code(),
            -32602
        );
        assert_eq!(
            client.call("no_such_tool", json!({})).await,
            Err(CallError::Rpc { code: -32602, message: "unknown tool: no_such_tool".into() })
        );
        client.close().await;
    }

    // The raw isError result shape.
    let http = RawHttp::new(&server.base);
    let response = http_call(
        &http,
        json!(1),
        "runpack_verify",
        json!({"runpack_dir": "absent", "manifest_path": "manifest.json"}),
        &[],
    )
    .await;
    let body = response.json();
    assert_eq!(response.status, 200);
    let result = &body["result"];
    assert_eq!(result["isError"], true);
    let envelope = &result["structuredContent"];
    assert_eq!(
        envelope,
        &json!({"error": {"code": -32040, "kind": "runpack", "message": "invalid manifest", "retryable": false}})
    );
    assert_eq!(result["content"].as_array().unwrap().len(), 1);
    assert_eq!(result["content"][0]["type"], "text");
    assert_eq!(serde_json::from_str::<Value>(result["content"][0]["text"].as_str().unwrap()).unwrap(), *envelope);
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_tools_look_unknown_and_the_allowlist_blocks_without_hiding() {
    let dir = TestDir::new();
    let allowed: Vec<String> =
        TOOLS.iter().filter(|tool| **tool != "scenario_status").map(|tool| format!("\"{tool}\"")).collect();
    let extra = format!(
        "[server.tools]\ndenylist = [\"scenario_submit\"]\n\n[server.auth]\nallowed_tools = [{}]\n",
        allowed.join(", ")
    );
    let config = dir.config("http", &extra);
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let client = McpClient::http(&server.mcp_url(), Era::Stateless).await.unwrap();
    let names: Vec<String> = client.list_tools().await.unwrap().iter().map(|tool| tool.name.to_string()).collect();
    let expected: Vec<&str> = TOOLS.iter().copied().filter(|tool| *tool != "scenario_submit").collect();
    assert_eq!(names, expected, "denylisted tool hidden; allowlist does not filter tools/list");

    assert_eq!(
        client.call("scenario_submit", json!({})).await,
        Err(CallError::Rpc { code: -32602, message: "unknown tool: scenario_submit".into() })
    );
    assert_eq!(
        client.call("scenario_zubmit", json!({})).await,
        Err(CallError::Rpc { code: -32602, message: "unknown tool: scenario_zubmit".into() })
    );
    assert_eq!(
        client.call("scenario_status", json!({"scenario_id": "x"})).await,
        Err(CallError::Tool {
            code: -32003,
            kind: "unauthorized".into(),
            message: "unauthorized".into(),
            retryable: false
        })
    );
    client.close().await;

    // Byte-identical answers apart from the name (same length names), on /mcp and on /rpc.
    let http = RawHttp::new(&server.base);
    let hidden = http_call(&http, json!(1), "scenario_submit", json!({}), &[]).await;
    let unknown = http_call(&http, json!(1), "scenario_zubmit", json!({}), &[]).await;
    assert_eq!((hidden.status, unknown.status), (200, 200));
    assert_eq!(hidden.text().replace("scenario_submit", "NAME"), unknown.text().replace("scenario_zubmit", "NAME"));
    assert_eq!(
        hidden.json(),
        error_envelope(json!(1), -32602, "unknown tool: scenario_submit", "invalid_params", false)
    );
    let rpc_call = |name: &str| request(json!(2), "tools/call", json!({"name": name, "arguments": {}}));
    let hidden_rpc = http.rpc(&rpc_call("scenario_submit"), &[]).await;
    let unknown_rpc = http.rpc(&rpc_call("scenario_zubmit"), &[]).await;
    assert_eq!((hidden_rpc.status, unknown_rpc.status), (400, 400));
    assert_eq!(hidden_rpc.text(), unknown_rpc.text());
    assert_eq!(hidden_rpc.json(), error_envelope(json!(2), -32601, "unknown tool", "method_not_found", false));
    // `/rpc` tools/list is filtered by visibility too, not by the allowlist.
    let listed = http.rpc(&request(json!(3), "tools/list", json!({})), &[]).await.json();
    let rpc_names: Vec<&str> =
        listed["result"]["tools"].as_array().unwrap().iter().map(|tool| tool["name"].as_str().unwrap()).collect();
    assert_eq!(rpc_names, expected);
    let blocked = http
        .rpc(
            &request(json!(4), "tools/call", json!({"name": "scenario_status", "arguments": {"scenario_id": "x"}})),
            &[],
        )
        .await;
    assert_eq!(
        (blocked.status, blocked.json()),
        (403, error_envelope(json!(4), -32003, "unauthorized", "unauthorized", false))
    );

    // Audit: the hidden tool got an allow decision, the unknown name none; the allowlist
    // denial carries its reason.
    let authz: Vec<Value> = dir.audit_events().into_iter().filter(|event| event["event"] == "mcp_tool_authz").collect();
    assert!(authz.iter().any(|event| event["action"] == "scenario_submit" && event["decision"] == "allow"));
    assert!(!authz.iter().any(|event| event["action"] == "scenario_zubmit"));
    let denials: Vec<&Value> = authz.iter().filter(|event| event["action"] == "scenario_status").collect();
    assert_eq!(denials.len(), 2);
    for denial in denials {
        assert_eq!(denial["decision"], "deny");
        assert_eq!(denial["reason"], "unauthorized: tool not authorized");
    }
}

// ---------------------------------------------------------------------------------------------
// Limits and graceful shutdown
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_answers_429_with_retry_after() {
    let dir = TestDir::new();
    let config =
        dir.config("http", "[server.limits.rate_limit]\nmax_requests = 2\nwindow_ms = 60000\nmax_entries = 64\n");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let http = RawHttp::new(&server.base);
    let list = request(json!(1), "tools/list", json!({}));
    assert_eq!(http.rpc(&list, &[]).await.status, 200);
    assert_eq!(http.mcp(&json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}), &[]).await.status, 200);
    for path in ["/rpc", "/mcp"] {
        let response = if path == "/rpc" {
            http.rpc(&list, &[]).await
        } else {
            http.mcp(&json!({"jsonrpc": "2.0", "id": 3, "method": "ping"}), &[]).await
        };
        assert_eq!(response.status, 429, "{path}");
        let body = response.json();
        let retry_after_ms = body["error"]["data"]["retry_after_ms"].as_u64().expect("retry_after_ms");
        assert!(retry_after_ms > 0 && retry_after_ms <= 30_000, "{retry_after_ms}");
        assert_eq!(
            body,
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32071, "message": "rate limit exceeded",
                   "data": {"kind": "rate_limited", "retryable": true, "request_id": null,
                            "retry_after_ms": retry_after_ms}}})
        );
        let retry_after: u64 = response.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!(retry_after >= 1);
        assert_eq!(retry_after, retry_after_ms.div_ceil(1000));
    }
    // Health endpoints are not rate limited.
    assert_eq!(http.get("/healthz").await.status, 200);
    let metrics = parse_prometheus(&http.get("/metrics").await.text()).unwrap();
    let limited: Vec<(String, f64)> = metrics
        .iter()
        .filter(|sample| sample.name == "decision_gate_rate_limited_total")
        .map(|sample| (sample.labels["layer"].clone(), sample.value))
        .collect();
    assert_eq!(limited, [("ip".to_owned(), 2.0)]);
    let audited: Vec<Value> = audit_requests(&dir).into_iter().filter(|event| event["error_code"] == -32071).collect();
    assert_eq!(audited.len(), 2);
}

/// A one-shot HTTP endpoint that reports when a request arrived and answers only when told.
struct SlowEndpoint {
    url: String,
    arrived: tokio::sync::oneshot::Receiver<()>,
    release: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn slow_endpoint() -> SlowEndpoint {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slow", listener.local_addr().unwrap());
    let (arrived_tx, arrived) = tokio::sync::oneshot::channel();
    let (release, release_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut seen = Vec::new();
        let mut buffer = [0_u8; 1024];
        while !seen.windows(4).any(|window| window == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).await.unwrap();
            assert!(read > 0, "request headers");
            seen.extend_from_slice(&buffer[..read]);
        }
        arrived_tx.send(()).unwrap();
        release_rx.await.unwrap();
        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await.unwrap();
        stream.shutdown().await.unwrap();
    });
    SlowEndpoint { url, arrived, release, task }
}

fn http_provider_config(path: &std::path::Path) {
    edit_config(
        path,
        "name = \"http\"\ntype = \"builtin\"\n",
        "name = \"http\"\ntype = \"builtin\"\nconfig = { allow_http = true, timeout_ms = 30000, \
         max_response_bytes = 1048576, user_agent = \"decision-gate/0.1\", hash_algorithm = \"sha256\" }\n",
    );
}

fn status_query(url: &str) -> Value {
    json!({"query": {"provider_id": "http", "check_id": "status", "params": {"url": url}},
           "context": {"tenant_id": 1, "namespace_id": 1, "run_id": "r", "scenario_id": "s", "stage_id": "st",
                       "trigger_id": "t", "trigger_time": {"kind": "logical", "value": 1}}})
}

async fn wait_until_refused(address: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut attempts = 0;
    loop {
        attempts += 1;
        if tokio::net::TcpStream::connect(address).await.is_err() {
            return;
        }
        assert!(Instant::now() < deadline, "listener still open after {attempts} attempts");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn inflight_limit_and_graceful_shutdown_with_a_slow_call() {
    let dir = TestDir::new();
    let config = dir.config("http", "[server.limits]\nmax_inflight = 1\n");
    http_provider_config(&config);
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let http = RawHttp::new(&server.base);
    let endpoint = slow_endpoint().await;

    let slow_http = http.clone();
    let query = status_query(&endpoint.url);
    let slow = tokio::spawn(async move { http_call(&slow_http, json!("slow"), "evidence_query", query, &[]).await });
    tokio::time::timeout(system_tests::raw::IO_TIMEOUT, endpoint.arrived)
        .await
        .expect("the slow call reaches the provider in time")
        .expect("the slow call reached the provider");

    // The only in-flight slot is taken: every other request is refused with 503.
    let overloaded = error_envelope(Value::Null, -32072, "server overloaded", "inflight_limit", true);
    let rejected_rpc = http.rpc(&request(json!(1), "tools/list", json!({})), &[]).await;
    let rejected_mcp = http.mcp(&json!({"jsonrpc": "2.0", "id": 2, "method": "ping"}), &[]).await;
    for response in [rejected_rpc, rejected_mcp] {
        assert_eq!((response.status, response.json()), (503, overloaded.clone()));
    }

    // SIGTERM while the call is in flight: the listener closes, the call still completes,
    // then the process exits 0.
    let address = server.base.trim_start_matches("http://").to_owned();
    let terminated = tokio::task::spawn_blocking(move || server.terminate());
    wait_until_refused(&address).await;
    endpoint.release.send(()).unwrap();
    let response = slow.await.unwrap();
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["id"], "slow");
    assert_eq!(body["result"]["isError"], false, "{body}");
    let result = &body["result"]["structuredContent"]["result"];
    assert_eq!(result["error"], Value::Null, "{body}");
    assert_eq!(result["lane"], "verified");
    assert_eq!(result["value"], Value::Null, "raw values are redacted by default");
    assert_eq!(result["evidence_hash"]["algorithm"], "sha256");
    endpoint.task.await.unwrap();
    let status = terminated.await.unwrap();
    assert_eq!(status.code(), Some(0));
    let audited = audit_requests(&dir);
    assert_eq!(audited.iter().filter(|event| event["error_code"] == -32072).count(), 2);
    assert!(audited.iter().any(|event| event["request_id"] == "\"slow\"" && event["outcome"] == "Ok"));
}

// ---------------------------------------------------------------------------------------------
// SSE framing of `/rpc`
// ---------------------------------------------------------------------------------------------

fn single_event(response: &RawResponse) -> Value {
    let text = response.text();
    let payload = text
        .strip_prefix("data: ")
        .and_then(|rest| rest.strip_suffix("\n\n"))
        .unwrap_or_else(|| panic!("not one data event: {text:?}"));
    assert!(!payload.contains('\n'), "exactly one event: {text:?}");
    serde_json::from_str(payload).expect("event payload is JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn sse_transport_frames_rpc_as_one_event() {
    let dir = TestDir::new();
    let config = dir.config("sse", "");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let http = RawHttp::new(&server.base);

    let listed = http.rpc(&request(json!(1), "tools/list", json!({})), &[("x-correlation-id", "sse-1")]).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.header("content-type").as_deref(), Some("text/event-stream"));
    assert_eq!(listed.header("cache-control").as_deref(), Some("no-cache"));
    assert_eq!(listed.header("x-correlation-id").as_deref(), Some("sse-1"));
    assert_server_correlation_id(&listed);
    let event = single_event(&listed);
    assert_eq!(event["id"], 1);
    assert_eq!(event["result"]["tools"].as_array().unwrap().len(), 17);
    assert!(event["result"]["tools"][0]["input_schema"].is_object());

    let init = http.rpc(&json!({"jsonrpc": "2.0", "id": "a", "method": "initialize", "params": {}}), &[]).await;
    assert_eq!(init.status, 400);
    assert_eq!(init.header("content-type").as_deref(), Some("text/event-stream"));
    assert_eq!(single_event(&init), error_envelope(json!("a"), -32601, "method not found", "method_not_found", false));

    // `/mcp` keeps JSON responses under the sse transport, and rmcp clients work.
    let client = McpClient::http_with_headers(&server.mcp_url(), Era::Stateless, HashMap::new()).await.unwrap();
    assert_eq!(client.call("providers_list", json!({})).await.unwrap(), providers_list_result());
    client.close().await;
    let transports: Vec<Value> = audit_requests(&dir).iter().map(|event| event["transport"].clone()).collect();
    assert!(!transports.is_empty() && transports.iter().all(|transport| transport == "sse"), "{transports:?}");
}
