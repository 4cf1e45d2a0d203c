// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Where the enterprise server keeps its data, which file configures it, the `[enterprise]`
//! settings, and the profile every configuration gets in a multi-tenant server.
//!
//! The configuration is the open core's `decision-gate.toml` format (layered on the
//! zero-configuration profile of the data directory) plus an `[enterprise]` table. The
//! multi-tenant profile then applies on top: the `env` provider (which reads the server's own
//! environment) is off, the `json` provider roots each tenant and namespace in its own
//! directory, schema-registry access follows the roles' permissions, and hold explanations are
//! available to every role. A file that asks for the opposite is refused, not silently
//! overridden.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use decision_gate_mcp::config::{
    AclEffect, AclMode, ConfigSource, DecisionGateConfig, LoadedConfig, ProviderType, StoreType, validate_config,
    zero_config_in,
};
use serde::Deserialize;

/// The data directory when none is given.
pub const DEFAULT_DATA_DIR: &str = ".decision-gate-enterprise";
/// Environment variable naming the data directory.
pub const DATA_DIR_ENV: &str = "DECISION_GATE_ENTERPRISE_HOME";
/// Environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "DECISION_GATE_ENTERPRISE_CONFIG";
/// The configuration file read from the working directory when present.
pub const DEFAULT_CONFIG_FILE: &str = "decision-gate-enterprise.toml";
/// Environment variable holding the API key of the stdio transport.
pub const API_KEY_ENV: &str = "DECISION_GATE_API_KEY";
/// The roles that may ask for hold explanations (`trace` feedback).
const TRACE_ROLES: [&str; 6] = ["owner", "admin", "editor", "viewer", "agent", "auditor"];

/// `[enterprise]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnterpriseSettings {
    /// The canonical URI of `/mcp` (RFC 9728 `resource`; the audience of tokens). Default:
    /// `http(s)://<bind>/mcp`.
    pub resource_url: Option<String>,
    /// How long credentials, tenants and namespaces are cached (0..=60000 ms; default 5000).
    /// Changes made through this process take effect at once; changes made elsewhere within
    /// this time.
    pub credential_cache_ttl_ms: u64,
    /// Whether the first start creates org 1, tenant 1, namespace 1 and an owner key.
    pub bootstrap: bool,
}

impl Default for EnterpriseSettings {
    fn default() -> Self {
        EnterpriseSettings { resource_url: None, credential_cache_ttl_ms: 5000, bootstrap: true }
    }
}

impl EnterpriseSettings {
    /// The cache lifetime.
    pub fn cache_ttl(&self) -> Duration {
        Duration::from_millis(self.credential_cache_ttl_ms)
    }
}

/// The configuration of one enterprise process.
#[derive(Clone, Debug)]
pub struct EnterpriseConfig {
    /// The open-core configuration, with the multi-tenant profile applied.
    pub loaded: LoadedConfig,
    /// `[enterprise]`.
    pub settings: EnterpriseSettings,
}

impl EnterpriseConfig {
    /// The SQLite file holding the control tables beside the run states.
    pub fn database(&self) -> anyhow::Result<PathBuf> {
        let store = &self.loaded.config.run_state_store;
        match (store.store_type, &store.path) {
            (StoreType::Sqlite, Some(path)) => Ok(path.clone()),
            _ => bail!(
                "decision-gate-enterprise keeps its control tables beside the run states: run_state_store must be sqlite with a path"
            ),
        }
    }
}

/// The data directory: `--data-dir`, else `DECISION_GATE_ENTERPRISE_HOME`, else
/// `./.decision-gate-enterprise`, made absolute.
pub fn resolve_data_dir(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let from_env = std::env::var_os(DATA_DIR_ENV).filter(|value| !value.is_empty()).map(PathBuf::from);
    let chosen = explicit.map(Path::to_path_buf).or(from_env).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    if chosen.is_absolute() {
        return Ok(chosen);
    }
    Ok(std::env::current_dir().context("current directory")?.join(chosen))
}

/// The configuration file: `--config`, else `DECISION_GATE_ENTERPRISE_CONFIG`, else
/// `./decision-gate-enterprise.toml` when it exists; `None`: zero configuration.
pub fn resolve_config_path(explicit: Option<&Path>) -> anyhow::Result<Option<PathBuf>> {
    if let Some(path) = explicit {
        return Ok(Some(path.to_path_buf()));
    }
    if let Some(value) = std::env::var_os(CONFIG_ENV).filter(|value| !value.is_empty()) {
        return Ok(Some(PathBuf::from(value)));
    }
    let default = PathBuf::from(DEFAULT_CONFIG_FILE);
    Ok(default.exists().then_some(default))
}

/// Loads the configuration (file or zero configuration) and applies the multi-tenant profile.
pub fn load(config: Option<&Path>, data_dir: Option<&Path>) -> anyhow::Result<EnterpriseConfig> {
    let data_dir = resolve_data_dir(data_dir)?;
    let (mut loaded, file) = match resolve_config_path(config)? {
        Some(path) => {
            let loaded = decision_gate_mcp::config::load_config_file_in(&path, &data_dir)?;
            let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
            let table: toml::Table = toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
            (loaded, Some(table))
        }
        None => {
            let config = zero_config_in(&data_dir);
            validate_config(&config)?;
            (
                LoadedConfig { config, source: ConfigSource::ZeroConfig, modified: None, data_dir: data_dir.clone() },
                None,
            )
        }
    };
    let settings = match loaded.config.enterprise.take() {
        Some(table) => {
            table.try_into::<EnterpriseSettings>().map_err(|error| anyhow::anyhow!("[enterprise]: {error}"))?
        }
        None => EnterpriseSettings::default(),
    };
    if settings.credential_cache_ttl_ms > 60_000 {
        bail!("[enterprise] credential_cache_ttl_ms must be at most 60000 (revocations must take effect quickly)");
    }
    apply_profile(&mut loaded.config, file.as_ref()).map_err(anyhow::Error::msg)?;
    validate_config(&loaded.config)?;
    let config = EnterpriseConfig { loaded, settings };
    config.database()?;
    Ok(config)
}

fn file_sets(file: Option<&toml::Table>, path: &[&str]) -> bool {
    let Some(mut table) = file else { return false };
    for (index, key) in path.iter().enumerate() {
        match table.get(*key) {
            Some(toml::Value::Table(inner)) if index + 1 < path.len() => table = inner,
            Some(_) if index + 1 == path.len() => return true,
            _ => return false,
        }
    }
    false
}

/// The multi-tenant profile (see the module documentation).
pub fn apply_profile(config: &mut DecisionGateConfig, file: Option<&toml::Table>) -> Result<(), String> {
    if file_sets(file, &["tenancy", "allow_env_provider"]) && config.tenancy.allow_env_provider {
        return Err("[tenancy] allow_env_provider = true is refused: the env provider would read this server's environment for every tenant".to_owned());
    }
    config.tenancy.allow_env_provider = false;
    let builtin = |name: &str, provider: &decision_gate_mcp::config::ProviderConfig| {
        provider.provider_type == ProviderType::Builtin && provider.name == name
    };
    if file_sets(file, &["providers"]) {
        if config.providers.iter().any(|provider| builtin("env", provider)) {
            return Err(
                "[[providers]] env is refused: it would read this server's environment for every tenant".to_owned()
            );
        }
        let shared_json = config.providers.iter().any(|provider| {
            builtin("json", provider)
                && provider
                    .config
                    .as_ref()
                    .and_then(|config| config.get("tenant_roots"))
                    .and_then(|value| value.as_bool())
                    != Some(true)
        });
        if shared_json {
            return Err("[[providers]] json needs config.tenant_roots = true: each tenant and namespace reads only its own directory".to_owned());
        }
    } else {
        config.providers.retain(|provider| !builtin("env", provider));
        for provider in config.providers.iter_mut().filter(|provider| builtin("json", provider)) {
            if let Some(serde_json::Value::Object(settings)) = provider.config.as_mut() {
                settings.insert("tenant_roots".to_owned(), serde_json::Value::Bool(true));
            }
        }
    }
    if !file_sets(file, &["schema_registry", "acl"]) {
        let acl = &mut config.schema_registry.acl;
        acl.mode = AclMode::Custom;
        acl.default = AclEffect::Allow;
        acl.allow_local_only = false;
    }
    if !file_sets(file, &["server", "feedback", "scenario_next", "trace_roles"]) {
        config.server.feedback.scenario_next.trace_roles = TRACE_ROLES.iter().map(|role| (*role).to_owned()).collect();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn the_zero_configuration_profile_becomes_multi_tenant() {
        let mut config = zero_config_in(Path::new("/data"));
        apply_profile(&mut config, None).unwrap();
        let names: Vec<&str> = config.providers.iter().map(|provider| provider.name.as_str()).collect();
        assert_eq!(names, ["time", "json", "http"]);
        let json = config.providers.iter().find(|provider| provider.name == "json").unwrap();
        assert_eq!(json.config.as_ref().unwrap()["tenant_roots"], true);
        assert!(!config.tenancy.allow_env_provider);
        assert_eq!(config.schema_registry.acl.mode, AclMode::Custom);
        assert_eq!(config.schema_registry.acl.default, AclEffect::Allow);
        assert_eq!(config.server.feedback.scenario_next.trace_roles.len(), 6);
    }

    #[test]
    fn a_file_asking_for_shared_environment_or_evidence_is_refused() {
        let mut config = zero_config_in(Path::new("/data"));
        config.tenancy.allow_env_provider = true;
        let refused = apply_profile(&mut config, Some(&file("[tenancy]\nallow_env_provider = true\n"))).unwrap_err();
        assert!(refused.contains("allow_env_provider"), "{refused}");
        let config_with_env = zero_config_in(Path::new("/data"));
        let refused = apply_profile(
            &mut config_with_env.clone(),
            Some(&file("[[providers]]\nname = \"env\"\ntype = \"builtin\"\n")),
        )
        .unwrap_err();
        assert!(refused.contains("env is refused"), "{refused}");
        let mut shared = zero_config_in(Path::new("/data"));
        shared.providers.retain(|provider| provider.name == "json");
        let refused = apply_profile(&mut shared, Some(&file("[[providers]]\nname = \"json\"\ntype = \"builtin\"\n")))
            .unwrap_err();
        assert!(refused.contains("tenant_roots"), "{refused}");
    }

    #[test]
    fn settings_are_strict() {
        let table = file("resource_url = \"https://dg.example/mcp\"\ncredential_cache_ttl_ms = 100\n");
        let settings: EnterpriseSettings = table.try_into().unwrap();
        assert_eq!(settings.resource_url.as_deref(), Some("https://dg.example/mcp"));
        assert!(settings.bootstrap);
        let unknown: Result<EnterpriseSettings, _> = file("resource = \"x\"\n").try_into();
        assert!(unknown.unwrap_err().to_string().contains("unknown field `resource`"));
    }
}
