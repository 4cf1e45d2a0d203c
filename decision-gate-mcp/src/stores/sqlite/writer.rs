//! Group commit: one thread owns the write connection and runs every queued write request
//! of a batch inside one `BEGIN IMMEDIATE` transaction, each request in its own savepoint.
//!
//! A request that fails is rolled back to its savepoint and keeps its own error; the others
//! are unaffected. The transaction commits once, and only then is any request answered, so
//! nothing is acknowledged before it is durable. Requests run in arrival order against the
//! state left by the ones before them, so compare-and-set outcomes are exactly those of
//! running them one by one.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::thread::JoinHandle;

use rusqlite::Connection;

use super::errors::WriteFailure;

/// Default upper bound of requests committed together.
pub(crate) const DEFAULT_MAX_BATCH: usize = 64;

/// Requests that may wait in the queue before callers block.
const QUEUE_DEPTH: usize = 1024;

/// A queued write: runs inside the batch transaction, answers after the commit.
pub(crate) trait PendingWrite: Send {
    /// Runs the operation; returns whether it succeeded (a failure is rolled back).
    fn execute(&mut self, conn: &Connection) -> bool;

    /// Answers the caller. `failure` is set when the transaction did not commit; it replaces
    /// a success (whose changes were lost) but never a request's own error.
    fn complete(self: Box<Self>, failure: Option<&rusqlite::Error>);
}

type Operation<T, E> = Box<dyn FnOnce(&Connection) -> Result<T, E> + Send>;

/// A typed write request with its reply channel.
struct Request<T, E> {
    operation: Option<Operation<T, E>>,
    outcome: Option<Result<T, E>>,
    reply: SyncSender<Result<T, E>>,
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
        // The caller may have given up waiting; nothing else to do then.
        let _ = self.reply.send(answer);
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

/// Counters of the writer thread (tests and benchmarks read them).
#[derive(Debug, Default)]
pub(crate) struct WriterStats {
    /// Transactions committed.
    pub(crate) commits: AtomicU64,
    /// Requests answered from committed transactions (successes and own errors).
    pub(crate) requests: AtomicU64,
    /// Requests placed in the queue.
    pub(crate) queued: AtomicU64,
}

/// Handle to the writer thread: the queue and the thread itself.
pub(crate) struct Writer {
    queue: Option<SyncSender<Box<dyn PendingWrite>>>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<WriterStats>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("running", &self.thread.is_some()).finish()
    }
}

impl Writer {
    /// Starts the writer thread owning `conn`.
    pub(crate) fn start(conn: Connection, max_batch: usize) -> std::io::Result<Self> {
        let (queue, receiver) = mpsc::sync_channel::<Box<dyn PendingWrite>>(QUEUE_DEPTH);
        let max_batch = max_batch.max(1);
        let stats = Arc::new(WriterStats::default());
        let thread_stats = stats.clone();
        let thread = std::thread::Builder::new()
            .name("dg-sqlite-writer".to_owned())
            .spawn(move || run_writer(&conn, &receiver, max_batch, &thread_stats))?;
        Ok(Writer { queue: Some(queue), thread: Some(thread), stats })
    }

    /// The writer's counters.
    pub(crate) fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Queues `operation` and blocks until its batch has committed (or failed).
    pub(crate) fn submit<T, E>(
        &self,
        operation: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: WriteFailure,
    {
        let Some(queue) = &self.queue else {
            return Err(E::writer_stopped());
        };
        let (reply, answer) = mpsc::sync_channel(1);
        let request: Box<dyn PendingWrite> =
            Box::new(Request { operation: Some(Box::new(operation)), outcome: None, reply });
        if queue.send(request).is_err() {
            return Err(E::writer_stopped());
        }
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        answer.recv().unwrap_or_else(|_| Err(E::writer_stopped()))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread after it has answered everything already queued.
        self.queue.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run_writer(conn: &Connection, receiver: &Receiver<Box<dyn PendingWrite>>, max_batch: usize, stats: &WriterStats) {
    let mut pending: VecDeque<Box<dyn PendingWrite>> = VecDeque::new();
    let mut open = true;
    while open || !pending.is_empty() {
        if pending.is_empty() {
            match receiver.recv() {
                Ok(first) => pending.push_back(first),
                Err(_) => break,
            }
        }
        while open && pending.len() < max_batch {
            match receiver.try_recv() {
                Ok(next) => pending.push_back(next),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => open = false,
            }
        }
        let take = pending.len().min(max_batch);
        let mut batch: VecDeque<Box<dyn PendingWrite>> = pending.drain(..take).collect();
        run_batch(conn, &mut batch, stats);
        // Requests not reached because the transaction broke go first into the next batch.
        while let Some(request) = batch.pop_back() {
            pending.push_front(request);
        }
    }
}

/// Runs one batch. Requests left in `batch` afterwards were not executed (the transaction
/// broke before them) and must be retried.
fn run_batch(conn: &Connection, batch: &mut VecDeque<Box<dyn PendingWrite>>, stats: &WriterStats) {
    if let Err(err) = conn.execute_batch("BEGIN IMMEDIATE") {
        for request in batch.drain(..) {
            request.complete(Some(&err));
        }
        return;
    }
    let mut done: Vec<Box<dyn PendingWrite>> = Vec::with_capacity(batch.len());
    let mut broken: Option<rusqlite::Error> = None;
    while let Some(mut request) = batch.pop_front() {
        if let Err(err) = conn.execute_batch("SAVEPOINT dg_write") {
            // This request is answered with the error (so a failing connection cannot loop);
            // the ones after it are retried in the next batch.
            request.complete(Some(&err));
            broken = Some(err);
            break;
        }
        let ok = request.execute(conn);
        let settle = if ok { "RELEASE dg_write" } else { "ROLLBACK TO dg_write; RELEASE dg_write" };
        let settled = conn.execute_batch(settle);
        done.push(request);
        if let Err(err) = settled {
            broken = Some(err);
            break;
        }
        if conn.is_autocommit() {
            // SQLite rolled the whole transaction back (I/O error, disk full, ...).
            broken = Some(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("write transaction rolled back".to_owned()),
            ));
            break;
        }
    }
    let failure = match broken {
        Some(err) => {
            rollback(conn);
            Some(err)
        }
        None => match conn.execute_batch("COMMIT") {
            Ok(()) => {
                stats.commits.fetch_add(1, Ordering::Relaxed);
                stats.requests.fetch_add(done.len() as u64, Ordering::Relaxed);
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

fn rollback(conn: &Connection) {
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
}
