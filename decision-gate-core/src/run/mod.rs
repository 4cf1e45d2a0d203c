//! Runs: configuration, triggers, decisions, packets, submissions, the tool-call transcript,
//! the run state and the engine's request/response shapes (core-model §6, §7).

mod requests;

use serde::{Deserialize, Serialize};

use crate::evidence::EvidenceRecord;
use crate::hashing::HashDigest;
use crate::ids::{
    CorrelationId, DecisionId, GateId, NamespaceId, PacketId, RunId, ScenarioId, SchemaId, StageId, SubmissionId,
    TenantId, TriggerId,
};
use crate::requirement::{GateTraceEntry, TriState};
use crate::spec::PacketPayload;
use crate::time::Timestamp;

pub use requests::{
    NextRequest, StatusRequest, StatusResponse, SubmitRequest, SubmitResult, ToolCallMethod, TriggerResult,
};

/// Run configuration supplied at start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunConfig {
    /// Tenant of the run.
    pub tenant_id: TenantId,
    /// Namespace of the run (must equal the spec's).
    pub namespace_id: NamespaceId,
    /// Run id.
    pub run_id: RunId,
    /// Scenario id (must equal the spec's).
    pub scenario_id: ScenarioId,
    /// Where disclosed packets are dispatched, in order.
    pub dispatch_targets: Vec<DispatchTarget>,
    /// Carried, not stored.
    pub policy_tags: Vec<String>,
}

/// A packet destination, tagged by `kind`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DispatchTarget {
    /// An agent.
    Agent {
        /// Agent id.
        agent_id: String,
    },
    /// A session.
    Session {
        /// Session id.
        session_id: String,
    },
    /// An external system.
    External {
        /// System name.
        system: String,
        /// Target within the system.
        target: String,
    },
    /// A channel.
    Channel {
        /// Channel name.
        channel: String,
    },
}

impl DispatchTarget {
    /// The `kind` label.
    pub fn kind_label(&self) -> &'static str {
        match self {
            DispatchTarget::Agent { .. } => "agent",
            DispatchTarget::Session { .. } => "session",
            DispatchTarget::External { .. } => "external",
            DispatchTarget::Channel { .. } => "channel",
        }
    }
}

/// Kind of a trigger; only `tick` has special meaning (timeouts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerKind {
    /// An agent asked for the next step.
    AgentRequestNext,
    /// A clock tick: evaluates stage timeouts.
    Tick,
    /// An external event.
    ExternalEvent,
    /// A backend event.
    BackendEvent,
}

/// A trigger: something that asks the run to re-evaluate its current stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerEvent {
    /// Idempotency key within the run.
    pub trigger_id: TriggerId,
    /// Tenant of the run.
    pub tenant_id: TenantId,
    /// Namespace of the run.
    pub namespace_id: NamespaceId,
    /// The run.
    pub run_id: RunId,
    /// Trigger kind.
    pub kind: TriggerKind,
    /// Caller-supplied time.
    pub time: Timestamp,
    /// Who sent the trigger.
    pub source_id: String,
    /// Stored, never interpreted.
    #[serde(default)]
    pub payload: Option<PacketPayload>,
    /// Caller correlation id.
    #[serde(default)]
    pub correlation_id: Option<CorrelationId>,
}

/// A logged trigger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerRecord {
    /// 1-based position in the trigger log.
    pub seq: u64,
    /// The trigger.
    pub event: TriggerEvent,
}

/// Hold summary (also the status tool's `safe_summary`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeSummary {
    /// Always `hold`.
    pub status: String,
    /// Gates that were not True, in stage order.
    pub unmet_gates: Vec<GateId>,
    /// `await_evidence` for holds.
    #[serde(default)]
    pub retry_hint: Option<String>,
    /// Always empty.
    pub policy_tags: Vec<String>,
}

impl SafeSummary {
    /// The standard hold summary for the given unmet gates.
    pub fn hold(unmet_gates: Vec<GateId>) -> Self {
        SafeSummary {
            status: "hold".to_owned(),
            unmet_gates,
            retry_hint: Some("await_evidence".to_owned()),
            policy_tags: Vec::new(),
        }
    }
}

/// What a decision did, tagged by `kind`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionOutcome {
    /// The run started and entry packets were issued.
    Start {
        /// The first stage.
        stage_id: StageId,
    },
    /// The run moved to another stage (or looped).
    Advance {
        /// Stage left.
        from_stage: StageId,
        /// Stage entered.
        to_stage: StageId,
        /// Whether a timeout caused the advance.
        timeout: bool,
    },
    /// The stage did not pass.
    Hold {
        /// Which gates are unmet.
        summary: SafeSummary,
    },
    /// The run completed.
    Complete {
        /// The stage that completed it.
        stage_id: StageId,
    },
    /// The run failed.
    Fail {
        /// `timeout` or the disclosure error text.
        reason: String,
    },
}

/// A recorded decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// `decision-<seq>`.
    pub decision_id: DecisionId,
    /// 1-based position in the decision log.
    pub seq: u64,
    /// The trigger that caused it.
    pub trigger_id: TriggerId,
    /// Stage at decision time.
    pub stage_id: StageId,
    /// The trigger's time.
    pub decided_at: Timestamp,
    /// What happened.
    pub outcome: DecisionOutcome,
    /// The trigger's correlation id.
    #[serde(default)]
    pub correlation_id: Option<CorrelationId>,
}

/// Gate evaluation result with its trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateEvaluation {
    /// The gate.
    pub gate_id: GateId,
    /// Its value.
    pub status: TriState,
    /// Leaf visits.
    pub trace: Vec<GateTraceEntry>,
}

/// A logged gate evaluation with the evidence of that gate's conditions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateEvalRecord {
    /// Trigger being processed.
    pub trigger_id: TriggerId,
    /// Stage evaluated.
    pub stage_id: StageId,
    /// The evaluation.
    pub evaluation: GateEvaluation,
    /// Evidence of the gate's conditions (sorted by condition id, trust applied for this gate).
    pub evidence: Vec<EvidenceRecord>,
}

/// Visibility metadata of a disclosed packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketVisibility {
    /// Visibility labels.
    pub labels: Vec<String>,
    /// Policy tags.
    pub policy_tags: Vec<String>,
}

/// Metadata of a disclosed packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketEnvelope {
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Run.
    pub run_id: RunId,
    /// Stage being entered.
    pub stage_id: StageId,
    /// Packet.
    pub packet_id: PacketId,
    /// Schema id (free text).
    pub schema_id: SchemaId,
    /// Content type.
    pub content_type: String,
    /// Hash of the payload.
    pub content_hash: HashDigest,
    /// Labels and tags.
    pub visibility: PacketVisibility,
    /// Carried, never enforced.
    #[serde(default)]
    pub expiry: Option<Timestamp>,
    /// The decision's correlation id.
    #[serde(default)]
    pub correlation_id: Option<CorrelationId>,
    /// The decision's time.
    pub issued_at: Timestamp,
}

/// Proof of one dispatch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchReceipt {
    /// Dispatcher-assigned id.
    pub dispatch_id: String,
    /// Where it went.
    pub target: DispatchTarget,
    /// Deterministic receipt hash.
    pub receipt_hash: HashDigest,
    /// When.
    pub dispatched_at: Timestamp,
    /// Which dispatcher.
    pub dispatcher: String,
}

/// A disclosed packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketRecord {
    /// Metadata.
    pub envelope: PacketEnvelope,
    /// Full payload.
    pub payload: PacketPayload,
    /// One receipt per dispatch target.
    pub receipts: Vec<DispatchReceipt>,
    /// Decision that released it.
    pub decision_id: DecisionId,
}

/// A stored submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionRecord {
    /// Idempotency key.
    pub submission_id: SubmissionId,
    /// The run.
    pub run_id: RunId,
    /// Full payload.
    pub payload: PacketPayload,
    /// Content type.
    pub content_type: String,
    /// Hash of the payload.
    pub content_hash: HashDigest,
    /// Caller time.
    pub submitted_at: Timestamp,
    /// Caller correlation id.
    #[serde(default)]
    pub correlation_id: Option<CorrelationId>,
}

/// Missing-provider details recorded in the transcript and returned as an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderMissingError {
    /// Providers that are not registered (sorted).
    pub missing_providers: Vec<String>,
    /// Checks required from them (sorted).
    pub required_capabilities: Vec<String>,
    /// Whether a policy (not absence) blocked them.
    pub blocked_by_policy: bool,
}

/// Details of a transcript error, tagged by `kind`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToolCallErrorDetails {
    /// Provider validation failed.
    ProviderMissing(ProviderMissingError),
    /// Free-text detail.
    Message {
        /// The detail.
        info: String,
    },
}

/// An error recorded in the transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallError {
    /// `provider_missing` or `submission_conflict`.
    pub code: String,
    /// Message.
    pub message: String,
    /// Details.
    pub details: ToolCallErrorDetails,
}

/// One entry of the tool-call transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallRecord {
    /// `call-<n>`.
    pub call_id: String,
    /// Dotted label (`scenario.next`, `scenario.trigger`, `scenario.submit`; `scenario.status`
    /// appears in Decision Gate OSS states).
    pub method: String,
    /// Hash of the canonical typed core request.
    pub request_hash: HashDigest,
    /// Hash of the canonical result, or of the error object.
    pub response_hash: HashDigest,
    /// The request's own time.
    pub called_at: Timestamp,
    /// The request's correlation id.
    #[serde(default)]
    pub correlation_id: Option<CorrelationId>,
    /// Error, when the call failed.
    #[serde(default)]
    pub error: Option<ToolCallError>,
}

/// Lifecycle status of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Accepting triggers.
    Active,
    /// Completed successfully.
    Completed,
    /// Failed (timeout or disclosure error).
    Failed,
}

impl RunStatus {
    /// The wire label.
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Active => "active",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
        }
    }
}

/// The full state of a run. All lists are append-only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Run id.
    pub run_id: RunId,
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Hash of the spec at start.
    pub spec_hash: HashDigest,
    /// Current stage.
    pub current_stage_id: StageId,
    /// When the current stage was entered.
    pub stage_entered_at: Timestamp,
    /// Lifecycle status.
    pub status: RunStatus,
    /// Dispatch targets from the run config.
    pub dispatch_targets: Vec<DispatchTarget>,
    /// Trigger log.
    pub triggers: Vec<TriggerRecord>,
    /// Gate evaluation log.
    pub gate_evals: Vec<GateEvalRecord>,
    /// Decision log.
    pub decisions: Vec<DecisionRecord>,
    /// Disclosed packets.
    pub packets: Vec<PacketRecord>,
    /// Submissions.
    pub submissions: Vec<SubmissionRecord>,
    /// Tool-call transcript.
    pub tool_calls: Vec<ToolCallRecord>,
}

impl RunState {
    /// The decision recorded for a trigger id, if any.
    pub fn decision_for_trigger(&self, trigger_id: &TriggerId) -> Option<&DecisionRecord> {
        self.decisions.iter().find(|decision| &decision.trigger_id == trigger_id)
    }

    /// Packets released by a decision, in log order.
    pub fn packets_for_decision(&self, decision_id: &DecisionId) -> Vec<PacketRecord> {
        self.packets.iter().filter(|packet| &packet.decision_id == decision_id).cloned().collect()
    }
}
