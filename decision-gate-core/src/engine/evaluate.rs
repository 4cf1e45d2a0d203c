//! Stage evaluation shared by triggers and precheck: evidence per condition, trust per gate,
//! comparators, requirement trees, and next-stage resolution.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::{ConditionEvalOrder, ControlPlane, ControlPlaneError};
use crate::comparator::compare;
use crate::evidence::{
    EvidenceContext, EvidenceRecord, EvidenceResult, EvidenceResultError, effective_requirement, lane_failure_message,
    normalize_provider_result, provider_error_result,
};
use crate::ids::{ConditionId, GateId, StageId};
use crate::requirement::{TriState, evaluate_requirement};
use crate::run::{GateEvaluation, SafeSummary};
use crate::spec::{AdvanceTo, ConditionSpec, StageSpec};

/// One gate's evaluation with the evidence of its conditions (trust applied for this gate).
#[derive(Clone, Debug)]
pub(crate) struct GateOutcome {
    pub(crate) evaluation: GateEvaluation,
    pub(crate) evidence: Vec<EvidenceRecord>,
}

impl ControlPlane {
    /// Position of a stage in the spec.
    pub(crate) fn stage_position(&self, stage_id: &StageId) -> Result<usize, ControlPlaneError> {
        self.index
            .stage_positions
            .get(stage_id)
            .copied()
            .ok_or_else(|| ControlPlaneError::StageNotFound(stage_id.clone()))
    }

    pub(crate) fn stage_at(&self, position: usize) -> &StageSpec {
        &self.spec.stages[position]
    }

    fn condition(&self, condition_id: &ConditionId) -> Result<&ConditionSpec, ControlPlaneError> {
        self.index
            .condition_positions
            .get(condition_id)
            .map(|&position| &self.spec.conditions[position])
            .ok_or_else(|| ControlPlaneError::GateResolutionFailed(format!("condition not found: {condition_id}")))
    }

    /// The stage's conditions in query order (first visit, or the deterministic shuffle).
    pub(crate) fn query_order(&self, stage_position: usize) -> Vec<ConditionId> {
        let mut order = self.index.stages[stage_position].conditions.clone();
        if let ConditionEvalOrder::DeterministicShuffle { seed } = self.config.condition_eval_order {
            let mut keyed: Vec<(String, ConditionId)> = order
                .into_iter()
                .map(|id| (hex::encode(Sha256::digest(format!("{seed}:{id}").as_bytes())), id))
                .collect();
            keyed.sort();
            order = keyed.into_iter().map(|(_, id)| id).collect();
        }
        order
    }

    /// Queries each condition of the stage once and normalises the answers (core-model §5.2).
    /// Oversized evidence is a hard error for the whole trigger.
    pub(crate) fn gather_evidence(
        &self,
        stage_position: usize,
        context: &EvidenceContext,
    ) -> Result<HashMap<ConditionId, EvidenceResult>, ControlPlaneError> {
        let mut results = HashMap::new();
        for condition_id in self.query_order(stage_position) {
            let condition = self.condition(&condition_id)?;
            let raw = match self.ports.provider.query(&condition.query, context) {
                Ok(result) => result,
                Err(error) => provider_error_result(&error.0),
            };
            let anchor = self.config.anchor_policy.requirement_for(&condition.query.provider_id);
            let normalized = normalize_provider_result(raw, anchor).map_err(|(actual, max)| {
                ControlPlaneError::EvidenceTooLarge { condition_id: condition_id.clone(), actual, max }
            })?;
            results.insert(condition_id, normalized);
        }
        Ok(results)
    }

    /// Evaluates every gate of the stage from normalised evidence, in stage order.
    pub(crate) fn evaluate_gates(
        &self,
        stage_position: usize,
        evidence: &HashMap<ConditionId, EvidenceResult>,
    ) -> Result<Vec<GateOutcome>, ControlPlaneError> {
        let stage = self.stage_at(stage_position);
        let mut outcomes = Vec::with_capacity(stage.gates.len());
        for (gate, condition_ids) in stage.gates.iter().zip(&self.index.stages[stage_position].gate_conditions) {
            let mut records = Vec::with_capacity(condition_ids.len());
            for condition_id in condition_ids {
                let condition = self.condition(condition_id)?;
                let mut result = evidence.get(condition_id).cloned().unwrap_or_default();
                let required = effective_requirement(
                    self.config.trust_requirement,
                    self.config.provider_trust_overrides.get(&condition.query.provider_id).copied(),
                    condition.trust,
                    gate.trust,
                );
                let status = if result.error.is_some() {
                    TriState::Unknown
                } else if result.lane.rank() < required.rank() {
                    result.error = Some(EvidenceResultError {
                        code: "trust_lane".to_owned(),
                        message: lane_failure_message(result.lane, required),
                        details: None,
                    });
                    TriState::Unknown
                } else {
                    compare(condition.comparator, condition.expected.as_ref(), &result)
                };
                records.push(EvidenceRecord { condition_id: condition_id.clone(), status, result });
            }
            let statuses: HashMap<&str, TriState> =
                records.iter().map(|record| (record.condition_id.as_str(), record.status)).collect();
            let tree = evaluate_requirement(&gate.requirement, self.config.logic_mode, &mut |id| {
                statuses.get(id.as_str()).copied().unwrap_or(TriState::Unknown)
            });
            outcomes.push(GateOutcome {
                evaluation: GateEvaluation { gate_id: gate.gate_id.clone(), status: tree.status, trace: tree.trace },
                evidence: records,
            });
        }
        Ok(outcomes)
    }

    /// Resolves where a passing stage goes; `None` means the run completes.
    pub(crate) fn resolve_next(
        &self,
        stage_position: usize,
        gate_outcome: &dyn Fn(&GateId) -> TriState,
    ) -> Result<Option<StageId>, ControlPlaneError> {
        let stage = self.stage_at(stage_position);
        match &stage.advance_to {
            AdvanceTo::Linear => Ok(self.spec.stages.get(stage_position + 1).map(|next| next.stage_id.clone())),
            AdvanceTo::Fixed { stage_id } => Ok(Some(stage_id.clone())),
            AdvanceTo::Terminal => Ok(None),
            AdvanceTo::Branch { branches, default } => {
                for rule in branches {
                    let outcome = if stage.gates.iter().any(|gate| gate.gate_id == rule.gate_id) {
                        gate_outcome(&rule.gate_id)
                    } else {
                        TriState::Unknown
                    };
                    if outcome.branch_label() == rule.outcome {
                        return Ok(Some(rule.next_stage_id.clone()));
                    }
                }
                default
                    .clone()
                    .map(Some)
                    .ok_or_else(|| ControlPlaneError::GateResolutionFailed("no branch matched".to_owned()))
            }
        }
    }
}

/// The hold summary: non-True gates in stage order.
pub(crate) fn hold_summary(outcomes: &[GateOutcome]) -> SafeSummary {
    SafeSummary::hold(
        outcomes
            .iter()
            .filter(|outcome| outcome.evaluation.status != TriState::True)
            .map(|outcome| outcome.evaluation.gate_id.clone())
            .collect(),
    )
}
