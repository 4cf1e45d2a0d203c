//! Evidence: provider results, trust lanes, anchors, hashing and redaction.

mod anchors;
mod normalize;
mod redact;
mod trust;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::hashing::HashDigest;
use crate::ids::{ConditionId, CorrelationId, NamespaceId, RunId, ScenarioId, StageId, TenantId, TriggerId};
use crate::requirement::TriState;
use crate::time::Timestamp;

pub use anchors::{AnchorRequirement, EvidenceAnchorPolicy, ProviderAnchorPolicy, check_anchor};
pub use normalize::{hash_evidence_value, normalize_provider_result, provider_error_result};
pub use redact::{RawValuePolicy, redact_evidence_result};
pub use trust::{TrustRequirement, effective_requirement, lane_failure_message};

/// Trust lane of a piece of evidence: `asserted` (rank 0) < `verified` (rank 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustLane {
    /// Claimed by the caller (precheck payloads, dev inputs).
    Asserted,
    /// Produced by a trusted provider (default).
    #[default]
    Verified,
}

impl TrustLane {
    /// Numeric rank used for comparisons.
    pub fn rank(self) -> u8 {
        match self {
            TrustLane::Asserted => 0,
            TrustLane::Verified => 1,
        }
    }

    /// The stricter (higher-ranked) of two lanes.
    pub fn stricter(self, other: TrustLane) -> TrustLane {
        if other.rank() > self.rank() { other } else { self }
    }

    /// Capitalised name used in the `trust_lane` error message.
    pub fn display_name(self) -> &'static str {
        match self {
            TrustLane::Asserted => "Asserted",
            TrustLane::Verified => "Verified",
        }
    }
}

/// An evidence value: JSON, or bytes (a JSON integer array under the key `value`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum EvidenceValue {
    /// A JSON value.
    Json(Value),
    /// Raw bytes.
    Bytes(Vec<u8>),
}

/// A provider's domain error, carried in the result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceResultError {
    /// Machine-readable code (`provider_error`, `anchor_invalid`, `trust_lane`, provider codes).
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Optional structured details (`null` when absent).
    #[serde(default)]
    pub details: Option<Value>,
}

/// Opaque pointer to the evidence source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRef {
    /// The pointer.
    pub uri: String,
}

/// Anchor binding evidence to an external fact; `anchor_value` is a string containing JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceAnchor {
    /// Anchor type label.
    pub anchor_type: String,
    /// Anchor payload (JSON text for anchored providers).
    pub anchor_value: String,
}

/// Provider signature over the evidence hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceSignature {
    /// Signature scheme (`ed25519`).
    pub scheme: String,
    /// Signing key id.
    pub key_id: String,
    /// Signature bytes (a JSON integer array).
    pub signature: Vec<u8>,
}

/// What a provider returns for one query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceResult {
    /// The evidence; absent means "no evidence".
    #[serde(default)]
    pub value: Option<EvidenceValue>,
    /// Trust lane (defaults to `verified` when omitted).
    #[serde(default)]
    pub lane: TrustLane,
    /// Domain error; when set the engine wipes value, hash and content type.
    #[serde(default)]
    pub error: Option<EvidenceResultError>,
    /// Hash of the value (recomputed by the engine).
    #[serde(default)]
    pub evidence_hash: Option<HashDigest>,
    /// Opaque pointer to the source.
    #[serde(default)]
    pub evidence_ref: Option<EvidenceRef>,
    /// Anchor.
    #[serde(default)]
    pub evidence_anchor: Option<EvidenceAnchor>,
    /// Provider signature.
    #[serde(default)]
    pub signature: Option<EvidenceSignature>,
    /// Content type of the value.
    #[serde(default)]
    pub content_type: Option<String>,
}

impl EvidenceResult {
    /// A verified JSON result with nothing else set.
    pub fn json(value: Value) -> Self {
        EvidenceResult { value: Some(EvidenceValue::Json(value)), ..EvidenceResult::default() }
    }

    /// An asserted JSON result (precheck payloads).
    pub fn asserted_json(value: Value) -> Self {
        EvidenceResult { lane: TrustLane::Asserted, ..EvidenceResult::json(value) }
    }
}

/// One condition's evidence as recorded in a gate evaluation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRecord {
    /// The condition.
    pub condition_id: ConditionId,
    /// Its status for the gate the record belongs to.
    pub status: TriState,
    /// The normalised result.
    pub result: EvidenceResult,
}

/// Context given to providers with every query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceContext {
    /// Tenant of the run.
    pub tenant_id: TenantId,
    /// Namespace of the run.
    pub namespace_id: NamespaceId,
    /// The run.
    pub run_id: RunId,
    /// The scenario.
    pub scenario_id: ScenarioId,
    /// The current stage.
    pub stage_id: StageId,
    /// The trigger being processed.
    pub trigger_id: TriggerId,
    /// The trigger's time.
    pub trigger_time: Timestamp,
    /// The trigger's correlation id.
    #[serde(default)]
    pub correlation_id: Option<CorrelationId>,
}

#[cfg(test)]
mod tests;
