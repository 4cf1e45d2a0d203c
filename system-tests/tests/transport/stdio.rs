//! stdio: newline framing, limits and lifecycle, and the `Content-Length` framing that speaks the
//! OSS dialect.

use serde_json::{Value, json};
use system_tests::TestDir;
use system_tests::raw::{StdioProcess, config_with, error_envelope, initialize, stateless_meta};

use super::{TOOLS, audit_requests, providers_list_result, request, stateless_call};

const SUPPORTED: [&str; 4] = ["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"];

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
