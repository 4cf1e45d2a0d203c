// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! API keys: only SHA-256 hashes of secrets are stored.

use decision_gate_core::ids::TenantId;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::identity::{parse_roles, roles_text};
use super::{backend, conflict_or_backend, namespace_id, now_ms, sql_id, tenant_id};
use crate::model::{ApiKeyMetadata, ApiKeyRecord, NewApiKey, PreviousSecret};
use crate::store::{ControlError, ControlResult};

const KEY_COLUMNS: &str = "key_id, org_id, principal_id, name, secret_sha256, previous_secret_sha256, \
previous_valid_until_ms, namespace_id, roles, created_at_ms, expires_at_ms, rotated_at_ms, revoked_at_ms, org_owner, \
issued_by";

/// A row before its tenants are attached.
struct KeyRow {
    record: ApiKeyRecord,
    roles: String,
}

fn hash(bytes: Vec<u8>) -> rusqlite::Result<[u8; 32]> {
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| rusqlite::Error::InvalidColumnType(4, "secret hash".to_owned(), rusqlite::types::Type::Blob))
}

fn key_row(row: &Row<'_>) -> rusqlite::Result<KeyRow> {
    let previous = match (row.get::<_, Option<Vec<u8>>>(5)?, row.get::<_, Option<i64>>(6)?) {
        (Some(secret), Some(until)) => Some(PreviousSecret { secret_sha256: hash(secret)?, valid_until_ms: until }),
        _ => None,
    };
    let namespace: Option<i64> = row.get(7)?;
    Ok(KeyRow {
        record: ApiKeyRecord {
            key: NewApiKey {
                key_id: row.get(0)?,
                principal_id: row.get(2)?,
                name: row.get(3)?,
                secret_sha256: hash(row.get(4)?)?,
                tenants: Vec::new(),
                namespace_id: namespace.map(namespace_id).transpose()?,
                roles: Vec::new(),
                expires_at_ms: row.get(10)?,
                org_owner: row.get::<_, i64>(13)? == 1,
                issued_by: row.get(14)?,
            },
            org_id: row.get::<_, i64>(1)? as u64,
            previous,
            created_at_ms: row.get(9)?,
            rotated_at_ms: row.get(11)?,
            revoked_at_ms: row.get(12)?,
        },
        roles: row.get(8)?,
    })
}

fn complete(tx: &Transaction<'_>, row: KeyRow) -> ControlResult<ApiKeyRecord> {
    let mut record = row.record;
    record.key.roles = parse_roles(&row.roles)?;
    let mut statement =
        tx.prepare("SELECT tenant_id FROM dg_api_key_tenants WHERE key_id = ?1 ORDER BY tenant_id").map_err(backend)?;
    let rows = statement.query_map(params![record.key.key_id], |row| tenant_id(row.get(0)?)).map_err(backend)?;
    record.key.tenants = rows.collect::<Result<_, _>>().map_err(backend)?;
    Ok(record)
}

fn check_key_id(key_id: &str) -> ControlResult<()> {
    let valid = (8..=64).contains(&key_id.len()) && key_id.bytes().all(|byte| byte.is_ascii_alphanumeric());
    if valid { Ok(()) } else { Err(ControlError::Invalid("key ids are 8 to 64 ASCII letters and digits".to_owned())) }
}

pub(crate) fn insert_api_key(tx: &Transaction<'_>, key: &NewApiKey) -> ControlResult<ApiKeyRecord> {
    check_key_id(&key.key_id)?;
    if key.name.is_empty() || key.name.chars().count() > 128 || key.name.chars().any(char::is_control) {
        return Err(ControlError::Invalid("key names are 1 to 128 printable characters".to_owned()));
    }
    if key.tenants.is_empty() {
        return Err(ControlError::Invalid("a key reaches at least one tenant".to_owned()));
    }
    if key.roles.is_empty() {
        return Err(ControlError::Invalid("a key carries at least one role".to_owned()));
    }
    if key.org_owner && key.namespace_id.is_some() {
        return Err(ControlError::Invalid("an organisation-owner key is not limited to a namespace".to_owned()));
    }
    let principal = super::identity::get_principal(tx, None, &key.principal_id)?
        .ok_or_else(|| ControlError::NotFound(format!("principal {}", key.principal_id)))?;
    let mut tenants = key.tenants.clone();
    tenants.sort();
    tenants.dedup();
    for tenant in &tenants {
        let found = super::tenancy::get_tenant(tx, *tenant)?
            .filter(|found| found.org_id == principal.org_id)
            .ok_or_else(|| ControlError::NotFound(format!("tenant {tenant}")))?;
        if let Some(namespace) = key.namespace_id
            && super::tenancy::get_namespace(tx, found.tenant_id, namespace)?.is_none()
        {
            return Err(ControlError::NotFound(format!("namespace {namespace} of tenant {tenant}")));
        }
    }
    let mut roles = key.roles.clone();
    roles.sort();
    roles.dedup();
    let now = now_ms();
    tx.execute(
        "INSERT INTO dg_api_keys (key_id, org_id, principal_id, name, secret_sha256, namespace_id, roles, created_at_ms, expires_at_ms, org_owner, issued_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            key.key_id,
            sql_id(principal.org_id)?,
            key.principal_id,
            key.name,
            key.secret_sha256.as_slice(),
            key.namespace_id.map(|namespace| sql_id(namespace.get())).transpose()?,
            roles_text(&roles),
            now,
            key.expires_at_ms,
            i64::from(key.org_owner),
            key.issued_by
        ],
    )
    .map_err(|error| conflict_or_backend(error, "key"))?;
    for tenant in &tenants {
        tx.execute(
            "INSERT INTO dg_api_key_tenants (tenant_id, key_id) VALUES (?1, ?2)",
            params![sql_id(tenant.get())?, key.key_id],
        )
        .map_err(backend)?;
    }
    Ok(ApiKeyRecord {
        key: NewApiKey { tenants, roles, ..key.clone() },
        org_id: principal.org_id,
        previous: None,
        created_at_ms: now,
        rotated_at_ms: None,
        revoked_at_ms: None,
    })
}

pub(crate) fn api_key(tx: &Transaction<'_>, key_id: &str) -> ControlResult<Option<ApiKeyRecord>> {
    let row = tx
        .query_row(&format!("SELECT {KEY_COLUMNS} FROM dg_api_keys WHERE key_id = ?1"), params![key_id], key_row)
        .optional()
        .map_err(backend)?;
    row.map(|row| complete(tx, row)).transpose()
}

/// The key, when it reaches the tenant (another tenant's key is "not found").
fn tenant_key(tx: &Transaction<'_>, tenant: TenantId, key_id: &str) -> ControlResult<ApiKeyRecord> {
    let reaches: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM dg_api_key_tenants WHERE tenant_id = ?1 AND key_id = ?2",
            params![sql_id(tenant.get())?, key_id],
            |row| row.get(0),
        )
        .optional()
        .map_err(backend)?;
    let not_found = || ControlError::NotFound(format!("key {key_id}"));
    reaches.ok_or_else(not_found)?;
    api_key(tx, key_id)?.ok_or_else(not_found)
}

pub(crate) fn list_api_keys(tx: &Transaction<'_>, tenant: TenantId) -> ControlResult<Vec<ApiKeyMetadata>> {
    let rows: Vec<KeyRow> = {
        let mut statement = tx
            .prepare(&format!(
                "SELECT {KEY_COLUMNS} FROM dg_api_keys WHERE key_id IN \
                 (SELECT key_id FROM dg_api_key_tenants WHERE tenant_id = ?1) ORDER BY key_id"
            ))
            .map_err(backend)?;
        let rows = statement.query_map(params![sql_id(tenant.get())?], key_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)?
    };
    rows.into_iter().map(|row| complete(tx, row).map(|record| record.metadata())).collect()
}

pub(crate) fn api_keys_of_principal(tx: &Transaction<'_>, principal_id: &str) -> ControlResult<Vec<ApiKeyMetadata>> {
    let rows: Vec<KeyRow> = {
        let mut statement = tx
            .prepare(&format!("SELECT {KEY_COLUMNS} FROM dg_api_keys WHERE principal_id = ?1 ORDER BY key_id"))
            .map_err(backend)?;
        let rows = statement.query_map(params![principal_id], key_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)?
    };
    rows.into_iter().map(|row| complete(tx, row).map(|record| record.metadata())).collect()
}

pub(crate) fn rotate_api_key(
    tx: &Transaction<'_>,
    tenant: TenantId,
    key_id: &str,
    secret_sha256: [u8; 32],
    previous_valid_until_ms: Option<i64>,
) -> ControlResult<ApiKeyRecord> {
    let current = tenant_key(tx, tenant, key_id)?;
    if current.revoked_at_ms.is_some() {
        return Err(ControlError::Conflict(format!("key {key_id} is revoked")));
    }
    let now = now_ms();
    let previous = previous_valid_until_ms
        .filter(|until| *until > now)
        .map(|until| PreviousSecret { secret_sha256: current.key.secret_sha256, valid_until_ms: until });
    tx.execute(
        "UPDATE dg_api_keys SET secret_sha256 = ?2, previous_secret_sha256 = ?3, previous_valid_until_ms = ?4, rotated_at_ms = ?5 WHERE key_id = ?1",
        params![
            key_id,
            secret_sha256.as_slice(),
            previous.as_ref().map(|previous| previous.secret_sha256.to_vec()),
            previous.as_ref().map(|previous| previous.valid_until_ms),
            now
        ],
    )
    .map_err(backend)?;
    Ok(ApiKeyRecord { key: NewApiKey { secret_sha256, ..current.key }, previous, rotated_at_ms: Some(now), ..current })
}

pub(crate) fn revoke_api_key(tx: &Transaction<'_>, tenant: TenantId, key_id: &str) -> ControlResult<ApiKeyRecord> {
    let current = tenant_key(tx, tenant, key_id)?;
    if current.revoked_at_ms.is_some() {
        return Ok(current);
    }
    let now = now_ms();
    tx.execute("UPDATE dg_api_keys SET revoked_at_ms = ?2 WHERE key_id = ?1", params![key_id, now]).map_err(backend)?;
    Ok(ApiKeyRecord { revoked_at_ms: Some(now), ..current })
}
