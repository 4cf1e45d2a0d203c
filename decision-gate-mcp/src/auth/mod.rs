//! Authentication: who is calling, with which credential, bound to which tenants and roles.

mod authenticate;
mod directory;
mod principal;
mod registry_acl;

use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

pub use authenticate::{
    AuthFailure, AuthFailureStatus, AuthOutcome, AuthRequest, Authenticator, ClientCertIdentity, ConfigAuthenticator,
    MAX_AUTHORIZATION_BYTES, MAX_CLIENT_SUBJECT_BYTES, TrustedProxies,
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
