// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Principals, role bindings, API keys and IP allowlists.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_authz::{IssuedToken, Permission};
use decision_gate_enterprise_control::{
    ApiKeyMetadata, NewApiKey, OrgId, PrincipalKind, PrincipalRecord, Role, RoleBinding, Tenant, TenantStatus,
};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::access::{may_grant_on, own_org, owns_org, permits};
use super::{Action, AdminCall, AdminError, AdminService};

/// Longest rotation overlap: 30 days.
pub const MAX_OVERLAP_SECONDS: u64 = 30 * 24 * 3600;

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// A new principal of an organisation.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalRequest {
    /// Name, unique in the organisation.
    pub name: String,
    /// `user` or `service` (default `service`).
    #[serde(default = "service_kind")]
    pub kind: PrincipalKind,
    /// Client-certificate subjects (CN or SAN) that authenticate as it.
    #[serde(default)]
    pub cert_subjects: Vec<String>,
    /// Organisation (default: the caller's).
    #[serde(default)]
    pub org_id: Option<OrgId>,
}

fn service_kind() -> PrincipalKind {
    PrincipalKind::Service
}

/// A role to grant or revoke on the path's tenant.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// Principal.
    pub principal_id: String,
    /// Role.
    pub role: Role,
    /// Namespace (absent: the whole tenant).
    #[serde(default)]
    pub namespace_id: Option<NamespaceId>,
}

/// A new API key for the path's tenant.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueKeyRequest {
    /// A label for people.
    pub name: String,
    /// Roles the key carries.
    pub roles: Vec<Role>,
    /// Every tenant the key reaches, for an explicitly multi-tenant key (must include the
    /// path's tenant; absent: the path's tenant only).
    #[serde(default)]
    pub tenants: Option<Vec<TenantId>>,
    /// The one namespace the key is limited to.
    #[serde(default)]
    pub namespace_id: Option<NamespaceId>,
    /// Expiry, ms since the Unix epoch.
    #[serde(default)]
    pub expires_at_ms: Option<i64>,
    /// The principal the key acts as (absent: a new service principal for this key).
    #[serde(default)]
    pub principal_id: Option<String>,
}

/// A key rotation.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyRequest {
    /// How long the old secret stays valid (default 0: refused at once; at most 30 days).
    #[serde(default)]
    pub overlap_seconds: u64,
}

/// A key with its token, shown exactly once. `Debug` leaves the token out.
#[derive(Clone, Serialize)]
pub struct IssuedKey {
    /// Metadata.
    pub key: ApiKeyMetadata,
    /// The whole token `dgk_<key_id>_<secret>`.
    pub token: String,
}

impl std::fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedKey").field("key", &self.key).finish_non_exhaustive()
    }
}

/// Parses allowlist entries: CIDR blocks or single addresses.
pub fn parse_networks(entries: &[String]) -> Result<Vec<IpNet>, AdminError> {
    entries
        .iter()
        .map(|entry| {
            let text = entry.trim();
            text.parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| AdminError::Invalid(format!("invalid network {entry:?} (CIDR block or address)")))
        })
        .collect()
}

impl AdminService {
    fn principal_org(&self, call: &AdminCall, requested: Option<OrgId>) -> Result<OrgId, AdminError> {
        match (own_org(&call.actor), requested) {
            (Some(own), Some(org)) if own != org => Err(AdminError::NotFound),
            (Some(own), _) => Ok(own),
            (None, Some(org)) => Ok(org),
            (None, None) => Err(AdminError::Invalid("org_id is required".to_owned())),
        }
    }

    async fn org_permits(&self, call: &AdminCall, org: OrgId, permission: Permission) -> Result<bool, AdminError> {
        if owns_org(&call.actor, org) {
            return Ok(true);
        }
        let tenants = self.store.list_tenants(org).await?;
        Ok(tenants.iter().any(|tenant| permits(&call.actor, permission, tenant)))
    }

    /// The principals of the caller's organisation (or `org_id`, for operators).
    pub async fn list_principals(
        &self,
        call: &AdminCall,
        org: Option<OrgId>,
    ) -> Result<Vec<PrincipalRecord>, AdminError> {
        let action = Action::new("principal.list");
        let org = match self.principal_org(call, org) {
            Ok(org) => org,
            Err(error) => return self.refuse(call, &action, error).await,
        };
        if !self.org_permits(call, org, Permission::AdminRead).await? {
            return self.refuse(call, &action, AdminError::NotFound).await;
        }
        self.read(call, action, async { Ok(self.store.list_principals(org).await?) }).await
    }

    /// Creates a principal (needs `bindings.manage` on a tenant of the organisation).
    pub async fn create_principal(
        &self,
        call: &AdminCall,
        request: PrincipalRequest,
    ) -> Result<PrincipalRecord, AdminError> {
        let action = Action::new("principal.create")
            .details(json!({"name": request.name, "cert_subjects": request.cert_subjects}));
        let org = match self.principal_org(call, request.org_id) {
            Ok(org) => org,
            Err(error) => return self.refuse(call, &action, error).await,
        };
        if !self.org_permits(call, org, Permission::BindingsManage).await? {
            let scopes = vec![Permission::BindingsManage.scope()];
            return self.refuse(call, &action, AdminError::Forbidden { required_scopes: scopes }).await;
        }
        let id = format!("prn_{:016x}", rand::random::<u64>());
        let action = action.target(id.clone());
        self.change(call, action, async {
            Ok(self.store.create_principal(org, id, request.name, request.kind, request.cert_subjects).await?)
        })
        .await
    }

    /// The role bindings on a tenant.
    pub async fn list_bindings(&self, call: &AdminCall, tenant: TenantId) -> Result<Vec<RoleBinding>, AdminError> {
        let action = Action::new("binding.list").tenant(tenant).target(format!("tenant {tenant}"));
        self.tenant_access(call, &action, tenant, Permission::AdminRead).await?;
        self.read(call, action, async { Ok(self.store.list_bindings(tenant).await?) }).await
    }

    /// Grants (`grant = true`) or revokes a role on a tenant.
    pub async fn change_binding(
        &self,
        call: &AdminCall,
        tenant: TenantId,
        request: GrantRequest,
        grant: bool,
    ) -> Result<bool, AdminError> {
        let binding = RoleBinding {
            tenant_id: tenant,
            principal_id: request.principal_id,
            role: request.role,
            namespace_id: request.namespace_id,
        };
        let action = Action::new(if grant { "binding.grant" } else { "binding.revoke" })
            .tenant(tenant)
            .target(binding.principal_id.clone())
            .details(json!({"role": binding.role, "namespace_id": binding.namespace_id}));
        let found = self.tenant_access(call, &action, tenant, Permission::BindingsManage).await?;
        if !may_grant_on(&call.actor, binding.role, &found) {
            return self.refuse(call, &action, AdminError::Forbidden { required_scopes: vec![] }).await;
        }
        self.change(call, action, async {
            if grant {
                self.store.grant_role(binding).await?;
                Ok(true)
            } else {
                Ok(self.store.revoke_role(binding).await?)
            }
        })
        .await
    }

    /// The keys reaching a tenant (metadata only).
    pub async fn list_keys(&self, call: &AdminCall, tenant: TenantId) -> Result<Vec<ApiKeyMetadata>, AdminError> {
        let action = Action::new("key.list").tenant(tenant).target(format!("tenant {tenant}"));
        self.tenant_access(call, &action, tenant, Permission::AdminRead).await?;
        self.read(call, action, async { Ok(self.store.list_api_keys(tenant).await?) }).await
    }

    async fn key_tenants(
        &self,
        call: &AdminCall,
        action: &Action,
        tenants: &[TenantId],
        roles: &[Role],
    ) -> Result<Vec<Tenant>, AdminError> {
        let mut found = Vec::new();
        for tenant in tenants {
            let record = self.tenant_access(call, action, *tenant, Permission::KeysManage).await?;
            if record.status == TenantStatus::Deleted {
                return self.refuse(call, action, AdminError::Conflict(format!("tenant {tenant} is deleted"))).await;
            }
            if !roles.iter().all(|role| may_grant_on(&call.actor, *role, &record)) {
                return self.refuse(call, action, AdminError::Forbidden { required_scopes: vec![] }).await;
            }
            found.push(record);
        }
        Ok(found)
    }

    /// Issues a key; its token is in the answer and nowhere else.
    pub async fn issue_key(
        &self,
        call: &AdminCall,
        tenant: TenantId,
        request: IssueKeyRequest,
    ) -> Result<IssuedKey, AdminError> {
        let token = IssuedToken::generate();
        let tenants = request.tenants.clone().unwrap_or_else(|| vec![tenant]);
        let action = Action::new("key.issue").tenant(tenant).target(format!("key {}", token.key_id)).details(json!({
            "name": request.name,
            "roles": request.roles,
            "tenants": tenants,
            "namespace_id": request.namespace_id,
            "expires_at_ms": request.expires_at_ms,
            "multi_tenant": tenants.len() > 1,
        }));
        if !tenants.contains(&tenant) {
            let error = AdminError::Invalid("tenants must include the tenant of the path".to_owned());
            return self.refuse(call, &action, error).await;
        }
        if request.expires_at_ms.is_some_and(|expires| expires <= now_ms()) {
            return self.refuse(call, &action, AdminError::Invalid("expires_at_ms is in the past".to_owned())).await;
        }
        let records = self.key_tenants(call, &action, &tenants, &request.roles).await?;
        let org = records.first().map(|record| record.org_id).ok_or(AdminError::NotFound)?;
        self.change(call, action, async {
            let principal_id = match request.principal_id {
                Some(id) => match self.store.get_principal(org, id.clone()).await? {
                    Some(_) => id,
                    None => return Err(AdminError::NotFound),
                },
                None => {
                    let id = format!("prn_{:016x}", rand::random::<u64>());
                    let name = format!("key {}", token.key_id);
                    self.store.create_principal(org, id.clone(), name, PrincipalKind::Service, vec![]).await?;
                    id
                }
            };
            let key = NewApiKey {
                key_id: token.key_id.clone(),
                principal_id,
                name: request.name,
                secret_sha256: token.secret_sha256(),
                tenants,
                namespace_id: request.namespace_id,
                roles: request.roles,
                expires_at_ms: request.expires_at_ms,
            };
            let record = self.store.insert_api_key(key).await?;
            Ok(IssuedKey { key: record.metadata(), token: token.reveal() })
        })
        .await
    }

    async fn key_access(
        &self,
        call: &AdminCall,
        action: &Action,
        tenant: TenantId,
        key_id: &str,
    ) -> Result<ApiKeyMetadata, AdminError> {
        self.tenant_access(call, action, tenant, Permission::KeysManage).await?;
        let keys = match self.store.list_api_keys(tenant).await {
            Ok(keys) => keys,
            Err(error) => return self.refuse(call, action, error.into()).await,
        };
        let Some(key) = keys.into_iter().find(|key| key.key_id == key_id) else {
            return self.refuse(call, action, AdminError::NotFound).await;
        };
        // A multi-tenant key is managed by whoever manages every tenant it reaches.
        for other in key.tenants.iter().filter(|other| **other != tenant) {
            self.tenant_access(call, action, *other, Permission::KeysManage).await?;
        }
        Ok(key)
    }

    /// Rotates a key's secret, keeping the old one for the overlap window.
    pub async fn rotate_key(
        &self,
        call: &AdminCall,
        tenant: TenantId,
        key_id: &str,
        request: RotateKeyRequest,
    ) -> Result<IssuedKey, AdminError> {
        let action = Action::new("key.rotate")
            .tenant(tenant)
            .target(format!("key {key_id}"))
            .details(json!({"overlap_seconds": request.overlap_seconds}));
        if request.overlap_seconds > MAX_OVERLAP_SECONDS {
            let error = AdminError::Invalid(format!("overlap_seconds is at most {MAX_OVERLAP_SECONDS}"));
            return self.refuse(call, &action, error).await;
        }
        self.key_access(call, &action, tenant, key_id).await?;
        let token = IssuedToken::rotate(key_id);
        let until = (request.overlap_seconds > 0).then(|| now_ms() + (request.overlap_seconds as i64) * 1000);
        self.change(call, action, async {
            let record = self.store.rotate_api_key(tenant, key_id.to_owned(), token.secret_sha256(), until).await?;
            Ok(IssuedKey { key: record.metadata(), token: token.reveal() })
        })
        .await
    }

    /// Revokes a key.
    pub async fn revoke_key(
        &self,
        call: &AdminCall,
        tenant: TenantId,
        key_id: &str,
    ) -> Result<ApiKeyMetadata, AdminError> {
        let action = Action::new("key.revoke").tenant(tenant).target(format!("key {key_id}"));
        self.key_access(call, &action, tenant, key_id).await?;
        self.change(call, action, async { Ok(self.store.revoke_api_key(tenant, key_id.to_owned()).await?.metadata()) })
            .await
    }

    /// A tenant's IP allowlist.
    pub async fn allowlist(&self, call: &AdminCall, tenant: TenantId) -> Result<Vec<IpNet>, AdminError> {
        let action = Action::new("allowlist.get").tenant(tenant).target(format!("tenant {tenant}"));
        self.tenant_access(call, &action, tenant, Permission::AdminRead).await?;
        self.read(call, action, async { Ok(self.store.ip_allowlist(tenant).await?) }).await
    }

    /// Replaces a tenant's IP allowlist (empty: every address).
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
        let networks = match parse_networks(&entries) {
            Ok(networks) => networks,
            Err(error) => return self.refuse(call, &action, error).await,
        };
        self.tenant_access(call, &action, tenant, Permission::AllowlistsManage).await?;
        self.change(call, action, async {
            self.store.set_ip_allowlist(tenant, networks).await?;
            Ok(self.store.ip_allowlist(tenant).await?)
        })
        .await
    }
}
