//! The SQLite schema registry: limits, ordering, cursors, canonical round trip, signing.

use decision_gate_core::ports::{DataShapeError, DataShapeRegistry, DataShapeSignature, MAX_SCHEMA_BYTES_CEILING};
use serde_json::json;

use super::super::{MAX_ENTRIES_MESSAGE, SqliteStore, SqliteStoreOptions};
use super::{TestDb, ns, shape, tenant};

fn registry(db: &TestDb, max_schema_bytes: usize, max_entries: Option<usize>) -> SqliteStore {
    SqliteStore::open(SqliteStoreOptions { max_schema_bytes, max_entries, ..db.options() }).unwrap()
}

fn count(db: &TestDb) -> i64 {
    db.raw().query_row("SELECT COUNT(*) FROM data_shapes", [], |row| row.get(0)).unwrap()
}

#[test]
fn size_limit_duplicates_and_entry_cap() {
    let db = TestDb::new();
    let store = registry(&db, 1024, Some(3));
    store.register(&shape("a", "v1", json!({"type":"number","maximum":1.0}))).unwrap();
    let stored = store.get(tenant(1), ns(1), &"a".into(), &"v1".into()).unwrap().unwrap();
    assert_eq!(stored.schema, json!({"maximum":1,"type":"number"}), "schemas are returned canonical");
    assert_eq!(serde_json::to_string(&stored.schema).unwrap(), r#"{"maximum":1,"type":"number"}"#);
    assert!(
        matches!(store.register(&shape("a", "v1", json!({}))), Err(DataShapeError::Conflict(m)) if m == "schema already registered")
    );
    let big = json!({"description": "x".repeat(2000)});
    let err = store.register(&shape("big", "1", big)).unwrap_err();
    assert!(
        matches!(&err, DataShapeError::Invalid(m) if m.starts_with("schema exceeds size limit: ") && m.ends_with("bytes (max 1024)")),
        "{err}"
    );
    assert!(!err.to_string().contains("xxx"));
    store.register(&shape("a", "v10", json!({}))).unwrap();
    store.register(&shape("a", "v2", json!({}))).unwrap();
    assert!(
        matches!(store.register(&shape("a", "v2", json!({}))), Err(DataShapeError::Conflict(m)) if m == "schema already registered"),
        "duplicate check comes before the entry cap"
    );
    assert!(
        matches!(store.register(&shape("b", "1", json!({}))), Err(DataShapeError::Conflict(m)) if m == MAX_ENTRIES_MESSAGE)
    );
    let mut elsewhere = shape("b", "1", json!({}));
    elsewhere.namespace_id = ns(2);
    store.register(&elsewhere).unwrap();
    assert_eq!(count(&db), 4, "the cap is per (tenant, namespace); rejected calls stored nothing");

    let one = TestDb::new();
    let capped = registry(&one, 1024, Some(1));
    capped.register(&shape("a", "1", json!({}))).unwrap();
    let err = capped.register(&shape("a", "2", json!({}))).unwrap_err();
    assert!(err.to_string().contains("max entries"), "{err}");
}

#[test]
fn listing_orders_bytewise_and_enforces_cursor_rules() {
    let db = TestDb::new();
    let store = registry(&db, 1024, None);
    for (id, version) in [("a", "v2"), ("a", "v10"), ("a", "v1"), ("B", "1"), ("b", "1.0.10"), ("b", "1.0.2")] {
        store.register(&shape(id, version, json!({}))).unwrap();
    }
    let mut other_tenant = shape("a", "v0", json!({}));
    other_tenant.tenant_id = tenant(2);
    store.register(&other_tenant).unwrap();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store.list(tenant(1), ns(1), cursor.as_deref(), 2).unwrap();
        assert!(!page.items.is_empty(), "no empty trailing page");
        seen.extend(page.items.iter().map(|r| format!("{}@{}", r.schema_id, r.version)));
        match page.next_token {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, vec!["B@1", "a@v1", "a@v10", "a@v2", "b@1.0.10", "b@1.0.2"]);
    let first = store.list(tenant(1), ns(1), None, 2).unwrap();
    assert_eq!(first.next_token.as_deref(), Some(r#"{"schema_id":"a","version":"v1"}"#));
    let all = store.list(tenant(1), ns(1), None, 6).unwrap();
    assert_eq!((all.items.len(), all.next_token), (6, None), "exactly limit rows left ⇒ last page");
    for bad in [
        "not json",
        r#"{"schema_id":1,"version":"v"}"#,
        r#"{"schema_id":"a"}"#,
        r#"{"schema_id":"zz","version":"v"}"#,
        r#"{"schema_id":"a","version":"v0"}"#,
        &"x".repeat(4096),
    ] {
        assert!(
            matches!(store.list(tenant(1), ns(1), Some(bad), 2), Err(DataShapeError::Invalid(m)) if m == "invalid cursor"),
            "{bad}"
        );
    }
    let extra = store.list(tenant(1), ns(1), Some(r#"{"schema_id":"a","version":"v1","extra":1}"#), 1).unwrap();
    assert_eq!(extra.items[0].version.as_str(), "v10", "extra keys are ignored");
    assert!(matches!(store.list(tenant(1), ns(1), None, 0), Err(DataShapeError::Invalid(_))));
    assert!(store.get(tenant(2), ns(1), &"a".into(), &"v1".into()).unwrap().is_none());
    assert!(store.get(tenant(1), ns(1), &"a".into(), &"v0".into()).unwrap().is_none());
}

#[test]
fn signing_is_normalised_and_kept_on_get_and_list() {
    let db = TestDb::new();
    let store = registry(&db, 1024, None);
    let mut blank = shape("s", "1", json!({}));
    blank.signing =
        Some(DataShapeSignature { key_id: " ".into(), signature: "sig".into(), algorithm: Some("ed25519".into()) });
    store.register(&blank).unwrap();
    let mut signed = shape("t", "1", json!({"type": "string"}));
    signed.description = Some("described".into());
    signed.created_at = decision_gate_core::time::Timestamp::Logical(42);
    signed.signing = Some(DataShapeSignature { key_id: "k".into(), signature: "sig".into(), algorithm: None });
    store.register(&signed).unwrap();
    assert_eq!(store.get(tenant(1), ns(1), &"s".into(), &"1".into()).unwrap().unwrap().signing, None);
    let back = store.get(tenant(1), ns(1), &"t".into(), &"1".into()).unwrap().unwrap();
    assert_eq!(back, signed);
    assert_eq!(serde_json::to_value(&back.signing).unwrap(), json!({"key_id":"k","signature":"sig"}));
    let listed = store.list(tenant(1), ns(1), None, 10).unwrap();
    assert_eq!(listed.items[1], signed);
    assert_eq!(listed.items[0].signing, None);
    let stored: Option<String> = db
        .raw()
        .query_row("SELECT signing_algorithm FROM data_shapes WHERE schema_id = 't'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, None);

    // A row whose stored signing fields are blank is read back without signing.
    db.raw().execute("UPDATE data_shapes SET signing_signature = '  ' WHERE schema_id = 't'", []).unwrap();
    assert_eq!(store.get(tenant(1), ns(1), &"t".into(), &"1".into()).unwrap().unwrap().signing, None);
}

#[test]
fn the_full_configurable_range_is_honoured() {
    let db = TestDb::new();
    let store = registry(&db, MAX_SCHEMA_BYTES_CEILING, None);
    let large = json!({"description": "y".repeat(2 * 1024 * 1024)});
    store.register(&shape("large", "1", large.clone())).unwrap();
    assert_eq!(store.get(tenant(1), ns(1), &"large".into(), &"1".into()).unwrap().unwrap().schema, large);
}

#[test]
fn concurrent_identical_registrations_have_one_winner() {
    let db = TestDb::new();
    let store = std::sync::Arc::new(registry(&db, 1024, None));
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let results: Vec<_> = (0..8)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store.register(&shape("same", "1", json!({})))
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(results.iter().all(|r| r.is_ok() || matches!(r, Err(DataShapeError::Conflict(_)))));
}
