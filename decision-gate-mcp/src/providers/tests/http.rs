//! The `http` built-in, against a raw HTTP/1.1 server on 127.0.0.1.

use std::net::SocketAddr;
use std::time::Duration;

use decision_gate_core::evidence::{EvidenceResult, EvidenceValue};
use decision_gate_core::hashing::HashDigest;
use decision_gate_core::time::Timestamp;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

use super::support::{ctx, query};
use crate::providers::ProviderBackend;
use crate::providers::http::{HttpProvider, HttpProviderConfig};
use crate::providers::network_policy::{HostLookup, LookupFuture};

/// Answers one request according to its path.
async fn serve_one(mut stream: TcpStream) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&request).to_string();
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let user_agent = text
        .lines()
        .find_map(|line| line.strip_prefix("user-agent: ").or_else(|| line.strip_prefix("User-Agent: ")))
        .unwrap_or("")
        .to_owned();
    let respond = |status: &str, extra: &str, body: &str| {
        format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}", body.len())
    };
    let reply = match path.as_str() {
        "/ok" => respond("200 OK", "", "hello"),
        "/missing" => respond("404 Not Found", "", "nope"),
        "/redirect" => respond("302 Found", "Location: /ok\r\n", ""),
        "/big" => respond("200 OK", "", "0123456789abcdef"),
        "/ua" => respond("200 OK", "", &user_agent),
        "/chunked" => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n".to_owned(),
        "/slow" => {
            tokio::time::sleep(Duration::from_millis(200)).await;
            respond("200 OK", "", "late")
        }
        "/truncated" => "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nonly ten!!".to_owned(),
        _ => respond("500 Internal Server Error", "", ""),
    };
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

struct Server {
    runtime: Runtime,
    addr: SocketAddr,
}

fn server() -> Server {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_one(stream));
        }
    });
    Server { runtime, addr }
}

/// Cleartext allowed, and the local test server (a loopback address) admitted.
fn cleartext() -> HttpProviderConfig {
    HttpProviderConfig { allow_http: true, allow_private_networks: true, ..HttpProviderConfig::default() }
}

/// Answers every name with fixed addresses (a resolver override, no DNS).
struct FixedLookup(Vec<std::net::IpAddr>);

impl HostLookup for FixedLookup {
    fn lookup(&self, _host: &str) -> LookupFuture {
        let answers = self.0.iter().map(|ip| SocketAddr::new(*ip, 0)).collect();
        Box::pin(async move { Ok(answers) })
    }
}

impl Server {
    fn provider(&self, config: HttpProviderConfig) -> HttpProvider {
        HttpProvider::new(config, self.runtime.handle().clone()).unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn ask(&self, provider: &HttpProvider, check: &str, path: &str) -> Result<EvidenceResult, String> {
        provider
            .query(&query("http", check, json!({"url": self.url(path)})), &ctx(Timestamp::Logical(1)))
            .map_err(|e| e.0)
    }
}

fn json_value(result: &EvidenceResult) -> serde_json::Value {
    match &result.value {
        Some(EvidenceValue::Json(value)) => value.clone(),
        other => panic!("expected a JSON value, got {other:?}"),
    }
}

#[test]
fn cleartext_is_blocked_by_default() {
    let server = server();
    let provider = server.provider(HttpProviderConfig::default());
    let err = server.ask(&provider, "status", "/ok").unwrap_err();
    assert!(err.contains("cleartext http urls are not allowed"), "{err}");
    let err = provider
        .query(&query("http", "status", json!({"url": "ftp://example.com/x"})), &ctx(Timestamp::Logical(1)))
        .unwrap_err();
    assert!(err.0.contains("scheme"), "{}", err.0);
}

#[test]
fn status_with_allow_http() {
    let server = server();
    let provider = server.provider(cleartext());
    let ok = server.ask(&provider, "status", "/ok").unwrap();
    assert_eq!(json_value(&ok), json!(200));
    assert_eq!(ok.content_type.as_deref(), Some("application/json"));
    let url = server.url("/ok");
    assert_eq!(ok.evidence_ref.unwrap().uri, url);
    let anchor = ok.evidence_anchor.unwrap();
    assert_eq!((anchor.anchor_type.as_str(), anchor.anchor_value.as_str()), ("url", url.as_str()));
    assert_eq!(json_value(&server.ask(&provider, "status", "/missing").unwrap()), json!(404));
}

#[test]
fn internal_addresses_are_refused_literally_and_after_resolution() {
    let server = server();
    let port = server.addr.port();
    let guarded = server.provider(HttpProviderConfig { allow_http: true, ..HttpProviderConfig::default() });
    let ask = |provider: &HttpProvider, url: String| {
        provider.query(&query("http", "status", json!({"url": url})), &ctx(Timestamp::Logical(1))).map_err(|e| e.0)
    };
    // End to end, only loopback spellings: if the guard ever regressed, the request would still
    // stay on this machine (private, link-local and metadata addresses are checked as a pure
    // function in `network_policy`).
    for host in ["127.0.0.1", "127.1.2.3", "0.0.0.0", "[::1]", "[::ffff:127.0.0.1]", "localhost"] {
        let err = ask(&guarded, format!("http://{host}:{port}/ok")).unwrap_err();
        let expected = if host == "localhost" {
            "http host resolves only to addresses the provider may not contact"
        } else {
            "http url address is not allowed"
        };
        assert_eq!(err, expected, "{host}");
    }
    // A name that resolves to loopback (resolver override) is refused after resolution.
    let rebinding = |config: HttpProviderConfig| {
        let lookup = std::sync::Arc::new(FixedLookup(vec!["127.0.0.1".parse().unwrap()]));
        HttpProvider::with_lookup(config, server.runtime.handle().clone(), lookup).unwrap()
    };
    let refused = rebinding(HttpProviderConfig { allow_http: true, ..HttpProviderConfig::default() });
    let err = ask(&refused, format!("http://rebind.test:{port}/ok")).unwrap_err();
    assert_eq!(err, "http host resolves only to addresses the provider may not contact");
    // The same name with private networks admitted reaches exactly the checked address: the
    // test server, with no second resolution (the name exists nowhere else).
    let admitted = rebinding(HttpProviderConfig { allowed_cidrs: vec!["127.0.0.1/32".into()], ..cleartext() });
    assert_eq!(json_value(&ask(&admitted, format!("http://rebind.test:{port}/ok")).unwrap()), json!(200));
}

#[test]
fn redirects_are_not_followed() {
    let server = server();
    let provider = server.provider(cleartext());
    assert_eq!(json_value(&server.ask(&provider, "status", "/redirect").unwrap()), json!(302));
}

#[test]
fn host_allowlist() {
    let server = server();
    let listed =
        server.provider(HttpProviderConfig { allowed_hosts: Some(vec!["example.com".to_owned()]), ..cleartext() });
    let err = server.ask(&listed, "status", "/ok").unwrap_err();
    assert!(err.contains("host is not allowed"), "{err}");
    let allowed =
        server.provider(HttpProviderConfig { allowed_hosts: Some(vec!["127.0.0.1".to_owned()]), ..cleartext() });
    assert!(server.ask(&allowed, "status", "/ok").is_ok());
}

#[test]
fn credentials_and_bad_params_are_rejected() {
    let server = server();
    let provider = server.provider(cleartext());
    let with_user = format!("http://user:pw@{}/ok", server.addr);
    let err = provider.query(&query("http", "status", json!({"url": with_user})), &ctx(Timestamp::Logical(1)));
    assert!(err.unwrap_err().0.contains("credentials"));
    let ask = |params| provider.query(&query("http", "status", params), &ctx(Timestamp::Logical(1))).map_err(|e| e.0);
    assert!(ask(serde_json::Value::Null).unwrap_err().contains("requires params"));
    assert!(ask(json!({"url": "not a url"})).unwrap_err().contains("invalid"));
    assert!(ask(json!({"url": 1})).unwrap_err().contains("must be a string"));
    let err = provider.query(&query("http", "headers", json!({})), &ctx(Timestamp::Logical(1))).unwrap_err();
    assert!(err.0.contains("unsupported http check"));
}

#[test]
fn body_hash_is_the_digest_of_the_body() {
    let server = server();
    let provider = server.provider(cleartext());
    let result = server.ask(&provider, "body_hash", "/ok").unwrap();
    assert_eq!(json_value(&result), serde_json::to_value(HashDigest::sha256(b"hello")).unwrap());
    assert_eq!(
        json_value(&result),
        json!({"algorithm": "sha256", "value": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"})
    );
    let chunked = server.ask(&provider, "body_hash", "/chunked").unwrap();
    assert_eq!(json_value(&chunked), serde_json::to_value(HashDigest::sha256(b"0123456789abcdef")).unwrap());
    let agent = server.provider(HttpProviderConfig { user_agent: "probe/9".to_owned(), ..cleartext() });
    let ua = server.ask(&agent, "body_hash", "/ua").unwrap();
    assert_eq!(json_value(&ua), serde_json::to_value(HashDigest::sha256(b"probe/9")).unwrap());
}

#[test]
fn size_cap() {
    let server = server();
    let provider = server.provider(HttpProviderConfig { max_response_bytes: 8, ..cleartext() });
    let err = server.ask(&provider, "body_hash", "/big").unwrap_err();
    assert!(err.contains("exceeds size limit"), "{err}");
    let err = server.ask(&provider, "body_hash", "/chunked").unwrap_err();
    assert!(err.contains("exceeds size limit"), "chunked bodies are capped by bytes read: {err}");
    assert!(server.ask(&provider, "body_hash", "/ok").is_ok());
    // `status` does not read the body.
    assert_eq!(json_value(&server.ask(&provider, "status", "/big").unwrap()), json!(200));
}

#[test]
fn timeout() {
    let server = server();
    let provider = server.provider(HttpProviderConfig { timeout_ms: 10, ..cleartext() });
    let err = server.ask(&provider, "status", "/slow").unwrap_err();
    assert!(err.contains("timed out"), "{err}");
    let patient = server.provider(cleartext());
    assert_eq!(json_value(&server.ask(&patient, "status", "/slow").unwrap()), json!(200));
}

#[test]
fn truncated_body_is_an_error() {
    let server = server();
    let provider = server.provider(cleartext());
    let err = server.ask(&provider, "body_hash", "/truncated").unwrap_err();
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn zero_timeout_is_rejected() {
    let server = server();
    let err = HttpProvider::new(HttpProviderConfig { timeout_ms: 0, ..cleartext() }, server.runtime.handle().clone());
    assert!(err.unwrap_err().contains("timeout_ms"));
}
