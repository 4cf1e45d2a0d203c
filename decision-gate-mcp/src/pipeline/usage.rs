//! The `UsageSink` seam: check-and-reserve before a tool runs, commit or release after.

use decision_gate_core::ids::{NamespaceId, TenantId};
use futures::future::BoxFuture;
use serde::Serialize;

use super::CallContext;

/// A metered quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageMetric {
    /// Every scoped tool call.
    ToolCalls,
    /// `scenario_start`.
    RunsStarted,
    /// `evidence_query`.
    EvidenceQueries,
    /// `runpack_export`.
    RunpackExports,
    /// `schemas_register`.
    SchemasWritten,
    /// `schemas_register`.
    RegistryEntries,
    /// `schemas_register`: compact JSON size of the schema.
    StorageBytes,
}

impl UsageMetric {
    /// Wire label.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageMetric::ToolCalls => "tool_calls",
            UsageMetric::RunsStarted => "runs_started",
            UsageMetric::EvidenceQueries => "evidence_queries",
            UsageMetric::RunpackExports => "runpack_exports",
            UsageMetric::SchemasWritten => "schemas_written",
            UsageMetric::RegistryEntries => "registry_entries",
            UsageMetric::StorageBytes => "storage_bytes",
        }
    }
}

/// One usage check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRequest {
    /// Tool name.
    pub tool: &'static str,
    /// Tenant.
    pub tenant_id: Option<TenantId>,
    /// Namespace.
    pub namespace_id: Option<NamespaceId>,
    /// Metric.
    pub metric: UsageMetric,
    /// Units.
    pub units: u64,
}

/// A granted reservation, committed after success or released after failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageReservation {
    /// What was reserved.
    pub request: UsageRequest,
    /// Implementation-defined handle.
    pub handle: u64,
}

/// Result of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UsageDecision {
    /// Allowed, with a reservation.
    Allowed(UsageReservation),
    /// Denied (quota or rate); `retry_after_ms` turns the error into a retryable -32071.
    Denied {
        /// Reason (audit only).
        reason: String,
        /// Retry hint.
        retry_after_ms: Option<u64>,
    },
}

/// Meters usage. Implementations derive idempotency keys from the server correlation id and
/// request id in the context.
pub trait UsageSink: Send + Sync {
    /// Checks and reserves units before the tool runs.
    fn check_and_reserve<'a>(&'a self, ctx: &'a CallContext, request: &'a UsageRequest)
    -> BoxFuture<'a, UsageDecision>;

    /// Commits a reservation after success.
    fn commit<'a>(&'a self, ctx: &'a CallContext, reservation: UsageReservation) -> BoxFuture<'a, ()>;

    /// Releases a reservation after a failure.
    fn release<'a>(&'a self, ctx: &'a CallContext, reservation: UsageReservation) -> BoxFuture<'a, ()>;
}

/// Open-source default: allows everything and discards records.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAllUsage;

impl UsageSink for AllowAllUsage {
    fn check_and_reserve<'a>(
        &'a self,
        _ctx: &'a CallContext,
        request: &'a UsageRequest,
    ) -> BoxFuture<'a, UsageDecision> {
        Box::pin(std::future::ready(UsageDecision::Allowed(UsageReservation { request: request.clone(), handle: 0 })))
    }

    fn commit<'a>(&'a self, _ctx: &'a CallContext, _reservation: UsageReservation) -> BoxFuture<'a, ()> {
        Box::pin(std::future::ready(()))
    }

    fn release<'a>(&'a self, _ctx: &'a CallContext, _reservation: UsageReservation) -> BoxFuture<'a, ()> {
        Box::pin(std::future::ready(()))
    }
}
