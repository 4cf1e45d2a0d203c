//! Principal bindings limit what a credential reaches, in the default tenant resolver too: a
//! token bound to tenant 1 is denied on tenant 2 although the server serves both, provider
//! discovery is scoped to a served tenant like every other tool, and every denial is audited.

use std::collections::HashMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use system_tests::raw::edit_config;
use system_tests::{CallError, Era, HttpServer, McpClient, TestDir, example_spec};

const BOUND: &str = "tok-bound-to-one-6f2c1a";
const UNBOUND: &str = "tok-unbound-93be04d7aa";

fn unauthorized() -> CallError {
    CallError::Tool { code: -32003, kind: "unauthorized".into(), message: "unauthorized".into(), retryable: false }
}

async fn client_with(server: &HttpServer, token: &str) -> McpClient {
    let headers: HashMap<String, String> = [("authorization".to_owned(), format!("Bearer {token}"))].into();
    McpClient::http_with_headers(&server.mcp_url(), Era::Stateless, headers).await.unwrap()
}

fn list(tenant: u64) -> Value {
    json!({"tenant_id": tenant, "namespace_id": 1})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_bound_to_tenant_1_is_denied_on_tenant_2_of_the_same_server() {
    let dir = TestDir::new();
    let bound_id = format!("token:{}", hex::encode(Sha256::digest(BOUND.as_bytes())));
    let extra = format!(
        "[server.auth]\nmode = \"bearer_token\"\nbearer_tokens = [\"{BOUND}\", \"{UNBOUND}\"]\n\n\
         [[server.auth.principals]]\nsubject = \"{bound_id}\"\nroles = [{{ name = \"TenantAdmin\", tenant_id = 1 }}]\n\n\
         [tenancy]\ntenants = [1, 2]\n"
    );
    let config = dir.config("http", &extra);
    edit_config(&config, "default_tenants = [1]", "default_tenants = [1, 2]");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let bound = client_with(&server, BOUND).await;
    let unbound = client_with(&server, UNBOUND).await;

    // The unbound token reaches both served tenants; the bound one only tenant 1.
    for tenant in [1, 2] {
        assert_eq!(unbound.call("scenarios_list", list(tenant)).await.unwrap()["items"], json!([]));
    }
    assert_eq!(bound.call("scenarios_list", list(1)).await.unwrap()["items"], json!([]));
    assert_eq!(bound.call("scenarios_list", list(2)).await, Err(unauthorized()));
    let define = |tenant: u64| json!({"spec": example_spec("ci-release-gate"), "tenant_id": tenant});
    assert_eq!(bound.call("scenario_define", define(2)).await, Err(unauthorized()));
    assert_eq!(unbound.call("scenarios_list", list(2)).await.unwrap()["items"], json!([]), "nothing was defined");
    // Omitted tenant: the bound token's single tenant; never a silent switch.
    let defined = bound.call("scenario_define", json!({"spec": example_spec("ci-release-gate")})).await.unwrap();
    assert_eq!(defined["scenario_id"], "ci-release-gate");
    assert_eq!(unbound.call("scenarios_list", list(1)).await.unwrap()["items"].as_array().unwrap().len(), 1);

    // Provider discovery passes the resolver: the bound tenant by default, an unserved tenant
    // (or another tenant) is refused.
    assert_eq!(bound.call("providers_list", json!({})).await.unwrap()["providers"].as_array().unwrap().len(), 4);
    assert_eq!(bound.call("providers_list", json!({"tenant_id": 2})).await, Err(unauthorized()));
    for (tool, arguments) in [
        ("providers_list", json!({"tenant_id": 3})),
        ("provider_contract_get", json!({"tenant_id": 3, "provider_id": "time"})),
        ("provider_check_schema_get", json!({"tenant_id": 3, "provider_id": "time", "check_id": "now"})),
    ] {
        assert_eq!(unbound.call(tool, arguments).await, Err(unauthorized()), "{tool} on an unserved tenant");
    }
    let missing = unbound.call("providers_list", json!({})).await.unwrap_err();
    assert_eq!((missing.code(), missing.message()), (-32602, "tenant_id is required"), "two tenants: name one");

    // Each denial is audited with its reason and the caller.
    let denials: Vec<(String, String, String)> = dir
        .audit_events()
        .into_iter()
        .filter(|event| event["event"] == "tenant_authz" && event["allowed"] == false)
        .map(|event| {
            let text = |key: &str| event[key].as_str().unwrap_or_default().to_owned();
            (text("tool"), text("principal_id"), text("reason"))
        })
        .collect();
    assert!(denials.contains(&(
        "scenarios_list".into(),
        bound_id.clone(),
        "principal is not bound to tenant 2 namespace 1".into()
    )));
    assert!(denials.contains(&(
        "providers_list".into(),
        bound_id.clone(),
        "principal is not bound to tenant 2".into()
    )));
    assert!(
        denials.iter().any(|(tool, _, reason)| tool == "provider_check_schema_get"
            && reason == "tenant 3 is not served by this server")
    );
    bound.close().await;
    unbound.close().await;
}
