//! The open core shared by tenants (enterprise §14, §15) through the real `decision-gate`
//! binary: a run belongs to its scenario, credentials reach only their bound tenants, runpack
//! storage is partitioned by tenant and namespace, the `http` provider refuses internal
//! addresses, loopback servers resist DNS rebinding, and 2025-03-26 clients are served.
//!
//! One file per group of tests under `tenancy/`; the helpers they share live here.

#[path = "tenancy/bindings.rs"]
mod bindings;
#[path = "tenancy/ownership.rs"]
mod ownership;
#[path = "tenancy/providers.rs"]
mod providers;
#[path = "tenancy/rebinding.rs"]
mod rebinding;
#[path = "tenancy/runpacks.rs"]
mod runpacks;

use serde_json::{Value, json};
use system_tests::raw::{RawHttp, RawResponse, stateless_meta};

fn logical(value: u64) -> Value {
    json!({"kind": "logical", "value": value})
}

/// A 2026-07-28 stateless `tools/call` over raw HTTP with the headers that revision requires.
async fn call_raw(http: &RawHttp, id: u64, tool: &str, arguments: Value, extra: &[(&str, &str)]) -> RawResponse {
    let message = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": tool, "arguments": arguments, "_meta": stateless_meta("2026-07-28")}});
    let mut headers = vec![("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", tool)];
    headers.extend_from_slice(extra);
    http.mcp(&message, &headers).await
}

/// The structured result of a raw call (the error envelope for `isError` results).
fn structured(response: &RawResponse) -> Value {
    let body = response.json();
    assert_eq!(response.status, 200, "{body}");
    body["result"]["structuredContent"].clone()
}
