//! Authentication: who is calling, and what their configured roles are.

mod authenticate;
mod registry_acl;

use std::net::{IpAddr, SocketAddr};

use decision_gate_core::ids::{NamespaceId, TenantId};
use serde::Serialize;

use crate::config::{PrincipalConfig, RoleBinding};

pub use authenticate::{
    AuthFailure, AuthFailureStatus, AuthOutcome, AuthRequest, Authenticator, ClientCertIdentity, ConfigAuthenticator,
    MAX_AUTHORIZATION_BYTES, MAX_CLIENT_SUBJECT_BYTES, TrustedProxies,
};
pub use registry_acl::{AclDecision, RegistryAcl, RegistryAclRequest};

/// Transport a request arrived on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportLabel {
    /// stdin/stdout.
    Stdio,
    /// HTTP (`/mcp`, `/rpc`).
    Http,
    /// HTTP with SSE framing of `/rpc`.
    Sse,
}

impl TransportLabel {
    /// The label.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportLabel::Stdio => "stdio",
            TransportLabel::Http => "http",
            TransportLabel::Sse => "sse",
        }
    }
}

/// How a principal authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// stdio or loopback HTTP in `local_only` mode.
    Local,
    /// A configured bearer token (or an enterprise credential).
    BearerToken,
    /// A verified client certificate subject.
    MtlsSubject,
}

impl AuthMethod {
    /// The audit label.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Local => "local",
            AuthMethod::BearerToken => "bearer_token",
            AuthMethod::MtlsSubject => "mtls_subject",
        }
    }
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// How it authenticated.
    pub method: AuthMethod,
    /// Subject: `stdio`, `loopback`, or the mTLS identity.
    pub subject: Option<String>,
    /// SHA-256 hex of a bearer token.
    pub token_fingerprint: Option<String>,
    /// Whether the caller is local (stdio, or a loopback peer that is not a trusted proxy).
    pub local: bool,
    /// Tenants the credential is bound to (enterprise credentials; empty = from configuration).
    pub bound_tenants: Vec<TenantId>,
}

impl Principal {
    /// The stdio principal.
    pub fn stdio() -> Self {
        Principal {
            method: AuthMethod::Local,
            subject: Some("stdio".to_owned()),
            token_fingerprint: None,
            local: true,
            bound_tenants: Vec::new(),
        }
    }

    /// The loopback HTTP principal of `local_only` mode.
    pub fn loopback() -> Self {
        Principal { subject: Some("loopback".to_owned()), ..Principal::stdio() }
    }

    /// Principal id (mcp-surface §5.5): the subject, else `token:<fingerprint>`, else
    /// `local` / `token:unknown` / `mtls:unknown`.
    pub fn principal_id(&self) -> String {
        if let Some(subject) = &self.subject {
            return subject.clone();
        }
        if let Some(fingerprint) = &self.token_fingerprint {
            return format!("token:{fingerprint}");
        }
        match self.method {
            AuthMethod::Local => "local".to_owned(),
            AuthMethod::BearerToken => "token:unknown".to_owned(),
            AuthMethod::MtlsSubject => "mtls:unknown".to_owned(),
        }
    }
}

/// Configured roles and policy class of principals, looked up by exact principal id.
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

    /// Role names the principal holds for a tenant and namespace (bindings whose set scopes
    /// equal the request's; unset scopes are wildcards).
    pub fn roles_in_scope(
        &self,
        principal_id: &str,
        tenant: Option<TenantId>,
        namespace: Option<NamespaceId>,
    ) -> Vec<String> {
        self.lookup(principal_id)
            .map(|entry| {
                entry
                    .roles
                    .iter()
                    .filter(|binding| binding_applies(binding, tenant, namespace))
                    .map(|binding| binding.name.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The single tenant every role binding of the principal names, if there is exactly one.
    pub fn single_bound_tenant(&self, principal_id: &str) -> Option<TenantId> {
        let entry = self.lookup(principal_id)?;
        let mut tenants = entry.roles.iter().map(|binding| binding.tenant_id);
        let first = tenants.next()??;
        if tenants.all(|tenant| tenant == Some(first)) { TenantId::new(first) } else { None }
    }
}

fn binding_applies(binding: &RoleBinding, tenant: Option<TenantId>, namespace: Option<NamespaceId>) -> bool {
    let tenant_ok = binding.tenant_id.is_none_or(|wanted| tenant.is_some_and(|t| t.get() == wanted));
    let namespace_ok = binding.namespace_id.is_none_or(|wanted| namespace.is_some_and(|n| n.get() == wanted));
    tenant_ok && namespace_ok
}

/// Where a request came from, as seen by the transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// TCP peer (HTTP only).
    pub peer: Option<SocketAddr>,
    /// Client IP used for rate limiting (the peer, or the forwarded address behind a trusted proxy).
    pub client_ip: Option<IpAddr>,
}

#[cfg(test)]
mod tests;
