//! The zero-configuration profile: what `decision-gate serve` runs when no configuration file
//! is found (no `--config`, no `DECISION_GATE_CONFIG`, no `./decision-gate.toml`), and the base
//! every configuration file is layered on.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{
    DecisionGateConfig, FeedbackLevel, PrincipalConfig, ProviderConfig, RoleBinding, StoreConfig, StoreType,
    TransportKind,
};

/// SQLite file shared by the run-state store and the schema registry.
const DATABASE_FILE: &str = "decision-gate.db";
/// Runpack root under the data directory.
const RUNPACK_DIR: &str = "runpacks";
/// Root of the `json` provider under the data directory.
pub const EVIDENCE_DIR: &str = "evidence";
/// Audit log under the data directory.
const AUDIT_FILE: &str = "audit.jsonl";

/// The zero-configuration profile in `./.decision-gate` (see [`zero_config_in`]). If the current
/// directory cannot be read, the paths stay relative and validation then refuses the relative
/// `runpack.root_dir` (fail closed).
pub fn zero_config() -> DecisionGateConfig {
    let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    zero_config_in(&base.join(super::load::DEFAULT_DATA_DIR))
}

/// The zero-configuration profile with everything it stores in the data directory `data_dir`:
///
/// - transport `stdio`, auth `local_only` (use [`apply_http_override`] for `serve --http`);
/// - `[run_state_store]` and `[schema_registry]`: SQLite at `<data_dir>/decision-gate.db` (one
///   file, one connection each; the store creates the directory);
/// - runpacks under `<data_dir>/runpacks`, the audit log in `<data_dir>/audit.jsonl`;
/// - single tenant `1`: `namespace.allow_default = true`, `default_tenants = [1]`;
/// - principals `stdio` and `loopback` (policy class `prod`) with role `TenantAdmin` on every
///   served tenant, and `schema_registry.acl.allow_local_only = true`, so local callers may use
///   the default namespace and the registry (a file that serves more tenants keeps them local);
/// - `scenario_next` feedback up to `evidence` for the local principals (why a gate holds, with
///   the redacted evidence records; raw values stay off as everywhere by default);
/// - built-in providers `time`, `env` and `http` with their built-in defaults (`env` refuses
///   secret-looking names, `http` is https-only and refuses internal addresses), and `json`
///   rooted at `<data_dir>/evidence` (`root_id = "evidence-root"`, 1 MiB, YAML on; the server
///   creates the directory);
/// - everything else at its default (strict validation, trust `audit`, minimum lane `verified`,
///   permit-all dispatch policy).
pub fn zero_config_in(data_dir: &Path) -> DecisionGateConfig {
    let database = data_dir.join(DATABASE_FILE);
    let sqlite = StoreConfig { store_type: StoreType::Sqlite, path: Some(database), ..StoreConfig::default() };

    let mut config = DecisionGateConfig::default();
    config.server.transport = TransportKind::Stdio;
    config.server.audit.path = Some(data_dir.join(AUDIT_FILE));
    config.namespace.allow_default = true;
    config.namespace.default_tenants = vec![1];
    config.server.auth.principals = ["stdio", "loopback"]
        .into_iter()
        .map(|subject| PrincipalConfig {
            subject: subject.to_owned(),
            policy_class: Some("prod".to_owned()),
            roles: vec![RoleBinding { name: "TenantAdmin".to_owned(), tenant_id: None, namespace_id: None }],
        })
        .collect();
    let feedback = &mut config.server.feedback.scenario_next;
    feedback.max = FeedbackLevel::Evidence;
    feedback.evidence_subjects = vec!["loopback".to_owned(), "stdio".to_owned()];
    config.run_state_store = sqlite.clone();
    config.schema_registry.store = sqlite;
    config.schema_registry.acl.allow_local_only = true;
    config.runpack.root_dir = Some(data_dir.join(RUNPACK_DIR));

    let mut json_provider = ProviderConfig::builtin("json");
    json_provider.config = Some(json!({
        "root": data_dir.join(EVIDENCE_DIR).to_string_lossy(),
        "root_id": "evidence-root",
        "max_bytes": 1_048_576,
        "allow_yaml": true,
    }));
    config.providers = vec![
        ProviderConfig::builtin("time"),
        ProviderConfig::builtin("env"),
        json_provider,
        ProviderConfig::builtin("http"),
    ];
    config
}

/// `serve --http ADDR`: switches the transport to HTTP on `bind`. The caller validates the
/// result again ([`super::validate_config`]) and applies the exposure policy.
pub fn apply_http_override(config: &mut DecisionGateConfig, bind: &str) {
    config.server.transport = TransportKind::Http;
    config.server.bind = Some(bind.to_owned());
}
