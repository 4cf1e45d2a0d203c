// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Organisations, tenants (with their lifecycle), namespaces and IP allowlists.

use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_authz::Permission;
use decision_gate_enterprise_control::{Namespace, NamespaceStatus, Org, OrgId, Tenant, TenantStatus};
use ipnet::IpNet;
use serde::Deserialize;
use serde_json::json;

use super::{Action, AdminCall, AdminError, AdminService};

/// A new organisation or namespace.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameRequest {
    /// The name.
    pub name: String,
}

/// A new tenant.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantRequest {
    /// The name.
    pub name: String,
    /// The organisation it belongs to (default: the caller's).
    #[serde(default)]
    pub org_id: Option<OrgId>,
}

/// Most networks one allowlist holds.
pub const MAX_ALLOWLIST_ENTRIES: usize = 256;

/// Parses allowlist entries: CIDR blocks or single addresses.
pub fn parse_networks(entries: &[String]) -> Result<Vec<IpNet>, AdminError> {
    entries
        .iter()
        .map(|entry| {
            decision_gate_mcp::auth::parse_network(entry)
                .ok_or_else(|| AdminError::Invalid(format!("invalid network {entry:?} (CIDR block or address)")))
        })
        .collect()
}

impl AdminService {
    /// Organisations the caller sees: all for operators and organisation-1 owners, else its own.
    pub async fn list_orgs(&self, call: &AdminCall) -> Result<Vec<Org>, AdminError> {
        let action = Action::new("org.list");
        let caller = self.caller(call, &action).await?;
        self.read(call, action, async {
            if caller.manages_orgs() {
                return Ok(self.store.list_orgs().await?);
            }
            match caller.org() {
                Some(org) => Ok(self.store.get_org(org).await?.into_iter().collect()),
                None => Ok(Vec::new()),
            }
        })
        .await
    }

    /// Creates an organisation (operators and organisation-1 owners).
    pub async fn create_org(&self, call: &AdminCall, request: NameRequest) -> Result<Org, AdminError> {
        let action = Action::new("org.create").details(json!({"name": request.name}));
        let caller = self.caller(call, &action).await?;
        if !caller.manages_orgs() {
            let reason = "only the operator and owners of organisation 1 create organisations".to_owned();
            return self.refuse_because(call, &action, AdminError::Forbidden { required_scopes: vec![] }, reason).await;
        }
        self.change(call, action, async { Ok(self.store.create_org(request.name).await?) }).await
    }

    /// Tenants the caller may read: those of its organisation it can see (of every
    /// organisation, for operators).
    pub async fn list_tenants(&self, call: &AdminCall) -> Result<Vec<Tenant>, AdminError> {
        let action = Action::new("tenant.list");
        let caller = self.caller(call, &action).await?;
        self.read(call, action, async {
            let orgs: Vec<OrgId> = match caller.org() {
                Some(org) => vec![org],
                None => self.store.list_orgs().await?.into_iter().map(|org| org.org_id).collect(),
            };
            let mut tenants = Vec::new();
            for org in orgs {
                for tenant in self.store.list_tenants(org).await? {
                    if let Some(facts) = self.tenant_facts(tenant.tenant_id).await?
                        && caller.power(&facts).is_some()
                    {
                        tenants.push(tenant);
                    }
                }
            }
            Ok(tenants)
        })
        .await
    }

    /// Creates a tenant (with namespace 1) in an organisation the caller owns.
    pub async fn create_tenant(&self, call: &AdminCall, request: TenantRequest) -> Result<Tenant, AdminError> {
        let action = Action::new("tenant.create").details(json!({"name": request.name, "org_id": request.org_id}));
        let caller = self.caller(call, &action).await?;
        let Some(org) = request.org_id.or(caller.org()) else {
            return self.refuse(call, &action, AdminError::Invalid("org_id is required".to_owned())).await;
        };
        if caller.org().is_some_and(|own| own != org) {
            let reason = format!("organisation {org} is another organisation");
            return self.refuse_because(call, &action, AdminError::NotFound, reason).await;
        }
        if !caller.owns(org) {
            let error = AdminError::Forbidden { required_scopes: vec![Permission::TenantsManage.scope()] };
            let reason = format!("only owners of organisation {org} create its tenants");
            return self.refuse_because(call, &action, error, reason).await;
        }
        self.change(call, action, async { Ok(self.store.create_tenant(org, request.name).await?) }).await
    }

    /// One tenant.
    pub async fn get_tenant(&self, call: &AdminCall, tenant: TenantId) -> Result<Tenant, AdminError> {
        let action = Action::new("tenant.get").tenant(tenant).target(format!("tenant {tenant}"));
        let caller = self.caller(call, &action).await?;
        let (facts, _) = self.tenant_access(call, &caller, &action, tenant, Permission::AdminRead, false).await?;
        self.read(call, action, async { Ok(facts.tenant) }).await
    }

    /// Suspends, resumes or deletes a tenant: owners of its organisation (lifecycle authority
    /// `owner`) and the operator (`operator`); a suspension is lifted, and a suspended tenant
    /// deleted, only by the authority that suspended it or a stronger one.
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
        let caller = self.caller(call, &action).await?;
        let (facts, _) = self.tenant_access(call, &caller, &action, tenant, Permission::AdminRead, false).await?;
        let Some(authority) = caller.lifecycle_authority(facts.tenant.org_id) else {
            let error = AdminError::Forbidden { required_scopes: vec![Permission::TenantsManage.scope()] };
            let reason = format!("only owners of organisation {} change a tenant's lifecycle", facts.tenant.org_id);
            return self.refuse_because(call, &action, error, reason).await;
        };
        if let Some(by) = facts.tenant.suspended_by.filter(|by| *by > authority && status != TenantStatus::Suspended) {
            let reason =
                format!("tenant {tenant} was suspended by the {}; only it or a stronger authority", by.as_str());
            return self.refuse_because(call, &action, AdminError::Forbidden { required_scopes: vec![] }, reason).await;
        }
        let action = action.details(json!({"authority": authority}));
        self.change(call, action, async { Ok(self.store.set_tenant_status(tenant, status, authority).await?) }).await
    }

    /// A tenant's namespaces.
    pub async fn list_namespaces(&self, call: &AdminCall, tenant: TenantId) -> Result<Vec<Namespace>, AdminError> {
        let action = Action::new("namespace.list").tenant(tenant).target(format!("tenant {tenant}"));
        let caller = self.caller(call, &action).await?;
        self.tenant_access(call, &caller, &action, tenant, Permission::AdminRead, false).await?;
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
        let caller = self.caller(call, &action).await?;
        self.tenant_access(call, &caller, &action, tenant, Permission::NamespacesManage, true).await?;
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
        let caller = self.caller(call, &action).await?;
        self.tenant_access(call, &caller, &action, tenant, Permission::NamespacesManage, true).await?;
        self.change(call, action, async { Ok(self.store.set_namespace_status(tenant, namespace, status).await?) }).await
    }

    /// A tenant's IP allowlist.
    pub async fn allowlist(&self, call: &AdminCall, tenant: TenantId) -> Result<Vec<IpNet>, AdminError> {
        let action = Action::new("allowlist.get").tenant(tenant).target(format!("tenant {tenant}"));
        let caller = self.caller(call, &action).await?;
        self.tenant_access(call, &caller, &action, tenant, Permission::AdminRead, false).await?;
        self.read(call, action, async { Ok(self.store.ip_allowlist(tenant).await?) }).await
    }

    /// Replaces a tenant's IP allowlist (empty: every address). The allowlist fences its own
    /// change: a caller outside it cannot see the tenant.
    pub async fn set_allowlist(
        &self,
        call: &AdminCall,
        tenant: TenantId,
        entries: Vec<String>,
    ) -> Result<Vec<IpNet>, AdminError> {
        let action = Action::new("allowlist.set")
            .tenant(tenant)
            .target(format!("tenant {tenant}"))
            .details(json!({"networks": entries}));
        if entries.len() > MAX_ALLOWLIST_ENTRIES {
            let error = AdminError::Invalid(format!("an allowlist holds at most {MAX_ALLOWLIST_ENTRIES} networks"));
            return self.refuse(call, &action, error).await;
        }
        let networks = match parse_networks(&entries) {
            Ok(networks) => networks,
            Err(error) => return self.refuse(call, &action, error).await,
        };
        let caller = self.caller(call, &action).await?;
        self.tenant_access(call, &caller, &action, tenant, Permission::AllowlistsManage, true).await?;
        self.change(call, action, async {
            self.store.set_ip_allowlist(tenant, networks).await?;
            Ok(self.store.ip_allowlist(tenant).await?)
        })
        .await
    }
}
