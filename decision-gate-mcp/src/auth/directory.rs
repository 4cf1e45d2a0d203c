//! Principals configured in `[[server.auth.principals]]`: their roles, tenant bindings and
//! policy class, attached to a principal when it authenticates.

use decision_gate_core::ids::{NamespaceId, TenantId};

use super::{Principal, RoleGrant, TenantBinding};
use crate::config::PrincipalConfig;

/// Configured principals, looked up by exact principal id.
#[derive(Clone, Debug, Default)]
pub struct PrincipalDirectory {
    entries: Vec<PrincipalConfig>,
}

impl PrincipalDirectory {
    /// Builds the directory from `[[server.auth.principals]]`.
    pub fn new(entries: &[PrincipalConfig]) -> Self {
        PrincipalDirectory { entries: entries.to_vec() }
    }

    /// The entry whose subject equals the principal id.
    pub fn lookup(&self, principal_id: &str) -> Option<&PrincipalConfig> {
        self.entries.iter().find(|entry| entry.subject == principal_id)
    }

    /// Attaches the configured roles, tenant binding and policy class to a principal. A
    /// principal without an entry keeps what its authenticator gave it (for configuration
    /// credentials: unbound, no roles). With an entry, the principal reaches the tenants its
    /// role bindings name (any tenant when one binding names none). A binding with an invalid
    /// id (0) grants nothing.
    pub fn attach(&self, principal: &mut Principal) {
        let Some(entry) = self.lookup(&principal.principal_id()) else {
            return;
        };
        principal.policy_class = entry.policy_class.clone();
        principal.roles = entry
            .roles
            .iter()
            .filter_map(|binding| {
                let tenant_id = match binding.tenant_id {
                    None => None,
                    Some(id) => Some(TenantId::new(id)?),
                };
                let namespace_id = match binding.namespace_id {
                    None => None,
                    Some(id) => Some(NamespaceId::new(id)?),
                };
                Some(RoleGrant { role: binding.name.clone(), tenant_id, namespace_id })
            })
            .collect();
        let named: Option<Vec<TenantId>> = principal.roles.iter().map(|grant| grant.tenant_id).collect();
        principal.tenants = match named {
            Some(mut tenants) if !entry.roles.is_empty() => {
                tenants.sort();
                tenants.dedup();
                TenantBinding::Only(tenants)
            }
            _ => TenantBinding::Unbound,
        };
    }
}
