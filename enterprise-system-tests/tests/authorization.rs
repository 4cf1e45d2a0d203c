// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Authorization beyond identity: a suspended or deleted tenant, an archived namespace, a
//! client IP outside the tenant's allowlist, and a role without the tool's permission (403
//! `insufficient_scope` naming every scope the call needs); `tools/list` shows each role
//! exactly its tools. Clients see generic errors; the audit log has the reasons.

use enterprise_system_tests::world::spec;
use enterprise_system_tests::{Caller, Enterprise, structured, tool_error};
use serde_json::{Value, json};
use system_tests::TestDir;

fn caller(server: &Enterprise, token: &str) -> Caller {
    Caller { http: server.http(None), authorization: Some(format!("Bearer {token}")) }
}

const UNAUTHORIZED: (i64, &str) = (-32003, "unauthorized");

fn refused(answer: &system_tests::raw::RawResponse) -> (i64, String) {
    tool_error(answer).unwrap_or_else(|| panic!("expected a refusal: {}", answer.text()))
}

fn denial_reasons(server: &Enterprise) -> Vec<String> {
    server
        .audit()
        .into_iter()
        .filter(|record| record["event"] == "tenant_authz" && record["allowed"] == false)
        .filter_map(|record| record["reason"].as_str().map(str::to_owned))
        .collect()
}

fn define(scenario: &str, namespace: u64) -> Value {
    let mut spec = spec(scenario);
    spec["namespace_id"] = json!(namespace);
    json!({"spec": spec})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_without_the_permission_gets_403_insufficient_scope_and_sees_only_its_tools() {
    let dir = TestDir::new();
    let server = Enterprise::start(&dir, None).unwrap();
    let owner = server.owner();
    let agent = caller(&server, &owner.key(1, &["agent"]).await);
    let viewer = caller(&server, &owner.key(1, &["viewer"]).await);
    let editor = caller(&server, &owner.key(1, &["editor"]).await);
    assert_eq!(
        agent.tool_names().await,
        ["scenario_status", "scenario_next", "scenario_submit", "evidence_query", "precheck"]
    );
    assert_eq!(
        viewer.tool_names().await,
        [
            "scenario_status",
            "runpack_verify",
            "providers_list",
            "provider_contract_get",
            "provider_check_schema_get",
            "schemas_list",
            "schemas_get",
            "scenarios_list"
        ]
    );
    assert_eq!(editor.tool_names().await.len(), 17);

    let answer = agent.call(3, "scenario_define", define("s", 1)).await;
    assert_eq!(answer.status, 403);
    let expected = format!(
        r#"Bearer realm="decision-gate", error="insufficient_scope", scope="dg:scenario.define", resource_metadata="{}/.well-known/oauth-protected-resource/mcp""#,
        server.server.base
    );
    assert_eq!(answer.header("www-authenticate").as_deref(), Some(expected.as_str()));
    assert_eq!(refused(&answer), (UNAUTHORIZED.0, UNAUTHORIZED.1.to_owned()));
    let listing = viewer
        .call(
            4,
            "scenario_start",
            json!({"scenario_id": "s", "run_config": {"run_id": "r", "dispatch_targets": []},
        "started_at": {"kind": "logical", "value": 0}, "issue_entry_packets": false}),
        )
        .await;
    assert_eq!(listing.status, 403);
    assert!(listing.header("www-authenticate").unwrap().contains(r#"scope="dg:scenario.start""#));
    // The refused definition did not happen.
    assert_eq!(structured(&editor.call(5, "scenarios_list", json!({})).await)["items"], json!([]));
    assert!(denial_reasons(&server).contains(&"no role of the principal grants scenario.define here".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suspended_or_deleted_tenant_is_refused_and_admins_can_still_read_it() {
    let dir = TestDir::new();
    let server = Enterprise::start(&dir, None).unwrap();
    let owner = server.owner();
    let beta = owner.tenant("beta").await;
    let editor = caller(&server, &owner.key(beta, &["editor"]).await);
    structured(&editor.call(1, "scenario_define", define("s", 1)).await);
    let (status, suspended) = owner.call("POST", &format!("/admin/v1/tenants/{beta}/suspend"), None).await;
    assert_eq!((status, &suspended["status"]), (200, &json!("suspended")));
    for (tool, arguments) in
        [("scenarios_list", json!({})), ("scenario_define", define("t", 1)), ("providers_list", json!({}))]
    {
        let answer = editor.call(2, tool, arguments).await;
        assert_eq!((answer.status, refused(&answer)), (200, (UNAUTHORIZED.0, UNAUTHORIZED.1.to_owned())), "{tool}");
    }
    let (status, read) = owner.call("GET", &format!("/admin/v1/tenants/{beta}"), None).await;
    assert_eq!((status, &read["status"]), (200, &json!("suspended")), "admins still read it");
    let (status, _) = owner.call("GET", &format!("/admin/v1/tenants/{beta}/keys"), None).await;
    assert_eq!(status, 200);
    let (status, _) = owner.call("POST", &format!("/admin/v1/tenants/{beta}/resume"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        structured(&editor.call(3, "scenarios_list", json!({})).await)["items"][0]["scenario_id"],
        "s",
        "data kept"
    );
    let (status, deleted) = owner.call("DELETE", &format!("/admin/v1/tenants/{beta}"), None).await;
    assert_eq!((status, &deleted["status"]), (200, &json!("deleted")));
    // A credential bound only to a deleted tenant is dead: 401, like an unknown key.
    let dead = editor.call(4, "scenarios_list", json!({})).await;
    assert_eq!((dead.status, refused(&dead).0), (401, -32001));
    // A deleted tenant is gone from the admin API; for the operator it is terminal.
    let (status, gone) = owner.call("GET", &format!("/admin/v1/tenants/{beta}"), None).await;
    assert_eq!((status, &gone["error"]["code"]), (404, &json!("not_found")));
    let resumed = server.operator(&["tenants", "resume", &beta.to_string()]);
    assert_eq!(
        (resumed.code, resumed.stderr.trim()),
        (1, format!("decision-gate-enterprise: conflict: tenant {beta} is deleted").as_str())
    );
    let reasons = denial_reasons(&server);
    assert_eq!(reasons.iter().filter(|reason| **reason == format!("tenant {beta} is suspended")).count(), 3);
    let key_id = editor.authorization.as_deref().and_then(|bearer| bearer.split('_').nth(1)).unwrap().to_owned();
    let dead_reason = format!("unauthenticated: api key {key_id} is bound only to deleted tenants");
    assert!(server.audit().iter().any(|record| record["event"] == "mcp_tool_authz" && record["reason"] == dead_reason));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_archived_namespace_is_read_only_and_an_unknown_one_is_refused() {
    let dir = TestDir::new();
    let server = Enterprise::start(&dir, None).unwrap();
    let owner = server.owner();
    let (status, namespace) =
        owner.call("POST", "/admin/v1/tenants/1/namespaces", Some(json!({"name": "staging"}))).await;
    assert_eq!((status, &namespace["namespace_id"]), (201, &json!(2)));
    let editor = caller(&server, &owner.key(1, &["editor"]).await);
    structured(&editor.call(1, "scenario_define", define("s", 2)).await);
    let (status, _) = owner.call("POST", "/admin/v1/tenants/1/namespaces/2/archive", None).await;
    assert_eq!(status, 200);
    let write = editor.call(2, "scenario_define", define("t", 2)).await;
    assert_eq!(refused(&write), (UNAUTHORIZED.0, UNAUTHORIZED.1.to_owned()));
    let read = structured(&editor.call(3, "scenarios_list", json!({"tenant_id": 1, "namespace_id": 2})).await);
    assert_eq!(read["items"].as_array().unwrap().len(), 1, "reads of an archived namespace");
    let unknown = editor.call(4, "scenarios_list", json!({"tenant_id": 1, "namespace_id": 9})).await;
    assert_eq!(refused(&unknown).0, UNAUTHORIZED.0);
    let (status, _) = owner.call("POST", "/admin/v1/tenants/1/namespaces/2/activate", None).await;
    assert_eq!(status, 200);
    structured(&editor.call(5, "scenario_define", define("t", 2)).await);
    let reasons = denial_reasons(&server);
    assert!(reasons.contains(&"namespace 2 is archived (read-only)".to_owned()), "{reasons:?}");
    assert!(reasons.contains(&"namespace 9 of tenant 1 is unknown".to_owned()), "{reasons:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_outside_the_tenants_allowlist_is_refused() {
    let dir = TestDir::new();
    // No credential cache: the operator's command-line changes show at once.
    let server = Enterprise::start(&dir, Some("[enterprise]\ncredential_cache_ttl_ms = 0\n")).unwrap();
    let owner = server.owner();
    let editor = caller(&server, &owner.key(1, &["editor"]).await);
    structured(&editor.call(1, "scenarios_list", json!({})).await);
    let (status, set) = owner
        .call("PUT", "/admin/v1/tenants/1/allowlist", Some(json!({"networks": ["10.0.0.0/8", "192.0.2.7"]})))
        .await;
    assert_eq!((status, set), (200, json!({"networks": ["10.0.0.0/8", "192.0.2.7/32"]})));
    let answer = editor.call(2, "scenarios_list", json!({})).await;
    assert_eq!((answer.status, refused(&answer)), (200, (UNAUTHORIZED.0, UNAUTHORIZED.1.to_owned())));
    assert!(denial_reasons(&server).contains(&"client ip 127.0.0.1 is outside the tenant's allowlist".to_owned()));
    // The fence holds for the admin API too, the owner's key included: only the operator, at
    // the command line, lifts it.
    let (status, _) =
        owner.call("PUT", "/admin/v1/tenants/1/allowlist", Some(json!({"networks": ["127.0.0.0/8"]}))).await;
    assert_eq!(status, 404);
    server.operator(&["allowlist", "set", "1", "127.0.0.0/8"]).ok();
    structured(&editor.call(3, "scenarios_list", json!({})).await);
    let (status, invalid) =
        owner.call("PUT", "/admin/v1/tenants/1/allowlist", Some(json!({"networks": ["not-a-net"]}))).await;
    assert_eq!((status, &invalid["error"]["code"]), (400, &json!("invalid_request")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_multi_tenant_key_names_its_tenant_and_every_use_is_audited_as_such() {
    let dir = TestDir::new();
    let server = Enterprise::start(&dir, None).unwrap();
    let owner = server.owner();
    let beta = owner.tenant("beta").await;
    let gamma = owner.tenant("gamma").await;
    let token = owner.key_with(1, json!({"name": "multi", "roles": ["viewer"], "tenants": [1, beta]})).await;
    let multi = caller(&server, &token);
    let missing = multi.call(1, "scenarios_list", json!({})).await;
    assert_eq!(refused(&missing), (-32602, "tenant_id is required".to_owned()), "never a silent default");
    for tenant in [1, beta] {
        structured(&multi.call(2, "scenarios_list", json!({"tenant_id": tenant, "namespace_id": 1})).await);
    }
    assert_eq!(
        refused(&multi.call(3, "scenarios_list", json!({"tenant_id": gamma, "namespace_id": 1})).await).0,
        -32003
    );
    let multi_uses = server
        .audit()
        .into_iter()
        .filter(|record| {
            record["event"] == "tenant_authz"
                && record["reason"] == "allowed by scenarios.list (multi-tenant credential)"
        })
        .count();
    assert_eq!(multi_uses, 2);
}
