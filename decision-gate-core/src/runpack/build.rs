//! Runpack export (runpacks-and-stores §5.1).

use serde::Serialize;

use super::checks::ArtifactCache;
use super::verify::{VerificationReport, verify_written_artifacts};
use super::{
    ARTIFACT_CONTENT_TYPE, ArtifactRecord, EvidenceKeySet, FileHash, MAX_ARTIFACT_BYTES, RUN_ARTIFACTS, RunpackError,
    RunpackIntegrity, RunpackManifest, RunpackSecurityContext, RunpackSignature, RunpackSigningKey,
    VERIFIER_REPORT_PATH, VerifierMode, public_key_fingerprint, v2_root_hash,
};
use crate::evidence::EvidenceAnchorPolicy;
use crate::hashing::{CanonicalError, HashAlgorithm, HashDigest, to_canonical_vec_limited};
use crate::ports::{Artifact, ArtifactError, ArtifactKind, ArtifactReader, ArtifactSink};
use crate::run::RunState;
use crate::spec::ScenarioSpec;
use crate::time::Timestamp;

/// Export inputs beyond the spec and the run.
#[derive(Clone, Debug)]
pub struct RunpackBuildOptions<'a> {
    /// Caller-supplied export time (covered by the v2 root hash).
    pub generated_at: Timestamp,
    /// Whether to verify the written artifacts and embed `verifier_report.json`.
    pub include_verification: bool,
    /// The server's anchor policy (normalised and always written).
    pub anchor_policy: &'a EvidenceAnchorPolicy,
    /// Server security context (`None` for CLI exports).
    pub security: Option<RunpackSecurityContext>,
    /// Optional signing key.
    pub signing_key: Option<&'a RunpackSigningKey>,
    /// Evidence keys for export-time signature checks.
    pub evidence_keys: Option<&'a EvidenceKeySet>,
}

/// Result of a successful export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltRunpack {
    /// The manifest as written.
    pub manifest: RunpackManifest,
    /// The embedded report, when verification was requested.
    pub report: Option<VerificationReport>,
}

fn canonical_artifact<T: Serialize + ?Sized>(path: &str, value: &T) -> Result<Vec<u8>, RunpackError> {
    to_canonical_vec_limited(value, MAX_ARTIFACT_BYTES).map_err(|err| match err {
        CanonicalError::TooLarge { actual, max } => RunpackError::Artifact(ArtifactError::TooLarge {
            path: path.to_owned(),
            max_bytes: max,
            actual_bytes: actual,
        }),
        other => RunpackError::Serialization(other.to_string()),
    })
}

/// Writes the seven artifacts, the optional verifier report, then the v2 manifest (once,
/// last). The sink must be readable when verification is requested.
pub fn build_runpack<S: ArtifactSink + ArtifactReader + ?Sized>(
    spec: &ScenarioSpec,
    state: &RunState,
    store: &mut S,
    options: &RunpackBuildOptions<'_>,
) -> Result<BuiltRunpack, RunpackError> {
    let spec_hash = spec.spec_hash().map_err(|err| RunpackError::Hash(err.to_string()))?;
    if spec_hash != state.spec_hash {
        return Err(RunpackError::Hash("run state spec hash mismatch".to_owned()));
    }
    let contents: [Vec<u8>; 7] = [
        canonical_artifact(RUN_ARTIFACTS[0].0, spec)?,
        canonical_artifact(RUN_ARTIFACTS[1].0, &state.triggers)?,
        canonical_artifact(RUN_ARTIFACTS[2].0, &state.gate_evals)?,
        canonical_artifact(RUN_ARTIFACTS[3].0, &state.decisions)?,
        canonical_artifact(RUN_ARTIFACTS[4].0, &state.packets)?,
        canonical_artifact(RUN_ARTIFACTS[5].0, &state.submissions)?,
        canonical_artifact(RUN_ARTIFACTS[6].0, &state.tool_calls)?,
    ];
    let mut listed: Vec<(String, ArtifactKind, HashDigest)> = Vec::with_capacity(8);
    for ((path, kind), bytes) in RUN_ARTIFACTS.iter().zip(contents) {
        let hash = HashDigest::sha256(&bytes);
        store.write(&Artifact {
            kind: *kind,
            path: (*path).to_owned(),
            content_type: Some(ARTIFACT_CONTENT_TYPE.to_owned()),
            bytes,
            required: true,
        })?;
        listed.push(((*path).to_owned(), *kind, hash));
    }

    let anchor_policy = options.anchor_policy.normalized();
    let report = if options.include_verification {
        let to_check: Vec<(String, HashDigest)> =
            listed.iter().map(|(path, _, hash)| (path.clone(), hash.clone())).collect();
        let report = {
            let reader = ReadBack(&*store);
            let mut cache = ArtifactCache::new(&reader);
            verify_written_artifacts(&mut cache, &to_check, &anchor_policy, options.evidence_keys)
        };
        let bytes = canonical_artifact(VERIFIER_REPORT_PATH, &report)?;
        let hash = HashDigest::sha256(&bytes);
        store.write(&Artifact {
            kind: ArtifactKind::VerifierReport,
            path: VERIFIER_REPORT_PATH.to_owned(),
            content_type: Some(ARTIFACT_CONTENT_TYPE.to_owned()),
            bytes,
            required: true,
        })?;
        listed.push((VERIFIER_REPORT_PATH.to_owned(), ArtifactKind::VerifierReport, hash));
        Some(report)
    } else {
        None
    };

    let mut manifest = RunpackManifest {
        manifest_version: "v2".to_owned(),
        generated_at: options.generated_at,
        scenario_id: spec.scenario_id.clone(),
        tenant_id: state.tenant_id,
        namespace_id: state.namespace_id,
        run_id: state.run_id.clone(),
        spec_hash,
        hash_algorithm: HashAlgorithm::Sha256,
        verifier_mode: VerifierMode::OfflineStrict,
        anchor_policy: Some(anchor_policy),
        security: options.security.clone(),
        integrity: RunpackIntegrity {
            file_hashes: listed
                .iter()
                .map(|(path, _, hash)| FileHash { path: path.clone(), hash: hash.clone() })
                .collect(),
            root_hash: HashDigest::sha256(b""),
        },
        artifacts: listed
            .iter()
            .map(|(path, kind, hash)| ArtifactRecord {
                artifact_id: path.clone(),
                kind: *kind,
                path: path.clone(),
                content_type: Some(ARTIFACT_CONTENT_TYPE.to_owned()),
                hash: hash.clone(),
                required: true,
            })
            .collect(),
        signature: None,
    };
    manifest.integrity.root_hash = v2_root_hash(&manifest).map_err(|err| RunpackError::Hash(err.to_string()))?;
    if let Some(key) = options.signing_key {
        let signature = key.sign_root(&manifest.integrity.root_hash).map_err(RunpackError::Signing)?;
        manifest.signature = Some(RunpackSignature {
            algorithm: "ed25519".to_owned(),
            key_id: key.key_id.clone(),
            public_key_fingerprint: public_key_fingerprint(&key.verifying_key()),
            signature,
        });
    }
    let manifest_bytes = canonical_artifact("manifest", &manifest)?;
    store.finalize(&manifest_bytes)?;
    Ok(BuiltRunpack { manifest, report })
}

/// Reads back what a (possibly unsized) store wrote, as the verifier's `dyn ArtifactReader`.
struct ReadBack<'a, S: ?Sized>(&'a S);

impl<S: ArtifactReader + ?Sized> ArtifactReader for ReadBack<'_, S> {
    fn read_with_limit(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, ArtifactError> {
        self.0.read_with_limit(path, max_bytes)
    }

    fn list_artifacts(&self) -> Result<Vec<String>, ArtifactError> {
        self.0.list_artifacts()
    }
}
