//! Group-commit micro benchmark (ignored; run with
//! `cargo test --release -p decision-gate-mcp stores:: -- --ignored --nocapture`).

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use decision_gate_core::ports::RunStateStore;

use super::super::{SqliteStore, SqliteStoreOptions};
use super::{TestDb, staged};

const RUN_FOR: Duration = Duration::from_secs(3);

/// Durable saves per second from `threads` callers, each saving its own run in a loop.
fn saves_per_second(threads: usize, max_batch: usize) -> (f64, f64) {
    let db = TestDb::new();
    let store = Arc::new(SqliteStore::open_with_batch_limit(SqliteStoreOptions::new(&db.path), max_batch).unwrap());
    let barrier = Arc::new(Barrier::new(threads + 1));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (store, barrier) = (store.clone(), barrier.clone());
            thread::spawn(move || {
                let run = format!("bench-{t}");
                store.create(&staged(&run, "0")).unwrap();
                barrier.wait();
                let start = Instant::now();
                let mut version = 1;
                while start.elapsed() < RUN_FOR {
                    version = store.save(&staged(&run, &version.to_string()), version).unwrap();
                }
                version - 1
            })
        })
        .collect();
    barrier.wait();
    let before = store.write_batch_counts();
    let start = Instant::now();
    let saves: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let elapsed = start.elapsed().as_secs_f64();
    let after = store.write_batch_counts();
    let mean_batch = (after.requests - before.requests) as f64 / (after.commits - before.commits).max(1) as f64;
    (saves as f64 / elapsed, mean_batch)
}

#[test]
#[ignore = "benchmark: run explicitly with --ignored --nocapture (release build)"]
fn group_commit_throughput() {
    for (threads, max_batch) in [(4, 1), (4, 64), (8, 64)] {
        let (rate, mean_batch) = saves_per_second(threads, max_batch);
        println!(
            "{threads} threads, WAL + synchronous=FULL, batch <= {max_batch}: {rate:.0} durable saves/s \
             ({:.0} commits/s, mean batch {mean_batch:.2})",
            rate / mean_batch
        );
        assert!(rate > 0.0);
    }
}
