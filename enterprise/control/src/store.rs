// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The `ControlStore` trait: one interface for the embedded (SQLite) and the shared (Postgres)
//! control store. Every method that reads or changes a tenant's data names the tenant and is
//! filtered by it; the few lookups that run before a tenant is known (authentication by key
//! id or certificate subject, the bootstrap) are marked as the system path.

use decision_gate_core::ids::{NamespaceId, TenantId};
use futures::future::BoxFuture;
use ipnet::IpNet;

use crate::model::{
    ApiKeyMetadata, ApiKeyRecord, BootstrapPlan, CertSubject, ClientCa, LifecycleAuthority, Namespace, NamespaceStatus,
    NewApiKey, Org, OrgId, PrincipalKind, PrincipalRecord, RoleBinding, Tenant, TenantStatus,
};

/// Why a control-store operation failed. Messages never contain secrets or secret hashes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// The record does not exist (or belongs to another tenant: indistinguishable).
    #[error("not found: {0}")]
    NotFound(String),
    /// The change conflicts with the stored state (a duplicate name, a terminal state).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request itself is invalid.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The change needs a stronger authority than the one asking (lifting another
    /// authority's suspension).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The backend failed (I/O, corruption, a lost connection).
    #[error("store unavailable: {0}")]
    Backend(String),
}

/// Result of a control-store operation.
pub type ControlResult<T> = Result<T, ControlError>;

/// The control store. Implementations are safe to share between tasks; every change is atomic.
pub trait ControlStore: Send + Sync {
    /// A real round trip to the backend (readiness).
    fn ping(&self) -> BoxFuture<'_, ControlResult<()>>;

    /// System path: creates org 1, tenant 1 with namespace 1, the owner principal, its owner
    /// binding on tenant 1 and its first key, in one transaction, unless a bootstrap already
    /// ran. `true` when it ran now.
    fn bootstrap(&self, plan: BootstrapPlan) -> BoxFuture<'_, ControlResult<bool>>;

    /// Creates an organisation (names are unique).
    fn create_org(&self, name: String) -> BoxFuture<'_, ControlResult<Org>>;
    /// One organisation.
    fn get_org(&self, org_id: OrgId) -> BoxFuture<'_, ControlResult<Option<Org>>>;
    /// Every organisation (system path: operators only).
    fn list_orgs(&self) -> BoxFuture<'_, ControlResult<Vec<Org>>>;

    /// Creates an active tenant of an organisation together with its default namespace `1`.
    fn create_tenant(&self, org_id: OrgId, name: String) -> BoxFuture<'_, ControlResult<Tenant>>;
    /// One tenant.
    fn get_tenant(&self, tenant_id: TenantId) -> BoxFuture<'_, ControlResult<Option<Tenant>>>;
    /// The tenants of an organisation, by id.
    fn list_tenants(&self, org_id: OrgId) -> BoxFuture<'_, ControlResult<Vec<Tenant>>>;
    /// Changes a tenant's lifecycle state on behalf of `authority`, atomically: a suspension
    /// records the strongest authority that suspended; resuming or deleting a suspended tenant
    /// needs that authority or a stronger one (`Forbidden` otherwise); `deleted` is terminal
    /// (`Conflict` afterwards).
    fn set_tenant_status(
        &self,
        tenant_id: TenantId,
        status: TenantStatus,
        authority: LifecycleAuthority,
    ) -> BoxFuture<'_, ControlResult<Tenant>>;

    /// Creates an active namespace with the next free id of the tenant.
    fn create_namespace(&self, tenant_id: TenantId, name: String) -> BoxFuture<'_, ControlResult<Namespace>>;
    /// One namespace of a tenant.
    fn get_namespace(
        &self,
        tenant_id: TenantId,
        namespace_id: NamespaceId,
    ) -> BoxFuture<'_, ControlResult<Option<Namespace>>>;
    /// The namespaces of a tenant, by id.
    fn list_namespaces(&self, tenant_id: TenantId) -> BoxFuture<'_, ControlResult<Vec<Namespace>>>;
    /// Archives (read-only) or re-activates a namespace.
    fn set_namespace_status(
        &self,
        tenant_id: TenantId,
        namespace_id: NamespaceId,
        status: NamespaceStatus,
    ) -> BoxFuture<'_, ControlResult<Namespace>>;

    /// Creates a principal of an organisation. Each certificate subject must be under a client
    /// CA bound to the organisation and not yet registered; every reason a subject cannot be
    /// registered is the same `Conflict` answer (no oracle for other organisations' subjects).
    fn create_principal(
        &self,
        org_id: OrgId,
        principal_id: String,
        name: String,
        kind: PrincipalKind,
        cert_subjects: Vec<CertSubject>,
    ) -> BoxFuture<'_, ControlResult<PrincipalRecord>>;
    /// One principal of an organisation.
    fn get_principal(
        &self,
        org_id: OrgId,
        principal_id: String,
    ) -> BoxFuture<'_, ControlResult<Option<PrincipalRecord>>>;
    /// The principals of an organisation, by id.
    fn list_principals(&self, org_id: OrgId) -> BoxFuture<'_, ControlResult<Vec<PrincipalRecord>>>;
    /// System path (authentication): the principal a subject under a CA maps to, while the CA
    /// is still bound to the principal's organisation.
    fn principal_by_cert_subject(&self, subject: CertSubject) -> BoxFuture<'_, ControlResult<Option<PrincipalRecord>>>;

    /// System path (operator): registers a trusted client CA; `true` when it is new.
    fn register_client_ca(&self, ca_id: String, name: String) -> BoxFuture<'_, ControlResult<bool>>;
    /// System path (operator): lets an organisation register subjects under a CA (idempotent).
    fn bind_client_ca(&self, ca_id: String, org_id: OrgId) -> BoxFuture<'_, ControlResult<()>>;
    /// System path (operator): withdraws a CA from an organisation; its subjects there stop
    /// authenticating. `true` when a binding was removed.
    fn unbind_client_ca(&self, ca_id: String, org_id: OrgId) -> BoxFuture<'_, ControlResult<bool>>;
    /// System path (operator): every registered client CA with its organisations.
    fn list_client_cas(&self) -> BoxFuture<'_, ControlResult<Vec<ClientCa>>>;
    /// System path (upgrade): subjects registered before subjects were kept per CA are moved
    /// under `ca_id`; the number moved.
    fn adopt_unassigned_cert_subjects(&self, ca_id: String) -> BoxFuture<'_, ControlResult<u64>>;

    /// Makes a principal an owner of its organisation (idempotent).
    fn grant_org_owner(&self, org_id: OrgId, principal_id: String) -> BoxFuture<'_, ControlResult<()>>;
    /// Removes an organisation owner; `true` when one was removed.
    fn revoke_org_owner(&self, org_id: OrgId, principal_id: String) -> BoxFuture<'_, ControlResult<bool>>;
    /// The owners of an organisation, by principal id.
    fn org_owners(&self, org_id: OrgId) -> BoxFuture<'_, ControlResult<Vec<String>>>;
    /// System path (authentication): the organisation a principal owns, if it owns one.
    fn owned_org(&self, principal_id: String) -> BoxFuture<'_, ControlResult<Option<OrgId>>>;

    /// Grants a role (idempotent). The principal must belong to the tenant's organisation.
    fn grant_role(&self, binding: RoleBinding) -> BoxFuture<'_, ControlResult<()>>;
    /// Removes a binding; `true` when one was removed.
    fn revoke_role(&self, binding: RoleBinding) -> BoxFuture<'_, ControlResult<bool>>;
    /// The bindings on a tenant.
    fn list_bindings(&self, tenant_id: TenantId) -> BoxFuture<'_, ControlResult<Vec<RoleBinding>>>;
    /// System path (authentication): every binding of a principal.
    fn bindings_of_principal(&self, principal_id: String) -> BoxFuture<'_, ControlResult<Vec<RoleBinding>>>;

    /// Stores a new key (its principal and tenants must exist in one organisation).
    fn insert_api_key(&self, key: NewApiKey) -> BoxFuture<'_, ControlResult<ApiKeyRecord>>;
    /// System path (authentication): a key by its public id.
    fn api_key(&self, key_id: String) -> BoxFuture<'_, ControlResult<Option<ApiKeyRecord>>>;
    /// The keys that reach a tenant (metadata only).
    fn list_api_keys(&self, tenant_id: TenantId) -> BoxFuture<'_, ControlResult<Vec<ApiKeyMetadata>>>;
    /// The keys of a principal (metadata only).
    fn api_keys_of_principal(&self, principal_id: String) -> BoxFuture<'_, ControlResult<Vec<ApiKeyMetadata>>>;
    /// Replaces a key's secret; the old one stays valid until `previous_valid_until_ms`
    /// (`None`: refused at once). `NotFound` unless the key reaches the tenant; `Conflict` for
    /// a revoked key.
    fn rotate_api_key(
        &self,
        tenant_id: TenantId,
        key_id: String,
        secret_sha256: [u8; 32],
        previous_valid_until_ms: Option<i64>,
    ) -> BoxFuture<'_, ControlResult<ApiKeyRecord>>;
    /// Revokes a key (idempotent: the first revocation time stays). `NotFound` unless the key
    /// reaches the tenant.
    fn revoke_api_key(&self, tenant_id: TenantId, key_id: String) -> BoxFuture<'_, ControlResult<ApiKeyRecord>>;

    /// Replaces a tenant's client-IP allowlist (empty: every address).
    fn set_ip_allowlist(&self, tenant_id: TenantId, networks: Vec<IpNet>) -> BoxFuture<'_, ControlResult<()>>;
    /// A tenant's client-IP allowlist.
    fn ip_allowlist(&self, tenant_id: TenantId) -> BoxFuture<'_, ControlResult<Vec<IpNet>>>;
}
