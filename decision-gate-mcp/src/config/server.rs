//! `[server]`: transport, limits, HTTP, sessions, metrics, TLS, audit, feedback, tool
//! visibility and authentication (mcp-surface §11).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `server.transport`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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

/// `[server.limits.rate_limit]`: the principal layer, with an optional IP-layer override. The
/// bucket keys sit directly in the table; the file form is [`RateLimitTable`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RateLimitTable", into = "RateLimitTable")]
pub struct RateLimitConfig {
    /// Principal-layer bucket (also the IP layer unless `per_ip` is set).
    pub bucket: RateLimitBucket,
    /// `[server.limits.rate_limit.per_ip]`.
    pub per_ip: Option<RateLimitBucket>,
}

/// The file form of `[server.limits.rate_limit]` (flat keys, unknown keys refused; serde's
/// `flatten` cannot refuse them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitTable {
    /// Bucket capacity.
    pub max_requests: u32,
    /// Refill time of an empty bucket in ms.
    pub window_ms: u64,
    /// Tracked keys.
    pub max_entries: usize,
    /// IP-layer override.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_ip: Option<RateLimitBucket>,
}

impl Default for RateLimitTable {
    fn default() -> Self {
        RateLimitConfig::default().into()
    }
}

impl From<RateLimitTable> for RateLimitConfig {
    fn from(table: RateLimitTable) -> Self {
        let bucket = RateLimitBucket {
            max_requests: table.max_requests,
            window_ms: table.window_ms,
            max_entries: table.max_entries,
        };
        RateLimitConfig { bucket, per_ip: table.per_ip }
    }
}

impl From<RateLimitConfig> for RateLimitTable {
    fn from(config: RateLimitConfig) -> Self {
        let RateLimitBucket { max_requests, window_ms, max_entries } = config.bucket;
        RateLimitTable { max_requests, window_ms, max_entries, per_ip: config.per_ip }
    }
}

/// `[server.http]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct HttpConfig {
    /// Exact allowed `Origin` values besides the loopback origins a loopback-bound server
    /// always accepts; empty refuses every other browser origin.
    pub allowed_origins: Vec<String>,
    /// `Host` names (`name` or `name:port`) accepted besides the loopback names a loopback-bound
    /// server always accepts; on a non-loopback bind a non-empty list is the only accepted set.
    pub allowed_hosts: Vec<String>,
    /// Answer self-contained `/mcp` requests (`tools/call`, `tools/list`, `ping`,
    /// `server/discover`) directly, without rmcp's per-request service (default true; the
    /// answers are the same bytes either way).
    pub mcp_lean_path: bool,
    /// How long an authenticated request's body may take to arrive (ms, 100 to 60000;
    /// default 10000); slower bodies are answered 408.
    pub body_timeout_ms: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            mcp_lean_path: true,
            body_timeout_ms: 10_000,
        }
    }
}

/// `[server.sessions]` (handshake-era session ids).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
    /// Acknowledge the records of state changes only once they are on stable storage (the
    /// file sink's group `fsync`; default true). `false` flushes them to the operating system
    /// only, like every other record: faster, but a power loss can drop acknowledged records.
    pub durable: bool,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { enabled: true, path: None, log_precheck_payloads: false, required: false, durable: true }
    }
}

/// Feedback level of `scenario_next`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct FeedbackConfig {
    /// `[server.feedback.scenario_next]`.
    pub scenario_next: ScenarioNextFeedbackConfig,
}

/// `[server.feedback.scenario_next]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
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
