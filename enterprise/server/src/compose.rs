// SPDX-License-Identifier: LicenseRef-DecisionGate-Enterprise
//! Opening the control store (with the first-start bootstrap) and composing the open-core
//! server with the enterprise seams: authenticator, tenant resolver, tool visibility,
//! namespace authority, the shared audit log, the admin routes and the protected-resource
//! metadata.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use decision_gate_enterprise_authz::{
    ControlView, EnterpriseAuthenticator, EnterpriseTenantResolver, IssuedToken, PermissionVisibility,
    permissions::all_scopes,
};
use decision_gate_enterprise_control::{BootstrapPlan, ControlStore, SqliteControlStore};
use decision_gate_mcp::config::{DecisionGateConfig, TransportKind};
use decision_gate_mcp::pipeline::{
    AdminActionEvent, AuditEvent, AuditHeader, AuditSink, DiscardAudit, JsonlFileAudit, StderrAudit,
};
use decision_gate_mcp::state::{ProtectedResource, ServerOverrides};
use serde_json::json;

use crate::admin::AdminService;
use crate::admin::http::{AdminHttp, routes};
use crate::namespace_authority::ControlNamespaceAuthority;
use crate::settings::{API_KEY_ENV, EnterpriseConfig};

/// The audit log of the configuration (the same file the tool pipeline writes).
pub fn open_audit(config: &DecisionGateConfig) -> anyhow::Result<Arc<dyn AuditSink>> {
    let audit = &config.server.audit;
    Ok(match (audit.enabled, &audit.path) {
        (false, _) => Arc::new(DiscardAudit),
        (true, Some(path)) => Arc::new(
            JsonlFileAudit::open(path)
                .with_context(|| format!("cannot open audit log {}", path.display()))?
                .with_durability(audit.durable),
        ),
        (true, None) => Arc::new(StderrAudit),
    })
}

/// Opens the control store in the run-state SQLite file; on the very first start (when
/// `[enterprise] bootstrap` is on) creates org 1, tenant 1 with namespace 1 and an owner, and
/// prints the owner's API key on stderr, once. The audit log records the bootstrap with the
/// key id only.
pub async fn open_control(
    config: &EnterpriseConfig,
    audit: &Arc<dyn AuditSink>,
    banner: &str,
) -> anyhow::Result<Arc<dyn ControlStore>> {
    let database = config.database()?;
    if let Some(parent) = database.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let store: Arc<dyn ControlStore> = Arc::new(
        SqliteControlStore::open(&database)
            .with_context(|| format!("cannot open the control store in {}", database.display()))?,
    );
    if config.settings.bootstrap {
        bootstrap(&store, audit, banner, &database).await?;
    }
    Ok(store)
}

/// Registers the client CAs of `[server.tls] client_ca_path` (the operator configured them):
/// a CA seen for the first time is bound to organisation 1; other organisations are bound by
/// `admin client-cas bind`. With exactly one CA, subjects kept from before subjects were per
/// CA are adopted by it.
pub async fn register_client_cas(
    config: &EnterpriseConfig,
    store: &Arc<dyn ControlStore>,
    audit: &Arc<dyn AuditSink>,
) -> anyhow::Result<()> {
    let Some(path) = config.loaded.config.server.tls.as_ref().and_then(|tls| tls.client_ca_path.clone()) else {
        return Ok(());
    };
    let cas = decision_gate_mcp::transport::tls::ca_identities(&path).map_err(anyhow::Error::msg)?;
    let view = Arc::new(ControlView::new(store.clone(), config.settings.cache_ttl()));
    let service = AdminService::new(store.clone(), view, audit.clone());
    let call = crate::admin::AdminCall {
        actor: crate::admin::Actor::Operator("server start".to_owned()),
        client_ip: None,
        header: AuditHeader { transport: Some("startup"), ..AuditHeader::new("dg-startup") },
    };
    let known = service.list_client_cas(&call).await.map_err(|error| anyhow::anyhow!("client CAs: {error}"))?;
    for (ca_id, name) in &cas {
        if known.iter().any(|ca| ca.ca_id == *ca_id) {
            continue;
        }
        service
            .register_client_ca(&call, ca_id.clone(), name.clone(), Some(1))
            .await
            .map_err(|error| anyhow::anyhow!("cannot register client CA {name}: {error}"))?;
    }
    if let [(only, _)] = cas.as_slice() {
        let adopted = store.adopt_unassigned_cert_subjects(only.clone()).await?;
        if adopted > 0 {
            tracing::info!(adopted, ca_id = %only, "certificate subjects registered before per-CA subjects adopted");
        }
    }
    Ok(())
}

async fn bootstrap(
    store: &Arc<dyn ControlStore>,
    audit: &Arc<dyn AuditSink>,
    banner: &str,
    database: &Path,
) -> anyhow::Result<()> {
    let token = IssuedToken::generate();
    let plan = BootstrapPlan {
        org_name: "default".to_owned(),
        tenant_name: "default".to_owned(),
        owner_principal_id: format!("prn_{:016x}", rand::random::<u64>()),
        owner_name: "owner".to_owned(),
        key_id: token.key_id.clone(),
        secret_sha256: token.secret_sha256(),
    };
    let principal = plan.owner_principal_id.clone();
    if !store.bootstrap(plan).await.context("bootstrap of the control store failed")? {
        return Ok(());
    }
    let event = AuditEvent::AdminAction(AdminActionEvent {
        action: "bootstrap".to_owned(),
        target: Some(format!("key {}", token.key_id)),
        outcome: "ok",
        reason: None,
        details: Some(json!({"org_id": 1, "tenant_id": 1, "namespace_id": 1, "owner": principal})),
    });
    let header = AuditHeader { transport: Some("bootstrap"), ..AuditHeader::new("dg-bootstrap") };
    if let Err(error) = audit.record(&header.record(event)).await {
        tracing::warn!(%error, "bootstrap audit record not written");
    }
    eprintln!(
        "{banner}: INFO first start: created organisation 1, tenant 1 (namespace 1) and an owner in {}",
        database.display()
    );
    eprintln!("{banner}: INFO owner API key (shown this once; store it now): {}", token.reveal());
    Ok(())
}

/// The protected resource: `[enterprise] resource_url`, else the listener's URL plus `/mcp`.
fn protected_resource(config: &EnterpriseConfig) -> Option<ProtectedResource> {
    let server = &config.loaded.config.server;
    if server.transport == TransportKind::Stdio {
        return None;
    }
    Some(ProtectedResource {
        resource: config.settings.resource_url.clone(),
        authorization_servers: Vec::new(),
        scopes_supported: all_scopes(),
    })
}

/// The seams of the enterprise server.
pub fn overrides(
    config: &EnterpriseConfig,
    store: Arc<dyn ControlStore>,
    audit: Arc<dyn AuditSink>,
) -> ServerOverrides {
    let view = Arc::new(ControlView::new(store.clone(), config.settings.cache_ttl()));
    let stdio_token = std::env::var(API_KEY_ENV).ok();
    let authenticator = Arc::new(EnterpriseAuthenticator::new(view.clone(), stdio_token));
    let resource = protected_resource(config);
    let admin = AdminHttp::new(AdminService::new(store, view.clone(), audit.clone()));
    ServerOverrides {
        authenticator: Some(authenticator),
        tenant_resolver: Some(Arc::new(EnterpriseTenantResolver::new(view.clone()))),
        tool_visibility: Some(Arc::new(PermissionVisibility)),
        namespace_authority: Some(Arc::new(ControlNamespaceAuthority::new(view))),
        audit: Some(audit),
        http_routes: Some(routes(Arc::new(admin))),
        auth_label: Some("api_key_or_client_certificate"),
        protected_resource: resource,
        ..ServerOverrides::default()
    }
}
