//! mTLS identity from verified certificates (CN and SAN), the subject header of trusted proxies,
//! and `local_only` refusing a trusted proxy on loopback.

use rcgen::SanType;
use serde_json::{Value, json};
use system_tests::raw::{IO_TIMEOUT, RawHttp, error_envelope, initialize};
use system_tests::tls::{Pem, TestCa, tls_table};
use system_tests::{HttpServer, TestDir};

use super::{CHALLENGE, assert_rejected, authz_denials, tools_list, unauthenticated};

fn unauthorized() -> Value {
    error_envelope(Value::Null, -32003, "unauthorized", "unauthorized", false)
}

/// One `GET /healthz` over a TLS connection made with rustls directly: the response text, or
/// the TLS error the client saw.
fn tls_exchange(base: &str, ca: &TestCa, identity: Option<&Pem>) -> Result<String, rustls::Error> {
    use std::io::{Read, Write};

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

    system_tests::install_crypto();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(ca.pem.as_bytes()).unwrap()).unwrap();
    let builder = rustls::ClientConfig::builder().with_root_certificates(roots);
    let config = match identity {
        None => builder.with_no_client_auth(),
        Some(pem) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(pem.cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(pem.key.as_bytes()).unwrap(),
            )
            .unwrap(),
    };
    let address = base.trim_start_matches("https://");
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let connection = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let socket = std::net::TcpStream::connect(address).unwrap();
    socket.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let mut stream = rustls::StreamOwned::new(connection, socket);
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let mut response = Vec::new();
    match stream.write_all(request.as_bytes()).and_then(|()| stream.read_to_end(&mut response)) {
        Ok(_) => Ok(String::from_utf8_lossy(&response).into_owned()),
        Err(error) => Err(error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .cloned()
            .unwrap_or_else(|| panic!("not a TLS error: {error}"))),
    }
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn mtls_identity_comes_from_the_verified_certificate() {
    let ca = TestCa::new();
    let agent_a = ca.client("agent-a", vec![]);
    let intruder = ca.client("intruder", vec![]);
    let stranger_ca = TestCa::named("some other CA");
    let foreign = stranger_ca.client("agent-a", vec![]);

    let dir = TestDir::new();
    let extra = format!("{}\n[server.auth]\nmode = \"mtls\"\nmtls_subjects = [\"agent-a\"]\n", tls_table(&dir, &ca));
    let config = dir.config("http", &extra);
    let server = HttpServer::start(dir.path(), &config).unwrap();
    assert!(server.base.starts_with("https://127.0.0.1:"), "{}", server.base);

    // The listed subject is served over HTTPS on both endpoints.
    let allowed = ca.http(&server.base, Some(&agent_a));
    let listed = allowed.rpc(&tools_list(1), &[]).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json()["result"]["tools"].as_array().unwrap().len(), 17);
    let init = allowed.mcp(&initialize(json!(1), "2025-11-25"), &[]).await;
    assert_eq!((init.status, init.json()["result"]["protocolVersion"].clone()), (200, json!("2025-11-25")));
    assert_eq!(allowed.get("/healthz").await.status, 200);

    // A verified certificate whose CN is not listed: 403 -32003, no challenge.
    let outsider = ca.http(&server.base, Some(&intruder));
    assert_rejected(&outsider.rpc(&tools_list(2), &[]).await, 403, &unauthorized(), None);
    assert_rejected(&outsider.mcp(&initialize(json!(2), "2025-11-25"), &[]).await, 403, &unauthorized(), None);
    // A forged subject header from a peer that is not a trusted proxy is ignored (and audited).
    let forged = outsider.rpc(&tools_list(3), &[("x-decision-gate-client-subject", "agent-a")]).await;
    assert_rejected(&forged, 403, &unauthorized(), None);

    // No client certificate, or one from another CA: the TLS handshake fails with the
    // server's alert (observed with rustls directly; an HTTP client only sees a closed channel).
    let response = tls_exchange(&server.base, &ca, Some(&agent_a)).expect("handshake with a listed client");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert_eq!(
        tls_exchange(&server.base, &ca, None),
        Err(rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired))
    );
    assert_eq!(
        tls_exchange(&server.base, &ca, Some(&foreign)),
        Err(rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA))
    );
    let error = ca
        .http(&server.base, None)
        .send(reqwest::Method::POST, "/rpc", &[("content-type", "application/json")], Some(b"{}".to_vec()))
        .await
        .expect_err("no HTTP exchange without a client certificate");
    assert!(error.is_request(), "{}", error_chain(&error));

    // Audit: subjects from the certificate, denial reasons, the untrusted-header event.
    let events = dir.audit_events();
    let served: Vec<&Value> = events
        .iter()
        .filter(|event| event["event"] == "mcp_request" && event["outcome"] == "Ok")
        .map(|event| &event["client_subject"])
        .collect();
    assert_eq!(served, [&json!("agent-a"), &json!("agent-a")]);
    let denials = authz_denials(&dir);
    assert_eq!(denials, vec!["unauthorized: client subject not authorized".to_owned(); 3]);
    let untrusted: Vec<&Value> = events
        .iter()
        .filter(|event| event["event"] == "security_audit" && event["kind"] == "untrusted_client_subject_header")
        .collect();
    assert_eq!(untrusted.len(), 1);
    assert_eq!(untrusted[0]["message"], "client subject header from untrusted peer ignored");
    let allow = events
        .iter()
        .find(|event| event["event"] == "mcp_tool_authz" && event["decision"] == "allow")
        .expect("an allow decision");
    assert_eq!((&allow["auth_method"], &allow["subject"]), (&json!("mtls_subject"), &json!("agent-a")));
}

#[tokio::test(flavor = "multi_thread")]
async fn mtls_san_identity_and_trusted_proxy_subject_header() {
    let ca = TestCa::new();
    let san_client = ca.client(
        "agent-a",
        vec![
            SanType::DnsName("other.example".try_into().unwrap()),
            SanType::URI("spiffe://dg/agent-b".try_into().unwrap()),
            SanType::Rfc822Name("b@example.com".try_into().unwrap()),
        ],
    );
    let cn_only = ca.client("spiffe://dg/agent-b", vec![]);
    let dir = TestDir::new();
    let extra = format!(
        "{}\n[server.auth]\nmode = \"mtls\"\nmtls_identity = \"san\"\nmtls_subjects = [\"spiffe://dg/agent-b\"]\n",
        tls_table(&dir, &ca)
    );
    let config = dir.config("http", &extra);
    let server = HttpServer::start(dir.path(), &config).unwrap();

    // The first listed SAN is the identity; the CN is not consulted.
    let listed = ca.http(&server.base, Some(&san_client)).rpc(&tools_list(1), &[]).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    let no_san = ca.http(&server.base, Some(&cn_only)).rpc(&tools_list(2), &[]).await;
    assert_rejected(&no_san, 401, &unauthenticated(), Some(CHALLENGE));
    let served: Vec<Value> = dir
        .audit_events()
        .into_iter()
        .filter(|event| event["event"] == "mcp_request")
        .map(|event| event["client_subject"].clone())
        .collect();
    assert_eq!(served, [json!("spiffe://dg/agent-b"), Value::Null]);
    assert_eq!(authz_denials(&dir), ["unauthenticated: missing mTLS client identity"]);

    // Behind a trusted (TLS-terminating) proxy the subject header is the identity.
    let proxy_dir = TestDir::new();
    let proxy_config = proxy_dir.config(
        "http",
        "[server.auth]\nmode = \"mtls\"\nmtls_subjects = [\"agent-a\"]\ntrusted_proxies = [\"127.0.0.1/32\"]\n",
    );
    let proxied = HttpServer::start(proxy_dir.path(), &proxy_config).unwrap();
    let http = RawHttp::new(&proxied.base);
    let honoured = http.rpc(&tools_list(1), &[("x-decision-gate-client-subject", "agent-a")]).await;
    assert_eq!(honoured.status, 200);
    assert_rejected(
        &http.rpc(&tools_list(2), &[("x-decision-gate-client-subject", "intruder")]).await,
        403,
        &unauthorized(),
        None,
    );
    assert_rejected(&http.rpc(&tools_list(3), &[]).await, 401, &unauthenticated(), Some(CHALLENGE));
    assert_eq!(
        authz_denials(&proxy_dir),
        ["unauthorized: client subject not authorized", "unauthenticated: missing mTLS client identity"]
    );
    let events = proxy_dir.audit_events();
    assert!(!events.iter().any(|event| event["event"] == "security_audit"), "a trusted proxy's header is not audited");
    let subjects: Vec<Value> = events
        .iter()
        .filter(|event| event["event"] == "mcp_request")
        .map(|event| event["client_subject"].clone())
        .collect();
    assert_eq!(subjects, [json!("agent-a"), Value::Null, Value::Null]);
}

// ---------------------------------------------------------------------------------------------
// local_only
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn local_only_refuses_a_trusted_proxy_on_loopback() {
    let dir = TestDir::new();
    let config = dir.config("http", "[server.auth]\nmode = \"local_only\"\ntrusted_proxies = [\"127.0.0.1/32\"]\n");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let http = RawHttp::new(&server.base);
    assert_rejected(
        &http.mcp(&initialize(json!(1), "2025-11-25"), &[]).await,
        401,
        &unauthenticated(),
        Some(CHALLENGE),
    );
    assert_rejected(&http.rpc(&tools_list(2), &[]).await, 401, &unauthenticated(), Some(CHALLENGE));
    // X-Forwarded-For never makes a caller local.
    assert_rejected(
        &http.rpc(&tools_list(3), &[("x-forwarded-for", "127.0.0.1")]).await,
        401,
        &unauthenticated(),
        Some(CHALLENGE),
    );
    assert_eq!(authz_denials(&dir), vec!["unauthenticated: local-only mode requires loopback access".to_owned(); 3]);
    // Health and readiness need no authentication.
    assert_eq!(http.get("/readyz").await.status, 200);
}
