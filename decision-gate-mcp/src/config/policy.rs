//! Policy sections: `[tenancy]`, `[namespace]`, `[dev]`, `[trust]`, `[evidence]`, `[anchors]`,
//! `[validation]` and `[policy]` (which tenants and namespaces are served, which evidence is
//! trusted, what may be disclosed).

use std::path::PathBuf;

use decision_gate_core::disclosure::StaticPolicy;
use decision_gate_core::evidence::{AnchorRequirement, EvidenceAnchorPolicy, ProviderAnchorPolicy, TrustLane};
use serde::{Deserialize, Serialize};

/// `[tenancy]`: the open-source default tenant resolver serves exactly these tenants (default
/// `[1]`); an empty list serves every tenant. A call that names no tenant acts on the caller's
/// single bound tenant, else the single served tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct TenancyConfig {
    /// Served tenant ids (>= 1).
    pub tenants: Vec<u64>,
    /// Whether the `env` provider may be configured. It reads the server's own environment,
    /// which no tenant of a shared deployment should see: set `false` there.
    pub allow_env_provider: bool,
}

impl Default for TenancyConfig {
    fn default() -> Self {
        TenancyConfig { tenants: vec![1], allow_env_provider: true }
    }
}

/// `[namespace]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct NamespaceConfig {
    /// Whether namespace 1 may be used at all.
    pub allow_default: bool,
    /// Tenants allowed to use namespace 1.
    pub default_tenants: Vec<u64>,
    /// `[namespace.authority]`.
    pub authority: NamespaceAuthorityConfig,
}

/// Namespace authority mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum NamespaceAuthorityMode {
    /// No external check (`dg_registry`).
    #[default]
    None,
    /// Ask an AssetCore-compatible catalogue over HTTP (`assetcore_catalog`).
    AssetcoreHttp,
}

/// `[namespace.authority]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct NamespaceAuthorityConfig {
    /// Mode.
    pub mode: NamespaceAuthorityMode,
    /// `[namespace.authority.assetcore]`.
    pub assetcore: Option<AssetcoreAuthorityConfig>,
}

/// `[namespace.authority.assetcore]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetcoreAuthorityConfig {
    /// Base URL of the catalogue.
    pub base_url: String,
    /// Optional bearer token.
    #[serde(default)]
    pub auth_token: Option<String>,
    /// Connect timeout (100..=10000 ms).
    #[serde(default = "default_assetcore_connect")]
    pub connect_timeout_ms: u64,
    /// Request timeout (500..=30000 ms).
    #[serde(default = "default_assetcore_request")]
    pub request_timeout_ms: u64,
}

fn default_assetcore_connect() -> u64 {
    500
}

fn default_assetcore_request() -> u64 {
    2000
}

/// `[dev]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct DevConfig {
    /// Dev-permissive mode: asserted evidence satisfies gates except for exempt providers.
    pub permissive: bool,
    /// Only `asserted_evidence_only`.
    pub permissive_scope: String,
    /// Warning after this many days since the config file changed.
    pub permissive_ttl_days: Option<u64>,
    /// Whether to print the dev-permissive warning.
    pub permissive_warn: bool,
    /// Providers that keep the strict lane in dev-permissive mode.
    pub permissive_exempt_providers: Vec<String>,
}

impl Default for DevConfig {
    fn default() -> Self {
        DevConfig {
            permissive: false,
            permissive_scope: "asserted_evidence_only".to_owned(),
            permissive_ttl_days: None,
            permissive_warn: true,
            permissive_exempt_providers: vec!["assetcore_read".to_owned(), "assetcore".to_owned()],
        }
    }
}

/// Provider trust policy: `"audit"` or `{ require_signature = { keys = [...] } }`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum TrustPolicyConfig {
    /// Unsigned evidence accepted.
    #[default]
    Audit,
    /// Evidence must be signed by one of the keys.
    RequireSignature {
        /// Ed25519 public keys.
        keys: Vec<SignatureKeyConfig>,
    },
}

/// An evidence public key: a path (whose text is also the key id) or `{key_id, path}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SignatureKeyConfig {
    /// Decision Gate OSS form: the path string is the key id.
    Path(PathBuf),
    /// Explicit key id.
    Named {
        /// Key id evidence signatures name.
        key_id: String,
        /// File with the 32-byte public key (raw or base64 text).
        path: PathBuf,
    },
}

/// `[trust]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct TrustConfig {
    /// Default provider trust policy.
    pub default_policy: TrustPolicyConfig,
    /// Global minimum lane.
    pub min_lane: TrustLane,
}

impl Default for TrustConfig {
    fn default() -> Self {
        TrustConfig { default_policy: TrustPolicyConfig::Audit, min_lane: TrustLane::Verified }
    }
}

/// `[evidence]`: disclosure of raw evidence values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct EvidenceDisclosureConfig {
    /// Whether raw values may be returned at all.
    pub allow_raw_values: bool,
    /// Whether providers must also opt in (`allow_raw`).
    pub require_provider_opt_in: bool,
}

impl Default for EvidenceDisclosureConfig {
    fn default() -> Self {
        EvidenceDisclosureConfig { allow_raw_values: false, require_provider_opt_in: true }
    }
}

/// `[[anchors.providers]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnchorProviderConfig {
    /// Anchored provider.
    pub provider_id: String,
    /// Required anchor type.
    pub anchor_type: String,
    /// Required fields.
    pub required_fields: Vec<String>,
}

/// `[anchors]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct AnchorsConfig {
    /// Per-provider requirements.
    pub providers: Vec<AnchorProviderConfig>,
}

impl AnchorsConfig {
    /// The configured requirements as the engine's normalised anchor policy.
    pub fn policy(&self) -> EvidenceAnchorPolicy {
        EvidenceAnchorPolicy {
            providers: self
                .providers
                .iter()
                .map(|entry| ProviderAnchorPolicy {
                    provider_id: entry.provider_id.clone().into(),
                    requirement: AnchorRequirement {
                        anchor_type: entry.anchor_type.clone(),
                        required_fields: entry.required_fields.clone(),
                    },
                })
                .collect(),
        }
        .normalized()
    }
}

/// `[validation]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct ValidationConfig {
    /// Strict comparator/type and structural validation.
    pub strict: bool,
    /// Only `strict_core_v1`.
    pub profile: String,
    /// Required to turn `strict` off.
    pub allow_permissive: bool,
    /// Allow the `lex_*` comparators (with schema opt-in).
    pub enable_lexicographic: bool,
    /// Allow the `deep_*` comparators (with schema opt-in).
    pub enable_deep_equals: bool,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig {
            strict: true,
            profile: "strict_core_v1".to_owned(),
            allow_permissive: false,
            enable_lexicographic: false,
            enable_deep_equals: false,
        }
    }
}

/// Packet dispatch policy engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "snake_case")]
pub enum PolicyEngine {
    /// Permit every disclosure.
    #[default]
    PermitAll,
    /// Deny every disclosure.
    DenyAll,
    /// Ordered static rules (`[policy.static]`).
    Static,
}

/// `[policy]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct PolicyConfig {
    /// Engine.
    pub engine: PolicyEngine,
    /// `[policy.static]`, required iff the engine is `static`.
    #[serde(rename = "static")]
    pub static_policy: Option<StaticPolicy>,
}
