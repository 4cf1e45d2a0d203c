//! Audit (mcp-surface §9): the record every event is written as (one common header built in one
//! place, plus the event), the asynchronous, fallible `AuditSink` seam, and its open-source
//! sinks (JSONL file, stderr, discard).

mod events;
mod sinks;

use decision_gate_core::ids::{NamespaceId, TenantId};
use futures::future::BoxFuture;
use serde::Serialize;

use super::{CallContext, now_ms};

pub use events::{
    AdminActionEvent, AuditEvent, McpRequestEvent, PrecheckAuditEvent, RegistryAuditEvent, SecurityAuditEvent,
    TenantAuthzEvent, ToolAuthzEvent, ToolOutcomeEvent, UsageAuditEvent,
};
pub use sinks::{DiscardAudit, JsonlFileAudit, StderrAudit};

/// Fields every audit record carries, known or `null`: when and through what the request
/// came, who made it with which credential, and which tenant and namespace it concerned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditHeader {
    /// Wall-clock ms.
    pub timestamp_ms: i64,
    /// JSON text of the JSON-RPC request id.
    pub request_id: Option<String>,
    /// Validated client correlation id.
    pub unsafe_client_correlation_id: Option<String>,
    /// Server correlation id (`missing` sentinel when none).
    pub server_correlation_id: String,
    /// `stdio` | `http` | `sse`.
    pub transport: Option<&'static str>,
    /// Client IP (after the trusted-proxy rule).
    pub client_ip: Option<String>,
    /// Principal id, once authenticated.
    pub principal_id: Option<String>,
    /// How the principal authenticated.
    pub auth_method: Option<&'static str>,
    /// Credential id (API key id, certificate fingerprint), never a secret.
    pub credential_id: Option<String>,
    /// Decimal tenant id, when known.
    pub tenant_id: Option<String>,
    /// Decimal namespace id, when known.
    pub namespace_id: Option<String>,
}

impl AuditHeader {
    /// A header with only the server correlation id and the time.
    pub fn new(server_correlation_id: impl Into<String>) -> Self {
        AuditHeader {
            timestamp_ms: now_ms(),
            request_id: None,
            unsafe_client_correlation_id: None,
            server_correlation_id: server_correlation_id.into(),
            transport: None,
            client_ip: None,
            principal_id: None,
            auth_method: None,
            credential_id: None,
            tenant_id: None,
            namespace_id: None,
        }
    }

    /// The header of an event about a call: ids, transport and caller from the context.
    pub fn for_call(ctx: &CallContext) -> Self {
        let principal = &ctx.principal;
        AuditHeader {
            request_id: ctx.request_id.clone(),
            unsafe_client_correlation_id: ctx.client_correlation_id.clone(),
            transport: Some(ctx.transport.as_str()),
            client_ip: ctx.client_ip.or(ctx.peer_ip).map(|ip| ip.to_string()),
            principal_id: Some(principal.principal_id()),
            auth_method: Some(principal.method.as_str()),
            credential_id: principal.credential_id.clone(),
            ..AuditHeader::new(ctx.server_correlation_id.clone())
        }
    }

    /// Adds the tenant and namespace the event concerns.
    pub fn scoped(mut self, tenant: Option<TenantId>, namespace: Option<NamespaceId>) -> Self {
        self.tenant_id = tenant.map(|tenant| tenant.to_string());
        self.namespace_id = namespace.map(|namespace| namespace.to_string());
        self
    }

    /// Wraps an event into a record.
    pub fn record(self, event: AuditEvent) -> AuditRecord {
        AuditRecord { header: self, event }
    }
}

/// One audit record: the common header, then the `event` tag and the event's own fields.
#[derive(Clone, Debug, Serialize)]
pub struct AuditRecord {
    /// Common fields.
    #[serde(flatten)]
    pub header: AuditHeader,
    /// The event.
    #[serde(flatten)]
    pub event: AuditEvent,
}

/// An audit record could not be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("audit record not written: {0}")]
pub struct AuditError(pub String);

/// Receives audit records. A failed write is an error the caller acts on: mutating tools fail
/// closed (nothing runs, nothing is persisted), read-only tools continue unless
/// `server.audit.required` is set.
pub trait AuditSink: Send + Sync {
    /// Writes one record durably enough for the sink's promise (the JSONL sink: written and
    /// flushed to the operating system).
    fn record<'a>(&'a self, record: &'a AuditRecord) -> BoxFuture<'a, Result<(), AuditError>>;

    /// Writes one record of a call that changes state and returns only once it survives power
    /// loss (the JSONL sink: an `fsync` covers it, shared by concurrent writers). Sinks with no
    /// stronger promise than [`AuditSink::record`] keep this default.
    fn record_durable<'a>(&'a self, record: &'a AuditRecord) -> BoxFuture<'a, Result<(), AuditError>> {
        self.record(record)
    }

    /// Whether the last write succeeded (readiness with `audit.required`).
    fn healthy(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::TransportLabel;

    #[test]
    fn every_record_starts_with_the_common_header() {
        let mut ctx = CallContext::local("dg-1");
        ctx.request_id = Some("7".into());
        ctx.transport = TransportLabel::Http;
        ctx.client_ip = Some("10.1.2.3".parse().unwrap());
        let record =
            AuditHeader::for_call(&ctx).scoped(TenantId::new(2), NamespaceId::new(3)).record(AuditEvent::TenantAuthz(
                TenantAuthzEvent { tool: "scenario_status".into(), allowed: false, reason: "denied".into() },
            ));
        let mut header = AuditHeader::for_call(&ctx);
        header.timestamp_ms = record.header.timestamp_ms;
        let text = serde_json::to_string(&record).unwrap();
        let expected = format!(
            concat!(
                r#"{{"timestamp_ms":{},"request_id":"7","unsafe_client_correlation_id":null,"#,
                r#""server_correlation_id":"dg-1","transport":"http","client_ip":"10.1.2.3","principal_id":"stdio","#,
                r#""auth_method":"local","credential_id":null,"tenant_id":"2","namespace_id":"3","#,
                r#""event":"tenant_authz","tool":"scenario_status","allowed":false,"reason":"denied"}}"#
            ),
            header.timestamp_ms
        );
        assert_eq!(text, expected);
    }
}
