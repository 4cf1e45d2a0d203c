//! `precheck`: evaluate asserted data against a stage without touching any run (core-model §10).

use std::sync::Arc;

use decision_gate_core::engine::{ControlPlane, precheck_evidence_from_payload};
use decision_gate_core::hashing::hash_canonical;
use serde_json::Value;

use super::args::{PrecheckArgs, Scoped};
use super::mapping::{blocking, control_plane_error, registry_error, store_error, to_value};
use super::registry::{authorize, compile_schema};
use crate::config::RegistryAction;
use crate::errors::ToolError;
use crate::pipeline::{AuditEvent, AuditHeader, CallContext, PrecheckAuditEvent};
use crate::providers::{validate_strict_precheck, validate_strict_spec};
use crate::state::ServerState;

fn resolve_engine(state: &ServerState, scope: Scoped, args: &PrecheckArgs) -> Result<Arc<ControlPlane>, ToolError> {
    let inline = |spec: &decision_gate_core::spec::ScenarioSpec| -> Result<Arc<ControlPlane>, ToolError> {
        if spec.namespace_id != scope.namespace {
            return Err(ToolError::invalid_params("spec namespace_id does not match request namespace_id"));
        }
        state.providers.registry.validate_spec(spec).map_err(|err| ToolError::invalid_params(err.to_string()))?;
        if state.config.validation.strict {
            validate_strict_spec(spec, &state.providers.registry, &state.config.validation)
                .map_err(|err| ToolError::invalid_params(err.message))?;
        }
        state.engines.build(spec.clone()).map(Arc::new).map_err(|err| ToolError::invalid_params(err.to_string()))
    };
    match (&args.scenario_id, &args.spec) {
        (Some(scenario_id), Some(spec)) => {
            if &spec.scenario_id != scenario_id {
                return Err(ToolError::invalid_params("scenario_id does not match spec.scenario_id"));
            }
            inline(spec)
        }
        (Some(scenario_id), None) => {
            let stored = state
                .scenarios
                .get(scope.tenant, scope.namespace, scenario_id)
                .map_err(store_error)?
                .ok_or_else(|| ToolError::not_found("scenario not defined"))?;
            state.engines.engine_for(scope.tenant, &stored.spec, &stored.spec_hash).map_err(control_plane_error)
        }
        (None, Some(spec)) => inline(spec),
        (None, None) => Err(ToolError::invalid_params("scenario_id or spec is required")),
    }
}

/// `precheck`.
pub async fn precheck(
    state: &Arc<ServerState>,
    ctx: &CallContext,
    scope: Scoped,
    args: PrecheckArgs,
) -> Result<Value, ToolError> {
    let shape = &args.data_shape;
    authorize(state, ctx, RegistryAction::Get, scope.tenant, scope.namespace, Some((&shape.schema_id, &shape.version)))
        .await?;
    let worker_state = state.clone();
    let request_args = args.clone();
    let (response, scenario_id) = blocking(move || {
        let state = worker_state;
        let args = request_args;
        let record = state
            .shapes
            .get(scope.tenant, scope.namespace, &args.data_shape.schema_id, &args.data_shape.version)
            .map_err(registry_error)?
            .ok_or_else(|| ToolError::not_found("schema not found"))?;
        let validator = compile_schema(&record.schema)
            .map_err(|err| ToolError::invalid_params(format!("invalid schema: {err}")))?;
        let violations: Vec<String> = validator.iter_errors(&args.payload).map(|error| error.to_string()).collect();
        if !violations.is_empty() {
            return Err(ToolError::invalid_params(format!("payload does not match schema: {}", violations.join("; "))));
        }
        let engine = resolve_engine(&state, scope, &args)?;
        if engine.spec().default_tenant_id.is_some_and(|pinned| pinned != scope.tenant) {
            tracing::info!("precheck denied: tenant_id does not match scenario tenant");
            return Err(ToolError::unauthorized());
        }
        if state.config.validation.strict {
            validate_strict_precheck(engine.spec(), &record.schema, &state.config.validation)
                .map_err(|err| ToolError::invalid_params(err.message))?;
        }
        let evidence =
            precheck_evidence_from_payload(engine.spec(), &args.payload).map_err(ToolError::invalid_params)?;
        let result = engine.precheck(args.stage_id.as_ref(), &evidence).map_err(control_plane_error)?;
        Ok((to_value(&result)?, engine.spec().scenario_id.to_string()))
    })
    .await?;
    let request_value = to_value(&RequestView(&args))?;
    let log_payloads = state.config.server.audit.log_precheck_payloads;
    let header = AuditHeader::for_call(ctx).scoped(Some(scope.tenant), Some(scope.namespace));
    let record = header.record(AuditEvent::PrecheckAudit(PrecheckAuditEvent {
        scenario_id: Some(scenario_id),
        stage_id: args.stage_id.as_ref().map(ToString::to_string),
        schema_id: shape.schema_id.to_string(),
        schema_version: shape.version.to_string(),
        request_hash: hash_canonical(&request_value).map_err(|err| ToolError::internal(err.to_string()))?,
        response_hash: hash_canonical(&response).map_err(|err| ToolError::internal(err.to_string()))?,
        request: log_payloads.then(|| request_value.clone()),
        response: log_payloads.then(|| response.clone()),
        redaction: if log_payloads { "payload" } else { "hash_only" },
    }));
    if let Err(error) = state.audit.record(&record).await {
        tracing::warn!(%error, "precheck audit record failed");
        if state.config.server.audit.required {
            return Err(ToolError::internal("audit unavailable"));
        }
    }
    Ok(response)
}

/// The request as hashed for the audit event.
struct RequestView<'a>(&'a PrecheckArgs);

impl serde::Serialize for RequestView<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let args = self.0;
        let mut out = serializer.serialize_struct("PrecheckRequest", 7)?;
        out.serialize_field("tenant_id", &args.tenant_id)?;
        out.serialize_field("namespace_id", &args.namespace_id)?;
        out.serialize_field("data_shape", &args.data_shape)?;
        out.serialize_field("payload", &args.payload)?;
        out.serialize_field("scenario_id", &args.scenario_id)?;
        out.serialize_field("spec", &args.spec)?;
        out.serialize_field("stage_id", &args.stage_id)?;
        out.end()
    }
}
