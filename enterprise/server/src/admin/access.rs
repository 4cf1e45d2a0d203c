// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Loading what the rule of [`super::authority`] decides on: the caller's power, a tenant's
//! facts, and the checks every operation on one tenant starts with.

use std::time::{SystemTime, UNIX_EPOCH};

use decision_gate_core::ids::TenantId;
use decision_gate_enterprise_authz::Permission;
use decision_gate_enterprise_control::{ControlError, Role};
use decision_gate_mcp::auth::AuthMethod;

use super::authority::{Caller, PrincipalPower, Refusal, TenantFacts, TenantPower, WriteBlock, allowed_from};
use super::{Action, Actor, AdminCall, AdminError, AdminService};

pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as i64)
}

impl AdminService {
    /// The caller's power, read afresh from the store: an API key must still exist, be
    /// unrevoked and unexpired; organisation ownership counts only while the principal holds
    /// it (and, for a key, the key carries it).
    pub(crate) async fn caller(&self, call: &AdminCall, action: &Action) -> Result<Caller, AdminError> {
        match self.load_caller(call).await {
            Ok(caller) => Ok(caller),
            Err((error, reason)) => self.refuse_because(call, action, error, reason).await,
        }
    }

    async fn load_caller(&self, call: &AdminCall) -> Result<Caller, (AdminError, String)> {
        let principal = match &call.actor {
            Actor::Operator(name) => return Ok(Caller::Operator(name.clone())),
            Actor::Principal(principal) => principal,
        };
        let unauthenticated = |reason: &str| (AdminError::Unauthenticated, reason.to_owned());
        let failed = |error: ControlError| {
            let reason = error.to_string();
            (AdminError::from(error), reason)
        };
        let org = principal.org_id.ok_or_else(|| unauthenticated("the credential has no organisation"))?;
        let principal_id = principal.principal_id();
        // Asked only where ownership can count: a key that carries it, a certificate principal.
        let owns = || async { Ok(self.store.owned_org(principal_id.clone()).await.map_err(failed)? == Some(org)) };
        let (grants, owns_org) = match principal.method {
            AuthMethod::ApiKey => {
                let key_id = principal.credential_id.clone().ok_or_else(|| unauthenticated("no key id"))?;
                let record = self
                    .store
                    .api_key(key_id.clone())
                    .await
                    .map_err(failed)?
                    .ok_or_else(|| unauthenticated("the api key no longer exists"))?;
                if record.revoked_at_ms.is_some() {
                    return Err(unauthenticated(&format!("api key {key_id} was revoked")));
                }
                if record.key.expires_at_ms.is_some_and(|expires| now_ms() >= expires) {
                    return Err(unauthenticated(&format!("api key {key_id} expired")));
                }
                let grants = if record.key.namespace_id.is_some() {
                    Vec::new()
                } else {
                    record.key.tenants.iter().flat_map(|t| record.key.roles.iter().map(move |r| (*t, *r))).collect()
                };
                (grants, record.key.org_owner && owns().await?)
            }
            AuthMethod::MtlsSubject => {
                let bindings = self.store.bindings_of_principal(principal_id.clone()).await.map_err(failed)?;
                let grants = bindings
                    .into_iter()
                    .filter(|binding| binding.namespace_id.is_none())
                    .map(|binding| (binding.tenant_id, binding.role))
                    .collect();
                (grants, owns().await?)
            }
            _ => {
                // Other credentials carry their grants; they never carry organisation ownership.
                let grants = principal
                    .roles
                    .iter()
                    .filter(|grant| grant.namespace_id.is_none())
                    .filter_map(|grant| Some((grant.tenant_id?, grant.role.parse::<Role>().ok()?)))
                    .collect();
                (grants, false)
            }
        };
        Ok(Caller::Principal(PrincipalPower {
            principal_id,
            org,
            owns_org,
            grants,
            scopes: principal.scopes.clone(),
            client_ip: call.client_ip,
        }))
    }

    /// Who the caller is and what it holds, as the store has it now.
    pub async fn whoami(&self, call: &AdminCall) -> Result<serde_json::Value, AdminError> {
        let action = Action::new("whoami");
        let caller = self.caller(call, &action).await?;
        let Actor::Principal(principal) = &call.actor else {
            return Ok(serde_json::json!({"principal_id": caller.id(), "operator": true}));
        };
        let roles: Vec<serde_json::Value> = principal
            .roles
            .iter()
            .map(|grant| {
                serde_json::json!({"role": grant.role, "tenant_id": grant.tenant_id, "namespace_id": grant.namespace_id})
            })
            .collect();
        let org_owner = matches!(&caller, Caller::Principal(power) if power.owns_org);
        Ok(serde_json::json!({
            "principal_id": principal.principal_id(),
            "org_id": principal.org_id,
            "org_owner": org_owner,
            "auth_method": principal.method.as_str(),
            "credential_id": principal.credential_id,
            "tenants": principal.tenants,
            "roles": roles,
        }))
    }

    /// A tenant with its allowlist (`None`: unknown).
    pub(crate) async fn tenant_facts(&self, tenant: TenantId) -> Result<Option<TenantFacts>, AdminError> {
        let Some(found) = self.store.get_tenant(tenant).await? else { return Ok(None) };
        let allowlist = self.store.ip_allowlist(tenant).await?;
        Ok(Some(TenantFacts { tenant: found, allowlist }))
    }

    /// The facts of every tenant in `tenants` that exists.
    pub(crate) async fn tenants_facts(&self, tenants: &[TenantId]) -> Result<Vec<TenantFacts>, AdminError> {
        let mut found = Vec::new();
        for tenant in tenants {
            if let Some(facts) = self.tenant_facts(*tenant).await? {
                found.push(facts);
            }
        }
        Ok(found)
    }

    /// The tenant, when the caller may act on it with `permission` (and, for `write`, may
    /// change it): an unknown or invisible tenant is "not found"; a suspended one refuses
    /// writes from its own grants ("forbidden"), a deleted one every write ("conflict"); a
    /// missing permission is "forbidden" with its scope. Refusals are audited with the reason.
    pub(crate) async fn tenant_access(
        &self,
        call: &AdminCall,
        caller: &Caller,
        action: &Action,
        tenant: TenantId,
        permission: Permission,
        write: bool,
    ) -> Result<(TenantFacts, TenantPower), AdminError> {
        let facts = match self.tenant_facts(tenant).await {
            Ok(Some(facts)) => facts,
            Ok(None) => {
                return self
                    .refuse_because(call, action, AdminError::NotFound, format!("tenant {tenant} is unknown"))
                    .await;
            }
            Err(error) => return self.refuse(call, action, error).await,
        };
        let Some(power) = caller.power(&facts) else {
            let reason = hidden_reason(caller, &facts);
            return self.refuse_because(call, action, AdminError::NotFound, reason).await;
        };
        if write && let Some(block) = caller.write_block(&facts, &power) {
            return self.refuse_blocked(call, action, tenant, block).await;
        }
        if !power.permits(permission) {
            let error = AdminError::Forbidden { required_scopes: vec![permission.scope()] };
            let reason = format!("no role of the caller grants {} on tenant {tenant}", permission.as_str());
            return self.refuse_because(call, action, error, reason).await;
        }
        Ok((facts, power))
    }

    /// Refuses a write on a suspended or deleted tenant.
    pub(crate) async fn refuse_blocked<T>(
        &self,
        call: &AdminCall,
        action: &Action,
        tenant: TenantId,
        block: WriteBlock,
    ) -> Result<T, AdminError> {
        match block {
            WriteBlock::Suspended => {
                let error = AdminError::Forbidden { required_scopes: Vec::new() };
                let reason = format!("tenant {tenant} is suspended: its credentials read, nothing else");
                self.refuse_because(call, action, error, reason).await
            }
            WriteBlock::Deleted => {
                self.refuse(call, action, AdminError::Conflict(format!("tenant {tenant} is deleted"))).await
            }
        }
    }

    /// Refuses an action the rule refused; a tenant invisible to the caller is "not found" when
    /// it is the one the request names (`named`), "forbidden" otherwise.
    pub(crate) async fn refuse_rule<T>(
        &self,
        call: &AdminCall,
        action: &Action,
        named: TenantId,
        refusal: Refusal,
    ) -> Result<T, AdminError> {
        let forbidden = || AdminError::Forbidden { required_scopes: Vec::new() };
        match refusal {
            Refusal::Hidden(tenant) if tenant == named => {
                self.refuse_because(call, action, AdminError::NotFound, format!("tenant {tenant} is not visible")).await
            }
            Refusal::Hidden(tenant) => {
                let reason = format!("the target also reaches tenant {tenant}, which the caller cannot administer");
                self.refuse_because(call, action, forbidden(), reason).await
            }
            Refusal::Blocked(tenant, block) => self.refuse_blocked(call, action, tenant, block).await,
            Refusal::Permission(tenant, permission) => {
                let error = AdminError::Forbidden { required_scopes: vec![permission.scope()] };
                let reason = format!("no role of the caller grants {} on tenant {tenant}", permission.as_str());
                self.refuse_because(call, action, error, reason).await
            }
            Refusal::Stronger(what) => {
                let reason = format!("the target holds {what}, more than the caller may grant");
                self.refuse_because(call, action, forbidden(), reason).await
            }
        }
    }
}

/// Why a tenant is invisible to the caller (audit records only).
fn hidden_reason(caller: &Caller, facts: &TenantFacts) -> String {
    let tenant = facts.tenant.tenant_id;
    match caller {
        Caller::Principal(power) if power.org != facts.tenant.org_id => {
            format!("tenant {tenant} belongs to another organisation")
        }
        Caller::Principal(power) if !allowed_from(&facts.allowlist, power.client_ip) => {
            let ip = power.client_ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
            format!("client ip {ip} is outside the allowlist of tenant {tenant}")
        }
        _ if facts.tenant.status == decision_gate_enterprise_control::TenantStatus::Deleted => {
            format!("tenant {tenant} is deleted")
        }
        _ => format!("no role of the caller grants admin.read on tenant {tenant}"),
    }
}
