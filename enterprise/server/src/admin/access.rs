// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Who may administer what (see the module documentation of `admin`).

use decision_gate_core::ids::TenantId;
use decision_gate_enterprise_authz::{Permission, may_grant, role_has};
use decision_gate_enterprise_control::{OrgId, Role, Tenant};
use decision_gate_mcp::auth::Principal;

use super::{Action, Actor, AdminCall, AdminError, AdminService};

/// The operator's own organisation: its owners also manage organisations.
pub(crate) const OPERATOR_ORG: OrgId = 1;

fn roles(principal: &Principal) -> impl Iterator<Item = (Role, Option<TenantId>, bool)> + '_ {
    principal.roles.iter().filter_map(|grant| {
        grant.role.parse::<Role>().ok().map(|role| (role, grant.tenant_id, grant.namespace_id.is_none()))
    })
}

fn scope_allows(principal: &Principal, permission: Permission) -> bool {
    principal.scopes.is_empty() || principal.scopes.iter().any(|scope| *scope == permission.scope())
}

/// Whether a principal owns its organisation (holds `owner` on any of its tenants).
fn is_owner(principal: &Principal) -> bool {
    roles(principal).any(|(role, _, _)| role == Role::Owner)
}

/// The roles a principal holds on a tenant as a whole.
fn tenant_roles(principal: &Principal, tenant: TenantId) -> Vec<Role> {
    roles(principal).filter(|(_, bound, whole)| *bound == Some(tenant) && *whole).map(|(role, _, _)| role).collect()
}

/// Whether the actor holds `permission` for a tenant.
pub(crate) fn permits(actor: &Actor, permission: Permission, tenant: &Tenant) -> bool {
    match actor {
        Actor::Operator(_) => true,
        Actor::Principal(principal) => {
            principal.org_id == Some(tenant.org_id)
                && scope_allows(principal, permission)
                && (is_owner(principal)
                    || tenant_roles(principal, tenant.tenant_id).into_iter().any(|role| role_has(role, permission)))
        }
    }
}

/// Whether the actor may hand out `role` on a tenant (no one grants more than it holds).
pub(crate) fn may_grant_on(actor: &Actor, role: Role, tenant: &Tenant) -> bool {
    match actor {
        Actor::Operator(_) => true,
        Actor::Principal(principal) if is_owner(principal) => principal.org_id == Some(tenant.org_id),
        Actor::Principal(principal) => {
            tenant_roles(principal, tenant.tenant_id).into_iter().any(|held| may_grant(held, role))
        }
    }
}

/// The actor's organisation (`None` for operators, who act on any).
pub(crate) fn own_org(actor: &Actor) -> Option<OrgId> {
    match actor {
        Actor::Operator(_) => None,
        Actor::Principal(principal) => principal.org_id,
    }
}

/// Whether the actor manages organisations: an operator, or an owner in the operator's org.
pub(crate) fn manages_orgs(actor: &Actor) -> bool {
    match actor {
        Actor::Operator(_) => true,
        Actor::Principal(principal) => principal.org_id == Some(OPERATOR_ORG) && is_owner(principal),
    }
}

/// Whether the actor owns an organisation (operators own every one).
pub(crate) fn owns_org(actor: &Actor, org: OrgId) -> bool {
    match actor {
        Actor::Operator(_) => true,
        Actor::Principal(principal) => principal.org_id == Some(org) && is_owner(principal),
    }
}

impl AdminService {
    /// The tenant, when the caller may act on it with `permission`: another organisation's,
    /// an unknown or an unreadable tenant is "not found"; a readable one without the
    /// permission is "forbidden" with the permission's scope. Refusals are audited.
    pub(crate) async fn tenant_access(
        &self,
        call: &AdminCall,
        action: &Action,
        tenant: TenantId,
        permission: Permission,
    ) -> Result<Tenant, AdminError> {
        let found = match self.store.get_tenant(tenant).await {
            Ok(found) => found,
            Err(error) => return self.refuse(call, action, error.into()).await,
        };
        let Some(found) = found.filter(|found| permits(&call.actor, Permission::AdminRead, found)) else {
            return self.refuse(call, action, AdminError::NotFound).await;
        };
        if !permits(&call.actor, permission, &found) {
            return self
                .refuse(call, action, AdminError::Forbidden { required_scopes: vec![permission.scope()] })
                .await;
        }
        Ok(found)
    }
}
