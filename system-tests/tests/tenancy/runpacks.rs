//! Runpack storage is partitioned by tenant and namespace: each tenant writes and reads only
//! `<root>/<tenant>/<namespace>/…`, and neither "exists", "not found", "invalid" nor path errors
//! tell one tenant anything about another tenant's runpacks.

use serde_json::{Value, json};
use system_tests::raw::edit_config;
use system_tests::server::copy_example_evidence;
use system_tests::{CallError, Era, HttpServer, McpClient, TestDir, example_spec};

use super::logical;

fn start(tenant: u64) -> Value {
    json!({"scenario_id": "ci-release-gate", "run_config": {"tenant_id": tenant, "namespace_id": 1, "run_id": "run-1",
        "scenario_id": "ci-release-gate", "dispatch_targets": [], "policy_tags": []},
        "started_at": logical(0), "issue_entry_packets": false})
}

fn export(tenant: u64, output_dir: &str) -> Value {
    json!({"scenario_id": "ci-release-gate", "tenant_id": tenant, "namespace_id": 1, "run_id": "run-1",
           "output_dir": output_dir, "generated_at": logical(10), "include_verification": false})
}

fn verify(tenant: u64, runpack_dir: &str) -> Value {
    json!({"tenant_id": tenant, "namespace_id": 1, "runpack_dir": runpack_dir, "manifest_path": "manifest.json"})
}

fn invalid_manifest() -> CallError {
    CallError::Tool { code: -32040, kind: "runpack".into(), message: "invalid manifest".into(), retryable: false }
}

#[tokio::test(flavor = "multi_thread")]
async fn tenants_cannot_write_read_verify_or_probe_each_others_runpacks() {
    let dir = TestDir::new();
    copy_example_evidence("ci-release-gate", &dir);
    let config = dir.config("http", "[tenancy]\ntenants = [1, 2]\n");
    edit_config(&config, "default_tenants = [1]", "default_tenants = [1, 2]");
    let server = HttpServer::start(dir.path(), &config).unwrap();
    let client = McpClient::http(&server.mcp_url(), Era::Stateless).await.unwrap();
    for tenant in [1, 2] {
        let spec = json!({"spec": example_spec("ci-release-gate"), "tenant_id": tenant});
        client.call("scenario_define", spec).await.unwrap();
        client.call("scenario_start", start(tenant)).await.unwrap();
    }

    // Tenant 1 exports; tenant 2 exports to the same name: no "exists" oracle, two partitions.
    let first = client.call("runpack_export", export(1, "release")).await.unwrap();
    assert_eq!(first["manifest"]["tenant_id"], 1);
    client.call("runpack_export", export(2, "release")).await.unwrap();
    let root = dir.path().join("runpacks");
    for tenant in ["1", "2"] {
        assert!(root.join(tenant).join("1/release/manifest.json").is_file(), "tenant {tenant}'s own partition");
    }
    assert!(!root.join("release").exists(), "nothing outside the partitions");
    // Only tenant 1 has `only-one`: tenant 2 cannot tell it from a name that never existed.
    client.call("runpack_export", export(1, "only-one")).await.unwrap();
    assert_eq!(client.call("runpack_verify", verify(1, "only-one")).await.unwrap()["status"], "pass");
    let probe = client.call("runpack_verify", verify(2, "only-one")).await;
    assert_eq!(probe, Err(invalid_manifest()));
    assert_eq!(client.call("runpack_verify", verify(2, "never-existed")).await, probe);
    // Paths cannot leave the partition; the answer never depends on what exists outside it.
    let escape = CallError::Tool {
        code: -32602,
        kind: "invalid_params".into(),
        message: "artifact path escapes runpack root".into(),
        retryable: false,
    };
    for path in ["../../1/1/only-one", "../../1/1/never-existed", "x/../../../1/1/release"] {
        assert_eq!(client.call("runpack_verify", verify(2, path)).await, Err(escape.clone()), "{path}");
        assert_eq!(client.call("runpack_export", export(2, path)).await, Err(escape.clone()), "{path}");
    }
    let absolute = CallError::Tool {
        code: -32602,
        kind: "invalid_params".into(),
        message: "absolute artifact path not allowed".into(),
        retryable: false,
    };
    for path in [root.join("1/1/only-one"), root.join("1/1/never-existed"), root.join("2/2/release")] {
        let path = path.display().to_string();
        assert_eq!(client.call("runpack_verify", verify(2, &path)).await, Err(absolute.clone()), "{path}");
    }
    // An absolute path inside the caller's own partition is accepted.
    let own = root.join("2/1/release").display().to_string();
    assert_eq!(client.call("runpack_verify", verify(2, &own)).await.unwrap()["status"], "pass");
    // A link planted inside tenant 2's partition towards tenant 1's is refused.
    std::os::unix::fs::symlink(root.join("1/1/only-one"), root.join("2/1/link")).unwrap();
    let link = client.call("runpack_verify", verify(2, "link")).await.unwrap_err();
    assert_eq!((link.code(), link.message()), (-32602, "symlink not allowed in runpack path"));
    // A manifest of tenant 1 copied into tenant 2's partition is not tenant 2's runpack.
    copy_tree(&root.join("1/1/only-one"), &root.join("2/1/copied"));
    assert_eq!(client.call("runpack_verify", verify(2, "copied")).await, Err(invalid_manifest()));
    // Without tenant_id, on a server serving two tenants, the caller must name one.
    let unnamed =
        client.call("runpack_verify", json!({"runpack_dir": "release", "manifest_path": "manifest.json"})).await;
    assert_eq!(unnamed.unwrap_err().message(), "tenant_id is required");
    // No temporary export directory is left behind, and none is readable by others.
    let leftovers: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    client.close().await;
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
