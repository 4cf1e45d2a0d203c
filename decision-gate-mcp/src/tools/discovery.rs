//! Provider discovery tools: `providers_list`, `provider_contract_get`, `provider_check_schema_get`.

use std::sync::Arc;

use decision_gate_core::hashing::to_canonical_vec;
use serde_json::{Value, json};

use super::args::{CheckSchemaArgs, ContractArgs};
use super::mapping::to_value;
use crate::errors::{ErrorCode, ToolError};
use crate::state::ServerState;

/// `providers_list` (not filtered by the discovery lists).
pub fn providers_list(state: &Arc<ServerState>) -> Result<Value, ToolError> {
    Ok(json!({"providers": to_value(&state.providers.registry.providers_list())?}))
}

/// Discovery policy: the denylist wins; a non-empty allowlist must contain the provider.
fn disclosure_allowed(state: &ServerState, provider_id: &str) -> bool {
    let discovery = &state.config.provider_discovery;
    !discovery.denylist.iter().any(|id| id == provider_id)
        && (discovery.allowlist.is_empty() || discovery.allowlist.iter().any(|id| id == provider_id))
}

fn checked_size(state: &ServerState, value: Value) -> Result<Value, ToolError> {
    let size = to_canonical_vec(&value).map_or(usize::MAX, |bytes| bytes.len());
    if size > state.config.provider_discovery.max_response_bytes {
        return Err(ToolError::new(ErrorCode::RequestTooLarge, "provider discovery response exceeds size limit"));
    }
    Ok(value)
}

fn guard(state: &ServerState, provider_id: &str) -> Result<(), ToolError> {
    if provider_id.trim().is_empty() {
        return Err(ToolError::invalid_params("provider_id is required"));
    }
    if !disclosure_allowed(state, provider_id) {
        tracing::info!(provider_id, "provider contract disclosure denied");
        return Err(ToolError::unauthorized());
    }
    Ok(())
}

/// `provider_contract_get`.
pub fn contract_get(state: &Arc<ServerState>, args: ContractArgs) -> Result<Value, ToolError> {
    let provider_id = args.provider_id.as_str();
    guard(state, provider_id)?;
    let registered =
        state.providers.registry.contract(provider_id).map_err(|err| ToolError::invalid_params(err.to_string()))?;
    checked_size(
        state,
        json!({
            "provider_id": provider_id,
            "contract": to_value(&registered.contract)?,
            "contract_hash": to_value(&registered.contract_hash)?,
            "source": to_value(&registered.source)?,
            "version": null,
        }),
    )
}

/// `provider_check_schema_get`.
pub fn check_schema_get(state: &Arc<ServerState>, args: CheckSchemaArgs) -> Result<Value, ToolError> {
    let provider_id = args.provider_id.as_str();
    guard(state, provider_id)?;
    if args.check_id.trim().is_empty() {
        return Err(ToolError::invalid_params("check_id is required"));
    }
    let registered =
        state.providers.registry.contract(provider_id).map_err(|err| ToolError::invalid_params(err.to_string()))?;
    let check = registered
        .contract
        .check(&args.check_id)
        .ok_or_else(|| ToolError::invalid_params(format!("check_missing: check not found: {}", args.check_id)))?;
    checked_size(
        state,
        json!({
            "provider_id": provider_id,
            "check_id": check.check_id,
            "params_required": check.params_required,
            "params_schema": check.params_schema,
            "result_schema": check.result_schema,
            "allowed_comparators": to_value(&check.allowed_comparators)?,
            "determinism": to_value(&check.determinism)?,
            "anchor_types": check.anchor_types,
            "content_types": check.content_types,
            "examples": to_value(&check.examples)?,
            "contract_hash": to_value(&registered.contract_hash)?,
        }),
    )
}
