// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Principals, client-certificate subjects, role bindings and IP allowlists.

use decision_gate_core::ids::{NamespaceId, TenantId};
use ipnet::IpNet;
use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::{backend, conflict_or_backend, namespace_id, now_ms, sql_id, tenant_id};
use crate::model::{CertSubject, OrgId, PrincipalKind, PrincipalRecord, Role, RoleBinding};
use crate::store::{ControlError, ControlResult};

fn kind_text(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "user",
        PrincipalKind::Service => "service",
    }
}

fn principal_row(row: &Row<'_>) -> rusqlite::Result<PrincipalRecord> {
    Ok(PrincipalRecord {
        principal_id: row.get(0)?,
        org_id: row.get::<_, i64>(1)? as u64,
        name: row.get(2)?,
        kind: if row.get::<_, String>(3)? == "user" { PrincipalKind::User } else { PrincipalKind::Service },
        cert_subjects: Vec::new(),
        created_at_ms: row.get(4)?,
    })
}

fn with_subjects(tx: &Transaction<'_>, mut principal: PrincipalRecord) -> ControlResult<PrincipalRecord> {
    let mut statement = tx
        .prepare("SELECT ca_id, subject FROM dg_cert_subjects WHERE principal_id = ?1 ORDER BY ca_id, subject")
        .map_err(backend)?;
    let rows = statement
        .query_map(params![principal.principal_id], |row| Ok(CertSubject { ca_id: row.get(0)?, subject: row.get(1)? }))
        .map_err(backend)?;
    principal.cert_subjects = rows.collect::<Result<_, _>>().map_err(backend)?;
    Ok(principal)
}

/// The one answer for a subject that cannot be registered, whatever the reason (malformed, a
/// CA not bound to the organisation, or already registered, possibly by another
/// organisation): no answer tells another organisation's subjects apart.
fn unregistrable(index: usize) -> ControlError {
    ControlError::Conflict(format!(
        "cert_subjects[{index}] cannot be registered (1 to 512 printable characters, under a client CA bound to the organisation, not registered yet)"
    ))
}

fn subject_well_formed(subject: &str) -> bool {
    !subject.is_empty() && subject.len() <= 512 && !subject.chars().any(char::is_control)
}

pub(crate) fn create_principal(
    tx: &Transaction<'_>,
    org_id: OrgId,
    principal_id: &str,
    name: &str,
    kind: PrincipalKind,
    cert_subjects: &[CertSubject],
) -> ControlResult<PrincipalRecord> {
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(ControlError::Invalid("principal names are 1 to 128 printable characters".to_owned()));
    }
    if super::tenancy::get_org(tx, org_id)?.is_none() {
        return Err(ControlError::NotFound(format!("organisation {org_id}")));
    }
    let now = now_ms();
    tx.execute(
        "INSERT INTO dg_principals (principal_id, org_id, name, kind, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![principal_id, sql_id(org_id)?, name, kind_text(kind), now],
    )
    .map_err(|error| conflict_or_backend(error, "principal"))?;
    for (index, subject) in cert_subjects.iter().enumerate() {
        if !subject_well_formed(&subject.subject) || !super::owners::ca_bound(tx, &subject.ca_id, org_id)? {
            return Err(unregistrable(index));
        }
        tx.execute(
            "INSERT INTO dg_cert_subjects (ca_id, subject, principal_id) VALUES (?1, ?2, ?3)",
            params![subject.ca_id, subject.subject, principal_id],
        )
        .map_err(|error| match conflict_or_backend(error, "certificate subject") {
            ControlError::Conflict(_) => unregistrable(index),
            other => other,
        })?;
    }
    let mut subjects = cert_subjects.to_vec();
    subjects.sort();
    subjects.dedup();
    Ok(PrincipalRecord {
        principal_id: principal_id.to_owned(),
        org_id,
        name: name.to_owned(),
        kind,
        cert_subjects: subjects,
        created_at_ms: now,
    })
}

const PRINCIPAL_COLUMNS: &str = "principal_id, org_id, name, kind, created_at_ms";

pub(crate) fn get_principal(
    tx: &Transaction<'_>,
    org_id: Option<OrgId>,
    principal_id: &str,
) -> ControlResult<Option<PrincipalRecord>> {
    let found = tx
        .query_row(
            &format!("SELECT {PRINCIPAL_COLUMNS} FROM dg_principals WHERE principal_id = ?1"),
            params![principal_id],
            principal_row,
        )
        .optional()
        .map_err(backend)?;
    match found {
        Some(principal) if org_id.is_none_or(|org| org == principal.org_id) => Ok(Some(with_subjects(tx, principal)?)),
        _ => Ok(None),
    }
}

pub(crate) fn list_principals(tx: &Transaction<'_>, org_id: OrgId) -> ControlResult<Vec<PrincipalRecord>> {
    let principals: Vec<PrincipalRecord> = {
        let mut statement = tx
            .prepare(&format!("SELECT {PRINCIPAL_COLUMNS} FROM dg_principals WHERE org_id = ?1 ORDER BY principal_id"))
            .map_err(backend)?;
        let rows = statement.query_map(params![sql_id(org_id)?], principal_row).map_err(backend)?;
        rows.collect::<Result<_, _>>().map_err(backend)?
    };
    principals.into_iter().map(|principal| with_subjects(tx, principal)).collect()
}

pub(crate) fn principal_by_cert_subject(
    tx: &Transaction<'_>,
    subject: &CertSubject,
) -> ControlResult<Option<PrincipalRecord>> {
    let principal: Option<String> = tx
        .query_row(
            "SELECT principal_id FROM dg_cert_subjects WHERE ca_id = ?1 AND subject = ?2",
            params![subject.ca_id, subject.subject],
            |row| row.get(0),
        )
        .optional()
        .map_err(backend)?;
    let Some(found) = principal.map(|principal| get_principal(tx, None, &principal)).transpose()?.flatten() else {
        return Ok(None);
    };
    // A CA withdrawn from the organisation no longer authenticates its subjects there.
    if super::owners::ca_bound(tx, &subject.ca_id, found.org_id)? { Ok(Some(found)) } else { Ok(None) }
}

fn binding_row(row: &Row<'_>) -> rusqlite::Result<RoleBinding> {
    let namespace: i64 = row.get(3)?;
    let role: String = row.get(2)?;
    Ok(RoleBinding {
        tenant_id: tenant_id(row.get(0)?)?,
        principal_id: row.get(1)?,
        role: role.parse().map_err(|_| rusqlite::Error::InvalidColumnType(2, role, rusqlite::types::Type::Text))?,
        namespace_id: if namespace == 0 { None } else { Some(namespace_id(namespace)?) },
    })
}

fn binding_namespace(namespace: Option<NamespaceId>) -> ControlResult<i64> {
    namespace.map_or(Ok(0), |namespace| sql_id(namespace.get()))
}

pub(crate) fn grant_role(tx: &Transaction<'_>, binding: &RoleBinding) -> ControlResult<()> {
    let tenant = super::tenancy::get_tenant(tx, binding.tenant_id)?
        .ok_or_else(|| ControlError::NotFound(format!("tenant {}", binding.tenant_id)))?;
    let principal = get_principal(tx, Some(tenant.org_id), &binding.principal_id)?
        .ok_or_else(|| ControlError::NotFound(format!("principal {}", binding.principal_id)))?;
    if let Some(namespace) = binding.namespace_id
        && super::tenancy::get_namespace(tx, binding.tenant_id, namespace)?.is_none()
    {
        return Err(ControlError::NotFound(format!("namespace {namespace} of tenant {}", binding.tenant_id)));
    }
    tx.execute(
        "INSERT OR IGNORE INTO dg_role_bindings (tenant_id, principal_id, role, namespace_id) VALUES (?1, ?2, ?3, ?4)",
        params![
            sql_id(binding.tenant_id.get())?,
            principal.principal_id,
            binding.role.as_str(),
            binding_namespace(binding.namespace_id)?
        ],
    )
    .map_err(backend)?;
    Ok(())
}

pub(crate) fn revoke_role(tx: &Transaction<'_>, binding: &RoleBinding) -> ControlResult<bool> {
    let removed = tx
        .execute(
            "DELETE FROM dg_role_bindings WHERE tenant_id = ?1 AND principal_id = ?2 AND role = ?3 AND namespace_id = ?4",
            params![
                sql_id(binding.tenant_id.get())?,
                binding.principal_id,
                binding.role.as_str(),
                binding_namespace(binding.namespace_id)?
            ],
        )
        .map_err(backend)?;
    Ok(removed > 0)
}

pub(crate) fn list_bindings(tx: &Transaction<'_>, tenant: TenantId) -> ControlResult<Vec<RoleBinding>> {
    let mut statement = tx
        .prepare(
            "SELECT tenant_id, principal_id, role, namespace_id FROM dg_role_bindings WHERE tenant_id = ?1 ORDER BY principal_id, role, namespace_id",
        )
        .map_err(backend)?;
    let rows = statement.query_map(params![sql_id(tenant.get())?], binding_row).map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}

pub(crate) fn bindings_of_principal(tx: &Transaction<'_>, principal_id: &str) -> ControlResult<Vec<RoleBinding>> {
    let mut statement = tx
        .prepare(
            "SELECT tenant_id, principal_id, role, namespace_id FROM dg_role_bindings WHERE principal_id = ?1 ORDER BY tenant_id, role, namespace_id",
        )
        .map_err(backend)?;
    let rows = statement.query_map(params![principal_id], binding_row).map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}

pub(crate) fn set_ip_allowlist(tx: &Transaction<'_>, tenant: TenantId, networks: &[IpNet]) -> ControlResult<()> {
    if super::tenancy::get_tenant(tx, tenant)?.is_none() {
        return Err(ControlError::NotFound(format!("tenant {tenant}")));
    }
    let id = sql_id(tenant.get())?;
    tx.execute("DELETE FROM dg_ip_allowlists WHERE tenant_id = ?1", params![id]).map_err(backend)?;
    for network in networks {
        tx.execute(
            "INSERT OR IGNORE INTO dg_ip_allowlists (tenant_id, network) VALUES (?1, ?2)",
            params![id, network.trunc().to_string()],
        )
        .map_err(backend)?;
    }
    Ok(())
}

pub(crate) fn ip_allowlist(tx: &Transaction<'_>, tenant: TenantId) -> ControlResult<Vec<IpNet>> {
    let mut statement =
        tx.prepare("SELECT network FROM dg_ip_allowlists WHERE tenant_id = ?1 ORDER BY network").map_err(backend)?;
    let rows = statement.query_map(params![sql_id(tenant.get())?], |row| row.get::<_, String>(0)).map_err(backend)?;
    let texts: Vec<String> = rows.collect::<Result<_, _>>().map_err(backend)?;
    texts
        .iter()
        .map(|text| text.parse().map_err(|_| ControlError::Backend(format!("stored network {text:?} does not parse"))))
        .collect()
}

/// Roles are stored by name.
pub(crate) fn roles_text(roles: &[Role]) -> String {
    roles.iter().map(|role| role.as_str()).collect::<Vec<_>>().join(",")
}

/// Parses stored role names.
pub(crate) fn parse_roles(text: &str) -> ControlResult<Vec<Role>> {
    text.split(',').filter(|name| !name.is_empty()).map(|name| name.parse().map_err(ControlError::Backend)).collect()
}
