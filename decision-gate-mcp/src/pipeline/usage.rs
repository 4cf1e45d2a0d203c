//! The `UsageSink` seam: check-and-reserve before a tool runs, commit after success, release
//! otherwise. A [`ReservationGuard`] owns each reservation, so a call that fails, is dropped or
//! is cancelled releases what it reserved without any caller having to remember.

use std::sync::Arc;

use decision_gate_core::ids::{NamespaceId, TenantId};
use futures::future::BoxFuture;
use serde::Serialize;

use super::CallContext;

/// A metered quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageMetric {
    /// Every tool call.
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
    /// Tenant (the authorized scope's).
    pub tenant_id: TenantId,
    /// Namespace (`None` for tenant-level tools).
    pub namespace_id: Option<NamespaceId>,
    /// Metric.
    pub metric: UsageMetric,
    /// Units.
    pub units: u64,
    /// Idempotency key: the same logical request (a retried trigger, a repeated start) carries
    /// the same key, so a ledger counts it once per metric. From the client's key when given,
    /// else from the tool, tenant and the ids that make the request idempotent.
    pub idempotency_key: String,
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

/// A metering backend failure. A failed check denies the call (fail closed).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("usage metering unavailable: {0}")]
pub struct UsageError(pub String);

/// Meters usage.
pub trait UsageSink: Send + Sync {
    /// Checks and reserves units before the tool runs.
    fn check_and_reserve<'a>(
        &'a self,
        ctx: &'a CallContext,
        request: &'a UsageRequest,
    ) -> BoxFuture<'a, Result<UsageDecision, UsageError>>;

    /// Commits a reservation after success.
    fn commit<'a>(
        &'a self,
        ctx: &'a CallContext,
        reservation: UsageReservation,
    ) -> BoxFuture<'a, Result<(), UsageError>>;

    /// Releases a reservation after a failure, a drop or a cancellation.
    fn release<'a>(
        &'a self,
        ctx: &'a CallContext,
        reservation: UsageReservation,
    ) -> BoxFuture<'a, Result<(), UsageError>>;
}

/// Owns one reservation until it is committed. Dropping the guard (an error path, a dropped
/// future, a cancelled request) releases the reservation on the current Tokio runtime.
pub struct ReservationGuard {
    sink: Arc<dyn UsageSink>,
    ctx: CallContext,
    reservation: Option<UsageReservation>,
}

impl std::fmt::Debug for ReservationGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReservationGuard").field("reservation", &self.reservation).finish_non_exhaustive()
    }
}

impl ReservationGuard {
    /// Guards a reservation granted by `sink`.
    pub fn new(sink: Arc<dyn UsageSink>, ctx: &CallContext, reservation: UsageReservation) -> Self {
        ReservationGuard { sink, ctx: ctx.clone(), reservation: Some(reservation) }
    }

    /// The guarded reservation.
    pub fn reservation(&self) -> Option<&UsageReservation> {
        self.reservation.as_ref()
    }

    /// Commits the reservation.
    pub async fn commit(mut self) -> Result<(), UsageError> {
        match self.reservation.take() {
            Some(reservation) => self.sink.commit(&self.ctx, reservation).await,
            None => Ok(()),
        }
    }

    /// Releases the reservation now (instead of on drop).
    pub async fn release(mut self) -> Result<(), UsageError> {
        match self.reservation.take() {
            Some(reservation) => self.sink.release(&self.ctx, reservation).await,
            None => Ok(()),
        }
    }
}

impl Drop for ReservationGuard {
    fn drop(&mut self) {
        let Some(reservation) = self.reservation.take() else { return };
        let (sink, ctx) = (self.sink.clone(), self.ctx.clone());
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    if let Err(error) = sink.release(&ctx, reservation).await {
                        tracing::warn!(%error, "usage reservation release failed");
                    }
                });
            }
            Err(_) => {
                if let Err(error) = futures::executor::block_on(sink.release(&ctx, reservation)) {
                    tracing::warn!(%error, "usage reservation release failed");
                }
            }
        }
    }
}

/// Open-source default: allows everything and discards records.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAllUsage;

impl UsageSink for AllowAllUsage {
    fn check_and_reserve<'a>(
        &'a self,
        _ctx: &'a CallContext,
        request: &'a UsageRequest,
    ) -> BoxFuture<'a, Result<UsageDecision, UsageError>> {
        let reservation = UsageReservation { request: request.clone(), handle: 0 };
        Box::pin(std::future::ready(Ok(UsageDecision::Allowed(reservation))))
    }

    fn commit<'a>(
        &'a self,
        _ctx: &'a CallContext,
        _reservation: UsageReservation,
    ) -> BoxFuture<'a, Result<(), UsageError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn release<'a>(
        &'a self,
        _ctx: &'a CallContext,
        _reservation: UsageReservation,
    ) -> BoxFuture<'a, Result<(), UsageError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}
