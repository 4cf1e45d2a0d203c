//! `decision-gate.toml`: every section of mcp-surface §11 and runpacks-and-stores §4, §7, §10.
//!
//! Types here only describe and parse the file (unknown keys are refused); they live in one
//! module per group of sections (`server`, `policy`, `storage`, `providers`) and are re-exported
//! here. Cross-field rules live in `validate`, file loading in `load`, and the
//! zero-configuration profile in `zero`.

mod diagnostics;
mod layer;
mod load;
mod policy;
mod providers;
mod server;
mod storage;
#[cfg(test)]
mod tests;
mod validate;
mod zero;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use load::{
    CONFIG_ENV_VAR, ConfigError, ConfigSource, DATA_DIR_ENV_VAR, DEFAULT_CONFIG_FILE, DEFAULT_DATA_DIR, LoadedConfig,
    MAX_CONFIG_FILE_BYTES, load_config, load_config_file, load_config_file_in, load_config_in, parse_config,
    parse_layered_config, resolve_config_path, resolve_data_dir,
};
pub use policy::{
    AnchorProviderConfig, AnchorsConfig, AssetcoreAuthorityConfig, DevConfig, EvidenceDisclosureConfig,
    NamespaceAuthorityConfig, NamespaceAuthorityMode, NamespaceConfig, PolicyConfig, PolicyEngine, SignatureKeyConfig,
    TenancyConfig, TrustConfig, TrustPolicyConfig, ValidationConfig,
};
pub use providers::{ProviderAuthConfig, ProviderConfig, ProviderDiscoveryConfig, ProviderTimeouts, ProviderType};
pub use server::{
    AuditConfig, AuthConfig, AuthMode, FeedbackConfig, FeedbackLevel, HttpConfig, LimitsConfig, MetricsConfig,
    MtlsIdentity, PrincipalConfig, RateLimitBucket, RateLimitConfig, RoleBinding, ScenarioNextFeedbackConfig,
    ServerConfig, ServerMode, SessionsConfig, StdioFraming, TlsConfig, TlsTermination, ToolVisibilityConfig,
    ToolVisibilityMode, TransportKind,
};
pub use storage::{
    AclEffect, AclMode, AclRule, JournalMode, ObjectStoreProvider, RegistryAclConfig, RegistryAction, RunpackConfig,
    RunpackSigningConfig, RunpackStorageConfig, RunpackStorageType, RunpackVerifyConfig, SchemaRegistryConfig,
    StoreConfig, StoreType, SyncMode, TrustedKeyConfig,
};
pub use validate::validate_config;
pub use zero::{EVIDENCE_DIR, apply_http_override, zero_config, zero_config_in};

/// The whole configuration file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct DecisionGateConfig {
    /// `[server]`.
    pub server: ServerConfig,
    /// `[namespace]`.
    pub namespace: NamespaceConfig,
    /// `[dev]`.
    pub dev: DevConfig,
    /// `[trust]`.
    pub trust: TrustConfig,
    /// `[evidence]`.
    pub evidence: EvidenceDisclosureConfig,
    /// `[anchors]`.
    pub anchors: AnchorsConfig,
    /// `[provider_discovery]`.
    pub provider_discovery: ProviderDiscoveryConfig,
    /// `[validation]`.
    pub validation: ValidationConfig,
    /// `[policy]` (packet dispatch policy).
    pub policy: PolicyConfig,
    /// `[run_state_store]` (run states and scenario definitions).
    pub run_state_store: StoreConfig,
    /// `[schema_registry]`.
    pub schema_registry: SchemaRegistryConfig,
    /// `[runpack]`.
    pub runpack: RunpackConfig,
    /// `[runpack_storage]` (object store for runpacks; absent = filesystem under `runpack.root_dir`).
    pub runpack_storage: Option<RunpackStorageConfig>,
    /// `[[providers]]`.
    pub providers: Vec<ProviderConfig>,
    /// `[tenancy]`: tenants served by the default tenant resolver.
    pub tenancy: TenancyConfig,
    /// `[client]`: the Decision Gate OSS client's profiles, kept in the same file (not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<toml::Table>,
    /// `[docs]`: a Decision Gate OSS table this server does not build (not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs: Option<toml::Table>,
    /// `[enterprise]`: settings read by `decision-gate-enterprise` (which checks them itself);
    /// the open-core binary refuses a file that sets them rather than ignore them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<toml::Table>,
}

impl DecisionGateConfig {
    /// Whether dev-permissive mode is on (either spelling).
    pub fn dev_permissive(&self) -> bool {
        self.dev.permissive || self.server.mode == ServerMode::DevPermissive
    }

    /// The runpack security label of the namespace authority mode.
    pub fn namespace_authority_label(&self) -> &'static str {
        match self.namespace.authority.mode {
            NamespaceAuthorityMode::None => "dg_registry",
            NamespaceAuthorityMode::AssetcoreHttp => "assetcore_catalog",
        }
    }

    /// Per-provider raw-disclosure opt-ins by provider id.
    pub fn provider_allow_raw(&self) -> BTreeMap<String, bool> {
        self.providers.iter().map(|provider| (provider.name.clone(), provider.allow_raw)).collect()
    }
}
