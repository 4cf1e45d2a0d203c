//! The open-source audit sinks: discard, JSON Lines on stderr, JSON Lines in a file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use super::{AuditError, AuditRecord, AuditSink};

/// Discards every record (`audit.enabled = false`).
#[derive(Clone, Copy, Debug, Default)]
pub struct DiscardAudit;

impl AuditSink for DiscardAudit {
    fn record<'a>(&'a self, _record: &'a AuditRecord) -> BoxFuture<'a, Result<(), AuditError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// JSON Lines on stderr.
#[derive(Clone, Copy, Debug, Default)]
pub struct StderrAudit;

impl AuditSink for StderrAudit {
    fn record<'a>(&'a self, record: &'a AuditRecord) -> BoxFuture<'a, Result<(), AuditError>> {
        let written = serde_json::to_vec(record).map_err(|err| AuditError(err.to_string())).and_then(|mut line| {
            line.push(b'\n');
            std::io::stderr().lock().write_all(&line).map_err(|err| AuditError(err.to_string()))
        });
        Box::pin(std::future::ready(written))
    }
}

/// Append-only JSON Lines file. Every record is written and flushed to the operating system;
/// a durable record ([`AuditSink::record_durable`], the records of calls that change state) is
/// acknowledged only once it is on stable storage: its writer waits for an `fsync` that covers
/// it, and concurrent writers share one (group commit: whoever syncs covers every line
/// appended before the sync began, durable or not). Write failures are returned to the caller, counted in
/// `decision_gate_audit_write_failures_total`, reported on stderr at most once per 10 s, and
/// make the sink unhealthy until a later write succeeds.
#[derive(Debug)]
pub struct JsonlFileAudit {
    file: Mutex<File>,
    /// A second handle on the same file for `fsync`, so appending never waits for a sync.
    sync_file: std::sync::Arc<File>,
    /// Lines appended so far.
    appended: AtomicU64,
    /// Lines known to be on stable storage (held while syncing: writers queue on it).
    synced: tokio::sync::Mutex<u64>,
    /// Whether durable records wait for an `fsync` (`[server.audit] durable`).
    durable: bool,
    /// Number of `fsync` calls (each may cover many lines).
    syncs: AtomicU64,
    healthy: AtomicBool,
    failures: AtomicU64,
    last_report: Mutex<Option<Instant>>,
}

impl JsonlFileAudit {
    /// Opens (creating if missing) the file for appending.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let sync_file = std::sync::Arc::new(file.try_clone()?);
        Ok(JsonlFileAudit {
            file: Mutex::new(file),
            sync_file,
            appended: AtomicU64::new(0),
            synced: tokio::sync::Mutex::new(0),
            durable: true,
            syncs: AtomicU64::new(0),
            healthy: AtomicBool::new(true),
            failures: AtomicU64::new(0),
            last_report: Mutex::new(None),
        })
    }

    /// With `durable = false`, durable records are flushed to the operating system only, like
    /// every other record (`[server.audit] durable = false`).
    pub fn with_durability(mut self, durable: bool) -> Self {
        self.durable = durable;
        self
    }

    /// Number of failed writes so far.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Number of `fsync` calls so far (fewer than records when writers share them).
    pub fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }

    fn report_failure(&self, error: &str) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        self.healthy.store(false, Ordering::Relaxed);
        metrics::counter!("decision_gate_audit_write_failures_total").increment(1);
        let mut last = self.last_report.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
            *last = Some(Instant::now());
            tracing::warn!(%error, "audit write failed");
        }
    }

    /// Appends one line; its sequence number.
    fn append(&self, record: &AuditRecord) -> Result<u64, AuditError> {
        let mut line = serde_json::to_vec(record).map_err(|err| AuditError(err.to_string()))?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match file.write_all(&line).and_then(|()| file.flush()) {
            Ok(()) => Ok(self.appended.fetch_add(1, Ordering::AcqRel) + 1),
            Err(error) => {
                drop(file);
                self.report_failure(&error.to_string());
                Err(AuditError(error.to_string()))
            }
        }
    }

    /// Waits until line `sequence` is on stable storage, syncing if no one else has.
    async fn sync_through(&self, sequence: u64) -> Result<(), AuditError> {
        let mut synced = self.synced.lock().await;
        if *synced >= sequence {
            return Ok(());
        }
        let covered = self.appended.load(Ordering::Acquire);
        let file = self.sync_file.clone();
        let outcome = match tokio::runtime::Handle::try_current() {
            Ok(_) => tokio::task::spawn_blocking(move || file.sync_data())
                .await
                .unwrap_or_else(|error| Err(std::io::Error::other(error.to_string()))),
            Err(_) => file.sync_data(),
        };
        match outcome {
            Ok(()) => {
                self.syncs.fetch_add(1, Ordering::Relaxed);
                *synced = covered;
                self.healthy.store(true, Ordering::Relaxed);
                Ok(())
            }
            Err(error) => {
                self.report_failure(&error.to_string());
                Err(AuditError(error.to_string()))
            }
        }
    }
}

impl AuditSink for JsonlFileAudit {
    fn record<'a>(&'a self, record: &'a AuditRecord) -> BoxFuture<'a, Result<(), AuditError>> {
        Box::pin(std::future::ready(self.append(record).map(|_| ())))
    }

    fn record_durable<'a>(&'a self, record: &'a AuditRecord) -> BoxFuture<'a, Result<(), AuditError>> {
        Box::pin(async move {
            let sequence = self.append(record)?;
            if self.durable { self.sync_through(sequence).await } else { Ok(()) }
        })
    }

    fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::pipeline::{AuditEvent, AuditHeader, SecurityAuditEvent};

    fn record(n: usize) -> AuditRecord {
        AuditHeader::new(format!("dg-{n}")).record(AuditEvent::SecurityAudit(SecurityAuditEvent {
            kind: "test",
            message: format!("record {n}"),
            dev_permissive: false,
            namespace_authority: "none".to_owned(),
        }))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_acknowledged_record_is_synced_and_concurrent_writers_share_syncs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let sink = Arc::new(JsonlFileAudit::open(&path).unwrap());
        let writers: Vec<_> = (0..64)
            .map(|n| {
                let sink = sink.clone();
                tokio::spawn(async move { sink.record_durable(&record(n)).await })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap().unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 64);
        assert!((1..=64).contains(&sink.syncs()), "{} syncs", sink.syncs());
        let synced = sink.syncs();
        sink.record(&record(64)).await.unwrap();
        assert_eq!(sink.syncs(), synced, "an ordinary record is not synced on its own");
        sink.record_durable(&record(65)).await.unwrap();
        assert_eq!(sink.syncs(), synced + 1, "a later durable record gets its own sync, covering both");
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 66);
        assert!(sink.healthy());
    }

    #[tokio::test]
    async fn without_durability_a_durable_record_is_only_flushed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let sink = JsonlFileAudit::open(&path).unwrap().with_durability(false);
        sink.record_durable(&record(1)).await.unwrap();
        assert_eq!(sink.syncs(), 0);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    }
}
