// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Organisation owners (the organisation-level owner binding) and trusted client CAs with the
//! organisations bound to them.

use rusqlite::{OptionalExtension, Transaction, params};

use super::schema::UNASSIGNED_CA;
use super::{backend, now_ms, sql_id};
use crate::model::{ClientCa, OrgId};
use crate::store::{ControlError, ControlResult};

pub(crate) fn grant_org_owner(tx: &Transaction<'_>, org_id: OrgId, principal_id: &str) -> ControlResult<()> {
    if super::identity::get_principal(tx, Some(org_id), principal_id)?.is_none() {
        return Err(ControlError::NotFound(format!("principal {principal_id}")));
    }
    tx.execute(
        "INSERT OR IGNORE INTO dg_org_owners (org_id, principal_id) VALUES (?1, ?2)",
        params![sql_id(org_id)?, principal_id],
    )
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn revoke_org_owner(tx: &Transaction<'_>, org_id: OrgId, principal_id: &str) -> ControlResult<bool> {
    let removed = tx
        .execute(
            "DELETE FROM dg_org_owners WHERE org_id = ?1 AND principal_id = ?2",
            params![sql_id(org_id)?, principal_id],
        )
        .map_err(backend)?;
    Ok(removed > 0)
}

pub(crate) fn org_owners(tx: &Transaction<'_>, org_id: OrgId) -> ControlResult<Vec<String>> {
    let mut statement = tx
        .prepare("SELECT principal_id FROM dg_org_owners WHERE org_id = ?1 ORDER BY principal_id")
        .map_err(backend)?;
    let rows = statement.query_map(params![sql_id(org_id)?], |row| row.get(0)).map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}

pub(crate) fn owned_org(tx: &Transaction<'_>, principal_id: &str) -> ControlResult<Option<OrgId>> {
    let org: Option<i64> = tx
        .query_row(
            "SELECT o.org_id FROM dg_org_owners o JOIN dg_principals p ON p.principal_id = o.principal_id AND p.org_id = o.org_id WHERE o.principal_id = ?1",
            params![principal_id],
            |row| row.get(0),
        )
        .optional()
        .map_err(backend)?;
    Ok(org.map(|org| org as u64))
}

fn check_ca_id(ca_id: &str) -> ControlResult<()> {
    let valid = ca_id.len() == 64 && ca_id.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
    if valid { Ok(()) } else { Err(ControlError::Invalid("a client CA id is 64 lowercase hex digits".to_owned())) }
}

pub(crate) fn register_client_ca(tx: &Transaction<'_>, ca_id: &str, name: &str) -> ControlResult<bool> {
    check_ca_id(ca_id)?;
    let inserted = tx
        .execute(
            "INSERT OR IGNORE INTO dg_client_cas (ca_id, name, created_at_ms) VALUES (?1, ?2, ?3)",
            params![ca_id, name, now_ms()],
        )
        .map_err(backend)?;
    Ok(inserted > 0)
}

fn ca_exists(tx: &Transaction<'_>, ca_id: &str) -> ControlResult<bool> {
    let found: Option<i64> = tx
        .query_row("SELECT 1 FROM dg_client_cas WHERE ca_id = ?1", params![ca_id], |row| row.get(0))
        .optional()
        .map_err(backend)?;
    Ok(found.is_some())
}

pub(crate) fn bind_client_ca(tx: &Transaction<'_>, ca_id: &str, org_id: OrgId) -> ControlResult<()> {
    if !ca_exists(tx, ca_id)? {
        return Err(ControlError::NotFound(format!("client CA {ca_id}")));
    }
    if super::tenancy::get_org(tx, org_id)?.is_none() {
        return Err(ControlError::NotFound(format!("organisation {org_id}")));
    }
    tx.execute(
        "INSERT OR IGNORE INTO dg_client_ca_orgs (ca_id, org_id) VALUES (?1, ?2)",
        params![ca_id, sql_id(org_id)?],
    )
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn unbind_client_ca(tx: &Transaction<'_>, ca_id: &str, org_id: OrgId) -> ControlResult<bool> {
    let removed = tx
        .execute("DELETE FROM dg_client_ca_orgs WHERE ca_id = ?1 AND org_id = ?2", params![ca_id, sql_id(org_id)?])
        .map_err(backend)?;
    Ok(removed > 0)
}

/// Whether an organisation may register (and authenticate) subjects under a CA.
pub(crate) fn ca_bound(tx: &Transaction<'_>, ca_id: &str, org_id: OrgId) -> ControlResult<bool> {
    let found: Option<i64> = tx
        .query_row(
            "SELECT 1 FROM dg_client_ca_orgs WHERE ca_id = ?1 AND org_id = ?2",
            params![ca_id, sql_id(org_id)?],
            |row| row.get(0),
        )
        .optional()
        .map_err(backend)?;
    Ok(found.is_some())
}

pub(crate) fn list_client_cas(tx: &Transaction<'_>) -> ControlResult<Vec<ClientCa>> {
    let cas: Vec<(String, String)> = {
        let mut statement = tx.prepare("SELECT ca_id, name FROM dg_client_cas ORDER BY ca_id").map_err(backend)?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)?
    };
    let mut statement =
        tx.prepare("SELECT org_id FROM dg_client_ca_orgs WHERE ca_id = ?1 ORDER BY org_id").map_err(backend)?;
    cas.into_iter()
        .map(|(ca_id, name)| {
            let orgs = statement
                .query_map(params![ca_id], |row| row.get::<_, i64>(0).map(|org| org as u64))
                .map_err(backend)?
                .collect::<Result<_, _>>()
                .map_err(backend)?;
            Ok(ClientCa { ca_id, name, orgs })
        })
        .collect()
}

pub(crate) fn adopt_unassigned(tx: &Transaction<'_>, ca_id: &str) -> ControlResult<u64> {
    if !ca_exists(tx, ca_id)? {
        return Err(ControlError::NotFound(format!("client CA {ca_id}")));
    }
    let moved = tx
        .execute("UPDATE OR IGNORE dg_cert_subjects SET ca_id = ?1 WHERE ca_id = ?2", params![ca_id, UNASSIGNED_CA])
        .map_err(backend)?;
    Ok(moved as u64)
}
