//! Run-state persistence with compare-and-set (runpacks-and-stores §11). Write functions run
//! inside the writer's batch transaction; read functions inside a read transaction.

use decision_gate_core::hashing::{HashDigest, to_canonical_vec_limited};
use decision_gate_core::ids::{NamespaceId, RunId, TenantId};
use decision_gate_core::ports::{Page, RunSummary, StoreError};
use decision_gate_core::run::RunState;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::errors::{
    MAX_STATE_BYTES, SHA256, now_millis, parse_stored_id, state_canonical_err, state_too_large, store_err,
    stored_digest, version_from_sql, version_to_sql,
};

/// One run as listed by the administrative listing (newest `saved_at` first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunRecordSummary {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Run id.
    pub run_id: RunId,
    /// Latest stored version.
    pub latest_version: u64,
    /// Wall-clock milliseconds when the latest version was saved.
    pub saved_at: i64,
}

/// Metadata of one stored version of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunVersionInfo {
    /// Store version.
    pub version: u64,
    /// Wall-clock milliseconds when it was saved.
    pub saved_at: i64,
    /// Stored hash (lowercase hex).
    pub state_hash: String,
    /// Stored hash algorithm label.
    pub hash_algorithm: String,
    /// Length of the stored `state_json` in bytes.
    pub state_bytes: u64,
}

/// One stored version of a run, loaded and verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRunVersion {
    /// The run state.
    pub state: RunState,
    /// Its store version.
    pub version: u64,
    /// Wall-clock milliseconds when it was saved.
    pub saved_at: i64,
    /// The stored hash (verified against the stored bytes).
    pub state_hash: HashDigest,
    /// Length of the stored bytes.
    pub state_bytes: u64,
}

/// Primary key of a run as stored (decimal TEXT ids).
#[derive(Clone, Debug)]
pub(crate) struct RunKey {
    tenant: String,
    namespace: String,
    run_id: String,
}

impl RunKey {
    pub(crate) fn new(tenant: TenantId, namespace: NamespaceId, run_id: &RunId) -> Self {
        RunKey { tenant: tenant.get().to_string(), namespace: namespace.get().to_string(), run_id: run_id.to_string() }
    }
}

/// A run state prepared for writing: canonical bytes, hash and timestamp computed by the
/// caller's thread, outside the write transaction.
#[derive(Debug)]
pub(crate) struct RunWrite {
    key: RunKey,
    bytes: Vec<u8>,
    hash: String,
    saved_at: i64,
}

impl RunWrite {
    /// Canonicalises (16 MiB limit) and hashes a state.
    pub(crate) fn prepare(state: &RunState) -> Result<Self, StoreError> {
        let bytes = to_canonical_vec_limited(state, MAX_STATE_BYTES).map_err(state_canonical_err)?;
        let hash = HashDigest::sha256(&bytes).value;
        Ok(RunWrite {
            key: RunKey::new(state.tenant_id, state.namespace_id, &state.run_id),
            bytes,
            hash,
            saved_at: now_millis(),
        })
    }
}

fn insert_version(conn: &Connection, write: &RunWrite, version: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO run_state_versions (tenant_id, namespace_id, run_id, version, state_json, state_hash, \
         hash_algorithm, saved_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            write.key.tenant,
            write.key.namespace,
            write.key.run_id,
            version,
            write.bytes,
            write.hash,
            SHA256,
            write.saved_at
        ])
    })
    .map(|_| ())
    .map_err(store_err)
}

/// Inserts a new run at version 1 (`AlreadyExists` if the key is taken).
pub(crate) fn create(conn: &Connection, write: &RunWrite) -> Result<u64, StoreError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO runs (tenant_id, namespace_id, run_id, latest_version) VALUES (?1, ?2, ?3, 1) \
             ON CONFLICT DO NOTHING",
        )
        .and_then(|mut stmt| stmt.execute(params![write.key.tenant, write.key.namespace, write.key.run_id]))
        .map_err(store_err)?;
    if inserted == 0 {
        return Err(StoreError::AlreadyExists(format!("run {}", write.key.run_id)));
    }
    insert_version(conn, write, 1)?;
    Ok(1)
}

fn latest_version(conn: &Connection, key: &RunKey) -> Result<Option<i64>, StoreError> {
    conn.prepare_cached("SELECT latest_version FROM runs WHERE tenant_id = ?1 AND namespace_id = ?2 AND run_id = ?3")
        .and_then(|mut stmt| {
            stmt.query_row(params![key.tenant, key.namespace, key.run_id], |row| row.get(0)).optional()
        })
        .map_err(store_err)
}

/// Compare-and-set save: stores `expected + 1` if the latest version is `expected`, then
/// applies retention by version threshold.
pub(crate) fn save(
    conn: &Connection,
    write: &RunWrite,
    expected: u64,
    max_versions: Option<u64>,
) -> Result<u64, StoreError> {
    let latest = latest_version(conn, &write.key)?.ok_or_else(|| StoreError::Invalid("run not found".to_owned()))?;
    let latest = version_from_sql(latest, &format!("run {}", write.key.run_id))?;
    if latest != expected {
        return Err(StoreError::Conflict(format!(
            "run {} is at version {latest}, expected {expected}",
            write.key.run_id
        )));
    }
    let next = expected.checked_add(1).ok_or_else(|| StoreError::Corrupt("version overflow".to_owned()))?;
    let next_sql = version_to_sql(next)?;
    insert_version(conn, write, next_sql)?;
    conn.prepare_cached(
        "UPDATE runs SET latest_version = ?4 WHERE tenant_id = ?1 AND namespace_id = ?2 AND run_id = ?3",
    )
    .and_then(|mut stmt| stmt.execute(params![write.key.tenant, write.key.namespace, write.key.run_id, next_sql]))
    .map_err(store_err)?;
    if let Some(keep) = max_versions {
        // Keep versions >= next - keep + 1 (by number, this run only).
        let threshold = next.saturating_sub(keep).saturating_add(1);
        if threshold > 1 {
            conn.prepare_cached(
                "DELETE FROM run_state_versions WHERE tenant_id = ?1 AND namespace_id = ?2 AND run_id = ?3 \
                 AND version < ?4",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    write.key.tenant,
                    write.key.namespace,
                    write.key.run_id,
                    version_to_sql(threshold).unwrap_or(i64::MAX)
                ])
            })
            .map_err(store_err)?;
        }
    }
    Ok(next)
}

/// Keeps the `keep` highest versions by rank and deletes the rest; returns the count.
pub(crate) fn prune(conn: &Connection, key: &RunKey, keep: u64) -> Result<u64, StoreError> {
    if keep == 0 {
        return Err(StoreError::Invalid("keep must be at least 1".to_owned()));
    }
    if latest_version(conn, key)?.is_none() {
        return Err(StoreError::Invalid("run not found".to_owned()));
    }
    let keep = i64::try_from(keep).unwrap_or(i64::MAX);
    let deleted = conn
        .prepare_cached(
            "DELETE FROM run_state_versions WHERE tenant_id = ?1 AND namespace_id = ?2 AND run_id = ?3 \
             AND version NOT IN (SELECT version FROM run_state_versions WHERE tenant_id = ?1 AND namespace_id = ?2 \
             AND run_id = ?3 ORDER BY version DESC LIMIT ?4)",
        )
        .and_then(|mut stmt| stmt.execute(params![key.tenant, key.namespace, key.run_id, keep]))
        .map_err(store_err)?;
    Ok(deleted as u64)
}

/// One version row as read: the blob is only fetched when it is within the size limit.
struct VersionRow {
    length: i64,
    stored_hash: String,
    algorithm: String,
    saved_at: i64,
    bytes: Option<Vec<u8>>,
}

impl VersionRow {
    /// Reads the five columns starting at `first`: length, hash, algorithm, saved_at, blob.
    fn read(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Self> {
        Ok(VersionRow {
            length: row.get(first)?,
            stored_hash: row.get(first + 1)?,
            algorithm: row.get(first + 2)?,
            saved_at: row.get(first + 3)?,
            bytes: row.get(first + 4)?,
        })
    }
}

/// Loads one version with every check of §11.3; `None` when the row is absent.
pub(crate) fn load_version_row(
    conn: &Connection,
    key: &RunKey,
    version: u64,
) -> Result<Option<StoredRunVersion>, StoreError> {
    let version_sql = version_to_sql(version)?;
    let row: Option<VersionRow> = conn
        .prepare_cached(
            "SELECT length(state_json), state_hash, hash_algorithm, saved_at, \
             CASE WHEN length(state_json) <= ?5 THEN state_json END FROM run_state_versions \
             WHERE tenant_id = ?1 AND namespace_id = ?2 AND run_id = ?3 AND version = ?4",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![key.tenant, key.namespace, key.run_id, version_sql, MAX_STATE_BYTES as i64], |row| {
                VersionRow::read(row, 0)
            })
            .optional()
        })
        .map_err(store_err)?;
    row.map(|row| verify_row(key, version, row)).transpose()
}

/// The checks of §11.3 on one fetched row: size limit, stored hash, JSON, key match.
fn verify_row(key: &RunKey, version: u64, row: VersionRow) -> Result<StoredRunVersion, StoreError> {
    // The query leaves the blob out exactly when it exceeds the limit.
    let length = usize::try_from(row.length).unwrap_or(usize::MAX);
    let bytes = row.bytes.ok_or_else(|| state_too_large(length, MAX_STATE_BYTES))?;
    let state_hash = stored_digest(&row.algorithm, row.stored_hash)
        .ok_or_else(|| StoreError::Invalid("unsupported hash algorithm".to_owned()))?;
    if HashDigest::sha256(&bytes).value != state_hash.value {
        return Err(StoreError::Corrupt(format!("hash mismatch for run {}", key.run_id)));
    }
    let state: RunState = serde_json::from_slice(&bytes).map_err(|err| {
        StoreError::Invalid(format!("invalid run state json at line {} column {}", err.line(), err.column()))
    })?;
    if state.run_id.as_str() != key.run_id
        || state.tenant_id.get().to_string() != key.tenant
        || state.namespace_id.get().to_string() != key.namespace
    {
        return Err(StoreError::Invalid(format!("run state does not match its key for run {}", key.run_id)));
    }
    Ok(StoredRunVersion { state, version, saved_at: row.saved_at, state_hash, state_bytes: bytes.len() as u64 })
}

/// The run row joined with its latest version row (`?4` is the blob size limit).
pub(crate) const LOAD_LATEST_SQL: &str = "SELECT r.latest_version, v.version, length(v.state_json), v.state_hash, v.hash_algorithm, v.saved_at, \
     CASE WHEN length(v.state_json) <= ?4 THEN v.state_json END FROM runs r \
     LEFT JOIN run_state_versions v ON v.tenant_id = r.tenant_id AND v.namespace_id = r.namespace_id \
     AND v.run_id = r.run_id AND v.version = r.latest_version \
     WHERE r.tenant_id = ?1 AND r.namespace_id = ?2 AND r.run_id = ?3";

/// Loads the latest version of a run: the run row and its latest version row in one query.
pub(crate) fn load_latest(conn: &Connection, key: &RunKey) -> Result<Option<StoredRunVersion>, StoreError> {
    let joined: Option<(i64, Option<VersionRow>)> = conn
        .prepare_cached(LOAD_LATEST_SQL)
        .and_then(|mut stmt| {
            stmt.query_row(params![key.tenant, key.namespace, key.run_id, MAX_STATE_BYTES as i64], |row| {
                // `v.version` is NULL exactly when the LEFT JOIN found no version row.
                let found: Option<i64> = row.get(1)?;
                Ok((row.get(0)?, found.map(|_| VersionRow::read(row, 2)).transpose()?))
            })
            .optional()
        })
        .map_err(store_err)?;
    let Some((latest, row)) = joined else {
        return Ok(None);
    };
    let latest = version_from_sql(latest, &format!("run {}", key.run_id))?;
    match row {
        Some(row) => verify_row(key, latest, row).map(Some),
        None => Err(StoreError::Corrupt(format!("missing run state version {latest} for run {}", key.run_id))),
    }
}

/// Paginated listing sorted by run id (byte order); cursor = the last run id.
pub(crate) fn list_page(
    conn: &Connection,
    tenant: TenantId,
    namespace: NamespaceId,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<RunSummary>, StoreError> {
    if limit == 0 {
        return Err(StoreError::Invalid("limit must be greater than zero".to_owned()));
    }
    if let Some(cursor) = cursor
        && latest_version(conn, &RunKey::new(tenant, namespace, &RunId::new(cursor)))?.is_none()
    {
        return Err(StoreError::Invalid("invalid cursor".to_owned()));
    }
    let (tenant_text, namespace_text) = (tenant.get().to_string(), namespace.get().to_string());
    let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
    let run_ids: Vec<String> = conn
        .prepare_cached(
            "SELECT run_id FROM runs WHERE tenant_id = ?1 AND namespace_id = ?2 \
             AND (?3 IS NULL OR run_id > ?3 COLLATE BINARY) ORDER BY run_id COLLATE BINARY LIMIT ?4",
        )
        .and_then(|mut stmt| {
            stmt.query_map(params![tenant_text, namespace_text, cursor, fetch], |row| row.get(0))?
                .collect::<Result<Vec<String>, _>>()
        })
        .map_err(store_err)?;
    let mut fetched = Vec::with_capacity(run_ids.len());
    for run_id in run_ids {
        let run_id = RunId::new(run_id);
        let key = RunKey::new(tenant, namespace, &run_id);
        let stored = load_latest(conn, &key)?
            .ok_or_else(|| StoreError::Corrupt(format!("run {run_id} vanished during listing")))?;
        fetched.push(RunSummary {
            run_id,
            scenario_id: stored.state.scenario_id,
            status: stored.state.status,
            version: stored.version,
        });
    }
    Ok(Page::from_overfetch(fetched, limit, |item| item.run_id.to_string()))
}

/// Administrative listing, newest `saved_at` first; a missing latest row is `Corrupt`.
pub(crate) fn list_admin(
    conn: &Connection,
    tenant: Option<TenantId>,
    namespace: Option<NamespaceId>,
) -> Result<Vec<RunRecordSummary>, StoreError> {
    type Row = (String, String, String, i64, Option<i64>);
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT r.tenant_id, r.namespace_id, r.run_id, r.latest_version, v.saved_at FROM runs r \
             LEFT JOIN run_state_versions v ON v.tenant_id = r.tenant_id AND v.namespace_id = r.namespace_id \
             AND v.run_id = r.run_id AND v.version = r.latest_version \
             WHERE (?1 IS NULL OR r.tenant_id = ?1) AND (?2 IS NULL OR r.namespace_id = ?2) \
             ORDER BY v.saved_at DESC, r.tenant_id, r.namespace_id, r.run_id",
        )
        .and_then(|mut stmt| {
            stmt.query_map(
                params![tenant.map(|t| t.get().to_string()), namespace.map(|n| n.get().to_string())],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
            )?
            .collect::<Result<Vec<Row>, _>>()
        })
        .map_err(store_err)?;
    rows.into_iter()
        .map(|(tenant_text, namespace_text, run_id, latest, saved_at)| {
            let latest_version = version_from_sql(latest, &format!("run {run_id}"))?;
            let saved_at = saved_at.ok_or_else(|| {
                StoreError::Corrupt(format!("missing run state version {latest_version} for run {run_id}"))
            })?;
            Ok(RunRecordSummary {
                tenant_id: parse_stored_id(&tenant_text, "tenant id")?,
                namespace_id: parse_stored_id(&namespace_text, "namespace id")?,
                run_id: RunId::new(run_id),
                latest_version,
                saved_at,
            })
        })
        .collect()
}

/// Version metadata of one run, newest first; fails if any stored row exceeds 16 MiB.
pub(crate) fn list_versions(conn: &Connection, key: &RunKey) -> Result<Vec<RunVersionInfo>, StoreError> {
    type Row = (i64, i64, String, String, i64);
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT version, saved_at, state_hash, hash_algorithm, length(state_json) FROM run_state_versions \
             WHERE tenant_id = ?1 AND namespace_id = ?2 AND run_id = ?3 ORDER BY version DESC",
        )
        .and_then(|mut stmt| {
            stmt.query_map(params![key.tenant, key.namespace, key.run_id], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
            })?
            .collect::<Result<Vec<Row>, _>>()
        })
        .map_err(store_err)?;
    rows.into_iter()
        .map(|(version, saved_at, state_hash, hash_algorithm, length)| {
            let state_bytes = u64::try_from(length).unwrap_or(u64::MAX);
            if state_bytes > MAX_STATE_BYTES as u64 {
                return Err(state_too_large(usize::try_from(state_bytes).unwrap_or(usize::MAX), MAX_STATE_BYTES));
            }
            Ok(RunVersionInfo {
                version: version_from_sql(version, &format!("run {}", key.run_id))?,
                saved_at,
                state_hash,
                hash_algorithm,
                state_bytes,
            })
        })
        .collect()
}
