// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Principals, role bindings and organisation owners.

use std::collections::BTreeSet;

use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_authz::Permission;
use decision_gate_enterprise_control::{CertSubject, OrgId, PrincipalKind, PrincipalRecord, Role, RoleBinding};
use serde::Deserialize;
use serde_json::json;

use super::authority::{Caller, PrincipalFacts, TargetPower, may_act_on};
use super::{Action, AdminCall, AdminError, AdminService};

/// A new principal of an organisation.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalRequest {
    /// Name, unique in the organisation.
    pub name: String,
    /// `user` or `service` (default `service`).
    #[serde(default = "service_kind")]
    pub kind: PrincipalKind,
    /// Client-certificate subjects (CN or SAN) that authenticate as it, under `client_ca`.
    #[serde(default)]
    pub cert_subjects: Vec<String>,
    /// The client CA issuing those certificates (default: the one CA bound to the
    /// organisation).
    #[serde(default)]
    pub client_ca: Option<String>,
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

/// A principal to make (or stop being) an owner of the path's organisation.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerRequest {
    /// Principal.
    pub principal_id: String,
}

/// A principal id as the API issues them: `prn_` and 16 lowercase hex digits.
pub(crate) fn check_principal_id(id: &str) -> Result<(), AdminError> {
    let valid = id.len() == 20
        && id.starts_with("prn_")
        && id[4..].bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
    if valid { Ok(()) } else { Err(AdminError::Invalid("principal_id is prn_ and 16 lowercase hex digits".to_owned())) }
}

/// A principal named in a request body that is not one of the organisation's (unknown, or of
/// another organisation: the same answer). A conflict, not "not found": the path's resource
/// exists.
pub(crate) fn not_a_principal(principal: &str, org: OrgId) -> AdminError {
    AdminError::Conflict(format!("{principal} is not a principal of organisation {org}"))
}

/// A client CA id: 64 lowercase hex digits.
fn check_ca_id(id: &str) -> Result<(), AdminError> {
    let valid = id.len() == 64 && id.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
    if valid { Ok(()) } else { Err(AdminError::Invalid("client_ca is 64 lowercase hex digits".to_owned())) }
}

impl AdminService {
    /// The organisation a principal request is about: the caller's (another one is "not
    /// found"), or the requested one for operators.
    fn principal_org(caller: &Caller, requested: Option<OrgId>) -> Result<OrgId, (AdminError, String)> {
        match (caller.org(), requested) {
            (Some(own), Some(org)) if own != org => {
                Err((AdminError::NotFound, format!("organisation {org} is another organisation")))
            }
            (Some(own), _) => Ok(own),
            (None, Some(org)) => Ok(org),
            (None, None) => Err((AdminError::Invalid("org_id is required".to_owned()), "no org_id".to_owned())),
        }
    }

    /// Tenant ids of `org` on which a caller that does not own it holds `permission` (writable,
    /// for `write`). Only the caller's own grants can make a tenant visible to it, so only their
    /// tenants are read, however many tenants the organisation has.
    async fn tenants_with(
        &self,
        caller: &Caller,
        org: OrgId,
        permission: Permission,
        write: bool,
    ) -> Result<Vec<TenantId>, AdminError> {
        let Caller::Principal(power) = caller else { return Ok(Vec::new()) };
        let mut candidates: Vec<TenantId> = power.grants.iter().map(|(tenant, _)| *tenant).collect();
        candidates.sort();
        candidates.dedup();
        let mut found = Vec::new();
        for tenant in candidates {
            if let Some(facts) = self.tenant_facts(tenant).await?
                && facts.tenant.org_id == org
                && let Some(power) = caller.power(&facts)
                && power.permits(permission)
                && (!write || power.writable)
            {
                found.push(tenant);
            }
        }
        Ok(found)
    }

    /// Everything the rule needs about a principal: its record, ownership, bindings, keys and
    /// the facts of every tenant they reach.
    pub(crate) async fn principal_facts(
        &self,
        org: OrgId,
        principal_id: &str,
    ) -> Result<Option<(PrincipalFacts, Vec<super::authority::TenantFacts>)>, AdminError> {
        let Some(principal) = self.store.get_principal(org, principal_id.to_owned()).await? else { return Ok(None) };
        let owns_org = self.store.owned_org(principal_id.to_owned()).await? == Some(org);
        let bindings = self.store.bindings_of_principal(principal_id.to_owned()).await?;
        let keys = self.store.api_keys_of_principal(principal_id.to_owned()).await?;
        let mut tenants: Vec<TenantId> = bindings.iter().map(|binding| binding.tenant_id).collect();
        tenants.extend(keys.iter().flat_map(|key| key.tenants.iter().copied()));
        tenants.sort();
        tenants.dedup();
        let facts = self.tenants_facts(&tenants).await?;
        Ok(Some((PrincipalFacts { principal, owns_org, bindings, keys }, facts)))
    }

    /// The principals the caller administers: all of its organisation for owners (of
    /// `org_id`, for operators); else those bound to, or holding keys on, tenants it can read.
    pub async fn list_principals(
        &self,
        call: &AdminCall,
        org: Option<OrgId>,
    ) -> Result<Vec<PrincipalRecord>, AdminError> {
        let action = Action::new("principal.list");
        let caller = self.caller(call, &action).await?;
        let org = match Self::principal_org(&caller, org) {
            Ok(org) => org,
            Err((error, reason)) => return self.refuse_because(call, &action, error, reason).await,
        };
        if caller.owns(org) {
            return self.read(call, action, async { Ok(self.store.list_principals(org).await?) }).await;
        }
        let readable = self.tenants_with(&caller, org, Permission::AdminRead, false).await?;
        if readable.is_empty() {
            let reason = format!("the caller reads no tenant of organisation {org}");
            return self.refuse_because(call, &action, AdminError::NotFound, reason).await;
        }
        self.read(call, action, async {
            let mut shown: BTreeSet<String> = BTreeSet::new();
            shown.insert(caller.id());
            for tenant in &readable {
                shown.extend(self.store.list_bindings(*tenant).await?.into_iter().map(|binding| binding.principal_id));
                shown.extend(self.store.list_api_keys(*tenant).await?.into_iter().map(|key| key.principal_id));
            }
            let all = self.store.list_principals(org).await?;
            Ok(all.into_iter().filter(|principal| shown.contains(&principal.principal_id)).collect())
        })
        .await
    }

    /// The client CA a principal's subjects are registered under.
    async fn subject_ca(&self, org: OrgId, request: &PrincipalRequest) -> Result<String, AdminError> {
        if let Some(ca) = &request.client_ca {
            return Ok(ca.clone());
        }
        let bound: Vec<String> = self
            .store
            .list_client_cas()
            .await?
            .into_iter()
            .filter(|ca| ca.orgs.contains(&org))
            .map(|ca| ca.ca_id)
            .collect();
        match bound.as_slice() {
            [only] => Ok(only.clone()),
            [] => Ok(String::new()),
            several => Err(AdminError::Invalid(format!(
                "client_ca is required: {} client CAs are bound to organisation {org}",
                several.len()
            ))),
        }
    }

    /// Creates a principal: owners of the organisation, or callers who manage bindings on one
    /// of its tenants.
    pub async fn create_principal(
        &self,
        call: &AdminCall,
        request: PrincipalRequest,
    ) -> Result<PrincipalRecord, AdminError> {
        let action = Action::new("principal.create").details(
            json!({"name": request.name, "cert_subjects": request.cert_subjects, "client_ca": request.client_ca}),
        );
        if let Some(Err(error)) = request.client_ca.as_deref().map(check_ca_id) {
            return self.refuse(call, &action, error).await;
        }
        if request.cert_subjects.len() > 64 {
            let error = AdminError::Invalid("cert_subjects lists at most 64 subjects".to_owned());
            return self.refuse(call, &action, error).await;
        }
        let caller = self.caller(call, &action).await?;
        let org = match Self::principal_org(&caller, request.org_id) {
            Ok(org) => org,
            Err((error, reason)) => return self.refuse_because(call, &action, error, reason).await,
        };
        if !caller.owns(org) && self.tenants_with(&caller, org, Permission::BindingsManage, true).await?.is_empty() {
            let error = AdminError::Forbidden { required_scopes: vec![Permission::BindingsManage.scope()] };
            let reason = format!("the caller manages bindings on no tenant of organisation {org}");
            return self.refuse_because(call, &action, error, reason).await;
        }
        let ca = match (request.cert_subjects.is_empty(), self.subject_ca(org, &request).await) {
            (true, _) => String::new(),
            (false, Ok(ca)) => ca,
            (false, Err(error)) => return self.refuse(call, &action, error).await,
        };
        let subjects: Vec<CertSubject> = request
            .cert_subjects
            .iter()
            .map(|subject| CertSubject { ca_id: ca.clone(), subject: subject.clone() })
            .collect();
        let id = format!("prn_{:016x}", rand::random::<u64>());
        let action = action.target(id.clone());
        self.change(call, action, async {
            Ok(self.store.create_principal(org, id, request.name, request.kind, subjects).await?)
        })
        .await
    }

    /// The role bindings on a tenant.
    pub async fn list_bindings(&self, call: &AdminCall, tenant: TenantId) -> Result<Vec<RoleBinding>, AdminError> {
        let action = Action::new("binding.list").tenant(tenant).target(format!("tenant {tenant}"));
        let caller = self.caller(call, &action).await?;
        self.tenant_access(call, &caller, &action, tenant, Permission::AdminRead, false).await?;
        self.read(call, action, async { Ok(self.store.list_bindings(tenant).await?) }).await
    }

    /// Grants (`grant = true`) or revokes a role on a tenant: both follow the one rule (the
    /// caller must be able to grant the binding's role there).
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
        if let Err(error) = check_principal_id(&binding.principal_id) {
            return self.refuse(call, &action, error).await;
        }
        let caller = self.caller(call, &action).await?;
        let (facts, _) = self.tenant_access(call, &caller, &action, tenant, Permission::BindingsManage, true).await?;
        if grant && self.store.get_principal(facts.tenant.org_id, binding.principal_id.clone()).await?.is_none() {
            return self.refuse(call, &action, not_a_principal(&binding.principal_id, facts.tenant.org_id)).await;
        }
        let target = TargetPower::of_binding(facts.tenant.org_id, &binding);
        if let Err(refusal) = may_act_on(&caller, Permission::BindingsManage, &target, std::slice::from_ref(&facts)) {
            return self.refuse_rule(call, &action, tenant, refusal).await;
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

    fn owners_action(name: &'static str, org: OrgId) -> Action {
        Action::new(name).target(format!("organisation {org}"))
    }

    /// The caller, when it may manage `org`'s owners; `principal` (the one a grant or revocation
    /// names) must be a well-formed principal id.
    async fn owner_access(
        &self,
        call: &AdminCall,
        action: &Action,
        org: OrgId,
        principal: Option<&str>,
    ) -> Result<Caller, AdminError> {
        let caller = self.caller(call, action).await?;
        if let Some(Err(error)) = principal.map(check_principal_id) {
            return self.refuse(call, action, error).await;
        }
        let foreign = caller.org().is_some_and(|own| own != org) && !caller.manages_orgs();
        if foreign || self.store.get_org(org).await?.is_none() {
            let reason = format!("organisation {org} is unknown or another organisation");
            return self.refuse_because(call, action, AdminError::NotFound, reason).await;
        }
        if !caller.owns(org) && !caller.manages_orgs() {
            let reason = format!("only owners of organisation {org} manage its owners");
            return self.refuse_because(call, action, AdminError::Forbidden { required_scopes: vec![] }, reason).await;
        }
        Ok(caller)
    }

    /// The owners of an organisation (for its owners, the operator and owners of organisation
    /// 1, who manage organisations).
    pub async fn list_org_owners(&self, call: &AdminCall, org: OrgId) -> Result<Vec<String>, AdminError> {
        let action = Self::owners_action("org_owner.list", org);
        self.owner_access(call, &action, org, None).await?;
        self.read(call, action, async { Ok(self.store.org_owners(org).await?) }).await
    }

    /// Makes a principal of the organisation one of its owners.
    pub async fn grant_org_owner(&self, call: &AdminCall, org: OrgId, request: OwnerRequest) -> Result<(), AdminError> {
        let action = Self::owners_action("org_owner.grant", org).details(json!({"principal_id": request.principal_id}));
        self.owner_access(call, &action, org, Some(&request.principal_id)).await?;
        if self.store.get_principal(org, request.principal_id.clone()).await?.is_none() {
            return self.refuse(call, &action, not_a_principal(&request.principal_id, org)).await;
        }
        self.change(call, action, async { Ok(self.store.grant_org_owner(org, request.principal_id).await?) }).await
    }

    /// Removes an owner; the last one is removed only by the operator.
    pub async fn revoke_org_owner(
        &self,
        call: &AdminCall,
        org: OrgId,
        request: OwnerRequest,
    ) -> Result<bool, AdminError> {
        let action =
            Self::owners_action("org_owner.revoke", org).details(json!({"principal_id": request.principal_id}));
        let caller = self.owner_access(call, &action, org, Some(&request.principal_id)).await?;
        let owners = self.store.org_owners(org).await?;
        if !matches!(caller, Caller::Operator(_)) && owners == [request.principal_id.clone()] {
            let error =
                AdminError::Conflict("the last owner of an organisation is removed only by the operator".into());
            return self.refuse(call, &action, error).await;
        }
        self.change(call, action, async { Ok(self.store.revoke_org_owner(org, request.principal_id).await?) }).await
    }
}
