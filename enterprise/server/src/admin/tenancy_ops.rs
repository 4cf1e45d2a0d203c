// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Organisations, tenants and namespaces.

use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_authz::Permission;
use decision_gate_enterprise_control::{Namespace, NamespaceStatus, Org, OrgId, Tenant, TenantStatus};
use serde::Deserialize;
use serde_json::json;

use super::access::{manages_orgs, own_org, owns_org, permits};
use super::{Action, AdminCall, AdminError, AdminService};

/// A request naming one thing: an organisation, a tenant (of `org_id`, default the caller's),
/// a namespace.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameRequest {
    /// The name.
    pub name: String,
    /// The organisation a new tenant belongs to (default: the caller's).
    #[serde(default)]
    pub org_id: Option<OrgId>,
}

impl AdminService {
    /// Organisations the caller sees: all for operators and operator-org owners, else its own.
    pub async fn list_orgs(&self, call: &AdminCall) -> Result<Vec<Org>, AdminError> {
        let action = Action::new("org.list");
        self.read(call, action, async {
            if manages_orgs(&call.actor) {
                return Ok(self.store.list_orgs().await?);
            }
            match own_org(&call.actor) {
                Some(org) => Ok(self.store.get_org(org).await?.into_iter().collect()),
                None => Ok(Vec::new()),
            }
        })
        .await
    }

    /// Creates an organisation (operators and operator-org owners).
    pub async fn create_org(&self, call: &AdminCall, request: NameRequest) -> Result<Org, AdminError> {
        let action = Action::new("org.create").details(json!({"name": request.name}));
        if !manages_orgs(&call.actor) {
            return self.refuse(call, &action, AdminError::Forbidden { required_scopes: vec![] }).await;
        }
        self.change(call, action, async { Ok(self.store.create_org(request.name).await?) }).await
    }

    /// Tenants the caller may read: every tenant of the organisations it owns, else those it
    /// holds `admin.read` on.
    pub async fn list_tenants(&self, call: &AdminCall) -> Result<Vec<Tenant>, AdminError> {
        let action = Action::new("tenant.list");
        self.read(call, action, async {
            let orgs: Vec<OrgId> = match own_org(&call.actor) {
                Some(org) => vec![org],
                None => self.store.list_orgs().await?.into_iter().map(|org| org.org_id).collect(),
            };
            let mut tenants = Vec::new();
            for org in orgs {
                for tenant in self.store.list_tenants(org).await? {
                    if permits(&call.actor, Permission::AdminRead, &tenant) {
                        tenants.push(tenant);
                    }
                }
            }
            Ok(tenants)
        })
        .await
    }

    /// Creates a tenant (with namespace 1) in an organisation the caller owns.
    pub async fn create_tenant(&self, call: &AdminCall, request: NameRequest) -> Result<Tenant, AdminError> {
        let org = request.org_id.or(own_org(&call.actor));
        let action = Action::new("tenant.create").details(json!({"name": request.name, "org_id": org}));
        let Some(org) = org else {
            return self.refuse(call, &action, AdminError::Invalid("org_id is required".to_owned())).await;
        };
        if own_org(&call.actor).is_some_and(|own| own != org) {
            return self.refuse(call, &action, AdminError::NotFound).await;
        }
        if !owns_org(&call.actor, org) {
            let scopes = vec![Permission::TenantsManage.scope()];
            return self.refuse(call, &action, AdminError::Forbidden { required_scopes: scopes }).await;
        }
        self.change(call, action, async { Ok(self.store.create_tenant(org, request.name).await?) }).await
    }

    /// One tenant.
    pub async fn get_tenant(&self, call: &AdminCall, tenant: TenantId) -> Result<Tenant, AdminError> {
        let action = Action::new("tenant.get").tenant(tenant).target(format!("tenant {tenant}"));
        let found = self.tenant_access(call, &action, tenant, Permission::AdminRead).await?;
        self.read(call, action, async { Ok(found) }).await
    }

    /// Suspends, reactivates or deletes a tenant (owners of its organisation).
    pub async fn set_tenant_status(
        &self,
        call: &AdminCall,
        tenant: TenantId,
        status: TenantStatus,
    ) -> Result<Tenant, AdminError> {
        let name = match status {
            TenantStatus::Active => "tenant.resume",
            TenantStatus::Suspended => "tenant.suspend",
            TenantStatus::Deleted => "tenant.delete",
        };
        let action = Action::new(name).tenant(tenant).target(format!("tenant {tenant}"));
        self.tenant_access(call, &action, tenant, Permission::TenantsManage).await?;
        self.change(call, action, async { Ok(self.store.set_tenant_status(tenant, status).await?) }).await
    }

    /// A tenant's namespaces.
    pub async fn list_namespaces(&self, call: &AdminCall, tenant: TenantId) -> Result<Vec<Namespace>, AdminError> {
        let action = Action::new("namespace.list").tenant(tenant).target(format!("tenant {tenant}"));
        self.tenant_access(call, &action, tenant, Permission::AdminRead).await?;
        self.read(call, action, async { Ok(self.store.list_namespaces(tenant).await?) }).await
    }

    /// Creates a namespace.
    pub async fn create_namespace(
        &self,
        call: &AdminCall,
        tenant: TenantId,
        request: NameRequest,
    ) -> Result<Namespace, AdminError> {
        let action = Action::new("namespace.create")
            .tenant(tenant)
            .target(format!("tenant {tenant}"))
            .details(json!({"name": request.name}));
        let found = self.tenant_access(call, &action, tenant, Permission::NamespacesManage).await?;
        if found.status == TenantStatus::Deleted {
            return self.refuse(call, &action, AdminError::Conflict(format!("tenant {tenant} is deleted"))).await;
        }
        self.change(call, action, async { Ok(self.store.create_namespace(tenant, request.name).await?) }).await
    }

    /// Archives (read-only) or re-activates a namespace.
    pub async fn set_namespace_status(
        &self,
        call: &AdminCall,
        tenant: TenantId,
        namespace: NamespaceId,
        status: NamespaceStatus,
    ) -> Result<Namespace, AdminError> {
        let name = match status {
            NamespaceStatus::Active => "namespace.activate",
            NamespaceStatus::Archived => "namespace.archive",
        };
        let action = Action::new(name).tenant(tenant).target(format!("tenant {tenant} namespace {namespace}"));
        self.tenant_access(call, &action, tenant, Permission::NamespacesManage).await?;
        self.change(call, action, async { Ok(self.store.set_namespace_status(tenant, namespace, status).await?) }).await
    }
}
