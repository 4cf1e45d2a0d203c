//! Runpack verification: v2 strict and v1 legacy (runpacks-and-stores §6).
//!
//! Content problems never raise errors: they accumulate in the report, and the status is
//! `pass` exactly when there are none. Only an unusable manifest is an error.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::checks::{
    ArtifactCache, DECISIONS_PATH, SPEC_PATH, TRIGGERS_PATH, check_anchors, check_decision_log,
    check_evidence_signatures, load_spec_and_gate_evals,
};
use super::signing::verify_root_signature;
use super::{
    ARTIFACT_CONTENT_TYPE, EvidenceKeySet, MAX_ARTIFACT_BYTES, RUN_ARTIFACTS, RunpackError, RunpackManifest,
    TrustedRunpackKey, VERIFIER_REPORT_PATH, kind_of_path, public_key_fingerprint, v1_root_hash, v2_root_hash,
};
use crate::evidence::EvidenceAnchorPolicy;
use crate::hashing::{HashAlgorithm, HashDigest};
use crate::ports::ArtifactReader;
use crate::run::TriggerRecord;
use crate::spec::ScenarioSpec;

/// Overall verification result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerificationStatus {
    /// No errors.
    Pass,
    /// At least one error.
    Fail,
}

/// The core report (also the exact shape of the embedded `verifier_report.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationReport {
    /// Files successfully read (including ones whose hash then mismatched).
    pub checked_files: u64,
    /// Problems found.
    pub errors: Vec<String>,
    /// `pass` iff `errors` is empty.
    pub status: VerificationStatus,
}

impl VerificationReport {
    pub(crate) fn from_parts(checked_files: u64, errors: Vec<String>) -> Self {
        let status = if errors.is_empty() { VerificationStatus::Pass } else { VerificationStatus::Fail };
        VerificationReport { checked_files, errors, status }
    }
}

/// What the tools and the CLI return: the report plus version and signature facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationSummary {
    /// Files successfully read.
    pub checked_files: u64,
    /// Problems found.
    pub errors: Vec<String>,
    /// `pass` iff `errors` is empty.
    pub status: VerificationStatus,
    /// The manifest's version.
    pub manifest_version: String,
    /// True for v1 runpacks.
    pub legacy: bool,
    /// True only when a v2 signature was present and verified.
    pub signed: bool,
    /// The signing key id when signed.
    pub signing_key_id: Option<String>,
}

/// Verifier inputs beyond the runpack itself.
#[derive(Clone, Debug)]
pub struct VerifyOptions<'a> {
    /// Anchor policy the manifest must contain (the server passes its configured `[anchors]`).
    pub expected_anchor_policy: Option<&'a EvidenceAnchorPolicy>,
    /// Evidence keys for signature checks.
    pub evidence_keys: Option<&'a EvidenceKeySet>,
    /// Trusted runpack signing keys.
    pub trusted_keys: &'a [TrustedRunpackKey],
    /// Whether an absent v2 signature is an error.
    pub require_signature: bool,
    /// Whether v1 runpacks are accepted.
    pub allow_legacy_v1: bool,
}

impl Default for VerifyOptions<'_> {
    fn default() -> Self {
        VerifyOptions {
            expected_anchor_policy: None,
            evidence_keys: None,
            trusted_keys: &[],
            require_signature: false,
            allow_legacy_v1: true,
        }
    }
}

fn summary(report: VerificationReport, version: &str, signed_by: Option<String>) -> VerificationSummary {
    VerificationSummary {
        checked_files: report.checked_files,
        errors: report.errors,
        status: report.status,
        manifest_version: version.to_owned(),
        legacy: version == "v1",
        signed: signed_by.is_some(),
        signing_key_id: signed_by,
    }
}

/// Verifies a runpack from its manifest bytes and an artifact reader.
pub fn verify_runpack(
    manifest_bytes: &[u8],
    reader: &dyn ArtifactReader,
    options: &VerifyOptions<'_>,
) -> Result<VerificationSummary, RunpackError> {
    if manifest_bytes.len() > MAX_ARTIFACT_BYTES {
        return Err(RunpackError::InvalidManifest(format!(
            "manifest exceeds size limit ({} > {MAX_ARTIFACT_BYTES})",
            manifest_bytes.len()
        )));
    }
    let raw: Value =
        serde_json::from_slice(manifest_bytes).map_err(|err| RunpackError::InvalidManifest(err.to_string()))?;
    let version = raw
        .get("manifest_version")
        .and_then(Value::as_str)
        .ok_or_else(|| RunpackError::InvalidManifest("manifest_version missing".to_owned()))?
        .to_owned();
    if version != "v1" && version != "v2" {
        let report = VerificationReport::from_parts(0, vec![format!("unsupported manifest version: {version}")]);
        return Ok(summary(report, &version, None));
    }
    let manifest: RunpackManifest =
        serde_json::from_value(raw).map_err(|err| RunpackError::InvalidManifest(err.to_string()))?;
    if version == "v1" {
        if !options.allow_legacy_v1 {
            let report = VerificationReport::from_parts(0, vec!["legacy manifest version v1 not accepted".to_owned()]);
            return Ok(summary(report, &version, None));
        }
        return Ok(summary(verify_v1(&manifest, reader), &version, None));
    }
    let (report, signed_by) = verify_v2(&manifest, reader, options);
    Ok(summary(report, &version, signed_by))
}

/// Reads every listed file, counting successful reads and comparing hashes.
fn check_file_hashes(cache: &mut ArtifactCache<'_>, listed: &[(String, HashDigest)], errors: &mut Vec<String>) -> u64 {
    let mut checked = 0;
    for (path, expected) in listed {
        match cache.read(path) {
            Ok(bytes) => {
                checked += 1;
                if &HashDigest::sha256(bytes) != expected {
                    errors.push(format!("hash mismatch for {path}"));
                }
            }
            Err(err) => errors.push(format!("artifact read failed for {path}: {err}")),
        }
    }
    checked
}

/// Export-time verification of freshly written artifacts (steps 5, 10, 11 and 13).
pub(crate) fn verify_written_artifacts(
    cache: &mut ArtifactCache<'_>,
    listed: &[(String, HashDigest)],
    anchor_policy: &EvidenceAnchorPolicy,
    evidence_keys: Option<&EvidenceKeySet>,
) -> VerificationReport {
    let mut errors = Vec::new();
    let checked = check_file_hashes(cache, listed, &mut errors);
    check_decision_log(cache, &mut errors);
    check_content(cache, anchor_policy, evidence_keys, &mut errors);
    VerificationReport::from_parts(checked, errors)
}

/// Anchor replay and evidence signature checks, which both need the spec and gate evals.
fn check_content(
    cache: &mut ArtifactCache<'_>,
    anchor_policy: &EvidenceAnchorPolicy,
    evidence_keys: Option<&EvidenceKeySet>,
    errors: &mut Vec<String>,
) {
    if anchor_policy.is_empty() && evidence_keys.is_none() {
        return;
    }
    let Some((spec, gate_evals)) = load_spec_and_gate_evals(cache, errors) else { return };
    if !anchor_policy.is_empty() {
        check_anchors(anchor_policy, &spec, &gate_evals, errors);
    }
    if let Some(keys) = evidence_keys {
        check_evidence_signatures(keys, &spec, &gate_evals, errors);
    }
}

fn verify_v1(manifest: &RunpackManifest, reader: &dyn ArtifactReader) -> VerificationReport {
    let mut errors = Vec::new();
    if manifest.hash_algorithm != HashAlgorithm::Sha256 {
        errors.push("hash algorithm mismatch".to_owned());
    }
    let mut cache = ArtifactCache::new(reader);
    let listed: Vec<(String, HashDigest)> =
        manifest.integrity.file_hashes.iter().map(|entry| (entry.path.clone(), entry.hash.clone())).collect();
    let checked = check_file_hashes(&mut cache, &listed, &mut errors);
    match v1_root_hash(&manifest.integrity.file_hashes) {
        Ok(root) if root == manifest.integrity.root_hash => {}
        Ok(_) => errors.push("root hash mismatch".to_owned()),
        Err(_) => errors.push("failed to compute root hash".to_owned()),
    }
    check_decision_log(&mut cache, &mut errors);
    if let Some(policy) = manifest.anchor_policy.as_ref().filter(|policy| !policy.is_empty())
        && let Some((spec, gate_evals)) = load_spec_and_gate_evals(&mut cache, &mut errors)
    {
        check_anchors(policy, &spec, &gate_evals, &mut errors);
    }
    VerificationReport::from_parts(checked, errors)
}

fn verify_v2(
    manifest: &RunpackManifest,
    reader: &dyn ArtifactReader,
    options: &VerifyOptions<'_>,
) -> (VerificationReport, Option<String>) {
    let mut errors = Vec::new();
    if manifest.hash_algorithm != HashAlgorithm::Sha256 {
        errors.push("hash algorithm mismatch".to_owned());
    }
    if manifest.verifier_mode != super::VerifierMode::OfflineStrict {
        errors.push(format!("unsupported verifier mode: {}", manifest.verifier_mode.label()));
    }
    check_artifact_set(manifest, &mut errors);

    let mut cache = ArtifactCache::new(reader);
    let listed: Vec<(String, HashDigest)> =
        manifest.integrity.file_hashes.iter().map(|entry| (entry.path.clone(), entry.hash.clone())).collect();
    let checked = check_file_hashes(&mut cache, &listed, &mut errors);
    check_artifact_list(manifest, &mut errors);
    check_unlisted(manifest, reader, &mut errors);
    match v2_root_hash(manifest) {
        Ok(root) if root == manifest.integrity.root_hash => {}
        Ok(_) => errors.push("root hash mismatch".to_owned()),
        Err(_) => errors.push("failed to compute root hash".to_owned()),
    }
    check_identity(manifest, &mut cache, &mut errors);
    if !errors.iter().any(|error| error == &format!("hash mismatch for {DECISIONS_PATH}")) {
        check_decision_log(&mut cache, &mut errors);
    }
    match &manifest.anchor_policy {
        None => errors.push("anchor policy missing".to_owned()),
        Some(policy) => {
            if let Some(expected) = options.expected_anchor_policy {
                for entry in &expected.normalized().providers {
                    let found = policy
                        .providers
                        .iter()
                        .find(|candidate| candidate.provider_id == entry.provider_id)
                        .is_some_and(|candidate| candidate.requirement.normalized() == entry.requirement);
                    if !found {
                        errors.push(format!("anchor policy mismatch for provider {}", entry.provider_id));
                    }
                }
            }
            check_content(&mut cache, policy, options.evidence_keys, &mut errors);
        }
    }
    let signed_by = check_signature(manifest, options, &mut errors);
    (VerificationReport::from_parts(checked, errors), signed_by)
}

/// Step 4: the file list is exactly the seven run artifacts in order, optionally followed by the
/// verifier report, without duplicates.
fn check_artifact_set(manifest: &RunpackManifest, errors: &mut Vec<String>) {
    let paths: Vec<&str> = manifest.integrity.file_hashes.iter().map(|entry| entry.path.as_str()).collect();
    let mut seen = HashSet::new();
    if let Some(duplicate) = paths.iter().find(|path| !seen.insert(**path)) {
        errors.push(format!("artifact set mismatch: duplicate entry {duplicate}"));
        return;
    }
    let expected: Vec<&str> = RUN_ARTIFACTS.iter().map(|(path, _)| *path).collect();
    let valid = paths.len() >= expected.len()
        && paths[..expected.len()] == expected[..]
        && (paths.len() == expected.len()
            || (paths.len() == expected.len() + 1 && paths[expected.len()] == VERIFIER_REPORT_PATH));
    if !valid {
        errors.push(format!(
            "artifact set mismatch: expected {} (optionally followed by {VERIFIER_REPORT_PATH}), found [{}]",
            expected.join(", "),
            paths.join(", ")
        ));
    }
}

/// Step 6: `artifacts[i]` is exactly the record implied by `file_hashes[i]`.
fn check_artifact_list(manifest: &RunpackManifest, errors: &mut Vec<String>) {
    let file_hashes = &manifest.integrity.file_hashes;
    let count = file_hashes.len().max(manifest.artifacts.len());
    for index in 0..count {
        let listed = file_hashes.get(index);
        let record = manifest.artifacts.get(index);
        let matches = match (listed, record) {
            (Some(listed), Some(record)) => {
                record.artifact_id == listed.path
                    && record.path == listed.path
                    && Some(record.kind) == kind_of_path(&listed.path)
                    && record.content_type.as_deref() == Some(ARTIFACT_CONTENT_TYPE)
                    && record.hash == listed.hash
                    && record.required
            }
            _ => false,
        };
        if !matches {
            let path =
                listed.map(|entry| entry.path.as_str()).or(record.map(|record| record.path.as_str())).unwrap_or("");
            errors.push(format!("artifact list mismatch at {path}"));
        }
    }
}

/// Step 7: no file under `artifacts/` that the manifest does not list.
fn check_unlisted(manifest: &RunpackManifest, reader: &dyn ArtifactReader, errors: &mut Vec<String>) {
    match reader.list_artifacts() {
        Ok(present) => {
            let listed: HashSet<&str> =
                manifest.integrity.file_hashes.iter().map(|entry| entry.path.as_str()).collect();
            for path in present.iter().filter(|path| !listed.contains(path.as_str())) {
                errors.push(format!("unlisted artifact {path}"));
            }
        }
        Err(err) => errors.push(format!("artifact listing failed: {err}")),
    }
}

/// Step 9: the spec hash and ids in the manifest agree with the artifacts. An artifact whose
/// own hash failed is already named as tampered; what its altered content would further
/// disagree with is not reported again (a tampered artifact is named as such, not as a
/// mismatch of the manifest).
fn check_identity(manifest: &RunpackManifest, cache: &mut ArtifactCache<'_>, errors: &mut Vec<String>) {
    let tampered =
        |path: &str, errors: &[String]| errors.iter().any(|error| error == &format!("hash mismatch for {path}"));
    if !tampered(SPEC_PATH, errors) {
        check_spec_identity(manifest, cache, errors);
    }
    if tampered(TRIGGERS_PATH, errors) {
        return;
    }
    if let Ok(bytes) = cache.read(TRIGGERS_PATH) {
        let consistent = serde_json::from_slice::<Vec<TriggerRecord>>(bytes).is_ok_and(|triggers| {
            triggers.iter().all(|record| {
                record.event.tenant_id == manifest.tenant_id
                    && record.event.namespace_id == manifest.namespace_id
                    && record.event.run_id == manifest.run_id
            })
        });
        if !consistent {
            errors.push("manifest run mismatch".to_owned());
        }
    }
}

fn check_spec_identity(manifest: &RunpackManifest, cache: &mut ArtifactCache<'_>, errors: &mut Vec<String>) {
    match cache.read(SPEC_PATH) {
        Ok(bytes) => {
            if HashDigest::sha256(bytes) != manifest.spec_hash {
                errors.push("spec hash mismatch".to_owned());
            }
            match serde_json::from_slice::<ScenarioSpec>(bytes) {
                Ok(spec) => {
                    if spec.scenario_id != manifest.scenario_id || spec.namespace_id != manifest.namespace_id {
                        errors.push("manifest scenario mismatch".to_owned());
                    }
                }
                Err(_) => errors.push("manifest scenario mismatch".to_owned()),
            }
        }
        Err(_) => errors.push("spec hash mismatch".to_owned()),
    }
}

/// Step 14: the optional signature block; returns the key id when a signature verified.
fn check_signature(
    manifest: &RunpackManifest,
    options: &VerifyOptions<'_>,
    errors: &mut Vec<String>,
) -> Option<String> {
    let Some(signature) = &manifest.signature else {
        if options.require_signature {
            errors.push("runpack signature required".to_owned());
        }
        return None;
    };
    if signature.algorithm != "ed25519" {
        errors.push("unsupported signature algorithm".to_owned());
        return None;
    }
    let Some(trusted) = options.trusted_keys.iter().find(|key| key.key_id == signature.key_id) else {
        errors.push(format!("untrusted runpack signing key {}", signature.key_id));
        return None;
    };
    if public_key_fingerprint(&trusted.key) != signature.public_key_fingerprint {
        errors.push("runpack signing key fingerprint mismatch".to_owned());
        return None;
    }
    if !verify_root_signature(&trusted.key, &manifest.integrity.root_hash, &signature.signature) {
        errors.push("runpack signature invalid".to_owned());
        return None;
    }
    Some(signature.key_id.clone())
}
