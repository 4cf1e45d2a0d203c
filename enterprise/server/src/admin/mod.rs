// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! The admin service: every administrative operation (organisations and their owners,
//! tenants, namespaces, principals, role bindings, API keys, IP allowlists, client CAs),
//! authorized and audited in one place, shared by the HTTP admin API and the operator
//! commands, so the same action gets the same answer on both.
//!
//! Who may do what is one rule, by the power of the target ([`authority`]): the caller's power
//! is read afresh from the store for every call; a tenant the caller cannot see is "not
//! found", exactly like one that does not exist.
//!
//! Auditing: a refused call is recorded as `denied` with the real reason; a change is
//! recorded as `allowed` before it runs (if that record cannot be written, nothing changes)
//! and as `ok` or `error` after, and a change is acknowledged only once its `ok` record is
//! written (503 otherwise: the change stands, its `allowed` record says so).

mod access;
mod authority;
mod ca_ops;
pub mod http;
mod key_ops;
pub mod openapi;
mod principal_ops;
mod tenancy_ops;

use std::sync::Arc;

use decision_gate_enterprise_authz::ControlView;
use decision_gate_enterprise_control::{ControlError, ControlStore};
use decision_gate_mcp::auth::Principal;
use decision_gate_mcp::pipeline::{AdminActionEvent, AuditEvent, AuditHeader, AuditSink};
use serde_json::Value;

pub use ca_ops::RegisteredCa;
pub use key_ops::{IssueKeyRequest, IssuedKey, MAX_OVERLAP_SECONDS, RotateKeyRequest};
pub use principal_ops::{GrantRequest, OwnerRequest, PrincipalRequest};
pub use tenancy_ops::{NameRequest, TenantRequest, parse_networks};

/// Who is acting.
#[derive(Clone, Debug)]
pub enum Actor {
    /// An operator running `decision-gate-enterprise admin` on the server's data directory.
    Operator(String),
    /// An authenticated principal of the admin API.
    Principal(Principal),
}

/// One admin call: the actor, where it comes from and the audit header of its records.
#[derive(Clone, Debug)]
pub struct AdminCall {
    /// Who.
    pub actor: Actor,
    /// The client IP after the trusted-proxy rule (`None` at the command line).
    pub client_ip: Option<std::net::IpAddr>,
    /// Audit header (transport, client IP, principal, credential).
    pub header: AuditHeader,
}

/// Why an admin call failed. Client messages never reveal another tenant or a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// The caller's credential is no longer valid (revoked or expired since it authenticated).
    #[error("unauthenticated")]
    Unauthenticated,
    /// Unknown, or outside the caller's reach (indistinguishable).
    #[error("not found")]
    NotFound,
    /// Visible, but the caller lacks a permission (the scopes it needs, when one names it).
    #[error("forbidden")]
    Forbidden {
        /// Scopes that would allow the call.
        required_scopes: Vec<String>,
    },
    /// The request is malformed.
    #[error("{0}")]
    Invalid(String),
    /// The change conflicts with the stored state.
    #[error("{0}")]
    Conflict(String),
    /// The control store or the audit log is unavailable.
    #[error("unavailable")]
    Unavailable(String),
}

impl AdminError {
    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AdminError::Unauthenticated => "unauthenticated",
            AdminError::NotFound => "not_found",
            AdminError::Forbidden { .. } => "forbidden",
            AdminError::Invalid(_) => "invalid_request",
            AdminError::Conflict(_) => "conflict",
            AdminError::Unavailable(_) => "unavailable",
        }
    }

    fn audit_reason(&self) -> String {
        match self {
            AdminError::Unavailable(reason) => format!("unavailable: {reason}"),
            other => other.to_string(),
        }
    }
}

impl From<ControlError> for AdminError {
    fn from(error: ControlError) -> Self {
        match error {
            ControlError::NotFound(_) => AdminError::NotFound,
            ControlError::Conflict(message) => AdminError::Conflict(message),
            ControlError::Invalid(message) => AdminError::Invalid(message),
            ControlError::Forbidden(_) => AdminError::Forbidden { required_scopes: Vec::new() },
            ControlError::Backend(message) => AdminError::Unavailable(message),
        }
    }
}

/// The admin service.
#[derive(Clone)]
pub struct AdminService {
    store: Arc<dyn ControlStore>,
    view: Arc<ControlView>,
    audit: Arc<dyn AuditSink>,
}

impl std::fmt::Debug for AdminService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminService").finish_non_exhaustive()
    }
}

/// What an audited action is about.
#[derive(Clone, Debug)]
pub(crate) struct Action {
    name: &'static str,
    changes: bool,
    target: Option<String>,
    tenant: Option<decision_gate_core::ids::TenantId>,
    details: Option<Value>,
}

impl Action {
    pub(crate) fn new(name: &'static str) -> Self {
        Action { name, changes: false, target: None, tenant: None, details: None }
    }

    pub(crate) fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub(crate) fn tenant(mut self, tenant: decision_gate_core::ids::TenantId) -> Self {
        self.tenant = Some(tenant);
        self
    }

    pub(crate) fn details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

impl AdminService {
    /// A service over the control store, its cached view (cleared after every change) and the
    /// audit log.
    pub fn new(store: Arc<dyn ControlStore>, view: Arc<ControlView>, audit: Arc<dyn AuditSink>) -> Self {
        AdminService { store, view, audit }
    }

    /// The control store.
    pub fn store(&self) -> &Arc<dyn ControlStore> {
        &self.store
    }

    async fn write(&self, call: &AdminCall, action: &Action, outcome: &'static str, reason: Option<String>) -> bool {
        let event = AuditEvent::AdminAction(AdminActionEvent {
            action: action.name.to_owned(),
            target: action.target.clone(),
            outcome,
            reason,
            details: action.details.clone(),
        });
        let record = call.header.clone().scoped(action.tenant, None).record(event);
        // The records of a change ("allowed", then "ok" or "error") survive power loss before
        // the change runs and before it is acknowledged.
        let written = if matches!(outcome, "allowed" | "ok" | "error") && action.changes {
            self.audit.record_durable(&record).await
        } else {
            self.audit.record(&record).await
        };
        match written {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, action = action.name, "admin audit record not written");
                false
            }
        }
    }

    /// Records a refusal and returns it.
    pub(crate) async fn refuse<T>(
        &self,
        call: &AdminCall,
        action: &Action,
        error: AdminError,
    ) -> Result<T, AdminError> {
        self.write(call, action, "denied", Some(error.audit_reason())).await;
        Err(error)
    }

    /// Records a refusal with its real reason (the client sees only `error`) and returns it.
    pub(crate) async fn refuse_because<T>(
        &self,
        call: &AdminCall,
        action: &Action,
        error: AdminError,
        reason: String,
    ) -> Result<T, AdminError> {
        self.write(call, action, "denied", Some(format!("{}: {reason}", error.audit_reason()))).await;
        Err(error)
    }

    /// Runs an authorized change: `allowed` is recorded first (nothing runs if it cannot be),
    /// then the outcome; the cached view is cleared after a successful change.
    pub(crate) async fn change<T, F>(&self, call: &AdminCall, action: Action, work: F) -> Result<T, AdminError>
    where
        F: Future<Output = Result<T, AdminError>>,
    {
        let action = Action { changes: true, ..action };
        if !self.write(call, &action, "allowed", None).await {
            return Err(AdminError::Unavailable("audit log unavailable".to_owned()));
        }
        let result = {
            let _change = self.view.change_guard();
            work.await
        };
        match &result {
            Ok(_) => {
                if !self.write(call, &action, "ok", None).await {
                    return Err(AdminError::Unavailable("audit log unavailable after the change".to_owned()));
                }
            }
            Err(error) => {
                self.write(call, &action, "error", Some(error.audit_reason())).await;
            }
        }
        result
    }

    /// Runs an authorized read, recording its outcome.
    pub(crate) async fn read<T, F>(&self, call: &AdminCall, action: Action, work: F) -> Result<T, AdminError>
    where
        F: Future<Output = Result<T, AdminError>>,
    {
        let result = work.await;
        let (outcome, reason) = match &result {
            Ok(_) => ("ok", None),
            Err(error) => ("error", Some(error.audit_reason())),
        };
        self.write(call, &action, outcome, reason).await;
        result
    }
}

#[cfg(test)]
mod tests;
