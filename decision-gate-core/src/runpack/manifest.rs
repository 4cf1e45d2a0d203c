//! The runpack manifest (v2 written here, v1 from Decision Gate OSS still parsed) and its root
//! hashes.

use serde::{Deserialize, Serialize};

use crate::evidence::EvidenceAnchorPolicy;
use crate::hashing::{CanonicalError, HashAlgorithm, HashDigest, hash_canonical};
use crate::ids::{NamespaceId, RunId, ScenarioId, TenantId};
use crate::ports::ArtifactKind;
use crate::time::Timestamp;

/// How the runpack may be verified. Builders write `offline_strict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifierMode {
    /// Everything needed is inside the runpack.
    OfflineStrict,
    /// External content may be fetched (not supported by this verifier).
    OfflineWithFetch,
}

impl VerifierMode {
    /// The wire label.
    pub fn label(self) -> &'static str {
        match self {
            VerifierMode::OfflineStrict => "offline_strict",
            VerifierMode::OfflineWithFetch => "offline_with_fetch",
        }
    }
}

/// Security posture of the exporting server (server exports only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunpackSecurityContext {
    /// Whether dev-permissive mode was on.
    pub dev_permissive: bool,
    /// `dg_registry` or `assetcore_catalog`.
    pub namespace_authority: String,
}

/// One file hash entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHash {
    /// Relative path.
    pub path: String,
    /// SHA-256 of the exact bytes.
    pub hash: HashDigest,
}

/// Integrity section: file hashes and the root hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunpackIntegrity {
    /// File hashes in write order.
    pub file_hashes: Vec<FileHash>,
    /// Root hash (v1: over `file_hashes`; v2: over the whole manifest).
    pub root_hash: HashDigest,
}

/// One artifact record of the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactRecord {
    /// Equals `path`.
    pub artifact_id: String,
    /// Kind.
    pub kind: ArtifactKind,
    /// Relative path.
    pub path: String,
    /// Content type (always present; `null` if absent).
    pub content_type: Option<String>,
    /// File hash.
    pub hash: HashDigest,
    /// Whether verification requires it.
    pub required: bool,
}

/// Optional Ed25519 signature block of a v2 manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunpackSignature {
    /// `ed25519`.
    pub algorithm: String,
    /// Signing key id.
    pub key_id: String,
    /// SHA-256 of the raw 32-byte public key.
    pub public_key_fingerprint: HashDigest,
    /// 128 lowercase hex characters.
    pub signature: String,
}

/// A runpack manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunpackManifest {
    /// `v1` or `v2`.
    pub manifest_version: String,
    /// Caller-supplied export time.
    pub generated_at: Timestamp,
    /// Scenario.
    pub scenario_id: ScenarioId,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Namespace.
    pub namespace_id: NamespaceId,
    /// Run.
    pub run_id: RunId,
    /// Hash of the spec (= hash of `artifacts/scenario_spec.json`).
    pub spec_hash: HashDigest,
    /// Always `sha256`.
    pub hash_algorithm: HashAlgorithm,
    /// Always `offline_strict` when written here.
    pub verifier_mode: VerifierMode,
    /// Anchor policy (always present in v2; omitted in v1 without providers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor_policy: Option<EvidenceAnchorPolicy>,
    /// Server security context (omitted for CLI exports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<RunpackSecurityContext>,
    /// File hashes and root hash.
    pub integrity: RunpackIntegrity,
    /// Artifact records (same order and hashes as `file_hashes`).
    pub artifacts: Vec<ArtifactRecord>,
    /// Optional signature (v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<RunpackSignature>,
}

#[derive(Serialize)]
struct IntegrityWithoutRoot<'a> {
    file_hashes: &'a [FileHash],
}

/// The manifest as covered by the v2 root hash: no `signature`, no `integrity.root_hash`.
#[derive(Serialize)]
struct RootView<'a> {
    manifest_version: &'a str,
    generated_at: &'a Timestamp,
    scenario_id: &'a ScenarioId,
    tenant_id: TenantId,
    namespace_id: NamespaceId,
    run_id: &'a RunId,
    spec_hash: &'a HashDigest,
    hash_algorithm: HashAlgorithm,
    verifier_mode: VerifierMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    anchor_policy: Option<&'a EvidenceAnchorPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    security: Option<&'a RunpackSecurityContext>,
    integrity: IntegrityWithoutRoot<'a>,
    artifacts: &'a [ArtifactRecord],
}

/// v2 root hash: SHA-256 of the canonical manifest without `signature` and without
/// `integrity.root_hash`.
pub fn v2_root_hash(manifest: &RunpackManifest) -> Result<HashDigest, CanonicalError> {
    hash_canonical(&RootView {
        manifest_version: &manifest.manifest_version,
        generated_at: &manifest.generated_at,
        scenario_id: &manifest.scenario_id,
        tenant_id: manifest.tenant_id,
        namespace_id: manifest.namespace_id,
        run_id: &manifest.run_id,
        spec_hash: &manifest.spec_hash,
        hash_algorithm: manifest.hash_algorithm,
        verifier_mode: manifest.verifier_mode,
        anchor_policy: manifest.anchor_policy.as_ref(),
        security: manifest.security.as_ref(),
        integrity: IntegrityWithoutRoot { file_hashes: &manifest.integrity.file_hashes },
        artifacts: &manifest.artifacts,
    })
}

/// v1 root hash (legacy): SHA-256 of the canonical `file_hashes` array in manifest order.
pub fn v1_root_hash(file_hashes: &[FileHash]) -> Result<HashDigest, CanonicalError> {
    hash_canonical(file_hashes)
}
