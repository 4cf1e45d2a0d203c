//! Tree evaluation with trace and depth limit.

use serde::{Deserialize, Serialize};

use super::{LogicMode, Requirement, TriState, require_group};
use crate::ids::ConditionId;

/// Deepest node depth that is evaluated (root = 0). A node deeper than this makes the whole
/// gate `Unknown` (fail closed).
pub const MAX_EVAL_DEPTH: usize = 32;

/// One leaf visit in evaluation order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateTraceEntry {
    /// The condition visited.
    pub condition_id: ConditionId,
    /// Its status for this gate.
    pub status: TriState,
}

/// Result of evaluating one tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeEvaluation {
    /// The tree's value (`Unknown` when the depth limit was hit).
    pub status: TriState,
    /// Leaf visits in depth-first, left-to-right order.
    pub trace: Vec<GateTraceEntry>,
}

struct TooDeep;

/// Evaluates `tree`, reading each leaf's status from `lookup`.
///
/// Every child of every node is visited (no short-circuit). If a node lies deeper than
/// [`MAX_EVAL_DEPTH`], evaluation stops, the result is `Unknown`, and the trace keeps the
/// entries emitted before that point.
pub fn evaluate_requirement(
    tree: &Requirement,
    mode: LogicMode,
    lookup: &mut dyn FnMut(&ConditionId) -> TriState,
) -> TreeEvaluation {
    let mut trace = Vec::new();
    let status = match visit(tree, 0, mode, lookup, &mut trace) {
        Ok(status) => status,
        Err(TooDeep) => TriState::Unknown,
    };
    TreeEvaluation { status, trace }
}

fn visit(
    node: &Requirement,
    depth: usize,
    mode: LogicMode,
    lookup: &mut dyn FnMut(&ConditionId) -> TriState,
    trace: &mut Vec<GateTraceEntry>,
) -> Result<TriState, TooDeep> {
    if depth > MAX_EVAL_DEPTH {
        return Err(TooDeep);
    }
    Ok(match node {
        Requirement::Condition(id) => {
            let status = lookup(id);
            trace.push(GateTraceEntry { condition_id: id.clone(), status });
            status
        }
        Requirement::Not(child) => mode.not(visit(child, depth + 1, mode, lookup, trace)?),
        Requirement::And(children) => {
            let mut acc = TriState::True;
            for child in children {
                acc = mode.and(acc, visit(child, depth + 1, mode, lookup, trace)?);
            }
            acc
        }
        Requirement::Or(children) => {
            let mut acc = TriState::False;
            for child in children {
                acc = mode.or(acc, visit(child, depth + 1, mode, lookup, trace)?);
            }
            acc
        }
        Requirement::RequireGroup { min, reqs } => {
            let (mut satisfied, mut unknown) = (0usize, 0usize);
            for child in reqs {
                match visit(child, depth + 1, mode, lookup, trace)? {
                    TriState::True => satisfied += 1,
                    TriState::Unknown => unknown += 1,
                    TriState::False => {}
                }
            }
            require_group(*min, satisfied, unknown)
        }
    })
}
