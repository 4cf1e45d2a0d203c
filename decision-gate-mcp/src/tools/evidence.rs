//! `evidence_query`: ask one provider directly; provider failures are in-band.

use std::sync::Arc;

use decision_gate_core::evidence::{
    EvidenceResult, RawValuePolicy, hash_evidence_value, provider_error_result, redact_evidence_result,
};
use serde_json::{Value, json};

use super::args::EvidenceQueryArgs;
use super::mapping::{blocking, to_value};
use crate::errors::ToolError;
use crate::state::ServerState;

/// Shapes a raw provider answer for the response: errors null the value, content type and
/// hash; a value without a hash gets one; raw values are redacted unless allowed.
pub fn shape_result(mut result: EvidenceResult, raw_allowed: bool) -> EvidenceResult {
    if result.error.is_some() {
        result.value = None;
        result.content_type = None;
        result.evidence_hash = None;
    } else if result.evidence_hash.is_none()
        && let Some(value) = &result.value
    {
        result.evidence_hash = hash_evidence_value(value).ok();
    }
    redact_evidence_result(&result, raw_allowed)
}

/// `evidence_query`.
pub async fn query(state: &Arc<ServerState>, args: EvidenceQueryArgs) -> Result<Value, ToolError> {
    state.providers.registry.validate_query(&args.query).map_err(|err| ToolError::invalid_params(err.to_string()))?;
    let state = state.clone();
    blocking(move || {
        let raw = match state.evidence.query(&args.query, &args.context) {
            Ok(result) => result,
            Err(error) => provider_error_result(&error.0),
        };
        let policy = RawValuePolicy {
            allow_raw_values: state.config.evidence.allow_raw_values,
            require_provider_opt_in: state.config.evidence.require_provider_opt_in,
        };
        let allowed = policy.raw_allowed(state.providers.provider.allow_raw(args.query.provider_id.as_str()));
        Ok(json!({"result": to_value(&shape_result(raw, allowed))?}))
    })
    .await
}
