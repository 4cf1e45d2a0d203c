//! Error mapping (runpacks-and-stores §10.4) and small conversion helpers shared by the
//! SQLite store's operations. Messages never include payload bytes.

use std::time::{SystemTime, UNIX_EPOCH};

use decision_gate_core::hashing::{CanonicalError, HashAlgorithm, HashDigest};
use decision_gate_core::ports::{DataShapeError, StoreError};
use rusqlite::ErrorCode;

/// Largest canonical run-state snapshot stored or loaded: 16 MiB.
pub const MAX_STATE_BYTES: usize = 16 * 1024 * 1024;

/// The only hash-algorithm label written and accepted.
pub(crate) const SHA256: &str = "sha256";

/// Coarse class of an SQLite failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SqliteClass {
    /// Disk or file-system failure.
    Io,
    /// The database file is damaged or not a database.
    Corrupt,
    /// Busy or locked after the busy timeout (transient).
    Busy,
    /// A value of the wrong type or shape was read.
    Invalid,
    /// Any other database failure.
    Other,
}

/// Classifies an SQLite error.
pub(crate) fn classify(err: &rusqlite::Error) -> SqliteClass {
    match err {
        rusqlite::Error::SqliteFailure(failure, _) => match failure.code {
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => SqliteClass::Corrupt,
            ErrorCode::SystemIoFailure | ErrorCode::CannotOpen | ErrorCode::DiskFull | ErrorCode::PermissionDenied => {
                SqliteClass::Io
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => SqliteClass::Busy,
            _ => SqliteClass::Other,
        },
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::Utf8Error(..) => SqliteClass::Invalid,
        _ => SqliteClass::Other,
    }
}

/// Maps an SQLite error to a run-state / scenario store error.
pub(crate) fn store_err(err: rusqlite::Error) -> StoreError {
    let message = err.to_string();
    match classify(&err) {
        SqliteClass::Io => StoreError::Io(message),
        SqliteClass::Corrupt => StoreError::Corrupt(message),
        SqliteClass::Invalid => StoreError::Invalid(message),
        SqliteClass::Busy | SqliteClass::Other => StoreError::Store(message),
    }
}

/// Maps an SQLite error to a schema-registry error.
pub(crate) fn shape_err(err: rusqlite::Error) -> DataShapeError {
    let message = err.to_string();
    match classify(&err) {
        SqliteClass::Corrupt => DataShapeError::Corrupt(message),
        SqliteClass::Invalid => DataShapeError::Invalid(message),
        SqliteClass::Io | SqliteClass::Busy | SqliteClass::Other => DataShapeError::Io(message),
    }
}

/// Converts a store error raised while opening or probing into a registry error.
pub(crate) fn store_to_shape_err(err: StoreError) -> DataShapeError {
    match err {
        StoreError::Corrupt(message) => DataShapeError::Corrupt(message),
        StoreError::Invalid(message) => DataShapeError::Invalid(message),
        StoreError::Conflict(message) | StoreError::AlreadyExists(message) => DataShapeError::Conflict(message),
        other => DataShapeError::Io(other.to_string()),
    }
}

/// Error types a queued write can answer with when its whole transaction fails.
pub(crate) trait WriteFailure: Send + 'static {
    /// The error for an SQLite failure of the batch transaction (begin or commit).
    fn from_sqlite(err: rusqlite::Error) -> Self;
    /// The error when a request was dropped unanswered (a bug while committing its batch).
    fn writer_stopped() -> Self;
    /// The error when the request's operation panicked.
    fn panicked() -> Self;
}

impl WriteFailure for StoreError {
    fn from_sqlite(err: rusqlite::Error) -> Self {
        store_err(err)
    }

    fn writer_stopped() -> Self {
        StoreError::Store("sqlite writer stopped".to_owned())
    }

    fn panicked() -> Self {
        StoreError::Store("sqlite write failed unexpectedly".to_owned())
    }
}

impl WriteFailure for DataShapeError {
    fn from_sqlite(err: rusqlite::Error) -> Self {
        shape_err(err)
    }

    fn writer_stopped() -> Self {
        DataShapeError::Io("sqlite writer stopped".to_owned())
    }

    fn panicked() -> Self {
        DataShapeError::Io("sqlite write failed unexpectedly".to_owned())
    }
}

/// The size-limit message of run-state snapshots.
pub(crate) fn state_too_large(actual: usize, max: usize) -> StoreError {
    StoreError::Invalid(format!("state_json exceeds size limit: {actual} bytes (max {max})"))
}

/// Maps a canonicalisation failure of a run state (size message for oversized states).
pub(crate) fn state_canonical_err(err: CanonicalError) -> StoreError {
    match err {
        CanonicalError::TooLarge { actual, max } => state_too_large(actual, max),
        other => StoreError::Invalid(other.to_string()),
    }
}

/// Wall-clock milliseconds since the Unix epoch (metadata only, never hashed).
pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A store version as an SQLite integer; versions beyond `i64::MAX` are corrupt.
pub(crate) fn version_to_sql(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| StoreError::Corrupt("version overflow".to_owned()))
}

/// A stored version read back; below 1 is corrupt.
pub(crate) fn version_from_sql(raw: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(raw)
        .ok()
        .filter(|version| *version >= 1)
        .ok_or_else(|| StoreError::Corrupt(format!("invalid stored version for {what}")))
}

/// Parses a stored decimal id; it must be a non-zero u64.
pub(crate) fn parse_stored_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, StoreError> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(StoreError::Invalid(format!("invalid stored {what}")));
    }
    text.parse::<T>().map_err(|_| StoreError::Invalid(format!("invalid stored {what}")))
}

/// The stored hash text as a digest after checking the algorithm label.
pub(crate) fn stored_digest(algorithm: &str, hex_value: String) -> Option<HashDigest> {
    (algorithm == SHA256).then_some(HashDigest { algorithm: HashAlgorithm::Sha256, value: hex_value })
}
