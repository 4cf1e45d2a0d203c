// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Permissions, the roles that hold them, and their OAuth scopes (`dg:<permission>`).
//!
//! Every MCP tool has exactly one permission, named after the tool (`scenario_define` →
//! `scenario.define`), so an identity provider can grant any subset of a role. The admin API
//! has its own permissions.

use decision_gate_enterprise_control::Role;

/// A permission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// `scenario_define`.
    ScenarioDefine,
    /// `scenario_start`.
    ScenarioStart,
    /// `scenario_next`.
    ScenarioNext,
    /// `scenario_trigger`.
    ScenarioTrigger,
    /// `scenario_submit`.
    ScenarioSubmit,
    /// `scenario_status`.
    ScenarioStatus,
    /// `scenarios_list`.
    ScenariosList,
    /// `schemas_register`.
    SchemasRegister,
    /// `schemas_list`.
    SchemasList,
    /// `schemas_get`.
    SchemasGet,
    /// `runpack_export`.
    RunpackExport,
    /// `runpack_verify`.
    RunpackVerify,
    /// `evidence_query`.
    EvidenceQuery,
    /// `precheck`.
    Precheck,
    /// `providers_list`.
    ProvidersList,
    /// `provider_contract_get`.
    ProviderContractGet,
    /// `provider_check_schema_get`.
    ProviderCheckSchemaGet,
    /// Admin API: read tenants, namespaces, keys, bindings, allowlists.
    AdminRead,
    /// Admin API: create, suspend and delete tenants of the organisation (owner).
    TenantsManage,
    /// Admin API: create and archive namespaces.
    NamespacesManage,
    /// Admin API: issue, rotate and revoke keys.
    KeysManage,
    /// Admin API: create principals and grant or revoke roles.
    BindingsManage,
    /// Admin API: set IP allowlists.
    AllowlistsManage,
    /// Read audit logs.
    AuditRead,
    /// Read usage.
    UsageRead,
}

/// The tool permissions, in catalogue order.
pub const TOOL_PERMISSIONS: [Permission; 17] = [
    Permission::ScenarioDefine,
    Permission::ScenarioStart,
    Permission::ScenarioStatus,
    Permission::ScenarioNext,
    Permission::ScenarioSubmit,
    Permission::ScenarioTrigger,
    Permission::EvidenceQuery,
    Permission::RunpackExport,
    Permission::RunpackVerify,
    Permission::ProvidersList,
    Permission::ProviderContractGet,
    Permission::ProviderCheckSchemaGet,
    Permission::SchemasRegister,
    Permission::SchemasList,
    Permission::SchemasGet,
    Permission::ScenariosList,
    Permission::Precheck,
];

/// The admin API's permissions.
pub const ADMIN_PERMISSIONS: [Permission; 8] = [
    Permission::AdminRead,
    Permission::TenantsManage,
    Permission::NamespacesManage,
    Permission::KeysManage,
    Permission::BindingsManage,
    Permission::AllowlistsManage,
    Permission::AuditRead,
    Permission::UsageRead,
];

/// Every permission: the tools', then the admin API's.
pub fn all_permissions() -> impl Iterator<Item = Permission> {
    TOOL_PERMISSIONS.into_iter().chain(ADMIN_PERMISSIONS)
}

impl Permission {
    /// The permission's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ScenarioDefine => "scenario.define",
            Permission::ScenarioStart => "scenario.start",
            Permission::ScenarioNext => "scenario.next",
            Permission::ScenarioTrigger => "scenario.trigger",
            Permission::ScenarioSubmit => "scenario.submit",
            Permission::ScenarioStatus => "scenario.status",
            Permission::ScenariosList => "scenarios.list",
            Permission::SchemasRegister => "schemas.register",
            Permission::SchemasList => "schemas.list",
            Permission::SchemasGet => "schemas.get",
            Permission::RunpackExport => "runpack.export",
            Permission::RunpackVerify => "runpack.verify",
            Permission::EvidenceQuery => "evidence.query",
            Permission::Precheck => "precheck",
            Permission::ProvidersList => "providers.list",
            Permission::ProviderContractGet => "provider.contract_get",
            Permission::ProviderCheckSchemaGet => "provider.check_schema_get",
            Permission::AdminRead => "admin.read",
            Permission::TenantsManage => "tenants.manage",
            Permission::NamespacesManage => "namespaces.manage",
            Permission::KeysManage => "keys.manage",
            Permission::BindingsManage => "bindings.manage",
            Permission::AllowlistsManage => "allowlists.manage",
            Permission::AuditRead => "audit.read",
            Permission::UsageRead => "usage.read",
        }
    }

    /// The OAuth scope granting it.
    pub fn scope(self) -> String {
        format!("dg:{}", self.as_str())
    }

    /// The permission a tool needs (`None` for a name that is not a tool).
    pub fn for_tool(tool: &str) -> Option<Permission> {
        let permission = match tool {
            "scenario_define" => Permission::ScenarioDefine,
            "scenario_start" => Permission::ScenarioStart,
            "scenario_next" => Permission::ScenarioNext,
            "scenario_trigger" => Permission::ScenarioTrigger,
            "scenario_submit" => Permission::ScenarioSubmit,
            "scenario_status" => Permission::ScenarioStatus,
            "scenarios_list" => Permission::ScenariosList,
            "schemas_register" => Permission::SchemasRegister,
            "schemas_list" => Permission::SchemasList,
            "schemas_get" => Permission::SchemasGet,
            "runpack_export" => Permission::RunpackExport,
            "runpack_verify" => Permission::RunpackVerify,
            "evidence_query" => Permission::EvidenceQuery,
            "precheck" => Permission::Precheck,
            "providers_list" => Permission::ProvidersList,
            "provider_contract_get" => Permission::ProviderContractGet,
            "provider_check_schema_get" => Permission::ProviderCheckSchemaGet,
            _ => return None,
        };
        Some(permission)
    }
}

const VIEWER: &[Permission] = &[
    Permission::ScenarioStatus,
    Permission::ScenariosList,
    Permission::SchemasList,
    Permission::SchemasGet,
    Permission::RunpackVerify,
    Permission::ProvidersList,
    Permission::ProviderContractGet,
    Permission::ProviderCheckSchemaGet,
];

const EDITOR_EXTRA: &[Permission] = &[
    Permission::ScenarioDefine,
    Permission::ScenarioStart,
    Permission::ScenarioNext,
    Permission::ScenarioTrigger,
    Permission::ScenarioSubmit,
    Permission::SchemasRegister,
    Permission::RunpackExport,
    Permission::EvidenceQuery,
    Permission::Precheck,
];

const AGENT: &[Permission] = &[
    Permission::ScenarioNext,
    Permission::ScenarioStatus,
    Permission::ScenarioSubmit,
    Permission::Precheck,
    Permission::EvidenceQuery,
];

const AUDITOR_EXTRA: &[Permission] = &[Permission::AdminRead, Permission::AuditRead, Permission::UsageRead];

const ADMIN_EXTRA: &[Permission] = &[
    Permission::AdminRead,
    Permission::NamespacesManage,
    Permission::KeysManage,
    Permission::BindingsManage,
    Permission::AllowlistsManage,
    Permission::AuditRead,
    Permission::UsageRead,
];

/// Whether a role holds a permission.
pub fn role_has(role: Role, permission: Permission) -> bool {
    match role {
        Role::Owner => true,
        Role::Admin => {
            VIEWER.contains(&permission) || EDITOR_EXTRA.contains(&permission) || ADMIN_EXTRA.contains(&permission)
        }
        Role::Editor => VIEWER.contains(&permission) || EDITOR_EXTRA.contains(&permission),
        Role::Viewer => VIEWER.contains(&permission),
        Role::Agent => AGENT.contains(&permission),
        Role::Auditor => VIEWER.contains(&permission) || AUDITOR_EXTRA.contains(&permission),
    }
}

/// The permissions of a role, in [`all_permissions`] order.
pub fn role_permissions(role: Role) -> Vec<Permission> {
    all_permissions().filter(|permission| role_has(role, *permission)).collect()
}

/// Whether a holder of `granter` may hand out `granted` (no one grants more than it holds:
/// only owners grant `owner`).
pub fn may_grant(granter: Role, granted: Role) -> bool {
    all_permissions().all(|permission| !role_has(granted, permission) || role_has(granter, permission))
}

/// Every scope the server understands (`scopes_supported` of the resource metadata).
pub fn all_scopes() -> Vec<String> {
    all_permissions().map(Permission::scope).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_its_own_permission_named_after_it() {
        for permission in TOOL_PERMISSIONS {
            let tool = permission.as_str().replacen('.', "_", 1);
            assert_eq!(Permission::for_tool(&tool), Some(permission), "{tool}");
        }
        assert_eq!(Permission::for_tool("admin_read"), None);
        assert_eq!(Permission::ScenarioDefine.scope(), "dg:scenario.define");
    }

    #[test]
    fn roles_hold_the_specified_tool_sets() {
        let tools = |role: Role| -> Vec<&str> {
            TOOL_PERMISSIONS.into_iter().filter(|p| role_has(role, *p)).map(Permission::as_str).collect()
        };
        assert_eq!(
            tools(Role::Agent),
            ["scenario.status", "scenario.next", "scenario.submit", "evidence.query", "precheck"]
        );
        assert_eq!(
            tools(Role::Viewer),
            [
                "scenario.status",
                "runpack.verify",
                "providers.list",
                "provider.contract_get",
                "provider.check_schema_get",
                "schemas.list",
                "schemas.get",
                "scenarios.list"
            ]
        );
        assert_eq!(tools(Role::Editor).len(), 17);
        assert_eq!(tools(Role::Auditor), tools(Role::Viewer));
        assert!(!role_has(Role::Auditor, Permission::KeysManage));
        assert!(!role_has(Role::Admin, Permission::TenantsManage));
        assert!(role_has(Role::Owner, Permission::TenantsManage));
    }

    #[test]
    fn no_role_grants_more_than_it_holds() {
        assert!(may_grant(Role::Owner, Role::Owner));
        assert!(!may_grant(Role::Admin, Role::Owner));
        assert!(may_grant(Role::Admin, Role::Editor));
        assert!(may_grant(Role::Admin, Role::Auditor));
        assert!(!may_grant(Role::Editor, Role::Auditor));
        assert!(!may_grant(Role::Viewer, Role::Agent));
    }
}
