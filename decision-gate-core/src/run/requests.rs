//! Typed core requests and results. Request hashes in the transcript are computed over these
//! typed values with every field present (absent options as `null`).

use serde::{Deserialize, Serialize};

use super::{DecisionRecord, PacketRecord, RunStatus, SafeSummary, SubmissionRecord};
use crate::ids::{CorrelationId, NamespaceId, PacketId, RunId, ScenarioId, StageId, SubmissionId, TenantId, TriggerId};
use crate::spec::PacketPayload;
use crate::time::Timestamp;

/// `scenario_next` request: becomes an `agent_request_next` trigger from `agent_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextRequest {
    /// The run.
    pub run_id: RunId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Idempotency key.
    pub trigger_id: TriggerId,
    /// The requesting agent (the trigger's `source_id`).
    pub agent_id: String,
    /// Caller time.
    pub time: Timestamp,
    /// Caller correlation id.
    #[serde(default)]
    pub correlation_id: Option<CorrelationId>,
}

/// `scenario_submit` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitRequest {
    /// The run.
    pub run_id: RunId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Idempotency key.
    pub submission_id: SubmissionId,
    /// Payload.
    pub payload: PacketPayload,
    /// Content type.
    pub content_type: String,
    /// Caller time.
    pub submitted_at: Timestamp,
    /// Caller correlation id.
    #[serde(default)]
    pub correlation_id: Option<CorrelationId>,
}

/// `scenario_status` request (read-only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRequest {
    /// The run.
    pub run_id: RunId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Caller time.
    pub requested_at: Timestamp,
    /// Caller correlation id.
    #[serde(default)]
    pub correlation_id: Option<CorrelationId>,
}

/// `scenario_status` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    /// The run.
    pub run_id: RunId,
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Current stage.
    pub current_stage_id: StageId,
    /// Lifecycle status.
    pub status: RunStatus,
    /// Most recent decision.
    pub last_decision: Option<DecisionRecord>,
    /// Every packet id issued so far, in log order (duplicates kept).
    pub issued_packet_ids: Vec<PacketId>,
    /// Present only when the last decision is a hold.
    pub safe_summary: Option<SafeSummary>,
}

/// Result of `scenario_next` and `scenario_trigger`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerResult {
    /// The decision (new or replayed).
    pub decision: DecisionRecord,
    /// Packets released by that decision.
    pub packets: Vec<PacketRecord>,
    /// The run's current status.
    pub status: RunStatus,
}

/// Result of `scenario_submit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitResult {
    /// The stored (or previously stored) record.
    pub record: SubmissionRecord,
}

/// Dotted method labels of the tool-call transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolCallMethod {
    /// `scenario.next`.
    Next,
    /// `scenario.trigger`.
    Trigger,
    /// `scenario.submit`.
    Submit,
}

impl ToolCallMethod {
    /// The dotted label.
    pub fn label(self) -> &'static str {
        match self {
            ToolCallMethod::Next => "scenario.next",
            ToolCallMethod::Trigger => "scenario.trigger",
            ToolCallMethod::Submit => "scenario.submit",
        }
    }
}
