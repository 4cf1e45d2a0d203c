//! Precheck: what would a stage decide for asserted evidence, touching no run (core-model §10).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::evaluate::hold_summary;
use super::{ControlPlane, ControlPlaneError};
use crate::evidence::{EvidenceResult, TrustLane, normalize_provider_result};
use crate::ids::{ConditionId, StageId};
use crate::requirement::TriState;
use crate::run::{DecisionOutcome, GateEvaluation};
use crate::spec::ScenarioSpec;

/// Precheck response: the would-be decision and the gate evaluations (no evidence).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrecheckResult {
    /// `advance` (never with timeout), `complete` or `hold`.
    pub decision: DecisionOutcome,
    /// Gate statuses and traces in stage order.
    pub gate_evaluations: Vec<GateEvaluation>,
}

/// Maps a precheck payload to asserted evidence (core-model §10.3).
///
/// An object payload is a map keyed by condition id (other keys ignored). Any other payload is
/// allowed only when the spec has exactly one condition, which receives the whole payload.
pub fn precheck_evidence_from_payload(
    spec: &ScenarioSpec,
    payload: &Value,
) -> Result<BTreeMap<ConditionId, EvidenceResult>, String> {
    let mut evidence = BTreeMap::new();
    match payload {
        Value::Object(map) => {
            for condition in &spec.conditions {
                if let Some(value) = map.get(condition.condition_id.as_str()) {
                    evidence.insert(condition.condition_id.clone(), EvidenceResult::asserted_json(value.clone()));
                }
            }
        }
        other => {
            if spec.conditions.len() != 1 {
                return Err("payload must be an object keyed by condition ids".to_owned());
            }
            evidence.insert(spec.conditions[0].condition_id.clone(), EvidenceResult::asserted_json(other.clone()));
        }
    }
    Ok(evidence)
}

impl ControlPlane {
    /// Evaluates one stage (default: the first) against the given evidence. Conditions without
    /// evidence get an empty asserted result. Reads and writes no run state, queries no
    /// provider, dispatches nothing.
    pub fn precheck(
        &self,
        stage_id: Option<&StageId>,
        evidence: &BTreeMap<ConditionId, EvidenceResult>,
    ) -> Result<PrecheckResult, ControlPlaneError> {
        let position = match stage_id {
            Some(stage_id) => self.stage_position(stage_id)?,
            None if self.spec.stages.is_empty() => return Err(ControlPlaneError::MissingStages),
            None => 0,
        };
        let mut normalized = HashMap::new();
        for condition_id in &self.index.stages[position].conditions {
            let raw = evidence
                .get(condition_id)
                .cloned()
                .unwrap_or(EvidenceResult { lane: TrustLane::Asserted, ..EvidenceResult::default() });
            let result = normalize_provider_result(raw, None).map_err(|(actual, max)| {
                ControlPlaneError::EvidenceTooLarge { condition_id: condition_id.clone(), actual, max }
            })?;
            normalized.insert(condition_id.clone(), result);
        }
        let outcomes = self.evaluate_gates(position, &normalized)?;
        let decision = if outcomes.iter().all(|outcome| outcome.evaluation.status == TriState::True) {
            let current = self.stage_at(position).stage_id.clone();
            match self.resolve_next(position, &|_| TriState::True)? {
                Some(next) => DecisionOutcome::Advance { from_stage: current, to_stage: next, timeout: false },
                None => DecisionOutcome::Complete { stage_id: current },
            }
        } else {
            DecisionOutcome::Hold { summary: hold_summary(&outcomes) }
        };
        Ok(PrecheckResult {
            decision,
            gate_evaluations: outcomes.into_iter().map(|outcome| outcome.evaluation).collect(),
        })
    }
}
