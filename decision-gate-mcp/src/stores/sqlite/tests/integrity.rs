//! Store integrity (testing.md §4.2): tampering, truncation, uncommitted writes, upgrades.

use decision_gate_core::hashing::{HashDigest, to_canonical_vec};
use decision_gate_core::ids::RunId;
use decision_gate_core::ports::{DataShapeError, DataShapeRegistry, RunStateStore, ScenarioStore, StoreError};
use rusqlite::params;

use super::super::{SqliteStore, SqliteStoreOptions};
use super::{TestDb, ns, shape, spec, staged, state, tenant};

/// Decision Gate OSS schema version 4, verbatim table and index definitions.
const OSS_V4_DDL: &str = "
CREATE TABLE IF NOT EXISTS store_meta (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (tenant_id TEXT NOT NULL, namespace_id TEXT NOT NULL, run_id TEXT NOT NULL,
    latest_version INTEGER NOT NULL, PRIMARY KEY(tenant_id, namespace_id, run_id));
CREATE TABLE IF NOT EXISTS run_state_versions (tenant_id TEXT NOT NULL, namespace_id TEXT NOT NULL,
    run_id TEXT NOT NULL, version INTEGER NOT NULL, state_json BLOB NOT NULL, state_hash TEXT NOT NULL,
    hash_algorithm TEXT NOT NULL, saved_at INTEGER NOT NULL, PRIMARY KEY(tenant_id, namespace_id, run_id, version),
    FOREIGN KEY(tenant_id, namespace_id, run_id) REFERENCES runs(tenant_id, namespace_id, run_id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS idx_run_state_versions_run_id ON run_state_versions(tenant_id, namespace_id, run_id);
CREATE TABLE IF NOT EXISTS data_shapes (tenant_id TEXT NOT NULL, namespace_id TEXT NOT NULL,
    schema_id TEXT NOT NULL, version TEXT NOT NULL, schema_json BLOB NOT NULL, schema_hash TEXT NOT NULL,
    hash_algorithm TEXT NOT NULL, description TEXT, signing_key_id TEXT, signing_signature TEXT,
    signing_algorithm TEXT, created_at_json TEXT NOT NULL, PRIMARY KEY(tenant_id, namespace_id, schema_id, version));
CREATE INDEX IF NOT EXISTS idx_data_shapes_namespace ON data_shapes(tenant_id, namespace_id, schema_id, version);
";

/// Decision Gate OSS schema version 3: `data_shapes` without the signing columns.
const OSS_V3_SHAPES: &str = "
CREATE TABLE store_meta (version INTEGER NOT NULL);
INSERT INTO store_meta (version) VALUES (3);
CREATE TABLE data_shapes (tenant_id TEXT NOT NULL, namespace_id TEXT NOT NULL, schema_id TEXT NOT NULL,
    version TEXT NOT NULL, schema_json BLOB NOT NULL, schema_hash TEXT NOT NULL, hash_algorithm TEXT NOT NULL,
    description TEXT, created_at_json TEXT NOT NULL, PRIMARY KEY(tenant_id, namespace_id, schema_id, version));
CREATE TABLE runs (tenant_id TEXT NOT NULL, namespace_id TEXT NOT NULL, run_id TEXT NOT NULL,
    latest_version INTEGER NOT NULL, PRIMARY KEY(tenant_id, namespace_id, run_id));
CREATE TABLE run_state_versions (tenant_id TEXT NOT NULL, namespace_id TEXT NOT NULL, run_id TEXT NOT NULL,
    version INTEGER NOT NULL, state_json BLOB NOT NULL, state_hash TEXT NOT NULL, hash_algorithm TEXT NOT NULL,
    saved_at INTEGER NOT NULL, PRIMARY KEY(tenant_id, namespace_id, run_id, version));
";

fn insert_oss_run(conn: &rusqlite::Connection, run: &str, stage: &str, version: i64) {
    let bytes = to_canonical_vec(&staged(run, stage)).unwrap();
    let hash = HashDigest::sha256(&bytes).value;
    conn.execute(
        "INSERT INTO runs (tenant_id, namespace_id, run_id, latest_version) VALUES ('1', '1', ?1, ?2) \
         ON CONFLICT(tenant_id, namespace_id, run_id) DO UPDATE SET latest_version = excluded.latest_version",
        params![run, version],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO run_state_versions VALUES ('1', '1', ?1, ?2, ?3, ?4, 'sha256', 1700000000000)",
        params![run, version, bytes, hash],
    )
    .unwrap();
}

fn schema_version(db: &TestDb) -> i64 {
    db.raw().query_row("SELECT version FROM store_meta", [], |row| row.get(0)).unwrap()
}

#[test]
fn tampered_rows_are_corrupt_and_key_mismatches_invalid() {
    let db = TestDb::new();
    let store = db.open();
    store.create(&state("r")).unwrap();
    store.define(tenant(1), &spec("s", 1)).unwrap();
    store.register(&shape("schema", "1", serde_json::json!({"type":"object"}))).unwrap();
    let conn = db.raw();
    let mut tampered = to_canonical_vec(&state("r")).unwrap();
    tampered.push(b' ');
    conn.execute("UPDATE run_state_versions SET state_json = ?1", [&tampered]).unwrap();
    let err = store.load(tenant(1), ns(1), &RunId::new("r")).unwrap_err();
    assert_eq!(err, StoreError::Corrupt("hash mismatch for run r".to_owned()));
    assert!(matches!(store.list_runs(tenant(1), ns(1), None, 10), Err(StoreError::Corrupt(_))));

    // Stored bytes need not be canonical: the hash covers exactly what is stored.
    conn.execute("UPDATE run_state_versions SET state_hash = ?1", [HashDigest::sha256(&tampered).value]).unwrap();
    assert_eq!(store.load(tenant(1), ns(1), &RunId::new("r")).unwrap().unwrap().0, state("r"));

    // A consistent row whose payload names another run is invalid.
    let foreign = to_canonical_vec(&state("other")).unwrap();
    conn.execute(
        "UPDATE run_state_versions SET state_json = ?1, state_hash = ?2",
        params![foreign, HashDigest::sha256(&foreign).value],
    )
    .unwrap();
    assert!(
        matches!(store.load(tenant(1), ns(1), &RunId::new("r")), Err(StoreError::Invalid(m)) if m.contains("does not match its key"))
    );
    conn.execute("UPDATE run_state_versions SET hash_algorithm = 'md5'", []).unwrap();
    assert!(
        matches!(store.load(tenant(1), ns(1), &RunId::new("r")), Err(StoreError::Invalid(m)) if m == "unsupported hash algorithm")
    );
    conn.execute("UPDATE runs SET latest_version = 0", []).unwrap();
    assert!(matches!(store.load(tenant(1), ns(1), &RunId::new("r")), Err(StoreError::Corrupt(_))));

    conn.execute("UPDATE scenarios SET spec_json = CAST('{}' AS BLOB)", []).unwrap();
    assert!(matches!(ScenarioStore::get(&store, tenant(1), ns(1), &"s".into()), Err(StoreError::Corrupt(_))));
    conn.execute("UPDATE data_shapes SET schema_json = CAST('{\"type\":\"string\"}' AS BLOB)", []).unwrap();
    let err = DataShapeRegistry::get(&store, tenant(1), ns(1), &"schema".into(), &"1".into()).unwrap_err();
    assert!(matches!(&err, DataShapeError::Corrupt(_)), "{err}");
    assert!(matches!(DataShapeRegistry::list(&store, tenant(1), ns(1), None, 5), Err(DataShapeError::Corrupt(_))));
}

#[test]
fn oversized_rows_are_refused_before_the_blob_is_read() {
    let db = TestDb::new();
    let store = db.open();
    store.create(&state("r")).unwrap();
    store.register(&shape("schema", "1", serde_json::json!({}))).unwrap();
    let conn = db.raw();
    conn.execute("UPDATE run_state_versions SET state_json = zeroblob(16777217)", []).unwrap();
    let err = store.load(tenant(1), ns(1), &RunId::new("r")).unwrap_err();
    assert_eq!(err, StoreError::Invalid("state_json exceeds size limit: 16777217 bytes (max 16777216)".to_owned()));
    assert!(matches!(store.list_run_versions(tenant(1), ns(1), &RunId::new("r")), Err(StoreError::Invalid(_))));
    conn.execute("UPDATE data_shapes SET schema_json = zeroblob(10485761)", []).unwrap();
    let err = DataShapeRegistry::get(&store, tenant(1), ns(1), &"schema".into(), &"1".into()).unwrap_err();
    assert!(matches!(&err, DataShapeError::Invalid(m) if m.contains("exceeds size limit")), "{err}");
}

#[test]
fn truncated_database_fails_closed() {
    let db = TestDb::new();
    let runs: Vec<String> = (0..60).map(|i| format!("run-{i:03}")).collect();
    {
        let store = db.open();
        for run in &runs {
            store.create(&staged(run, &"p".repeat(3000))).unwrap();
        }
    }
    assert!(!db.path.with_extension("db-wal").exists(), "closing checkpoints the log into the main file");
    let length = std::fs::metadata(&db.path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&db.path).unwrap();
    file.set_len(length / 2).unwrap();
    drop(file);
    let Ok(store) = SqliteStore::open(db.options()) else {
        return; // refusing to open is failing closed
    };
    let mut failures = 0;
    for run in &runs {
        match store.load(tenant(1), ns(1), &RunId::new(run.as_str())) {
            Ok(Some((loaded, 1))) => assert_eq!(loaded, staged(run, &"p".repeat(3000))),
            Ok(other) => panic!("a truncated store must not answer {other:?} for {run}"),
            Err(_) => failures += 1,
        }
    }
    assert!(failures > 0, "half of the file is gone; some loads must fail");
}

#[test]
fn a_killed_writers_uncommitted_transaction_is_invisible() {
    let db = TestDb::new();
    {
        let store = db.open();
        store.create(&state("r")).unwrap();
    }
    {
        let conn = db.raw();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        insert_oss_run(&conn, "ghost", "x", 1);
        insert_oss_run(&conn, "r", "x", 2);
        // Dropped without COMMIT, like a process killed mid-transaction.
    }
    let store = db.open();
    assert_eq!(store.load(tenant(1), ns(1), &RunId::new("ghost")).unwrap(), None);
    assert_eq!(store.load(tenant(1), ns(1), &RunId::new("r")).unwrap(), Some((state("r"), 1)));
    assert_eq!(store.save(&staged("r", "b"), 1), Ok(2));
}

#[test]
fn a_held_write_lock_past_the_busy_timeout_is_a_transient_store_error() {
    let db = TestDb::new();
    let store = SqliteStore::open(SqliteStoreOptions { busy_timeout_ms: 100, ..db.options() }).unwrap();
    store.create(&state("r")).unwrap();
    let conn = db.raw();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert!(matches!(store.save(&staged("r", "b"), 1), Err(StoreError::Store(_))));
    assert_eq!(store.load(tenant(1), ns(1), &RunId::new("r")).unwrap().unwrap().1, 1, "reads do not wait (WAL)");
    conn.execute_batch("ROLLBACK").unwrap();
    assert_eq!(store.save(&staged("r", "b"), 1), Ok(2));
}

#[test]
fn an_oss_v4_database_upgrades_to_v5_and_keeps_its_runs() {
    let db = TestDb::new();
    std::fs::create_dir_all(db.path.parent().unwrap()).unwrap();
    {
        let conn = db.raw();
        conn.execute_batch(OSS_V4_DDL).unwrap();
        conn.execute("INSERT INTO store_meta (version) VALUES (4)", []).unwrap();
        insert_oss_run(&conn, "legacy", "a", 1);
        insert_oss_run(&conn, "legacy", "b", 2);
        let schema = b"{\"type\":\"object\"}".to_vec();
        conn.execute(
            "INSERT INTO data_shapes VALUES ('1', '1', 'schema', '1', ?1, ?2, 'sha256', 'desc', 'k', 'sig', NULL, ?3)",
            params![schema, HashDigest::sha256(&schema).value, "{\"kind\":\"unix_millis\",\"value\":5}"],
        )
        .unwrap();
    }
    let store = db.open();
    assert_eq!(schema_version(&db), 5);
    assert_eq!(store.load(tenant(1), ns(1), &RunId::new("legacy")).unwrap(), Some((staged("legacy", "b"), 2)));
    assert_eq!(store.save(&staged("legacy", "c"), 2), Ok(3));
    let record = DataShapeRegistry::get(&store, tenant(1), ns(1), &"schema".into(), &"1".into()).unwrap().unwrap();
    assert_eq!(record.description.as_deref(), Some("desc"));
    assert_eq!(record.signing.map(|s| (s.key_id, s.algorithm)), Some(("k".to_owned(), None)));
    store.define(tenant(1), &spec("s", 1)).unwrap();
    assert_eq!(RunStateStore::readiness(&store), Ok(()));
    drop(store);
    let reopened = db.open();
    assert_eq!(reopened.load(tenant(1), ns(1), &RunId::new("legacy")).unwrap().unwrap().1, 3);
}

#[test]
fn a_v3_database_gains_the_signing_columns() {
    let db = TestDb::new();
    std::fs::create_dir_all(db.path.parent().unwrap()).unwrap();
    db.raw().execute_batch(OSS_V3_SHAPES).unwrap();
    let store = db.open();
    assert_eq!(schema_version(&db), 5);
    let columns: Vec<String> = db
        .raw()
        .prepare("SELECT name FROM pragma_table_info('data_shapes')")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for column in ["signing_key_id", "signing_signature", "signing_algorithm"] {
        assert!(columns.iter().any(|c| c == column), "{column} missing from {columns:?}");
    }
    let mut signed = shape("schema", "1", serde_json::json!({}));
    signed.signing = Some(decision_gate_core::ports::DataShapeSignature {
        key_id: "k".into(),
        signature: "s".into(),
        algorithm: Some("ed25519".into()),
    });
    store.register(&signed).unwrap();
    let back = DataShapeRegistry::get(&store, tenant(1), ns(1), &"schema".into(), &"1".into()).unwrap().unwrap();
    assert_eq!(back.signing, signed.signing);
    store.create(&state("r")).unwrap();
}

#[test]
fn unsupported_schema_versions_are_refused() {
    for version in [1, 2, 6, 99] {
        let db = TestDb::new();
        std::fs::create_dir_all(db.path.parent().unwrap()).unwrap();
        let conn = db.raw();
        conn.execute_batch("CREATE TABLE store_meta (version INTEGER NOT NULL)").unwrap();
        conn.execute("INSERT INTO store_meta (version) VALUES (?1)", [version]).unwrap();
        drop(conn);
        let err = SqliteStore::open(db.options()).unwrap_err();
        assert_eq!(err, StoreError::VersionMismatch(format!("unsupported schema version: {version}")));
        assert_eq!(schema_version(&db), version, "nothing changed");
    }
    let db = TestDb::new();
    std::fs::create_dir_all(db.path.parent().unwrap()).unwrap();
    std::fs::write(&db.path, b"definitely not an sqlite database, just some text that is long enough").unwrap();
    assert!(matches!(SqliteStore::open(db.options()), Err(StoreError::Corrupt(_))));
}
