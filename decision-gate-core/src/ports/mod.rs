//! Port traits: everything the engine needs from the world, plus in-memory implementations.
//!
//! All calls are synchronous from the engine's point of view; hosts run the engine on a
//! blocking worker and bridge to async backends inside their implementations.

mod artifacts;
mod data_shapes;
mod memory;
mod paging;

use serde::{Deserialize, Serialize};

use crate::evidence::{EvidenceContext, EvidenceResult};
use crate::hashing::HashDigest;
use crate::ids::{NamespaceId, RunId, ScenarioId, TenantId};
use crate::run::{
    DispatchReceipt, DispatchTarget, PacketEnvelope, ProviderMissingError, RunState, RunStatus, TriggerEvent,
};
use crate::spec::{EvidenceQuery, PacketPayload, ScenarioSpec};

pub use artifacts::{
    Artifact, ArtifactError, ArtifactKind, ArtifactReader, ArtifactRef, ArtifactSink, MemoryArtifactStore,
};
pub use data_shapes::{
    DataShapeError, DataShapeRecord, DataShapeRef, DataShapeRegistry, DataShapeSignature, MAX_SCHEMA_BYTES_CEILING,
    RegistryLimits,
};
pub use memory::{MemoryDataShapeRegistry, MemoryStore};
pub use paging::{DataShapeCursor, Page, parse_data_shape_cursor};

/// Error returned by a provider call (soft: becomes `provider_error` and Unknown).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvidenceError(pub String);

/// Source of evidence for conditions.
pub trait EvidenceProvider: Send + Sync {
    /// Answers one query. `Err` is a soft failure; domain failures belong in `result.error`.
    fn query(&self, query: &EvidenceQuery, ctx: &EvidenceContext) -> Result<EvidenceResult, EvidenceError>;

    /// Checks that every provider and check referenced by the spec is available.
    fn validate_providers(&self, spec: &ScenarioSpec) -> Result<(), ProviderMissingError>;
}

/// Error returned by a dispatcher.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DispatchError(pub String);

/// Delivers disclosed packets; one call per (packet, target).
pub trait Dispatcher: Send + Sync {
    /// Dispatches a packet; the receipt hash must be deterministic.
    fn dispatch(
        &self,
        target: &DispatchTarget,
        envelope: &PacketEnvelope,
        payload: &PacketPayload,
    ) -> Result<DispatchReceipt, DispatchError>;
}

/// A policy decision about one disclosure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyDecision {
    /// Disclosure allowed.
    Permit,
    /// Disclosure refused.
    Deny,
}

/// Error returned by a policy decider.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

/// Decides whether a packet may be disclosed to a target. Deny and errors fail closed.
pub trait PolicyDecider: Send + Sync {
    /// Authorises one (packet, target) disclosure.
    fn authorize(
        &self,
        target: &DispatchTarget,
        envelope: &PacketEnvelope,
        payload: &PacketPayload,
    ) -> Result<PolicyDecision, PolicyError>;
}

/// Store failure classes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// I/O failure.
    #[error("store io error: {0}")]
    Io(String),
    /// Stored data failed an integrity check.
    #[error("store corruption: {0}")]
    Corrupt(String),
    /// Unsupported store schema version.
    #[error("store version mismatch: {0}")]
    VersionMismatch(String),
    /// Invalid input or stored data.
    #[error("invalid store data: {0}")]
    Invalid(String),
    /// Backend failure.
    #[error("store error: {0}")]
    Store(String),
    /// Compare-and-set version mismatch (or insert race for definitions).
    #[error("store conflict: {0}")]
    Conflict(String),
    /// Create on an existing key.
    #[error("already exists: {0}")]
    AlreadyExists(String),
}

/// One run in a paginated run listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Run id.
    pub run_id: RunId,
    /// Scenario of the run.
    pub scenario_id: ScenarioId,
    /// Lifecycle status.
    pub status: RunStatus,
    /// Current store version.
    pub version: u64,
}

/// Durable run state with compare-and-set writes.
pub trait RunStateStore: Send + Sync {
    /// Loads a run and its store version (>= 1).
    fn load(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        run_id: &RunId,
    ) -> Result<Option<(RunState, u64)>, StoreError>;

    /// Inserts a new run at version 1; `AlreadyExists` if the key is taken.
    fn create(&self, state: &RunState) -> Result<u64, StoreError>;

    /// Stores `state` as `expected_version + 1` if the stored version still equals
    /// `expected_version`; `Conflict` otherwise.
    fn save(&self, state: &RunState, expected_version: u64) -> Result<u64, StoreError>;

    /// Runs of one tenant and namespace sorted by run id; the cursor is the last run id.
    fn list_runs(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<RunSummary>, StoreError>;

    /// Performs a real round trip to the backend.
    fn readiness(&self) -> Result<(), StoreError>;
}

/// A scenario definition as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioSummary {
    /// Scenario id.
    pub scenario_id: ScenarioId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Hash of the canonical spec.
    pub spec_hash: HashDigest,
}

/// A stored scenario definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredScenario {
    /// The spec.
    pub spec: ScenarioSpec,
    /// Its hash.
    pub spec_hash: HashDigest,
}

/// Persisted scenario definitions keyed by (tenant, namespace, scenario id).
pub trait ScenarioStore: Send + Sync {
    /// Inserts a definition if absent (`Conflict` otherwise) and returns its hash.
    fn define(&self, tenant: TenantId, spec: &ScenarioSpec) -> Result<HashDigest, StoreError>;

    /// Reads a definition; another tenant's definition is indistinguishable from none.
    fn get(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        scenario_id: &ScenarioId,
    ) -> Result<Option<StoredScenario>, StoreError>;

    /// Definitions of one tenant and namespace sorted by scenario id; cursor = last scenario id.
    fn list(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<ScenarioSummary>, StoreError>;

    /// Performs a real round trip to the backend.
    fn readiness(&self) -> Result<(), StoreError>;
}

/// Push source of triggers (not used by the engine itself).
pub trait TriggerSource {
    /// The next trigger, if any.
    fn next_trigger(&mut self) -> Option<TriggerEvent>;
}

/// Pause between compare-and-set attempts. Hosts supply a jittered sleep; the core default
/// does nothing because the core never sleeps or reads a clock.
pub trait ConflictBackoff: Send + Sync {
    /// Called before re-running a call after its `attempt`-th conflict (1-based).
    fn pause(&self, attempt: u32);
}

/// A back-off that returns at once.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBackoff;

impl ConflictBackoff for NoBackoff {
    fn pause(&self, _attempt: u32) {}
}

#[cfg(test)]
mod tests;
