//! The `env` built-in.

use std::collections::BTreeMap;

use decision_gate_core::evidence::{EvidenceResult, EvidenceValue, TrustLane};
use decision_gate_core::time::Timestamp;
use serde_json::{Value, json};

use super::support::{ctx, query};
use crate::providers::ProviderBackend;
use crate::providers::env::{EnvProvider, EnvProviderConfig, glob_matches};

fn with_overrides(pairs: &[(&str, &str)]) -> EnvProviderConfig {
    EnvProviderConfig {
        overrides: Some(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<BTreeMap<_, _>>()),
        ..EnvProviderConfig::default()
    }
}

fn get(provider: &EnvProvider, key: &str) -> Result<EvidenceResult, String> {
    provider.query(&query("env", "get", json!({"key": key})), &ctx(Timestamp::Logical(1))).map_err(|err| err.0)
}

#[test]
fn missing_key_has_no_value_but_an_anchor() {
    let provider = EnvProvider::new(with_overrides(&[]));
    let result = get(&provider, "DEPLOY_ENV").unwrap();
    assert_eq!(result.value, None);
    assert_eq!(result.error, None);
    assert_eq!(result.content_type, None);
    assert_eq!(result.lane, TrustLane::Verified);
    let anchor = result.evidence_anchor.unwrap();
    assert_eq!((anchor.anchor_type.as_str(), anchor.anchor_value.as_str()), ("env", "DEPLOY_ENV"));
}

#[test]
fn present_key_is_a_text_value() {
    let provider = EnvProvider::new(with_overrides(&[("DEPLOY_ENV", "production")]));
    let result = get(&provider, "DEPLOY_ENV").unwrap();
    assert_eq!(result.value, Some(EvidenceValue::Json(json!("production"))));
    assert_eq!(result.content_type.as_deref(), Some("text/plain"));
    assert_eq!(result.evidence_anchor.unwrap().anchor_value, "DEPLOY_ENV");
    assert!(result.evidence_hash.is_none());
}

#[test]
fn overrides_replace_the_process_environment() {
    let provider = EnvProvider::new(with_overrides(&[]));
    assert_eq!(get(&provider, "PATH").unwrap().value, None);
    let process = EnvProvider::new(EnvProviderConfig {
        denylist: Vec::new(),
        max_value_bytes: usize::MAX,
        ..EnvProviderConfig::default()
    });
    let expected = std::env::var("PATH").ok().map(|path| EvidenceValue::Json(Value::String(path)));
    assert_eq!(get(&process, "PATH").unwrap().value, expected);
}

#[test]
fn default_denylist_blocks_secret_looking_names() {
    let provider = EnvProvider::new(with_overrides(&[("GITHUB_TOKEN", "t"), ("DEPLOY_ENV", "prod")]));
    for key in ["GITHUB_TOKEN", "db_password", "Api_Key", "MY_SECRET_VALUE", "AWS_CREDENTIALS", "token", "MONKEY"] {
        assert_eq!(get(&provider, key).unwrap_err(), "env key blocked by policy", "{key}");
    }
    assert!(get(&provider, "DEPLOY_ENV").is_ok());
    assert!(get(&provider, "HOME_DIR").is_ok());
}

#[test]
fn allow_and_deny_lists() {
    let config = EnvProviderConfig {
        allowlist: Some(vec!["APP_*".to_owned(), "EXACT".to_owned()]),
        denylist: vec!["APP_SECRET".to_owned()],
        ..with_overrides(&[("APP_MODE", "fast"), ("APP_SECRET", "x"), ("EXACT", "1"), ("OTHER", "2")])
    };
    let provider = EnvProvider::new(config);
    assert_eq!(get(&provider, "APP_MODE").unwrap().value, Some(EvidenceValue::Json(json!("fast"))));
    assert!(get(&provider, "app_mode").is_ok(), "patterns ignore ASCII case");
    assert!(get(&provider, "EXACT").is_ok());
    assert_eq!(get(&provider, "APP_SECRET").unwrap_err(), "env key blocked by policy", "deny wins");
    assert_eq!(get(&provider, "OTHER").unwrap_err(), "env key blocked by policy", "allowlist miss");
    assert_eq!(get(&provider, "EXACTLY").unwrap_err(), "env key blocked by policy");
    // An explicit empty denylist replaces the secret patterns.
    let open = EnvProvider::new(EnvProviderConfig { denylist: Vec::new(), ..with_overrides(&[("API_TOKEN", "t")]) });
    assert_eq!(get(&open, "API_TOKEN").unwrap().value, Some(EvidenceValue::Json(json!("t"))));
}

#[test]
fn key_and_value_caps() {
    let config = EnvProviderConfig {
        max_key_bytes: 3,
        max_value_bytes: 4,
        ..with_overrides(&[("ABC", "1234"), ("XYZ", "12345")])
    };
    let provider = EnvProvider::new(config);
    assert!(get(&provider, "TOO_LONG").unwrap_err().contains("env key exceeds 3 bytes"));
    assert_eq!(get(&provider, "ABC").unwrap().value, Some(EvidenceValue::Json(json!("1234"))));
    assert!(get(&provider, "XYZ").unwrap_err().contains("env value exceeds 4 bytes"));
    assert_eq!(get(&provider, "NO").unwrap().value, None);
}

#[test]
fn bad_params_and_names_are_errors() {
    let provider = EnvProvider::new(with_overrides(&[]));
    let ask =
        |params: Value| provider.query(&query("env", "get", params), &ctx(Timestamp::Logical(1))).map_err(|e| e.0);
    assert!(ask(Value::Null).unwrap_err().contains("requires params"));
    assert!(ask(json!("KEY")).unwrap_err().contains("must be an object"));
    assert!(ask(json!({})).unwrap_err().contains("key"));
    assert!(ask(json!({"key": 5})).unwrap_err().contains("must be a string"));
    for bad in ["", "A=B", "A\0B"] {
        assert!(get(&provider, bad).unwrap_err().contains("not a valid variable name"), "{bad:?}");
    }
    let err = provider.query(&query("env", "list", json!({})), &ctx(Timestamp::Logical(1))).unwrap_err();
    assert!(err.0.contains("unsupported env check"));
}

#[test]
fn glob_patterns() {
    assert!(glob_matches("*KEY*", "monkey"));
    assert!(glob_matches("*KEY*", "KEY"));
    assert!(glob_matches("A*B*C", "aXXbYYc"));
    assert!(glob_matches("*", ""));
    assert!(glob_matches("**", "anything"));
    assert!(!glob_matches("A*B", "AXBC"));
    assert!(!glob_matches("", "A"));
    assert!(glob_matches("", ""));
    assert!(!glob_matches("ABC", "AB"));
    assert!(glob_matches("*_TOKEN", "GITHUB_TOKEN"));
    assert!(!glob_matches("*_TOKEN", "GITHUB_TOKENS"));
}
