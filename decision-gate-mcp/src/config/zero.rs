//! The zero-configuration profile: what `decision-gate serve` runs when no configuration file
//! is found (no `--config`, no `DECISION_GATE_CONFIG`, no `./decision-gate.toml`).

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{DecisionGateConfig, PrincipalConfig, ProviderConfig, RoleBinding, StoreConfig, StoreType, TransportKind};

/// Directory (under the base directory) holding the zero-configuration state.
const STATE_DIR: &str = ".decision-gate";
/// SQLite file shared by the run-state store and the schema registry.
const DATABASE_FILE: &str = "decision-gate.db";
/// Runpack root under the state directory.
const RUNPACK_DIR: &str = "runpacks";
/// Root of the `json` provider.
const EVIDENCE_DIR: &str = "evidence";

/// The zero-configuration profile, resolved against the current directory (see
/// [`zero_config_in`] for its contents). If the current directory cannot be read, the paths stay
/// relative and validation then refuses the relative `runpack.root_dir` (fail closed).
pub fn zero_config() -> DecisionGateConfig {
    let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    zero_config_in(&base)
}

/// The zero-configuration profile with every path under `base` (normally the current
/// directory):
///
/// - transport `stdio`, auth `local_only` (use [`apply_http_override`] for `serve --http`);
/// - `[run_state_store]` and `[schema_registry]`: SQLite at `<base>/.decision-gate/decision-gate.db`
///   (one file, one connection each; the store creates the parent directory);
/// - single tenant `1`: `namespace.allow_default = true`, `default_tenants = [1]`;
/// - principals `stdio` and `loopback` (policy class `prod`) with role `TenantAdmin` on tenant 1 /
///   namespace 1, and `schema_registry.acl.allow_local_only = true`, so local callers may use the
///   default namespace and the registry;
/// - built-in providers `time`, `env`, `json` and `http`: `time`, `env` and `http` with their
///   built-in defaults (no `config` table: `env` refuses secret-looking names, `http` is
///   https-only); `json` rooted at `<base>/evidence` (`root_id = "evidence-root"`, 1 MiB,
///   YAML on; the server creates the directory when missing);
/// - `runpack.root_dir = <base>/.decision-gate/runpacks` (absolute when `base` is);
/// - everything else at its default (strict validation, trust `audit`, minimum lane `verified`,
///   raw evidence off, permit-all dispatch policy, audit to stderr).
pub fn zero_config_in(base: &Path) -> DecisionGateConfig {
    let state_dir = base.join(STATE_DIR);
    let database = state_dir.join(DATABASE_FILE);
    let sqlite = StoreConfig { store_type: StoreType::Sqlite, path: Some(database), ..StoreConfig::default() };

    let mut config = DecisionGateConfig::default();
    config.server.transport = TransportKind::Stdio;
    config.namespace.allow_default = true;
    config.namespace.default_tenants = vec![1];
    config.server.auth.principals = ["stdio", "loopback"]
        .into_iter()
        .map(|subject| PrincipalConfig {
            subject: subject.to_owned(),
            policy_class: Some("prod".to_owned()),
            roles: vec![RoleBinding { name: "TenantAdmin".to_owned(), tenant_id: Some(1), namespace_id: Some(1) }],
        })
        .collect();
    config.run_state_store = sqlite.clone();
    config.schema_registry.store = sqlite;
    config.schema_registry.acl.allow_local_only = true;
    config.runpack.root_dir = Some(state_dir.join(RUNPACK_DIR));

    let mut json_provider = ProviderConfig::builtin("json");
    json_provider.config = Some(json!({
        "root": base.join(EVIDENCE_DIR).to_string_lossy(),
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
