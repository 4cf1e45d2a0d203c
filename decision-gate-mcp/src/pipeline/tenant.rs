//! The `TenantResolver` seam: may this caller act on this tenant and namespace, and if so, on
//! which scope exactly?

use std::collections::BTreeSet;

use decision_gate_core::ids::{NamespaceId, TenantId};
use futures::future::BoxFuture;

use super::CallContext;

/// One tenant question: the tool and the ids the call acts on (the tenant it names, or the
/// resolver's default when it names none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantRequest {
    /// Tool name.
    pub tool: &'static str,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace named by the call (`None` for tenant-level tools such as provider discovery).
    pub namespace_id: Option<NamespaceId>,
    /// Whether the tool writes (an archived namespace refuses writes).
    pub writes: bool,
}

/// The tenant and namespace a call is authorized to act on. Handlers use this value, never
/// the ids of their arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AuthorizedScope {
    /// Tenant.
    pub tenant: TenantId,
    /// Namespace (`None` for tenant-level tools).
    pub namespace: Option<NamespaceId>,
}

/// The resolver's answer. Reasons go only to the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantDecision {
    /// Allowed on exactly this scope.
    Allow {
        /// The authorized scope: always the request's tenant and namespace (the router refuses
        /// any other).
        scope: AuthorizedScope,
        /// Audit reason.
        reason: String,
    },
    /// Denied.
    Deny {
        /// Audit reason.
        reason: String,
        /// Every OAuth scope the call would need, when the denial is a missing permission
        /// (HTTP transports answer 403 `insufficient_scope` listing them).
        required_scopes: Vec<String>,
    },
}

impl TenantDecision {
    /// An allow decision.
    pub fn allow(scope: AuthorizedScope, reason: impl Into<String>) -> Self {
        TenantDecision::Allow { scope, reason: reason.into() }
    }

    /// A deny decision.
    pub fn deny(reason: impl Into<String>) -> Self {
        TenantDecision::Deny { reason: reason.into(), required_scopes: Vec::new() }
    }

    /// Whether the call may proceed.
    pub fn allowed(&self) -> bool {
        matches!(self, TenantDecision::Allow { .. })
    }

    /// The audit reason.
    pub fn reason(&self) -> &str {
        match self {
            TenantDecision::Allow { reason, .. } | TenantDecision::Deny { reason, .. } => reason,
        }
    }
}

/// Decides whether a call may touch a tenant and namespace. Contract: deterministic, no side
/// effects besides audit, fails closed on missing context, never re-scopes silently (a call
/// that names a tenant is allowed on that tenant or denied).
pub trait TenantResolver: Send + Sync {
    /// The tenant a call acts on when it names none (`None`: the call must name one). Default:
    /// the principal's single bound tenant.
    fn default_tenant(&self, ctx: &CallContext) -> Option<TenantId> {
        ctx.principal.single_tenant()
    }

    /// Resolves one call.
    fn resolve<'a>(&'a self, ctx: &'a CallContext, request: &'a TenantRequest) -> BoxFuture<'a, TenantDecision>;
}

/// Open-source default: a fixed set of served tenants from `[tenancy] tenants` (default `[1]`;
/// empty serves every tenant, as Decision Gate OSS does), narrowed by the principal's bindings:
/// a credential bound to tenants (or holding roles scoped to tenants and namespaces) reaches
/// only those, even when the server serves more. A call that names no tenant gets the
/// principal's single bound tenant, else the single served tenant.
#[derive(Clone, Debug)]
pub struct ConfiguredTenantResolver {
    tenants: BTreeSet<TenantId>,
}

impl ConfiguredTenantResolver {
    /// Serves exactly these tenants (empty = any tenant).
    pub fn new(tenants: impl IntoIterator<Item = TenantId>) -> Self {
        ConfiguredTenantResolver { tenants: tenants.into_iter().collect() }
    }

    /// The decision for one call.
    pub fn decide(&self, ctx: &CallContext, request: &TenantRequest) -> TenantDecision {
        let tenant = request.tenant_id;
        if !self.tenants.is_empty() && !self.tenants.contains(&tenant) {
            return TenantDecision::deny(format!("tenant {tenant} is not served by this server"));
        }
        if !ctx.principal.reaches(tenant, request.namespace_id) {
            let place = match request.namespace_id {
                Some(namespace) => format!("tenant {tenant} namespace {namespace}"),
                None => format!("tenant {tenant}"),
            };
            return TenantDecision::deny(format!("principal is not bound to {place}"));
        }
        TenantDecision::allow(AuthorizedScope { tenant, namespace: request.namespace_id }, "tenant served")
    }
}

impl TenantResolver for ConfiguredTenantResolver {
    fn default_tenant(&self, ctx: &CallContext) -> Option<TenantId> {
        ctx.principal.single_tenant().or_else(|| {
            let mut served = self.tenants.iter();
            match (served.next(), served.next()) {
                (Some(single), None) => Some(*single),
                _ => None,
            }
        })
    }

    fn resolve<'a>(&'a self, ctx: &'a CallContext, request: &'a TenantRequest) -> BoxFuture<'a, TenantDecision> {
        Box::pin(std::future::ready(self.decide(ctx, request)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AuthMethod, Principal, RoleGrant, TenantBinding};

    fn t(n: u64) -> TenantId {
        TenantId::new(n).unwrap()
    }

    fn ns(n: u64) -> NamespaceId {
        NamespaceId::new(n).unwrap()
    }

    fn ctx(principal: Principal) -> CallContext {
        CallContext { principal, ..CallContext::local("dg-test") }
    }

    fn request(tenant: u64, namespace: Option<u64>) -> TenantRequest {
        TenantRequest { tool: "scenario_status", tenant_id: t(tenant), namespace_id: namespace.map(ns), writes: false }
    }

    fn token(tenants: TenantBinding, roles: Vec<RoleGrant>) -> Principal {
        Principal { token_fingerprint: Some("ab".into()), tenants, roles, ..Principal::new(AuthMethod::BearerToken) }
    }

    fn grant(role: &str, tenant: Option<u64>, namespace: Option<u64>) -> RoleGrant {
        RoleGrant { role: role.into(), tenant_id: tenant.map(t), namespace_id: namespace.map(ns) }
    }

    #[test]
    fn a_credential_bound_to_one_tenant_is_denied_on_another_served_tenant() {
        let resolver = ConfiguredTenantResolver::new([t(1), t(2)]);
        let bound = ctx(token(TenantBinding::Only(vec![t(1)]), vec![grant("agent", Some(1), None)]));
        let allowed = resolver.decide(&bound, &request(1, Some(3)));
        assert_eq!(
            allowed,
            TenantDecision::allow(AuthorizedScope { tenant: t(1), namespace: Some(ns(3)) }, "tenant served")
        );
        assert_eq!(
            resolver.decide(&bound, &request(2, Some(1))),
            TenantDecision::deny("principal is not bound to tenant 2 namespace 1")
        );
        // Omitted tenant: the single binding.
        assert_eq!(resolver.default_tenant(&bound), Some(t(1)));
    }

    #[test]
    fn role_grants_limit_namespaces() {
        let resolver = ConfiguredTenantResolver::new([]);
        let scoped = ctx(token(TenantBinding::Only(vec![t(4)]), vec![grant("viewer", Some(4), Some(2))]));
        assert!(resolver.decide(&scoped, &request(4, Some(2))).allowed());
        assert_eq!(
            resolver.decide(&scoped, &request(4, Some(3))),
            TenantDecision::deny("principal is not bound to tenant 4 namespace 3")
        );
        // A tenant-level call (no namespace) is allowed when a grant names the tenant.
        assert!(resolver.decide(&scoped, &request(4, None)).allowed());
        // Bound to tenants but holding no role: nothing.
        let roleless = ctx(token(TenantBinding::Only(vec![t(4)]), vec![]));
        assert!(!resolver.decide(&roleless, &request(4, Some(2))).allowed());
    }

    #[test]
    fn unbound_credentials_reach_the_served_tenants_only() {
        let resolver = ConfiguredTenantResolver::new([t(1), t(2)]);
        let unbound = ctx(token(TenantBinding::Unbound, vec![]));
        assert!(resolver.decide(&unbound, &request(2, Some(1))).allowed());
        assert_eq!(
            resolver.decide(&unbound, &request(3, Some(1))),
            TenantDecision::deny("tenant 3 is not served by this server")
        );
        assert_eq!(resolver.default_tenant(&unbound), None, "two served tenants: the call must name one");
        assert_eq!(ConfiguredTenantResolver::new([t(7)]).default_tenant(&unbound), Some(t(7)));
    }
}
