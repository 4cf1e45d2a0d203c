// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! `decision-gate-enterprise admin …`: the admin API's operations for operators, run directly
//! on the data directory's control store (a running server sees the changes within its
//! credential cache lifetime). Results are JSON on stdout. Exit codes: 0 done, 1 refused (not
//! found, conflict, invalid), 2 the command could not run.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Subcommand;
use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_enterprise_authz::ControlView;
use decision_gate_enterprise_control::{NamespaceStatus, PrincipalKind, Role, TenantStatus};
use decision_gate_mcp::pipeline::AuditHeader;
use serde::Serialize;
use serde_json::json;

use super::{BANNER, Location};
use crate::admin::{
    Actor, AdminCall, AdminError, AdminService, GrantRequest, IssueKeyRequest, NameRequest, OwnerRequest,
    PrincipalRequest, RotateKeyRequest, TenantRequest,
};
use crate::compose::{open_audit, open_control};
use crate::settings;

/// Admin command groups.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Organisations.
    #[command(subcommand)]
    Orgs(OrgCommand),
    /// Tenants.
    #[command(subcommand)]
    Tenants(TenantCommand),
    /// Namespaces of a tenant.
    #[command(subcommand)]
    Namespaces(NamespaceCommand),
    /// Principals (people and services) of an organisation.
    #[command(subcommand)]
    Principals(PrincipalCommand),
    /// Role bindings on a tenant.
    #[command(subcommand)]
    Bindings(BindingCommand),
    /// API keys of a tenant.
    #[command(subcommand)]
    Keys(KeyCommand),
    /// A tenant's client-IP allowlist.
    #[command(subcommand)]
    Allowlist(AllowlistCommand),
    /// Trusted client CAs and the organisations that may register certificate subjects under
    /// them.
    #[command(subcommand, name = "client-cas")]
    ClientCas(ClientCaCommand),
}

/// `admin client-cas`.
#[derive(Debug, Subcommand)]
pub enum ClientCaCommand {
    /// List the registered client CAs with their organisations.
    List,
    /// Register every CA certificate of a PEM bundle, optionally binding them to an
    /// organisation.
    Add {
        /// PEM file of CA certificates.
        pem: std::path::PathBuf,
        /// Bind them to this organisation.
        #[arg(long)]
        org: Option<u64>,
    },
    /// Let an organisation register subjects under a CA.
    Bind {
        /// CA id (from `list`).
        ca_id: String,
        /// Organisation.
        #[arg(long)]
        org: u64,
    },
    /// Withdraw a CA from an organisation (its subjects there stop authenticating).
    Unbind {
        /// CA id.
        ca_id: String,
        /// Organisation.
        #[arg(long)]
        org: u64,
    },
}

/// `admin orgs`.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// List organisations.
    List,
    /// Create an organisation.
    Create {
        /// Name.
        name: String,
    },
    /// List an organisation's owners.
    Owners {
        /// Organisation.
        org: u64,
    },
    /// Make a principal an owner of its organisation.
    GrantOwner {
        /// Organisation.
        org: u64,
        /// Principal id.
        principal: String,
    },
    /// Remove an organisation owner.
    RevokeOwner {
        /// Organisation.
        org: u64,
        /// Principal id.
        principal: String,
    },
}

/// `admin tenants`.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// List tenants.
    List,
    /// Create a tenant (with namespace 1).
    Create {
        /// Name.
        name: String,
        /// Organisation.
        #[arg(long, default_value_t = 1)]
        org: u64,
    },
    /// Suspend a tenant (every tool call denied; data kept).
    Suspend {
        /// Tenant id.
        tenant: TenantId,
    },
    /// Reactivate a suspended tenant (the operator lifts any suspension).
    Resume {
        /// Tenant id.
        tenant: TenantId,
    },
    /// Delete a tenant (soft; terminal).
    Delete {
        /// Tenant id.
        tenant: TenantId,
    },
}

/// `admin namespaces`.
#[derive(Debug, Subcommand)]
pub enum NamespaceCommand {
    /// List a tenant's namespaces.
    List {
        /// Tenant id.
        tenant: TenantId,
    },
    /// Create a namespace.
    Create {
        /// Tenant id.
        tenant: TenantId,
        /// Name.
        name: String,
    },
    /// Archive a namespace (read-only).
    Archive {
        /// Tenant id.
        tenant: TenantId,
        /// Namespace id.
        namespace: NamespaceId,
    },
    /// Re-activate a namespace.
    Activate {
        /// Tenant id.
        tenant: TenantId,
        /// Namespace id.
        namespace: NamespaceId,
    },
}

/// `admin principals`.
#[derive(Debug, Subcommand)]
pub enum PrincipalCommand {
    /// List an organisation's principals.
    List {
        /// Organisation.
        #[arg(long, default_value_t = 1)]
        org: u64,
    },
    /// Create a principal.
    Create {
        /// Name.
        name: String,
        /// `service` or `user`.
        #[arg(long, default_value = "service", value_parser = ["service", "user"])]
        kind: String,
        /// A client-certificate subject (CN or SAN) that authenticates as it (repeatable).
        #[arg(long = "cert-subject")]
        cert_subjects: Vec<String>,
        /// The client CA of those subjects (default: the one CA bound to the organisation).
        #[arg(long)]
        client_ca: Option<String>,
        /// Organisation.
        #[arg(long, default_value_t = 1)]
        org: u64,
    },
}

/// `admin bindings`.
#[derive(Debug, Subcommand)]
pub enum BindingCommand {
    /// List the role bindings on a tenant.
    List {
        /// Tenant id.
        tenant: TenantId,
    },
    /// Grant a role.
    Grant {
        /// Tenant id.
        tenant: TenantId,
        /// Principal id.
        principal: String,
        /// Role (owner, admin, editor, viewer, agent, auditor).
        role: Role,
        /// Limit to one namespace.
        #[arg(long)]
        namespace: Option<NamespaceId>,
    },
    /// Revoke a role.
    Revoke {
        /// Tenant id.
        tenant: TenantId,
        /// Principal id.
        principal: String,
        /// Role.
        role: Role,
        /// The namespace of a namespace-limited binding.
        #[arg(long)]
        namespace: Option<NamespaceId>,
    },
}

/// `admin keys`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// List the keys reaching a tenant (metadata only).
    List {
        /// Tenant id.
        tenant: TenantId,
    },
    /// Issue a key; the token is printed once.
    Issue {
        /// Tenant id.
        tenant: TenantId,
        /// A label for people.
        #[arg(long)]
        name: String,
        /// Role the key carries (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// Every tenant of an explicitly multi-tenant key (repeatable; include TENANT).
        #[arg(long = "tenant")]
        tenants: Vec<TenantId>,
        /// Limit the key to one namespace.
        #[arg(long)]
        namespace: Option<NamespaceId>,
        /// Expire the key after this many seconds.
        #[arg(long)]
        expires_in_seconds: Option<u64>,
        /// The principal the key acts as (default: a new service principal).
        #[arg(long)]
        principal: Option<String>,
        /// The key carries its principal's organisation ownership (the principal must own
        /// the organisation).
        #[arg(long)]
        org_owner: bool,
    },
    /// Rotate a key's secret; the new token is printed once.
    Rotate {
        /// Tenant id.
        tenant: TenantId,
        /// Key id.
        key_id: String,
        /// Keep the old secret valid this long (default 0).
        #[arg(long, default_value_t = 0)]
        overlap_seconds: u64,
    },
    /// Revoke a key.
    Revoke {
        /// Tenant id.
        tenant: TenantId,
        /// Key id.
        key_id: String,
    },
}

/// `admin allowlist`.
#[derive(Debug, Subcommand)]
pub enum AllowlistCommand {
    /// Show a tenant's allowlist.
    Get {
        /// Tenant id.
        tenant: TenantId,
    },
    /// Replace a tenant's allowlist (no networks: every address).
    Set {
        /// Tenant id.
        tenant: TenantId,
        /// CIDR blocks or addresses.
        networks: Vec<String>,
    },
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_millis() as i64)
}

fn print<T: Serialize>(result: Result<T, AdminError>) -> anyhow::Result<ExitCode> {
    match result {
        Ok(value) => {
            println!("{}", serde_json::to_string_pretty(&value)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(AdminError::Unavailable(reason)) => anyhow::bail!("unavailable: {reason}"),
        Err(error) => {
            eprintln!("{BANNER}: {}: {error}", error.code());
            Ok(ExitCode::from(1))
        }
    }
}

fn items<T: Serialize>(result: Result<Vec<T>, AdminError>) -> Result<serde_json::Value, AdminError> {
    result.map(|items| json!({"items": items}))
}

/// Runs one admin command as the operator.
pub fn run(location: Location, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let config = settings::load(location.config.as_deref(), location.data_dir.as_deref())?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async move {
        let audit = open_audit(&config.loaded.config)?;
        let store = open_control(&config, &audit, BANNER).await?;
        let view = Arc::new(ControlView::new(store.clone(), config.settings.cache_ttl()));
        let service = AdminService::new(store, view, audit);
        let operator = std::env::var("USER").unwrap_or_else(|_| "operator".to_owned());
        let call = AdminCall {
            client_ip: None,
            header: AuditHeader {
                transport: Some("cli"),
                principal_id: Some(format!("operator:{operator}")),
                auth_method: Some("operator"),
                ..AuditHeader::new(format!("dg-cli-{:016x}", rand::random::<u64>()))
            },
            actor: Actor::Operator(operator),
        };
        dispatch(&service, &call, command).await
    })
}

async fn dispatch(service: &AdminService, call: &AdminCall, command: AdminCommand) -> anyhow::Result<ExitCode> {
    match command {
        AdminCommand::Orgs(OrgCommand::List) => print(items(service.list_orgs(call).await)),
        AdminCommand::Orgs(OrgCommand::Create { name }) => print(service.create_org(call, NameRequest { name }).await),
        AdminCommand::Orgs(OrgCommand::Owners { org }) => print(items(service.list_org_owners(call, org).await)),
        AdminCommand::Orgs(OrgCommand::GrantOwner { org, principal }) => print(
            service
                .grant_org_owner(call, org, OwnerRequest { principal_id: principal })
                .await
                .map(|()| json!({"granted": true})),
        ),
        AdminCommand::Orgs(OrgCommand::RevokeOwner { org, principal }) => print(
            service
                .revoke_org_owner(call, org, OwnerRequest { principal_id: principal })
                .await
                .map(|revoked| json!({"revoked": revoked})),
        ),
        AdminCommand::ClientCas(command) => client_cas(service, call, command).await,
        AdminCommand::Tenants(command) => tenants(service, call, command).await,
        AdminCommand::Namespaces(command) => namespaces(service, call, command).await,
        AdminCommand::Principals(PrincipalCommand::List { org }) => {
            print(items(service.list_principals(call, Some(org)).await))
        }
        AdminCommand::Principals(PrincipalCommand::Create { name, kind, cert_subjects, client_ca, org }) => {
            let kind = if kind == "user" { PrincipalKind::User } else { PrincipalKind::Service };
            let request = PrincipalRequest { name, kind, cert_subjects, client_ca, org_id: Some(org) };
            print(service.create_principal(call, request).await)
        }
        AdminCommand::Bindings(BindingCommand::List { tenant }) => {
            print(items(service.list_bindings(call, tenant).await))
        }
        AdminCommand::Bindings(BindingCommand::Grant { tenant, principal, role, namespace }) => {
            let request = GrantRequest { principal_id: principal, role, namespace_id: namespace };
            print(service.change_binding(call, tenant, request, true).await.map(|changed| json!({"granted": changed})))
        }
        AdminCommand::Bindings(BindingCommand::Revoke { tenant, principal, role, namespace }) => {
            let request = GrantRequest { principal_id: principal, role, namespace_id: namespace };
            print(service.change_binding(call, tenant, request, false).await.map(|changed| json!({"revoked": changed})))
        }
        AdminCommand::Keys(command) => keys(service, call, command).await,
        AdminCommand::Allowlist(AllowlistCommand::Get { tenant }) => {
            print(service.allowlist(call, tenant).await.map(|networks| json!({"networks": networks})))
        }
        AdminCommand::Allowlist(AllowlistCommand::Set { tenant, networks }) => {
            print(service.set_allowlist(call, tenant, networks).await.map(|networks| json!({"networks": networks})))
        }
    }
}

async fn tenants(service: &AdminService, call: &AdminCall, command: TenantCommand) -> anyhow::Result<ExitCode> {
    match command {
        TenantCommand::List => print(items(service.list_tenants(call).await)),
        TenantCommand::Create { name, org } => {
            print(service.create_tenant(call, TenantRequest { name, org_id: Some(org) }).await)
        }
        TenantCommand::Suspend { tenant } => {
            print(service.set_tenant_status(call, tenant, TenantStatus::Suspended).await)
        }
        TenantCommand::Resume { tenant } => print(service.set_tenant_status(call, tenant, TenantStatus::Active).await),
        TenantCommand::Delete { tenant } => print(service.set_tenant_status(call, tenant, TenantStatus::Deleted).await),
    }
}

async fn namespaces(service: &AdminService, call: &AdminCall, command: NamespaceCommand) -> anyhow::Result<ExitCode> {
    match command {
        NamespaceCommand::List { tenant } => print(items(service.list_namespaces(call, tenant).await)),
        NamespaceCommand::Create { tenant, name } => {
            print(service.create_namespace(call, tenant, NameRequest { name }).await)
        }
        NamespaceCommand::Archive { tenant, namespace } => {
            print(service.set_namespace_status(call, tenant, namespace, NamespaceStatus::Archived).await)
        }
        NamespaceCommand::Activate { tenant, namespace } => {
            print(service.set_namespace_status(call, tenant, namespace, NamespaceStatus::Active).await)
        }
    }
}

async fn keys(service: &AdminService, call: &AdminCall, command: KeyCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeyCommand::List { tenant } => print(items(service.list_keys(call, tenant).await)),
        KeyCommand::Issue { tenant, name, roles, tenants, namespace, expires_in_seconds, principal, org_owner } => {
            let request = IssueKeyRequest {
                name,
                roles,
                tenants: (!tenants.is_empty()).then_some(tenants),
                namespace_id: namespace,
                expires_at_ms: expires_in_seconds.map(|seconds| now_ms() + (seconds as i64) * 1000),
                principal_id: principal,
                org_owner,
            };
            print(service.issue_key(call, tenant, request).await)
        }
        KeyCommand::Rotate { tenant, key_id, overlap_seconds } => {
            print(service.rotate_key(call, tenant, &key_id, RotateKeyRequest { overlap_seconds }).await)
        }
        KeyCommand::Revoke { tenant, key_id } => print(service.revoke_key(call, tenant, &key_id).await),
    }
}

async fn client_cas(service: &AdminService, call: &AdminCall, command: ClientCaCommand) -> anyhow::Result<ExitCode> {
    match command {
        ClientCaCommand::List => print(items(service.list_client_cas(call).await)),
        ClientCaCommand::Add { pem, org } => {
            let cas = decision_gate_mcp::transport::tls::ca_identities(&pem).map_err(anyhow::Error::msg)?;
            let mut registered = Vec::new();
            for (ca_id, name) in cas {
                match service.register_client_ca(call, ca_id, name, org).await {
                    Ok(ca) => registered.push(ca),
                    Err(error) => return print::<()>(Err(error)),
                }
            }
            print(Ok(json!({"items": registered})))
        }
        ClientCaCommand::Bind { ca_id, org } => {
            print(service.bind_client_ca(call, ca_id, org, true).await.map(|bound| json!({"bound": bound})))
        }
        ClientCaCommand::Unbind { ca_id, org } => {
            print(service.bind_client_ca(call, ca_id, org, false).await.map(|unbound| json!({"unbound": unbound})))
        }
    }
}
