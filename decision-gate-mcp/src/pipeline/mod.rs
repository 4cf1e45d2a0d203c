//! The seams every tool call passes through, with their open-source defaults.
//!
//! Order (run by `tools::ToolRouter`, the one place that calls them): authenticate (at the
//! transport) → tool allowlist/visibility → decode → `TenantResolver` (which yields the
//! authorized scope) → `UsageSink` check → namespace guard and authority → tool-specific
//! usage/ACL checks → execute with the scope → usage commit (or release on failure, drop or
//! cancellation). Every decision and outcome goes to the `AuditSink`; a record that cannot be
//! written stops a mutating call before it runs.

mod audit;
mod namespace;
mod tenant;
mod usage;
mod visibility;

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::auth::{Principal, TransportLabel};

pub use audit::{
    AdminActionEvent, AuditError, AuditEvent, AuditHeader, AuditRecord, AuditSink, DiscardAudit, JsonlFileAudit,
    McpRequestEvent, PrecheckAuditEvent, RegistryAuditEvent, SecurityAuditEvent, StderrAudit, TenantAuthzEvent,
    ToolAuthzEvent, ToolOutcomeEvent, UsageAuditEvent,
};
pub use namespace::{
    AssetcoreAuthority, NamespaceAuthority, NamespaceDenial, NoNamespaceAuthority, check_default_namespace,
};
pub use tenant::{AuthorizedScope, ConfiguredTenantResolver, TenantDecision, TenantRequest, TenantResolver};
pub use usage::{
    AllowAllUsage, ReservationGuard, UsageDecision, UsageError, UsageMetric, UsageRequest, UsageReservation, UsageSink,
};
pub use visibility::{ConfiguredToolVisibility, ToolVisibility};

/// Everything known about the caller and the request when a tool runs.
#[derive(Clone, Debug)]
pub struct CallContext {
    /// Transport.
    pub transport: TransportLabel,
    /// `/mcp`, `/rpc`, or `None` for stdio.
    pub endpoint: Option<&'static str>,
    /// TCP peer IP (HTTP).
    pub peer_ip: Option<IpAddr>,
    /// The client IP: the TCP peer, or behind a trusted proxy the forwarded address (HTTP).
    pub client_ip: Option<IpAddr>,
    /// The authenticated caller.
    pub principal: Principal,
    /// JSON text of the JSON-RPC id.
    pub request_id: Option<String>,
    /// Validated client correlation id.
    pub client_correlation_id: Option<String>,
    /// Server correlation id of this request.
    pub server_correlation_id: String,
    /// The client's idempotency key (`Idempotency-Key` header or the request's
    /// `_meta["io.decisiongate/idempotency_key"]`), used by usage metering.
    pub idempotency_key: Option<String>,
    /// Where a denial for a missing permission leaves the scopes the call needed, for the
    /// transport's `403 insufficient_scope` challenge.
    pub scope_challenge: ScopeChallenge,
}

/// The OAuth scopes a denied call needed, shared between a transport and the tool router of
/// one request (the first denial wins).
#[derive(Clone, Debug, Default)]
pub struct ScopeChallenge(Arc<OnceLock<Vec<String>>>);

impl ScopeChallenge {
    /// Records the scopes a denied call needed (ignored after the first).
    pub fn set(&self, scopes: Vec<String>) {
        let _ = self.0.set(scopes);
    }

    /// The recorded scopes, when a call was denied for a missing permission.
    pub fn get(&self) -> Option<&[String]> {
        self.0.get().map(Vec::as_slice)
    }
}

impl CallContext {
    /// A context for in-process calls (tests, the CLI): stdio principal.
    pub fn local(server_correlation_id: impl Into<String>) -> Self {
        CallContext {
            transport: TransportLabel::Stdio,
            endpoint: None,
            peer_ip: None,
            client_ip: None,
            principal: Principal::stdio(),
            request_id: None,
            client_correlation_id: None,
            server_correlation_id: server_correlation_id.into(),
            idempotency_key: None,
            scope_challenge: ScopeChallenge::default(),
        }
    }
}

/// The `_meta` key carrying a client idempotency key on a `tools/call` request.
pub const IDEMPOTENCY_META_KEY: &str = "io.decisiongate/idempotency_key";

/// Longest accepted client idempotency key (longer keys are ignored, as if absent).
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;

/// A client idempotency key if it is usable: 1..=255 visible ASCII characters.
pub fn sanitize_idempotency_key(raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?.trim();
    let usable =
        !text.is_empty() && text.len() <= MAX_IDEMPOTENCY_KEY_BYTES && text.bytes().all(|byte| byte.is_ascii_graphic());
    usable.then(|| text.to_owned())
}

/// Wall-clock milliseconds for audit timestamps and store metadata (never hashed).
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as i64)
}
