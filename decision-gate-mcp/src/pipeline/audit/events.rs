//! The audit events of mcp-surface §9.2. Fields every event shares (time, request and
//! correlation ids, transport, caller, tenant and namespace) live in the
//! [`AuditHeader`](super::AuditHeader); each event here holds only its own facts. Events never
//! carry secrets or payloads unless configured: bearer tokens appear only as SHA-256
//! fingerprints, tool arguments and results only as hashes.

use decision_gate_core::hashing::HashDigest;
use serde::Serialize;
use serde_json::Value;

/// `mcp_request`: one per request through a transport (rejections included).
#[derive(Clone, Debug, Serialize)]
pub struct McpRequestEvent {
    /// `/mcp`, `/rpc` or null.
    pub endpoint: Option<&'static str>,
    /// TCP peer.
    pub peer_ip: Option<String>,
    /// `ToolsList` | `ToolsCall` | `ResourcesList` | `ResourcesRead` | `Invalid` | `Other`.
    pub method: &'static str,
    /// Tool name for calls.
    pub tool: Option<String>,
    /// `Ok` | `Error`.
    pub outcome: &'static str,
    /// Error code when failed.
    pub error_code: Option<i32>,
    /// Error kind when failed.
    pub error_kind: Option<&'static str>,
    /// Request size.
    pub request_bytes: u64,
    /// Response size.
    pub response_bytes: u64,
    /// Authenticated subject or principal id.
    pub client_subject: Option<String>,
    /// `evidence` for evidence_query, else `full` (a label only; no payload is logged).
    pub redaction: &'static str,
}

/// `mcp_tool_authz`: every authorization of tools/list and tools/call, and every failed
/// authentication (action `request`).
#[derive(Clone, Debug, Serialize)]
pub struct ToolAuthzEvent {
    /// `allow` | `deny`.
    pub decision: &'static str,
    /// Tool name, `tools/list` or `request`.
    pub action: String,
    /// TCP peer.
    pub peer_ip: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Bearer fingerprint.
    pub token_fingerprint: Option<String>,
    /// Reason (null on allow).
    pub reason: Option<String>,
}

/// `tenant_authz`: every tenant decision.
#[derive(Clone, Debug, Serialize)]
pub struct TenantAuthzEvent {
    /// Tool.
    pub tool: String,
    /// Decision.
    pub allowed: bool,
    /// Reason.
    pub reason: String,
}

/// `usage_audit`: every usage check, and every failed commit or release.
#[derive(Clone, Debug, Serialize)]
pub struct UsageAuditEvent {
    /// Tool.
    pub tool: String,
    /// Metric.
    pub metric: &'static str,
    /// Units.
    pub units: u64,
    /// `check` | `commit` | `release`.
    pub phase: &'static str,
    /// Decision (checks) or success (commit, release).
    pub allowed: bool,
    /// Reason.
    pub reason: Option<String>,
    /// Idempotency key of the request.
    pub idempotency_key: String,
}

/// `registry_audit`: every registry ACL evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct RegistryAuditEvent {
    /// `register` | `list` | `get`.
    pub action: &'static str,
    /// Decision.
    pub allowed: bool,
    /// Reason label.
    pub reason: String,
    /// Roles in scope.
    pub roles: Vec<String>,
    /// Policy class.
    pub policy_class: Option<String>,
    /// Schema id (null for list).
    pub schema_id: Option<String>,
    /// Schema version (null for list).
    pub schema_version: Option<String>,
}

/// `precheck_audit`: successful prechecks, hashes only unless payload logging is on.
#[derive(Clone, Debug, Serialize)]
pub struct PrecheckAuditEvent {
    /// Scenario id (request's or spec's).
    pub scenario_id: Option<String>,
    /// Stage evaluated.
    pub stage_id: Option<String>,
    /// Data shape id.
    pub schema_id: String,
    /// Data shape version.
    pub schema_version: String,
    /// Hash of the canonical request.
    pub request_hash: HashDigest,
    /// Hash of the canonical response.
    pub response_hash: HashDigest,
    /// Raw request (only with `log_precheck_payloads`).
    pub request: Option<Value>,
    /// Raw response (only with `log_precheck_payloads`).
    pub response: Option<Value>,
    /// `hash_only` | `payload`.
    pub redaction: &'static str,
}

/// `security_audit`: security-relevant conditions.
#[derive(Clone, Debug, Serialize)]
pub struct SecurityAuditEvent {
    /// `dev_permissive_enabled`, `invalid_correlation_id`, `origin_rejected`, `host_rejected`,
    /// `untrusted_client_subject_header`.
    pub kind: &'static str,
    /// Message.
    pub message: String,
    /// Dev-permissive state.
    pub dev_permissive: bool,
    /// Namespace authority label.
    pub namespace_authority: String,
}

/// `tool_outcome`: the result of every executed or refused tool call (hashes only).
#[derive(Clone, Debug, Serialize)]
pub struct ToolOutcomeEvent {
    /// Tool.
    pub tool: String,
    /// `Ok` | `Error`.
    pub outcome: &'static str,
    /// Error code.
    pub error_code: Option<i32>,
    /// Error kind.
    pub error_kind: Option<&'static str>,
    /// The real reason of a failure whose client message hides it (an unknown run that
    /// exists under another scenario, a generic `unauthorized`).
    pub reason: Option<String>,
    /// Hash of the canonical arguments.
    pub arguments_hash: Option<HashDigest>,
    /// Hash of the canonical result.
    pub result_hash: Option<HashDigest>,
}

/// `admin_action`: an administrative change or read of a composing binary's admin surface
/// (tenants, keys, bindings), allowed or refused. Never carries a secret.
#[derive(Clone, Debug, Serialize)]
pub struct AdminActionEvent {
    /// Action (`tenant.create`, `key.revoke`, …).
    pub action: String,
    /// What it acted on (`tenant 3`, `key 0a1b…`).
    pub target: Option<String>,
    /// `ok` | `denied` | `error`.
    pub outcome: &'static str,
    /// Why it was refused or failed.
    pub reason: Option<String>,
    /// Action-specific facts (ids, roles, windows).
    pub details: Option<Value>,
}

/// Every audit event, serialised with an `event` tag.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AuditEvent {
    /// Transport request.
    McpRequest(McpRequestEvent),
    /// Tool authorization.
    McpToolAuthz(ToolAuthzEvent),
    /// Tenant decision.
    TenantAuthz(TenantAuthzEvent),
    /// Usage check.
    UsageAudit(UsageAuditEvent),
    /// Registry ACL decision.
    RegistryAudit(RegistryAuditEvent),
    /// Successful precheck.
    PrecheckAudit(PrecheckAuditEvent),
    /// Security condition.
    SecurityAudit(SecurityAuditEvent),
    /// Tool outcome.
    ToolOutcome(ToolOutcomeEvent),
    /// Admin action.
    AdminAction(AdminActionEvent),
}

impl AuditEvent {
    /// The `event` label.
    pub fn label(&self) -> &'static str {
        match self {
            AuditEvent::McpRequest(_) => "mcp_request",
            AuditEvent::McpToolAuthz(_) => "mcp_tool_authz",
            AuditEvent::TenantAuthz(_) => "tenant_authz",
            AuditEvent::UsageAudit(_) => "usage_audit",
            AuditEvent::RegistryAudit(_) => "registry_audit",
            AuditEvent::PrecheckAudit(_) => "precheck_audit",
            AuditEvent::SecurityAudit(_) => "security_audit",
            AuditEvent::ToolOutcome(_) => "tool_outcome",
            AuditEvent::AdminAction(_) => "admin_action",
        }
    }
}
