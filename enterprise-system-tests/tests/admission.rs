// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The admission layer every route shares, driven through the built binary: two
//! `Authorization` headers, a trickled body (authenticated and not), a control-store outage
//! under a running server (503 with `Retry-After`, never 401), a revocation racing calls in
//! flight, and `GET /` naming the real authentication mode.

use std::time::{Duration, Instant};

use enterprise_system_tests::{Caller, Enterprise, structured};
use serde_json::{Value, json};
use system_tests::TestDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn list() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
}

fn address(server: &Enterprise) -> String {
    server.server.base.trim_start_matches("http://").to_owned()
}

/// Sends `head` (request line and headers), then `body_bytes` one byte at a time with `gap`
/// between them, and returns the status of the answer (reading at most `limit`).
async fn trickle(server: &Enterprise, head: String, body_bytes: usize, gap: Duration, limit: Duration) -> u16 {
    let mut stream = TcpStream::connect(address(server)).await.expect("connect to loopback");
    stream.write_all(head.as_bytes()).await.expect("head");
    let deadline = Instant::now() + limit;
    let mut answer = Vec::new();
    let mut sent = 0;
    loop {
        let mut buffer = [0u8; 512];
        tokio::select! {
            read = stream.read(&mut buffer) => {
                let read = read.unwrap_or(0);
                answer.extend_from_slice(&buffer[..read]);
                if read == 0 || answer.windows(4).any(|window| window == b"\r\n\r\n") { break; }
            }
            () = tokio::time::sleep(gap) => {
                if sent < body_bytes && stream.write_all(b" ").await.is_ok() { sent += 1; }
            }
        }
        assert!(Instant::now() < deadline, "no answer within {limit:?}");
    }
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace().nth(1).and_then(|code| code.parse().ok()).expect("a status line")
}

#[tokio::test(flavor = "multi_thread")]
async fn two_authorization_headers_are_refused_on_every_route_and_audited() {
    let dir = TestDir::new();
    let server = Enterprise::start(&dir, None).unwrap();
    let good = format!("Bearer {}", server.owner_key);
    let headers = [
        ("authorization", good.as_str()),
        ("authorization", "Bearer garbage"),
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("mcp-protocol-version", "2025-06-18"),
    ];
    let http = server.http(None);
    let mcp = http.post("/mcp", &headers, serde_json::to_vec(&list()).unwrap()).await;
    assert_eq!(mcp.status, 400);
    assert_eq!(mcp.json()["error"]["message"], "more than one authorization header");
    let admin = http.send(reqwest::Method::GET, "/admin/v1/tenants", &headers, None).await.unwrap();
    assert_eq!(
        (admin.status, admin.json()),
        (400, json!({"error": {"code": "invalid_request", "message": "more than one authorization header"}}))
    );
    let audited = server
        .audit()
        .into_iter()
        .filter(|record| record["event"] == "security_audit" && record["kind"] == "duplicate_authorization")
        .count();
    assert_eq!(audited, 2);
    // One header still works.
    let (status, _) = server.owner().call("GET", "/admin/v1/tenants", None).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trickled_body_is_never_read_before_authentication_and_times_out_after_it() {
    let dir = TestDir::new();
    let server = Enterprise::start(&dir, Some("[server.http]\nbody_timeout_ms = 300\n")).unwrap();
    let head = |authorization: Option<&str>| {
        let authorization = authorization.map(|token| format!("Authorization: Bearer {token}\r\n")).unwrap_or_default();
        format!(
            "POST /admin/v1/tenants HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 64\r\n{authorization}\r\n",
            address(&server)
        )
    };
    // Without a credential: 401 at once, while the body is still arriving.
    let status = trickle(&server, head(None), 64, Duration::from_millis(200), Duration::from_secs(5)).await;
    assert_eq!(status, 401);
    // With one: the body must arrive within body_timeout_ms, else 408.
    let status =
        trickle(&server, head(Some(&server.owner_key)), 64, Duration::from_millis(100), Duration::from_secs(5)).await;
    assert_eq!(status, 408);
    let (status, tenants) = server.owner().call("GET", "/admin/v1/tenants", None).await;
    assert_eq!((status, tenants["items"].as_array().map(Vec::len)), (200, Some(1)), "nothing was created");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_control_store_outage_is_a_retryable_503_never_invalid_credentials() {
    let dir = TestDir::new();
    let server = Enterprise::start(&dir, None).unwrap();
    let token = server.owner().key(1, &["editor"]).await;
    let caller = Caller { http: server.http(None), authorization: Some(format!("Bearer {token}")) };
    // Another process holds the database's write lock (every control-store transaction needs
    // it), longer than the server waits for it.
    let blocker = rusqlite::Connection::open(server.data_dir.join("decision-gate.db")).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let answer = caller.send(&list()).await;
    assert_eq!(answer.status, 503, "{}", answer.text());
    assert_eq!(answer.header("retry-after").as_deref(), Some("1"));
    assert_eq!(answer.json()["error"]["code"], -32072);
    assert_eq!(answer.json()["error"]["message"], "authentication unavailable");
    let admin = server.admin(&token).raw("GET", "/admin/v1/whoami", None).await;
    assert_eq!((admin.status, admin.header("retry-after").as_deref()), (503, Some("1")));
    assert_eq!(admin.json()["error"]["code"], "unavailable");
    blocker.execute_batch("ROLLBACK").unwrap();
    drop(blocker);
    structured(&caller.send(&list()).await);
    let outage = server.audit().into_iter().any(|record| {
        record["event"] == "mcp_tool_authz"
            && record["reason"]
                .as_str()
                .is_some_and(|reason| reason.starts_with("unavailable: control store unavailable"))
    });
    assert!(outage, "the outage is audited as such");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_call_sent_after_a_revocation_is_acknowledged_is_let_through() {
    let dir = TestDir::new();
    let server = Enterprise::start(&dir, None).unwrap();
    let owner = server.owner();
    let token = owner.key(1, &["viewer"]).await;
    let key_id = token.split('_').nth(1).unwrap().to_owned();
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));
    let mut callers = Vec::new();
    for _ in 0..6 {
        let caller = Caller { http: server.http(None), authorization: Some(format!("Bearer {token}")) };
        let (stop, calls) = (stop.clone(), calls.clone());
        callers.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..2_000 {
                if stop.load(Ordering::Acquire) {
                    break;
                }
                let sent = Instant::now();
                seen.push((sent, caller.send(&list()).await.status));
                calls.fetch_add(1, Ordering::AcqRel);
            }
            seen
        }));
    }
    // Revoke once calls are flowing, and stop once as many again have been sent after it.
    let wait_for = |count: usize| {
        let calls = calls.clone();
        async move {
            while calls.load(Ordering::Acquire) < count {
                tokio::task::yield_now().await;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait_for(60)).await.expect("calls flow");
    let (status, _) = owner.call("POST", &format!("/admin/v1/tenants/1/keys/{key_id}/revoke"), None).await;
    let acknowledged = Instant::now();
    assert_eq!(status, 200);
    let so_far = calls.load(Ordering::Acquire);
    tokio::time::timeout(Duration::from_secs(30), wait_for(so_far + 60)).await.expect("calls go on");
    stop.store(true, Ordering::Release);
    let mut before = 0;
    let mut after = 0;
    for caller in callers {
        for (sent, status) in caller.await.unwrap() {
            if sent > acknowledged {
                assert_eq!(status, 401, "a call sent after the revocation was acknowledged");
                after += 1;
            } else if status == 200 {
                before += 1;
            }
        }
    }
    assert!(before > 0 && after > 0, "calls ran on both sides of the revocation ({before} before, {after} after)");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_index_names_the_real_authentication_mode() {
    let dir = TestDir::new();
    let server = Enterprise::start(&dir, None).unwrap();
    let index = server.http(None).get("/").await;
    assert_eq!(index.json()["auth"], "api_key_or_client_certificate");
}
