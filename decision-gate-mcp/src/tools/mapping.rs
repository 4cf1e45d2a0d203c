//! Mapping of engine, store and registry errors to tool errors (mcp-surface §3.1, §7.3).

use decision_gate_core::engine::ControlPlaneError;
use decision_gate_core::ports::{DataShapeError, StoreError};

use crate::errors::{ErrorCode, ToolError};

/// Engine failures: unknown runs are not-found, conflicts are -32009 (compare-and-set
/// exhaustion retryable), store failures internal, everything else -32030 with the engine text.
pub fn control_plane_error(error: ControlPlaneError) -> ToolError {
    match &error {
        ControlPlaneError::RunNotFound(_) => ToolError::not_found(error.to_string()),
        // Worded exactly like an unknown run; the audit log gets the real reason.
        ControlPlaneError::RunNotOwned { .. } => {
            let reason = error.audit_reason().unwrap_or_default();
            ToolError::not_found(error.to_string()).with_audit_reason(reason)
        }
        ControlPlaneError::SubmissionConflict(_) => ToolError::conflict(error.to_string()),
        ControlPlaneError::RunStateConflict(_) => ToolError::conflict(error.to_string()).retryable(),
        ControlPlaneError::Store(store) => store_error(store.clone()),
        _ => ToolError::new(ErrorCode::ControlPlane, error.to_string()),
    }
}

/// Store failures: conflicts -32009, invalid input -32602, everything else internal.
pub fn store_error(error: StoreError) -> ToolError {
    match error {
        StoreError::Conflict(message) | StoreError::AlreadyExists(message) => ToolError::conflict(message),
        StoreError::Invalid(message) => ToolError::invalid_params(message),
        other => ToolError::internal(other.to_string()),
    }
}

/// Registry failures: Io ⇒ -32050, Invalid ⇒ -32602, Conflict ⇒ -32009, Access ⇒ -32003,
/// Corrupt ⇒ -32050.
pub fn registry_error(error: DataShapeError) -> ToolError {
    match error {
        DataShapeError::Invalid(message) => ToolError::invalid_params(message),
        DataShapeError::Conflict(message) => ToolError::conflict(message),
        DataShapeError::Access(_) => ToolError::unauthorized(),
        other => ToolError::internal(other.to_string()),
    }
}

/// Runs blocking work (engine, SQLite, providers) on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ToolError> + Send + 'static,
) -> Result<T, ToolError> {
    tokio::task::spawn_blocking(work).await.map_err(|err| ToolError::internal(format!("worker failed: {err}")))?
}

/// Serialises a result object.
pub fn to_value<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, ToolError> {
    serde_json::to_value(value).map_err(|_| ToolError::new(ErrorCode::Serialization, "serialization failed"))
}

/// Validates a list page size: default 50, allowed 1..=1000.
pub fn list_limit(limit: Option<i64>) -> Result<usize, ToolError> {
    match limit {
        None => Ok(50),
        Some(limit @ 1..=1000) => Ok(limit as usize),
        Some(_) => Err(ToolError::invalid_params("limit must be between 1 and 1000")),
    }
}
