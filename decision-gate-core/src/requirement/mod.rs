//! Requirement trees (RET) and tri-state logic.
//!
//! A gate's requirement is a tree of `And`/`Or`/`Not`/`RequireGroup` nodes over condition
//! leaves, evaluated with strong Kleene logic, without short-circuiting, producing a trace of
//! every leaf visit.

mod dsl;
mod eval;
mod structure;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ids::ConditionId;

pub use dsl::{DslError, MAX_DSL_INPUT_BYTES, MAX_DSL_NESTING, parse_requirement};
pub use eval::{GateTraceEntry, MAX_EVAL_DEPTH, TreeEvaluation, evaluate_requirement};
pub use structure::{StructureError, StructureLimits, validate_structure};

/// Three-valued truth: `"True"`, `"False"`, `"Unknown"` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TriState {
    /// Satisfied.
    True,
    /// Not satisfied.
    False,
    /// Not decidable from the evidence.
    Unknown,
}

impl TriState {
    /// Lowercase label used by branch rules.
    pub fn branch_label(self) -> BranchOutcome {
        match self {
            TriState::True => BranchOutcome::True,
            TriState::False => BranchOutcome::False,
            TriState::Unknown => BranchOutcome::Unknown,
        }
    }
}

impl From<bool> for TriState {
    fn from(value: bool) -> Self {
        if value { TriState::True } else { TriState::False }
    }
}

/// Gate outcome named by a branch rule: lowercase `"true"`, `"false"`, `"unknown"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BranchOutcome {
    /// The gate was True.
    True,
    /// The gate was False.
    False,
    /// The gate was Unknown.
    Unknown,
}

/// Three-valued logic used to combine children.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogicMode {
    /// Strong Kleene logic (the default and the only configurable mode).
    #[default]
    Kleene,
    /// Bochvar "infectious" logic: any Unknown operand of And/Or/Not gives Unknown.
    Bochvar,
}

impl LogicMode {
    /// Conjunction of two values.
    pub fn and(self, a: TriState, b: TriState) -> TriState {
        use TriState::*;
        match self {
            LogicMode::Kleene => match (a, b) {
                (False, _) | (_, False) => False,
                (True, True) => True,
                _ => Unknown,
            },
            LogicMode::Bochvar => match (a, b) {
                (Unknown, _) | (_, Unknown) => Unknown,
                (True, True) => True,
                _ => False,
            },
        }
    }

    /// Disjunction of two values.
    pub fn or(self, a: TriState, b: TriState) -> TriState {
        use TriState::*;
        match self {
            LogicMode::Kleene => match (a, b) {
                (True, _) | (_, True) => True,
                (False, False) => False,
                _ => Unknown,
            },
            LogicMode::Bochvar => match (a, b) {
                (Unknown, _) | (_, Unknown) => Unknown,
                (False, False) => False,
                _ => True,
            },
        }
    }

    /// Negation (identical in both modes).
    pub fn not(self, a: TriState) -> TriState {
        match a {
            TriState::True => TriState::False,
            TriState::False => TriState::True,
            TriState::Unknown => TriState::Unknown,
        }
    }
}

/// The `RequireGroup` rule, with `satisfied` children True and `unknown` children Unknown.
pub fn require_group(min: u8, satisfied: usize, unknown: usize) -> TriState {
    let min = usize::from(min);
    if min == 0 || satisfied >= min {
        TriState::True
    } else if satisfied + unknown < min {
        TriState::False
    } else {
        TriState::Unknown
    }
}

/// A requirement tree node (externally tagged, PascalCase keys).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Requirement {
    /// All children must hold (empty = True).
    And(Vec<Requirement>),
    /// At least one child must hold (empty = False).
    Or(Vec<Requirement>),
    /// Negation of the child.
    Not(Box<Requirement>),
    /// At least `min` of `reqs` must hold.
    RequireGroup {
        /// Minimum number of True children (0..=255).
        min: u8,
        /// The children.
        reqs: Vec<Requirement>,
    },
    /// A condition leaf, by condition id.
    Condition(ConditionId),
}

impl Requirement {
    /// Builds a condition leaf.
    pub fn condition(id: impl Into<Arc<str>>) -> Self {
        Requirement::Condition(ConditionId::new(id))
    }

    /// Visits every condition leaf depth first, left to right (duplicates included).
    pub fn for_each_condition<'a>(&'a self, visit: &mut impl FnMut(&'a ConditionId)) {
        match self {
            Requirement::And(children) | Requirement::Or(children) => {
                children.iter().for_each(|child| child.for_each_condition(visit))
            }
            Requirement::RequireGroup { reqs, .. } => reqs.iter().for_each(|child| child.for_each_condition(visit)),
            Requirement::Not(child) => child.for_each_condition(visit),
            Requirement::Condition(id) => visit(id),
        }
    }
}

#[cfg(test)]
mod tests;
