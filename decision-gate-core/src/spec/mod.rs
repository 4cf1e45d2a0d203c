//! The scenario model: what a scenario author writes.
//!
//! Serde forms follow core-model §2 exactly: which absent options serialise as `null` and which
//! are omitted decides every spec hash. Unknown input keys are ignored; enums are strict.

mod validate;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::comparator::Comparator;
use crate::evidence::TrustRequirement;
use crate::hashing::{CanonicalError, HashDigest, hash_canonical};
use crate::ids::{
    ConditionId, GateId, NamespaceId, PacketId, PolicyId, ProviderId, ScenarioId, SchemaId, SpecVersion, StageId,
    TenantId,
};
use crate::requirement::{BranchOutcome, Requirement};
use crate::time::Timestamp;

pub use validate::{SpecError, ValidationMode, validate_spec};

/// A complete scenario definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioSpec {
    /// Scenario id (unique per tenant and namespace).
    pub scenario_id: ScenarioId,
    /// Namespace the scenario belongs to; must equal the run's namespace at start.
    pub namespace_id: NamespaceId,
    /// Opaque version label.
    pub spec_version: SpecVersion,
    /// Ordered stages; the first is the initial stage.
    pub stages: Vec<StageSpec>,
    /// Condition definitions (unused ones allowed).
    pub conditions: Vec<ConditionSpec>,
    /// Informational policy references.
    pub policies: Vec<PolicyRef>,
    /// Informational schema references.
    pub schemas: Vec<SchemaRef>,
    /// Pins the scenario to one tenant when set.
    #[serde(default)]
    pub default_tenant_id: Option<TenantId>,
}

impl ScenarioSpec {
    /// SHA-256 of the canonical JSON of the typed spec.
    pub fn spec_hash(&self) -> Result<HashDigest, CanonicalError> {
        hash_canonical(self)
    }

    /// Looks up a stage by id.
    pub fn stage(&self, stage_id: &StageId) -> Option<&StageSpec> {
        self.stages.iter().find(|stage| &stage.stage_id == stage_id)
    }

    /// Looks up a condition by id.
    pub fn condition(&self, condition_id: &ConditionId) -> Option<&ConditionSpec> {
        self.conditions.iter().find(|condition| &condition.condition_id == condition_id)
    }
}

/// Informational policy reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRef {
    /// Policy id.
    pub policy_id: PolicyId,
    /// Free-text description.
    #[serde(default)]
    pub description: Option<String>,
}

/// Informational schema reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaRef {
    /// Schema id.
    pub schema_id: SchemaId,
    /// Optional version.
    #[serde(default)]
    pub version: Option<String>,
    /// Optional URI.
    #[serde(default)]
    pub uri: Option<String>,
}

/// One stage of a scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageSpec {
    /// Stage id (unique in the spec).
    pub stage_id: StageId,
    /// Packets issued when the stage is entered.
    pub entry_packets: Vec<PacketSpec>,
    /// Gates that must all be True to leave the stage (empty = pass on the first trigger).
    pub gates: Vec<GateSpec>,
    /// Where a passing stage goes.
    pub advance_to: AdvanceTo,
    /// Optional stage timeout (evaluated lazily on `tick` triggers).
    #[serde(default)]
    pub timeout: Option<TimeoutSpec>,
    /// What a timeout does (required even without `timeout`).
    pub on_timeout: TimeoutPolicy,
}

/// Where a passing stage advances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AdvanceTo {
    /// The next stage in array order; completes the run on the last stage.
    Linear,
    /// A named stage (may be the current one).
    Fixed {
        /// Target stage.
        stage_id: StageId,
    },
    /// The first matching rule, else `default`, else a resolution error.
    Branch {
        /// Rules in order.
        branches: Vec<BranchRule>,
        /// Fallback target (serialised as `null` when absent).
        #[serde(default)]
        default: Option<StageId>,
    },
    /// Passing the stage completes the run.
    Terminal,
}

/// A branch rule: when gate `gate_id` has `outcome`, go to `next_stage_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchRule {
    /// Gate whose outcome is tested.
    pub gate_id: GateId,
    /// Outcome that selects this rule.
    pub outcome: BranchOutcome,
    /// Target stage.
    pub next_stage_id: StageId,
}

/// Stage timeout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeoutSpec {
    /// Milliseconds (or logical units) after stage entry.
    pub timeout_ms: u64,
    /// Carried, unused.
    pub policy_tags: Vec<String>,
}

/// Timeout policy of a stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutPolicy {
    /// Fail the run with reason `timeout`.
    Fail,
    /// Treat every gate as True and advance with `timeout: true`.
    AdvanceWithFlag,
    /// Treat every gate as Unknown so `unknown` branch rules match.
    AlternateBranch,
}

/// A gate: a requirement tree with an optional trust floor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateSpec {
    /// Gate id (unique across all stages).
    pub gate_id: GateId,
    /// Requirement tree over condition ids.
    pub requirement: Requirement,
    /// Optional trust requirement (can only tighten); omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<TrustRequirement>,
}

/// A condition: an evidence query plus a comparison.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionSpec {
    /// Condition id (unique within `conditions`).
    pub condition_id: ConditionId,
    /// What to ask the provider.
    pub query: EvidenceQuery,
    /// How to compare the answer.
    pub comparator: Comparator,
    /// Expected value; `null` means absent (serialised as `null`).
    #[serde(default)]
    pub expected: Option<Value>,
    /// Carried, unused by the engine.
    pub policy_tags: Vec<String>,
    /// Optional trust requirement; omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<TrustRequirement>,
}

/// A question to an evidence provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceQuery {
    /// Provider id.
    pub provider_id: ProviderId,
    /// Check id within the provider.
    pub check_id: String,
    /// Check parameters (opaque to the core); `null` is absent and omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

/// A packet disclosed when its stage is entered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketSpec {
    /// Packet id (unique across all stages).
    pub packet_id: PacketId,
    /// Free-text schema id copied to the envelope.
    pub schema_id: SchemaId,
    /// Content type of the payload.
    pub content_type: String,
    /// Visibility labels copied to the envelope.
    pub visibility_labels: Vec<String>,
    /// Policy tags copied to the envelope.
    pub policy_tags: Vec<String>,
    /// Carried to the envelope, never enforced.
    #[serde(default)]
    pub expiry: Option<Timestamp>,
    /// The payload.
    pub payload: PacketPayload,
}

/// Packet or submission payload, tagged by `kind`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PacketPayload {
    /// Inline JSON.
    Json {
        /// The JSON value.
        value: Value,
    },
    /// Inline bytes (a JSON array of integers 0..=255).
    Bytes {
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// Content stored elsewhere, identified by its declared hash.
    External {
        /// Where and what the content is.
        content_ref: ContentRef,
    },
}

/// Reference to external content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentRef {
    /// Location of the content.
    pub uri: String,
    /// Declared hash of the content.
    pub content_hash: HashDigest,
    /// Optional encryption label.
    #[serde(default)]
    pub encryption: Option<String>,
}

/// Parses a scenario spec from JSON text with the project's decoding rules: duplicate keys keep
/// the last value, unknown keys are ignored, enums are strict.
pub fn parse_spec_json(text: &str) -> Result<ScenarioSpec, serde_json::Error> {
    let value: Value = serde_json::from_str(text)?;
    serde_json::from_value(value)
}

#[cfg(test)]
mod tests;
