//! Semantic validation of a scenario spec (core-model §2.6).

use std::collections::HashSet;

use crate::ids::{ConditionId, GateId, PacketId, StageId};
use crate::requirement::{StructureError, StructureLimits, validate_structure};

use super::{AdvanceTo, ScenarioSpec};

/// Whether the four structural checks run after the eight semantic ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ValidationMode {
    /// Strict (default): also reject too-deep trees, impossible groups and foreign branch gates.
    #[default]
    Strict,
    /// Permissive: only the eight semantic checks (Decision Gate OSS behaviour).
    Permissive,
}

/// Why a definition was rejected. The first failing check wins.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The spec has no stages.
    #[error("scenario has no stages")]
    MissingStages,
    /// Two stages share an id.
    #[error("duplicate stage id: {0}")]
    DuplicateStageId(StageId),
    /// Two gates share an id.
    #[error("duplicate gate id: {0}")]
    DuplicateGateId(GateId),
    /// Two packets share an id.
    #[error("duplicate packet id: {0}")]
    DuplicatePacketId(PacketId),
    /// Two conditions share an id.
    #[error("duplicate condition id: {0}")]
    DuplicateCondition(ConditionId),
    /// A condition's provider or check id is blank.
    #[error("invalid evidence query for condition {0}: {1}")]
    InvalidEvidenceQuery(ConditionId, String),
    /// A gate references a condition that does not exist.
    #[error("missing condition: {0}")]
    MissingCondition(ConditionId),
    /// An advance target names a stage that does not exist.
    #[error("missing branch target: {0}")]
    MissingBranchTarget(StageId),
    /// Strict: a requirement tree is deeper than 32.
    #[error("gate {gate_id}: {source}")]
    TooDeep {
        /// The offending gate.
        gate_id: GateId,
        /// Details.
        source: StructureError,
    },
    /// Strict: `RequireGroup.min` exceeds its number of children.
    #[error("gate {gate_id}: {source}")]
    InvalidGroup {
        /// The offending gate.
        gate_id: GateId,
        /// Details.
        source: StructureError,
    },
    /// Strict: `RequireGroup.min = 0` with children.
    #[error("gate {gate_id}: {source}")]
    InvalidStructure {
        /// The offending gate.
        gate_id: GateId,
        /// Details.
        source: StructureError,
    },
    /// Strict: a branch rule names a gate that is not in its stage.
    #[error("branch rule gate {0} is not a gate of its stage")]
    InvalidBranchGate(GateId),
}

/// Runs the checks of core-model §2.6 in order; the first failure wins.
pub fn validate_spec(spec: &ScenarioSpec, mode: ValidationMode) -> Result<(), SpecError> {
    if spec.stages.is_empty() {
        return Err(SpecError::MissingStages);
    }
    let mut stage_ids = HashSet::new();
    for stage in &spec.stages {
        if !stage_ids.insert(&stage.stage_id) {
            return Err(SpecError::DuplicateStageId(stage.stage_id.clone()));
        }
    }
    let mut gate_ids = HashSet::new();
    for gate in spec.stages.iter().flat_map(|stage| &stage.gates) {
        if !gate_ids.insert(&gate.gate_id) {
            return Err(SpecError::DuplicateGateId(gate.gate_id.clone()));
        }
    }
    let mut packet_ids = HashSet::new();
    for packet in spec.stages.iter().flat_map(|stage| &stage.entry_packets) {
        if !packet_ids.insert(&packet.packet_id) {
            return Err(SpecError::DuplicatePacketId(packet.packet_id.clone()));
        }
    }
    let mut condition_ids = HashSet::new();
    for condition in &spec.conditions {
        if !condition_ids.insert(&condition.condition_id) {
            return Err(SpecError::DuplicateCondition(condition.condition_id.clone()));
        }
    }
    for condition in &spec.conditions {
        let reason = if condition.query.provider_id.as_str().trim().is_empty() {
            Some("provider_id is empty")
        } else if condition.query.check_id.trim().is_empty() {
            Some("check_id is empty")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(SpecError::InvalidEvidenceQuery(condition.condition_id.clone(), reason.to_owned()));
        }
    }
    for gate in spec.stages.iter().flat_map(|stage| &stage.gates) {
        let mut missing = None;
        gate.requirement.for_each_condition(&mut |id| {
            if missing.is_none() && !condition_ids.contains(id) {
                missing = Some(id.clone());
            }
        });
        if let Some(id) = missing {
            return Err(SpecError::MissingCondition(id));
        }
    }
    for stage in &spec.stages {
        let targets: Vec<&StageId> = match &stage.advance_to {
            AdvanceTo::Fixed { stage_id } => vec![stage_id],
            AdvanceTo::Branch { branches, default } => {
                branches.iter().map(|rule| &rule.next_stage_id).chain(default.as_ref()).collect()
            }
            AdvanceTo::Linear | AdvanceTo::Terminal => Vec::new(),
        };
        if let Some(target) = targets.into_iter().find(|target| !stage_ids.contains(target)) {
            return Err(SpecError::MissingBranchTarget(target.clone()));
        }
    }
    if mode == ValidationMode::Strict {
        validate_strict_structure(spec)?;
    }
    Ok(())
}

fn validate_strict_structure(spec: &ScenarioSpec) -> Result<(), SpecError> {
    for gate in spec.stages.iter().flat_map(|stage| &stage.gates) {
        validate_structure(&gate.requirement, StructureLimits::default()).map_err(|source| {
            let gate_id = gate.gate_id.clone();
            match source {
                StructureError::TooDeep { .. } => SpecError::TooDeep { gate_id, source },
                StructureError::InvalidGroup { .. } => SpecError::InvalidGroup { gate_id, source },
                StructureError::InvalidStructure(_) => SpecError::InvalidStructure { gate_id, source },
            }
        })?;
    }
    for stage in &spec.stages {
        if let AdvanceTo::Branch { branches, .. } = &stage.advance_to {
            for rule in branches {
                if !stage.gates.iter().any(|gate| gate.gate_id == rule.gate_id) {
                    return Err(SpecError::InvalidBranchGate(rule.gate_id.clone()));
                }
            }
        }
    }
    Ok(())
}
