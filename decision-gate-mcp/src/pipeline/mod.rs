//! The seams every tool call passes through, with their open-source defaults.
//!
//! Order (run by `tools::ToolRouter`, the one place that calls them): authenticate (at the
//! transport) → tool allowlist/visibility → decode → `TenantResolver` → `UsageSink` check →
//! namespace guard and authority → tool-specific usage/ACL checks → execute → usage commit
//! (or release on failure). Every decision and outcome goes to the `AuditSink`.

mod audit;
mod namespace;
mod tenant;
mod usage;

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::auth::{Principal, TransportLabel};

pub use audit::{
    AuditEvent, AuditSink, DiscardAudit, JsonlFileAudit, McpRequestEvent, PrecheckAuditEvent, RegistryAuditEvent,
    SecurityAuditEvent, StderrAudit, TenantAuthzEvent, ToolAuthzEvent, ToolOutcomeEvent, UsageAuditEvent,
};
pub use namespace::{
    AssetcoreAuthority, NamespaceAuthority, NamespaceDenial, NoNamespaceAuthority, check_default_namespace,
};
pub use tenant::{ConfiguredTenantResolver, TenantDecision, TenantRequest, TenantResolver};
pub use usage::{AllowAllUsage, UsageDecision, UsageMetric, UsageRequest, UsageReservation, UsageSink};

/// Everything known about the caller and the request when a tool runs.
#[derive(Clone, Debug)]
pub struct CallContext {
    /// Transport.
    pub transport: TransportLabel,
    /// `/mcp`, `/rpc`, or `None` for stdio.
    pub endpoint: Option<&'static str>,
    /// TCP peer IP (HTTP).
    pub peer_ip: Option<IpAddr>,
    /// The authenticated caller.
    pub principal: Principal,
    /// JSON text of the JSON-RPC id.
    pub request_id: Option<String>,
    /// Validated client correlation id.
    pub client_correlation_id: Option<String>,
    /// Server correlation id of this request.
    pub server_correlation_id: String,
}

impl CallContext {
    /// A context for in-process calls (tests, the CLI): stdio principal.
    pub fn local(server_correlation_id: impl Into<String>) -> Self {
        CallContext {
            transport: TransportLabel::Stdio,
            endpoint: None,
            peer_ip: None,
            principal: Principal::stdio(),
            request_id: None,
            client_correlation_id: None,
            server_correlation_id: server_correlation_id.into(),
        }
    }
}

/// Wall-clock milliseconds for audit timestamps and store metadata (never hashed).
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as i64)
}
