//! Bearer tokens: challenges, principals, and tokens never leaking into logs or responses.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use system_tests::raw::{RawHttp, initialize};
use system_tests::{Era, HttpServer, McpClient, TestDir};

use super::{CHALLENGE, assert_rejected, authz_denials, tools_list, unauthenticated};

const INVALID_TOKEN_CHALLENGE: &str = r#"Bearer realm="decision-gate", error="invalid_token""#;

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

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
