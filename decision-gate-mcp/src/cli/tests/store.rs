//! `store list|get|export|verify|prune` against a SQLite file created through `SqliteStore`.

use std::path::{Path, PathBuf};

use decision_gate_core::hashing::{HashDigest, to_canonical_vec};
use decision_gate_core::ports::RunStateStore;
use serde_json::Value;

use super::{Outcome, arg, cli, sample_spec, sample_state};
use crate::stores::{SqliteStore, SqliteStoreOptions};

/// A store with run `run-a` at versions 1..=3 and run `run-b` at version 1.
fn populated(dir: &Path) -> PathBuf {
    let path = dir.join("store.db");
    let store = SqliteStore::open(SqliteStoreOptions::new(&path)).unwrap();
    let spec = sample_spec();
    let mut state = sample_state(&spec, "run-a");
    assert_eq!(store.create(&state).unwrap(), 1);
    for version in 1..3 {
        state.current_stage_id = format!("stage-{version}").into();
        assert_eq!(store.save(&state, version).unwrap(), version + 1);
    }
    store.create(&sample_state(&spec, "run-b")).unwrap();
    path
}

fn selector<'a>(store: &'a Path, run: &'a str) -> Vec<&'a str> {
    vec!["--store-path", arg(store), "--tenant-id", "1", "--namespace-id", "1", "--run-id", run]
}

fn store_cmd<'a>(command: &'a str, args: &[&'a str]) -> super::Run {
    let mut all = vec!["store", command];
    all.extend_from_slice(args);
    cli(&all)
}

#[test]
fn list_reports_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = populated(dir.path());
    let run = store_cmd("list", &["--store-path", arg(&path)]);
    assert_eq!(run.outcome(), Outcome::Success);
    let value: Value = serde_json::from_str(&run.out).unwrap();
    let runs = value["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    let run_a = runs.iter().find(|run| run["run_id"] == "run-a").unwrap();
    assert_eq!(run_a["latest_version"], 3);
    assert_eq!(run_a["tenant_id"], 1);

    let filtered = store_cmd("list", &["--store-path", arg(&path), "--tenant-id", "2"]);
    assert_eq!(filtered.out, "{\"runs\":[]}\n");
    let text = store_cmd("list", &["--store-path", arg(&path), "--format", "text"]);
    assert_eq!(text.out.lines().count(), 2);
    assert!(text.out.lines().any(|line| line.starts_with("1\t1\trun-a\t3\t")), "{}", text.out);
}

#[test]
fn get_and_export_print_canonical_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = populated(dir.path());
    let latest = store_cmd("get", &selector(&path, "run-a"));
    assert_eq!(latest.outcome(), Outcome::Success);
    let value: Value = serde_json::from_str(&latest.out).unwrap();
    assert_eq!(value["current_stage_id"], "stage-2");
    let mut args = selector(&path, "run-a");
    args.extend(["--version", "1"]);
    let first = store_cmd("get", &args);
    let value: Value = serde_json::from_str(&first.out).unwrap();
    assert_eq!(value["current_stage_id"], sample_spec().stages[0].stage_id.as_str());
    assert_ne!(first.out, latest.out);

    let output = dir.path().join("state.json");
    let mut args = selector(&path, "run-a");
    args.extend(["--output", arg(&output)]);
    let exported = store_cmd("export", &args);
    assert_eq!(exported.outcome(), Outcome::Success);
    let bytes = std::fs::read(&output).unwrap();
    assert_eq!(format!("{}\n", String::from_utf8(bytes.clone()).unwrap()), latest.out);
    assert_eq!(exported.out, format!("{}\n", HashDigest::sha256(&bytes).value));
    assert!(store_cmd("export", &args).error().contains("cannot create"), "existing files are not overwritten");

    let error = store_cmd("get", &selector(&path, "missing")).error();
    assert!(error.contains("run not found: missing"), "{error}");
    let mut args = selector(&path, "run-a");
    args.extend(["--version", "9"]);
    assert!(store_cmd("get", &args).error().contains("has no version 9"));
}

#[test]
fn verify_passes_for_canonical_rows_and_fails_for_non_canonical_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = populated(dir.path());
    let run = store_cmd("verify", &selector(&path, "run-a"));
    assert_eq!(run.outcome(), Outcome::Success);
    let report: Value = serde_json::from_str(&run.out).unwrap();
    let keys: Vec<&str> = report.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "computed_hash",
            "namespace_id",
            "run_id",
            "saved_at",
            "state_bytes",
            "status",
            "stored_hash",
            "tenant_id",
            "version"
        ]
    );
    assert_eq!(report["status"], "pass");
    assert_eq!(report["version"], 3);
    assert_eq!(report["stored_hash"], report["computed_hash"]);

    // Rewrite version 2 as valid but non-canonical JSON with a matching stored hash.
    let connection = rusqlite::Connection::open(&path).unwrap();
    let stored: Vec<u8> = connection
        .query_row("SELECT state_json FROM run_state_versions WHERE run_id = 'run-a' AND version = 2", [], |row| {
            row.get(0)
        })
        .unwrap();
    let pretty = serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&stored).unwrap()).unwrap();
    assert_ne!(pretty, to_canonical_vec(&serde_json::from_slice::<Value>(&stored).unwrap()).unwrap());
    connection
        .execute(
            "UPDATE run_state_versions SET state_json = ?1, state_hash = ?2 WHERE run_id = 'run-a' AND version = 2",
            rusqlite::params![pretty, HashDigest::sha256(&pretty).value],
        )
        .unwrap();
    drop(connection);
    let mut args = selector(&path, "run-a");
    args.extend(["--version", "2", "--format", "text"]);
    let run = store_cmd("verify", &args);
    assert_eq!(run.outcome(), Outcome::Failure);
    assert!(run.out.starts_with("fail\t1\t1\trun-a\t2\t"), "{}", run.out);
}

#[test]
fn prune_keeps_the_newest_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = populated(dir.path());
    let mut args = selector(&path, "run-a");
    args.extend(["--keep", "1", "--dry-run"]);
    let dry = store_cmd("prune", &args);
    assert_eq!(dry.outcome(), Outcome::Success);
    let value: Value = serde_json::from_str(&dry.out).unwrap();
    assert_eq!((value["pruned"].as_u64(), value["dry_run"].as_bool()), (Some(2), Some(true)));

    let mut args = selector(&path, "run-a");
    args.extend(["--keep", "1"]);
    let value: Value = serde_json::from_str(&store_cmd("prune", &args).out).unwrap();
    assert_eq!((value["pruned"].as_u64(), value["dry_run"].as_bool()), (Some(2), Some(false)));
    let mut old = selector(&path, "run-a");
    old.extend(["--version", "1"]);
    assert!(store_cmd("get", &old).error().contains("has no version 1"));
    assert_eq!(store_cmd("get", &selector(&path, "run-a")).outcome(), Outcome::Success);

    let mut zero = selector(&path, "run-a");
    zero.extend(["--keep", "0"]);
    assert!(store_cmd("prune", &zero).error().contains("at least 1"));
    let mut missing = selector(&path, "nope");
    missing.extend(["--keep", "1"]);
    assert!(store_cmd("prune", &missing).error().contains("run not found"));
}

#[test]
fn the_store_is_found_through_the_config_and_never_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = populated(dir.path());
    let config = dir.path().join("decision-gate.toml");
    std::fs::write(&config, format!("[run_state_store]\ntype = \"sqlite\"\npath = {:?}\n", arg(&path))).unwrap();
    let run = store_cmd("list", &["--config", arg(&config)]);
    assert_eq!(run.outcome(), Outcome::Success);
    assert!(run.out.contains("run-b"));

    std::fs::write(&config, "[run_state_store]\ntype = \"memory\"\n").unwrap();
    assert!(store_cmd("list", &["--config", arg(&config)]).error().contains("SQLite"));
    let missing = dir.path().join("missing.db");
    assert!(store_cmd("list", &["--store-path", arg(&missing)]).error().contains("store file not found"));
    assert!(!missing.exists());
}
