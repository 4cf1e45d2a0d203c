//! Audit events (mcp-surface §9) and the `AuditSink` seam with JSONL, stderr and discard
//! implementations. Events never carry secrets or payloads unless configured: bearer tokens
//! appear only as SHA-256 fingerprints, tool arguments and results only as hashes.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use decision_gate_core::hashing::HashDigest;
use serde::Serialize;
use serde_json::Value;

/// `mcp_request`: one per request through a transport (rejections included).
#[derive(Clone, Debug, Serialize)]
pub struct McpRequestEvent {
    /// Wall-clock ms.
    pub timestamp_ms: i64,
    /// JSON text of the request id.
    pub request_id: Option<String>,
    /// Validated client correlation id.
    pub unsafe_client_correlation_id: Option<String>,
    /// Server correlation id (`missing` sentinel when none).
    pub server_correlation_id: String,
    /// `stdio` | `http` | `sse`.
    pub transport: &'static str,
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

/// `mcp_tool_authz`: every authorization of tools/list and tools/call.
#[derive(Clone, Debug, Serialize)]
pub struct ToolAuthzEvent {
    /// Wall-clock ms.
    pub timestamp_ms: i64,
    /// `allow` | `deny`.
    pub decision: &'static str,
    /// Tool name or `tools/list`.
    pub action: String,
    /// Transport.
    pub transport: &'static str,
    /// TCP peer.
    pub peer_ip: Option<String>,
    /// `local` | `bearer_token` | `mtls_subject` (null on deny).
    pub auth_method: Option<&'static str>,
    /// Subject.
    pub subject: Option<String>,
    /// Bearer fingerprint.
    pub token_fingerprint: Option<String>,
    /// Reason (null on allow).
    pub reason: Option<String>,
    /// JSON text of the request id.
    pub request_id: Option<String>,
    /// Client correlation id.
    pub unsafe_client_correlation_id: Option<String>,
    /// Server correlation id.
    pub server_correlation_id: String,
}

/// `tenant_authz`: every tenant decision.
#[derive(Clone, Debug, Serialize)]
pub struct TenantAuthzEvent {
    /// Wall-clock ms.
    pub timestamp_ms: i64,
    /// JSON text of the request id.
    pub request_id: Option<String>,
    /// Client correlation id.
    pub unsafe_client_correlation_id: Option<String>,
    /// Server correlation id.
    pub server_correlation_id: String,
    /// Tool.
    pub tool: String,
    /// Decision.
    pub allowed: bool,
    /// Reason.
    pub reason: String,
    /// Principal id.
    pub principal_id: String,
    /// Decimal tenant id.
    pub tenant_id: Option<String>,
    /// Decimal namespace id.
    pub namespace_id: Option<String>,
}

/// `usage_audit`: every usage check.
#[derive(Clone, Debug, Serialize)]
pub struct UsageAuditEvent {
    /// Wall-clock ms.
    pub timestamp_ms: i64,
    /// JSON text of the request id.
    pub request_id: Option<String>,
    /// Client correlation id.
    pub unsafe_client_correlation_id: Option<String>,
    /// Server correlation id.
    pub server_correlation_id: String,
    /// Tool.
    pub tool: String,
    /// Decimal tenant id.
    pub tenant_id: Option<String>,
    /// Decimal namespace id.
    pub namespace_id: Option<String>,
    /// Principal id.
    pub principal_id: String,
    /// Metric.
    pub metric: &'static str,
    /// Units.
    pub units: u64,
    /// Decision.
    pub allowed: bool,
    /// Reason.
    pub reason: Option<String>,
}

/// `registry_audit`: every registry ACL evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct RegistryAuditEvent {
    /// Wall-clock ms.
    pub timestamp_ms: i64,
    /// JSON text of the request id.
    pub request_id: Option<String>,
    /// Client correlation id.
    pub unsafe_client_correlation_id: Option<String>,
    /// Server correlation id.
    pub server_correlation_id: String,
    /// Decimal tenant id.
    pub tenant_id: String,
    /// Decimal namespace id.
    pub namespace_id: String,
    /// `register` | `list` | `get`.
    pub action: &'static str,
    /// Decision.
    pub allowed: bool,
    /// Reason label.
    pub reason: String,
    /// Principal id.
    pub principal_id: String,
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
    /// Wall-clock ms.
    pub timestamp_ms: i64,
    /// Client correlation id.
    pub unsafe_client_correlation_id: Option<String>,
    /// Server correlation id.
    pub server_correlation_id: String,
    /// Decimal tenant id.
    pub tenant_id: String,
    /// Decimal namespace id.
    pub namespace_id: String,
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
    /// Wall-clock ms.
    pub timestamp_ms: i64,
    /// Client correlation id.
    pub unsafe_client_correlation_id: Option<String>,
    /// Server correlation id.
    pub server_correlation_id: String,
    /// `dev_permissive_enabled`, `invalid_correlation_id`, `origin_rejected`,
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
    /// Wall-clock ms.
    pub timestamp_ms: i64,
    /// JSON text of the request id.
    pub request_id: Option<String>,
    /// Client correlation id.
    pub unsafe_client_correlation_id: Option<String>,
    /// Server correlation id.
    pub server_correlation_id: String,
    /// Tool.
    pub tool: String,
    /// Principal id.
    pub principal_id: String,
    /// Decimal tenant id.
    pub tenant_id: Option<String>,
    /// Decimal namespace id.
    pub namespace_id: Option<String>,
    /// `Ok` | `Error`.
    pub outcome: &'static str,
    /// Error code.
    pub error_code: Option<i32>,
    /// Error kind.
    pub error_kind: Option<&'static str>,
    /// Hash of the canonical arguments.
    pub arguments_hash: Option<HashDigest>,
    /// Hash of the canonical result.
    pub result_hash: Option<HashDigest>,
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
}

/// Receives audit events. Writes must not block long; failures are counted and reported.
pub trait AuditSink: Send + Sync {
    /// Records one event.
    fn record(&self, event: &AuditEvent);

    /// Whether the last write succeeded (readiness with `audit.required`).
    fn healthy(&self) -> bool {
        true
    }
}

/// Discards every event (`audit.enabled = false`).
#[derive(Clone, Copy, Debug, Default)]
pub struct DiscardAudit;

impl AuditSink for DiscardAudit {
    fn record(&self, _event: &AuditEvent) {}
}

/// JSON Lines on stderr.
#[derive(Clone, Copy, Debug, Default)]
pub struct StderrAudit;

impl AuditSink for StderrAudit {
    fn record(&self, event: &AuditEvent) {
        if let Ok(line) = serde_json::to_string(event) {
            eprintln!("{line}");
        }
    }
}

/// Append-only JSON Lines file, flushed per line. Write failures are counted in
/// `decision_gate_audit_write_failures_total`, reported on stderr at most once per 10 s, and
/// make the sink unhealthy until a later write succeeds.
#[derive(Debug)]
pub struct JsonlFileAudit {
    file: Mutex<File>,
    healthy: AtomicBool,
    failures: AtomicU64,
    last_report: Mutex<Option<Instant>>,
}

impl JsonlFileAudit {
    /// Opens (creating if missing) the file for appending.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(JsonlFileAudit {
            file: Mutex::new(file),
            healthy: AtomicBool::new(true),
            failures: AtomicU64::new(0),
            last_report: Mutex::new(None),
        })
    }

    /// Number of failed writes so far.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    fn report_failure(&self, error: &std::io::Error) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        self.healthy.store(false, Ordering::Relaxed);
        metrics::counter!("decision_gate_audit_write_failures_total").increment(1);
        let mut last = self.last_report.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
            *last = Some(Instant::now());
            eprintln!("decision-gate-mcp: WARNING audit write failed: {error}");
        }
    }
}

impl AuditSink for JsonlFileAudit {
    fn record(&self, event: &AuditEvent) {
        let Ok(mut line) = serde_json::to_vec(event) else { return };
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match file.write_all(&line).and_then(|()| file.flush()) {
            Ok(()) => self.healthy.store(true, Ordering::Relaxed),
            Err(error) => {
                drop(file);
                self.report_failure(&error);
            }
        }
    }

    fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }
}
