// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Identity and authorization for Decision Gate Enterprise: API-key tokens, the authenticator
//! (API keys, client certificates), roles and permissions with their OAuth scopes, the tenant
//! resolver every tool call passes, and tool visibility by permission. All of it implements
//! the seams of `decision-gate-mcp`.

pub mod api_key;
pub mod authenticator;
pub mod cache;
pub mod permissions;
pub mod resolver;
pub mod visibility;

pub use api_key::{IssuedToken, PresentedToken};
pub use authenticator::EnterpriseAuthenticator;
pub use cache::{ControlView, DEFAULT_TTL};
pub use permissions::{Permission, may_grant, role_has};
pub use resolver::EnterpriseTenantResolver;
pub use visibility::PermissionVisibility;

#[cfg(test)]
mod tests;
