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

/// Append-only JSON Lines file, flushed per line. Write failures are returned to the caller,
/// counted in `decision_gate_audit_write_failures_total`, reported on stderr at most once per
/// 10 s, and make the sink unhealthy until a later write succeeds.
#[derive(Debug)]
pub struct JsonlFileAudit {
    file: Mutex<File>,
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
        Ok(JsonlFileAudit {
            file: Mutex::new(file),
            healthy: AtomicBool::new(true),
            failures: AtomicU64::new(0),
            last_report: Mutex::new(None),
        })
    }

    /// Number of failed writes so far.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
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

    fn write(&self, record: &AuditRecord) -> Result<(), AuditError> {
        let mut line = serde_json::to_vec(record).map_err(|err| AuditError(err.to_string()))?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match file.write_all(&line).and_then(|()| file.flush()) {
            Ok(()) => {
                self.healthy.store(true, Ordering::Relaxed);
                Ok(())
            }
            Err(error) => {
                drop(file);
                self.report_failure(&error.to_string());
                Err(AuditError(error.to_string()))
            }
        }
    }
}

impl AuditSink for JsonlFileAudit {
    fn record<'a>(&'a self, record: &'a AuditRecord) -> BoxFuture<'a, Result<(), AuditError>> {
        Box::pin(std::future::ready(self.write(record)))
    }

    fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }
}
