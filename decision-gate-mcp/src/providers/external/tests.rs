//! Tests of external MCP providers that run in-process: result parsing, framing, back-off and
//! HTTP providers against the in-process stub. stdio providers (child processes) are tested
//! in `tests/external_providers.rs`.

use std::sync::Arc;
use std::time::Duration;

use decision_gate_core::evidence::{EvidenceContext, EvidenceValue};
use decision_gate_core::ids::{CorrelationId, NamespaceId, RunId, ScenarioId, StageId, TenantId, TriggerId};
use decision_gate_core::ports::EvidenceError;
use decision_gate_core::spec::EvidenceQuery;
use decision_gate_core::time::Timestamp;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use serde_json::{Value, json};

use super::framing::{Inbound, MAX_MESSAGE_BYTES, frame, read_content_length_message, read_line_message};
use super::parse::{parse_response, parse_tool_result};
use super::stdio::Backoff;
use super::stub::{self, StubOptions};
use super::{Timeouts, http};
use crate::config::StdioFraming;
use crate::providers::federation::ProviderBackend;

fn evidence(value: Value) -> Value {
    json!({"value": {"kind": "json", "value": value}, "lane": "verified"})
}

fn value_of(result: &decision_gate_core::evidence::EvidenceResult) -> Value {
    match &result.value {
        Some(EvidenceValue::Json(value)) => value.clone(),
        other => panic!("expected a JSON value, got {other:?}"),
    }
}

#[test]
fn results_are_parsed_in_spec_order() {
    let structured = json!({"content": [{"type": "text", "text": "ignored"}], "structuredContent": evidence(json!(1))});
    assert_eq!(value_of(&parse_tool_result(&structured).unwrap()), json!(1));
    let json_item = json!({"content": [{"type": "json", "json": evidence(json!("oss"))}]});
    assert_eq!(value_of(&parse_tool_result(&json_item).unwrap()), json!("oss"));
    let text_item = json!({"content": [{"type": "text", "text": evidence(json!([true])).to_string()}]});
    assert_eq!(value_of(&parse_tool_result(&text_item).unwrap()), json!([true]));
    let failed = json!({"content": [{"type": "text", "text": "boom"}], "isError": true, "structuredContent": evidence(json!(1))});
    assert_eq!(parse_tool_result(&failed).unwrap_err().0, "provider error: boom");
    for unexpected in [
        json!({"content": [{"type": "text", "text": "not json"}]}),
        json!({"content": [{"type": "image", "data": "", "mimeType": "image/png"}]}),
        json!({"content": []}),
        json!({"structuredContent": [1, 2]}),
        json!("result"),
    ] {
        let err = parse_tool_result(&unexpected).unwrap_err();
        assert!(err.0.starts_with("unexpected provider response"), "{unexpected}: {}", err.0);
    }
    let rpc = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "nope"}});
    assert_eq!(parse_response(&rpc).unwrap_err().0, "provider error: nope");
    assert_eq!(parse_response(&json!({"jsonrpc": "2.0", "id": 1})).unwrap_err().0, "provider response has no result");
}

async fn read_all_lines(input: &[u8]) -> Vec<Inbound> {
    let mut reader = tokio::io::BufReader::with_capacity(7, input);
    let mut items = Vec::new();
    while let Some(item) = read_line_message(&mut reader).await.unwrap() {
        items.push(item);
    }
    items
}

#[tokio::test]
async fn newline_framing_skips_oversized_lines() {
    let mut input = b"{\"a\":1}\r\n\n  \n".to_vec();
    input.extend(vec![b'x'; MAX_MESSAGE_BYTES + 1]);
    input.extend(b"\n");
    input.extend(vec![b'y'; MAX_MESSAGE_BYTES]);
    input.extend(b"\r\n{\"b\":2}\nunterminated");
    let items = read_all_lines(&input).await;
    assert_eq!(items.len(), 4, "{items:?}");
    assert!(matches!(&items[0], Inbound::Message(bytes) if bytes == b"{\"a\":1}"));
    assert!(matches!(items[1], Inbound::TooLarge));
    assert!(matches!(&items[2], Inbound::Message(bytes) if bytes.len() == MAX_MESSAGE_BYTES));
    assert!(matches!(&items[3], Inbound::Message(bytes) if bytes == b"{\"b\":2}"));
}

#[tokio::test]
async fn content_length_framing_round_trips_and_bounds_bodies() {
    let mut input = frame(StdioFraming::ContentLength, b"{\"a\":1}");
    input.extend(b"content-length: 3\r\nContent-Type: application/json\r\n\r\n[1]");
    input.extend(format!("Content-Length: {}\r\n\r\n", MAX_MESSAGE_BYTES + 1).into_bytes());
    input.extend(vec![b' '; MAX_MESSAGE_BYTES + 1]);
    input.extend(b"\r\nContent-Length: 2\r\n\r\n{}");
    let mut reader = tokio::io::BufReader::new(input.as_slice());
    let mut items = Vec::new();
    while let Some(item) = read_content_length_message(&mut reader).await.unwrap() {
        items.push(item);
    }
    assert_eq!(items.len(), 4, "{items:?}");
    assert!(matches!(&items[0], Inbound::Message(bytes) if bytes == b"{\"a\":1}"));
    assert!(matches!(&items[1], Inbound::Message(bytes) if bytes == b"[1]"));
    assert!(matches!(items[2], Inbound::TooLarge));
    assert!(matches!(&items[3], Inbound::Message(bytes) if bytes == b"{}"));
    for broken in [&b"Content-Length: x\r\n\r\n"[..], b"X: 1\r\n\r\n{}", b"Content-Length: 5\r\n\r\n{}"] {
        let mut reader = tokio::io::BufReader::new(broken);
        assert!(read_content_length_message(&mut reader).await.is_err(), "{}", String::from_utf8_lossy(broken));
    }
}

#[test]
fn backoff_doubles_to_the_cap_and_resets_after_a_healthy_run() {
    let mut backoff = Backoff::default();
    let delays: Vec<u64> = (0..10).map(|_| backoff.next_delay(None).as_millis() as u64).collect();
    assert_eq!(delays, [250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    assert_eq!(backoff.next_delay(Some(Duration::from_secs(59))), Duration::from_secs(30));
    assert_eq!(backoff.next_delay(Some(Duration::from_secs(60))), Duration::from_millis(250));
    assert_eq!(backoff.next_delay(Some(Duration::from_millis(10))), Duration::from_millis(500));
}

// ---------------------------------------------------------------------------------------------
// HTTP providers against the in-process stub

struct HttpStub {
    runtime: tokio::runtime::Runtime,
    base: String,
    sessions: Arc<LocalSessionManager>,
}

fn http_stub(options: StubOptions) -> HttpStub {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sessions = Arc::new(LocalSessionManager::default());
    let router = stub::http_router(options, sessions.clone());
    runtime.spawn(async move { axum::serve(listener, router).await });
    HttpStub { runtime, base, sessions }
}

const FAST: Timeouts = Timeouts { connect: Duration::from_millis(2000), request: Duration::from_millis(500) };

impl HttpStub {
    fn backend(&self, path: &str, bearer: Option<&str>) -> http::HttpBackend {
        let url = format!("{}{path}", self.base);
        http::start(&url, true, bearer.map(str::to_owned), FAST, self.runtime.handle()).unwrap()
    }
}

fn ctx(correlation_id: Option<&str>) -> EvidenceContext {
    EvidenceContext {
        tenant_id: TenantId::new(1).expect("nonzero"),
        namespace_id: NamespaceId::DEFAULT,
        run_id: RunId::new("run-1"),
        scenario_id: ScenarioId::new("scenario"),
        stage_id: StageId::new("stage-1"),
        trigger_id: TriggerId::new("trigger-1"),
        trigger_time: Timestamp::Logical(1),
        correlation_id: correlation_id.map(CorrelationId::new),
    }
}

fn ask(backend: &dyn ProviderBackend, check: &str, params: Value) -> Result<Value, EvidenceError> {
    let query = EvidenceQuery {
        provider_id: "stub".into(),
        check_id: check.to_owned(),
        params: (!params.is_null()).then_some(params),
    };
    backend.query(&query, &ctx(None)).map(|result| value_of(&result))
}

#[test]
fn http_provider_discovers_then_calls() {
    let stub = http_stub(StubOptions::default());
    let backend = stub.backend("/mcp", None);
    assert_eq!(ask(&backend, "count", Value::Null).unwrap(), json!(42));
    assert_eq!(ask(&backend, "echo", json!({"value": {"a": [1]}})).unwrap(), json!({"a": [1]}));
    assert_eq!(ask(&backend, "calls", Value::Null).unwrap(), json!(3));
    // 2026-07-28 is stateless: no session was created.
    assert!(stub.runtime.block_on(stub.sessions.sessions.read()).is_empty());
    assert_eq!(ask(&backend, "is_error", Value::Null).unwrap_err().0, "provider error: stub tool failure");
    assert_eq!(ask(&backend, "rpc_error", Value::Null).unwrap_err().0, "provider error: stub rpc failure");
    assert_eq!(ask(&backend, "not_evidence", Value::Null).unwrap_err().0, "unexpected provider response");
}

#[test]
fn http_legacy_provider_initializes_and_recovers_an_expired_session() {
    let stub = http_stub(StubOptions { legacy: true, shape: stub::Shape::Text, ..StubOptions::default() });
    let backend = stub.backend("/mcp", None);
    assert_eq!(ask(&backend, "flag", Value::Null).unwrap(), json!(true));
    assert_eq!(stub.runtime.block_on(stub.sessions.sessions.read()).len(), 1, "initialize issued a session");
    // The server forgets the session: the next call gets 404, re-initializes once and retries.
    stub.runtime.block_on(async { stub.sessions.sessions.write().await.clear() });
    assert_eq!(ask(&backend, "name", Value::Null).unwrap(), json!("stub"));
    assert_eq!(stub.runtime.block_on(stub.sessions.sessions.read()).len(), 1);
}

#[test]
fn http_correlation_id_reaches_the_provider() {
    let stub = http_stub(StubOptions::default());
    let backend = stub.backend("/mcp", None);
    let query = EvidenceQuery { provider_id: "stub".into(), check_id: "context".to_owned(), params: None };
    let seen = value_of(&backend.query(&query, &ctx(Some(" corr-42 "))).unwrap());
    assert_eq!(seen["header"], json!("corr-42"));
    assert_eq!(seen["arguments"]["context"]["correlation_id"], json!("corr-42"));
    assert_eq!(seen["arguments"]["query"]["check_id"], json!("context"));
    // An id that fails sanitisation is not propagated.
    let seen = value_of(&backend.query(&query, &ctx(Some("bad id"))).unwrap());
    assert_eq!(seen["header"], Value::Null);
    assert_eq!(seen["arguments"]["context"]["correlation_id"], Value::Null);
}

#[test]
fn http_bearer_token_is_sent() {
    let stub = http_stub(StubOptions { bearer_token: Some("s3cret".to_owned()), ..StubOptions::default() });
    let err = ask(&stub.backend("/mcp", None), "count", Value::Null).unwrap_err();
    assert!(err.0.contains("provider connection failed"), "{}", err.0);
    assert_eq!(ask(&stub.backend("/mcp", Some("s3cret")), "count", Value::Null).unwrap(), json!(42));
}

#[test]
fn http_redirects_and_error_statuses_fail() {
    let stub = http_stub(StubOptions::default());
    for path in ["/redirect", "/missing"] {
        let err = ask(&stub.backend(path, None), "count", Value::Null).unwrap_err();
        assert!(err.0.contains("provider connection failed"), "{path}: {}", err.0);
    }
}

#[test]
fn http_urls_need_the_insecure_opt_in() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let err = http::start("http://127.0.0.1:1/mcp", false, None, FAST, runtime.handle()).err().unwrap();
    assert!(err.contains("allow_insecure_http"), "{err}");
    assert!(http::start("https://127.0.0.1:1/mcp", false, None, FAST, runtime.handle()).is_ok());
    assert!(http::start("ftp://host/mcp", true, None, FAST, runtime.handle()).is_err());
}

#[test]
fn http_calls_time_out_and_big_messages_are_rejected() {
    let stub = http_stub(StubOptions::default());
    let backend = stub.backend("/mcp", None);
    let err = ask(&backend, "big", Value::Null).unwrap_err();
    assert!(err.0.contains("1 MiB"), "{}", err.0);
    let err = ask(&backend, "sleep", json!({"ms": 1500})).unwrap_err();
    assert!(err.0.contains("timed out"), "{}", err.0);
    let err = ask(&backend, "big", Value::Null).unwrap_err();
    assert!(err.0.contains("1 MiB"), "{}", err.0);
    // Just under the limit passes.
    assert_eq!(ask(&backend, "big", json!({"bytes": 1000})).unwrap().as_str().map(str::len), Some(1000));
    assert_eq!(ask(&backend, "count", Value::Null).unwrap(), json!(42));
}

/// A Decision Gate OSS-era HTTP provider: no handshake (-32601), `json` content items.
async fn oss_http(request: axum::extract::Request) -> axum::response::Response {
    let header = request.headers().get("x-correlation-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = axum::body::to_bytes(request.into_body(), 1 << 20).await.unwrap_or_default();
    let message: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(id) = message.get("id").cloned() else {
        return axum::response::IntoResponse::into_response(::http::StatusCode::ACCEPTED);
    };
    let reply = if message["method"] == "tools/call" {
        let value = json!({"header": header, "id": id});
        json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "json", "json": evidence(value)}]}})
    } else {
        json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "method not found"}})
    };
    axum::response::IntoResponse::into_response(axum::Json(reply))
}

#[test]
fn http_oss_provider_is_called_without_a_handshake() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/mcp", axum::routing::post(oss_http));
    runtime.spawn(async move { axum::serve(listener, app).await });
    let backend = http::start(&url, true, None, FAST, runtime.handle()).unwrap();
    let query = EvidenceQuery { provider_id: "stub".into(), check_id: "x".to_owned(), params: None };
    for _ in 0..2 {
        let seen = value_of(&backend.query(&query, &ctx(Some("corr-1"))).unwrap());
        assert_eq!(seen["header"], json!("corr-1"));
    }
}
