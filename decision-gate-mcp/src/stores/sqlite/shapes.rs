//! The SQLite schema registry (runpacks-and-stores §13, core-model §9).

use decision_gate_core::hashing::{CanonicalError, HashDigest, to_canonical_vec, to_canonical_vec_limited};
use decision_gate_core::ids::{DataShapeVersion, NamespaceId, SchemaId, TenantId};
use decision_gate_core::ports::{
    DataShapeCursor, DataShapeError, DataShapeRecord, DataShapeSignature, MAX_SCHEMA_BYTES_CEILING, Page,
    parse_data_shape_cursor,
};
use decision_gate_core::time::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::errors::{SHA256, shape_err};

/// Message used by every backend when the per-namespace entry cap is reached.
pub const MAX_ENTRIES_MESSAGE: &str = "schema registry max entries exceeded";

/// A record prepared for writing (canonical schema, hash and signing normalised by the caller).
#[derive(Debug)]
pub(crate) struct ShapeWrite {
    tenant: String,
    namespace: String,
    schema_id: String,
    version: String,
    bytes: Vec<u8>,
    hash: String,
    description: Option<String>,
    signing: Option<DataShapeSignature>,
    created_at_json: String,
}

impl ShapeWrite {
    /// Canonicalises the schema against the configured size limit (§13.1 steps 1–2).
    pub(crate) fn prepare(record: &DataShapeRecord, max_schema_bytes: usize) -> Result<Self, DataShapeError> {
        let bytes = to_canonical_vec_limited(&record.schema, max_schema_bytes).map_err(|err| match err {
            CanonicalError::TooLarge { actual, max } => {
                DataShapeError::Invalid(format!("schema exceeds size limit: {actual} bytes (max {max})"))
            }
            other => DataShapeError::Invalid(other.to_string()),
        })?;
        let hash = HashDigest::sha256(&bytes).value;
        let created_at =
            to_canonical_vec(&record.created_at).map_err(|err| DataShapeError::Invalid(err.to_string()))?;
        let created_at_json = String::from_utf8(created_at).map_err(|err| DataShapeError::Invalid(err.to_string()))?;
        let signing = record.clone().with_normalized_signing().signing;
        Ok(ShapeWrite {
            tenant: record.tenant_id.get().to_string(),
            namespace: record.namespace_id.get().to_string(),
            schema_id: record.schema_id.to_string(),
            version: record.version.to_string(),
            bytes,
            hash,
            description: record.description.clone(),
            signing,
            created_at_json,
        })
    }
}

/// Inserts a new identity: duplicate ⇒ `Conflict`, then the entry cap ⇒ `Conflict`.
pub(crate) fn register(
    conn: &Connection,
    write: &ShapeWrite,
    max_entries: Option<usize>,
) -> Result<(), DataShapeError> {
    let exists = conn
        .prepare_cached(
            "SELECT 1 FROM data_shapes WHERE tenant_id = ?1 AND namespace_id = ?2 AND schema_id = ?3 AND version = ?4",
        )
        .and_then(|mut stmt| stmt.exists(params![write.tenant, write.namespace, write.schema_id, write.version]))
        .map_err(shape_err)?;
    if exists {
        return Err(DataShapeError::Conflict("schema already registered".to_owned()));
    }
    if let Some(max) = max_entries {
        let count: i64 = conn
            .prepare_cached("SELECT COUNT(*) FROM data_shapes WHERE tenant_id = ?1 AND namespace_id = ?2")
            .and_then(|mut stmt| stmt.query_row(params![write.tenant, write.namespace], |row| row.get(0)))
            .map_err(shape_err)?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= max {
            return Err(DataShapeError::Conflict(MAX_ENTRIES_MESSAGE.to_owned()));
        }
    }
    let signing = write.signing.as_ref();
    conn.prepare_cached(
        "INSERT INTO data_shapes (tenant_id, namespace_id, schema_id, version, schema_json, schema_hash, \
         hash_algorithm, description, signing_key_id, signing_signature, signing_algorithm, created_at_json) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            write.tenant,
            write.namespace,
            write.schema_id,
            write.version,
            write.bytes,
            write.hash,
            SHA256,
            write.description,
            signing.map(|s| s.key_id.as_str()),
            signing.map(|s| s.signature.as_str()),
            signing.and_then(|s| s.algorithm.as_deref()),
            write.created_at_json
        ])
    })
    .map_err(shape_err)?;
    Ok(())
}

type ShapeRow = (Vec<u8>, String, String, Option<String>, Option<String>, Option<String>, Option<String>, String);

/// Reads and verifies one record (§13.2); tenant and namespace come from the request key.
fn read_record(
    conn: &Connection,
    tenant: TenantId,
    namespace: NamespaceId,
    schema_id: &str,
    version: &str,
) -> Result<Option<DataShapeRecord>, DataShapeError> {
    let key = (tenant.get().to_string(), namespace.get().to_string());
    let length: Option<i64> = conn
        .prepare_cached(
            "SELECT length(schema_json) FROM data_shapes \
             WHERE tenant_id = ?1 AND namespace_id = ?2 AND schema_id = ?3 AND version = ?4",
        )
        .and_then(|mut stmt| stmt.query_row(params![key.0, key.1, schema_id, version], |row| row.get(0)).optional())
        .map_err(shape_err)?;
    let Some(length) = length else {
        return Ok(None);
    };
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    if length > MAX_SCHEMA_BYTES_CEILING {
        return Err(DataShapeError::Invalid(format!(
            "stored schema exceeds size limit: {length} bytes (max {MAX_SCHEMA_BYTES_CEILING})"
        )));
    }
    let row: ShapeRow = conn
        .prepare_cached(
            "SELECT schema_json, schema_hash, hash_algorithm, description, signing_key_id, signing_signature, \
             signing_algorithm, created_at_json FROM data_shapes \
             WHERE tenant_id = ?1 AND namespace_id = ?2 AND schema_id = ?3 AND version = ?4",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![key.0, key.1, schema_id, version], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                    row.get(7)?,
                ))
            })
        })
        .map_err(shape_err)?;
    let (bytes, stored_hash, algorithm, description, key_id, signature, signing_algorithm, created_at_json) = row;
    if algorithm != SHA256 {
        return Err(DataShapeError::Invalid("unsupported hash algorithm".to_owned()));
    }
    if HashDigest::sha256(&bytes).value != stored_hash {
        return Err(DataShapeError::Corrupt(format!("hash mismatch for schema {schema_id} version {version}")));
    }
    let schema = serde_json::from_slice(&bytes).map_err(|err| {
        DataShapeError::Invalid(format!("invalid stored schema json at line {} column {}", err.line(), err.column()))
    })?;
    let created_at: Timestamp = serde_json::from_str(&created_at_json)
        .map_err(|_| DataShapeError::Invalid("invalid stored created_at".to_owned()))?;
    let signing = match (key_id, signature) {
        (Some(key_id), Some(signature)) if !key_id.trim().is_empty() && !signature.trim().is_empty() => {
            Some(DataShapeSignature { key_id, signature, algorithm: signing_algorithm })
        }
        _ => None,
    };
    Ok(Some(DataShapeRecord {
        tenant_id: tenant,
        namespace_id: namespace,
        schema_id: SchemaId::new(schema_id),
        version: DataShapeVersion::new(version),
        schema,
        description,
        created_at,
        signing,
    }))
}

/// Exact four-part lookup.
pub(crate) fn get(
    conn: &Connection,
    tenant: TenantId,
    namespace: NamespaceId,
    schema_id: &SchemaId,
    version: &DataShapeVersion,
) -> Result<Option<DataShapeRecord>, DataShapeError> {
    read_record(conn, tenant, namespace, schema_id.as_str(), version.as_str())
}

/// Keyset listing by (schema id, version) under BINARY collation (§13.3).
pub(crate) fn list(
    conn: &Connection,
    tenant: TenantId,
    namespace: NamespaceId,
    cursor: Option<&str>,
    limit: usize,
) -> Result<Page<DataShapeRecord>, DataShapeError> {
    if limit == 0 {
        return Err(DataShapeError::Invalid("limit must be greater than zero".to_owned()));
    }
    let after = cursor.map(parse_data_shape_cursor).transpose().map_err(DataShapeError::Invalid)?;
    let key = (tenant.get().to_string(), namespace.get().to_string());
    if let Some(after) = &after {
        let exists = conn
            .prepare_cached(
                "SELECT 1 FROM data_shapes WHERE tenant_id = ?1 AND namespace_id = ?2 AND schema_id = ?3 \
                 AND version = ?4",
            )
            .and_then(|mut stmt| stmt.exists(params![key.0, key.1, after.schema_id, after.version]))
            .map_err(shape_err)?;
        if !exists {
            return Err(DataShapeError::Invalid("invalid cursor".to_owned()));
        }
    }
    let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
    let (after_schema, after_version) = match &after {
        Some(after) => (Some(after.schema_id.as_str()), Some(after.version.as_str())),
        None => (None, None),
    };
    let identities: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT schema_id, version FROM data_shapes WHERE tenant_id = ?1 AND namespace_id = ?2 \
             AND (?3 IS NULL OR schema_id > ?3 COLLATE BINARY \
                  OR (schema_id = ?3 COLLATE BINARY AND version > ?4 COLLATE BINARY)) \
             ORDER BY schema_id COLLATE BINARY, version COLLATE BINARY LIMIT ?5",
        )
        .and_then(|mut stmt| {
            stmt.query_map(params![key.0, key.1, after_schema, after_version, fetch], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(shape_err)?;
    // Only rows of this page (plus the look-ahead identity) are read and verified.
    let keep = identities.len().min(limit);
    let more = identities.len() > limit;
    let mut items = Vec::with_capacity(keep);
    for (schema_id, version) in identities.into_iter().take(keep) {
        let record = read_record(conn, tenant, namespace, &schema_id, &version)?
            .ok_or_else(|| DataShapeError::Corrupt("schema vanished during listing".to_owned()))?;
        items.push(record);
    }
    let next_token = if more {
        items.last().map(|item| {
            DataShapeCursor { schema_id: item.schema_id.to_string(), version: item.version.to_string() }.encode()
        })
    } else {
        None
    };
    Ok(Page { items, next_token })
}
