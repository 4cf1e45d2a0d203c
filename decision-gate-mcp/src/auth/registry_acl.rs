//! Schema registry access control (mcp-surface §6.5).

use decision_gate_core::ids::{NamespaceId, TenantId};

use super::Principal;
use crate::config::{AclEffect, AclMode, RegistryAclConfig, RegistryAction};

const READ_ROLES: [&str; 6] =
    ["TenantAdmin", "NamespaceOwner", "NamespaceAdmin", "NamespaceWriter", "NamespaceReader", "SchemaManager"];
const WRITE_ROLES: [&str; 3] = ["TenantAdmin", "NamespaceOwner", "NamespaceAdmin"];

/// One ACL question.
#[derive(Clone, Debug)]
pub struct RegistryAclRequest<'a> {
    /// The caller.
    pub principal: &'a Principal,
    /// Action.
    pub action: RegistryAction,
    /// Tenant of the registry entry or listing.
    pub tenant: TenantId,
    /// Namespace of the registry entry or listing.
    pub namespace: NamespaceId,
}

/// The ACL's answer with the audit facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclDecision {
    /// Allowed or not.
    pub allowed: bool,
    /// Reason label (`builtin_allow_read`, `custom_deny`, …).
    pub reason: String,
    /// Roles the principal holds in scope.
    pub roles: Vec<String>,
    /// The principal's policy class, if configured.
    pub policy_class: Option<String>,
}

/// The registry ACL evaluator. Roles and policy class come from the principal (configured
/// principals get them at authentication; enterprise principals from their identity store).
#[derive(Clone, Debug)]
pub struct RegistryAcl {
    config: RegistryAclConfig,
}

impl RegistryAcl {
    /// Builds the evaluator.
    pub fn new(config: RegistryAclConfig) -> Self {
        RegistryAcl { config }
    }

    /// Whether registrations must carry signing metadata.
    pub fn require_signing(&self) -> bool {
        self.config.require_signing
    }

    /// Evaluates one request.
    pub fn evaluate(&self, request: &RegistryAclRequest<'_>) -> AclDecision {
        let principal_id = request.principal.principal_id();
        let roles = request.principal.roles_in_scope(request.tenant, Some(request.namespace));
        let policy_class = request.principal.policy_class.clone();
        let (allowed, reason) = match self.config.mode {
            AclMode::Builtin => self.builtin(request, &roles, policy_class.as_deref()),
            AclMode::Custom => self.custom(request, &principal_id, &roles, policy_class.as_deref()),
        };
        AclDecision { allowed, reason: reason.to_owned(), roles, policy_class }
    }

    fn builtin(&self, request: &RegistryAclRequest<'_>, roles: &[String], class: Option<&str>) -> (bool, &'static str) {
        if self.config.allow_local_only && request.principal.local {
            return (true, "builtin_allow_local_only");
        }
        let has = |allowed: &[&str]| roles.iter().any(|role| allowed.contains(&role.as_str()));
        match request.action {
            RegistryAction::List | RegistryAction::Get => {
                if has(&READ_ROLES) {
                    (true, "builtin_allow_read")
                } else {
                    (false, "builtin_deny_read")
                }
            }
            RegistryAction::Register => {
                let prod = class.unwrap_or("prod").to_lowercase() == "prod";
                let schema_manager = !prod && roles.iter().any(|role| role == "SchemaManager");
                if has(&WRITE_ROLES) || schema_manager {
                    (true, "builtin_allow_write")
                } else {
                    (false, "builtin_deny_write")
                }
            }
        }
    }

    fn custom(
        &self,
        request: &RegistryAclRequest<'_>,
        principal_id: &str,
        roles: &[String],
        class: Option<&str>,
    ) -> (bool, &'static str) {
        let rule = self.config.rules.iter().find(|rule| {
            (rule.actions.is_empty() || rule.actions.contains(&request.action))
                && (rule.tenants.is_empty() || rule.tenants.contains(&request.tenant.get()))
                && (rule.namespaces.is_empty() || rule.namespaces.contains(&request.namespace.get()))
                && (rule.subjects.is_empty() || rule.subjects.iter().any(|subject| subject == principal_id))
                && (rule.roles.is_empty() || rule.roles.iter().any(|role| roles.contains(role)))
                && (rule.policy_classes.is_empty()
                    || class.is_some_and(|class| rule.policy_classes.iter().any(|c| c == class)))
        });
        match rule.map(|rule| rule.effect) {
            Some(AclEffect::Allow) => (true, "custom_allow"),
            Some(AclEffect::Deny) => (false, "custom_deny"),
            None => match self.config.default {
                AclEffect::Allow => (true, "default_allow"),
                AclEffect::Deny => (false, "default_deny"),
            },
        }
    }
}
