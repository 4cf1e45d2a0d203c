//! Scenario tools: define, start, status, next, submit, trigger, list.

use std::sync::Arc;

use decision_gate_core::engine::ControlPlane;
use decision_gate_core::evidence::RawValuePolicy;
use decision_gate_core::ids::{NamespaceId, ScenarioId, TenantId};
use serde_json::{Value, json};

use super::args::{DefineArgs, ListArgs, NextArgs, Scoped, StartArgs, StatusArgs, SubmitArgs, TriggerArgs};
use super::feedback::{feedback_object, grant};
use super::mapping::{blocking, control_plane_error, list_limit, store_error, to_value};
use crate::errors::ToolError;
use crate::pipeline::CallContext;
use crate::providers::validate_strict_spec;
use crate::state::ServerState;

/// The engine of a stored definition, or `scenario not defined`.
pub fn engine_for(
    state: &ServerState,
    tenant: TenantId,
    namespace: NamespaceId,
    scenario_id: &ScenarioId,
) -> Result<Arc<ControlPlane>, ToolError> {
    if let Some(engine) = state.engines.cached(tenant, namespace, scenario_id) {
        return Ok(engine);
    }
    let stored = state
        .scenarios
        .get(tenant, namespace, scenario_id)
        .map_err(store_error)?
        .ok_or_else(|| ToolError::not_found("scenario not defined"))?;
    state.engines.engine_for(tenant, &stored.spec, &stored.spec_hash).map_err(control_plane_error)
}

/// `scenario_define` in the authorized tenant.
pub async fn define(state: &Arc<ServerState>, scope: Scoped, args: DefineArgs) -> Result<Value, ToolError> {
    let state = state.clone();
    blocking(move || {
        let tenant = scope.tenant;
        let spec = args.spec;
        if state.scenarios.get(tenant, spec.namespace_id, &spec.scenario_id).map_err(store_error)?.is_some() {
            return Err(ToolError::conflict("scenario already defined"));
        }
        state.providers.registry.validate_spec(&spec).map_err(|err| ToolError::invalid_params(err.to_string()))?;
        if state.config.validation.strict {
            validate_strict_spec(&spec, &state.providers.registry, &state.config.validation)
                .map_err(|err| ToolError::invalid_params(err.message))?;
        }
        let engine = state.engines.build(spec.clone()).map_err(control_plane_error)?;
        let spec_hash = state.scenarios.define(tenant, &spec).map_err(store_error)?;
        debug_assert_eq!(&spec_hash, engine.spec_hash());
        Ok(json!({"scenario_id": spec.scenario_id, "spec_hash": spec_hash}))
    })
    .await
}

/// `scenario_start`.
pub async fn start(state: &Arc<ServerState>, scope: Scoped, args: StartArgs) -> Result<Value, ToolError> {
    let state = state.clone();
    blocking(move || {
        let config = &args.run_config;
        let engine = engine_for(&state, scope.tenant, scope.namespace, &args.scenario_id)?;
        let run = engine.start_run(config, args.started_at, args.issue_entry_packets).map_err(control_plane_error)?;
        to_value(&run)
    })
    .await
}

/// `scenario_status` (read-only).
pub async fn status(state: &Arc<ServerState>, scope: Scoped, args: StatusArgs) -> Result<Value, ToolError> {
    let state = state.clone();
    blocking(move || {
        let request = &args.request;
        let engine = engine_for(&state, scope.tenant, scope.namespace, &args.scenario_id)?;
        to_value(&engine.scenario_status(request).map_err(control_plane_error)?)
    })
    .await
}

/// `scenario_next` with feedback.
pub async fn next(
    state: &Arc<ServerState>,
    ctx: &CallContext,
    scope: Scoped,
    args: NextArgs,
) -> Result<Value, ToolError> {
    let request = args.request.clone();
    let feedback_config = &state.config.server.feedback.scenario_next;
    let granted = grant(feedback_config, ctx, args.feedback, scope.tenant, scope.namespace);
    let state = state.clone();
    blocking(move || {
        let engine = engine_for(&state, scope.tenant, scope.namespace, &args.scenario_id)?;
        let result = state
            .run_locks
            .with_run(scope.tenant, scope.namespace, &request.run_id, || engine.scenario_next(&request))
            .map_err(control_plane_error)?;
        let mut value = to_value(&result)?;
        if granted.include {
            let needs_state = granted.level >= crate::config::FeedbackLevel::Trace;
            let run = if needs_state {
                Some(engine.load_run(scope.tenant, scope.namespace, &request.run_id).map_err(control_plane_error)?.0)
            } else {
                None
            };
            let raw = RawValuePolicy {
                allow_raw_values: state.config.evidence.allow_raw_values,
                require_provider_opt_in: state.config.evidence.require_provider_opt_in,
            };
            let feedback =
                feedback_object(&granted, run.as_ref(), engine.spec(), &request.trigger_id, raw, &|provider| {
                    state.providers.provider.allow_raw(provider)
                });
            value["feedback"] = feedback;
        }
        Ok(value)
    })
    .await
}

/// `scenario_submit`.
pub async fn submit(state: &Arc<ServerState>, scope: Scoped, args: SubmitArgs) -> Result<Value, ToolError> {
    let state = state.clone();
    blocking(move || {
        let request = &args.request;
        let engine = engine_for(&state, scope.tenant, scope.namespace, &args.scenario_id)?;
        let result = state
            .run_locks
            .with_run(scope.tenant, scope.namespace, &request.run_id, || engine.scenario_submit(request));
        to_value(&result.map_err(control_plane_error)?)
    })
    .await
}

/// `scenario_trigger`.
pub async fn trigger(state: &Arc<ServerState>, scope: Scoped, args: TriggerArgs) -> Result<Value, ToolError> {
    let state = state.clone();
    blocking(move || {
        let trigger = &args.trigger;
        let engine = engine_for(&state, scope.tenant, scope.namespace, &args.scenario_id)?;
        let result =
            state.run_locks.with_run(scope.tenant, scope.namespace, &trigger.run_id, || engine.trigger(trigger));
        to_value(&result.map_err(control_plane_error)?)
    })
    .await
}

/// `scenarios_list`.
pub async fn list(state: &Arc<ServerState>, scope: Scoped, args: ListArgs) -> Result<Value, ToolError> {
    let limit = list_limit(args.limit)?;
    let state = state.clone();
    blocking(move || {
        let page =
            state.scenarios.list(scope.tenant, scope.namespace, args.cursor.as_deref(), limit).map_err(store_error)?;
        to_value(&page)
    })
    .await
}
