//! Tests of configuration loading, validation and the zero-configuration profile: one file per
//! group of sections (mirroring `config::validate`), plus parsing and loading; shared fixtures
//! and helpers live here.

mod loading;
mod parsing;
mod policy;
mod providers;
mod server;
mod storage;

use std::sync::Mutex;

use super::{ConfigError, DecisionGateConfig, parse_config};

/// Serialises tests that read process-wide state (environment variables, current directory).
static PROCESS_ENV: Mutex<()> = Mutex::new(());

fn env_lock() -> std::sync::MutexGuard<'static, ()> {
    PROCESS_ENV.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A configuration exercising every section and most keys; valid.
const FULL_EXAMPLE: &str = r#"
[server]
transport = "http"
mode = "strict"
tls_termination = "upstream"
bind = "0.0.0.0:8443"
max_body_bytes = 2097152
stdio_framing = "content_length"

[server.limits]
max_inflight = 64

[server.limits.rate_limit]
max_requests = 500
window_ms = 2000
max_entries = 1024

[server.limits.rate_limit.per_ip]
max_requests = 50
window_ms = 1000
max_entries = 65536

[server.http]
allowed_origins = ["https://console.example.com", "http://localhost:3000", "https://[::1]:8443"]

[server.sessions]
idle_timeout_ms = 60000
shared_secret_path = "/etc/decision-gate/session.key"

[server.metrics]
enabled = false

[server.tls]
cert_path = "/etc/decision-gate/tls/cert.pem"
key_path = "/etc/decision-gate/tls/key.pem"
client_ca_path = "/etc/decision-gate/tls/ca.pem"
require_client_cert = false

[server.audit]
enabled = true
path = "/var/log/decision-gate/audit.jsonl"
log_precheck_payloads = true
required = true

[server.feedback.scenario_next]
default = "trace"
local_only_default = "evidence"
max = "evidence"
trace_subjects = ["loopback"]
trace_roles = ["Auditor"]
evidence_subjects = ["token:abc"]
evidence_roles = ["TenantAdmin"]

[server.tools]
mode = "passthrough"
allowlist = ["scenario_define", "scenario_start", "precheck"]
denylist = ["runpack_export"]

[server.auth]
mode = "mtls"
bearer_tokens = ["token-one", "token-two"]
mtls_subjects = ["CN=agent", "spiffe://example/agent"]
mtls_identity = "san"
trusted_proxies = ["10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"]
allowed_tools = ["scenario_define", "scenario_status"]

[[server.auth.principals]]
subject = "spiffe://example/agent"
policy_class = "scratch"
roles = [{ name = "TenantAdmin", tenant_id = 1 }, { name = "NamespaceReader", tenant_id = 2, namespace_id = 7 }]

[[server.auth.principals]]
subject = "loopback"

[namespace]
allow_default = true
default_tenants = [1, 2]

[namespace.authority]
mode = "assetcore_http"

[namespace.authority.assetcore]
base_url = "https://catalog.example.com/"
auth_token = "catalog-token"
connect_timeout_ms = 100
request_timeout_ms = 30000

[dev]
permissive = false
permissive_scope = "asserted_evidence_only"
permissive_ttl_days = 7
permissive_warn = false
permissive_exempt_providers = ["assetcore"]

[trust]
default_policy = { require_signature = { keys = ["/etc/decision-gate/keys/a.pub", { key_id = "k2", path = "/etc/decision-gate/keys/b.pub" }] } }
min_lane = "asserted"

[evidence]
allow_raw_values = true
require_provider_opt_in = false

[[anchors.providers]]
provider_id = "assetcore_read"
anchor_type = "assetcore.anchor_set"
required_fields = ["assetcore.namespace_id", "assetcore.commit_id"]

[provider_discovery]
allowlist = ["time", "json"]
denylist = ["ext"]
max_response_bytes = 4096

[validation]
strict = false
profile = "strict_core_v1"
allow_permissive = true
enable_lexicographic = true
enable_deep_equals = true

[policy]
engine = "static"

[policy.static]
default = "permit"

[[policy.static.rules]]
effect = "deny"
target_kinds = ["external"]
targets = [{ target_kind = "external", system = "slack" }]
require_labels = ["internal"]

[[policy.static.rules]]
effect = "error"
error_message = "no"
scenario_ids = ["s1"]

[run_state_store]
type = "sqlite"
path = "/var/lib/decision-gate/state.db"
busy_timeout_ms = 1000
journal_mode = "delete"
sync_mode = "normal"
max_versions = 10

[schema_registry]
type = "sqlite"
path = "/var/lib/decision-gate/registry.db"
busy_timeout_ms = 2000
journal_mode = "wal"
sync_mode = "full"
max_schema_bytes = 10485760
max_entries = 100

[schema_registry.acl]
mode = "custom"
default = "allow"
allow_local_only = true
require_signing = true

[[schema_registry.acl.rules]]
effect = "deny"
actions = ["register"]
tenants = [1]
namespaces = [2]
subjects = ["loopback"]
roles = ["NamespaceReader"]
policy_classes = ["prod"]

[runpack]
root_dir = "/var/lib/decision-gate/runpacks"

[runpack.signing]
key_id = "runpack-key-2025"
private_key_path = "/etc/decision-gate/keys/runpack.seed"

[runpack.verify]
trusted_keys = [{ key_id = "runpack-key-2025", public_key_path = "/etc/decision-gate/keys/runpack.pub" }]
require_signature = true
allow_legacy_v1 = false

[runpack_storage]
type = "object_store"
provider = "s3"
bucket = "runpacks"
region = "eu-west-1"
endpoint = "http://minio:9000"
prefix = "dg/prod/"
force_path_style = true
allow_http = true

[[providers]]
name = "time"
type = "builtin"
trust = "audit"
config = { allow_logical = false }

[[providers]]
name = "json"
type = "builtin"
allow_raw = true
config = { root = "./evidence", root_id = "evidence-root", max_bytes = 1048576, allow_yaml = true }

[[providers]]
name = "ext"
type = "mcp"
command = ["/usr/bin/provider", "--flag"]
capabilities_path = "/etc/decision-gate/contracts/ext.json"
framing = "content_length"
trust = { require_signature = { keys = [{ key_id = "ext", path = "/etc/decision-gate/keys/ext.pub" }] } }
timeouts = { connect_timeout_ms = 100, request_timeout_ms = 500 }

[[providers]]
name = "remote"
type = "mcp"
url = "http://provider.internal:8080/mcp"
allow_insecure_http = true
capabilities_path = "/etc/decision-gate/contracts/remote.json"
auth = { bearer_token = "provider-token" }
timeouts = { connect_timeout_ms = 10000, request_timeout_ms = 30000 }
"#;

fn parse_ok(text: &str) -> DecisionGateConfig {
    match parse_config(text) {
        Ok(config) => config,
        Err(err) => panic!("expected a valid config, got: {err}\n{text}"),
    }
}

/// Asserts that `text` is refused as `invalid config` with a reason containing every fragment.
#[track_caller]
fn reject(text: &str, fragments: &[&str]) -> String {
    match parse_config(text) {
        Ok(_) => panic!("expected invalid config for:\n{text}"),
        Err(err @ ConfigError::Invalid(_)) => {
            let message = err.to_string();
            assert!(message.starts_with("invalid config: "), "{message}");
            for fragment in fragments {
                assert!(message.contains(fragment), "`{message}` should contain `{fragment}`");
            }
            message
        }
        Err(err) => panic!("expected invalid config, got {err}"),
    }
}

/// A minimal HTTP server section to which other keys are appended.
fn http(extra: &str) -> String {
    format!("[server]\ntransport = \"http\"\nbind = \"127.0.0.1:8080\"\n{extra}")
}
