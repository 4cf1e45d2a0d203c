//! `runpack_export` and `runpack_verify` (runpacks-and-stores §8), confined to the runpack
//! root, or handed to a storage hook.

use std::sync::Arc;

use decision_gate_core::runpack::{
    MAX_ARTIFACT_BYTES, RunpackBuildOptions, RunpackError, RunpackSecurityContext, VerifyOptions, build_runpack,
    verify_runpack,
};
use serde_json::{Map, Value, json};

use super::args::{ExportArgs, VerifyArgs};
use super::mapping::{blocking, to_value};
use super::scenario::engine_for;
use crate::errors::{ErrorCode, ToolError};
use crate::state::{RunpackKey, ServerState};
use crate::stores::RunpackFsError;

fn runpack_error(message: impl Into<String>) -> ToolError {
    ToolError::new(ErrorCode::Runpack, message)
}

fn fs_error(error: RunpackFsError) -> ToolError {
    if error.is_path_violation() {
        ToolError::invalid_params(error.to_string())
    } else {
        runpack_error(error.to_string())
    }
}

fn build_error(error: RunpackError) -> ToolError {
    runpack_error(error.to_string())
}

/// `runpack_export`.
pub async fn export(state: &Arc<ServerState>, args: ExportArgs) -> Result<Value, ToolError> {
    let worker = state.clone();
    let (manifest, report, staged) = blocking(move || {
        let state = worker;
        let engine = engine_for(&state, args.tenant_id, args.namespace_id, &args.scenario_id)?;
        let (run, _) = state
            .runs
            .load(args.tenant_id, args.namespace_id, &args.run_id)
            .map_err(|err| ToolError::internal(err.to_string()))?
            .ok_or_else(|| ToolError::not_found("run not found"))?;
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
        let manifest_name = args.manifest_name.clone().unwrap_or_else(|| "manifest.json".to_owned());
        // With a storage hook the runpack is built in a server-controlled temporary directory.
        let (temp_root, staged_key) = if state.runpack_storage.is_some() {
            let dir = std::env::temp_dir().join(format!("decision-gate-runpack-{}", state.correlation.next()));
            std::fs::create_dir_all(&dir).map_err(|err| runpack_error(err.to_string()))?;
            let key =
                RunpackKey { tenant_id: args.tenant_id, namespace_id: args.namespace_id, run_id: args.run_id.clone() };
            (Some(crate::stores::RunpackRoot::open(&dir).map_err(fs_error)?), Some((key, dir)))
        } else {
            (None, None)
        };
        let (root, output_dir) = match &temp_root {
            Some(temp) => (temp, "runpack".to_owned()),
            None => (
                state.runpack_root.as_ref().ok_or_else(|| runpack_error("runpack root is not configured"))?,
                args.output_dir
                    .clone()
                    .ok_or_else(|| runpack_error("output_dir is required when runpack storage is not configured"))?,
            ),
        };
        let mut writer = root.create_writer(&output_dir, &manifest_name).map_err(fs_error)?;
        let built = build_runpack(engine.spec(), &run, &mut writer, &options).map_err(build_error)?;
        let final_path = writer.commit().map_err(fs_error)?;
        Ok((built.manifest, built.report, staged_key.map(|(key, dir)| (key, final_path, dir))))
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
    if let (Some(hook), Some((key, path, temp_dir))) = (&state.runpack_storage, staged) {
        let uri = hook.store_runpack(&key, &path).await.map_err(runpack_error);
        let _ = std::fs::remove_dir_all(&temp_dir);
        if let Some(uri) = uri? {
            response.insert("storage_uri".into(), json!(uri));
        }
    }
    Ok(Value::Object(response))
}

/// Reads and parses the manifest of a `runpack_verify` call (before tenant authorization,
/// which needs its ids). Missing, unreadable, oversized or unparsable ⇒ `invalid manifest`.
pub async fn read_manifest_for_verify(state: &ServerState, args: &mut VerifyArgs) -> Result<(), ToolError> {
    let root = state.runpack_root.as_ref().ok_or_else(|| runpack_error("runpack root is not configured"))?;
    let reader = root.open_reader(&args.runpack_dir).map_err(|err| match err {
        violation if violation.is_path_violation() => ToolError::invalid_params(violation.to_string()),
        _ => runpack_error("invalid manifest"),
    })?;
    let bytes = reader.read_manifest(&args.manifest_path).map_err(|err| match err {
        violation if violation.is_path_violation() => ToolError::invalid_params(violation.to_string()),
        _ => runpack_error("invalid manifest"),
    })?;
    if bytes.len() > MAX_ARTIFACT_BYTES {
        return Err(runpack_error("invalid manifest"));
    }
    let manifest = serde_json::from_slice(&bytes).map_err(|_| runpack_error("invalid manifest"))?;
    args.manifest = Some(manifest);
    args.manifest_bytes = bytes;
    Ok(())
}

/// `runpack_verify`: a failing verification is a normal result.
pub async fn verify(state: &Arc<ServerState>, args: VerifyArgs) -> Result<Value, ToolError> {
    let state = state.clone();
    blocking(move || {
        let root = state.runpack_root.as_ref().ok_or_else(|| runpack_error("runpack root is not configured"))?;
        let reader = root.open_reader(&args.runpack_dir).map_err(fs_error)?;
        let verify = &state.config.runpack.verify;
        let options = VerifyOptions {
            expected_anchor_policy: Some(&state.anchor_policy),
            evidence_keys: state.evidence_keys.as_ref(),
            trusted_keys: &state.trusted_keys,
            require_signature: verify.require_signature,
            allow_legacy_v1: verify.allow_legacy_v1,
        };
        let summary =
            verify_runpack(&args.manifest_bytes, &reader, &options).map_err(|_| runpack_error("invalid manifest"))?;
        let report = to_value(&summary)?;
        Ok(json!({"status": report["status"].clone(), "report": report}))
    })
    .await
}
