//! Configuration rules (mcp-surface §11.2, runpacks-and-stores §4.4, §7.2, §7.3, §10.1).
//!
//! Only config-level rules live here: shapes, ranges and cross-field constraints. Checks that
//! need construction (TLS PEM contents, json provider roots, contract files, signature keys,
//! opening SQLite) run at server start. Two rules do touch the filesystem because the
//! specification puts them in the config: a SQLite `path` must not be an existing directory, and
//! `runpack.root_dir` must be absolute (lexical; existence is checked at start).
//!
//! The rules of each group of sections live in a submodule named like the module of its types
//! (`server`, `policy`, `storage`, `providers`); this module runs them in order and holds the
//! checks they share.

mod policy;
mod providers;
mod server;
mod storage;

use std::path::{Component, Path};

use policy::{
    validate_anchors, validate_dev, validate_namespace, validate_policy, validate_trust_policy, validate_validation,
};
use providers::{validate_provider_discovery, validate_providers};
use server::validate_server;
use storage::{validate_runpack, validate_runpack_storage, validate_schema_registry, validate_store};

use super::{ConfigError, DecisionGateConfig};

/// Longest path, in bytes (characters for the configuration path itself).
pub(super) const MAX_PATH_BYTES: usize = 4096;
/// Longest path component.
const MAX_COMPONENT_BYTES: usize = 255;
const CONNECT_TIMEOUT_MS: (u64, u64) = (100, 10_000);
const REQUEST_TIMEOUT_MS: (u64, u64) = (500, 30_000);

type Rule = Result<(), String>;

/// Checks every config-level rule; the first violation is returned as
/// [`ConfigError::Invalid`] whose reason names the offending key, e.g.
/// `invalid config: server.max_body_bytes must be greater than 0`.
pub fn validate_config(config: &DecisionGateConfig) -> Result<(), ConfigError> {
    validate_all(config).map_err(ConfigError::Invalid)
}

fn validate_all(config: &DecisionGateConfig) -> Rule {
    validate_server(&config.server)?;
    validate_namespace(config)?;
    validate_dev(config)?;
    validate_trust_policy("trust.default_policy", &config.trust.default_policy)?;
    validate_anchors(&config.anchors.providers)?;
    validate_provider_discovery(config)?;
    validate_validation(config)?;
    validate_policy(config)?;
    validate_store("run_state_store", &config.run_state_store)?;
    validate_schema_registry(config)?;
    validate_runpack(config)?;
    if let Some(storage) = &config.runpack_storage {
        validate_runpack_storage(storage)?;
    }
    if !config.tenancy.allow_env_provider
        && let Some(index) = config.providers.iter().position(|provider| {
            provider.provider_type == crate::config::ProviderType::Builtin && provider.name == "env"
        })
    {
        return Err(format!(
            "providers[{index}]: the env provider reads the server's environment and is disabled by tenancy.allow_env_provider = false"
        ));
    }
    validate_providers(&config.providers)
}

// ---------------------------------------------------------------------------------------------
// Shared checks

fn non_blank(key: &str, value: &str) -> Rule {
    if value.trim().is_empty() { Err(format!("{key} must not be blank")) } else { Ok(()) }
}

/// Non-blank and without surrounding whitespace (identifiers matched exactly).
fn trimmed_name(key: &str, value: &str) -> Rule {
    non_blank(key, value)?;
    if value.trim() != value {
        return Err(format!("{key} `{value}` must not have leading or trailing whitespace"));
    }
    Ok(())
}

fn max_entries(key: &str, len: usize, max: usize) -> Rule {
    if len > max { Err(format!("{key} has {len} entries (at most {max})")) } else { Ok(()) }
}

fn in_range<T: PartialOrd + std::fmt::Display>(key: &str, value: T, (min, max): (T, T)) -> Rule {
    if value < min || value > max {
        Err(format!("{key} must be between {min} and {max} (got {value})"))
    } else {
        Ok(())
    }
}

/// "Path-checked": trimmed non-empty, at most 4096 bytes, every component at most 255 bytes.
fn check_path(key: &str, path: &Path) -> Rule {
    let text = path.as_os_str();
    if text.to_string_lossy().trim().is_empty() {
        return Err(format!("{key} must not be empty"));
    }
    if text.len() > MAX_PATH_BYTES {
        return Err(format!("{key} is longer than {MAX_PATH_BYTES} bytes"));
    }
    check_path_shape(key, path, |component| component.len())
}

/// Every normal component of `path` measures at most 255 (in the unit `measure` uses).
pub(super) fn check_path_shape(key: &str, path: &Path, measure: impl Fn(&std::ffi::OsStr) -> usize) -> Rule {
    for component in path.components() {
        if let Component::Normal(name) = component
            && measure(name) > MAX_COMPONENT_BYTES
        {
            return Err(format!("{key} has a path component longer than {MAX_COMPONENT_BYTES}"));
        }
    }
    Ok(())
}
