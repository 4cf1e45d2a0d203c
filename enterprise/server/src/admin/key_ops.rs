// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! API keys: issue, list, rotate, revoke, all under the one rule of [`super::authority`].

use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_authz::{IssuedToken, Permission};
use decision_gate_enterprise_control::{ApiKeyMetadata, NewApiKey, PrincipalKind, Role};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::access::now_ms;
use super::authority::{Caller, TargetPower, manages, may_act_on};
use super::{Action, AdminCall, AdminError, AdminService};

/// Most tenants a request's `tenants` lists.
pub const MAX_KEY_TENANTS: usize = 64;

/// Longest rotation overlap: 30 days.
pub const MAX_OVERLAP_SECONDS: u64 = 30 * 24 * 3600;

/// A new API key for the path's tenant.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueKeyRequest {
    /// A label for people.
    pub name: String,
    /// Roles the key carries.
    pub roles: Vec<Role>,
    /// More tenants the key reaches besides the path's, for an explicitly multi-tenant key
    /// (the path's tenant may be listed too; absent: the path's tenant only).
    #[serde(default)]
    pub tenants: Option<Vec<TenantId>>,
    /// The one namespace the key is limited to.
    #[serde(default)]
    pub namespace_id: Option<NamespaceId>,
    /// Expiry, ms since the Unix epoch.
    #[serde(default)]
    pub expires_at_ms: Option<i64>,
    /// The principal the key acts as: the caller itself or a principal it manages (absent: a
    /// new service principal for this key).
    #[serde(default)]
    pub principal_id: Option<String>,
    /// Whether the key carries its principal's organisation ownership (organisation owners
    /// only, for principals that own the organisation).
    #[serde(default)]
    pub org_owner: bool,
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

impl AdminService {
    /// The keys reaching a tenant (metadata only).
    pub async fn list_keys(&self, call: &AdminCall, tenant: TenantId) -> Result<Vec<ApiKeyMetadata>, AdminError> {
        let action = Action::new("key.list").tenant(tenant).target(format!("tenant {tenant}"));
        let caller = self.caller(call, &action).await?;
        self.tenant_access(call, &caller, &action, tenant, Permission::AdminRead, false).await?;
        self.read(call, action, async { Ok(self.store.list_api_keys(tenant).await?) }).await
    }

    /// Whether the caller may act for `principal_id` of `org` (issue or rotate its keys); when
    /// it may, whether that principal owns the organisation.
    async fn check_manages(
        &self,
        call: &AdminCall,
        caller: &Caller,
        action: &Action,
        org: u64,
        principal_id: &str,
    ) -> Result<bool, AdminError> {
        let Some((facts, tenants)) = self.principal_facts(org, principal_id).await? else {
            return self.refuse(call, action, super::principal_ops::not_a_principal(principal_id, org)).await;
        };
        if !manages(caller, &facts, &tenants) {
            let reason = format!(
                "principal {principal_id} is not the caller and not a service principal within the caller's power"
            );
            return self.refuse_because(call, action, AdminError::Forbidden { required_scopes: vec![] }, reason).await;
        }
        if facts.principal.kind == PrincipalKind::User && !caller.is(principal_id) && !caller.owns(org) {
            let reason = format!("keys of user {principal_id} are issued by the user or an owner");
            return self.refuse_because(call, action, AdminError::Forbidden { required_scopes: vec![] }, reason).await;
        }
        Ok(facts.owns_org)
    }

    /// Issues a key; its token is in the answer and nowhere else.
    pub async fn issue_key(
        &self,
        call: &AdminCall,
        tenant: TenantId,
        request: IssueKeyRequest,
    ) -> Result<IssuedKey, AdminError> {
        let token = IssuedToken::generate();
        let mut tenants = request.tenants.clone().unwrap_or_default();
        if tenants.len() > MAX_KEY_TENANTS {
            let error = AdminError::Invalid(format!("tenants lists at most {MAX_KEY_TENANTS} tenants"));
            return self.refuse(call, &Action::new("key.issue").tenant(tenant), error).await;
        }
        tenants.push(tenant);
        tenants.sort();
        tenants.dedup();
        let action = Action::new("key.issue").tenant(tenant).target(format!("key {}", token.key_id)).details(json!({
            "name": request.name,
            "roles": request.roles,
            "tenants": tenants,
            "namespace_id": request.namespace_id,
            "expires_at_ms": request.expires_at_ms,
            "principal_id": request.principal_id,
            "org_owner": request.org_owner,
            "multi_tenant": tenants.len() > 1,
        }));
        if let Some(principal) = &request.principal_id
            && let Err(error) = super::principal_ops::check_principal_id(principal)
        {
            return self.refuse(call, &action, error).await;
        }
        if request.expires_at_ms.is_some_and(|expires| expires <= now_ms()) {
            let error = AdminError::Conflict("expires_at_ms is not in the future".to_owned());
            return self.refuse(call, &action, error).await;
        }
        if request.org_owner && request.namespace_id.is_some() {
            let error = AdminError::Invalid("an organisation-owner key is not limited to a namespace".to_owned());
            return self.refuse(call, &action, error).await;
        }
        let caller = self.caller(call, &action).await?;
        let (path, _) = self.tenant_access(call, &caller, &action, tenant, Permission::KeysManage, true).await?;
        let org = path.tenant.org_id;
        let mut facts = Vec::new();
        for other in &tenants {
            match self.tenant_facts(*other).await? {
                Some(found) if found.tenant.org_id == org => facts.push(found),
                _ => {
                    let reason = format!("tenant {other} is unknown or of another organisation");
                    return self.refuse_because(call, &action, AdminError::NotFound, reason).await;
                }
            }
        }
        if let Some(deleted) =
            facts.iter().find(|found| found.tenant.status == decision_gate_enterprise_control::TenantStatus::Deleted)
        {
            let error = AdminError::Conflict(format!("tenant {} is deleted", deleted.tenant.tenant_id));
            return self.refuse(call, &action, error).await;
        }
        let target =
            TargetPower { org, tenants: tenants.clone(), roles: request.roles.clone(), org_owner: request.org_owner };
        if let Err(refusal) = may_act_on(&caller, Permission::KeysManage, &target, &facts) {
            return self.refuse_rule(call, &action, tenant, refusal).await;
        }
        if let Some(principal) = &request.principal_id {
            let owns_org = self.check_manages(call, &caller, &action, org, principal).await?;
            if request.org_owner && !owns_org {
                let error = AdminError::Conflict(format!("principal {principal} does not own organisation {org}"));
                return self.refuse(call, &action, error).await;
            }
        } else if request.org_owner {
            let error = AdminError::Invalid("an organisation-owner key names its owner principal".to_owned());
            return self.refuse(call, &action, error).await;
        }
        let issued_by = caller.id();
        self.change(call, action, async {
            let principal_id = match request.principal_id {
                Some(id) => id,
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
                org_owner: request.org_owner,
                issued_by,
            };
            let record = self.store.insert_api_key(key).await?;
            Ok(IssuedKey { key: record.metadata(), token: token.reveal() })
        })
        .await
    }

    /// The key, when it reaches the tenant and the caller may act on it with `keys.manage`.
    async fn key_access(
        &self,
        call: &AdminCall,
        caller: &Caller,
        action: &Action,
        tenant: TenantId,
        key_id: &str,
    ) -> Result<ApiKeyMetadata, AdminError> {
        self.tenant_access(call, caller, action, tenant, Permission::KeysManage, true).await?;
        let keys = match self.store.list_api_keys(tenant).await {
            Ok(keys) => keys,
            Err(error) => return self.refuse(call, action, error.into()).await,
        };
        let Some(key) = keys.into_iter().find(|key| key.key_id == key_id) else {
            let reason = format!("key {key_id} does not reach tenant {tenant}");
            return self.refuse_because(call, action, AdminError::NotFound, reason).await;
        };
        let facts = self.tenants_facts(&key.tenants).await?;
        if let Err(refusal) = may_act_on(caller, Permission::KeysManage, &TargetPower::of_key(&key), &facts) {
            return self.refuse_rule(call, action, tenant, refusal).await;
        }
        Ok(key)
    }

    /// Rotates a key's secret, keeping the old one for the overlap window. The new secret goes
    /// to the caller, so it must also manage the key's principal.
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
        let caller = self.caller(call, &action).await?;
        let key = self.key_access(call, &caller, &action, tenant, key_id).await?;
        self.check_manages(call, &caller, &action, key.org_id, &key.principal_id).await?;
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
        let caller = self.caller(call, &action).await?;
        self.key_access(call, &caller, &action, tenant, key_id).await?;
        self.change(call, action, async { Ok(self.store.revoke_api_key(tenant, key_id.to_owned()).await?.metadata()) })
            .await
    }
}
