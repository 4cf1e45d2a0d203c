//! Engine errors (core-model §13). Display texts are what clients see.

use crate::ids::{ConditionId, NamespaceId, RunId, ScenarioId, StageId, SubmissionId};
use crate::ports::StoreError;
use crate::run::{ProviderMissingError, RunStatus};
use crate::spec::SpecError;

/// Why an engine call failed. Nothing is persisted unless the variant says otherwise.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ControlPlaneError {
    /// The spec failed validation when building the engine.
    #[error("invalid scenario spec: {0}")]
    InvalidSpec(SpecError),
    /// The spec has no stages (defensive).
    #[error("scenario has no stages")]
    MissingStages,
    /// `run_config.scenario_id` differs from the spec.
    #[error("scenario mismatch: run config names {actual}, spec is {expected}")]
    ScenarioMismatch {
        /// The spec's id.
        expected: ScenarioId,
        /// The run config's id.
        actual: ScenarioId,
    },
    /// `run_config.namespace_id` differs from the spec.
    #[error("namespace mismatch: run config names {actual}, spec is {expected}")]
    NamespaceMismatch {
        /// The spec's namespace.
        expected: NamespaceId,
        /// The run config's namespace.
        actual: NamespaceId,
    },
    /// A run with this id already exists.
    #[error("run already exists: {0}")]
    RunAlreadyExists(RunId),
    /// No such run.
    #[error("run not found: {0}")]
    RunNotFound(RunId),
    /// The run exists but was started from another scenario or another definition of it. Its
    /// text is exactly [`ControlPlaneError::RunNotFound`]'s, so a caller learns nothing about
    /// runs outside the scenario it named; [`ControlPlaneError::audit_reason`] tells the truth.
    #[error("run not found: {run_id}")]
    RunNotOwned {
        /// The requested run.
        run_id: RunId,
        /// Why the run does not belong to the named scenario.
        reason: RunOwnershipMismatch,
    },
    /// The request's run id differs from the loaded run.
    #[error("run mismatch: request names {requested}, loaded run is {loaded}")]
    RunMismatch {
        /// Requested run.
        requested: RunId,
        /// Loaded run.
        loaded: RunId,
    },
    /// A trigger on an inactive run that has no decisions.
    #[error("run is not active: {}", .0.label())]
    RunInactive(RunStatus),
    /// Same submission id with different content (the conflict is recorded in the transcript).
    #[error("submission_id conflict: {0}")]
    SubmissionConflict(SubmissionId),
    /// Provider validation failed (recorded in the transcript).
    #[error("provider missing: {}", .0.missing_providers.join(", "))]
    ProviderMissing(ProviderMissingError),
    /// Compare-and-set attempts exhausted.
    #[error("run state conflict: concurrent updates did not settle after {0} attempts; retry")]
    RunStateConflict(u32),
    /// A log length overflowed.
    #[error("sequence overflow")]
    SequenceOverflow,
    /// Evidence larger than 1 MiB (hard error for the trigger).
    #[error("evidence for condition {condition_id} exceeds size limit ({actual} > {max})")]
    EvidenceTooLarge {
        /// The condition.
        condition_id: ConditionId,
        /// Canonical size.
        actual: usize,
        /// Limit.
        max: usize,
    },
    /// Payload larger than 2 MiB.
    #[error("payload exceeds size limit ({actual} > {max})")]
    PayloadTooLarge {
        /// Canonical size.
        actual: usize,
        /// Limit.
        max: usize,
    },
    /// A stage id does not exist in the spec.
    #[error("stage not found: {0}")]
    StageNotFound(StageId),
    /// Branch resolution failed (no rule matched and no default) or a condition is missing.
    #[error("gate resolution failed: {0}")]
    GateResolutionFailed(String),
    /// Tick time and stage entry time are of different kinds.
    #[error("trigger time kind does not match the stage entry time kind")]
    TriggerTimeMismatch,
    /// Timeout arithmetic overflowed.
    #[error("timeout calculation overflowed")]
    TimeoutCalculation,
    /// The policy decider denied a disclosure.
    #[error("policy denied disclosure")]
    PolicyDenied,
    /// The policy decider failed.
    #[error("policy decision error: {0}")]
    Policy(String),
    /// The dispatcher failed.
    #[error("dispatch error: {0}")]
    Dispatch(String),
    /// Evidence subsystem failure.
    #[error("evidence error: {0}")]
    Evidence(String),
    /// Store failure.
    #[error("{0}")]
    Store(StoreError),
    /// Hashing failure.
    #[error("hash error: {0}")]
    Hash(String),
    /// Hashing a transcript entry failed.
    #[error("tool call hash error: {0}")]
    ToolCallHash(String),
    /// A payload hash could not be used.
    #[error("payload hash error: {0}")]
    PayloadHash(String),
    /// Artifact failure.
    #[error("artifact error: {0}")]
    Artifact(String),
}

impl From<StoreError> for ControlPlaneError {
    fn from(error: StoreError) -> Self {
        ControlPlaneError::Store(error)
    }
}

impl ControlPlaneError {
    /// Whether the caller may retry the same call (compare-and-set exhaustion only).
    pub fn is_retryable(&self) -> bool {
        matches!(self, ControlPlaneError::RunStateConflict(_))
    }

    /// The real reason behind an error whose client text hides it (for audit records only).
    pub fn audit_reason(&self) -> Option<String> {
        match self {
            ControlPlaneError::RunNotOwned { run_id, reason } => Some(format!("run {run_id}: {reason}")),
            _ => None,
        }
    }
}

/// Why a stored run does not belong to the engine that was asked to act on it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunOwnershipMismatch {
    /// The run was started from another scenario.
    #[error("run belongs to scenario {run_scenario}, not {requested}")]
    Scenario {
        /// The run's scenario.
        run_scenario: ScenarioId,
        /// The scenario the call named.
        requested: ScenarioId,
    },
    /// The run was started from another definition (spec hash) of the named scenario.
    #[error("run was started from spec hash {run_spec_hash}, the named scenario has {requested_spec_hash}")]
    SpecHash {
        /// Hex spec hash stored in the run.
        run_spec_hash: String,
        /// Hex spec hash of the engine's definition.
        requested_spec_hash: String,
    },
}
