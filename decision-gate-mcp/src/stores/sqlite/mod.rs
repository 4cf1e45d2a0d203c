//! The SQLite store (runpacks-and-stores §10–§13): one type implementing [`RunStateStore`],
//! [`ScenarioStore`] and [`DataShapeRegistry`].
//!
//! Writes go through group commit on the one write connection, led by the waiting callers
//! themselves (see [`writer`]); reads use a small pool of separate read connections, so in WAL mode they never
//! wait behind writes. Several instances (in one or many processes) may share a file: every
//! write batch starts with `BEGIN IMMEDIATE`, which takes SQLite's write lock, and waits at
//! most the busy timeout for it.

mod errors;
mod runs;
mod scenarios;
mod schema;
mod shapes;
mod writer;

#[cfg(test)]
mod tests;

use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use decision_gate_core::hashing::HashDigest;
use decision_gate_core::ids::{DataShapeVersion, NamespaceId, RunId, ScenarioId, SchemaId, TenantId};
use decision_gate_core::ports::{
    DataShapeError, DataShapeRecord, DataShapeRegistry, MAX_SCHEMA_BYTES_CEILING, Page, RegistryLimits, RunStateStore,
    RunSummary, ScenarioStore, ScenarioSummary, StoreError, StoredScenario,
};
use decision_gate_core::run::RunState;
use decision_gate_core::spec::ScenarioSpec;
use rusqlite::Connection;

pub use errors::MAX_STATE_BYTES;
pub use runs::{RunRecordSummary, RunVersionInfo, StoredRunVersion};
pub use schema::STORE_SCHEMA_VERSION;
pub use shapes::MAX_ENTRIES_MESSAGE;

use self::errors::{store_err, store_to_shape_err};
use self::runs::{RunKey, RunWrite};
use self::scenarios::ScenarioWrite;
use self::schema::ConnectionSettings;
use self::shapes::ShapeWrite;
use self::writer::{DEFAULT_MAX_BATCH, Writer};
use crate::config::{JournalMode, SchemaRegistryConfig, StoreConfig, SyncMode};

/// Idle read connections kept for reuse.
const MAX_IDLE_READERS: usize = 8;

/// Longest accepted store path and path component, in bytes.
const MAX_PATH_BYTES: usize = 4096;
const MAX_COMPONENT_BYTES: usize = 255;

/// Settings of one SQLite store instance (runpacks-and-stores §10.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteStoreOptions {
    /// Database file (created if missing, parent directories included).
    pub path: PathBuf,
    /// How long to wait for another connection's lock.
    pub busy_timeout_ms: u64,
    /// Journal mode (default WAL).
    pub journal_mode: JournalMode,
    /// Synchronous mode (default FULL).
    pub sync_mode: SyncMode,
    /// Versions kept per run (>= 1; unlimited when `None`).
    pub max_versions: Option<u64>,
    /// Largest canonical schema accepted by `register` (1 B ..= 10 MiB).
    pub max_schema_bytes: usize,
    /// Schema entries per (tenant, namespace) (>= 1; unlimited when `None`).
    pub max_entries: Option<usize>,
}

impl SqliteStoreOptions {
    /// Options with every default (WAL, FULL, 5000 ms busy timeout, no retention, 1 MiB
    /// schemas, no entry cap) for `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let limits = RegistryLimits::default();
        SqliteStoreOptions {
            path: path.into(),
            busy_timeout_ms: 5000,
            journal_mode: JournalMode::Wal,
            sync_mode: SyncMode::Full,
            max_versions: None,
            max_schema_bytes: limits.max_schema_bytes,
            max_entries: limits.max_entries,
        }
    }

    /// Options of `[run_state_store]`; `Invalid` when the config has no path.
    pub fn from_store_config(config: &StoreConfig) -> Result<Self, StoreError> {
        let path = config.path.clone().ok_or_else(|| StoreError::Invalid("sqlite store requires a path".to_owned()))?;
        Ok(SqliteStoreOptions {
            busy_timeout_ms: config.busy_timeout_ms,
            journal_mode: config.journal_mode,
            sync_mode: config.sync_mode,
            max_versions: config.max_versions,
            ..SqliteStoreOptions::new(path)
        })
    }

    /// Options of `[schema_registry]` (its store settings plus the registry limits).
    pub fn from_registry_config(config: &SchemaRegistryConfig) -> Result<Self, StoreError> {
        Ok(SqliteStoreOptions {
            max_schema_bytes: config.max_schema_bytes,
            max_entries: config.max_entries,
            ..SqliteStoreOptions::from_store_config(&config.store)?
        })
    }

    /// The registry limits of these options.
    pub fn registry_limits(&self) -> RegistryLimits {
        RegistryLimits { max_schema_bytes: self.max_schema_bytes, max_entries: self.max_entries }
    }

    /// Checks the ranges of §10.1 and the path rules (non-empty, ≤ 4096 bytes, components
    /// ≤ 255 bytes, not an existing directory).
    pub fn validate(&self) -> Result<(), StoreError> {
        let text = self.path.as_os_str().as_encoded_bytes();
        if text.is_empty() {
            return Err(StoreError::Invalid("sqlite path must not be empty".to_owned()));
        }
        if text.len() > MAX_PATH_BYTES {
            return Err(StoreError::Invalid(format!("sqlite path exceeds {MAX_PATH_BYTES} bytes")));
        }
        let long_component = self.path.components().any(|component| {
            matches!(component, Component::Normal(name) if name.as_encoded_bytes().len() > MAX_COMPONENT_BYTES)
        });
        if long_component {
            return Err(StoreError::Invalid(format!("sqlite path component exceeds {MAX_COMPONENT_BYTES} bytes")));
        }
        if self.path.is_dir() {
            return Err(StoreError::Invalid("sqlite path is a directory".to_owned()));
        }
        if self.max_versions == Some(0) {
            return Err(StoreError::Invalid("max_versions must be at least 1".to_owned()));
        }
        if !(1..=MAX_SCHEMA_BYTES_CEILING).contains(&self.max_schema_bytes) {
            return Err(StoreError::Invalid(format!(
                "max_schema_bytes must be between 1 and {MAX_SCHEMA_BYTES_CEILING}"
            )));
        }
        if self.max_entries == Some(0) {
            return Err(StoreError::Invalid("max_entries must be at least 1".to_owned()));
        }
        Ok(())
    }

    fn settings(&self) -> ConnectionSettings {
        ConnectionSettings {
            busy_timeout_ms: self.busy_timeout_ms,
            journal_mode: self.journal_mode,
            sync_mode: self.sync_mode,
        }
    }
}

/// Group-commit counters of a store (see [`SqliteStore::write_batch_counts`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteBatchCounts {
    /// Write transactions committed.
    pub commits: u64,
    /// Write requests answered from committed transactions.
    pub requests: u64,
}

/// Pool of read connections, opened lazily and reused.
#[derive(Debug)]
struct ReadPool {
    path: PathBuf,
    settings: ConnectionSettings,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        // A poisoned pool only holds connections; they are still usable.
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `read` inside one read transaction on a pooled connection.
    fn read<T, E>(&self, read: impl FnOnce(&Connection) -> Result<T, E>, map: fn(StoreError) -> E) -> Result<T, E> {
        let pooled = self.idle().pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => schema::open_connection(&self.path, self.settings, false).map_err(map)?,
        };
        schema::run_cached(&conn, "BEGIN").map_err(|err| map(store_err(err)))?;
        let result = read(&conn);
        if !conn.is_autocommit() {
            // Nothing was written; ending the transaction cannot lose anything.
            let _ = schema::run_cached(&conn, "COMMIT");
        }
        let mut idle = self.idle();
        if idle.len() < MAX_IDLE_READERS && conn.is_autocommit() {
            idle.push(conn);
        }
        result
    }
}

/// SQLite-backed run-state store, scenario store and schema registry.
#[derive(Debug)]
pub struct SqliteStore {
    options: SqliteStoreOptions,
    readers: ReadPool,
    writer: Writer,
}

impl SqliteStore {
    /// Opens (creating or upgrading) the database: validation, pragmas, schema version 5 in
    /// one transaction, then the group-commit writer (§10.2).
    pub fn open(options: SqliteStoreOptions) -> Result<Self, StoreError> {
        Self::open_with_batch_limit(options, DEFAULT_MAX_BATCH)
    }

    /// [`SqliteStore::open`] with an explicit group-commit bound (1 disables batching).
    pub(crate) fn open_with_batch_limit(options: SqliteStoreOptions, max_batch: usize) -> Result<Self, StoreError> {
        options.validate()?;
        if let Some(parent) = options.path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|err| StoreError::Io(format!("cannot create store directory: {err}")))?;
        }
        let settings = options.settings();
        let conn = schema::open_connection(&options.path, settings, true)?;
        schema::initialize(&conn)?;
        let writer = Writer::new(conn, max_batch);
        let readers = ReadPool { path: options.path.clone(), settings, idle: Mutex::new(Vec::new()) };
        Ok(SqliteStore { options, readers, writer })
    }

    /// The options this store was opened with.
    pub fn options(&self) -> &SqliteStoreOptions {
        &self.options
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.options.path
    }

    /// Group-commit counters of this instance's writer (for metrics): transactions committed
    /// and write requests answered from them. `requests / commits` is the mean batch size.
    pub fn write_batch_counts(&self) -> WriteBatchCounts {
        use std::sync::atomic::Ordering;
        let stats = self.writer.stats();
        WriteBatchCounts {
            commits: stats.commits.load(Ordering::Relaxed),
            requests: stats.requests.load(Ordering::Relaxed),
        }
    }

    fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.readers.read(read, |err| err)
    }

    fn read_shapes<T>(&self, read: impl FnOnce(&Connection) -> Result<T, DataShapeError>) -> Result<T, DataShapeError> {
        self.readers.read(read, store_to_shape_err)
    }

    /// Administrative listing of runs (optionally filtered), newest `saved_at` first; a run
    /// whose latest version row is missing is reported as `Corrupt`.
    pub fn list_runs_admin(
        &self,
        tenant: Option<TenantId>,
        namespace: Option<NamespaceId>,
    ) -> Result<Vec<RunRecordSummary>, StoreError> {
        self.read(|conn| runs::list_admin(conn, tenant, namespace))
    }

    /// Metadata of every stored version of a run, newest first.
    pub fn list_run_versions(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        run_id: &RunId,
    ) -> Result<Vec<RunVersionInfo>, StoreError> {
        let key = RunKey::new(tenant, namespace, run_id);
        self.read(|conn| runs::list_versions(conn, &key))
    }

    /// Loads one stored version (>= 1) with the checks of `load`; `None` when absent.
    pub fn load_version(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        run_id: &RunId,
        version: u64,
    ) -> Result<Option<StoredRunVersion>, StoreError> {
        if version == 0 {
            return Err(StoreError::Invalid("version must be at least 1".to_owned()));
        }
        let key = RunKey::new(tenant, namespace, run_id);
        self.read(|conn| runs::load_version_row(conn, &key, version))
    }

    /// Loads the latest version of a run with its metadata.
    pub fn load_latest(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        run_id: &RunId,
    ) -> Result<Option<StoredRunVersion>, StoreError> {
        let key = RunKey::new(tenant, namespace, run_id);
        self.read(|conn| runs::load_latest(conn, &key))
    }

    /// Keeps the `keep` (>= 1) highest versions of a run by rank and deletes the rest;
    /// returns how many were deleted. `latest_version` is unchanged.
    pub fn prune_versions(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        run_id: &RunId,
        keep: u64,
    ) -> Result<u64, StoreError> {
        if keep == 0 {
            return Err(StoreError::Invalid("keep must be at least 1".to_owned()));
        }
        let key = RunKey::new(tenant, namespace, run_id);
        self.writer.submit(move |conn| runs::prune(conn, &key, keep))
    }
}

impl RunStateStore for SqliteStore {
    fn load(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        run_id: &RunId,
    ) -> Result<Option<(RunState, u64)>, StoreError> {
        Ok(self.load_latest(tenant, namespace, run_id)?.map(|stored| (stored.state, stored.version)))
    }

    fn create(&self, state: &RunState) -> Result<u64, StoreError> {
        let write = RunWrite::prepare(state)?;
        self.writer.submit(move |conn| runs::create(conn, &write))
    }

    fn save(&self, state: &RunState, expected_version: u64) -> Result<u64, StoreError> {
        let write = RunWrite::prepare(state)?;
        let max_versions = self.options.max_versions;
        self.writer.submit(move |conn| runs::save(conn, &write, expected_version, max_versions))
    }

    fn list_runs(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<RunSummary>, StoreError> {
        self.read(|conn| runs::list_page(conn, tenant, namespace, cursor, limit))
    }

    fn readiness(&self) -> Result<(), StoreError> {
        self.read(schema::probe)
    }
}

impl ScenarioStore for SqliteStore {
    fn define(&self, tenant: TenantId, spec: &ScenarioSpec) -> Result<HashDigest, StoreError> {
        let write = ScenarioWrite::prepare(tenant, spec)?;
        self.writer.submit(move |conn| scenarios::define(conn, &write))
    }

    fn get(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        scenario_id: &ScenarioId,
    ) -> Result<Option<StoredScenario>, StoreError> {
        self.read(|conn| scenarios::get(conn, tenant, namespace, scenario_id))
    }

    fn list(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<ScenarioSummary>, StoreError> {
        self.read(|conn| scenarios::list(conn, tenant, namespace, cursor, limit))
    }

    fn readiness(&self) -> Result<(), StoreError> {
        self.read(schema::probe)
    }
}

impl DataShapeRegistry for SqliteStore {
    fn register(&self, record: &DataShapeRecord) -> Result<(), DataShapeError> {
        let write = ShapeWrite::prepare(record, self.options.max_schema_bytes)?;
        let max_entries = self.options.max_entries;
        self.writer.submit(move |conn| shapes::register(conn, &write, max_entries))
    }

    fn get(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        schema_id: &SchemaId,
        version: &DataShapeVersion,
    ) -> Result<Option<DataShapeRecord>, DataShapeError> {
        self.read_shapes(|conn| shapes::get(conn, tenant, namespace, schema_id, version))
    }

    fn list(
        &self,
        tenant: TenantId,
        namespace: NamespaceId,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page<DataShapeRecord>, DataShapeError> {
        self.read_shapes(|conn| shapes::list(conn, tenant, namespace, cursor, limit))
    }

    fn readiness(&self) -> Result<(), DataShapeError> {
        self.read(schema::probe).map_err(store_to_shape_err)
    }
}
