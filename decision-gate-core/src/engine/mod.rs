//! The engine (`ControlPlane`): one instance per scenario spec.
//!
//! Every call is deterministic given the spec, the caller's inputs and the provider answers.
//! Every run write is a compare-and-set on the store version; on a conflict the call is re-run
//! from the start against the newer state (core-model §6.13).

mod disclosure;
mod error;
mod evaluate;
mod explain;
mod index;
mod precheck;
mod start;
mod submit;
mod trigger;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::evidence::{EvidenceAnchorPolicy, TrustLane};
use crate::hashing::{HashAlgorithm, HashDigest, hash_canonical};
use crate::ids::{CorrelationId, NamespaceId, ProviderId, RunId, TenantId};
use crate::ports::{
    ConflictBackoff, Dispatcher, EvidenceProvider, NoBackoff, PolicyDecider, RunStateStore, StoreError,
};
use crate::requirement::LogicMode;
use crate::run::{RunState, ToolCallError, ToolCallMethod, ToolCallRecord};
use crate::spec::{ScenarioSpec, ValidationMode, validate_spec};
use crate::time::Timestamp;

pub use error::{ControlPlaneError, RunOwnershipMismatch};
pub use explain::{UnmetCondition, UnmetReason, explain_gates};
pub use precheck::{PrecheckResult, precheck_evidence_from_payload};

use index::SpecIndex;

/// Default number of compare-and-set attempts per call.
pub const DEFAULT_CAS_ATTEMPTS: u32 = 8;

/// Order in which a stage's conditions are queried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConditionEvalOrder {
    /// First-visit order of the spec (default).
    #[default]
    Spec,
    /// Sorted by hex SHA-256 of `"<seed>:<condition_id>"` (ties by condition id). Changes only
    /// provider call order; recorded evidence is re-sorted, so hashes do not change.
    DeterministicShuffle {
        /// Shuffle seed.
        seed: u64,
    },
}

/// Engine configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Logic used to combine requirement children.
    pub logic_mode: LogicMode,
    /// Hash algorithm (only sha256).
    pub hash_algorithm: HashAlgorithm,
    /// Global minimum trust lane.
    pub trust_requirement: TrustLane,
    /// Anchor requirements per provider.
    pub anchor_policy: EvidenceAnchorPolicy,
    /// Per-provider minimum lanes (they can only raise the effective requirement).
    pub provider_trust_overrides: BTreeMap<ProviderId, TrustLane>,
    /// Condition query order.
    pub condition_eval_order: ConditionEvalOrder,
    /// Spec validation mode.
    pub validation: ValidationMode,
    /// Compare-and-set attempts per call (at least 1).
    pub max_cas_attempts: u32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            logic_mode: LogicMode::Kleene,
            hash_algorithm: HashAlgorithm::Sha256,
            trust_requirement: TrustLane::Verified,
            anchor_policy: EvidenceAnchorPolicy::default(),
            provider_trust_overrides: BTreeMap::new(),
            condition_eval_order: ConditionEvalOrder::Spec,
            validation: ValidationMode::Strict,
            max_cas_attempts: DEFAULT_CAS_ATTEMPTS,
        }
    }
}

/// The ports an engine talks to.
#[derive(Clone)]
pub struct EnginePorts {
    /// Evidence source.
    pub provider: Arc<dyn EvidenceProvider>,
    /// Packet delivery.
    pub dispatcher: Arc<dyn Dispatcher>,
    /// Run-state store.
    pub store: Arc<dyn RunStateStore>,
    /// Optional disclosure policy (absent = permit).
    pub policy: Option<Arc<dyn PolicyDecider>>,
    /// Pause between compare-and-set attempts.
    pub backoff: Arc<dyn ConflictBackoff>,
}

impl EnginePorts {
    /// Ports with no policy decider and no back-off.
    pub fn new(
        provider: Arc<dyn EvidenceProvider>,
        dispatcher: Arc<dyn Dispatcher>,
        store: Arc<dyn RunStateStore>,
    ) -> Self {
        EnginePorts { provider, dispatcher, store, policy: None, backoff: Arc::new(NoBackoff) }
    }
}

/// The Decision Gate engine for one scenario spec.
pub struct ControlPlane {
    spec: Arc<ScenarioSpec>,
    spec_hash: HashDigest,
    index: SpecIndex,
    ports: EnginePorts,
    config: EngineConfig,
}

impl std::fmt::Debug for ControlPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlPlane")
            .field("scenario_id", &self.spec.scenario_id)
            .field("spec_hash", &self.spec_hash.value)
            .finish_non_exhaustive()
    }
}

/// What one attempt of a run-writing call produced.
enum Attempt<T> {
    /// Save the mutated state, then return the value (which may be an error that is recorded
    /// in the transcript, such as a submission conflict).
    Save(Result<T, ControlPlaneError>),
    /// Return the error without saving anything.
    Abort(ControlPlaneError),
}

impl ControlPlane {
    /// Builds an engine, validating the spec (core-model §2.6) and computing its hash.
    pub fn new(spec: ScenarioSpec, ports: EnginePorts, config: EngineConfig) -> Result<Self, ControlPlaneError> {
        validate_spec(&spec, config.validation).map_err(ControlPlaneError::InvalidSpec)?;
        let spec_hash = spec.spec_hash().map_err(|err| ControlPlaneError::Hash(err.to_string()))?;
        let index = SpecIndex::new(&spec);
        Ok(ControlPlane { spec: Arc::new(spec), spec_hash, index, ports, config })
    }

    /// The spec.
    pub fn spec(&self) -> &ScenarioSpec {
        &self.spec
    }

    /// The spec hash.
    pub fn spec_hash(&self) -> &HashDigest {
        &self.spec_hash
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Loads a run of this engine's scenario with its store version. A run started from another
    /// scenario, or from another definition (spec hash) of this one, is
    /// [`ControlPlaneError::RunNotOwned`]: every call that touches an existing run goes through
    /// here, so no host can drive or read a run with another scenario's rules.
    pub fn load_run(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        run_id: &RunId,
    ) -> Result<(RunState, u64), ControlPlaneError> {
        let (state, version) = self
            .ports
            .store
            .load(tenant, namespace, run_id)?
            .ok_or_else(|| ControlPlaneError::RunNotFound(run_id.clone()))?;
        if &state.run_id != run_id {
            return Err(ControlPlaneError::RunMismatch { requested: run_id.clone(), loaded: state.run_id.clone() });
        }
        let not_owned = |reason| ControlPlaneError::RunNotOwned { run_id: run_id.clone(), reason };
        if state.scenario_id != self.spec.scenario_id {
            return Err(not_owned(RunOwnershipMismatch::Scenario {
                run_scenario: state.scenario_id.clone(),
                requested: self.spec.scenario_id.clone(),
            }));
        }
        if state.spec_hash != self.spec_hash {
            return Err(not_owned(RunOwnershipMismatch::SpecHash {
                run_spec_hash: state.spec_hash.value.clone(),
                requested_spec_hash: self.spec_hash.value.clone(),
            }));
        }
        Ok((state, version))
    }

    /// Runs `attempt` against the latest stored state until its save succeeds, re-running it
    /// from scratch on every compare-and-set conflict (bounded by `max_cas_attempts`).
    fn with_run<T>(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        run_id: &RunId,
        mut attempt: impl FnMut(&mut RunState) -> Attempt<T>,
    ) -> Result<T, ControlPlaneError> {
        let attempts = self.config.max_cas_attempts.max(1);
        for number in 1..=attempts {
            let (mut state, version) = self.load_run(tenant, namespace, run_id)?;
            match attempt(&mut state) {
                Attempt::Abort(error) => return Err(error),
                Attempt::Save(outcome) => match self.ports.store.save(&state, version) {
                    Ok(_) => return outcome,
                    Err(StoreError::Conflict(_)) => {
                        if number < attempts {
                            self.ports.backoff.pause(number);
                        }
                    }
                    Err(other) => return Err(ControlPlaneError::Store(other)),
                },
            }
        }
        Err(ControlPlaneError::RunStateConflict(attempts))
    }
}

/// Hash of a transcript request or response.
fn transcript_hash<T: Serialize + ?Sized>(value: &T) -> Result<HashDigest, ControlPlaneError> {
    hash_canonical(value).map_err(|err| ControlPlaneError::ToolCallHash(err.to_string()))
}

/// The next 1-based sequence number of a log.
fn next_seq(len: usize) -> Result<u64, ControlPlaneError> {
    u64::try_from(len).ok().and_then(|len| len.checked_add(1)).ok_or(ControlPlaneError::SequenceOverflow)
}

/// Appends a transcript entry.
fn append_tool_call(
    state: &mut RunState,
    method: ToolCallMethod,
    request_hash: HashDigest,
    response_hash: HashDigest,
    called_at: Timestamp,
    correlation_id: Option<CorrelationId>,
    error: Option<ToolCallError>,
) -> Result<(), ControlPlaneError> {
    let call_id = format!("call-{}", next_seq(state.tool_calls.len())?);
    state.tool_calls.push(ToolCallRecord {
        call_id,
        method: method.label().to_owned(),
        request_hash,
        response_hash,
        called_at,
        correlation_id,
        error,
    });
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
