// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The enterprise `TenantResolver`: a call is allowed on exactly the tenant and namespace it
//! names when the tenant exists and is active, the credential is bound to it, the namespace
//! exists (and is not archived, for writes), the client IP is inside the tenant's allowlist and
//! one of the principal's roles there holds the tool's permission (and, for scope-limited
//! tokens, the token carries its scope). Checks run in that order, so the `insufficient_scope`
//! answer, which names scopes, is given only to a caller already bound to the tenant.

use std::net::IpAddr;
use std::sync::Arc;

use decision_gate_enterprise_control::{NamespaceStatus, Role, TenantStatus};
use decision_gate_mcp::auth::Principal;
use decision_gate_mcp::pipeline::{AuthorizedScope, CallContext, TenantDecision, TenantRequest, TenantResolver};
use futures::future::BoxFuture;

use crate::cache::ControlView;
use crate::permissions::{Permission, role_has};

/// The enterprise resolver.
#[derive(Debug)]
pub struct EnterpriseTenantResolver {
    view: Arc<ControlView>,
}

/// Whether a principal holds a permission on a tenant and namespace (its roles there, and, when
/// the credential carries scopes, the permission's scope).
pub fn holds(principal: &Principal, permission: Permission, request: &TenantRequest) -> bool {
    let by_role = principal
        .roles_in_scope(request.tenant_id, request.namespace_id)
        .iter()
        .filter_map(|name| name.parse::<Role>().ok())
        .any(|role| role_has(role, permission));
    let by_scope = principal.scopes.is_empty() || principal.scopes.iter().any(|scope| *scope == permission.scope());
    by_role && by_scope
}

fn ip_allowed(allowlist: &[ipnet::IpNet], ip: Option<IpAddr>) -> Result<(), String> {
    if allowlist.is_empty() {
        return Ok(());
    }
    match ip {
        Some(ip) if allowlist.iter().any(|network| network.contains(&ip)) => Ok(()),
        Some(ip) => Err(format!("client ip {ip} is outside the tenant's allowlist")),
        None => Err("the tenant has an ip allowlist and the caller has no client ip (stdio)".to_owned()),
    }
}

impl EnterpriseTenantResolver {
    /// A resolver over the cached control view.
    pub fn new(view: Arc<ControlView>) -> Self {
        EnterpriseTenantResolver { view }
    }

    /// The decision for one call.
    pub async fn decide(&self, ctx: &CallContext, request: &TenantRequest) -> TenantDecision {
        let tenant = request.tenant_id;
        let facts = match self.view.tenant(tenant).await {
            Ok(Some(facts)) => facts,
            Ok(None) => return TenantDecision::deny(format!("tenant {tenant} is unknown")),
            Err(error) => return TenantDecision::deny(format!("control store unavailable: {error}")),
        };
        match facts.tenant.status {
            TenantStatus::Active => {}
            TenantStatus::Suspended => return TenantDecision::deny(format!("tenant {tenant} is suspended")),
            TenantStatus::Deleted => return TenantDecision::deny(format!("tenant {tenant} is deleted")),
        }
        let principal = &ctx.principal;
        if principal.org_id != Some(facts.tenant.org_id) || !principal.reaches(tenant, request.namespace_id) {
            let place = match request.namespace_id {
                Some(namespace) => format!("tenant {tenant} namespace {namespace}"),
                None => format!("tenant {tenant}"),
            };
            return TenantDecision::deny(format!("credential is not bound to {place}"));
        }
        if let Some(namespace) = request.namespace_id {
            match self.view.namespace(tenant, namespace).await {
                Ok(Some(found)) if found.status == NamespaceStatus::Archived && request.writes => {
                    return TenantDecision::deny(format!("namespace {namespace} is archived (read-only)"));
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    return TenantDecision::deny(format!("namespace {namespace} of tenant {tenant} is unknown"));
                }
                Err(error) => return TenantDecision::deny(format!("control store unavailable: {error}")),
            }
        }
        if let Err(reason) = ip_allowed(&facts.allowlist, ctx.client_ip) {
            return TenantDecision::deny(reason);
        }
        let Some(permission) = Permission::for_tool(request.tool) else {
            return TenantDecision::deny(format!("tool {} has no permission", request.tool));
        };
        if !holds(principal, permission, request) {
            return TenantDecision::Deny {
                reason: format!("no role of the principal grants {} here", permission.as_str()),
                required_scopes: vec![permission.scope()],
            };
        }
        let reason = if principal.is_multi_tenant() {
            format!("allowed by {} (multi-tenant credential)", permission.as_str())
        } else {
            format!("allowed by {}", permission.as_str())
        };
        TenantDecision::allow(AuthorizedScope { tenant, namespace: request.namespace_id }, reason)
    }
}

impl TenantResolver for EnterpriseTenantResolver {
    fn resolve<'a>(&'a self, ctx: &'a CallContext, request: &'a TenantRequest) -> BoxFuture<'a, TenantDecision> {
        Box::pin(self.decide(ctx, request))
    }
}
