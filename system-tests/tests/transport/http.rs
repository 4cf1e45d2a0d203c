//! HTTP: Streamable HTTP `/mcp` and the `/rpc` OSS dialect (admission guards, negotiation,
//! correlation, wire shapes, stateless headers, shared sessions) and the SSE framing of `/rpc`.

use std::collections::HashMap;

use serde_json::{Value, json};
use system_tests::raw::{RawHttp, RawResponse, config_with, error_envelope, initialize, parse_prometheus};
use system_tests::{Era, HttpServer, McpClient, TestDir};

use super::{
    TOOLS, assert_server_correlation_id, audit_requests, http_call, providers_list_result, request, stateless_call,
};

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
    let call = http_call(&http, json!(3), "providers_list", json!({"tenant_id": 1}), &[]).await;
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

    // Origin: refused unless allowed (or a loopback origin of this loopback-bound server), on
    // both endpoints; no CORS headers.
    let tools_list = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list"});
    let forbidden = error_envelope(Value::Null, -32600, "origin not allowed", "invalid_request", false);
    for response in [
        http.mcp(&ping, &[("origin", "http://evil.example")]).await,
        http.rpc(&tools_list, &[("origin", "http://evil.example")]).await,
        http.rpc(&tools_list, &[("origin", "http://localhost.evil.example:3001")]).await,
    ] {
        assert_eq!((response.status, response.json()), (403, forbidden.clone()));
        assert_eq!(response.header("access-control-allow-origin"), None);
    }
    let allowed = http.mcp(&ping, &[("origin", "http://localhost:3000")]).await;
    assert_eq!((allowed.status, allowed.json()), (200, json!({"jsonrpc": "2.0", "id": 2, "result": {}})));
    assert_eq!(allowed.header("access-control-allow-origin"), None);
    let allowed_rpc = http.rpc(&tools_list, &[("origin", "http://localhost:3000")]).await;
    assert_eq!(allowed_rpc.status, 200);
    let loopback = http.rpc(&tools_list, &[("origin", "http://127.0.0.1:3001")]).await;
    assert_eq!(loopback.status, 200, "any loopback origin of a loopback-bound server");

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
