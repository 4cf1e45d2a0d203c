//! Schema registry tools: `schemas_register`, `schemas_list`, `schemas_get` (with the ACL).

use std::sync::Arc;

use decision_gate_core::hashing::{CanonicalError, to_canonical_vec_limited};
use decision_gate_core::ids::{DataShapeVersion, NamespaceId, SchemaId, TenantId};
use serde_json::{Value, json};

use super::args::{GetArgs, ListArgs, RegisterArgs, Scoped};
use super::mapping::{blocking, list_limit, registry_error, to_value};
use crate::auth::RegistryAclRequest;
use crate::config::RegistryAction;
use crate::errors::ToolError;
use crate::pipeline::{AuditEvent, AuditHeader, CallContext, RegistryAuditEvent};
use crate::state::ServerState;

fn action_label(action: RegistryAction) -> &'static str {
    match action {
        RegistryAction::Register => "register",
        RegistryAction::List => "list",
        RegistryAction::Get => "get",
    }
}

/// Evaluates and audits the registry ACL; a denial is -32003 (and so is an evaluation whose
/// record cannot be written).
pub async fn authorize(
    state: &ServerState,
    ctx: &CallContext,
    action: RegistryAction,
    tenant: TenantId,
    namespace: NamespaceId,
    schema: Option<(&SchemaId, &DataShapeVersion)>,
) -> Result<(), ToolError> {
    let decision = state.acl.evaluate(&RegistryAclRequest { principal: &ctx.principal, action, tenant, namespace });
    let record = AuditHeader::for_call(ctx).scoped(Some(tenant), Some(namespace)).record(AuditEvent::RegistryAudit(
        RegistryAuditEvent {
            action: action_label(action),
            allowed: decision.allowed,
            reason: decision.reason.clone(),
            roles: decision.roles.clone(),
            policy_class: decision.policy_class.clone(),
            schema_id: schema.map(|(id, _)| id.to_string()),
            schema_version: schema.map(|(_, version)| version.to_string()),
        },
    ));
    let written = state.audit.record(&record).await;
    let mandatory = action == RegistryAction::Register || state.config.server.audit.required;
    if let Err(error) = &written {
        tracing::warn!(%error, "registry audit record failed");
    }
    if decision.allowed && (written.is_ok() || !mandatory) {
        Ok(())
    } else if decision.allowed {
        Err(ToolError::internal("audit unavailable"))
    } else {
        Err(ToolError::unauthorized().with_audit_reason(decision.reason))
    }
}

/// Compiles a schema as JSON Schema draft 2020-12 (meta-validation plus compilation; remote
/// references cannot be resolved, so they fail).
pub fn compile_schema(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::draft202012::meta::validate(schema).map_err(|err| err.to_string())?;
    jsonschema::draft202012::new(schema).map_err(|err| err.to_string())
}

/// `schemas_register`: ACL, signing requirement, size, compilation, then the store (duplicate
/// before entry cap). Echoes the request record.
pub async fn register(
    state: &Arc<ServerState>,
    ctx: &CallContext,
    scope: Scoped,
    args: RegisterArgs,
) -> Result<Value, ToolError> {
    let record = args.record;
    authorize(
        state,
        ctx,
        RegistryAction::Register,
        scope.tenant,
        scope.namespace,
        Some((&record.schema_id, &record.version)),
    )
    .await?;
    if state.acl.require_signing() {
        let signed = record
            .signing
            .as_ref()
            .is_some_and(|signing| !signing.key_id.trim().is_empty() && !signing.signature.trim().is_empty());
        if !signed {
            return Err(ToolError::unauthorized());
        }
    }
    let max = state.config.schema_registry.max_schema_bytes;
    to_canonical_vec_limited(&record.schema, max).map_err(|err| match err {
        CanonicalError::TooLarge { actual, max } => {
            ToolError::invalid_params(format!("schema exceeds size limit: {actual} bytes (max {max})"))
        }
        other => ToolError::invalid_params(other.to_string()),
    })?;
    compile_schema(&record.schema).map_err(|err| ToolError::invalid_params(format!("invalid schema: {err}")))?;
    let state = state.clone();
    blocking(move || {
        state.shapes.register(&record).map_err(registry_error)?;
        Ok(json!({"record": to_value(&record)?}))
    })
    .await
}

/// `schemas_list`.
pub async fn list(
    state: &Arc<ServerState>,
    ctx: &CallContext,
    scope: Scoped,
    args: ListArgs,
) -> Result<Value, ToolError> {
    let limit = list_limit(args.limit)?;
    authorize(state, ctx, RegistryAction::List, scope.tenant, scope.namespace, None).await?;
    let state = state.clone();
    blocking(move || {
        let page =
            state.shapes.list(scope.tenant, scope.namespace, args.cursor.as_deref(), limit).map_err(registry_error)?;
        to_value(&page)
    })
    .await
}

/// `schemas_get`.
pub async fn get(
    state: &Arc<ServerState>,
    ctx: &CallContext,
    scope: Scoped,
    args: GetArgs,
) -> Result<Value, ToolError> {
    authorize(state, ctx, RegistryAction::Get, scope.tenant, scope.namespace, Some((&args.schema_id, &args.version)))
        .await?;
    let state = state.clone();
    blocking(move || {
        let record = state
            .shapes
            .get(scope.tenant, scope.namespace, &args.schema_id, &args.version)
            .map_err(registry_error)?
            .ok_or_else(|| ToolError::not_found("schema not found"))?;
        Ok(json!({"record": to_value(&record)?}))
    })
    .await
}
