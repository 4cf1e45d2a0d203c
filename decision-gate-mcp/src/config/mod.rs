//! `decision-gate.toml`: every section of mcp-surface §11 and runpacks-and-stores §4, §7, §10.
//!
//! Types here only describe and parse the file (unknown keys are ignored). Cross-field rules
//! live in `validate`, file loading in `load`, and the zero-configuration profile in `zero`.

mod load;
#[cfg(test)]
mod tests;
mod validate;
mod zero;

use std::collections::BTreeMap;
use std::path::PathBuf;

use decision_gate_core::disclosure::StaticPolicy;
use decision_gate_core::evidence::TrustLane;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use load::{
    CONFIG_ENV_VAR, ConfigError, ConfigSource, DEFAULT_CONFIG_FILE, LoadedConfig, MAX_CONFIG_FILE_BYTES, load_config,
    load_config_file, parse_config, resolve_config_path,
};
pub use validate::{KNOWN_TOOL_NAMES, validate_config};
pub use zero::{apply_http_override, zero_config, zero_config_in};

/// The whole configuration file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
}

/// `[tenancy]`: the open-source default tenant resolver serves exactly these tenants (default
/// `[1]`); an empty list serves every tenant. Calls that name no tenant are always denied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TenancyConfig {
    /// Served tenant ids (>= 1).
    pub tenants: Vec<u64>,
}

impl Default for TenancyConfig {
    fn default() -> Self {
        TenancyConfig { tenants: vec![1] }
    }
}

/// `server.transport`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    /// MCP over stdin/stdout.
    #[default]
    Stdio,
    /// HTTP routes (`/mcp`, `/rpc`, health, readiness, metrics).
    Http,
    /// As `http`, but `/rpc` answers as one server-sent event.
    Sse,
}

/// `server.mode` (legacy alias for dev-permissive).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerMode {
    /// Normal operation.
    #[default]
    Strict,
    /// Same as `dev.permissive = true`.
    DevPermissive,
}

/// Where TLS is terminated (consulted by the exposure policy only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsTermination {
    /// In this process (`[server.tls]`).
    #[default]
    Server,
    /// By a proxy in front of the server.
    Upstream,
}

/// stdio framing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StdioFraming {
    /// MCP: one JSON-RPC message per line.
    #[default]
    Newline,
    /// Decision Gate OSS compatibility: `Content-Length` headers and the OSS dialect.
    ContentLength,
}

/// `[server]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// Transport.
    pub transport: TransportKind,
    /// Strict or dev-permissive (legacy alias).
    pub mode: ServerMode,
    /// Where TLS terminates.
    pub tls_termination: TlsTermination,
    /// `ip:port` for HTTP transports.
    pub bind: Option<String>,
    /// Largest request body (and stdio line).
    pub max_body_bytes: usize,
    /// stdio framing.
    pub stdio_framing: StdioFraming,
    /// `[server.limits]`.
    pub limits: LimitsConfig,
    /// `[server.http]`.
    pub http: HttpConfig,
    /// `[server.sessions]`.
    pub sessions: SessionsConfig,
    /// `[server.metrics]`.
    pub metrics: MetricsConfig,
    /// `[server.tls]`.
    pub tls: Option<TlsConfig>,
    /// `[server.audit]`.
    pub audit: AuditConfig,
    /// `[server.feedback]`.
    pub feedback: FeedbackConfig,
    /// `[server.tools]`.
    pub tools: ToolVisibilityConfig,
    /// `[server.auth]`.
    pub auth: AuthConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            transport: TransportKind::Stdio,
            mode: ServerMode::Strict,
            tls_termination: TlsTermination::Server,
            bind: None,
            max_body_bytes: 1_048_576,
            stdio_framing: StdioFraming::Newline,
            limits: LimitsConfig::default(),
            http: HttpConfig::default(),
            sessions: SessionsConfig::default(),
            metrics: MetricsConfig::default(),
            tls: None,
            audit: AuditConfig::default(),
            feedback: FeedbackConfig::default(),
            tools: ToolVisibilityConfig::default(),
            auth: AuthConfig::default(),
        }
    }
}

/// `[server.limits]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitsConfig {
    /// Concurrent requests across transports.
    pub max_inflight: usize,
    /// Token-bucket rate limits; absent = off.
    pub rate_limit: Option<RateLimitConfig>,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig { max_inflight: 256, rate_limit: None }
    }
}

/// One token-bucket layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitBucket {
    /// Bucket capacity (1..=100000).
    pub max_requests: u32,
    /// Time to refill an empty bucket in ms (100..=60000).
    pub window_ms: u64,
    /// Tracked keys (1..=65536).
    pub max_entries: usize,
}

impl Default for RateLimitBucket {
    fn default() -> Self {
        RateLimitBucket { max_requests: 1000, window_ms: 1000, max_entries: 4096 }
    }
}

/// `[server.limits.rate_limit]`: the principal layer, with an optional IP-layer override.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitConfig {
    /// Principal-layer bucket (also the IP layer unless `per_ip` is set).
    #[serde(flatten)]
    pub bucket: RateLimitBucket,
    /// `[server.limits.rate_limit.per_ip]`.
    pub per_ip: Option<RateLimitBucket>,
}

/// `[server.http]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Exact allowed `Origin` values; empty refuses every browser origin.
    pub allowed_origins: Vec<String>,
}

/// `[server.sessions]` (handshake-era session ids).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionsConfig {
    /// Lifetime of a session id.
    pub idle_timeout_ms: u64,
    /// File with at least 32 bytes of MAC key; generated at start when absent.
    pub shared_secret_path: Option<PathBuf>,
}

impl Default for SessionsConfig {
    fn default() -> Self {
        SessionsConfig { idle_timeout_ms: 1_800_000, shared_secret_path: None }
    }
}

/// `[server.metrics]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsConfig {
    /// Whether `/metrics` is served.
    pub enabled: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig { enabled: true }
    }
}

/// `[server.tls]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsConfig {
    /// PEM certificate chain.
    pub cert_path: PathBuf,
    /// PEM private key.
    pub key_path: PathBuf,
    /// PEM bundle of client CAs (enables client certificates).
    #[serde(default)]
    pub client_ca_path: Option<PathBuf>,
    /// Whether a client certificate is mandatory when `client_ca_path` is set.
    #[serde(default = "default_true")]
    pub require_client_cert: bool,
}

fn default_true() -> bool {
    true
}

/// `[server.audit]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditConfig {
    /// `false` discards audit events.
    pub enabled: bool,
    /// JSON Lines file; absent = stderr.
    pub path: Option<PathBuf>,
    /// Log raw precheck requests/responses (default: hashes only).
    pub log_precheck_payloads: bool,
    /// Refuse tool calls and report not-ready while the sink fails.
    pub required: bool,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { enabled: true, path: None, log_precheck_payloads: false, required: false }
    }
}

/// Feedback level of `scenario_next`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackLevel {
    /// Decision only.
    Summary,
    /// Plus gate evaluations with traces.
    Trace,
    /// Plus (redacted) evidence records.
    Evidence,
}

/// `[server.feedback]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeedbackConfig {
    /// `[server.feedback.scenario_next]`.
    pub scenario_next: ScenarioNextFeedbackConfig,
}

/// `[server.feedback.scenario_next]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScenarioNextFeedbackConfig {
    /// Default level for remote callers.
    pub default: FeedbackLevel,
    /// Default level for local callers.
    pub local_only_default: FeedbackLevel,
    /// Highest level ever granted.
    pub max: FeedbackLevel,
    /// Principals allowed trace feedback.
    pub trace_subjects: Vec<String>,
    /// Roles allowed trace feedback.
    pub trace_roles: Vec<String>,
    /// Principals allowed evidence feedback.
    pub evidence_subjects: Vec<String>,
    /// Roles allowed evidence feedback.
    pub evidence_roles: Vec<String>,
}

impl Default for ScenarioNextFeedbackConfig {
    fn default() -> Self {
        ScenarioNextFeedbackConfig {
            default: FeedbackLevel::Summary,
            local_only_default: FeedbackLevel::Trace,
            max: FeedbackLevel::Trace,
            trace_subjects: vec!["loopback".to_owned(), "stdio".to_owned()],
            trace_roles: Vec::new(),
            evidence_subjects: Vec::new(),
            evidence_roles: Vec::new(),
        }
    }
}

/// `server.tools.mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolVisibilityMode {
    /// Hidden tools are neither listed nor callable.
    #[default]
    Filter,
    /// Every tool is listed; calls still enforce the lists.
    Passthrough,
}

/// `[server.tools]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ToolVisibilityConfig {
    /// Visibility mode.
    pub mode: ToolVisibilityMode,
    /// Visible tools (empty = all).
    pub allowlist: Vec<String>,
    /// Hidden tools.
    pub denylist: Vec<String>,
}

/// `server.auth.mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// stdio, and HTTP from loopback peers only.
    #[default]
    LocalOnly,
    /// `Authorization: Bearer` with configured tokens.
    BearerToken,
    /// Client certificates (or a trusted TLS-terminating proxy).
    Mtls,
}

/// How the mTLS identity is read from a certificate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MtlsIdentity {
    /// The subject common name.
    #[default]
    SubjectCn,
    /// The first DNS/URI/e-mail SAN listed in `mtls_subjects` (or the first SAN).
    San,
}

/// A role binding of a principal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleBinding {
    /// Role name (case-sensitive).
    pub name: String,
    /// Tenant scope (unset = any).
    #[serde(default)]
    pub tenant_id: Option<u64>,
    /// Namespace scope (unset = any).
    #[serde(default)]
    pub namespace_id: Option<u64>,
}

/// `[[server.auth.principals]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrincipalConfig {
    /// Principal id this entry applies to.
    pub subject: String,
    /// Policy class (`prod` when absent).
    #[serde(default)]
    pub policy_class: Option<String>,
    /// Role bindings.
    #[serde(default)]
    pub roles: Vec<RoleBinding>,
}

/// `[server.auth]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Authentication mode.
    pub mode: AuthMode,
    /// Accepted bearer tokens.
    pub bearer_tokens: Vec<String>,
    /// Accepted mTLS subjects (empty = any verified subject).
    pub mtls_subjects: Vec<String>,
    /// Which certificate field is the identity.
    pub mtls_identity: MtlsIdentity,
    /// TLS-terminating proxies (IPs or CIDR blocks).
    pub trusted_proxies: Vec<String>,
    /// Callable tools (empty = all).
    pub allowed_tools: Vec<String>,
    /// Principal role mappings.
    pub principals: Vec<PrincipalConfig>,
}

/// `[namespace]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[serde(default)]
pub struct NamespaceAuthorityConfig {
    /// Mode.
    pub mode: NamespaceAuthorityMode,
    /// `[namespace.authority.assetcore]`.
    pub assetcore: Option<AssetcoreAuthorityConfig>,
}

/// `[namespace.authority.assetcore]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[serde(default)]
pub struct AnchorsConfig {
    /// Per-provider requirements.
    pub providers: Vec<AnchorProviderConfig>,
}

/// `[provider_discovery]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProviderDiscoveryConfig {
    /// Providers whose contracts may be disclosed (empty = all).
    pub allowlist: Vec<String>,
    /// Providers whose contracts are never disclosed.
    pub denylist: Vec<String>,
    /// Largest discovery response.
    pub max_response_bytes: usize,
}

impl Default for ProviderDiscoveryConfig {
    fn default() -> Self {
        ProviderDiscoveryConfig { allowlist: Vec::new(), denylist: Vec::new(), max_response_bytes: 1_048_576 }
    }
}

/// `[validation]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[serde(default)]
pub struct PolicyConfig {
    /// Engine.
    pub engine: PolicyEngine,
    /// `[policy.static]`, required iff the engine is `static`.
    #[serde(rename = "static")]
    pub static_policy: Option<StaticPolicy>,
}

/// Store backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// `[schema_registry]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchemaRegistryConfig {
    /// Backend and SQLite settings.
    #[serde(flatten)]
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

/// `[runpack.signing]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunpackSigningConfig {
    /// Key id written into manifests.
    pub key_id: String,
    /// File with the 32-byte Ed25519 seed (raw or base64 text).
    pub private_key_path: PathBuf,
}

/// A trusted runpack verification key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKeyConfig {
    /// Key id.
    pub key_id: String,
    /// File with the 32-byte public key (raw or base64 text).
    pub public_key_path: PathBuf,
}

/// `[runpack.verify]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[serde(rename_all = "snake_case")]
pub enum RunpackStorageType {
    /// An object store (the only variant).
    ObjectStore,
}

/// `runpack_storage.provider`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectStoreProvider {
    /// Amazon S3 or an S3-compatible store (the only provider).
    S3,
}

/// `[runpack_storage]` (runpacks-and-stores §7.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// Provider kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderType {
    /// One of `time`, `env`, `json`, `http`.
    Builtin,
    /// An external MCP server.
    Mcp,
}

/// Provider timeouts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProviderTimeouts {
    /// Connect (and stdio start + handshake) timeout, 100..=10000 ms.
    pub connect_timeout_ms: u64,
    /// Request timeout, 500..=30000 ms, at least the connect timeout.
    pub request_timeout_ms: u64,
}

impl Default for ProviderTimeouts {
    fn default() -> Self {
        ProviderTimeouts { connect_timeout_ms: 2000, request_timeout_ms: 10_000 }
    }
}

/// Bearer auth for an HTTP MCP provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderAuthConfig {
    /// Token sent as `Authorization: Bearer`.
    #[serde(default)]
    pub bearer_token: Option<String>,
}

/// `[[providers]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderConfig {
    /// Provider id.
    pub name: String,
    /// Kind.
    #[serde(rename = "type")]
    pub provider_type: ProviderType,
    /// stdio command (MCP providers).
    #[serde(default)]
    pub command: Vec<String>,
    /// Streamable HTTP URL (MCP providers).
    #[serde(default)]
    pub url: Option<String>,
    /// Allow `http://` URLs.
    #[serde(default)]
    pub allow_insecure_http: bool,
    /// Contract file (MCP providers).
    #[serde(default)]
    pub capabilities_path: Option<PathBuf>,
    /// HTTP auth.
    #[serde(default)]
    pub auth: Option<ProviderAuthConfig>,
    /// Trust policy override.
    #[serde(default)]
    pub trust: Option<TrustPolicyConfig>,
    /// Opt-in to raw value disclosure.
    #[serde(default)]
    pub allow_raw: bool,
    /// stdio framing.
    #[serde(default)]
    pub framing: StdioFraming,
    /// Timeouts.
    #[serde(default)]
    pub timeouts: ProviderTimeouts,
    /// Built-in provider configuration (all non-optional fields required when present).
    #[serde(default)]
    pub config: Option<Value>,
}

impl ProviderConfig {
    /// A built-in provider entry without a `config` table.
    pub fn builtin(name: &str) -> Self {
        ProviderConfig {
            name: name.to_owned(),
            provider_type: ProviderType::Builtin,
            command: Vec::new(),
            url: None,
            allow_insecure_http: false,
            capabilities_path: None,
            auth: None,
            trust: None,
            allow_raw: false,
            framing: StdioFraming::Newline,
            timeouts: ProviderTimeouts::default(),
            config: None,
        }
    }
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
