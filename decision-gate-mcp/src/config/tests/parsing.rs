//! Parsing, TOML round trips, defaults and unknown keys.

use decision_gate_core::evidence::TrustLane;

use super::{FULL_EXAMPLE, parse_ok};
use crate::config::{
    AuthMode, ConfigError, DecisionGateConfig, RateLimitBucket, RegistryAction, RunpackStorageConfig,
    SignatureKeyConfig, StdioFraming, StoreType, TlsTermination, TransportKind, TrustPolicyConfig, parse_config,
    validate_config,
};

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
fn unknown_keys_are_errors_but_oss_client_and_docs_tables_are_kept() {
    let text = r#"
[client.auth_profiles.ci]
bearer_token = "abc"
client_subject = "ci"

[docs]
enabled = true

[server]
bind = "127.0.0.1:1"
"#;
    let config = parse_ok(text);
    assert_eq!(config.server.bind.as_deref(), Some("127.0.0.1:1"));
    for (text, key) in [
        (
            "top_level_unknown = 1
",
            "`top_level_unknown` at line 1, column 1",
        ),
        (
            "[server]
unknown = \"x\"
",
            "`server.unknown` at line 2, column 1",
        ),
        (
            "[server.auth]
future_option = [1, 2]
",
            "`server.auth.future_option` at line 2, column 1",
        ),
        (
            "[[providers]]
name = \"time\"
type = \"builtin\"
something_new = true
",
            "`providers.0.something_new` at line 4",
        ),
        (
            "[schema_registry]
type = \"memory\"
max_schema_byte = 5
",
            "`schema_registry.max_schema_byte` at line 3, column 1 (did you mean `max_schema_bytes`?)",
        ),
        (
            "[server.limits.rate_limit]
max_request = 5
",
            "`server.limits.rate_limit.max_request` at line 2, column 1 (did you mean `max_requests`?)",
        ),
    ] {
        match parse_config(text) {
            Err(ConfigError::Parse(message)) => {
                assert!(message.contains(&format!("unknown key {key}")), "{text:?}: {message}")
            }
            other => panic!("{text:?}: expected an unknown-key error, got {other:?}"),
        }
    }
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
