//! Run-state and scenario semantics: compare-and-set, listings, retention, persistence.

use decision_gate_core::ids::RunId;
use decision_gate_core::ports::{RunStateStore, ScenarioStore, StoreError};

use super::super::{STORE_SCHEMA_VERSION, SqliteStore};
use super::{TestDb, ns, spec, staged, state, tenant};
use crate::config::{JournalMode, SchemaRegistryConfig, StoreConfig, StoreType, SyncMode};

#[test]
fn create_is_insert_if_absent_and_save_is_compare_and_set() {
    let db = TestDb::new();
    let store = db.open();
    assert_eq!(store.create(&state("r")), Ok(1));
    assert!(matches!(store.create(&state("r")), Err(StoreError::AlreadyExists(m)) if m == "run r"));
    assert!(
        matches!(store.save(&staged("r", "b"), 2), Err(StoreError::Conflict(m)) if m == "run r is at version 1, expected 2")
    );
    assert_eq!(store.save(&staged("r", "b"), 1), Ok(2));
    let (loaded, version) = store.load(tenant(1), ns(1), &RunId::new("r")).unwrap().unwrap();
    assert_eq!((loaded.current_stage_id.as_str(), version), ("b", 2));
    assert!(matches!(store.save(&state("missing"), 1), Err(StoreError::Invalid(m)) if m == "run not found"));
    assert_eq!(store.load(tenant(2), ns(1), &RunId::new("r")).unwrap(), None, "other tenants see nothing");
    assert_eq!(store.load(tenant(1), ns(2), &RunId::new("r")).unwrap(), None);
    let stored = store.load_latest(tenant(1), ns(1), &RunId::new("r")).unwrap().unwrap();
    let canonical = decision_gate_core::hashing::to_canonical_vec(&staged("r", "b")).unwrap();
    assert_eq!(stored.state_hash, decision_gate_core::hashing::HashDigest::sha256(&canonical));
    assert_eq!(stored.state_bytes, canonical.len() as u64);
}

#[test]
fn oversized_state_is_invalid_before_anything_is_written() {
    let db = TestDb::new();
    let store = db.open();
    let huge = staged("big", &"x".repeat(16 * 1024 * 1024));
    let err = store.create(&huge).unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.starts_with("state_json exceeds size limit: ") && m.ends_with("bytes (max 16777216)")),
        "{err}"
    );
    assert!(!err.to_string().contains("xxxx"), "messages never include payloads");
    assert_eq!(store.load(tenant(1), ns(1), &RunId::new("big")).unwrap(), None);
}

#[test]
fn run_listing_pages_and_cursor_rules() {
    let db = TestDb::new();
    let store = db.open();
    for run in ["c", "a", "b", "B"] {
        store.create(&state(run)).unwrap();
    }
    let mut other = state("z");
    other.tenant_id = tenant(2);
    store.create(&other).unwrap();
    store.save(&staged("a", "next"), 1).unwrap();
    let first = store.list_runs(tenant(1), ns(1), None, 2).unwrap();
    assert_eq!(first.items.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(), vec!["B", "a"], "byte order");
    assert_eq!(first.items[1].version, 2);
    assert_eq!(first.items[1].scenario_id.as_str(), "s");
    assert_eq!(first.next_token.as_deref(), Some("a"));
    let second = store.list_runs(tenant(1), ns(1), first.next_token.as_deref(), 2).unwrap();
    assert_eq!(second.items.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(), vec!["b", "c"]);
    assert_eq!(second.next_token, None, "no trailing empty page");
    assert!(
        matches!(store.list_runs(tenant(1), ns(1), Some("nope"), 2), Err(StoreError::Invalid(m)) if m == "invalid cursor")
    );
    assert!(
        matches!(store.list_runs(tenant(1), ns(1), Some("z"), 2), Err(StoreError::Invalid(m)) if m == "invalid cursor"),
        "another tenant's run is not a cursor"
    );
    assert!(matches!(store.list_runs(tenant(1), ns(1), None, 0), Err(StoreError::Invalid(_))));
}

#[test]
fn retention_deletes_by_threshold_and_prune_by_rank() {
    let db = TestDb::new();
    let store = SqliteStore::open(super::super::SqliteStoreOptions { max_versions: Some(2), ..db.options() }).unwrap();
    store.create(&state("r")).unwrap();
    store.create(&state("other")).unwrap();
    for version in 1..5 {
        store.save(&staged("r", &format!("v{}", version + 1)), version).unwrap();
    }
    let run = RunId::new("r");
    let versions: Vec<u64> =
        store.list_run_versions(tenant(1), ns(1), &run).unwrap().iter().map(|v| v.version).collect();
    assert_eq!(versions, vec![5, 4], "versions below 5 - 2 + 1 are gone");
    assert_eq!(store.list_run_versions(tenant(1), ns(1), &RunId::new("other")).unwrap().len(), 1, "that run only");
    assert_eq!(store.load_version(tenant(1), ns(1), &run, 3).unwrap(), None);
    let v4 = store.load_version(tenant(1), ns(1), &run, 4).unwrap().unwrap();
    assert_eq!((v4.version, v4.state.current_stage_id.as_str()), (4, "v4"));
    assert!(matches!(store.load_version(tenant(1), ns(1), &run, 0), Err(StoreError::Invalid(_))));

    // Prune keeps the highest versions by rank, even with gaps.
    let db = TestDb::new();
    let store = db.open();
    store.create(&state("r")).unwrap();
    for version in 1..6 {
        store.save(&staged("r", &format!("v{}", version + 1)), version).unwrap();
    }
    db.raw().execute("DELETE FROM run_state_versions WHERE version IN (4, 5)", []).unwrap();
    assert_eq!(store.prune_versions(tenant(1), ns(1), &run, 2), Ok(2), "keeps 6 and 3, deletes 2 and 1");
    let versions: Vec<u64> =
        store.list_run_versions(tenant(1), ns(1), &run).unwrap().iter().map(|v| v.version).collect();
    assert_eq!(versions, vec![6, 3]);
    assert_eq!(store.load(tenant(1), ns(1), &run).unwrap().unwrap().1, 6, "latest_version unchanged");
    assert_eq!(store.prune_versions(tenant(1), ns(1), &run, 5), Ok(0));
    assert!(matches!(store.prune_versions(tenant(1), ns(1), &run, 0), Err(StoreError::Invalid(_))));
    assert!(matches!(store.prune_versions(tenant(1), ns(1), &RunId::new("nope"), 1), Err(StoreError::Invalid(_))));
}

#[test]
fn admin_listing_is_newest_first_and_filters() {
    let db = TestDb::new();
    let store = db.open();
    store.create(&state("old")).unwrap();
    let mut elsewhere = state("elsewhere");
    elsewhere.namespace_id = ns(7);
    store.create(&elsewhere).unwrap();
    store.create(&state("new")).unwrap();
    let conn = db.raw();
    for (run, saved_at) in [("old", 100), ("elsewhere", 200), ("new", 300)] {
        conn.execute("UPDATE run_state_versions SET saved_at = ?1 WHERE run_id = ?2", rusqlite::params![saved_at, run])
            .unwrap();
    }
    let all = store.list_runs_admin(None, None).unwrap();
    assert_eq!(all.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(), vec!["new", "elsewhere", "old"]);
    assert_eq!((all[1].namespace_id, all[1].latest_version, all[1].saved_at), (ns(7), 1, 200));
    let filtered = store.list_runs_admin(Some(tenant(1)), Some(ns(1))).unwrap();
    assert_eq!(filtered.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(), vec!["new", "old"]);
    assert!(store.list_runs_admin(Some(tenant(2)), None).unwrap().is_empty());

    conn.execute("DELETE FROM run_state_versions WHERE run_id = 'old'", []).unwrap();
    assert!(
        matches!(store.list_runs_admin(None, None), Err(StoreError::Corrupt(m)) if m.contains("missing run state version 1")),
        "a run without its latest row is reported, not omitted"
    );
    assert!(matches!(store.load(tenant(1), ns(1), &RunId::new("old")), Err(StoreError::Corrupt(_))));

    conn.execute("UPDATE runs SET tenant_id = '0' WHERE run_id = 'new'", []).unwrap();
    conn.execute("UPDATE run_state_versions SET tenant_id = '0' WHERE run_id = 'new'", []).unwrap();
    conn.execute("DELETE FROM runs WHERE run_id = 'old'", []).unwrap();
    assert!(matches!(store.list_runs_admin(None, None), Err(StoreError::Invalid(_))), "ids must be non-zero");
}

#[test]
fn scenario_definitions_are_tenant_scoped_immutable_and_paged() {
    let db = TestDb::new();
    let store = db.open();
    let hash = store.define(tenant(1), &spec("s", 1)).unwrap();
    assert_eq!(hash, spec("s", 1).spec_hash().unwrap());
    assert!(
        matches!(store.define(tenant(1), &spec("s", 1)), Err(StoreError::Conflict(m)) if m == "scenario already defined")
    );
    assert!(store.define(tenant(2), &spec("s", 1)).is_ok(), "another tenant has its own key space");
    assert!(ScenarioStore::get(&store, tenant(3), ns(1), &"s".into()).unwrap().is_none());
    assert!(ScenarioStore::get(&store, tenant(1), ns(2), &"s".into()).unwrap().is_none());
    let stored = ScenarioStore::get(&store, tenant(1), ns(1), &"s".into()).unwrap().unwrap();
    assert_eq!((stored.spec, stored.spec_hash), (spec("s", 1), hash.clone()));
    store.define(tenant(1), &spec("b", 1)).unwrap();
    store.define(tenant(1), &spec("other-namespace", 2)).unwrap();
    let page = ScenarioStore::list(&store, tenant(1), ns(1), None, 1).unwrap();
    assert_eq!(page.items[0].scenario_id.as_str(), "b");
    assert_eq!(page.next_token.as_deref(), Some("b"));
    let last = ScenarioStore::list(&store, tenant(1), ns(1), Some("b"), 1).unwrap();
    assert_eq!((last.items[0].scenario_id.as_str(), &last.items[0].spec_hash), ("s", &hash));
    assert_eq!(last.next_token, None);
    assert!(
        matches!(ScenarioStore::list(&store, tenant(1), ns(1), Some("zzz"), 1), Err(StoreError::Invalid(m)) if m == "invalid cursor")
    );
    assert!(matches!(ScenarioStore::list(&store, tenant(1), ns(1), None, 0), Err(StoreError::Invalid(_))));
}

#[test]
fn runs_scenarios_and_schemas_survive_reopen() {
    let db = TestDb::new();
    {
        let store = db.open();
        store.create(&state("r")).unwrap();
        store.save(&staged("r", "b"), 1).unwrap();
        store.define(tenant(1), &spec("s", 1)).unwrap();
        decision_gate_core::ports::DataShapeRegistry::register(
            &store,
            &super::shape("schema", "1", serde_json::json!({"type":"object"})),
        )
        .unwrap();
    }
    let store = db.open();
    let (loaded, version) = store.load(tenant(1), ns(1), &RunId::new("r")).unwrap().unwrap();
    assert_eq!((loaded, version), (staged("r", "b"), 2));
    assert_eq!(ScenarioStore::get(&store, tenant(1), ns(1), &"s".into()).unwrap().unwrap().spec, spec("s", 1));
    let schema =
        decision_gate_core::ports::DataShapeRegistry::get(&store, tenant(1), ns(1), &"schema".into(), &"1".into())
            .unwrap()
            .unwrap();
    assert_eq!(schema.schema, serde_json::json!({"type":"object"}));
    assert_eq!(store.save(&staged("r", "c"), 2), Ok(3), "compare-and-set continues after restart");
}

#[test]
fn readiness_is_a_real_round_trip() {
    let db = TestDb::new();
    let store = db.open();
    assert_eq!(RunStateStore::readiness(&store), Ok(()));
    assert_eq!(ScenarioStore::readiness(&store), Ok(()));
    assert_eq!(decision_gate_core::ports::DataShapeRegistry::readiness(&store), Ok(()));
    db.raw().execute("UPDATE store_meta SET version = 99", []).unwrap();
    assert!(matches!(RunStateStore::readiness(&store), Err(StoreError::VersionMismatch(_))));
    db.raw().execute(&format!("UPDATE store_meta SET version = {STORE_SCHEMA_VERSION}"), []).unwrap();
    db.raw().execute("DELETE FROM store_meta", []).unwrap();
    assert!(RunStateStore::readiness(&store).is_err(), "an answer without the version row is not ready");
    db.raw().execute("DROP TABLE store_meta", []).unwrap();
    assert!(RunStateStore::readiness(&store).is_err());
}

#[test]
fn options_come_from_config_and_are_validated() {
    let db = TestDb::new();
    let config = StoreConfig {
        store_type: StoreType::Sqlite,
        path: Some(db.path.clone()),
        busy_timeout_ms: 250,
        journal_mode: JournalMode::Delete,
        sync_mode: SyncMode::Normal,
        max_versions: Some(3),
    };
    let options = super::super::SqliteStoreOptions::from_store_config(&config).unwrap();
    assert_eq!((options.busy_timeout_ms, options.max_versions, options.max_schema_bytes), (250, Some(3), 1_048_576));
    let registry = SchemaRegistryConfig {
        store: config.clone(),
        max_schema_bytes: 1024,
        max_entries: Some(2),
        ..Default::default()
    };
    let registry_options = super::super::SqliteStoreOptions::from_registry_config(&registry).unwrap();
    assert_eq!((registry_options.max_schema_bytes, registry_options.max_entries), (1024, Some(2)));
    let store = SqliteStore::open(options.clone()).unwrap();
    store.create(&state("r")).unwrap();
    let mode: String = db.raw().query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(mode, "delete");
    drop(store);

    let missing = StoreConfig { path: None, ..config };
    assert!(matches!(super::super::SqliteStoreOptions::from_store_config(&missing), Err(StoreError::Invalid(_))));
    for bad in [
        super::super::SqliteStoreOptions { max_versions: Some(0), ..options.clone() },
        super::super::SqliteStoreOptions { max_schema_bytes: 0, ..options.clone() },
        super::super::SqliteStoreOptions { max_schema_bytes: 10 * 1024 * 1024 + 1, ..options.clone() },
        super::super::SqliteStoreOptions { max_entries: Some(0), ..options.clone() },
        super::super::SqliteStoreOptions { path: "".into(), ..options.clone() },
        super::super::SqliteStoreOptions { path: db.path.parent().unwrap().to_path_buf(), ..options.clone() },
        super::super::SqliteStoreOptions { path: db.path.with_file_name("x".repeat(256)), ..options.clone() },
    ] {
        assert!(matches!(SqliteStore::open(bad.clone()), Err(StoreError::Invalid(_))), "{bad:?}");
    }
    let wal =
        SqliteStore::open(super::super::SqliteStoreOptions { journal_mode: JournalMode::Wal, ..options }).unwrap();
    assert_eq!(wal.load(tenant(1), ns(1), &RunId::new("r")).unwrap().unwrap().1, 1);
}

#[test]
fn loads_reuse_their_prepared_statement() {
    use rusqlite::StatementStatus;
    let db = TestDb::new();
    let store = db.open();
    for run in ["r1", "r2", "r3"] {
        store.create(&state(run)).unwrap();
    }
    for _ in 0..3 {
        for run in ["r1", "r2", "r3"] {
            assert_eq!(store.load(tenant(1), ns(1), &RunId::new(run)).unwrap().unwrap().1, 1);
        }
    }
    // Every load above ran on the one pooled read connection; its cached join statement must
    // not have been parsed and planned again when the bound run id changed.
    let idle = store.readers.idle();
    assert_eq!(idle.len(), 1);
    let stmt = idle[0].prepare_cached(super::super::runs::LOAD_LATEST_SQL).unwrap();
    assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0);
}
