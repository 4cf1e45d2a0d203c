//! A configuration file layered on the zero-configuration profile: what the file leaves out
//! keeps its zero-config value, so a three-line file that only sets the transport still has the
//! SQLite store under the data directory, the built-in providers and the local principals.
//!
//! Rules (on TOML tables): tables merge key by key, recursively; a value the file gives replaces
//! the profile's, arrays included (a file that lists `[[providers]]` lists all of them). A table
//! of the file that names a store `type` takes none of the profile's other plain values beside
//! it (a file asking for `type = "memory"` does not inherit the profile's SQLite `path`); its
//! sub-tables still merge.

use std::path::Path;

use toml::{Table, Value};

use super::ConfigError;

/// `file` layered on the zero-configuration profile of `data_dir`.
pub fn layer_on_zero_config(file: Table, data_dir: &Path) -> Result<Table, ConfigError> {
    let mut profile = super::zero_config_in(data_dir);
    if file.get("tenancy").and_then(|tenancy| tenancy.get("allow_env_provider")).and_then(Value::as_bool) == Some(false)
    {
        // The profile's `env` provider is the one thing a shared deployment must not inherit.
        profile.providers.retain(|provider| provider.name != "env");
    }
    let mut base = Table::try_from(&profile)
        .map_err(|err| ConfigError::Invalid(format!("zero-configuration profile cannot be layered: {err}")))?;
    merge(&mut base, file);
    Ok(base)
}

fn merge(base: &mut Table, file: Table) {
    if file.contains_key("type") {
        base.retain(|_, value| value.is_table());
    }
    for (key, value) in file {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(existing)), Value::Table(table)) => merge(existing, table),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DecisionGateConfig, StoreType, TransportKind, parse_layered_config};

    fn layered(text: &str) -> DecisionGateConfig {
        parse_layered_config(text, Path::new("/srv/dg")).unwrap()
    }

    #[test]
    fn a_file_that_sets_only_the_transport_keeps_the_zero_config_profile() {
        let config = layered("[server]\ntransport = \"http\"\nbind = \"127.0.0.1:8080\"\n");
        assert_eq!(config.server.transport, TransportKind::Http);
        assert_eq!(config.run_state_store.store_type, StoreType::Sqlite);
        assert_eq!(config.run_state_store.path.as_deref(), Some(Path::new("/srv/dg/decision-gate.db")));
        assert_eq!(config.schema_registry.store.path.as_deref(), Some(Path::new("/srv/dg/decision-gate.db")));
        let providers: Vec<&str> = config.providers.iter().map(|provider| provider.name.as_str()).collect();
        assert_eq!(providers, ["time", "env", "json", "http"]);
        assert!(config.namespace.allow_default);
        assert_eq!(config.server.auth.principals.len(), 2, "local principals kept");
        assert_eq!(config.runpack.root_dir.as_deref(), Some(Path::new("/srv/dg/runpacks")));
        assert_eq!(config.server.audit.path.as_deref(), Some(Path::new("/srv/dg/audit.jsonl")));
        assert!(config.schema_registry.acl.allow_local_only);
    }

    #[test]
    fn memory_stays_available_when_asked_for() {
        let config = layered("[run_state_store]\ntype = \"memory\"\n\n[schema_registry]\ntype = \"memory\"\n");
        assert_eq!((config.run_state_store.store_type, config.run_state_store.path), (StoreType::Memory, None));
        assert_eq!(config.schema_registry.store.store_type, StoreType::Memory);
        assert_eq!(config.schema_registry.store.path, None);
        assert!(config.schema_registry.acl.allow_local_only, "sub-tables still merge");
    }

    #[test]
    fn given_values_and_lists_replace_the_profiles() {
        let config = layered(
            "[[providers]]\nname = \"time\"\ntype = \"builtin\"\n\n[namespace]\ndefault_tenants = [1, 2]\n\n[tenancy]\ntenants = [1, 2]\n",
        );
        assert_eq!(config.providers.len(), 1);
        assert_eq!(config.namespace.default_tenants, [1, 2]);
        assert!(config.namespace.allow_default, "siblings kept");
        let shared = layered("[tenancy]\nallow_env_provider = false\n");
        let providers: Vec<&str> = shared.providers.iter().map(|provider| provider.name.as_str()).collect();
        assert_eq!(providers, ["time", "json", "http"], "a shared deployment does not inherit env");
    }
}
