// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The embedded control store: the control tables in a SQLite file (the same file the open
//! core keeps run states, scenarios and schemas in), one connection in WAL mode with
//! `synchronous = FULL`, each operation one transaction on a blocking worker.

mod identity;
mod keys;
mod owners;
mod schema;
mod tenancy;

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use decision_gate_core::ids::{NamespaceId, TenantId};
use futures::future::BoxFuture;
use ipnet::IpNet;
use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::model::{
    ApiKeyMetadata, ApiKeyRecord, BootstrapPlan, CertSubject, ClientCa, LifecycleAuthority, Namespace, NamespaceStatus,
    NewApiKey, Org, OrgId, PrincipalKind, PrincipalRecord, RoleBinding, Tenant, TenantStatus,
};
use crate::store::{ControlError, ControlResult, ControlStore};

/// The embedded control store.
#[derive(Clone)]
pub struct SqliteControlStore {
    connection: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteControlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteControlStore").finish_non_exhaustive()
    }
}

pub(crate) fn backend(error: rusqlite::Error) -> ControlError {
    ControlError::Backend(error.to_string())
}

/// A unique-constraint failure is a conflict; anything else a backend failure.
pub(crate) fn conflict_or_backend(error: rusqlite::Error, what: &str) -> ControlError {
    match &error {
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            ControlError::Conflict(format!("{what} already exists"))
        }
        _ => backend(error),
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as i64)
}

pub(crate) fn tenant_id(raw: i64) -> rusqlite::Result<TenantId> {
    u64::try_from(raw).ok().and_then(TenantId::new).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, raw))
}

pub(crate) fn namespace_id(raw: i64) -> rusqlite::Result<NamespaceId> {
    u64::try_from(raw).ok().and_then(NamespaceId::new).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, raw))
}

pub(crate) fn sql_id(id: u64) -> ControlResult<i64> {
    i64::try_from(id).map_err(|_| ControlError::Invalid(format!("id {id} is out of range")))
}

impl SqliteControlStore {
    /// Opens (creating when absent) the control tables in the SQLite file at `path`.
    pub fn open(path: &Path) -> ControlResult<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags).map_err(backend)?;
        connection.busy_timeout(std::time::Duration::from_secs(5)).map_err(backend)?;
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(backend)?;
        let mut connection = connection;
        schema::migrate(&mut connection).map_err(backend)?;
        Ok(SqliteControlStore { connection: Arc::new(Mutex::new(connection)) })
    }

    /// Opens a private in-memory store (tests).
    pub fn in_memory() -> ControlResult<Self> {
        let mut connection = Connection::open_in_memory().map_err(backend)?;
        connection.execute_batch("PRAGMA foreign_keys = ON;").map_err(backend)?;
        schema::migrate(&mut connection).map_err(backend)?;
        Ok(SqliteControlStore { connection: Arc::new(Mutex::new(connection)) })
    }

    /// Runs `work` in one immediate transaction on a blocking worker; commits on `Ok`.
    fn run<T, F>(&self, work: F) -> BoxFuture<'static, ControlResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> ControlResult<T> + Send + 'static,
    {
        let connection = self.connection.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let mut connection = connection.lock();
                let transaction =
                    connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
                let value = work(&transaction)?;
                transaction.commit().map_err(backend)?;
                Ok(value)
            })
            .await
            .map_err(|error| ControlError::Backend(format!("worker failed: {error}")))?
        })
    }
}

impl ControlStore for SqliteControlStore {
    fn ping(&self) -> BoxFuture<'_, ControlResult<()>> {
        self.run(|tx| tx.query_row("SELECT 1", [], |_| Ok(())).map_err(backend))
    }

    fn bootstrap(&self, plan: BootstrapPlan) -> BoxFuture<'_, ControlResult<bool>> {
        self.run(move |tx| tenancy::bootstrap(tx, &plan))
    }

    fn create_org(&self, name: String) -> BoxFuture<'_, ControlResult<Org>> {
        self.run(move |tx| tenancy::create_org(tx, &name))
    }

    fn get_org(&self, org_id: OrgId) -> BoxFuture<'_, ControlResult<Option<Org>>> {
        self.run(move |tx| tenancy::get_org(tx, org_id))
    }

    fn list_orgs(&self) -> BoxFuture<'_, ControlResult<Vec<Org>>> {
        self.run(tenancy::list_orgs)
    }

    fn create_tenant(&self, org_id: OrgId, name: String) -> BoxFuture<'_, ControlResult<Tenant>> {
        self.run(move |tx| tenancy::create_tenant(tx, org_id, &name))
    }

    fn get_tenant(&self, tenant_id: TenantId) -> BoxFuture<'_, ControlResult<Option<Tenant>>> {
        self.run(move |tx| tenancy::get_tenant(tx, tenant_id))
    }

    fn list_tenants(&self, org_id: OrgId) -> BoxFuture<'_, ControlResult<Vec<Tenant>>> {
        self.run(move |tx| tenancy::list_tenants(tx, org_id))
    }

    fn set_tenant_status(
        &self,
        tenant_id: TenantId,
        status: TenantStatus,
        authority: LifecycleAuthority,
    ) -> BoxFuture<'_, ControlResult<Tenant>> {
        self.run(move |tx| tenancy::set_tenant_status(tx, tenant_id, status, authority))
    }

    fn create_namespace(&self, tenant_id: TenantId, name: String) -> BoxFuture<'_, ControlResult<Namespace>> {
        self.run(move |tx| tenancy::create_namespace(tx, tenant_id, &name))
    }

    fn get_namespace(
        &self,
        tenant_id: TenantId,
        namespace_id: NamespaceId,
    ) -> BoxFuture<'_, ControlResult<Option<Namespace>>> {
        self.run(move |tx| tenancy::get_namespace(tx, tenant_id, namespace_id))
    }

    fn list_namespaces(&self, tenant_id: TenantId) -> BoxFuture<'_, ControlResult<Vec<Namespace>>> {
        self.run(move |tx| tenancy::list_namespaces(tx, tenant_id))
    }

    fn set_namespace_status(
        &self,
        tenant_id: TenantId,
        namespace_id: NamespaceId,
        status: NamespaceStatus,
    ) -> BoxFuture<'_, ControlResult<Namespace>> {
        self.run(move |tx| tenancy::set_namespace_status(tx, tenant_id, namespace_id, status))
    }

    fn create_principal(
        &self,
        org_id: OrgId,
        principal_id: String,
        name: String,
        kind: PrincipalKind,
        cert_subjects: Vec<CertSubject>,
    ) -> BoxFuture<'_, ControlResult<PrincipalRecord>> {
        self.run(move |tx| identity::create_principal(tx, org_id, &principal_id, &name, kind, &cert_subjects))
    }

    fn get_principal(
        &self,
        org_id: OrgId,
        principal_id: String,
    ) -> BoxFuture<'_, ControlResult<Option<PrincipalRecord>>> {
        self.run(move |tx| identity::get_principal(tx, Some(org_id), &principal_id))
    }

    fn list_principals(&self, org_id: OrgId) -> BoxFuture<'_, ControlResult<Vec<PrincipalRecord>>> {
        self.run(move |tx| identity::list_principals(tx, org_id))
    }

    fn principal_by_cert_subject(&self, subject: CertSubject) -> BoxFuture<'_, ControlResult<Option<PrincipalRecord>>> {
        self.run(move |tx| identity::principal_by_cert_subject(tx, &subject))
    }

    fn register_client_ca(&self, ca_id: String, name: String) -> BoxFuture<'_, ControlResult<bool>> {
        self.run(move |tx| owners::register_client_ca(tx, &ca_id, &name))
    }

    fn bind_client_ca(&self, ca_id: String, org_id: OrgId) -> BoxFuture<'_, ControlResult<()>> {
        self.run(move |tx| owners::bind_client_ca(tx, &ca_id, org_id))
    }

    fn unbind_client_ca(&self, ca_id: String, org_id: OrgId) -> BoxFuture<'_, ControlResult<bool>> {
        self.run(move |tx| owners::unbind_client_ca(tx, &ca_id, org_id))
    }

    fn list_client_cas(&self) -> BoxFuture<'_, ControlResult<Vec<ClientCa>>> {
        self.run(owners::list_client_cas)
    }

    fn adopt_unassigned_cert_subjects(&self, ca_id: String) -> BoxFuture<'_, ControlResult<u64>> {
        self.run(move |tx| owners::adopt_unassigned(tx, &ca_id))
    }

    fn grant_org_owner(&self, org_id: OrgId, principal_id: String) -> BoxFuture<'_, ControlResult<()>> {
        self.run(move |tx| owners::grant_org_owner(tx, org_id, &principal_id))
    }

    fn revoke_org_owner(&self, org_id: OrgId, principal_id: String) -> BoxFuture<'_, ControlResult<bool>> {
        self.run(move |tx| owners::revoke_org_owner(tx, org_id, &principal_id))
    }

    fn org_owners(&self, org_id: OrgId) -> BoxFuture<'_, ControlResult<Vec<String>>> {
        self.run(move |tx| owners::org_owners(tx, org_id))
    }

    fn owned_org(&self, principal_id: String) -> BoxFuture<'_, ControlResult<Option<OrgId>>> {
        self.run(move |tx| owners::owned_org(tx, &principal_id))
    }

    fn grant_role(&self, binding: RoleBinding) -> BoxFuture<'_, ControlResult<()>> {
        self.run(move |tx| identity::grant_role(tx, &binding))
    }

    fn revoke_role(&self, binding: RoleBinding) -> BoxFuture<'_, ControlResult<bool>> {
        self.run(move |tx| identity::revoke_role(tx, &binding))
    }

    fn list_bindings(&self, tenant_id: TenantId) -> BoxFuture<'_, ControlResult<Vec<RoleBinding>>> {
        self.run(move |tx| identity::list_bindings(tx, tenant_id))
    }

    fn bindings_of_principal(&self, principal_id: String) -> BoxFuture<'_, ControlResult<Vec<RoleBinding>>> {
        self.run(move |tx| identity::bindings_of_principal(tx, &principal_id))
    }

    fn insert_api_key(&self, key: NewApiKey) -> BoxFuture<'_, ControlResult<ApiKeyRecord>> {
        self.run(move |tx| keys::insert_api_key(tx, &key))
    }

    fn api_key(&self, key_id: String) -> BoxFuture<'_, ControlResult<Option<ApiKeyRecord>>> {
        self.run(move |tx| keys::api_key(tx, &key_id))
    }

    fn list_api_keys(&self, tenant_id: TenantId) -> BoxFuture<'_, ControlResult<Vec<ApiKeyMetadata>>> {
        self.run(move |tx| keys::list_api_keys(tx, tenant_id))
    }

    fn api_keys_of_principal(&self, principal_id: String) -> BoxFuture<'_, ControlResult<Vec<ApiKeyMetadata>>> {
        self.run(move |tx| keys::api_keys_of_principal(tx, &principal_id))
    }

    fn rotate_api_key(
        &self,
        tenant_id: TenantId,
        key_id: String,
        secret_sha256: [u8; 32],
        previous_valid_until_ms: Option<i64>,
    ) -> BoxFuture<'_, ControlResult<ApiKeyRecord>> {
        self.run(move |tx| keys::rotate_api_key(tx, tenant_id, &key_id, secret_sha256, previous_valid_until_ms))
    }

    fn revoke_api_key(&self, tenant_id: TenantId, key_id: String) -> BoxFuture<'_, ControlResult<ApiKeyRecord>> {
        self.run(move |tx| keys::revoke_api_key(tx, tenant_id, &key_id))
    }

    fn set_ip_allowlist(&self, tenant_id: TenantId, networks: Vec<IpNet>) -> BoxFuture<'_, ControlResult<()>> {
        self.run(move |tx| identity::set_ip_allowlist(tx, tenant_id, &networks))
    }

    fn ip_allowlist(&self, tenant_id: TenantId) -> BoxFuture<'_, ControlResult<Vec<IpNet>>> {
        self.run(move |tx| identity::ip_allowlist(tx, tenant_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sqlite_store_passes_the_contract_suite() {
        crate::contract::run_all(|| async { SqliteControlStore::in_memory().expect("store") }).await;
    }

    #[tokio::test]
    async fn the_control_tables_live_beside_other_tables_in_one_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("decision-gate.db");
        {
            let other = Connection::open(&path).expect("open");
            other
                .execute_batch("CREATE TABLE runs (id TEXT PRIMARY KEY); INSERT INTO runs VALUES ('r1');")
                .expect("seed");
        }
        let store = SqliteControlStore::open(&path).expect("store");
        let org = store.create_org("acme".to_owned()).await.expect("org");
        drop(store);
        let reopened = SqliteControlStore::open(&path).expect("reopen");
        assert_eq!(reopened.get_org(org.org_id).await.expect("get"), Some(org));
        let other = Connection::open(&path).expect("open");
        let runs: i64 = other.query_row("SELECT count(*) FROM runs", [], |row| row.get(0)).expect("count");
        assert_eq!(runs, 1);
    }
}
