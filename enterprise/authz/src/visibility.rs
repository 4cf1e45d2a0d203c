// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Tool visibility by permission: `tools/list` shows a caller the tools one of its roles (on
//! any tenant it reaches) permits. A hidden tool stays callable, so calling it reaches the
//! resolver and is refused with the scope it needs.

use decision_gate_enterprise_control::Role;
use decision_gate_mcp::pipeline::{CallContext, ToolVisibility};

use crate::permissions::{Permission, role_has};

/// Visibility by permission.
#[derive(Clone, Copy, Debug, Default)]
pub struct PermissionVisibility;

impl ToolVisibility for PermissionVisibility {
    fn visible(&self, ctx: &CallContext, tool: &str) -> bool {
        let Some(permission) = Permission::for_tool(tool) else { return false };
        let principal = &ctx.principal;
        let by_scope = principal.scopes.is_empty() || principal.scopes.iter().any(|scope| *scope == permission.scope());
        by_scope
            && principal
                .roles
                .iter()
                .filter_map(|grant| grant.role.parse::<Role>().ok())
                .any(|role| role_has(role, permission))
    }

    fn callable(&self, _ctx: &CallContext, _tool: &str) -> bool {
        true
    }
}
