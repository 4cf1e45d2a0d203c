//! Authentication, transport identity and isolation through the real `decision-gate` binary
//! (mcp-surface §5, §6, §9.3, §12.2; testing §4.6): bearer tokens and their challenges, mTLS
//! identity from verified certificates (CN and SAN) and the untrusted subject header,
//! `local_only` versus trusted proxies, tenant isolation and the exposure policy.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use system_tests::raw::{IO_TIMEOUT, RawHttp, RawResponse, config_with, edit_config, error_envelope, initialize};
use system_tests::{CallError, Era, HttpServer, McpClient, TestDir, example_spec};

const CHALLENGE: &str = r#"Bearer realm="decision-gate""#;
const INVALID_TOKEN_CHALLENGE: &str = r#"Bearer realm="decision-gate", error="invalid_token""#;

fn tools_list(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"})
}

fn unauthenticated() -> Value {
    error_envelope(Value::Null, -32001, "unauthenticated", "unauthenticated", false)
}

fn unauthorized() -> Value {
    error_envelope(Value::Null, -32003, "unauthorized", "unauthorized", false)
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn authz_denials(dir: &TestDir) -> Vec<String> {
    dir.audit_events()
        .into_iter()
        .filter(|event| event["event"] == "mcp_tool_authz" && event["decision"] == "deny")
        .map(|event| event["reason"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn assert_rejected(response: &RawResponse, status: u16, body: &Value, challenge: Option<&str>) {
    assert_eq!((response.status, &response.json()), (status, body), "{}", response.text());
    assert_eq!(response.header("www-authenticate").as_deref(), challenge);
    assert!(response.header("x-server-correlation-id").is_some());
}

// ---------------------------------------------------------------------------------------------
// Bearer tokens
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn bearer_tokens_challenges_principals_and_no_token_leaks() {
    let alpha = "tok-alpha-5e1f9a7c3d";
    let beta = "tok-beta-0b3d6e2a41";
    let wrong = "tok-wrong-77c1e0d4b9";
    let dir = TestDir::new();
    let extra = format!("[server.auth]\nmode = \"bearer_token\"\nbearer_tokens = [\"{alpha}\", \"{beta}\"]\n");
    let config = dir.config("http", &extra);
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let http = RawHttp::new(&server.base);

    // Missing, wrong and malformed credentials: 401 with the challenge, on both endpoints.
    let init = initialize(json!(1), "2025-11-25");
    assert_rejected(&http.mcp(&init, &[]).await, 401, &unauthenticated(), Some(CHALLENGE));
    assert_rejected(&http.rpc(&tools_list(1), &[]).await, 401, &unauthenticated(), Some(CHALLENGE));
    let wrong_header = format!("Bearer {wrong}");
    assert_rejected(
        &http.mcp(&init, &[("authorization", &wrong_header)]).await,
        401,
        &unauthenticated(),
        Some(INVALID_TOKEN_CHALLENGE),
    );
    assert_rejected(
        &http.rpc(&tools_list(2), &[("authorization", &wrong_header)]).await,
        401,
        &unauthenticated(),
        Some(INVALID_TOKEN_CHALLENGE),
    );
    let basic = format!("Basic {alpha}");
    assert_rejected(
        &http.rpc(&tools_list(3), &[("authorization", &basic)]).await,
        401,
        &unauthenticated(),
        Some(CHALLENGE),
    );
    let oversized = format!("Bearer {alpha}{}", "x".repeat(8 * 1024));
    assert_rejected(
        &http.rpc(&tools_list(4), &[("authorization", &oversized)]).await,
        401,
        &unauthenticated(),
        Some(CHALLENGE),
    );
    // The loopback peer gets no special pass.
    assert_rejected(
        &http.mcp(&json!({"jsonrpc": "2.0", "id": 5, "method": "ping"}), &[]).await,
        401,
        &unauthenticated(),
        Some(CHALLENGE),
    );

    // Valid tokens: the scheme is case-insensitive and surrounding whitespace is trimmed.
    for header in [format!("Bearer {alpha}"), format!("bearer {beta}"), format!("  BEARER   {alpha}  ")] {
        let response = http.rpc(&tools_list(6), &[("authorization", &header)]).await;
        assert_eq!(response.status, 200, "{header:?}");
        assert_eq!(response.json()["result"]["tools"].as_array().unwrap().len(), 17);
    }

    // A valid token works through the rmcp HTTP client in every era.
    for era in Era::all() {
        let headers = [("authorization".to_owned(), format!("Bearer {alpha}"))].into_iter().collect();
        let client = McpClient::http_with_headers(&server.mcp_url(), era.clone(), headers).await.unwrap();
        assert_eq!(client.list_tools().await.unwrap().len(), 17, "{era:?}");
        let providers = client.call("providers_list", json!({})).await.unwrap();
        assert_eq!(providers["providers"].as_array().unwrap().len(), 4);
        client.close().await;
    }

    // Audit: the denial reasons, and the principal `token:<sha256>` of accepted requests.
    let denials = authz_denials(&dir);
    for reason in [
        "unauthenticated: missing authorization",
        "unauthenticated: invalid bearer token",
        "unauthenticated: invalid authorization header",
        "unauthenticated: authorization header too large",
    ] {
        assert!(denials.iter().any(|denial| denial == reason), "{reason} in {denials:?}");
    }
    assert_eq!(denials.iter().filter(|reason| *reason == "unauthenticated: invalid bearer token").count(), 2);
    let events = dir.audit_events();
    let alpha_principal = format!("token:{}", sha256_hex(alpha));
    let beta_principal = format!("token:{}", sha256_hex(beta));
    let subjects: Vec<&Value> = events
        .iter()
        .filter(|event| event["event"] == "mcp_request" && event["outcome"] == "Ok")
        .map(|event| &event["client_subject"])
        .collect();
    assert!(!subjects.is_empty());
    assert!(
        subjects.iter().all(|subject| **subject == json!(alpha_principal) || **subject == json!(beta_principal)),
        "{subjects:?}"
    );
    assert!(subjects.contains(&&json!(beta_principal)));
    let allow = events
        .iter()
        .find(|event| event["event"] == "mcp_tool_authz" && event["decision"] == "allow")
        .expect("an allow decision");
    assert_eq!(allow["auth_method"], "bearer_token");
    assert!(
        allow["token_fingerprint"] == json!(sha256_hex(alpha)) || allow["token_fingerprint"] == json!(sha256_hex(beta))
    );
    let rejected: Vec<&Value> =
        events.iter().filter(|event| event["event"] == "mcp_request" && event["error_code"] == -32001).collect();
    assert_eq!(rejected.len(), 7);
    assert!(rejected.iter().all(|event| event["client_subject"].is_null() && event["error_kind"] == "unauthenticated"));

    // Leak scan: tokens never appear in the audit log, stderr or /metrics.
    let audit_text = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
    let metrics = http.get("/metrics").await.text();
    let stderr = server.stderr();
    for secret in [alpha, beta, wrong] {
        assert!(!audit_text.contains(secret), "audit log leaks {secret}");
        assert!(!stderr.contains(secret), "stderr leaks {secret}");
        assert!(!metrics.contains(secret), "/metrics leaks {secret}");
    }
    assert!(!metrics.contains(&sha256_hex(alpha)), "principal ids are not metric labels");
}

// ---------------------------------------------------------------------------------------------
// mTLS
// ---------------------------------------------------------------------------------------------

/// A certificate and its private key, PEM.
struct Pem {
    cert: String,
    key: String,
}

impl Pem {
    fn identity(&self) -> reqwest::Identity {
        reqwest::Identity::from_pem(format!("{}{}", self.cert, self.key).as_bytes()).expect("identity PEM")
    }
}

/// An ephemeral CA issuing server and client certificates (nothing is committed).
struct TestCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    fn new() -> Self {
        TestCa::named("decision-gate test CA")
    }

    fn named(name: &str) -> Self {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCa { pem: cert.pem(), issuer: Issuer::new(params, key) }
    }

    fn issue(&self, common_name: &str, sans: Vec<SanType>, usage: ExtendedKeyUsagePurpose) -> Pem {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, common_name);
        params.subject_alt_names = sans;
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Pem { cert: cert.pem(), key: key.serialize_pem() }
    }

    fn server(&self) -> Pem {
        let sans =
            vec![SanType::IpAddress("127.0.0.1".parse().unwrap()), SanType::DnsName("localhost".try_into().unwrap())];
        self.issue("localhost", sans, ExtendedKeyUsagePurpose::ServerAuth)
    }

    fn client(&self, common_name: &str, sans: Vec<SanType>) -> Pem {
        self.issue(common_name, sans, ExtendedKeyUsagePurpose::ClientAuth)
    }

    /// A reqwest client trusting only this CA, optionally presenting a client certificate.
    fn http(&self, base: &str, identity: Option<&Pem>) -> RawHttp {
        system_tests::install_crypto();
        let mut builder = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(self.pem.as_bytes()).unwrap()])
            .timeout(IO_TIMEOUT);
        if let Some(pem) = identity {
            builder = builder.identity(pem.identity());
        }
        RawHttp::with_client(base, builder.build().expect("TLS client"))
    }
}

/// Writes the CA bundle and the server certificate; returns the `[server.tls]` table.
fn tls_table(dir: &TestDir, ca: &TestCa) -> String {
    let server = ca.server();
    let cert = dir.write("tls/server.pem", &server.cert);
    let key = dir.write("tls/server.key", &server.key);
    let bundle = dir.write("tls/ca.pem", &ca.pem);
    format!(
        "[server.tls]\ncert_path = \"{}\"\nkey_path = \"{}\"\nclient_ca_path = \"{}\"\n",
        cert.display(),
        key.display(),
        bundle.display()
    )
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

// ---------------------------------------------------------------------------------------------
// Tenant isolation
// ---------------------------------------------------------------------------------------------

fn not_defined() -> Result<Value, CallError> {
    Err(CallError::Tool {
        code: -32004,
        kind: "not_found".into(),
        message: "scenario not defined".into(),
        retryable: false,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scenario_of_one_tenant_is_invisible_to_another() {
    let dir = TestDir::new();
    let config = dir.config("http", "[tenancy]\ntenants = [1, 2]\n");
    edit_config(&config, "default_tenants = [1]", "default_tenants = [1, 2]");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    // The loopback caller is accepted in local_only mode.
    let client = McpClient::http(&server.mcp_url(), Era::Stateless).await.unwrap();
    let spec = example_spec("ci-release-gate");
    let scenario = "ci-release-gate";
    let defined = client.call("scenario_define", json!({"spec": spec, "tenant_id": 1})).await.unwrap();
    assert_eq!(defined["scenario_id"], scenario);
    let run_config = |tenant: u64| {
        json!({"tenant_id": tenant, "namespace_id": 1, "run_id": "run-1", "scenario_id": scenario,
               "dispatch_targets": [], "policy_tags": []})
    };
    let start = |tenant: u64| {
        json!({"scenario_id": scenario, "run_config": run_config(tenant),
               "started_at": {"kind": "logical", "value": 0}, "issue_entry_packets": false})
    };
    let status = |tenant: u64| {
        json!({"scenario_id": scenario, "request": {"tenant_id": tenant, "namespace_id": 1, "run_id": "run-1",
               "requested_at": {"kind": "logical", "value": 1}}})
    };
    let export = |tenant: u64| {
        json!({"scenario_id": scenario, "tenant_id": tenant, "namespace_id": 1, "run_id": "run-1",
               "output_dir": format!("export-{tenant}"), "generated_at": {"kind": "logical", "value": 10},
               "include_verification": false})
    };
    let list = |tenant: u64| json!({"tenant_id": tenant, "namespace_id": 1});
    let shape = |tenant: u64| {
        json!({"record": {"tenant_id": tenant, "namespace_id": 1, "schema_id": "ci-report", "version": "1",
               "schema": {"type": "object", "properties": {
                   "tests_passed": {"type": "integer"}, "coverage_ok": {"type": "number"},
                   "no_high_vulnerabilities": {"type": "integer"}, "freeze_lifted": {"type": "boolean"}}},
               "description": null, "created_at": {"kind": "logical", "value": 1}}})
    };
    let precheck = |tenant: u64| {
        json!({"tenant_id": tenant, "namespace_id": 1, "data_shape": {"schema_id": "ci-report", "version": "1"},
               "scenario_id": scenario,
               "payload": {"tests_passed": 0, "coverage_ok": 95, "no_high_vulnerabilities": 0}})
    };

    // Tenant 1 owns the definition and a run.
    assert_eq!(client.call("scenario_start", start(1)).await.unwrap()["status"], "active");
    assert_eq!(client.call("scenario_status", status(1)).await.unwrap()["status"], "active");
    client.call("schemas_register", shape(1)).await.unwrap();
    client.call("schemas_register", shape(2)).await.unwrap();
    let listed = client.call("scenarios_list", list(1)).await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["scenario_id"], scenario);
    assert_eq!(listed["items"][0]["spec_hash"], defined["spec_hash"]);
    client.call("precheck", precheck(1)).await.unwrap();

    // Tenant 2: indistinguishable from a scenario that was never defined.
    assert_eq!(client.call("scenario_status", status(2)).await, not_defined());
    assert_eq!(client.call("scenario_start", start(2)).await, not_defined());
    assert_eq!(client.call("runpack_export", export(2)).await, not_defined());
    assert_eq!(client.call("precheck", precheck(2)).await, not_defined());
    assert_eq!(client.call("scenarios_list", list(2)).await.unwrap(), json!({"items": [], "next_token": null}));
    let mut next = status(2);
    next["request"]["trigger_id"] = json!("t1");
    next["request"]["agent_id"] = json!("agent");
    next["request"]["time"] = json!({"kind": "logical", "value": 2});
    assert_eq!(client.call("scenario_next", next).await, not_defined());
    // A never-defined scenario answers tenant 1 the same way.
    let mut unknown = status(1);
    unknown["scenario_id"] = json!("never-defined");
    assert_eq!(client.call("scenario_status", unknown).await, not_defined());

    // Nothing leaked into tenant 2's namespace, and tenant 1's run is untouched.
    assert!(!dir.path().join("runpacks/export-2").exists());
    assert_eq!(client.call("scenario_status", status(1)).await.unwrap()["status"], "active");
    // Tenant 2 may define its own scenario with the same id (a separate key).
    let own = client.call("scenario_define", json!({"spec": example_spec(scenario), "tenant_id": 2})).await.unwrap();
    assert_eq!(own["spec_hash"], defined["spec_hash"]);
    assert_eq!(client.call("scenarios_list", list(2)).await.unwrap()["items"].as_array().unwrap().len(), 1);
    client.close().await;
}

// ---------------------------------------------------------------------------------------------
// Exposure policy
// ---------------------------------------------------------------------------------------------

/// Runs `serve` to completion (it must refuse to start); returns the exit code and stderr.
async fn refused_serve(dir: &Path, config: &Path, flag: bool, env: Option<&str>) -> (Option<i32>, String) {
    let mut command = tokio::process::Command::new(system_tests::binary());
    command.arg("serve").arg("--config").arg(config).current_dir(dir).kill_on_drop(true);
    command.stdin(std::process::Stdio::null());
    if flag {
        command.arg("--allow-non-loopback");
    }
    match env {
        Some(value) => command.env("DECISION_GATE_ALLOW_NON_LOOPBACK", value),
        None => command.env_remove("DECISION_GATE_ALLOW_NON_LOOPBACK"),
    };
    let output = tokio::time::timeout(IO_TIMEOUT, command.output())
        .await
        .expect("serve must exit instead of listening")
        .expect("run decision-gate");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("listening on"), "{stderr}");
    assert_eq!(output.stdout, b"");
    (output.status.code(), stderr)
}

fn public_config(dir: &TestDir, auth: &str) -> PathBuf {
    let config = config_with(dir, "http", "", auth);
    edit_config(&config, "bind = \"127.0.0.1:0\"", "bind = \"0.0.0.0:0\"");
    config
}

#[tokio::test(flavor = "multi_thread")]
async fn exposure_policy_refuses_public_binds() {
    let dir = TestDir::new();
    let bearer = public_config(&dir, "[server.auth]\nmode = \"bearer_token\"\nbearer_tokens = [\"exposure-token\"]\n");
    let opt_in = "decision-gate: refusing to bind non-loopback address 0.0.0.0:0: pass --allow-non-loopback or set \
                  DECISION_GATE_ALLOW_NON_LOOPBACK=1\n";
    assert_eq!(refused_serve(dir.path(), &bearer, false, None).await, (Some(1), opt_in.to_owned()));
    assert_eq!(refused_serve(dir.path(), &bearer, false, Some("off")).await, (Some(1), opt_in.to_owned()));
    assert_eq!(
        refused_serve(dir.path(), &bearer, false, Some("maybe")).await,
        (Some(1), "decision-gate: DECISION_GATE_ALLOW_NON_LOOPBACK must be a boolean, got \"maybe\"\n".to_owned())
    );
    // Opted in, but without TLS (neither in-process nor upstream termination).
    let no_tls = "decision-gate: refusing to bind non-loopback address 0.0.0.0:0 without [server.tls] or \
                  tls_termination = \"upstream\"\n";
    assert_eq!(refused_serve(dir.path(), &bearer, true, None).await, (Some(1), no_tls.to_owned()));
    assert_eq!(refused_serve(dir.path(), &bearer, false, Some("yes")).await, (Some(1), no_tls.to_owned()));

    // local_only can never be exposed, even with the flag.
    let local_dir = TestDir::new();
    let local = public_config(&local_dir, "");
    let (code, stderr) = refused_serve(local_dir.path(), &local, true, None).await;
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        "decision-gate: invalid config: server.bind 0.0.0.0:0 is not a loopback address; a non-loopback bind \
         requires server.auth.mode bearer_token or mtls (local_only accepts loopback callers only)\n"
    );
}
