//! The `TenantResolver` seam: may this caller act on this tenant and namespace?

use std::collections::BTreeSet;

use decision_gate_core::ids::{NamespaceId, TenantId};
use futures::future::BoxFuture;

use super::CallContext;

/// One tenant question: the tool and the ids taken from its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantRequest {
    /// Tool name.
    pub tool: &'static str,
    /// Tenant named by the call.
    pub tenant_id: Option<TenantId>,
    /// Namespace named by the call.
    pub namespace_id: Option<NamespaceId>,
}

/// The resolver's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantDecision {
    /// Allowed or not.
    pub allowed: bool,
    /// Reason (audit only).
    pub reason: String,
}

impl TenantDecision {
    /// An allow decision.
    pub fn allow(reason: impl Into<String>) -> Self {
        TenantDecision { allowed: true, reason: reason.into() }
    }

    /// A deny decision.
    pub fn deny(reason: impl Into<String>) -> Self {
        TenantDecision { allowed: false, reason: reason.into() }
    }
}

/// Decides whether a call may touch a tenant and namespace. Contract: deterministic, no side
/// effects besides audit, fails closed on missing context.
pub trait TenantResolver: Send + Sync {
    /// Resolves one call.
    fn resolve<'a>(&'a self, ctx: &'a CallContext, request: &'a TenantRequest) -> BoxFuture<'a, TenantDecision>;
}

/// Open-source default: a fixed set of served tenants from `[tenancy] tenants` (default `[1]`).
/// A call that names no tenant, or a tenant outside the set, is denied. An empty set serves
/// every tenant (Decision Gate OSS behaviour), still denying calls that name none.
#[derive(Clone, Debug)]
pub struct ConfiguredTenantResolver {
    tenants: BTreeSet<TenantId>,
}

impl ConfiguredTenantResolver {
    /// Serves exactly these tenants (empty = any tenant).
    pub fn new(tenants: impl IntoIterator<Item = TenantId>) -> Self {
        ConfiguredTenantResolver { tenants: tenants.into_iter().collect() }
    }
}

impl TenantResolver for ConfiguredTenantResolver {
    fn resolve<'a>(&'a self, _ctx: &'a CallContext, request: &'a TenantRequest) -> BoxFuture<'a, TenantDecision> {
        let decision = match request.tenant_id {
            None => TenantDecision::deny("tenant_id missing"),
            Some(tenant) if self.tenants.is_empty() || self.tenants.contains(&tenant) => {
                TenantDecision::allow("tenant served")
            }
            Some(tenant) => TenantDecision::deny(format!("tenant {tenant} is not served by this server")),
        };
        Box::pin(std::future::ready(decision))
    }
}
