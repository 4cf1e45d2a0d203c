//! Lookups precomputed once per engine so triggers do no repeated searching.

use std::collections::{HashMap, HashSet};

use crate::ids::{ConditionId, StageId};
use crate::spec::ScenarioSpec;

/// Per-stage lookups.
#[derive(Clone, Debug)]
pub(crate) struct StageIndex {
    /// Unique condition ids referenced by the stage's gates, in first-visit order
    /// (gates in order, each tree depth first, left to right).
    pub(crate) conditions: Vec<ConditionId>,
    /// For each gate (stage order): its unique condition ids sorted by byte order.
    pub(crate) gate_conditions: Vec<Vec<ConditionId>>,
}

/// Positions of stages and conditions, and per-stage condition lists.
#[derive(Clone, Debug)]
pub(crate) struct SpecIndex {
    pub(crate) stage_positions: HashMap<StageId, usize>,
    pub(crate) condition_positions: HashMap<ConditionId, usize>,
    pub(crate) stages: Vec<StageIndex>,
}

impl SpecIndex {
    /// Indexes a validated spec.
    pub(crate) fn new(spec: &ScenarioSpec) -> Self {
        let stage_positions = spec.stages.iter().enumerate().map(|(i, stage)| (stage.stage_id.clone(), i)).collect();
        let condition_positions =
            spec.conditions.iter().enumerate().map(|(i, cond)| (cond.condition_id.clone(), i)).collect();
        let stages = spec
            .stages
            .iter()
            .map(|stage| {
                let mut seen = HashSet::new();
                let mut conditions = Vec::new();
                let mut gate_conditions = Vec::with_capacity(stage.gates.len());
                for gate in &stage.gates {
                    let mut own = Vec::new();
                    gate.requirement.for_each_condition(&mut |id| {
                        if seen.insert(id.clone()) {
                            conditions.push(id.clone());
                        }
                        own.push(id.clone());
                    });
                    own.sort();
                    own.dedup();
                    gate_conditions.push(own);
                }
                StageIndex { conditions, gate_conditions }
            })
            .collect();
        SpecIndex { stage_positions, condition_positions, stages }
    }
}
