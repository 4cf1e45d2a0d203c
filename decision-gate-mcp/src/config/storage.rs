//! Storage sections: `[run_state_store]`, `[schema_registry]`, `[runpack]` and
//! `[runpack_storage]` (runpacks-and-stores §4, §7).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Store backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum StoreType {
    /// In process memory.
    #[default]
    Memory,
    /// An SQLite file.
    Sqlite,
}

/// SQLite journal mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum JournalMode {
    /// Write-ahead log.
    #[default]
    Wal,
    /// Rollback journal.
    Delete,
}

/// SQLite synchronous mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// fsync on every commit.
    #[default]
    Full,
    /// Fewer fsyncs (WAL checkpoints only).
    Normal,
}

/// `[run_state_store]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct StoreConfig {
    /// Backend.
    #[serde(rename = "type")]
    pub store_type: StoreType,
    /// SQLite file (required for sqlite, forbidden for memory).
    pub path: Option<PathBuf>,
    /// SQLite busy timeout.
    pub busy_timeout_ms: u64,
    /// SQLite journal mode.
    pub journal_mode: JournalMode,
    /// SQLite synchronous mode.
    pub sync_mode: SyncMode,
    /// Versions kept per run (>= 1; unlimited when absent).
    pub max_versions: Option<u64>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            store_type: StoreType::Memory,
            path: None,
            busy_timeout_ms: 5000,
            journal_mode: JournalMode::Wal,
            sync_mode: SyncMode::Full,
            max_versions: None,
        }
    }
}

/// Schema registry ACL mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum AclMode {
    /// Role-based built-in rules.
    #[default]
    Builtin,
    /// Ordered custom rules.
    Custom,
}

/// Effect of an ACL rule or default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum AclEffect {
    /// Allow.
    Allow,
    /// Deny (default).
    #[default]
    Deny,
}

/// Registry action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum RegistryAction {
    /// `schemas_register`.
    Register,
    /// `schemas_list`.
    List,
    /// `schemas_get` and precheck.
    Get,
}

/// A custom ACL rule: every non-empty dimension must match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AclRule {
    /// Effect.
    pub effect: AclEffect,
    /// Actions.
    #[serde(default)]
    pub actions: Vec<RegistryAction>,
    /// Tenants.
    #[serde(default)]
    pub tenants: Vec<u64>,
    /// Namespaces.
    #[serde(default)]
    pub namespaces: Vec<u64>,
    /// Principal ids.
    #[serde(default)]
    pub subjects: Vec<String>,
    /// Roles held in scope.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Policy classes (exact, case-sensitive).
    #[serde(default)]
    pub policy_classes: Vec<String>,
}

/// `[schema_registry.acl]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct RegistryAclConfig {
    /// Mode.
    pub mode: AclMode,
    /// Custom-mode default.
    pub default: AclEffect,
    /// Builtin mode: local callers are always allowed.
    pub allow_local_only: bool,
    /// Registrations must carry signing metadata.
    pub require_signing: bool,
    /// Custom rules (<= 256).
    pub rules: Vec<AclRule>,
}

/// `[schema_registry]`. The store keys sit directly in the table; the file form is
/// [`SchemaRegistryTable`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SchemaRegistryTable", into = "SchemaRegistryTable")]
pub struct SchemaRegistryConfig {
    /// Backend and SQLite settings.
    pub store: StoreConfig,
    /// Largest canonical schema (1..=10 MiB).
    pub max_schema_bytes: usize,
    /// Entries per (tenant, namespace).
    pub max_entries: Option<usize>,
    /// `[schema_registry.acl]`.
    pub acl: RegistryAclConfig,
}

impl Default for SchemaRegistryConfig {
    fn default() -> Self {
        SchemaRegistryConfig {
            store: StoreConfig::default(),
            max_schema_bytes: 1_048_576,
            max_entries: None,
            acl: RegistryAclConfig::default(),
        }
    }
}

/// The file form of `[schema_registry]` (flat store keys, unknown keys refused; serde's
/// `flatten` cannot refuse them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchemaRegistryTable {
    /// Backend.
    #[serde(rename = "type")]
    pub store_type: StoreType,
    /// SQLite file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// SQLite busy timeout.
    pub busy_timeout_ms: u64,
    /// SQLite journal mode.
    pub journal_mode: JournalMode,
    /// SQLite synchronous mode.
    pub sync_mode: SyncMode,
    /// Versions kept per run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_versions: Option<u64>,
    /// Largest canonical schema.
    pub max_schema_bytes: usize,
    /// Entries per (tenant, namespace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_entries: Option<usize>,
    /// `[schema_registry.acl]`.
    pub acl: RegistryAclConfig,
}

impl Default for SchemaRegistryTable {
    fn default() -> Self {
        SchemaRegistryConfig::default().into()
    }
}

impl From<SchemaRegistryTable> for SchemaRegistryConfig {
    fn from(table: SchemaRegistryTable) -> Self {
        SchemaRegistryConfig {
            store: StoreConfig {
                store_type: table.store_type,
                path: table.path,
                busy_timeout_ms: table.busy_timeout_ms,
                journal_mode: table.journal_mode,
                sync_mode: table.sync_mode,
                max_versions: table.max_versions,
            },
            max_schema_bytes: table.max_schema_bytes,
            max_entries: table.max_entries,
            acl: table.acl,
        }
    }
}

impl From<SchemaRegistryConfig> for SchemaRegistryTable {
    fn from(config: SchemaRegistryConfig) -> Self {
        let StoreConfig { store_type, path, busy_timeout_ms, journal_mode, sync_mode, max_versions } = config.store;
        SchemaRegistryTable {
            store_type,
            path,
            busy_timeout_ms,
            journal_mode,
            sync_mode,
            max_versions,
            max_schema_bytes: config.max_schema_bytes,
            max_entries: config.max_entries,
            acl: config.acl,
        }
    }
}

/// `[runpack.signing]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunpackSigningConfig {
    /// Key id written into manifests.
    pub key_id: String,
    /// File with the 32-byte Ed25519 seed (raw or base64 text).
    pub private_key_path: PathBuf,
}

/// A trusted runpack verification key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedKeyConfig {
    /// Key id.
    pub key_id: String,
    /// File with the 32-byte public key (raw or base64 text).
    pub public_key_path: PathBuf,
}

/// `[runpack.verify]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct RunpackVerifyConfig {
    /// Trusted signing keys.
    pub trusted_keys: Vec<TrustedKeyConfig>,
    /// Unsigned v2 runpacks fail.
    pub require_signature: bool,
    /// Decision Gate OSS v1 runpacks are verified (as legacy).
    pub allow_legacy_v1: bool,
}

impl Default for RunpackVerifyConfig {
    fn default() -> Self {
        RunpackVerifyConfig { trusted_keys: Vec::new(), require_signature: false, allow_legacy_v1: true }
    }
}

/// `[runpack]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct RunpackConfig {
    /// Absolute existing directory under which runpacks are written and read.
    pub root_dir: Option<PathBuf>,
    /// `[runpack.signing]`.
    pub signing: Option<RunpackSigningConfig>,
    /// `[runpack.verify]`.
    pub verify: RunpackVerifyConfig,
}

/// `runpack_storage.type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum RunpackStorageType {
    /// An object store (the only variant).
    ObjectStore,
}

/// `runpack_storage.provider`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum ObjectStoreProvider {
    /// Amazon S3 or an S3-compatible store (the only provider).
    S3,
}

/// `[runpack_storage]` (runpacks-and-stores §7.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunpackStorageConfig {
    /// Backend kind.
    #[serde(rename = "type")]
    pub storage_type: RunpackStorageType,
    /// Object store provider.
    pub provider: ObjectStoreProvider,
    /// Bucket (non-blank).
    pub bucket: String,
    /// Region (overrides the environment region).
    #[serde(default)]
    pub region: Option<String>,
    /// Endpoint URL (`https://`, or `http://` with `allow_http`).
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Key prefix; use [`RunpackStorageConfig::normalized_prefix`] for the stored form.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Path-style addressing (S3-compatible stores).
    #[serde(default)]
    pub force_path_style: bool,
    /// Opt-in for `http://` endpoints.
    #[serde(default)]
    pub allow_http: bool,
}

impl RunpackStorageConfig {
    /// The root prefix as keys use it: `<prefix>/` with one trailing `/` of the configured value
    /// stripped first; empty when no prefix is configured. Only meaningful after validation.
    pub fn normalized_prefix(&self) -> String {
        match &self.prefix {
            Some(prefix) => format!("{}/", prefix.strip_suffix('/').unwrap_or(prefix)),
            None => String::new(),
        }
    }
}
