//! Opening connections and the store schema (runpacks-and-stores §10.2–§10.3): pragmas,
//! table creation and the 3 → 4 → 5 upgrade, all in one transaction.

use std::path::Path;
use std::time::Duration;

use decision_gate_core::ports::StoreError;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::errors::store_err;
use crate::config::{JournalMode, SyncMode};

/// Store schema version written and served by this project.
pub const STORE_SCHEMA_VERSION: i64 = 5;

/// Prepared statements kept per connection (every statement of the store fits).
const STATEMENT_CACHE: usize = 64;

const CREATE_META: &str = "CREATE TABLE IF NOT EXISTS store_meta (version INTEGER NOT NULL)";

/// Tables of Decision Gate OSS schema version 4 (identical DDL), all `IF NOT EXISTS`.
const CREATE_V4_TABLES: &str = "
CREATE TABLE IF NOT EXISTS runs (
    tenant_id TEXT NOT NULL,
    namespace_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    latest_version INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, namespace_id, run_id)
);
CREATE TABLE IF NOT EXISTS run_state_versions (
    tenant_id TEXT NOT NULL,
    namespace_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    state_json BLOB NOT NULL,
    state_hash TEXT NOT NULL,
    hash_algorithm TEXT NOT NULL,
    saved_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, namespace_id, run_id, version),
    FOREIGN KEY (tenant_id, namespace_id, run_id)
        REFERENCES runs (tenant_id, namespace_id, run_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_run_state_versions_run_id
    ON run_state_versions (tenant_id, namespace_id, run_id);
CREATE TABLE IF NOT EXISTS data_shapes (
    tenant_id TEXT NOT NULL,
    namespace_id TEXT NOT NULL,
    schema_id TEXT NOT NULL,
    version TEXT NOT NULL,
    schema_json BLOB NOT NULL,
    schema_hash TEXT NOT NULL,
    hash_algorithm TEXT NOT NULL,
    description TEXT,
    signing_key_id TEXT,
    signing_signature TEXT,
    signing_algorithm TEXT,
    created_at_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, namespace_id, schema_id, version)
);
CREATE INDEX IF NOT EXISTS idx_data_shapes_namespace
    ON data_shapes (tenant_id, namespace_id, schema_id, version);
";

/// The table added by schema version 5.
const CREATE_SCENARIOS: &str = "
CREATE TABLE IF NOT EXISTS scenarios (
    tenant_id TEXT NOT NULL,
    namespace_id TEXT NOT NULL,
    scenario_id TEXT NOT NULL,
    spec_json BLOB NOT NULL,
    spec_hash TEXT NOT NULL,
    hash_algorithm TEXT NOT NULL,
    defined_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, namespace_id, scenario_id)
);
";

/// The version 3 → 4 upgrade: the three signing columns of `data_shapes`.
const ADD_SIGNING_COLUMNS: &str = "
ALTER TABLE data_shapes ADD COLUMN signing_key_id TEXT;
ALTER TABLE data_shapes ADD COLUMN signing_signature TEXT;
ALTER TABLE data_shapes ADD COLUMN signing_algorithm TEXT;
";

/// Connection settings (a subset of the store options).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionSettings {
    pub(crate) busy_timeout_ms: u64,
    pub(crate) journal_mode: JournalMode,
    pub(crate) sync_mode: SyncMode,
}

/// Opens a connection read-write (creating the file), serialised-mutex mode, and applies the
/// pragmas: busy timeout first (so the journal-mode switch waits for other processes), then
/// `foreign_keys`, `journal_mode` (writer only; it is persistent) and `synchronous`.
pub(crate) fn open_connection(
    path: &Path,
    settings: ConnectionSettings,
    writer: bool,
) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_FULL_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(store_err)?;
    conn.busy_timeout(Duration::from_millis(settings.busy_timeout_ms)).map_err(store_err)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Query-planner stability: plans never depend on bound values. Without it, SQLite marks
    // a statement whose plan looked at a parameter (the run lookup's join does) for
    // re-preparation, and the statement cache's `clear_bindings` then expires it on every
    // return, so each load parsed and planned its SQL again.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(store_err)?;
    conn.execute_batch("PRAGMA foreign_keys = ON").map_err(store_err)?;
    if writer {
        let wanted = match settings.journal_mode {
            JournalMode::Wal => "wal",
            JournalMode::Delete => "delete",
        };
        let applied: String =
            conn.query_row(&format!("PRAGMA journal_mode = {wanted}"), [], |row| row.get(0)).map_err(store_err)?;
        if !applied.eq_ignore_ascii_case(wanted) {
            return Err(StoreError::Store(format!("journal_mode {wanted} could not be applied (got {applied})")));
        }
    }
    let synchronous = match settings.sync_mode {
        SyncMode::Full => "FULL",
        SyncMode::Normal => "NORMAL",
    };
    conn.execute_batch(&format!("PRAGMA synchronous = {synchronous}")).map_err(store_err)?;
    if !writer {
        conn.execute_batch("PRAGMA query_only = ON").map_err(store_err)?;
    }
    Ok(conn)
}

/// Runs one statement through the connection's statement cache (transaction-control
/// statements run on every read and write; `execute_batch` would parse them every time).
pub(crate) fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Creates or upgrades the schema in one `BEGIN IMMEDIATE` transaction (§10.2 step 3).
pub(crate) fn initialize(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(store_err)?;
    match migrate(conn) {
        Ok(()) => conn.execute_batch("COMMIT").map_err(store_err),
        Err(err) => {
            // The transaction may already be gone (SQLite rolls back on some I/O errors).
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            Err(err)
        }
    }
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(CREATE_META).map_err(store_err)?;
    let version: Option<i64> =
        conn.query_row("SELECT version FROM store_meta LIMIT 1", [], |row| row.get(0)).optional().map_err(store_err)?;
    match version {
        None => {
            conn.execute("INSERT INTO store_meta (version) VALUES (?1)", [STORE_SCHEMA_VERSION]).map_err(store_err)?;
            conn.execute_batch(CREATE_V4_TABLES).map_err(store_err)?;
            conn.execute_batch(CREATE_SCENARIOS).map_err(store_err)
        }
        Some(3) => {
            conn.execute_batch(ADD_SIGNING_COLUMNS).map_err(store_err)?;
            upgrade_v4(conn)
        }
        Some(4) => upgrade_v4(conn),
        Some(STORE_SCHEMA_VERSION) => Ok(()),
        Some(other) => Err(StoreError::VersionMismatch(format!("unsupported schema version: {other}"))),
    }
}

fn upgrade_v4(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(CREATE_SCENARIOS).map_err(store_err)?;
    conn.execute("UPDATE store_meta SET version = ?1", [STORE_SCHEMA_VERSION]).map_err(store_err)?;
    Ok(())
}

/// Readiness probe: a real query that must answer the expected schema version (§10.5).
pub(crate) fn probe(conn: &Connection) -> Result<(), StoreError> {
    let version: Option<i64> =
        conn.query_row("SELECT version FROM store_meta", [], |row| row.get(0)).optional().map_err(store_err)?;
    match version {
        Some(STORE_SCHEMA_VERSION) => Ok(()),
        Some(other) => Err(StoreError::VersionMismatch(format!("unsupported schema version: {other}"))),
        None => Err(StoreError::Corrupt("store_meta has no version row".to_owned())),
    }
}
