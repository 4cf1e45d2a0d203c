//! Why a stage holds: for every gate that is not `True`, each condition that is not `True` with
//! an actionable reason class. Built from the recorded gate evaluations only (no I/O, no
//! evidence values), so it can be shown to callers who may not see raw evidence.

use serde::Serialize;

use crate::comparator::Comparator;
use crate::ids::{ConditionId, GateId, ProviderId};
use crate::requirement::TriState;
use crate::run::GateEvalRecord;
use crate::spec::ScenarioSpec;

/// Why a condition (or a whole gate) is not `True`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnmetReason {
    /// The comparison was made and is false.
    ConditionFalse,
    /// The provider answered without a value.
    EvidenceMissing,
    /// The provider failed, or answered with an in-band error (`error_code`, `message`).
    ProviderError,
    /// The evidence's trust lane is below what the condition or gate requires.
    TrustLaneTooLow,
    /// A value arrived but the comparator cannot compare it with the expected value (for
    /// example a string against a number).
    ComparatorTypeMismatch,
    /// The gate's requirement tree is deeper than the evaluation limit.
    EvaluationDepth,
    /// Every condition holds, yet the requirement (a `Not`, a group count) is not met.
    RequirementNotMet,
}

/// One reason a gate is not `True`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnmetCondition {
    /// The gate.
    pub gate_id: GateId,
    /// The condition (absent for gate-level reasons).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_id: Option<ConditionId>,
    /// The condition's (or, for gate-level reasons, the gate's) status.
    pub status: TriState,
    /// The reason class.
    pub reason: UnmetReason,
    /// Provider asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<ProviderId>,
    /// Check asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_id: Option<String>,
    /// Comparator applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparator: Option<Comparator>,
    /// In-band error code of the evidence (`trust_lane`, `provider_error`, `file_not_found`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// The error message of the evidence, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The reasons behind every non-`True` gate of `records` (in record order; conditions in the
/// order the records hold them).
pub fn explain_gates<'a>(
    spec: &ScenarioSpec,
    records: impl IntoIterator<Item = &'a GateEvalRecord>,
) -> Vec<UnmetCondition> {
    let mut unmet = Vec::new();
    for record in records {
        let gate_status = record.evaluation.status;
        if gate_status == TriState::True {
            continue;
        }
        let gate_level = |reason| UnmetCondition {
            gate_id: record.evaluation.gate_id.clone(),
            condition_id: None,
            status: gate_status,
            reason,
            provider_id: None,
            check_id: None,
            comparator: None,
            error_code: None,
            message: None,
        };
        let open: Vec<_> = record.evidence.iter().filter(|evidence| evidence.status != TriState::True).collect();
        let any_unknown = open.iter().any(|evidence| evidence.status == TriState::Unknown);
        if gate_status == TriState::Unknown && !any_unknown {
            unmet.push(gate_level(UnmetReason::EvaluationDepth));
            continue;
        }
        if open.is_empty() {
            unmet.push(gate_level(UnmetReason::RequirementNotMet));
            continue;
        }
        for evidence in open {
            let condition = spec.condition(&evidence.condition_id);
            let error = evidence.result.error.as_ref();
            let reason = match (evidence.status, error) {
                (_, Some(error)) if error.code == "trust_lane" => UnmetReason::TrustLaneTooLow,
                (_, Some(_)) => UnmetReason::ProviderError,
                (TriState::False, None) => UnmetReason::ConditionFalse,
                (_, None) if evidence.result.value.is_none() => UnmetReason::EvidenceMissing,
                (_, None) => UnmetReason::ComparatorTypeMismatch,
            };
            unmet.push(UnmetCondition {
                gate_id: record.evaluation.gate_id.clone(),
                condition_id: Some(evidence.condition_id.clone()),
                status: evidence.status,
                reason,
                provider_id: condition.map(|condition| condition.query.provider_id.clone()),
                check_id: condition.map(|condition| condition.query.check_id.clone()),
                comparator: condition.map(|condition| condition.comparator),
                error_code: error.map(|error| error.code.clone()),
                message: error.map(|error| error.message.clone()),
            });
        }
    }
    unmet
}
