//! Trust requirements and the effective lane of a condition inside a gate (core-model §5.3).

use serde::{Deserialize, Serialize};

use super::TrustLane;

/// A minimum trust lane (`{"min_lane":"verified"|"asserted"}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustRequirement {
    /// Lowest acceptable lane.
    pub min_lane: TrustLane,
}

/// The lane a condition's evidence must reach inside one gate.
///
/// condition base = provider override if configured, else the global minimum;
/// condition requirement = stricter(base, condition.trust or base);
/// gate requirement = stricter(global, gate.trust or global);
/// effective = stricter(condition requirement, gate requirement).
/// The gate term always includes the global minimum, so overrides can only raise it.
pub fn effective_requirement(
    global: TrustLane,
    provider_override: Option<TrustLane>,
    condition: Option<TrustRequirement>,
    gate: Option<TrustRequirement>,
) -> TrustLane {
    let base = provider_override.unwrap_or(global);
    let condition_requirement = base.stricter(condition.map_or(base, |req| req.min_lane));
    let gate_requirement = global.stricter(gate.map_or(global, |req| req.min_lane));
    condition_requirement.stricter(gate_requirement)
}

/// Message recorded when a lane does not satisfy a requirement.
pub fn lane_failure_message(lane: TrustLane, required: TrustLane) -> String {
    format!("evidence lane {} does not satisfy {}", lane.display_name(), required.display_name())
}
