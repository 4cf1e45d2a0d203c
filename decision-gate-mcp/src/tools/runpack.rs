//! `runpack_export` and `runpack_verify` (runpacks-and-stores §8), through the runpack storage
//! seam and always inside the authorized tenant's and namespace's partition.

use std::sync::Arc;

use decision_gate_core::engine::ControlPlaneError;
use decision_gate_core::runpack::{
    MAX_ARTIFACT_BYTES, RunpackBuildOptions, RunpackManifest, RunpackSecurityContext, VerifyOptions, build_runpack,
    verify_runpack,
};
use serde_json::{Map, Value, json};

use super::args::{ExportArgs, Scoped, VerifyArgs};
use super::mapping::{blocking, control_plane_error, to_value};
use super::scenario::engine_for;
use crate::errors::{ErrorCode, ToolError};
use crate::state::ServerState;
use crate::stores::{ExportTarget, RunpackSource, RunpackStorage, RunpackStorageError};

fn runpack_error(message: impl Into<String>) -> ToolError {
    ToolError::new(ErrorCode::Runpack, message)
}

fn storage_error(error: RunpackStorageError) -> ToolError {
    match error {
        RunpackStorageError::InvalidPath(message) => ToolError::invalid_params(message),
        other => runpack_error(other.to_string()),
    }
}

fn storage(state: &ServerState) -> Result<&Arc<dyn RunpackStorage>, ToolError> {
    state.runpack_storage.as_ref().ok_or_else(|| runpack_error("runpack root is not configured"))
}

/// `runpack_export`: the run must belong to the named scenario (an unknown run and another
/// scenario's run are the same `run not found`).
pub async fn export(state: &Arc<ServerState>, scope: Scoped, args: ExportArgs) -> Result<Value, ToolError> {
    let state = state.clone();
    let (manifest, report, storage_uri) = blocking(move || {
        let engine = engine_for(&state, scope.tenant, scope.namespace, &args.scenario_id)?;
        let (run, _) = engine.load_run(scope.tenant, scope.namespace, &args.run_id).map_err(|err| match err {
            ControlPlaneError::RunNotFound(_) => ToolError::not_found("run not found"),
            ControlPlaneError::RunNotOwned { .. } => {
                ToolError::not_found("run not found").with_audit_reason(err.audit_reason().unwrap_or_default())
            }
            other => control_plane_error(other),
        })?;
        let security = RunpackSecurityContext {
            dev_permissive: state.config.dev_permissive(),
            namespace_authority: state.namespace_authority.label().to_owned(),
        };
        let options = RunpackBuildOptions {
            generated_at: args.generated_at,
            include_verification: args.include_verification,
            anchor_policy: &state.anchor_policy,
            security: Some(security),
            signing_key: state.signing_key.as_ref(),
            evidence_keys: state.evidence_keys.as_ref(),
        };
        let manifest_name = args.manifest_name.as_deref().unwrap_or("manifest.json");
        let target = ExportTarget {
            tenant: scope.tenant,
            namespace: scope.namespace,
            run_id: &args.run_id,
            spec_hash: &run.spec_hash,
            output_dir: args.output_dir.as_deref(),
            manifest_name,
        };
        let mut writer = storage(&state)?.create(&target).map_err(storage_error)?;
        let built =
            build_runpack(engine.spec(), &run, &mut *writer, &options).map_err(|err| runpack_error(err.to_string()))?;
        let storage_uri = writer.commit().map_err(storage_error)?;
        // The embedded verifier report counts the artifacts it checked (byte-compatible with
        // Decision Gate OSS); the answer counts the files of the finished runpack, the report
        // itself included, as runpack_verify does.
        let report = built.report.map(|mut report| {
            report.checked_files += 1;
            report
        });
        Ok((built.manifest, report, storage_uri))
    })
    .await?;
    let mut response = Map::new();
    response.insert("manifest".into(), to_value(&manifest)?);
    response.insert(
        "report".into(),
        match &report {
            Some(report) => to_value(report)?,
            None => Value::Null,
        },
    );
    if let Some(uri) = storage_uri {
        response.insert("storage_uri".into(), json!(uri));
    }
    Ok(Value::Object(response))
}

/// `runpack_verify`: reads the manifest through the storage seam (after tenant authorization,
/// inside the authorized partition) and verifies. A failing verification is a normal result;
/// a missing, unreadable, oversized, unparsable or foreign manifest is `invalid manifest`.
pub async fn verify(state: &Arc<ServerState>, scope: Scoped, args: VerifyArgs) -> Result<Value, ToolError> {
    let state = state.clone();
    blocking(move || {
        let invalid = || runpack_error("invalid manifest");
        let source = RunpackSource { tenant: scope.tenant, namespace: scope.namespace, runpack_dir: &args.runpack_dir };
        let reader = storage(&state)?.open(&source).map_err(|err| match err {
            RunpackStorageError::InvalidPath(message) => ToolError::invalid_params(message),
            _ => invalid(),
        })?;
        let bytes = reader.read_manifest(&args.manifest_path).map_err(|err| match err {
            RunpackStorageError::InvalidPath(message) => ToolError::invalid_params(message),
            _ => invalid(),
        })?;
        if bytes.len() > MAX_ARTIFACT_BYTES {
            return Err(invalid());
        }
        // A manifest of another tenant or namespace copied into this partition is not this
        // partition's runpack.
        let manifest: RunpackManifest = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if manifest.tenant_id != scope.tenant || manifest.namespace_id != scope.namespace {
            return Err(invalid().with_audit_reason("manifest names another tenant or namespace"));
        }
        let verify = &state.config.runpack.verify;
        let options = VerifyOptions {
            expected_anchor_policy: Some(&state.anchor_policy),
            evidence_keys: state.evidence_keys.as_ref(),
            trusted_keys: &state.trusted_keys,
            require_signature: verify.require_signature,
            allow_legacy_v1: verify.allow_legacy_v1,
        };
        let summary = verify_runpack(&bytes, &*reader, &options).map_err(|_| invalid())?;
        let report = to_value(&summary)?;
        Ok(json!({"status": report["status"].clone(), "report": report}))
    })
    .await
}
