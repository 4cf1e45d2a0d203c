//! Structural validation of requirement trees (strict define mode and authoring).

use super::Requirement;

/// Limits applied by [`validate_structure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StructureLimits {
    /// Deepest allowed node depth (root = 0).
    pub max_depth: usize,
    /// Whether `And([])` and `Or([])` are accepted.
    pub allow_empty_and_or: bool,
}

impl Default for StructureLimits {
    fn default() -> Self {
        StructureLimits { max_depth: super::MAX_EVAL_DEPTH, allow_empty_and_or: true }
    }
}

/// A structural defect of a requirement tree.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StructureError {
    /// A node lies deeper than the limit.
    #[error("requirement tree exceeds max depth {max_depth}")]
    TooDeep {
        /// The configured limit.
        max_depth: usize,
    },
    /// `RequireGroup.min` is larger than the number of children.
    #[error("require group min {min} exceeds {count} requirements")]
    InvalidGroup {
        /// The group minimum.
        min: u8,
        /// The number of children.
        count: usize,
    },
    /// Any other impossible shape (`min = 0` with children, empty And/Or when disallowed).
    #[error("invalid requirement structure: {0}")]
    InvalidStructure(String),
}

/// Checks depth, group minimums and empty combinators.
pub fn validate_structure(tree: &Requirement, limits: StructureLimits) -> Result<(), StructureError> {
    check(tree, 0, limits)
}

fn check(node: &Requirement, depth: usize, limits: StructureLimits) -> Result<(), StructureError> {
    if depth > limits.max_depth {
        return Err(StructureError::TooDeep { max_depth: limits.max_depth });
    }
    match node {
        Requirement::Condition(_) => Ok(()),
        Requirement::Not(child) => check(child, depth + 1, limits),
        Requirement::And(children) | Requirement::Or(children) => {
            if children.is_empty() && !limits.allow_empty_and_or {
                let name = if matches!(node, Requirement::And(_)) { "And" } else { "Or" };
                return Err(StructureError::InvalidStructure(format!("empty {name} is not allowed")));
            }
            children.iter().try_for_each(|child| check(child, depth + 1, limits))
        }
        Requirement::RequireGroup { min, reqs } => {
            if usize::from(*min) > reqs.len() {
                return Err(StructureError::InvalidGroup { min: *min, count: reqs.len() });
            }
            if *min == 0 && !reqs.is_empty() {
                return Err(StructureError::InvalidStructure(
                    "require group min 0 with requirements always passes".to_owned(),
                ));
            }
            reqs.iter().try_for_each(|child| check(child, depth + 1, limits))
        }
    }
}
