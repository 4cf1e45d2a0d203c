// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Who may administer what: one rule for every admin operation, decided by the power of the
//! target (`../shared/spec/enterprise.md` §3.1a).
//!
//! The caller's power is read afresh from the control store for every admin call (not from the
//! credential cache): its credential must still be valid, and only these count:
//! - the **operator** at the command line: everything (break-glass), lifecycle authority
//!   `operator`;
//! - **organisation ownership**: the organisation-level owner binding, held by the principal
//!   and, for an API key, carried by the key (`org_owner`). It gives the `owner` role on every
//!   tenant of the organisation, the tenants' lifecycle (authority `owner`), the organisation's
//!   principals and owners. It survives the deletion of any tenant.
//! - **whole-tenant role grants** (a key's roles on each of its tenants, a certificate
//!   principal's bindings) on tenants that are not deleted. A namespace-limited grant
//!   administers nothing. A suspended tenant's grants read (with `admin.read`) but write nothing.
//!
//! A deleted tenant is gone from the admin API ("not found"); only the operator reads it.
//! Every tenant is fenced by its IP allowlist: from outside it, the tenant is invisible to
//! every principal (operators at the command line are not fenced). An invisible tenant is "not
//! found", exactly like one that does not exist. On a visible tenant, a caller may create,
//! rotate, revoke or bind a credential or binding only if it holds the action's permission and
//! could grant every role the target holds or will hold there ([`may_grant`]); only owners act
//! on owner credentials and bindings, only organisation owners on organisation-owner keys.

use std::net::IpAddr;

use decision_gate_core::ids::TenantId;
use decision_gate_enterprise_authz::{Permission, may_grant, role_has};
use decision_gate_enterprise_control::{
    ApiKeyMetadata, LifecycleAuthority, OrgId, PrincipalKind, PrincipalRecord, Role, RoleBinding, Tenant, TenantStatus,
};
use ipnet::IpNet;

/// The operator's own organisation: its owners also manage organisations.
pub(crate) const OPERATOR_ORG: OrgId = 1;

/// The caller of one admin call, with its power as the store has it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The operator at the command line.
    Operator(String),
    /// An authenticated principal.
    Principal(PrincipalPower),
}

/// A principal's administrative power.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PrincipalPower {
    /// Principal id.
    pub principal_id: String,
    /// Organisation.
    pub org: OrgId,
    /// Holds (and, for a key, carries) the organisation-level owner binding.
    pub owns_org: bool,
    /// Whole-tenant role grants (namespace-limited grants are left out: they administer
    /// nothing).
    pub grants: Vec<(TenantId, Role)>,
    /// Token scopes (`dg:<permission>`; empty: not limited by scopes).
    pub scopes: Vec<String>,
    /// Client IP after the trusted-proxy rule.
    pub client_ip: Option<IpAddr>,
}

/// A tenant with what the rule needs of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TenantFacts {
    /// The tenant.
    pub tenant: Tenant,
    /// Its client-IP allowlist (empty: any address).
    pub allowlist: Vec<IpNet>,
}

/// What a caller may do on one tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TenantPower {
    /// The roles it holds there (organisation owners and operators: `owner`).
    pub roles: Vec<Role>,
    /// Whether it may change anything there (no write on a deleted tenant, and none through
    /// grants of a suspended one).
    pub writable: bool,
    scopes: Vec<String>,
}

/// Why a write on a visible tenant is refused, before any permission is looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WriteBlock {
    /// The tenant is suspended and the caller's power comes from its own grants there.
    Suspended,
    /// The tenant is deleted (terminal).
    Deleted,
}

impl TenantPower {
    /// Whether one of the roles holds `permission` (and the token's scopes allow it).
    pub fn permits(&self, permission: Permission) -> bool {
        let scoped = self.scopes.is_empty() || self.scopes.iter().any(|scope| *scope == permission.scope());
        scoped && self.roles.iter().any(|role| role_has(*role, permission))
    }

    /// Whether one of the roles could grant every role of `targets` (no one grants more than it
    /// holds; only owners grant `owner`).
    pub fn may_grant_all(&self, targets: &[Role]) -> bool {
        targets.iter().all(|target| self.roles.iter().any(|held| may_grant(*held, *target)))
    }
}

/// Whether a client IP is inside an allowlist (empty: any address; no IP: outside a non-empty one).
pub(crate) fn allowed_from(allowlist: &[IpNet], ip: Option<IpAddr>) -> bool {
    allowlist.is_empty() || ip.is_some_and(|ip| allowlist.iter().any(|network| network.contains(&ip)))
}

impl Caller {
    /// The principal id audit records and `issued_by` name.
    pub fn id(&self) -> String {
        match self {
            Caller::Operator(name) => format!("operator:{name}"),
            Caller::Principal(power) => power.principal_id.clone(),
        }
    }

    /// The caller's organisation (`None`: the operator, who acts on every one).
    pub fn org(&self) -> Option<OrgId> {
        match self {
            Caller::Operator(_) => None,
            Caller::Principal(power) => Some(power.org),
        }
    }

    /// Whether the caller owns `org` (operators own every organisation).
    pub fn owns(&self, org: OrgId) -> bool {
        match self {
            Caller::Operator(_) => true,
            Caller::Principal(power) => power.owns_org && power.org == org,
        }
    }

    /// Whether the caller manages organisations: the operator, or an owner of organisation 1.
    pub fn manages_orgs(&self) -> bool {
        self.owns(OPERATOR_ORG)
    }

    /// The lifecycle authority of the caller on `org`'s tenants, if it has one.
    pub fn lifecycle_authority(&self, org: OrgId) -> Option<LifecycleAuthority> {
        match self {
            Caller::Operator(_) => Some(LifecycleAuthority::Operator),
            Caller::Principal(_) if self.owns(org) => Some(LifecycleAuthority::Owner),
            Caller::Principal(_) => None,
        }
    }

    /// What the caller may do on a tenant; `None` when the tenant is invisible to it (another
    /// organisation's, outside the allowlist, no grant with `admin.read`, or deleted: only the
    /// operator still sees a deleted tenant).
    pub fn power(&self, facts: &TenantFacts) -> Option<TenantPower> {
        let tenant = &facts.tenant;
        let deleted = tenant.status == TenantStatus::Deleted;
        let power = match self {
            Caller::Operator(_) => TenantPower { roles: vec![Role::Owner], writable: !deleted, scopes: Vec::new() },
            Caller::Principal(power) => {
                // A deleted tenant is gone from the admin API (the operator still reads it).
                if deleted || power.org != tenant.org_id || !allowed_from(&facts.allowlist, power.client_ip) {
                    return None;
                }
                if power.owns_org {
                    TenantPower { roles: vec![Role::Owner], writable: true, scopes: power.scopes.clone() }
                } else {
                    let roles: Vec<Role> = power
                        .grants
                        .iter()
                        .filter(|(bound, _)| *bound == tenant.tenant_id)
                        .map(|(_, role)| *role)
                        .collect();
                    TenantPower { roles, writable: tenant.status == TenantStatus::Active, scopes: power.scopes.clone() }
                }
            }
        };
        power.permits(Permission::AdminRead).then_some(power)
    }

    /// Why writes on a visible tenant are refused (`None`: they are not).
    pub fn write_block(&self, facts: &TenantFacts, power: &TenantPower) -> Option<WriteBlock> {
        if power.writable {
            None
        } else if facts.tenant.status == TenantStatus::Deleted {
            Some(WriteBlock::Deleted)
        } else {
            Some(WriteBlock::Suspended)
        }
    }

    /// Whether the caller is `principal` itself.
    pub fn is(&self, principal: &str) -> bool {
        matches!(self, Caller::Principal(power) if power.principal_id == principal)
    }
}

/// A credential or binding as the rule sees it: the tenants it reaches, the roles it holds
/// there, and whether it carries organisation ownership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TargetPower {
    /// Organisation.
    pub org: OrgId,
    /// Tenants (deleted ones confer nothing and are ignored).
    pub tenants: Vec<TenantId>,
    /// Roles on each.
    pub roles: Vec<Role>,
    /// Organisation ownership.
    pub org_owner: bool,
}

impl TargetPower {
    /// A key's power.
    pub fn of_key(key: &ApiKeyMetadata) -> Self {
        TargetPower {
            org: key.org_id,
            tenants: key.tenants.clone(),
            roles: key.roles.clone(),
            org_owner: key.org_owner,
        }
    }

    /// A binding's power (`org`: its tenant's organisation).
    pub fn of_binding(org: OrgId, binding: &RoleBinding) -> Self {
        TargetPower { org, tenants: vec![binding.tenant_id], roles: vec![binding.role], org_owner: false }
    }
}

/// Why the caller may not act on a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A tenant the target reaches is invisible to the caller.
    Hidden(TenantId),
    /// The tenant refuses writes.
    Blocked(TenantId, WriteBlock),
    /// The caller lacks the action's permission on a tenant.
    Permission(TenantId, Permission),
    /// The target holds a role the caller could not grant (or organisation ownership).
    Stronger(String),
}

/// The one rule: whether `caller` may create, rotate, revoke or bind `target` with
/// `permission`, given the facts of every tenant the target reaches (`tenants` must hold each
/// one; unknown or deleted tenants are skipped, since they confer nothing).
pub(crate) fn may_act_on(
    caller: &Caller,
    permission: Permission,
    target: &TargetPower,
    tenants: &[TenantFacts],
) -> Result<(), Refusal> {
    if target.org_owner && !caller.owns(target.org) {
        return Err(Refusal::Stronger("organisation ownership".to_owned()));
    }
    for tenant in &target.tenants {
        let Some(facts) = tenants.iter().find(|facts| facts.tenant.tenant_id == *tenant) else { continue };
        if facts.tenant.status == TenantStatus::Deleted {
            continue;
        }
        let Some(power) = caller.power(facts) else { return Err(Refusal::Hidden(*tenant)) };
        if let Some(block) = caller.write_block(facts, &power) {
            return Err(Refusal::Blocked(*tenant, block));
        }
        if !power.permits(permission) {
            return Err(Refusal::Permission(*tenant, permission));
        }
        if !power.may_grant_all(&target.roles) {
            let names: Vec<&str> = target.roles.iter().map(|role| role.as_str()).collect();
            return Err(Refusal::Stronger(format!("roles {} on tenant {tenant}", names.join(", "))));
        }
    }
    Ok(())
}

/// What is known about a principal the caller wants to act for (issue or rotate a key of).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PrincipalFacts {
    /// The principal.
    pub principal: PrincipalRecord,
    /// Whether it owns its organisation.
    pub owns_org: bool,
    /// Its bindings.
    pub bindings: Vec<RoleBinding>,
    /// Its keys.
    pub keys: Vec<ApiKeyMetadata>,
}

/// Whether `caller` manages `principal`: itself; any principal of an organisation it owns; or
/// a service principal that owns nothing and all of whose bindings and live keys the caller
/// could itself create (`tenants` holds the facts of every tenant they reach).
pub(crate) fn manages(caller: &Caller, principal: &PrincipalFacts, tenants: &[TenantFacts]) -> bool {
    let record = &principal.principal;
    if caller.is(&record.principal_id) || caller.owns(record.org_id) {
        return caller.org().is_none_or(|org| org == record.org_id);
    }
    if record.kind != PrincipalKind::Service || principal.owns_org || caller.org() != Some(record.org_id) {
        return false;
    }
    let bindings_ok = principal.bindings.iter().all(|binding| {
        let target = TargetPower::of_binding(record.org_id, binding);
        may_act_on(caller, Permission::BindingsManage, &target, tenants).is_ok()
    });
    let keys_ok = principal
        .keys
        .iter()
        .filter(|key| key.revoked_at_ms.is_none())
        .all(|key| may_act_on(caller, Permission::KeysManage, &TargetPower::of_key(key), tenants).is_ok());
    bindings_ok && keys_ok
}

#[cfg(test)]
#[path = "authority_tests.rs"]
mod tests;
