//! Rules of the storage sections: `[run_state_store]`, `[schema_registry]`, `[runpack]` and
//! `[runpack_storage]`.

use std::collections::BTreeSet;

use super::{MAX_COMPONENT_BYTES, MAX_PATH_BYTES, Rule, check_path, in_range, max_entries, non_blank};
use crate::config::{DecisionGateConfig, RunpackStorageConfig, StoreConfig, StoreType};

const MAX_ACL_RULES: usize = 256;
const MAX_SCHEMA_BYTES: usize = 10 * 1024 * 1024;

pub(super) fn validate_store(key: &str, store: &StoreConfig) -> Rule {
    match (store.store_type, &store.path) {
        (StoreType::Memory, Some(_)) => return Err(format!("{key}.path is not allowed when {key}.type is memory")),
        (StoreType::Memory, None) => {}
        (StoreType::Sqlite, None) => return Err(format!("{key}.path is required when {key}.type is sqlite")),
        (StoreType::Sqlite, Some(path)) => {
            check_path(&format!("{key}.path"), path)?;
            if path.is_dir() {
                return Err(format!("{key}.path {} is an existing directory", path.display()));
            }
        }
    }
    // SQLite takes the busy timeout as a C int of milliseconds.
    if store.busy_timeout_ms > i32::MAX as u64 {
        return Err(format!("{key}.busy_timeout_ms must be at most {}", i32::MAX));
    }
    if store.max_versions == Some(0) {
        return Err(format!("{key}.max_versions must be at least 1"));
    }
    Ok(())
}

pub(super) fn validate_schema_registry(config: &DecisionGateConfig) -> Rule {
    let registry = &config.schema_registry;
    validate_store("schema_registry", &registry.store)?;
    in_range("schema_registry.max_schema_bytes", registry.max_schema_bytes, (1, MAX_SCHEMA_BYTES))?;
    if registry.max_entries == Some(0) {
        return Err("schema_registry.max_entries must be at least 1".to_owned());
    }
    max_entries("schema_registry.acl.rules", registry.acl.rules.len(), MAX_ACL_RULES)
}

pub(super) fn validate_runpack(config: &DecisionGateConfig) -> Rule {
    let runpack = &config.runpack;
    if let Some(root) = &runpack.root_dir {
        check_path("runpack.root_dir", root)?;
        if !root.is_absolute() {
            return Err(format!("runpack.root_dir must be an absolute path (got `{}`)", root.display()));
        }
    }
    if let Some(signing) = &runpack.signing {
        non_blank("runpack.signing.key_id", &signing.key_id)?;
        check_path("runpack.signing.private_key_path", &signing.private_key_path)?;
    }
    let mut key_ids = BTreeSet::new();
    for (index, trusted) in runpack.verify.trusted_keys.iter().enumerate() {
        let key = format!("runpack.verify.trusted_keys[{index}]");
        non_blank(&format!("{key}.key_id"), &trusted.key_id)?;
        if !key_ids.insert(trusted.key_id.as_str()) {
            return Err(format!("{key}.key_id `{}` is listed more than once", trusted.key_id));
        }
        check_path(&format!("{key}.public_key_path"), &trusted.public_key_path)?;
    }
    Ok(())
}

pub(super) fn validate_runpack_storage(storage: &RunpackStorageConfig) -> Rule {
    non_blank("runpack_storage.bucket", &storage.bucket)?;
    if let Some(endpoint) = &storage.endpoint {
        if endpoint.starts_with("http://") {
            if !storage.allow_http {
                return Err(
                    "runpack_storage.endpoint uses http:// and requires runpack_storage.allow_http = true".to_owned()
                );
            }
        } else if !endpoint.starts_with("https://") {
            return Err("runpack_storage.endpoint must start with https:// or http://".to_owned());
        }
    }
    if let Some(prefix) = &storage.prefix {
        let key = "runpack_storage.prefix";
        if prefix.trim().is_empty() {
            return Err(format!("{key} must not be blank when set"));
        }
        if prefix.contains('\\') {
            return Err(format!("{key} must not contain `\\`"));
        }
        if prefix.len() > MAX_PATH_BYTES {
            return Err(format!("{key} is longer than {MAX_PATH_BYTES} bytes"));
        }
        if prefix.starts_with('/') {
            return Err(format!("{key} must not start with `/`"));
        }
        let stripped = prefix.strip_suffix('/').unwrap_or(prefix);
        for component in stripped.split('/') {
            if component.is_empty() || component == "." || component == ".." {
                return Err(format!("{key} components must be non-empty names other than `.` and `..`"));
            }
            if component.len() > MAX_COMPONENT_BYTES {
                return Err(format!("{key} has a component longer than {MAX_COMPONENT_BYTES} bytes"));
            }
        }
    }
    Ok(())
}
