//! Compare-and-set under concurrency and group-commit batching.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use decision_gate_core::ids::RunId;
use decision_gate_core::ports::{RunStateStore, ScenarioStore, StoreError};

use super::super::{SqliteStore, SqliteStoreOptions};
use super::{TestDb, ns, spec, staged, state, tenant};

#[test]
fn ten_concurrent_saves_with_the_same_version_have_exactly_one_winner() {
    let db = TestDb::new();
    let store = Arc::new(db.open());
    store.create(&state("r")).unwrap();
    let barrier = Arc::new(Barrier::new(10));
    let handles: Vec<_> = (0..10)
        .map(|i| {
            let (store, barrier) = (store.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                store.save(&staged("r", &format!("stage-{i}")), 1)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| **r == Ok(2)).count(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|r| matches!(r, Err(StoreError::Conflict(_)))).count(), 9);
    let (loaded, version) = store.load(tenant(1), ns(1), &RunId::new("r")).unwrap().unwrap();
    assert_eq!(version, 2);
    let winner = results.iter().position(Result::is_ok).unwrap();
    assert_eq!(loaded.current_stage_id.as_str(), format!("stage-{winner}"));
}

#[test]
fn concurrent_identical_defines_have_one_winner() {
    let db = TestDb::new();
    let store = Arc::new(db.open());
    let barrier = Arc::new(Barrier::new(8));
    let results: Vec<_> = (0..8)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                store.define(tenant(1), &spec("same", 1))
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(results.iter().filter(|r| matches!(r, Err(StoreError::Conflict(_)))).count(), 7);
}

/// Increments the counter kept in `current_stage_id` with load → save retries.
fn increment(store: &SqliteStore, run: &str) -> u32 {
    let mut conflicts = 0;
    loop {
        let (current, version) = store.load(tenant(1), ns(1), &RunId::new(run)).unwrap().unwrap();
        let count: u64 = current.current_stage_id.as_str().trim_start_matches("n-").parse().unwrap();
        match store.save(&staged(run, &format!("n-{}", count + 1)), version) {
            Ok(next) => {
                assert_eq!(next, version + 1);
                return conflicts;
            }
            Err(StoreError::Conflict(_)) => conflicts += 1,
            Err(other) => panic!("unexpected {other}"),
        }
    }
}

#[test]
fn two_store_instances_on_one_file_lose_no_update() {
    let db = TestDb::new();
    let first = Arc::new(db.open());
    let second = Arc::new(db.open());
    first.create(&staged("r", "n-0")).unwrap();
    let per_thread = 25;
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let store = if i % 2 == 0 { first.clone() } else { second.clone() };
            thread::spawn(move || (0..per_thread).map(|_| increment(&store, "r")).sum::<u32>())
        })
        .collect();
    let conflicts: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let (state, version) = second.load(tenant(1), ns(1), &RunId::new("r")).unwrap().unwrap();
    assert_eq!(state.current_stage_id.as_str(), format!("n-{}", 6 * per_thread), "{conflicts} conflicts retried");
    assert_eq!(version, 6 * per_thread + 1);
}

#[test]
fn group_commit_batches_are_correct_and_durable() {
    let db = TestDb::new();
    let threads = 8;
    let runs_per_thread = 40;
    {
        let store = Arc::new(db.open());
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (store, barrier) = (store.clone(), barrier.clone());
                thread::spawn(move || {
                    barrier.wait();
                    for r in 0..runs_per_thread {
                        let run = format!("t{t}-r{r}");
                        assert_eq!(store.create(&staged(&run, "s1")), Ok(1));
                        assert_eq!(store.save(&staged(&run, "s2"), 1), Ok(2));
                        assert!(matches!(store.save(&staged(&run, "stale"), 1), Err(StoreError::Conflict(_))));
                        assert_eq!(store.save(&staged(&run, "s3"), 2), Ok(3));
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        let counts = store.write_batch_counts();
        assert_eq!(counts.requests, (threads * runs_per_thread * 4) as u64);
        assert!(counts.commits <= counts.requests);
    }
    let store = db.open();
    for t in 0..threads {
        for r in 0..runs_per_thread {
            let run = format!("t{t}-r{r}");
            let (loaded, version) = store.load(tenant(1), ns(1), &RunId::new(run.as_str())).unwrap().unwrap();
            assert_eq!((loaded, version), (staged(&run, "s3"), 3));
            assert_eq!(store.list_run_versions(tenant(1), ns(1), &RunId::new(run.as_str())).unwrap().len(), 3);
        }
    }
}

/// Requests queued behind a held write lock run in one transaction, in arrival order, each
/// in its own savepoint: failures do not undo the successes around them.
#[test]
fn one_batch_runs_requests_as_if_one_by_one() {
    let db = TestDb::new();
    let store = Arc::new(SqliteStore::open(SqliteStoreOptions { busy_timeout_ms: 20_000, ..db.options() }).unwrap());
    store.create(&state("r")).unwrap();
    store.create(&state("dup")).unwrap();
    let blocker = db.raw();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let before = store.write_batch_counts();

    type Call = Box<dyn FnOnce(&SqliteStore) -> Result<u64, StoreError> + Send>;
    let calls: Vec<(&str, Call)> = vec![
        ("first batch", Box::new(|s| s.save(&staged("r", "v2"), 1))),
        ("same batch ok", Box::new(|s| s.save(&staged("r", "v3"), 2))),
        ("same batch stale", Box::new(|s| s.save(&staged("r", "lost"), 2))),
        ("sees uncommitted v3", Box::new(|s| s.save(&staged("r", "v4"), 3))),
        ("duplicate create", Box::new(|s| s.create(&state("dup")))),
        ("new create", Box::new(|s| s.create(&state("fresh")))),
        ("save of missing run", Box::new(|s| s.save(&state("missing"), 1))),
        ("after the failures", Box::new(|s| s.save(&staged("fresh", "f2"), 1))),
    ];
    let queued = || store.writer.stats().queued.load(std::sync::atomic::Ordering::Relaxed);
    let mut handles = Vec::new();
    for (label, call) in calls {
        let (store, target) = (store.clone(), queued() + 1);
        handles.push((label, thread::spawn(move || call(&store))));
        // Each request is queued before the next is sent: arrival order is the listed order.
        while queued() < target {
            thread::sleep(Duration::from_millis(1));
        }
    }
    // Let the writer pick up the whole queue while the lock is still held.
    thread::sleep(Duration::from_millis(50));
    blocker.execute_batch("COMMIT").unwrap();
    let results: Vec<(&str, Result<u64, StoreError>)> =
        handles.into_iter().map(|(label, h)| (label, h.join().unwrap())).collect();
    let outcome = |i: usize| results[i].1.clone();
    assert_eq!(outcome(0), Ok(2));
    assert_eq!(outcome(1), Ok(3));
    assert!(matches!(outcome(2), Err(StoreError::Conflict(m)) if m == "run r is at version 3, expected 2"));
    assert_eq!(outcome(3), Ok(4));
    assert!(matches!(outcome(4), Err(StoreError::AlreadyExists(_))));
    assert_eq!(outcome(5), Ok(1));
    assert!(matches!(outcome(6), Err(StoreError::Invalid(_))));
    assert_eq!(outcome(7), Ok(2));
    let after = store.write_batch_counts();
    // The first request normally waits alone on the lock and the other seven share the next
    // transaction (a slow writer wake-up may put all eight in one).
    assert!((1..=2).contains(&(after.commits - before.commits)), "{before:?} {after:?}");
    assert_eq!(after.requests - before.requests, 8);
    drop(store);
    let store = db.open();
    assert_eq!(store.load(tenant(1), ns(1), &RunId::new("r")).unwrap(), Some((staged("r", "v4"), 4)));
    assert_eq!(store.load(tenant(1), ns(1), &RunId::new("fresh")).unwrap(), Some((staged("fresh", "f2"), 2)));
    let versions = store.list_run_versions(tenant(1), ns(1), &RunId::new("r")).unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), vec![4, 3, 2, 1]);
}

#[test]
fn a_panicking_request_is_rolled_back_and_the_writer_keeps_serving() {
    let db = TestDb::new();
    let store = db.open();
    store.create(&state("r")).unwrap();
    let result: Result<u64, StoreError> = store.writer.submit(|conn| {
        conn.execute("DELETE FROM runs", []).unwrap();
        panic!("request bug")
    });
    assert!(matches!(result, Err(StoreError::Store(_))));
    assert_eq!(store.load(tenant(1), ns(1), &RunId::new("r")).unwrap().unwrap().1, 1, "its writes were undone");
    assert_eq!(store.save(&staged("r", "b"), 1), Ok(2));
}
