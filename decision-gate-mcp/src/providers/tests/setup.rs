//! `build_providers`: from configuration to registry and federation.

use decision_gate_core::evidence::EvidenceValue;
use decision_gate_core::ports::EvidenceProvider;
use decision_gate_core::time::Timestamp;
use serde_json::{Value, json};

use super::support::{ctx, query};
use crate::config::{DecisionGateConfig, ProviderConfig, ProviderType, SignatureKeyConfig, TrustPolicyConfig};
use crate::providers::{ProviderSetupError, TrustPolicy, build_providers};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

fn config(providers: Vec<ProviderConfig>) -> DecisionGateConfig {
    DecisionGateConfig { providers, ..DecisionGateConfig::default() }
}

fn with_config(name: &str, table: Value) -> ProviderConfig {
    ProviderConfig { config: Some(table), ..ProviderConfig::builtin(name) }
}

#[test]
fn builds_only_listed_providers() {
    let rt = runtime();
    let mut env = with_config(
        "env",
        json!({"denylist": [], "max_value_bytes": 10, "max_key_bytes": 10, "overrides": {"A": "b"}}),
    );
    env.allow_raw = true;
    let set = build_providers(
        &config(vec![ProviderConfig::builtin("time"), env, ProviderConfig::builtin("http")]),
        rt.handle().clone(),
    )
    .unwrap();
    assert_eq!(set.registry.provider_ids().collect::<Vec<_>>(), ["env", "http", "time"]);
    assert_eq!(set.provider.provider_ids(), ["env", "http", "time"]);
    assert_eq!(set.allow_raw.get("env"), Some(&true));
    assert_eq!(set.allow_raw.get("time"), Some(&false));
    let answer = set.provider.query(&query("env", "get", json!({"key": "A"})), &ctx(Timestamp::Logical(1))).unwrap();
    assert_eq!(answer.value, Some(EvidenceValue::Json(json!("b"))));
    let golden =
        set.provider.query(&query("time", "after", json!({"timestamp": 0})), &ctx(Timestamp::Logical(2))).unwrap();
    assert_eq!(golden.value, Some(EvidenceValue::Json(json!(true))));
    let err =
        set.provider.query(&query("json", "path", json!({"file": "x"})), &ctx(Timestamp::Logical(1))).unwrap_err();
    assert_eq!(err.0, "provider not registered: json");
    // The golden-runpack configuration: all four built-ins without config tables.
    let all = ["time", "env", "json", "http"].map(ProviderConfig::builtin).to_vec();
    assert!(build_providers(&config(all), rt.handle().clone()).is_ok());
}

#[test]
fn config_tables_are_strict() {
    let rt = runtime();
    let build = |provider: ProviderConfig| build_providers(&config(vec![provider]), rt.handle().clone()).map(|_| ());
    let invalid = |result: Result<(), ProviderSetupError>| match result {
        Err(ProviderSetupError::InvalidConfig { message, .. }) => message,
        other => panic!("expected an invalid config, got {other:?}"),
    };
    assert!(build(with_config("time", json!({"allow_logical": false}))).is_ok());
    assert!(invalid(build(with_config("time", json!({})))).contains("allow_logical"));
    assert!(invalid(build(with_config("time", json!({"allow_logical": true, "extra": 1})))).contains("extra"));
    assert!(invalid(build(with_config("env", json!({"denylist": []})))).contains("max_value_bytes"));
    assert!(invalid(build(with_config("http", json!({"allow_http": true})))).contains("timeout_ms"));
    let http = json!({"allow_http": false, "timeout_ms": 100, "max_response_bytes": 10, "user_agent": "x", "hash_algorithm": "sha256"});
    assert!(build(with_config("http", http.clone())).is_ok());
    let mut md5 = http;
    md5["hash_algorithm"] = json!("md5");
    assert!(build(with_config("http", md5)).is_err());
    let dir = tempfile::tempdir().unwrap();
    let json_ok = json!({"root": dir.path(), "root_id": "evidence-root", "max_bytes": 100, "allow_yaml": true});
    assert!(build(with_config("json", json_ok)).is_ok());
    let missing_root = json!({"root": dir.path().join("none"), "root_id": "r", "max_bytes": 1, "allow_yaml": true});
    assert!(invalid(build(with_config("json", missing_root))).contains("root"));
    assert!(invalid(build(with_config("json", json!({"root": dir.path(), "root_id": "r"})))).contains("max_bytes"));
}

#[test]
fn external_providers_use_the_extension_point() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let contract = json!({
        "provider_id": "assets", "name": "Assets", "description": "d", "transport": "mcp",
        "checks": [{"check_id": "count", "description": "d", "determinism": "external", "params_required": false,
            "params_schema": {"type": "object"}, "result_schema": {"type": "integer"}, "allowed_comparators": ["equals"]}]
    });
    let path = dir.path().join("assets.json");
    std::fs::write(&path, contract.to_string()).unwrap();
    let mut external = ProviderConfig::builtin("assets");
    external.provider_type = ProviderType::Mcp;
    external.command = vec!["assets-provider".to_owned()];
    external.capabilities_path = Some(path);
    let err = build_providers(&config(vec![external]), rt.handle().clone()).unwrap_err();
    assert!(matches!(err, ProviderSetupError::External { ref provider, .. } if provider == "assets"), "{err}");
}

#[test]
fn trust_policies_come_from_the_provider_or_the_default() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.pub");
    std::fs::write(&key, ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]).verifying_key().to_bytes()).unwrap();
    let mut cfg = config(vec![ProviderConfig::builtin("time"), ProviderConfig::builtin("env")]);
    cfg.trust.default_policy =
        TrustPolicyConfig::RequireSignature { keys: vec![SignatureKeyConfig::Path(key.clone())] };
    cfg.providers[0].trust = Some(TrustPolicyConfig::Audit);
    let set = build_providers(&cfg, rt.handle().clone()).unwrap();
    assert_eq!(set.provider.policy("time").trust, TrustPolicy::Audit);
    assert!(matches!(set.provider.policy("env").trust, TrustPolicy::RequireSignature { .. }));
    // Unsigned built-ins fail under a global require_signature unless they opt out.
    assert!(set.provider.query(&query("time", "now", Value::Null), &ctx(Timestamp::Logical(1))).is_ok());
    let err = set.provider.query(&query("env", "get", json!({"key": "X"})), &ctx(Timestamp::Logical(1))).unwrap_err();
    assert!(err.0.contains("signature missing"), "{}", err.0);
    cfg.trust.default_policy =
        TrustPolicyConfig::RequireSignature { keys: vec![SignatureKeyConfig::Path(dir.path().join("absent"))] };
    let err = build_providers(&cfg, rt.handle().clone()).unwrap_err();
    assert!(matches!(err, ProviderSetupError::Trust { ref scope, .. } if scope == "trust.default_policy"), "{err}");
}

#[test]
fn shared_types_are_thread_safe() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<crate::providers::ProviderSet>();
    assert_send_sync::<crate::providers::CapabilityRegistry>();
    assert_send_sync::<crate::providers::FederatedProvider>();
    assert_send_sync::<crate::providers::http::HttpProvider>();
}
