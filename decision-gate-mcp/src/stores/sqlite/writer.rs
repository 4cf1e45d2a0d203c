//! Group commit without a writer thread: callers queue their write requests, and one of them,
//! the leader, runs every queued request of a batch inside one `BEGIN IMMEDIATE` transaction,
//! each request in its own savepoint, on the one write connection.
//!
//! A request that fails is rolled back to its savepoint and keeps its own error; the others
//! are unaffected. The transaction commits once, and only then is any request answered, so
//! nothing is acknowledged before it is durable. Requests run in arrival order against the
//! state left by the ones before them, so compare-and-set outcomes are exactly those of
//! running them one by one. After its batch the leader hands the lead to the oldest waiting
//! request, whose caller then commits the next batch; a caller that finds nobody leading leads
//! itself. Committing on the caller's own thread saves two thread hand-offs per leader, which
//! is most of a small write's latency on a loaded machine.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

use super::errors::WriteFailure;
use super::schema::run_cached;

/// Default upper bound of requests committed together.
pub(crate) const DEFAULT_MAX_BATCH: usize = 64;

/// A queued write: runs inside the batch transaction, answers after the commit.
pub(crate) trait PendingWrite: Send {
    /// Runs the operation; returns whether it succeeded (a failure is rolled back).
    fn execute(&mut self, conn: &Connection) -> bool;

    /// Answers the caller. `failure` is set when the transaction did not commit; it replaces
    /// a success (whose changes were lost) but never a request's own error.
    fn complete(self: Box<Self>, failure: Option<&rusqlite::Error>);

    /// Tells the waiting caller to lead the next batch (the request stays queued).
    fn hand_lead(&self);
}

type Operation<T, E> = Box<dyn FnOnce(&Connection) -> Result<T, E> + Send>;

/// What a waiting caller is told.
enum Turn<T, E> {
    /// Its request was answered.
    Done(Result<T, E>),
    /// It leads the next batch.
    Lead,
}

/// A typed write request with its reply channel.
struct Request<T, E> {
    operation: Option<Operation<T, E>>,
    outcome: Option<Result<T, E>>,
    reply: SyncSender<Turn<T, E>>,
}

impl<T: Send + 'static, E: WriteFailure> PendingWrite for Request<T, E> {
    fn execute(&mut self, conn: &Connection) -> bool {
        let Some(operation) = self.operation.take() else {
            return self.outcome.as_ref().is_some_and(Result::is_ok);
        };
        // A panicking request is answered with an error and rolled back like any failure,
        // so one bad request cannot stop the writer for everyone else.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| operation(conn)))
            .unwrap_or_else(|_| Err(E::panicked()));
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn complete(self: Box<Self>, failure: Option<&rusqlite::Error>) {
        let answer = match (self.outcome, failure) {
            (Some(Err(err)), _) => Err(err),
            (Some(Ok(_)) | None, Some(failure)) => Err(E::from_sqlite(clone_error(failure))),
            (Some(Ok(value)), None) => Ok(value),
            (None, None) => Err(E::writer_stopped()),
        };
        // The channel has room for the lead and the answer, so this never blocks.
        let _ = self.reply.try_send(Turn::Done(answer));
    }

    fn hand_lead(&self) {
        let _ = self.reply.try_send(Turn::Lead);
    }
}

/// Rebuilds an SQLite error for each request of a failed batch (the error type is not `Clone`).
fn clone_error(err: &rusqlite::Error) -> rusqlite::Error {
    match err {
        rusqlite::Error::SqliteFailure(failure, message) => rusqlite::Error::SqliteFailure(*failure, message.clone()),
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}

/// Counters of the writer (tests and benchmarks read them).
#[derive(Debug, Default)]
pub(crate) struct WriterStats {
    /// Transactions committed.
    pub(crate) commits: AtomicU64,
    /// Requests answered from committed transactions (successes and own errors).
    pub(crate) requests: AtomicU64,
    /// Requests placed in the queue.
    pub(crate) queued: AtomicU64,
}

/// Requests waiting for a batch, and whether some caller is leading.
#[derive(Default)]
struct Queue {
    pending: VecDeque<Box<dyn PendingWrite>>,
    leading: bool,
}

/// The write connection and the queue of requests in front of it.
pub(crate) struct Writer {
    conn: Mutex<Connection>,
    queue: Mutex<Queue>,
    max_batch: usize,
    stats: WriterStats,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("max_batch", &self.max_batch).finish_non_exhaustive()
    }
}

impl Writer {
    /// A writer owning `conn`, committing at most `max_batch` requests together.
    pub(crate) fn new(conn: Connection, max_batch: usize) -> Self {
        Writer {
            conn: Mutex::new(conn),
            queue: Mutex::new(Queue::default()),
            max_batch: max_batch.max(1),
            stats: WriterStats::default(),
        }
    }

    /// The writer's counters.
    pub(crate) fn stats(&self) -> &WriterStats {
        &self.stats
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        // The queue stays consistent under every panic point (pushes and drains only).
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `operation` and blocks until its batch has committed (or failed), leading
    /// batches itself when it is its turn.
    pub(crate) fn submit<T, E>(
        &self,
        operation: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: WriteFailure,
    {
        let (reply, answer) = mpsc::sync_channel(2);
        let request: Box<dyn PendingWrite> =
            Box::new(Request { operation: Some(Box::new(operation)), outcome: None, reply });
        let lead_now = {
            let mut queue = self.queue();
            queue.pending.push_back(request);
            self.stats.queued.fetch_add(1, Ordering::Relaxed);
            !std::mem::replace(&mut queue.leading, true)
        };
        if lead_now {
            self.lead();
        }
        loop {
            match answer.recv() {
                Ok(Turn::Done(result)) => return result,
                Ok(Turn::Lead) => self.lead(),
                Err(_) => return Err(E::writer_stopped()),
            }
        }
    }

    /// Commits one batch from the front of the queue, then hands the lead on.
    fn lead(&self) {
        let mut batch: VecDeque<Box<dyn PendingWrite>> = {
            let mut queue = self.queue();
            let take = queue.pending.len().min(self.max_batch);
            queue.pending.drain(..take).collect()
        };
        {
            let conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_batch(&conn, &mut batch, &self.stats);
            }));
            if ran.is_err() {
                // A bug outside any request: end the transaction; the requests of this batch
                // are dropped, so their callers get `writer_stopped`.
                rollback(&conn);
                batch.clear();
            }
        }
        let mut queue = self.queue();
        // Requests not reached because the transaction broke go first into the next batch.
        while let Some(request) = batch.pop_back() {
            queue.pending.push_front(request);
        }
        match queue.pending.front() {
            Some(next) => next.hand_lead(),
            None => queue.leading = false,
        }
    }
}

/// Runs one batch. Requests left in `batch` afterwards were not executed (the transaction
/// broke before them) and must be retried. A batch of one request needs no savepoint: if it
/// fails, rolling back the whole transaction undoes exactly its changes.
fn run_batch(conn: &Connection, batch: &mut VecDeque<Box<dyn PendingWrite>>, stats: &WriterStats) {
    if let Err(err) = run_cached(conn, "BEGIN IMMEDIATE") {
        for request in batch.drain(..) {
            request.complete(Some(&err));
        }
        return;
    }
    let savepoints = batch.len() > 1;
    let mut done: Vec<Box<dyn PendingWrite>> = Vec::with_capacity(batch.len());
    let mut broken: Option<rusqlite::Error> = None;
    let mut failed_alone = false;
    while let Some(mut request) = batch.pop_front() {
        if savepoints && let Err(err) = run_cached(conn, "SAVEPOINT dg_write") {
            // This request is answered with the error (so a failing connection cannot loop);
            // the ones after it are retried in the next batch.
            request.complete(Some(&err));
            broken = Some(err);
            break;
        }
        let ok = request.execute(conn);
        let settled = match (savepoints, ok) {
            (false, _) => Ok(()),
            (true, true) => run_cached(conn, "RELEASE dg_write"),
            (true, false) => {
                run_cached(conn, "ROLLBACK TO dg_write").and_then(|()| run_cached(conn, "RELEASE dg_write"))
            }
        };
        failed_alone = !savepoints && !ok;
        done.push(request);
        if let Err(err) = settled {
            broken = Some(err);
            break;
        }
        if !failed_alone && conn.is_autocommit() {
            // SQLite rolled the whole transaction back (I/O error, disk full, ...).
            broken = Some(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("write transaction rolled back".to_owned()),
            ));
            break;
        }
    }
    if failed_alone {
        // The only request failed: undo it and answer with its own error (counted like an
        // own error inside a committed batch).
        rollback(conn);
        stats.requests.fetch_add(done.len() as u64, Ordering::Relaxed);
        for request in done {
            request.complete(None);
        }
        return;
    }
    let failure = match broken {
        Some(err) => {
            rollback(conn);
            Some(err)
        }
        None => match timed_commit(conn) {
            Ok(elapsed) => {
                stats.commits.fetch_add(1, Ordering::Relaxed);
                stats.requests.fetch_add(done.len() as u64, Ordering::Relaxed);
                metrics::counter!("decision_gate_sqlite_commits_total").increment(1);
                metrics::counter!("decision_gate_sqlite_committed_writes_total").increment(done.len() as u64);
                metrics::histogram!("decision_gate_sqlite_commit_seconds").record(elapsed.as_secs_f64());
                None
            }
            Err(err) => {
                rollback(conn);
                Some(err)
            }
        },
    };
    for request in done {
        request.complete(failure.as_ref());
    }
}

/// `COMMIT`, timed: with `synchronous = FULL` this is where the write reaches the disk.
fn timed_commit(conn: &Connection) -> rusqlite::Result<std::time::Duration> {
    let started = std::time::Instant::now();
    run_cached(conn, "COMMIT")?;
    Ok(started.elapsed())
}

fn rollback(conn: &Connection) {
    if !conn.is_autocommit() {
        let _ = run_cached(conn, "ROLLBACK");
    }
}
