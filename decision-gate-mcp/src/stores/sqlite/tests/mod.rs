//! SQLite store tests: compare-and-set, integrity, upgrades, group commit, registry, bench.

mod bench;
mod concurrency;
mod integrity;
mod registry;
mod runs;

use std::path::{Path, PathBuf};

use decision_gate_core::hashing::HashDigest;
use decision_gate_core::ids::{DataShapeVersion, NamespaceId, RunId, SchemaId, TenantId};
use decision_gate_core::ports::DataShapeRecord;
use decision_gate_core::run::{RunState, RunStatus};
use decision_gate_core::spec::ScenarioSpec;
use decision_gate_core::time::Timestamp;
use serde_json::json;
use tempfile::TempDir;

use super::{SqliteStore, SqliteStoreOptions};

pub(super) fn tenant(n: u64) -> TenantId {
    TenantId::new(n).unwrap()
}

pub(super) fn ns(n: u64) -> NamespaceId {
    NamespaceId::new(n).unwrap()
}

pub(super) fn state(run: &str) -> RunState {
    RunState {
        tenant_id: tenant(1),
        namespace_id: ns(1),
        run_id: RunId::new(run),
        scenario_id: "s".into(),
        spec_hash: HashDigest::sha256(b"spec"),
        current_stage_id: "a".into(),
        stage_entered_at: Timestamp::Logical(0),
        status: RunStatus::Active,
        dispatch_targets: vec![],
        triggers: vec![],
        gate_evals: vec![],
        decisions: vec![],
        packets: vec![],
        submissions: vec![],
        tool_calls: vec![],
    }
}

pub(super) fn staged(run: &str, stage: &str) -> RunState {
    let mut state = state(run);
    state.current_stage_id = stage.into();
    state
}

pub(super) fn spec(id: &str, namespace: u64) -> ScenarioSpec {
    serde_json::from_value(json!({"scenario_id":id,"namespace_id":namespace,"spec_version":"1","stages":[{"stage_id":"a","entry_packets":[],"gates":[],"advance_to":{"kind":"terminal"},"on_timeout":"fail"}],"conditions":[],"policies":[],"schemas":[]})).unwrap()
}

pub(super) fn shape(schema_id: &str, version: &str, schema: serde_json::Value) -> DataShapeRecord {
    DataShapeRecord {
        tenant_id: tenant(1),
        namespace_id: ns(1),
        schema_id: SchemaId::new(schema_id),
        version: DataShapeVersion::new(version),
        schema,
        description: None,
        created_at: Timestamp::UnixMillis(5),
        signing: None,
    }
}

/// A temporary directory with a database path inside it.
pub(super) struct TestDb {
    _dir: TempDir,
    pub(super) path: PathBuf,
}

impl TestDb {
    pub(super) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("store.db");
        TestDb { _dir: dir, path }
    }

    pub(super) fn options(&self) -> SqliteStoreOptions {
        SqliteStoreOptions::new(&self.path)
    }

    pub(super) fn open(&self) -> SqliteStore {
        SqliteStore::open(self.options()).unwrap()
    }

    pub(super) fn raw(&self) -> rusqlite::Connection {
        raw(&self.path)
    }
}

pub(super) fn raw(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    // Tampering edits rows directly, bypassing the store's foreign keys.
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    conn
}
