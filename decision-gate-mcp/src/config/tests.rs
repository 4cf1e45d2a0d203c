//! Tests of configuration loading, validation and the zero-configuration profile.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::load::resolve_config_path_with;
use super::*;

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

// ---------------------------------------------------------------------------------------------
// Parsing, round trip, unknown keys

#[test]
fn full_example_parses_and_validates() {
    let config = parse_ok(FULL_EXAMPLE);
    assert_eq!(config.server.transport, TransportKind::Http);
    assert_eq!(config.server.tls_termination, TlsTermination::Upstream);
    assert_eq!(config.server.limits.rate_limit.as_ref().map(|r| r.bucket.max_requests), Some(500));
    assert_eq!(
        config.server.limits.rate_limit.as_ref().and_then(|r| r.per_ip.as_ref()).map(|b| b.max_entries),
        Some(65536)
    );
    assert_eq!(config.server.auth.principals[0].roles[1].namespace_id, Some(7));
    assert_eq!(config.namespace_authority_label(), "assetcore_catalog");
    assert_eq!(config.trust.min_lane, TrustLane::Asserted);
    assert!(matches!(
        &config.trust.default_policy,
        TrustPolicyConfig::RequireSignature { keys } if keys.len() == 2
            && matches!(&keys[1], SignatureKeyConfig::Named { key_id, .. } if key_id == "k2")
    ));
    assert_eq!(config.policy.static_policy.as_ref().map(|p| p.rules.len()), Some(2));
    assert_eq!(config.schema_registry.store.store_type, StoreType::Sqlite);
    assert_eq!(config.schema_registry.store.busy_timeout_ms, 2000);
    assert_eq!(config.schema_registry.acl.rules[0].actions, vec![RegistryAction::Register]);
    assert_eq!(
        config.runpack_storage.as_ref().map(RunpackStorageConfig::normalized_prefix),
        Some("dg/prod/".to_owned())
    );
    // Anchor fields come back trimmed, de-duplicated and sorted.
    assert_eq!(config.anchors.providers[0].required_fields, vec!["assetcore.commit_id", "assetcore.namespace_id"]);
    assert_eq!(config.providers.len(), 4);
    assert_eq!(config.providers[2].framing, StdioFraming::ContentLength);
    assert_eq!(config.provider_allow_raw().get("json"), Some(&true));
}

#[test]
fn full_example_round_trips_through_toml() {
    let config = parse_ok(FULL_EXAMPLE);
    let text = match toml::to_string(&config) {
        Ok(text) => text,
        Err(err) => panic!("serialise: {err}"),
    };
    let again = parse_ok(&text);
    assert_eq!(config, again, "round trip changed the configuration:\n{text}");
}

#[test]
fn defaults_round_trip_through_toml() {
    let config = DecisionGateConfig::default();
    validate_config(&config).expect("defaults are valid");
    let text = toml::to_string(&config).expect("serialise");
    assert_eq!(parse_ok(&text), config);
    assert_eq!(parse_ok(""), config);
}

#[test]
fn defaults_match_the_specification() {
    let config = parse_ok("");
    assert_eq!(config.server.transport, TransportKind::Stdio);
    assert_eq!(config.server.max_body_bytes, 1_048_576);
    assert_eq!(config.server.limits.max_inflight, 256);
    assert!(config.server.limits.rate_limit.is_none());
    assert_eq!(config.server.sessions.idle_timeout_ms, 1_800_000);
    assert_eq!(config.server.auth.mode, AuthMode::LocalOnly);
    assert_eq!(config.server.feedback.scenario_next.trace_subjects, vec!["loopback", "stdio"]);
    assert!(!config.namespace.allow_default);
    assert_eq!(config.dev.permissive_exempt_providers, vec!["assetcore_read", "assetcore"]);
    assert!(config.validation.strict);
    assert_eq!(config.run_state_store.store_type, StoreType::Memory);
    assert_eq!(config.schema_registry.max_schema_bytes, 1_048_576);
    assert!(config.runpack.verify.allow_legacy_v1);
    assert!(config.runpack_storage.is_none());
    assert!(config.providers.is_empty());
    let tls = parse_ok(
        "[server]\ntransport = \"http\"\nbind = \"127.0.0.1:1\"\n[server.tls]\ncert_path = \"c\"\nkey_path = \"k\"\n",
    );
    assert_eq!(tls.server.tls.map(|tls| tls.require_client_cert), Some(true));
    let rate = parse_ok("[server.limits.rate_limit]\n");
    let bucket = rate.server.limits.rate_limit.map(|r| r.bucket);
    assert_eq!(bucket, Some(RateLimitBucket { max_requests: 1000, window_ms: 1000, max_entries: 4096 }));
}

#[test]
fn unknown_keys_are_ignored() {
    let text = r#"
top_level_unknown = 1

[client.auth_profiles.ci]
bearer_token = "abc"
client_subject = "ci"

[docs]
enabled = true

[server]
unknown = "x"
bind = "127.0.0.1:1"

[server.auth]
future_option = [1, 2]

[[providers]]
name = "time"
type = "builtin"
something_new = true
"#;
    let config = parse_ok(text);
    assert_eq!(config.providers.len(), 1);
    assert_eq!(config.server.bind.as_deref(), Some("127.0.0.1:1"));
}

#[test]
fn bad_toml_and_bad_enums_are_parse_errors() {
    for text in ["[server", "[server]\ntransport = \"carrier-pigeon\"\n", "[policy.static]\ndefault = \"error\"\n"] {
        match parse_config(text) {
            Err(err @ ConfigError::Parse(_)) => assert!(err.to_string().starts_with("config parse error: ")),
            other => panic!("expected a parse error for {text:?}, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// [server]

#[test]
fn transport_and_bind_rules() {
    reject("[server]\ntransport = \"http\"\n", &["server.bind is required", "http"]);
    reject("[server]\ntransport = \"sse\"\nbind = \"  \"\n", &["server.bind is required", "sse"]);
    reject("[server]\ntransport = \"http\"\nbind = \"localhost:8080\"\n", &["server.bind must be a literal ip:port"]);
    reject("[server]\ntransport = \"http\"\nbind = \"127.0.0.1\"\n", &["server.bind"]);
    reject("[server]\ntransport = \"http\"\nbind = \"0.0.0.0:8080\"\n", &["server.bind", "server.auth.mode"]);
    reject("[server]\ntransport = \"http\"\nbind = \"[::]:8080\"\n", &["server.bind"]);
    parse_ok("[server]\ntransport = \"http\"\nbind = \"[::1]:8080\"\n");
    parse_ok("[server]\ntransport = \"sse\"\nbind = \"127.0.0.5:8080\"\n");
    parse_ok(
        "[server]\ntransport = \"http\"\nbind = \"0.0.0.0:8080\"\n[server.auth]\nmode = \"bearer_token\"\nbearer_tokens = [\"t\"]\n",
    );
    // stdio ignores bind.
    parse_ok("[server]\nbind = \"not an address\"\n");
}

#[test]
fn stdio_requires_local_only_and_no_tls() {
    reject("[server.auth]\nmode = \"bearer_token\"\nbearer_tokens = [\"t\"]\n", &["server.auth.mode", "stdio"]);
    reject("[server.tls]\ncert_path = \"c\"\nkey_path = \"k\"\n", &["server.tls", "stdio"]);
}

#[test]
fn server_limits() {
    reject("[server]\nmax_body_bytes = 0\n", &["server.max_body_bytes must be greater than 0"]);
    reject("[server.limits]\nmax_inflight = 0\n", &["server.limits.max_inflight must be greater than 0"]);
    reject("[server.sessions]\nidle_timeout_ms = 0\n", &["server.sessions.idle_timeout_ms must be greater than 0"]);
}

#[test]
fn rate_limit_ranges() {
    let cases = [
        ("max_requests = 0", "server.limits.rate_limit.max_requests"),
        ("max_requests = 100001", "server.limits.rate_limit.max_requests"),
        ("window_ms = 99", "server.limits.rate_limit.window_ms"),
        ("window_ms = 60001", "server.limits.rate_limit.window_ms"),
        ("max_entries = 0", "server.limits.rate_limit.max_entries"),
        ("max_entries = 65537", "server.limits.rate_limit.max_entries"),
    ];
    for (line, key) in cases {
        reject(&format!("[server.limits.rate_limit]\n{line}\n"), &[key]);
        reject(
            &format!("[server.limits.rate_limit]\n[server.limits.rate_limit.per_ip]\n{line}\n"),
            &[&key.replace("rate_limit.", "rate_limit.per_ip.")],
        );
    }
    parse_ok("[server.limits.rate_limit]\nmax_requests = 1\nwindow_ms = 100\nmax_entries = 1\n");
    parse_ok("[server.limits.rate_limit]\nmax_requests = 100000\nwindow_ms = 60000\nmax_entries = 65536\n");
}

#[test]
fn allowed_origins_format() {
    for origin in ["https://a.example", "http://localhost:3000", "https://[::1]:8443", "app+x://host.name"] {
        parse_ok(&format!("[server.http]\nallowed_origins = [\"{origin}\"]\n"));
    }
    for origin in [
        "a.example",
        "https://",
        "https://a.example/",
        "https://a.example/path",
        "https://user@a.example",
        "https://a.example:0",
        "https://a.example:99999",
        "https://a.example:",
        "https://A.example",
        "HTTPS://a.example",
        "null",
        "*",
        "https://a.example?x",
        "https://[::1",
        "https://[zz]:1",
    ] {
        reject(
            &format!("[server.http]\nallowed_origins = [\"ok://fine\", \"{origin}\"]\n"),
            &["server.http.allowed_origins[1]"],
        );
    }
}

#[test]
fn server_paths_are_checked() {
    let long = "a".repeat(256);
    let very_long = "a/".repeat(2100);
    reject("[server.audit]\npath = \"  \"\n", &["server.audit.path must not be empty"]);
    reject(&format!("[server.audit]\npath = \"/x/{long}\"\n"), &["server.audit.path", "component"]);
    reject(&format!("[server.audit]\npath = \"{very_long}\"\n"), &["server.audit.path is longer than 4096"]);
    reject("[server.sessions]\nshared_secret_path = \"\"\n", &["server.sessions.shared_secret_path"]);
    reject(&http("[server.tls]\ncert_path = \"\"\nkey_path = \"k\"\n"), &["server.tls.cert_path"]);
    reject(&http("[server.tls]\ncert_path = \"c\"\nkey_path = \" \"\n"), &["server.tls.key_path"]);
    reject(
        &http("[server.tls]\ncert_path = \"c\"\nkey_path = \"k\"\nclient_ca_path = \"\"\n"),
        &["server.tls.client_ca_path"],
    );
    parse_ok(&format!("[server.audit]\npath = \"/x/{}\"\n", "a".repeat(255)));
}

#[test]
fn feedback_levels_are_capped() {
    reject(
        "[server.feedback.scenario_next]\ndefault = \"evidence\"\n",
        &["server.feedback.scenario_next.default", "server.feedback.scenario_next.max"],
    );
    reject(
        "[server.feedback.scenario_next]\nlocal_only_default = \"trace\"\nmax = \"summary\"\n",
        &["server.feedback.scenario_next.local_only_default"],
    );
    parse_ok(
        "[server.feedback.scenario_next]\ndefault = \"evidence\"\nlocal_only_default = \"evidence\"\nmax = \"evidence\"\n",
    );
}

#[test]
fn tool_lists_need_known_names() {
    assert_eq!(KNOWN_TOOL_NAMES.len(), 17);
    let all = KNOWN_TOOL_NAMES.iter().map(|name| format!("\"{name}\"")).collect::<Vec<_>>().join(", ");
    parse_ok(&format!(
        "[server.tools]\nallowlist = [{all}]\ndenylist = [{all}]\n[server.auth]\nallowed_tools = [{all}]\n"
    ));
    for key in ["allowlist", "denylist"] {
        reject(
            &format!("[server.tools]\n{key} = [\"precheck\", \"decision_gate_docs_search\"]\n"),
            &[&format!("server.tools.{key}[1]")],
        );
        reject(&format!("[server.tools]\n{key} = [\" \"]\n"), &[&format!("server.tools.{key}[0] must not be blank")]);
    }
    reject("[server.auth]\nallowed_tools = [\"Precheck\"]\n", &["server.auth.allowed_tools[0]", "not a known tool"]);
    let many = ["\"precheck\""; 129].join(", ");
    reject(&format!("[server.tools]\nallowlist = [{many}]\n"), &["server.tools.allowlist has 129 entries"]);
    reject(&format!("[server.auth]\nallowed_tools = [{many}]\n"), &["server.auth.allowed_tools has 129 entries"]);
}

// ---------------------------------------------------------------------------------------------
// [server.auth]

fn bearer(tokens: &str) -> String {
    http(&format!("[server.auth]\nmode = \"bearer_token\"\nbearer_tokens = [{tokens}]\n"))
}

#[test]
fn bearer_token_rules() {
    reject(&bearer(""), &["server.auth.bearer_tokens must not be empty", "bearer_token"]);
    reject(&bearer("\"ok\", \"   \""), &["server.auth.bearer_tokens[1] must not be blank"]);
    let message = reject(&bearer("\" secret-value\""), &["server.auth.bearer_tokens[0]", "whitespace"]);
    assert!(!message.contains("secret-value"), "token leaked into the error: {message}");
    reject(&bearer(&format!("\"{}\"", "x".repeat(257))), &["server.auth.bearer_tokens[0] is longer than 256"]);
    parse_ok(&bearer(&format!("\"{}\"", "x".repeat(256))));
    let many = (0..65).map(|i| format!("\"t{i}\"")).collect::<Vec<_>>().join(", ");
    reject(&bearer(&many), &["server.auth.bearer_tokens has 65 entries"]);
    // Tokens are checked in every mode.
    reject("[server.auth]\nbearer_tokens = [\"\"]\n", &["server.auth.bearer_tokens[0]"]);
}

#[test]
fn mtls_rules() {
    let mtls = |extra: &str| http(&format!("[server.auth]\nmode = \"mtls\"\n{extra}"));
    reject(&mtls(""), &["server.auth.mode mtls requires server.tls.client_ca_path", "server.auth.trusted_proxies"]);
    parse_ok(&mtls("trusted_proxies = [\"10.1.2.3\"]\n"));
    parse_ok(&http(
        "[server.tls]\ncert_path = \"c\"\nkey_path = \"k\"\nclient_ca_path = \"ca\"\n[server.auth]\nmode = \"mtls\"\n",
    ));
    reject(
        &http("[server.tls]\ncert_path = \"c\"\nkey_path = \"k\"\n[server.auth]\nmode = \"mtls\"\n"),
        &["server.tls.client_ca_path"],
    );
    reject(
        &mtls("trusted_proxies = [\"::1\"]\nmtls_subjects = [\"a\", \"\"]\n"),
        &["server.auth.mtls_subjects[1] must not be blank"],
    );
    reject(
        &mtls(&format!("trusted_proxies = [\"::1\"]\nmtls_subjects = [\"{}\"]\n", "s".repeat(513))),
        &["server.auth.mtls_subjects[0] is longer than 512"],
    );
    let many = (0..65).map(|i| format!("\"s{i}\"")).collect::<Vec<_>>().join(", ");
    reject(
        &mtls(&format!("trusted_proxies = [\"::1\"]\nmtls_subjects = [{many}]\n")),
        &["server.auth.mtls_subjects has 65 entries"],
    );
}

#[test]
fn trusted_proxies_parse_as_ips_or_cidrs() {
    parse_ok(
        "[server.auth]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"0.0.0.0/0\", \"::/0\", \"fe80::/128\"]\n",
    );
    for bad in ["10.0.0.0/33", "::/129", "proxy.internal", "10.0.0.0/", "10.0.0/8", "", "10.0.0.1/+8"] {
        reject(
            &format!("[server.auth]\ntrusted_proxies = [\"10.0.0.1\", \"{bad}\"]\n"),
            &["server.auth.trusted_proxies[1]"],
        );
    }
}

#[test]
fn principal_rules() {
    reject("[[server.auth.principals]]\nsubject = \" \"\n", &["server.auth.principals[0].subject must not be blank"]);
    reject(
        "[[server.auth.principals]]\nsubject = \"a\"\npolicy_class = \"\"\n",
        &["server.auth.principals[0].policy_class must not be blank"],
    );
    reject(
        "[[server.auth.principals]]\nsubject = \"a\"\nroles = [{ name = \"\" }]\n",
        &["server.auth.principals[0].roles[0].name must not be blank"],
    );
    reject(
        "[[server.auth.principals]]\nsubject = \"a\"\n[[server.auth.principals]]\nsubject = \"a\"\n",
        &["server.auth.principals[1].subject", "more than once"],
    );
    let roles = ["{ name = \"R\" }"; 129].join(", ");
    reject(
        &format!("[[server.auth.principals]]\nsubject = \"a\"\nroles = [{roles}]\n"),
        &["server.auth.principals[0].roles has 129 entries"],
    );
    let principals = (0..65).map(|i| format!("[[server.auth.principals]]\nsubject = \"p{i}\"\n")).collect::<String>();
    reject(&principals, &["server.auth.principals has 65 entries"]);
}

// ---------------------------------------------------------------------------------------------
// [namespace], [dev], [trust]

#[test]
fn namespace_rules() {
    reject("[namespace]\nallow_default = true\n", &["namespace.default_tenants must not be empty"]);
    reject(
        "[namespace]\nallow_default = true\ndefault_tenants = [1, 0]\n",
        &["namespace.default_tenants[1] must be at least 1"],
    );
    reject("[namespace.authority]\nmode = \"assetcore_http\"\n", &["namespace.authority.assetcore is required"]);
    reject(
        "[namespace.authority.assetcore]\nbase_url = \"https://x\"\n",
        &["namespace.authority.assetcore is only allowed"],
    );
    let assetcore = |extra: &str| {
        format!("[namespace.authority]\nmode = \"assetcore_http\"\n[namespace.authority.assetcore]\n{extra}")
    };
    parse_ok(&assetcore("base_url = \"http://catalog:8080\"\n"));
    reject(&assetcore("base_url = \" \"\n"), &["namespace.authority.assetcore.base_url must not be blank"]);
    reject(&assetcore("base_url = \"catalog:8080\"\n"), &["namespace.authority.assetcore.base_url"]);
    reject(&assetcore("base_url = \"https://x\"\nauth_token = \"\"\n"), &["namespace.authority.assetcore.auth_token"]);
    for (line, key) in [
        ("connect_timeout_ms = 99", "namespace.authority.assetcore.connect_timeout_ms"),
        ("connect_timeout_ms = 10001", "namespace.authority.assetcore.connect_timeout_ms"),
        ("request_timeout_ms = 499", "namespace.authority.assetcore.request_timeout_ms"),
        ("request_timeout_ms = 30001", "namespace.authority.assetcore.request_timeout_ms"),
    ] {
        reject(&assetcore(&format!("base_url = \"https://x\"\n{line}\n")), &[key]);
    }
}

#[test]
fn dev_rules() {
    reject("[dev]\npermissive_scope = \"everything\"\n", &["dev.permissive_scope must be asserted_evidence_only"]);
    reject("[dev]\npermissive_ttl_days = 0\n", &["dev.permissive_ttl_days must be greater than 0"]);
    let assetcore =
        "[namespace.authority]\nmode = \"assetcore_http\"\n[namespace.authority.assetcore]\nbase_url = \"https://x\"\n";
    reject(&format!("[dev]\npermissive = true\n{assetcore}"), &["dev.permissive not allowed"]);
    reject(&format!("[server]\nmode = \"dev_permissive\"\n{assetcore}"), &["dev.permissive not allowed"]);
    let config = parse_ok("[server]\nmode = \"dev_permissive\"\n[dev]\npermissive_ttl_days = 3\n");
    assert!(config.dev_permissive());
}

#[test]
fn trust_key_paths_are_checked() {
    reject(
        "[trust]\ndefault_policy = { require_signature = { keys = [\"\"] } }\n",
        &["trust.default_policy.require_signature.keys[0]"],
    );
    reject(
        "[trust]\ndefault_policy = { require_signature = { keys = [{ key_id = \" \", path = \"p\" }] } }\n",
        &["trust.default_policy.require_signature.keys[0].key_id"],
    );
    reject(
        "[trust]\ndefault_policy = { require_signature = { keys = [\"a\", { key_id = \"k\", path = \"\" }] } }\n",
        &["trust.default_policy.require_signature.keys[1].path"],
    );
    reject(
        "[[providers]]\nname = \"time\"\ntype = \"builtin\"\ntrust = { require_signature = { keys = [\"\"] } }\n",
        &["providers[0].trust.require_signature.keys[0]"],
    );
}

// ---------------------------------------------------------------------------------------------
// [anchors], [provider_discovery], [validation], [policy]

#[test]
fn anchor_rules() {
    let anchor = |id: &str, kind: &str, fields: &str| {
        format!(
            "[[anchors.providers]]\nprovider_id = \"{id}\"\nanchor_type = \"{kind}\"\nrequired_fields = [{fields}]\n"
        )
    };
    let config = parse_ok(&anchor("p", "t", "\" b \", \"a\", \"b\""));
    assert_eq!(config.anchors.providers[0].required_fields, vec!["a", "b"]);
    reject(&anchor(" p", "t", "\"a\""), &["anchors.providers[0].provider_id", "whitespace"]);
    reject(&anchor("", "t", "\"a\""), &["anchors.providers[0].provider_id must not be blank"]);
    reject(&anchor("p", " ", "\"a\""), &["anchors.providers[0].anchor_type must not be blank"]);
    reject(&anchor("p", "t", ""), &["anchors.providers[0].required_fields must not be empty"]);
    reject(&anchor("p", "t", "\"a\", \"  \""), &["anchors.providers[0].required_fields[1] must not be blank"]);
    reject(
        &format!("{}{}", anchor("p", "t", "\"a\""), anchor("p", "u", "\"b\"")),
        &["anchors.providers[1].provider_id", "more than once"],
    );
}

#[test]
fn provider_discovery_rules() {
    reject("[provider_discovery]\nallowlist = [\"\"]\n", &["provider_discovery.allowlist[0] must not be blank"]);
    reject("[provider_discovery]\ndenylist = [\"x\", \" \"]\n", &["provider_discovery.denylist[1] must not be blank"]);
    reject(
        "[provider_discovery]\nmax_response_bytes = 0\n",
        &["provider_discovery.max_response_bytes must be greater than 0"],
    );
}

#[test]
fn validation_rules() {
    reject("[validation]\nprofile = \"loose\"\n", &["validation.profile must be strict_core_v1"]);
    reject("[validation]\nstrict = false\n", &["validation.strict = false requires validation.allow_permissive"]);
    parse_ok("[validation]\nstrict = false\nallow_permissive = true\n");
}

#[test]
fn policy_rules() {
    reject("[policy]\nengine = \"static\"\n", &["policy.static is required"]);
    reject("[policy]\nengine = \"deny_all\"\n[policy.static]\n", &["policy.static is only allowed"]);
    reject(
        "[policy]\nengine = \"static\"\n[[policy.static.rules]]\neffect = \"deny\"\n",
        &["policy.static.rules[0] needs at least one selector"],
    );
    reject(
        "[policy]\nengine = \"static\"\n[[policy.static.rules]]\neffect = \"error\"\nstage_ids = [\"s\"]\n",
        &["policy.static.rules[0].error_message"],
    );
    reject(
        "[policy]\nengine = \"static\"\n[[policy.static.rules]]\neffect = \"permit\"\ntargets = [{ target_kind = \"agent\", system = \"x\" }]\n",
        &["policy.static.rules[0].targets"],
    );
    parse_ok("[policy]\nengine = \"static\"\n[policy.static]\n");
}

// ---------------------------------------------------------------------------------------------
// Stores, runpacks

#[test]
fn store_rules() {
    for section in ["run_state_store", "schema_registry"] {
        reject(&format!("[{section}]\npath = \"x.db\"\n"), &[&format!("{section}.path is not allowed"), "memory"]);
        reject(&format!("[{section}]\ntype = \"sqlite\"\n"), &[&format!("{section}.path is required"), "sqlite"]);
        reject(
            &format!("[{section}]\ntype = \"sqlite\"\npath = \" \"\n"),
            &[&format!("{section}.path must not be empty")],
        );
        reject(
            &format!("[{section}]\ntype = \"sqlite\"\npath = \"/tmp/{}/x.db\"\n", "d".repeat(256)),
            &[&format!("{section}.path has a path component")],
        );
        reject(&format!("[{section}]\nmax_versions = 0\n"), &[&format!("{section}.max_versions must be at least 1")]);
        reject(&format!("[{section}]\nbusy_timeout_ms = 4294967296\n"), &[&format!("{section}.busy_timeout_ms")]);
        let dir = tempfile::tempdir().expect("tempdir");
        let dir_path = dir.path().display().to_string().replace('\\', "/");
        reject(
            &format!("[{section}]\ntype = \"sqlite\"\npath = \"{dir_path}\"\n"),
            &[&format!("{section}.path"), "existing directory"],
        );
        parse_ok(&format!("[{section}]\ntype = \"sqlite\"\npath = \"{dir_path}/new.db\"\nmax_versions = 1\n"));
    }
}

#[test]
fn schema_registry_rules() {
    reject(
        "[schema_registry]\nmax_schema_bytes = 0\n",
        &["schema_registry.max_schema_bytes must be between 1 and 10485760"],
    );
    reject("[schema_registry]\nmax_schema_bytes = 10485761\n", &["schema_registry.max_schema_bytes"]);
    reject("[schema_registry]\nmax_entries = 0\n", &["schema_registry.max_entries must be at least 1"]);
    let rules = "[[schema_registry.acl.rules]]\neffect = \"allow\"\n".repeat(257);
    reject(&rules, &["schema_registry.acl.rules has 257 entries"]);
    parse_ok(&"[[schema_registry.acl.rules]]\neffect = \"allow\"\n".repeat(256));
}

#[test]
fn runpack_rules() {
    reject("[runpack]\nroot_dir = \"relative/runpacks\"\n", &["runpack.root_dir must be an absolute path"]);
    reject("[runpack]\nroot_dir = \"\"\n", &["runpack.root_dir must not be empty"]);
    reject(
        "[runpack.signing]\nkey_id = \" \"\nprivate_key_path = \"/k\"\n",
        &["runpack.signing.key_id must not be blank"],
    );
    reject("[runpack.signing]\nkey_id = \"k\"\nprivate_key_path = \"\"\n", &["runpack.signing.private_key_path"]);
    reject(
        "[runpack.verify]\ntrusted_keys = [{ key_id = \"\", public_key_path = \"/p\" }]\n",
        &["runpack.verify.trusted_keys[0].key_id must not be blank"],
    );
    reject(
        "[runpack.verify]\ntrusted_keys = [{ key_id = \"k\", public_key_path = \" \" }]\n",
        &["runpack.verify.trusted_keys[0].public_key_path"],
    );
    reject(
        "[runpack.verify]\ntrusted_keys = [{ key_id = \"k\", public_key_path = \"/a\" }, { key_id = \"k\", public_key_path = \"/b\" }]\n",
        &["runpack.verify.trusted_keys[1].key_id", "more than once"],
    );
}

#[test]
fn runpack_storage_rules() {
    let storage =
        |extra: &str| format!("[runpack_storage]\ntype = \"object_store\"\nprovider = \"s3\"\nbucket = \"b\"\n{extra}");
    let config = parse_ok(&storage("prefix = \"a/b\"\nendpoint = \"https://s3.example\"\n"));
    assert_eq!(config.runpack_storage.map(|s| s.normalized_prefix()), Some("a/b/".to_owned()));
    assert_eq!(parse_ok(&storage("")).runpack_storage.map(|s| s.normalized_prefix()), Some(String::new()));
    reject(
        "[runpack_storage]\ntype = \"object_store\"\nprovider = \"s3\"\nbucket = \"  \"\n",
        &["runpack_storage.bucket must not be blank"],
    );
    reject(&storage("endpoint = \"http://minio:9000\"\n"), &["runpack_storage.endpoint", "runpack_storage.allow_http"]);
    reject(&storage("endpoint = \"ftp://minio\"\n"), &["runpack_storage.endpoint must start with"]);
    for bad in ["", "/abs", "a\\\\b", "a//b", "a/../b", "./a", "a//"] {
        reject(&storage(&format!("prefix = \"{bad}\"\n")), &["runpack_storage.prefix"]);
    }
    reject(&storage(&format!("prefix = \"{}\"\n", "p".repeat(256))), &["runpack_storage.prefix has a component"]);
    match parse_config("[runpack_storage]\ntype = \"filesystem\"\nprovider = \"s3\"\nbucket = \"b\"\n") {
        Err(ConfigError::Parse(_)) => {}
        other => panic!("expected a parse error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// [[providers]]

fn provider(name: &str, kind: &str, extra: &str) -> String {
    format!("[[providers]]\nname = \"{name}\"\ntype = \"{kind}\"\n{extra}")
}

#[test]
fn provider_names() {
    reject(&provider(" time", "builtin", ""), &["providers[0].name", "whitespace"]);
    reject(
        &provider("", "mcp", "command = [\"x\"]\ncapabilities_path = \"c\"\n"),
        &["providers[0].name must not be blank"],
    );
    reject(
        &format!("{}{}", provider("time", "builtin", ""), provider("time", "builtin", "")),
        &["providers[1].name `time` is listed more than once"],
    );
    reject(&provider("clock", "builtin", ""), &["providers[0].name must be one of time, env, json, http"]);
    for reserved in ["time", "env", "json", "http"] {
        reject(
            &provider(reserved, "mcp", "command = [\"x\"]\ncapabilities_path = \"c\"\n"),
            &["providers[0].name", "reserved"],
        );
    }
    match parse_config("[[providers]]\ntype = \"builtin\"\n") {
        Err(ConfigError::Parse(message)) => assert!(message.contains("name"), "{message}"),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn builtin_provider_rules() {
    for (line, key) in [
        ("command = [\"x\"]", "providers[0].command"),
        ("url = \"https://x\"", "providers[0].url"),
        ("allow_insecure_http = true", "providers[0].allow_insecure_http"),
        ("auth = { bearer_token = \"t\" }", "providers[0].auth"),
        ("capabilities_path = \"c.json\"", "providers[0].capabilities_path"),
        ("framing = \"content_length\"", "providers[0].framing"),
        ("config = 5", "providers[0].config must be a table"),
    ] {
        reject(&provider("env", "builtin", &format!("{line}\n")), &[key, "(provider `env`)"]);
    }
    parse_ok(&provider("env", "builtin", "framing = \"newline\"\nconfig = { denylist = [] }\n"));
}

#[test]
fn mcp_provider_rules() {
    let caps = "capabilities_path = \"contracts/p.json\"\n";
    parse_ok(&provider("p", "mcp", &format!("command = [\"prov\"]\n{caps}")));
    parse_ok(&provider("p", "mcp", &format!("url = \"https://p.example/mcp\"\n{caps}")));
    reject(&provider("p", "mcp", caps), &["providers[0] needs command or url"]);
    reject(
        &provider("p", "mcp", &format!("command = [\" \"]\n{caps}")),
        &["providers[0].command[0] must not be blank"],
    );
    reject(&provider("p", "mcp", "command = [\"prov\"]\n"), &["providers[0].capabilities_path is required"]);
    reject(
        &provider("p", "mcp", "command = [\"prov\"]\ncapabilities_path = \"\"\n"),
        &["providers[0].capabilities_path"],
    );
    reject(
        &provider("p", "mcp", &format!("command = [\"prov\"]\nconfig = {{}}\n{caps}")),
        &["providers[0].config is not allowed"],
    );
    reject(
        &provider("p", "mcp", &format!("url = \"http://p.internal/mcp\"\n{caps}")),
        &["providers[0].url", "providers[0].allow_insecure_http"],
    );
    parse_ok(&provider("p", "mcp", &format!("url = \"http://p.internal/mcp\"\nallow_insecure_http = true\n{caps}")));
    reject(&provider("p", "mcp", &format!("url = \"ws://p\"\n{caps}")), &["providers[0].url must start with"]);
    reject(
        &provider("p", "mcp", &format!("url = \"https://p\"\nauth = {{ bearer_token = \" \" }}\n{caps}")),
        &["providers[0].auth.bearer_token must not be blank"],
    );
}

#[test]
fn provider_timeouts_are_checked_for_every_provider() {
    for kind in ["builtin", "mcp"] {
        let (name, extra) =
            if kind == "builtin" { ("time", "") } else { ("p", "command = [\"x\"]\ncapabilities_path = \"c\"\n") };
        for (timeouts, key) in [
            ("connect_timeout_ms = 99", "providers[0].timeouts.connect_timeout_ms"),
            ("connect_timeout_ms = 10001", "providers[0].timeouts.connect_timeout_ms"),
            ("request_timeout_ms = 499", "providers[0].timeouts.request_timeout_ms"),
            ("request_timeout_ms = 30001", "providers[0].timeouts.request_timeout_ms"),
            (
                "connect_timeout_ms = 5000\nrequest_timeout_ms = 4000",
                "providers[0].timeouts.request_timeout_ms must be at least",
            ),
        ] {
            reject(&provider(name, kind, &format!("{extra}[providers.timeouts]\n{timeouts}\n")), &[key]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Zero configuration

#[test]
fn zero_config_is_valid_and_matches_the_profile() {
    let base = tempfile::tempdir().expect("tempdir");
    let config = zero_config_in(base.path());
    validate_config(&config).expect("zero config validates");
    let database = base.path().join(".decision-gate").join("decision-gate.db");
    assert_eq!(config.server.transport, TransportKind::Stdio);
    assert_eq!(config.server.auth.mode, AuthMode::LocalOnly);
    assert_eq!(config.run_state_store.store_type, StoreType::Sqlite);
    assert_eq!(config.run_state_store.path.as_deref(), Some(database.as_path()));
    assert_eq!(config.schema_registry.store.store_type, StoreType::Sqlite);
    assert_eq!(config.schema_registry.store.path.as_deref(), Some(database.as_path()));
    assert!(config.schema_registry.acl.allow_local_only);
    assert!(config.namespace.allow_default);
    assert_eq!(config.namespace.default_tenants, vec![1]);
    let runpacks = base.path().join(".decision-gate").join("runpacks");
    assert_eq!(config.runpack.root_dir.as_deref(), Some(runpacks.as_path()));
    let names: Vec<&str> = config.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["time", "env", "json", "http"]);
    assert!(config.providers.iter().all(|p| p.provider_type == ProviderType::Builtin));
    let json = config.providers[2].config.as_ref().expect("json config");
    assert_eq!(json["root"], base.path().join("evidence").to_string_lossy().as_ref());
    assert_eq!(json["root_id"], "evidence-root");
    assert_eq!(json["max_bytes"], 1_048_576);
    assert_eq!(json["allow_yaml"], true);
    for subject in ["stdio", "loopback"] {
        let principal = config.server.auth.principals.iter().find(|p| p.subject == subject).expect("principal");
        assert_eq!(
            principal.roles,
            vec![RoleBinding { name: "TenantAdmin".to_owned(), tenant_id: Some(1), namespace_id: Some(1) }]
        );
    }
    // The profile survives a TOML round trip (so `config validate` of a dumped profile agrees).
    let text = toml::to_string(&config).expect("serialise");
    assert_eq!(parse_ok(&text), config);
}

#[test]
fn zero_config_resolves_against_the_current_directory() {
    let _guard = env_lock();
    let config = zero_config();
    let cwd = std::env::current_dir().expect("cwd");
    assert_eq!(config.runpack.root_dir, Some(cwd.join(".decision-gate").join("runpacks")));
    assert!(config.runpack.root_dir.as_deref().is_some_and(Path::is_absolute));
}

#[test]
fn http_override() {
    let base = tempfile::tempdir().expect("tempdir");
    let mut config = zero_config_in(base.path());
    apply_http_override(&mut config, "127.0.0.1:8080");
    assert_eq!(config.server.transport, TransportKind::Http);
    assert_eq!(config.server.bind.as_deref(), Some("127.0.0.1:8080"));
    validate_config(&config).expect("loopback http is valid");
    apply_http_override(&mut config, "0.0.0.0:8080");
    let err = validate_config(&config).expect_err("local_only cannot bind non-loopback");
    assert!(err.to_string().contains("server.bind"), "{err}");
    apply_http_override(&mut config, "localhost:8080");
    assert!(validate_config(&config).is_err());
}

// ---------------------------------------------------------------------------------------------
// Loading and path resolution

fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    path
}

#[test]
fn resolution_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let explicit = write(dir.path(), "explicit.toml", b"");
    let from_env = write(dir.path(), "env.toml", b"");
    let empty_dir = tempfile::tempdir().expect("tempdir");

    let resolve = |explicit: Option<&Path>, env: Option<&OsStr>, base: &Path| {
        resolve_config_path_with(explicit, env, base).expect("resolves")
    };
    // Explicit beats the environment, which beats the default file.
    write(dir.path(), DEFAULT_CONFIG_FILE, b"");
    assert_eq!(resolve(Some(&explicit), Some(from_env.as_os_str()), dir.path()), Some(explicit.clone()));
    assert_eq!(resolve(None, Some(from_env.as_os_str()), dir.path()), Some(from_env.clone()));
    assert_eq!(resolve(None, None, dir.path()), Some(dir.path().join(DEFAULT_CONFIG_FILE)));
    // Nothing given and no default file: zero configuration.
    assert_eq!(resolve(None, None, empty_dir.path()), None);
    // A named file that does not exist is an io error, never a fallback.
    let missing = dir.path().join("missing.toml");
    for (explicit, env) in [(Some(missing.as_path()), None), (None, Some(missing.as_os_str()))] {
        match resolve_config_path_with(explicit, env, empty_dir.path()) {
            Err(err @ ConfigError::Io(_)) => assert!(err.to_string().starts_with("config io error: "), "{err}"),
            other => panic!("expected an io error, got {other:?}"),
        }
    }
}

#[test]
fn config_path_limits() {
    let base = tempfile::tempdir().expect("tempdir");
    let long_env = "a".repeat(4097);
    let long_component = format!("/{}/x.toml", "c".repeat(256));
    let cases: [(Option<&Path>, Option<&OsStr>, &str); 4] = [
        (None, Some(OsStr::new(&long_env)), CONFIG_ENV_VAR),
        (None, Some(OsStr::new("  ")), CONFIG_ENV_VAR),
        (Some(Path::new(&long_component)), None, "--config"),
        (Some(Path::new("")), None, "--config"),
    ];
    for (explicit, env, key) in cases {
        match resolve_config_path_with(explicit, env, base.path()) {
            Err(ConfigError::Invalid(message)) => assert!(message.contains(key), "{message}"),
            other => panic!("expected invalid config, got {other:?}"),
        }
    }
    // 4096 characters is the limit, measured in characters (a 2-byte character counts once).
    let multibyte = format!("/{}", "é/".repeat(2047));
    assert_eq!(multibyte.chars().count(), 4095);
    match resolve_config_path_with(None, Some(OsStr::new(&multibyte)), base.path()) {
        Err(ConfigError::Io(_)) => {}
        other => panic!("expected the length check to pass and the lookup to fail, got {other:?}"),
    }
}

#[test]
fn load_config_file_reads_validates_and_remembers_mtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "dg.toml", FULL_EXAMPLE.as_bytes());
    let loaded = load_config_file(&path).expect("loads");
    assert_eq!(loaded.source, ConfigSource::File(path.clone()));
    assert_eq!(loaded.config, parse_ok(FULL_EXAMPLE));
    let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    assert!(modified.is_some());
    assert_eq!(loaded.modified, modified);
    // Through `load_config` with an explicit path.
    let loaded = load_config(Some(&path)).expect("loads");
    assert_eq!(loaded.source, ConfigSource::File(path));
}

#[test]
fn load_config_file_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let expect = |path: &Path, prefix: &str, fragment: &str| match load_config_file(path) {
        Ok(_) => panic!("expected an error for {}", path.display()),
        Err(err) => {
            let message = err.to_string();
            assert!(message.starts_with(prefix) && message.contains(fragment), "{message}");
        }
    };
    expect(&dir.path().join("missing.toml"), "config io error: ", "missing.toml");
    expect(dir.path(), "config io error: ", "not a regular file");
    let big = write(dir.path(), "big.toml", &vec![b'#'; 1_048_577]);
    expect(&big, "invalid config: ", "config file exceeds 1048576 bytes");
    let limit = write(dir.path(), "limit.toml", &vec![b'#'; 1_048_576]);
    assert!(load_config_file(&limit).is_ok());
    let latin1 = write(dir.path(), "latin1.toml", b"[server]\n# caf\xe9\n");
    expect(&latin1, "config parse error: ", "UTF-8");
    let bad = write(dir.path(), "bad.toml", b"[server\n");
    expect(&bad, "config parse error: ", "");
    let invalid = write(dir.path(), "invalid.toml", b"[server]\nmax_body_bytes = 0\n");
    expect(&invalid, "invalid config: ", "server.max_body_bytes must be greater than 0");
}

/// Runs in a child process started by [`env_var_selects_the_config_file`]; a no-op otherwise.
#[test]
fn env_var_child_probe() {
    let Some(expected) = std::env::var_os("DG_CONFIG_TEST_EXPECT") else { return };
    let loaded = load_config(None).unwrap_or_else(|err| panic!("DECISION_GATE_CONFIG not loaded: {err}"));
    assert_eq!(loaded.source, ConfigSource::File(PathBuf::from(&expected)));
    assert_eq!(loaded.config.server.max_body_bytes, 4242);
    assert!(loaded.modified.is_some());
    // An explicit path still wins over the variable.
    let explicit = PathBuf::from(std::env::var_os("DG_CONFIG_TEST_EXPLICIT").expect("explicit path"));
    assert_eq!(load_config(Some(&explicit)).expect("explicit").source, ConfigSource::File(explicit));
}

/// The process environment cannot be changed without `unsafe` in edition 2024 (and the
/// workspace forbids `unsafe`), so the real `DECISION_GATE_CONFIG` lookup is exercised in a child
/// test process that receives the variable at spawn.
#[test]
fn env_var_selects_the_config_file() {
    let _guard = env_lock();
    let dir = tempfile::tempdir().expect("tempdir");
    let from_env = write(dir.path(), "from-env.toml", b"[server]\nmax_body_bytes = 4242\n");
    let explicit = write(dir.path(), "explicit.toml", b"");
    // A default file in the child's working directory must lose against the variable.
    write(dir.path(), DEFAULT_CONFIG_FILE, b"[server]\nmax_body_bytes = 1\n");
    let exe = std::env::current_exe().expect("test binary");
    let output = std::process::Command::new(exe)
        .args(["config::tests::env_var_child_probe", "--exact", "--test-threads=1", "--nocapture"])
        .current_dir(dir.path())
        .env(CONFIG_ENV_VAR, &from_env)
        .env("DG_CONFIG_TEST_EXPECT", &from_env)
        .env("DG_CONFIG_TEST_EXPLICIT", &explicit)
        .output()
        .expect("spawn child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "child failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("1 passed"), "child did not run the probe:\n{stdout}");

    // With a missing file in the variable the child must fail rather than fall back.
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["config::tests::env_var_child_probe", "--exact", "--test-threads=1"])
        .current_dir(dir.path())
        .env(CONFIG_ENV_VAR, dir.path().join("missing.toml"))
        .env("DG_CONFIG_TEST_EXPECT", dir.path().join("missing.toml"))
        .env("DG_CONFIG_TEST_EXPLICIT", &explicit)
        .output()
        .expect("spawn child test");
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("config io error"), "{stdout}");
}

#[test]
fn load_config_without_a_file_uses_the_zero_profile() {
    let _guard = env_lock();
    // Only meaningful when the test process has no config in its environment or directory.
    if std::env::var_os(CONFIG_ENV_VAR).is_some() || Path::new(DEFAULT_CONFIG_FILE).exists() {
        return;
    }
    let loaded = load_config(None).expect("zero config");
    assert_eq!(loaded.source, ConfigSource::ZeroConfig);
    assert!(loaded.modified.is_none());
    assert_eq!(loaded.config, zero_config());
}
