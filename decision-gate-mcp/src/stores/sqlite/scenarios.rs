//! Persisted scenario definitions (runpacks-and-stores §12).

use decision_gate_core::hashing::{HashDigest, to_canonical_vec};
use decision_gate_core::ids::{NamespaceId, ScenarioId, TenantId};
use decision_gate_core::ports::{Page, ScenarioSummary, StoreError, StoredScenario};
use decision_gate_core::spec::ScenarioSpec;
use rusqlite::{Connection, OptionalExtension, params};

use super::errors::{SHA256, now_millis, store_err, stored_digest};

/// A definition prepared for writing (canonical bytes and hash computed by the caller).
#[derive(Debug)]
pub(crate) struct ScenarioWrite {
    tenant: String,
    namespace: String,
    scenario_id: String,
    bytes: Vec<u8>,
    hash: HashDigest,
    defined_at: i64,
}

impl ScenarioWrite {
    /// Canonicalises and hashes a spec for `tenant`.
    pub(crate) fn prepare(tenant: TenantId, spec: &ScenarioSpec) -> Result<Self, StoreError> {
        let bytes = to_canonical_vec(spec).map_err(|err| StoreError::Invalid(err.to_string()))?;
        let hash = HashDigest::sha256(&bytes);
        Ok(ScenarioWrite {
            tenant: tenant.get().to_string(),
            namespace: spec.namespace_id.get().to_string(),
            scenario_id: spec.scenario_id.to_string(),
            bytes,
            hash,
            defined_at: now_millis(),
        })
    }
}

/// Inserts the definition if absent; `Conflict("scenario already defined")` otherwise.
pub(crate) fn define(conn: &Connection, write: &ScenarioWrite) -> Result<HashDigest, StoreError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO scenarios (tenant_id, namespace_id, scenario_id, spec_json, spec_hash, hash_algorithm, \
             defined_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                write.tenant,
                write.namespace,
                write.scenario_id,
                write.bytes,
                write.hash.value,
                SHA256,
                write.defined_at
            ])
        })
        .map_err(store_err)?;
    if inserted == 0 {
        return Err(StoreError::Conflict("scenario already defined".to_owned()));
    }
    Ok(write.hash.clone())
}

/// Reads a definition, verifying its hash and its key.
pub(crate) fn get(
    conn: &Connection,
    tenant: TenantId,
    namespace: NamespaceId,
    scenario_id: &ScenarioId,
) -> Result<Option<StoredScenario>, StoreError> {
    let row: Option<(Vec<u8>, String, String)> = conn
        .prepare_cached(
            "SELECT spec_json, spec_hash, hash_algorithm FROM scenarios \
             WHERE tenant_id = ?1 AND namespace_id = ?2 AND scenario_id = ?3",
        )
        .and_then(|mut stmt| {
            stmt.query_row(
                params![tenant.get().to_string(), namespace.get().to_string(), scenario_id.as_str()],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
        })
        .map_err(store_err)?;
    let Some((bytes, stored_hash, algorithm)) = row else {
        return Ok(None);
    };
    let spec_hash = stored_digest(&algorithm, stored_hash)
        .ok_or_else(|| StoreError::Invalid("unsupported hash algorithm".to_owned()))?;
    if HashDigest::sha256(&bytes) != spec_hash {
        return Err(StoreError::Corrupt(format!("hash mismatch for scenario {scenario_id}")));
    }
    let spec: ScenarioSpec = serde_json::from_slice(&bytes).map_err(|err| {
        StoreError::Invalid(format!("invalid scenario spec json at line {} column {}", err.line(), err.column()))
    })?;
    if &spec.scenario_id != scenario_id || spec.namespace_id != namespace {
        return Err(StoreError::Invalid(format!("scenario spec does not match its key for scenario {scenario_id}")));
    }
    Ok(Some(StoredScenario { spec, spec_hash }))
}

/// Definitions sorted by scenario id (byte order); cursor = the last scenario id.
pub(crate) fn list(
    conn: &Connection,
    tenant: TenantId,
    namespace: NamespaceId,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<ScenarioSummary>, StoreError> {
    if limit == 0 {
        return Err(StoreError::Invalid("limit must be greater than zero".to_owned()));
    }
    let (tenant_text, namespace_text) = (tenant.get().to_string(), namespace.get().to_string());
    if let Some(cursor) = cursor {
        let exists = conn
            .prepare_cached("SELECT 1 FROM scenarios WHERE tenant_id = ?1 AND namespace_id = ?2 AND scenario_id = ?3")
            .and_then(|mut stmt| stmt.exists(params![tenant_text, namespace_text, cursor]))
            .map_err(store_err)?;
        if !exists {
            return Err(StoreError::Invalid("invalid cursor".to_owned()));
        }
    }
    let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
    let rows: Vec<(String, String, String)> = conn
        .prepare_cached(
            "SELECT scenario_id, spec_hash, hash_algorithm FROM scenarios WHERE tenant_id = ?1 AND namespace_id = ?2 \
             AND (?3 IS NULL OR scenario_id > ?3 COLLATE BINARY) ORDER BY scenario_id COLLATE BINARY LIMIT ?4",
        )
        .and_then(|mut stmt| {
            stmt.query_map(params![tenant_text, namespace_text, cursor, fetch], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(store_err)?;
    let fetched = rows
        .into_iter()
        .map(|(scenario_id, stored_hash, algorithm)| {
            let spec_hash = stored_digest(&algorithm, stored_hash)
                .ok_or_else(|| StoreError::Invalid("unsupported hash algorithm".to_owned()))?;
            Ok(ScenarioSummary { scenario_id: ScenarioId::new(scenario_id), namespace_id: namespace, spec_hash })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Page::from_overfetch(fetched, limit, |item| item.scenario_id.to_string()))
}
