//! Evidence providers fit for tenants: `http` refuses loopback, private, link-local and
//! metadata addresses (literal or behind a name), `json` can root each tenant and namespace in
//! its own directory, and `env` can be switched off for shared deployments.

use serde_json::{Value, json};
use system_tests::raw::edit_config;
use system_tests::{Era, HttpServer, McpClient, TestDir};

use super::logical;

fn context(tenant: u64) -> Value {
    json!({"tenant_id": tenant, "namespace_id": 1, "run_id": "r", "scenario_id": "s", "stage_id": "a",
           "trigger_id": "t", "trigger_time": logical(1)})
}

async fn query(client: &McpClient, tenant: u64, provider: &str, check: &str, params: Value) -> Value {
    let arguments =
        json!({"query": {"provider_id": provider, "check_id": check, "params": params}, "context": context(tenant)});
    client.call("evidence_query", arguments).await.unwrap()["result"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_http_provider_refuses_internal_addresses_and_names_that_resolve_to_them() {
    let dir = TestDir::new();
    let config = dir.config("http", "");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let client = McpClient::http(&server.mcp_url(), Era::Stateless).await.unwrap();
    let literal = "http url address is not allowed";
    let resolved = "http host resolves only to addresses the provider may not contact";
    // Loopback spellings only: a regressed guard would still keep the request on this machine
    // (private, link-local and metadata addresses are checked as a pure function in the
    // provider's unit tests).
    let cases = [
        (format!("https://127.0.0.1:{port}/healthz"), literal),
        (format!("https://127.1.2.3:{port}/healthz"), literal),
        (format!("https://0.0.0.0:{port}/healthz"), literal),
        (format!("https://[::1]:{port}/"), literal),
        (format!("https://[::ffff:127.0.0.1]:{port}/"), literal),
        // A real name that resolves to loopback (the server itself listens there).
        (format!("https://localhost:{port}/healthz"), resolved),
    ];
    for (url, message) in cases {
        let result = query(&client, 1, "http", "status", json!({"url": url})).await;
        assert_eq!(result["value"], Value::Null, "{url}");
        assert_eq!(result["error"]["code"], "provider_error", "{url}");
        assert_eq!(result["error"]["message"], format!("evidence provider error: {message}"), "{url}");
    }
    client.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn json_roots_per_tenant_and_env_switched_off() {
    let dir = TestDir::new();
    let config = dir.config("http", "[tenancy]\ntenants = [1, 2]\nallow_env_provider = false\n");
    edit_config(&config, "default_tenants = [1]", "default_tenants = [1, 2]");
    edit_config(&config, "allow_yaml = true }", "allow_yaml = true, tenant_roots = true }");
    // With env switched off, a configuration that lists it does not start.
    let refused = std::process::Command::new(system_tests::binary())
        .args(["config", "validate", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("tenancy.allow_env_provider = false"), "{stderr}");
    edit_config(&config, "[[providers]]\nname = \"env\"\ntype = \"builtin\"\n", "");
    for (tenant, value) in [(1, "one"), (2, "two")] {
        dir.write(&format!("evidence/{tenant}/1/report.json"), json!({"owner": value}).to_string());
    }
    dir.write("evidence/shared.json", json!({"owner": "everyone"}).to_string());
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let client = McpClient::http(&server.mcp_url(), Era::Stateless).await.unwrap();
    for (tenant, owner) in [(1, "one"), (2, "two")] {
        let result =
            query(&client, tenant, "json", "path", json!({"file": "report.json", "jsonpath": "$.owner"})).await;
        assert_eq!(result["error"], Value::Null, "{result}");
        assert_eq!(result["evidence_ref"]["uri"], "dg+file://evidence-root/report.json");
        // The value itself is redacted (raw disclosure is off), so compare the hash.
        assert_eq!(result["evidence_hash"], query_hash(owner));
    }
    // The shared root and the other tenant's directory are out of reach.
    let shared = query(&client, 1, "json", "path", json!({"file": "../../shared.json"})).await;
    assert_eq!(shared["error"]["code"], "path_outside_root");
    let other = query(&client, 1, "json", "path", json!({"file": "../../2/1/report.json"})).await;
    assert_eq!(other["error"]["code"], "path_outside_root");
    client.close().await;
}

/// The evidence hash of a JSON string value (canonical JSON is the quoted string).
fn query_hash(text: &str) -> Value {
    use sha2::Digest;
    json!({"algorithm": "sha256", "value": hex::encode(sha2::Sha256::digest(format!("\"{text}\"").as_bytes()))})
}
