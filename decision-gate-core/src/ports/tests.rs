use std::sync::{Arc, Barrier};

use serde_json::json;

use super::*;
use crate::hashing::HashDigest;
use crate::ids::{DataShapeVersion, NamespaceId, RunId, SchemaId, TenantId};
use crate::run::{RunState, RunStatus};
use crate::spec::ScenarioSpec;
use crate::time::Timestamp;

fn tenant(n: u64) -> TenantId {
    TenantId::new(n).unwrap()
}

fn ns(n: u64) -> NamespaceId {
    NamespaceId::new(n).unwrap()
}

fn state(run: &str) -> RunState {
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

#[test]
fn create_is_insert_if_absent_and_save_is_compare_and_set() {
    let store = MemoryStore::new();
    assert_eq!(store.create(&state("r")), Ok(1));
    assert!(matches!(store.create(&state("r")), Err(StoreError::AlreadyExists(_))));
    let mut changed = state("r");
    changed.current_stage_id = "b".into();
    assert!(matches!(store.save(&changed, 2), Err(StoreError::Conflict(_))));
    assert_eq!(store.save(&changed, 1), Ok(2));
    let (loaded, version) = store.load(tenant(1), ns(1), &RunId::new("r")).unwrap().unwrap();
    assert_eq!((loaded.current_stage_id.as_str(), version), ("b", 2));
    assert!(matches!(store.save(&state("missing"), 1), Err(StoreError::Invalid(_))));
    assert_eq!(store.load(tenant(2), ns(1), &RunId::new("r")).unwrap(), None, "other tenants see nothing");
}

#[test]
fn ten_concurrent_saves_with_the_same_version_have_exactly_one_winner() {
    let store = Arc::new(MemoryStore::new());
    store.create(&state("r")).unwrap();
    let barrier = Arc::new(Barrier::new(10));
    let handles: Vec<_> = (0..10)
        .map(|i| {
            let (store, barrier) = (store.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut next = state("r");
                next.current_stage_id = format!("stage-{i}").into();
                barrier.wait();
                store.save(&next, 1)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(results.iter().filter(|r| matches!(r, Err(StoreError::Conflict(_)))).count(), 9);
}

#[test]
fn run_listing_pages_and_cursor_rules() {
    let store = MemoryStore::new();
    for run in ["c", "a", "b"] {
        store.create(&state(run)).unwrap();
    }
    let mut other = state("z");
    other.tenant_id = tenant(2);
    store.create(&other).unwrap();
    let first = store.list_runs(tenant(1), ns(1), None, 2).unwrap();
    assert_eq!(first.items.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
    assert_eq!(first.next_token.as_deref(), Some("b"));
    let second = store.list_runs(tenant(1), ns(1), first.next_token.as_deref(), 2).unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.next_token, None, "no trailing empty page");
    assert!(
        matches!(store.list_runs(tenant(1), ns(1), Some("nope"), 2), Err(StoreError::Invalid(m)) if m == "invalid cursor")
    );
    assert!(matches!(store.list_runs(tenant(1), ns(1), None, 0), Err(StoreError::Invalid(_))));
}

fn spec(id: &str, namespace: u64) -> ScenarioSpec {
    serde_json::from_value(json!({"scenario_id":id,"namespace_id":namespace,"spec_version":"1","stages":[{"stage_id":"a","entry_packets":[],"gates":[],"advance_to":{"kind":"terminal"},"on_timeout":"fail"}],"conditions":[],"policies":[],"schemas":[]})).unwrap()
}

#[test]
fn scenario_definitions_are_tenant_scoped_and_immutable() {
    let store = MemoryStore::new();
    let hash = store.define(tenant(1), &spec("s", 1)).unwrap();
    assert_eq!(hash, spec("s", 1).spec_hash().unwrap());
    assert!(
        matches!(store.define(tenant(1), &spec("s", 1)), Err(StoreError::Conflict(m)) if m == "scenario already defined")
    );
    assert!(store.define(tenant(2), &spec("s", 1)).is_ok(), "another tenant has its own key space");
    assert!(store.get(tenant(3), ns(1), &"s".into()).unwrap().is_none());
    assert!(store.get(tenant(1), ns(2), &"s".into()).unwrap().is_none());
    store.define(tenant(1), &spec("b", 1)).unwrap();
    let page = store.list(tenant(1), ns(1), None, 1).unwrap();
    assert_eq!(page.items[0].scenario_id.as_str(), "b");
    assert_eq!(page.next_token.as_deref(), Some("b"));
    let last = store.list(tenant(1), ns(1), Some("b"), 1).unwrap();
    assert_eq!(last.items[0].scenario_id.as_str(), "s");
    assert_eq!(last.next_token, None);
    assert!(store.list(tenant(1), ns(1), Some("zzz"), 1).is_err());
}

#[test]
fn concurrent_identical_defines_have_one_winner() {
    let store = Arc::new(MemoryStore::new());
    let barrier = Arc::new(Barrier::new(8));
    let results: Vec<_> = (0..8)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                store.define(tenant(1), &spec("same", 1))
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
}

fn shape(schema_id: &str, version: &str, schema: serde_json::Value) -> DataShapeRecord {
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

#[test]
fn data_shape_registry_rules() {
    let registry = MemoryDataShapeRegistry::new(RegistryLimits { max_schema_bytes: 64, max_entries: Some(3) });
    registry.register(&shape("a", "v1", json!({"type":"number","maximum":1.0}))).unwrap();
    let stored = registry.get(tenant(1), ns(1), &"a".into(), &"v1".into()).unwrap().unwrap();
    assert_eq!(stored.schema, json!({"maximum":1,"type":"number"}), "schemas are returned canonical");
    assert!(
        matches!(registry.register(&shape("a", "v1", json!({}))), Err(DataShapeError::Conflict(m)) if m == "schema already registered")
    );
    let big = json!({"description": "x".repeat(80)});
    let err = registry.register(&shape("big", "1", big)).unwrap_err();
    assert!(
        matches!(&err, DataShapeError::Invalid(m) if m.starts_with("schema exceeds size limit: ") && m.ends_with("bytes (max 64)")),
        "{err}"
    );
    registry.register(&shape("a", "v10", json!({}))).unwrap();
    registry.register(&shape("a", "v2", json!({}))).unwrap();
    // Duplicate check comes before the entry cap.
    assert!(
        matches!(registry.register(&shape("a", "v2", json!({}))), Err(DataShapeError::Conflict(m)) if m == "schema already registered")
    );
    assert!(
        matches!(registry.register(&shape("b", "1", json!({}))), Err(DataShapeError::Conflict(m)) if m.contains("max entries"))
    );
    let page = registry.list(tenant(1), ns(1), None, 2).unwrap();
    let versions: Vec<&str> = page.items.iter().map(|r| r.version.as_str()).collect();
    assert_eq!(versions, vec!["v1", "v10"], "versions order byte-wise");
    assert_eq!(page.next_token.as_deref(), Some(r#"{"schema_id":"a","version":"v10"}"#));
    let rest = registry.list(tenant(1), ns(1), page.next_token.as_deref(), 2).unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.next_token, None);
    for bad in [
        "not json",
        r#"{"schema_id":1,"version":"v"}"#,
        r#"{"schema_id":"a"}"#,
        r#"{"schema_id":"zz","version":"v"}"#,
        &"x".repeat(4096),
    ] {
        assert!(
            matches!(registry.list(tenant(1), ns(1), Some(bad), 2), Err(DataShapeError::Invalid(m)) if m == "invalid cursor"),
            "{bad}"
        );
    }
    assert!(registry.list(tenant(1), ns(1), Some(r#"{"schema_id":"a","version":"v1","extra":1}"#), 2).is_ok());
    assert!(registry.get(tenant(2), ns(1), &"a".into(), &"v1".into()).unwrap().is_none());
}

#[test]
fn blank_signing_is_normalised_away() {
    let registry = MemoryDataShapeRegistry::new(RegistryLimits::default());
    let mut record = shape("s", "1", json!({}));
    record.signing =
        Some(DataShapeSignature { key_id: " ".into(), signature: "sig".into(), algorithm: Some("ed25519".into()) });
    registry.register(&record).unwrap();
    assert_eq!(registry.get(tenant(1), ns(1), &"s".into(), &"1".into()).unwrap().unwrap().signing, None);
    let mut signed = shape("t", "1", json!({}));
    signed.signing = Some(DataShapeSignature { key_id: "k".into(), signature: "sig".into(), algorithm: None });
    registry.register(&signed).unwrap();
    let back = registry.get(tenant(1), ns(1), &"t".into(), &"1".into()).unwrap().unwrap();
    assert_eq!(serde_json::to_value(back.signing).unwrap(), json!({"key_id":"k","signature":"sig"}));
}
