//! In-memory backends: run state with compare-and-set, scenario definitions, data shapes.
//! Nothing survives a restart; used for tests and the `memory` store configuration.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use super::{
    DataShapeError, DataShapeRecord, DataShapeRegistry, Page, RegistryLimits, RunStateStore, RunSummary, ScenarioStore,
    ScenarioSummary, StoreError, StoredScenario, parse_data_shape_cursor,
};
use crate::hashing::{CanonicalError, HashDigest, to_canonical_vec_limited};
use crate::ids::{DataShapeVersion, NamespaceId, RunId, ScenarioId, SchemaId, TenantId};
use crate::run::RunState;
use crate::spec::ScenarioSpec;

type RunKey = (TenantId, NamespaceId, RunId);
type ScenarioKey = (TenantId, NamespaceId, ScenarioId);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means another thread panicked mid-operation; every operation
    // below writes its map entry in one step, so the data is still consistent.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// In-memory run-state store and scenario store (one instance holds both, like the SQLite one).
#[derive(Debug, Default)]
pub struct MemoryStore {
    runs: Mutex<BTreeMap<RunKey, (RunState, u64)>>,
    scenarios: Mutex<BTreeMap<ScenarioKey, StoredScenario>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored runs.
    pub fn run_count(&self) -> usize {
        lock(&self.runs).len()
    }
}

fn run_key(state: &RunState) -> RunKey {
    (state.tenant_id, state.namespace_id, state.run_id.clone())
}

fn check_limit(limit: usize) -> Result<(), StoreError> {
    if limit == 0 { Err(StoreError::Invalid("limit must be greater than zero".to_owned())) } else { Ok(()) }
}

impl RunStateStore for MemoryStore {
    fn load(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        run_id: &RunId,
    ) -> Result<Option<(RunState, u64)>, StoreError> {
        Ok(lock(&self.runs).get(&(tenant, namespace, run_id.clone())).cloned())
    }

    fn create(&self, state: &RunState) -> Result<u64, StoreError> {
        let mut runs = lock(&self.runs);
        let key = run_key(state);
        if runs.contains_key(&key) {
            return Err(StoreError::AlreadyExists(format!("run {}", state.run_id)));
        }
        runs.insert(key, (state.clone(), 1));
        Ok(1)
    }

    fn save(&self, state: &RunState, expected_version: u64) -> Result<u64, StoreError> {
        let mut runs = lock(&self.runs);
        let entry = runs.get_mut(&run_key(state)).ok_or_else(|| StoreError::Invalid("run not found".to_owned()))?;
        if entry.1 != expected_version {
            return Err(StoreError::Conflict(format!(
                "run {} is at version {}, expected {}",
                state.run_id, entry.1, expected_version
            )));
        }
        let next = expected_version.checked_add(1).ok_or_else(|| StoreError::Corrupt("version overflow".to_owned()))?;
        *entry = (state.clone(), next);
        Ok(next)
    }

    fn list_runs(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<RunSummary>, StoreError> {
        check_limit(limit)?;
        let runs = lock(&self.runs);
        let in_scope = |key: &RunKey| key.0 == tenant && key.1 == namespace;
        if let Some(cursor) = cursor
            && !runs.contains_key(&(tenant, namespace, RunId::new(cursor)))
        {
            return Err(StoreError::Invalid("invalid cursor".to_owned()));
        }
        let fetched: Vec<RunSummary> = runs
            .iter()
            .filter(|(key, _)| in_scope(key) && cursor.is_none_or(|after| key.2.as_str() > after))
            .take(limit.saturating_add(1))
            .map(|(key, (state, version))| RunSummary {
                run_id: key.2.clone(),
                scenario_id: state.scenario_id.clone(),
                status: state.status,
                version: *version,
            })
            .collect();
        Ok(Page::from_overfetch(fetched, limit, |item| item.run_id.to_string()))
    }

    fn readiness(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl ScenarioStore for MemoryStore {
    fn define(&self, tenant: TenantId, spec: &ScenarioSpec) -> Result<HashDigest, StoreError> {
        let spec_hash = spec.spec_hash().map_err(|err| StoreError::Invalid(err.to_string()))?;
        let mut scenarios = lock(&self.scenarios);
        let key = (tenant, spec.namespace_id, spec.scenario_id.clone());
        if scenarios.contains_key(&key) {
            return Err(StoreError::Conflict("scenario already defined".to_owned()));
        }
        scenarios.insert(key, StoredScenario { spec: spec.clone(), spec_hash: spec_hash.clone() });
        Ok(spec_hash)
    }

    fn get(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        scenario_id: &ScenarioId,
    ) -> Result<Option<StoredScenario>, StoreError> {
        Ok(lock(&self.scenarios).get(&(tenant, namespace, scenario_id.clone())).cloned())
    }

    fn list(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<ScenarioSummary>, StoreError> {
        check_limit(limit)?;
        let scenarios = lock(&self.scenarios);
        if let Some(cursor) = cursor
            && !scenarios.contains_key(&(tenant, namespace, ScenarioId::new(cursor)))
        {
            return Err(StoreError::Invalid("invalid cursor".to_owned()));
        }
        let fetched: Vec<ScenarioSummary> = scenarios
            .iter()
            .filter(|(key, _)| {
                key.0 == tenant && key.1 == namespace && cursor.is_none_or(|after| key.2.as_str() > after)
            })
            .take(limit.saturating_add(1))
            .map(|(key, stored)| ScenarioSummary {
                scenario_id: key.2.clone(),
                namespace_id: key.1,
                spec_hash: stored.spec_hash.clone(),
            })
            .collect();
        Ok(Page::from_overfetch(fetched, limit, |item| item.scenario_id.to_string()))
    }

    fn readiness(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

type ShapeKey = (TenantId, NamespaceId, SchemaId, DataShapeVersion);

/// In-memory data-shape registry with size limit and per-namespace entry cap.
#[derive(Debug, Default)]
pub struct MemoryDataShapeRegistry {
    limits: RegistryLimits,
    records: Mutex<BTreeMap<ShapeKey, DataShapeRecord>>,
}

impl MemoryDataShapeRegistry {
    /// An empty registry with the given limits.
    pub fn new(limits: RegistryLimits) -> Self {
        MemoryDataShapeRegistry { limits, records: Mutex::new(BTreeMap::new()) }
    }
}

/// Canonicalises a schema against a size limit, with the registry's error text.
pub(crate) fn canonical_schema(schema: &serde_json::Value, max: usize) -> Result<Vec<u8>, DataShapeError> {
    to_canonical_vec_limited(schema, max).map_err(|err| match err {
        CanonicalError::TooLarge { actual, max } => {
            DataShapeError::Invalid(format!("schema exceeds size limit: {actual} bytes (max {max})"))
        }
        other => DataShapeError::Invalid(other.to_string()),
    })
}

/// Message used by every backend when the per-namespace entry cap is reached.
pub(crate) const MAX_ENTRIES_MESSAGE: &str = "schema registry max entries exceeded";

impl DataShapeRegistry for MemoryDataShapeRegistry {
    fn register(&self, record: &DataShapeRecord) -> Result<(), DataShapeError> {
        let canonical = canonical_schema(&record.schema, self.limits.max_schema_bytes)?;
        let schema = serde_json::from_slice(&canonical).map_err(|err| DataShapeError::Invalid(err.to_string()))?;
        let stored = DataShapeRecord { schema, ..record.clone() }.with_normalized_signing();
        let mut records = lock(&self.records);
        let key = (record.tenant_id, record.namespace_id, record.schema_id.clone(), record.version.clone());
        if records.contains_key(&key) {
            return Err(DataShapeError::Conflict("schema already registered".to_owned()));
        }
        if let Some(max) = self.limits.max_entries {
            let count = records.keys().filter(|k| k.0 == record.tenant_id && k.1 == record.namespace_id).count();
            if count >= max {
                return Err(DataShapeError::Conflict(MAX_ENTRIES_MESSAGE.to_owned()));
            }
        }
        records.insert(key, stored);
        Ok(())
    }

    fn get(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        schema_id: &SchemaId,
        version: &DataShapeVersion,
    ) -> Result<Option<DataShapeRecord>, DataShapeError> {
        Ok(lock(&self.records).get(&(tenant, namespace, schema_id.clone(), version.clone())).cloned())
    }

    fn list(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<DataShapeRecord>, DataShapeError> {
        if limit == 0 {
            return Err(DataShapeError::Invalid("limit must be greater than zero".to_owned()));
        }
        let after = cursor.map(parse_data_shape_cursor).transpose().map_err(DataShapeError::Invalid)?;
        let records = lock(&self.records);
        if let Some(after) = &after {
            let key = (
                tenant,
                namespace,
                SchemaId::new(after.schema_id.clone()),
                DataShapeVersion::new(after.version.clone()),
            );
            if !records.contains_key(&key) {
                return Err(DataShapeError::Invalid("invalid cursor".to_owned()));
            }
        }
        let fetched: Vec<DataShapeRecord> = records
            .iter()
            .filter(|(key, _)| key.0 == tenant && key.1 == namespace)
            .filter(|(key, _)| {
                after.as_ref().is_none_or(|after| {
                    (key.2.as_str(), key.3.as_str()) > (after.schema_id.as_str(), after.version.as_str())
                })
            })
            .take(limit.saturating_add(1))
            .map(|(_, record)| record.clone())
            .collect();
        Ok(Page::from_overfetch(fetched, limit, |item| {
            super::DataShapeCursor { schema_id: item.schema_id.to_string(), version: item.version.to_string() }.encode()
        }))
    }

    fn readiness(&self) -> Result<(), DataShapeError> {
        Ok(())
    }
}
