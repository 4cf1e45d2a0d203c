// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Credentials: every bad one (missing, malformed, unknown key id, wrong secret, revoked,
//! expired, a rotated secret after its overlap, another scheme, a token in the query string)
//! is a 401 with the resource-metadata challenge, the same body for all, its own reason in the
//! audit log, and no secret in any log, audit record or answer. Rotation keeps the old secret
//! exactly for its overlap window; a revocation through the admin API takes effect at once.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use enterprise_system_tests::{Caller, Enterprise, PROTOCOL, structured};
use serde_json::{Value, json};
use system_tests::TestDir;
use system_tests::raw::RawResponse;

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

fn caller(server: &Enterprise, authorization: Option<String>) -> Caller {
    Caller { http: server.http(None), authorization }
}

fn bearer(token: &str) -> Option<String> {
    Some(format!("Bearer {token}"))
}

fn list() -> Value {
    json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "scenarios_list", "arguments": {}}})
}

fn secret_of(token: &str) -> &str {
    token.rsplit('_').next().unwrap()
}

fn key_id_of(token: &str) -> &str {
    token.split('_').nth(1).unwrap()
}

fn metadata_url(server: &Enterprise) -> String {
    format!("{}/.well-known/oauth-protected-resource/mcp", server.server.base)
}

fn assert_challenge(response: &RawResponse, server: &Enterprise, rejected: bool) {
    assert_eq!(response.status, 401, "{}", response.text());
    let error = if rejected { r#", error="invalid_token""# } else { "" };
    let expected = format!(r#"Bearer realm="decision-gate"{error}, resource_metadata="{}""#, metadata_url(server));
    assert_eq!(response.header("www-authenticate").as_deref(), Some(expected.as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_credential_is_a_401_that_tells_the_client_nothing() {
    let dir = TestDir::new();
    let server = Enterprise::start(&dir, None).unwrap();
    let owner = server.owner();
    let good = owner.key(1, &["editor"]).await;
    let revoked = owner.key(1, &["editor"]).await;
    let (status, _) =
        owner.call("POST", &format!("/admin/v1/tenants/1/keys/{}/revoke", key_id_of(&revoked)), None).await;
    assert_eq!(status, 200);
    let expiring =
        owner.key_with(1, json!({"name": "short", "roles": ["editor"], "expires_at_ms": now_ms() + 1000})).await;
    let rotating = owner.key(1, &["editor"]).await;
    let path = format!("/admin/v1/tenants/1/keys/{}/rotate", key_id_of(&rotating));
    let (status, rotated) = owner.call("POST", &path, Some(json!({"overlap_seconds": 1}))).await;
    assert_eq!(status, 200, "{rotated}");
    let successor = rotated["token"].as_str().unwrap().to_owned();
    // Inside the overlap both secrets work.
    for token in [&rotating, &successor, &expiring] {
        structured(&caller(&server, bearer(token)).send(&list()).await);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let unknown = format!("dgk_{}_{}", "0".repeat(16), "1".repeat(64));
    let wrong = format!("dgk_{}_{}", key_id_of(&good), "2".repeat(64));
    let cases: Vec<(Option<String>, bool, String)> = vec![
        (None, false, "missing authorization".into()),
        (bearer("dgk_short_x"), true, "malformed api key".into()),
        (bearer(&unknown), true, format!("unknown api key id {}", "0".repeat(16))),
        (bearer(&wrong), true, format!("wrong secret for api key {}", key_id_of(&good))),
        (bearer(&revoked), true, format!("api key {} is revoked", key_id_of(&revoked))),
        (bearer(&expiring), true, format!("api key {} is expired", key_id_of(&expiring))),
        (
            bearer(&rotating),
            true,
            format!("api key {} presented its pre-rotation secret after the overlap window", key_id_of(&rotating)),
        ),
        (Some(format!("Basic {good}")), true, "authorization scheme is not Bearer".into()),
        (bearer("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."), true, "bearer token is not an api key".into()),
    ];
    let mut bodies = Vec::new();
    for (authorization, rejected, _) in &cases {
        let answer = caller(&server, authorization.clone()).send(&list()).await;
        assert_challenge(&answer, &server, *rejected);
        bodies.push(answer.body);
    }
    assert!(bodies.windows(2).all(|pair| pair[0] == pair[1]), "one body for every failure");
    assert_eq!(
        serde_json::from_slice::<Value>(&bodies[0]).unwrap()["error"],
        json!({"code": -32001, "message": "unauthenticated", "data": {"kind": "unauthenticated", "retryable": false, "request_id": null}})
    );
    // A token in the query string is not a credential.
    let in_query = server
        .http(None)
        .post(
            &format!("/mcp?access_token={good}"),
            &[
                ("accept", "application/json, text/event-stream"),
                ("content-type", "application/json"),
                ("mcp-protocol-version", PROTOCOL),
            ],
            serde_json::to_vec(&list()).unwrap(),
        )
        .await;
    assert_challenge(&in_query, &server, false);
    // The good key and the successor still work.
    structured(&caller(&server, bearer(&good)).send(&list()).await);
    structured(&caller(&server, bearer(&successor)).send(&list()).await);

    // Each refusal is audited with its own reason.
    let reasons: Vec<String> = server
        .audit()
        .into_iter()
        .filter(|record| record["event"] == "mcp_tool_authz" && record["decision"] == "deny")
        .filter_map(|record| record["reason"].as_str().map(str::to_owned))
        .collect();
    for (_, _, reason) in &cases {
        let expected = format!("unauthenticated: {reason}");
        assert!(reasons.contains(&expected), "{expected} in {reasons:?}");
    }
    assert_eq!(reasons.iter().filter(|reason| **reason == "unauthenticated: missing authorization").count(), 2);

    // No secret anywhere: not in the audit log, not on stderr.
    let logs = format!("{}\n{}", server.audit_text(), server.server.stderr());
    for token in [&good, &revoked, &expiring, &rotating, &successor] {
        assert!(!logs.contains(secret_of(token)), "secret of {} leaked", key_id_of(token));
    }
    assert!(!logs.contains(&"2".repeat(64)), "a presented wrong secret is not logged either");
    assert!(logs.contains(key_id_of(&good)), "key ids are");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revocation_takes_effect_at_once_and_the_admin_api_challenges_too() {
    let dir = TestDir::new();
    let server = Enterprise::start(&dir, None).unwrap();
    let owner = server.owner();
    let token = owner.key(1, &["editor"]).await;
    let agent = caller(&server, bearer(&token));
    structured(&agent.send(&list()).await);
    let (status, revoked) =
        owner.call("POST", &format!("/admin/v1/tenants/1/keys/{}/revoke", key_id_of(&token)), None).await;
    assert_eq!((status, revoked["revoked_at_ms"].is_u64()), (200, true), "{revoked}");
    assert_challenge(&agent.send(&list()).await, &server, true);
    // The admin API answers missing or bad credentials the same way.
    let anonymous = server.http(None).get("/admin/v1/tenants").await;
    assert_challenge(&anonymous, &server, false);
    let (status, body) = server.admin(&token).call("GET", "/admin/v1/tenants", None).await;
    assert_eq!((status, body), (401, json!({"error": {"code": "unauthenticated", "message": "unauthenticated"}})));
    let rejected = server.admin(&token).raw("GET", "/admin/v1/tenants", None).await;
    assert_challenge(&rejected, &server, true);
    // A page of another origin cannot drive the admin API of a loopback server (audited).
    let owner_key = format!("Bearer {}", server.owner_key);
    let hostile = server
        .http(None)
        .send(
            reqwest::Method::GET,
            "/admin/v1/tenants",
            &[("authorization", &owner_key), ("origin", "https://evil.example")],
            None,
        )
        .await
        .unwrap();
    assert_eq!((hostile.status, hostile.json()["error"]["code"].clone()), (403, json!("forbidden")));
    // Both refusals come from the admission layer every route shares, audited as for `/mcp`.
    assert!(
        server
            .audit()
            .into_iter()
            .any(|record| record["event"] == "security_audit" && record["kind"] == "origin_rejected")
    );
    let audited = server.audit().into_iter().any(|record| {
        record["event"] == "mcp_tool_authz"
            && record["decision"] == "deny"
            && record["reason"] == format!("unauthenticated: api key {} is revoked", key_id_of(&token))
    });
    assert!(audited);
}
