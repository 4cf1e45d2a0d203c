//! Authentication: who is calling, with which credential, bound to which tenants and roles.

mod authenticate;
mod directory;
mod principal;
mod registry_acl;

use serde::Serialize;

pub use authenticate::{
    AuthFailure, AuthFailureStatus, AuthOutcome, AuthRequest, Authenticator, ClientCertIdentity, ConfigAuthenticator,
    MAX_AUTHORIZATION_BYTES, MAX_CLIENT_SUBJECT_BYTES, TrustedProxies, parse_network,
};
pub use directory::PrincipalDirectory;
pub use principal::{AuthMethod, Principal, RoleGrant, TenantBinding};
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

#[cfg(test)]
mod tests;
