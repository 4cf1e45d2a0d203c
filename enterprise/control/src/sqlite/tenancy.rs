// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Organisations, tenants, namespaces and the bootstrap.

use decision_gate_core::ids::{NamespaceId, TenantId};
use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::{backend, conflict_or_backend, namespace_id, now_ms, sql_id, tenant_id};
use crate::model::{
    BootstrapPlan, LifecycleAuthority, Namespace, NamespaceStatus, Org, OrgId, PrincipalKind, Role, Tenant,
    TenantStatus,
};
use crate::store::{ControlError, ControlResult};

/// Tenant `1`, the bootstrap tenant.
const FIRST_TENANT: TenantId = match TenantId::new(1) {
    Some(tenant) => tenant,
    None => panic!("1 is a valid tenant id"),
};

fn tenant_status(text: &str) -> TenantStatus {
    match text {
        "active" => TenantStatus::Active,
        "suspended" => TenantStatus::Suspended,
        // The CHECK constraint admits nothing else.
        _ => TenantStatus::Deleted,
    }
}

pub(crate) fn tenant_status_text(status: TenantStatus) -> &'static str {
    match status {
        TenantStatus::Active => "active",
        TenantStatus::Suspended => "suspended",
        TenantStatus::Deleted => "deleted",
    }
}

fn namespace_status_text(status: NamespaceStatus) -> &'static str {
    match status {
        NamespaceStatus::Active => "active",
        NamespaceStatus::Archived => "archived",
    }
}

fn org_row(row: &Row<'_>) -> rusqlite::Result<Org> {
    Ok(Org { org_id: row.get::<_, i64>(0)? as u64, name: row.get(1)?, created_at_ms: row.get(2)? })
}

fn tenant_row(row: &Row<'_>) -> rusqlite::Result<Tenant> {
    Ok(Tenant {
        tenant_id: tenant_id(row.get(0)?)?,
        org_id: row.get::<_, i64>(1)? as u64,
        name: row.get(2)?,
        status: tenant_status(&row.get::<_, String>(3)?),
        created_at_ms: row.get(4)?,
        updated_at_ms: row.get(5)?,
        suspended_by: row.get::<_, Option<String>>(6)?.as_deref().and_then(LifecycleAuthority::parse),
    })
}

fn namespace_row(row: &Row<'_>) -> rusqlite::Result<Namespace> {
    Ok(Namespace {
        tenant_id: tenant_id(row.get(0)?)?,
        namespace_id: namespace_id(row.get(1)?)?,
        name: row.get(2)?,
        status: if row.get::<_, String>(3)? == "archived" {
            NamespaceStatus::Archived
        } else {
            NamespaceStatus::Active
        },
        created_at_ms: row.get(4)?,
    })
}

const TENANT_COLUMNS: &str = "tenant_id, org_id, name, status, created_at_ms, updated_at_ms, suspended_by";
const NAMESPACE_COLUMNS: &str = "tenant_id, namespace_id, name, status, created_at_ms";

fn check_name(name: &str, what: &str) -> ControlResult<()> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    if valid {
        Ok(())
    } else {
        Err(ControlError::Invalid(format!(
            "{what} names are 1 to 128 characters of letters, digits, '-', '_', '.' and spaces"
        )))
    }
}

pub(crate) fn bootstrap(tx: &Transaction<'_>, plan: &BootstrapPlan) -> ControlResult<bool> {
    let done: Option<String> = tx
        .query_row("SELECT value FROM dg_control_meta WHERE key = 'bootstrapped'", [], |row| row.get(0))
        .optional()
        .map_err(backend)?;
    if done.is_some() {
        return Ok(false);
    }
    let orgs: i64 = tx.query_row("SELECT count(*) FROM dg_orgs", [], |row| row.get(0)).map_err(backend)?;
    let now = now_ms();
    tx.execute("INSERT INTO dg_control_meta (key, value) VALUES ('bootstrapped', ?1)", params![now.to_string()])
        .map_err(backend)?;
    if orgs > 0 {
        // Organisations made otherwise (an operator's commands) stand; nothing is created.
        return Ok(false);
    }
    check_name(&plan.org_name, "organisation")?;
    check_name(&plan.tenant_name, "tenant")?;
    tx.execute("INSERT INTO dg_orgs (org_id, name, created_at_ms) VALUES (1, ?1, ?2)", params![plan.org_name, now])
        .map_err(backend)?;
    tx.execute(
        "INSERT INTO dg_tenants (tenant_id, org_id, name, status, created_at_ms, updated_at_ms) VALUES (1, 1, ?1, 'active', ?2, ?2)",
        params![plan.tenant_name, now],
    )
    .map_err(backend)?;
    tx.execute(
        "INSERT INTO dg_namespaces (tenant_id, namespace_id, name, status, created_at_ms) VALUES (1, 1, 'default', 'active', ?1)",
        params![now],
    )
    .map_err(backend)?;
    super::identity::create_principal(tx, 1, &plan.owner_principal_id, &plan.owner_name, PrincipalKind::User, &[])?;
    let owner = crate::model::RoleBinding {
        tenant_id: FIRST_TENANT,
        principal_id: plan.owner_principal_id.clone(),
        role: Role::Owner,
        namespace_id: None,
    };
    super::identity::grant_role(tx, &owner)?;
    super::owners::grant_org_owner(tx, 1, &plan.owner_principal_id)?;
    let key = crate::model::NewApiKey {
        key_id: plan.key_id.clone(),
        principal_id: plan.owner_principal_id.clone(),
        name: "bootstrap owner key".to_owned(),
        secret_sha256: plan.secret_sha256,
        tenants: vec![FIRST_TENANT],
        namespace_id: None,
        roles: vec![Role::Owner],
        expires_at_ms: None,
        org_owner: true,
        issued_by: "bootstrap".to_owned(),
    };
    super::keys::insert_api_key(tx, &key)?;
    Ok(true)
}

pub(crate) fn create_org(tx: &Transaction<'_>, name: &str) -> ControlResult<Org> {
    check_name(name, "organisation")?;
    let now = now_ms();
    tx.execute("INSERT INTO dg_orgs (name, created_at_ms) VALUES (?1, ?2)", params![name, now])
        .map_err(|error| conflict_or_backend(error, "organisation"))?;
    Ok(Org { org_id: tx.last_insert_rowid() as u64, name: name.to_owned(), created_at_ms: now })
}

pub(crate) fn get_org(tx: &Transaction<'_>, org_id: OrgId) -> ControlResult<Option<Org>> {
    tx.query_row("SELECT org_id, name, created_at_ms FROM dg_orgs WHERE org_id = ?1", params![sql_id(org_id)?], org_row)
        .optional()
        .map_err(backend)
}

pub(crate) fn list_orgs(tx: &Transaction<'_>) -> ControlResult<Vec<Org>> {
    let mut statement =
        tx.prepare("SELECT org_id, name, created_at_ms FROM dg_orgs ORDER BY org_id").map_err(backend)?;
    let rows = statement.query_map([], org_row).map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}

pub(crate) fn create_tenant(tx: &Transaction<'_>, org_id: OrgId, name: &str) -> ControlResult<Tenant> {
    check_name(name, "tenant")?;
    if get_org(tx, org_id)?.is_none() {
        return Err(ControlError::NotFound(format!("organisation {org_id}")));
    }
    let now = now_ms();
    tx.execute(
        "INSERT INTO dg_tenants (org_id, name, status, created_at_ms, updated_at_ms) VALUES (?1, ?2, 'active', ?3, ?3)",
        params![sql_id(org_id)?, name, now],
    )
    .map_err(|error| conflict_or_backend(error, "tenant"))?;
    let tenant = tenant_id(tx.last_insert_rowid()).map_err(backend)?;
    tx.execute(
        "INSERT INTO dg_namespaces (tenant_id, namespace_id, name, status, created_at_ms) VALUES (?1, 1, 'default', 'active', ?2)",
        params![sql_id(tenant.get())?, now],
    )
    .map_err(backend)?;
    Ok(Tenant {
        tenant_id: tenant,
        org_id,
        name: name.to_owned(),
        status: TenantStatus::Active,
        suspended_by: None,
        created_at_ms: now,
        updated_at_ms: now,
    })
}

pub(crate) fn get_tenant(tx: &Transaction<'_>, tenant: TenantId) -> ControlResult<Option<Tenant>> {
    tx.query_row(
        &format!("SELECT {TENANT_COLUMNS} FROM dg_tenants WHERE tenant_id = ?1"),
        params![sql_id(tenant.get())?],
        tenant_row,
    )
    .optional()
    .map_err(backend)
}

pub(crate) fn list_tenants(tx: &Transaction<'_>, org_id: OrgId) -> ControlResult<Vec<Tenant>> {
    let mut statement = tx
        .prepare(&format!("SELECT {TENANT_COLUMNS} FROM dg_tenants WHERE org_id = ?1 ORDER BY tenant_id"))
        .map_err(backend)?;
    let rows = statement.query_map(params![sql_id(org_id)?], tenant_row).map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}

pub(crate) fn set_tenant_status(
    tx: &Transaction<'_>,
    tenant: TenantId,
    status: TenantStatus,
    authority: LifecycleAuthority,
) -> ControlResult<Tenant> {
    let current = get_tenant(tx, tenant)?.ok_or_else(|| ControlError::NotFound(format!("tenant {tenant}")))?;
    let suspended_by = match (current.status, status) {
        (TenantStatus::Deleted, TenantStatus::Deleted) => return Ok(current),
        (TenantStatus::Deleted, _) => return Err(ControlError::Conflict(format!("tenant {tenant} is deleted"))),
        (TenantStatus::Active, TenantStatus::Active) => return Ok(current),
        (TenantStatus::Suspended, TenantStatus::Suspended) => current.suspended_by.max(Some(authority)),
        (TenantStatus::Active, TenantStatus::Suspended) => Some(authority),
        (TenantStatus::Suspended, _) => {
            if let Some(by) = current.suspended_by.filter(|by| *by > authority) {
                return Err(ControlError::Forbidden(format!(
                    "tenant {tenant} was suspended by the {}; only that authority or a stronger one lifts it",
                    by.as_str()
                )));
            }
            None
        }
        (TenantStatus::Active, TenantStatus::Deleted) => None,
    };
    let now = now_ms();
    tx.execute(
        "UPDATE dg_tenants SET status = ?2, updated_at_ms = ?3, suspended_by = ?4 WHERE tenant_id = ?1",
        params![sql_id(tenant.get())?, tenant_status_text(status), now, suspended_by.map(LifecycleAuthority::as_str)],
    )
    .map_err(backend)?;
    Ok(Tenant { status, updated_at_ms: now, suspended_by, ..current })
}

pub(crate) fn create_namespace(tx: &Transaction<'_>, tenant: TenantId, name: &str) -> ControlResult<Namespace> {
    check_name(name, "namespace")?;
    if get_tenant(tx, tenant)?.is_none() {
        return Err(ControlError::NotFound(format!("tenant {tenant}")));
    }
    let next: i64 = tx
        .query_row(
            "SELECT coalesce(max(namespace_id), 0) + 1 FROM dg_namespaces WHERE tenant_id = ?1",
            params![sql_id(tenant.get())?],
            |row| row.get(0),
        )
        .map_err(backend)?;
    let now = now_ms();
    tx.execute(
        "INSERT INTO dg_namespaces (tenant_id, namespace_id, name, status, created_at_ms) VALUES (?1, ?2, ?3, 'active', ?4)",
        params![sql_id(tenant.get())?, next, name, now],
    )
    .map_err(|error| conflict_or_backend(error, "namespace"))?;
    Ok(Namespace {
        tenant_id: tenant,
        namespace_id: namespace_id(next).map_err(backend)?,
        name: name.to_owned(),
        status: NamespaceStatus::Active,
        created_at_ms: now,
    })
}

pub(crate) fn get_namespace(
    tx: &Transaction<'_>,
    tenant: TenantId,
    namespace: NamespaceId,
) -> ControlResult<Option<Namespace>> {
    tx.query_row(
        &format!("SELECT {NAMESPACE_COLUMNS} FROM dg_namespaces WHERE tenant_id = ?1 AND namespace_id = ?2"),
        params![sql_id(tenant.get())?, sql_id(namespace.get())?],
        namespace_row,
    )
    .optional()
    .map_err(backend)
}

pub(crate) fn list_namespaces(tx: &Transaction<'_>, tenant: TenantId) -> ControlResult<Vec<Namespace>> {
    let mut statement = tx
        .prepare(&format!("SELECT {NAMESPACE_COLUMNS} FROM dg_namespaces WHERE tenant_id = ?1 ORDER BY namespace_id"))
        .map_err(backend)?;
    let rows = statement.query_map(params![sql_id(tenant.get())?], namespace_row).map_err(backend)?;
    rows.collect::<Result<_, _>>().map_err(backend)
}

pub(crate) fn set_namespace_status(
    tx: &Transaction<'_>,
    tenant: TenantId,
    namespace: NamespaceId,
    status: NamespaceStatus,
) -> ControlResult<Namespace> {
    let current = get_namespace(tx, tenant, namespace)?
        .ok_or_else(|| ControlError::NotFound(format!("namespace {namespace} of tenant {tenant}")))?;
    tx.execute(
        "UPDATE dg_namespaces SET status = ?3 WHERE tenant_id = ?1 AND namespace_id = ?2",
        params![sql_id(tenant.get())?, sql_id(namespace.get())?, namespace_status_text(status)],
    )
    .map_err(backend)?;
    Ok(Namespace { status, ..current })
}
