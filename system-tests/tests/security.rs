//! Authentication, transport identity and isolation through the real `decision-gate` binary
//! (mcp-surface §5, §6, §9.3, §12.2; testing §4.6): bearer tokens and their challenges, mTLS
//! identity from verified certificates (CN and SAN) and the untrusted subject header,
//! `local_only` versus trusted proxies, tenant isolation and the exposure policy.
//!
//! One file per group of tests under `security/`; the challenges and assertions they share live
//! here.

#[path = "security/bearer.rs"]
mod bearer;
#[path = "security/isolation.rs"]
mod isolation;
#[path = "security/mtls.rs"]
mod mtls;

use serde_json::{Value, json};
use system_tests::TestDir;
use system_tests::raw::{RawResponse, error_envelope};

const CHALLENGE: &str = r#"Bearer realm="decision-gate""#;

fn tools_list(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"})
}

fn unauthenticated() -> Value {
    error_envelope(Value::Null, -32001, "unauthenticated", "unauthenticated", false)
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
