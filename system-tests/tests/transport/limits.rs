//! Limits and graceful shutdown: the rate limit, the in-flight limit and draining a slow call.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use system_tests::raw::{RawHttp, edit_config, error_envelope, parse_prometheus};
use system_tests::{HttpServer, TestDir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{audit_requests, http_call, request};

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
         max_response_bytes = 1048576, user_agent = \"decision-gate/0.1\", hash_algorithm = \"sha256\", \
         allow_private_networks = true }\n",
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
