//! Runpacks: hashed, verifiable exports of one run (runpacks-and-stores §2–§6).
//!
//! [`build_runpack`] writes the seven artifacts (plus an optional verifier report) and then
//! the v2 manifest exactly once, last. [`verify_runpack`] checks v2 strictly and Decision Gate
//! OSS v1 runpacks exactly as that project defines them, reporting them as legacy.

mod build;
mod checks;
mod manifest;
mod signing;
mod verify;

pub use build::{BuiltRunpack, RunpackBuildOptions, build_runpack};
pub use manifest::{
    ArtifactRecord, FileHash, RunpackIntegrity, RunpackManifest, RunpackSecurityContext, RunpackSignature,
    VerifierMode, v1_root_hash, v2_root_hash,
};
pub use signing::{
    EvidenceKeySet, RUNPACK_SIGNATURE_CONTEXT, RunpackSigningKey, TrustedRunpackKey, decode_key_material,
    evidence_signature_message, public_key_fingerprint, verify_evidence_signature,
};
pub use verify::{VerificationReport, VerificationStatus, VerificationSummary, VerifyOptions, verify_runpack};

use crate::ports::ArtifactKind;

/// Largest runpack artifact (and manifest) in every sink and reader: 16 MiB.
pub const MAX_ARTIFACT_BYTES: usize = 16 * 1024 * 1024;

/// Content type of every runpack artifact.
pub const ARTIFACT_CONTENT_TYPE: &str = "application/json";

/// Path of the embedded verifier report.
pub const VERIFIER_REPORT_PATH: &str = "artifacts/verifier_report.json";

/// The seven run artifacts, in manifest order.
pub const RUN_ARTIFACTS: [(&str, ArtifactKind); 7] = [
    ("artifacts/scenario_spec.json", ArtifactKind::ScenarioSpec),
    ("artifacts/triggers.json", ArtifactKind::TriggerLog),
    ("artifacts/gate_evals.json", ArtifactKind::GateEvalLog),
    ("artifacts/decisions.json", ArtifactKind::DecisionLog),
    ("artifacts/packets.json", ArtifactKind::PacketLog),
    ("artifacts/submissions.json", ArtifactKind::SubmissionLog),
    ("artifacts/tool_calls.json", ArtifactKind::ToolTranscript),
];

/// The artifact kind of a runpack path, if it is one of the eight known paths.
pub fn kind_of_path(path: &str) -> Option<ArtifactKind> {
    if path == VERIFIER_REPORT_PATH {
        return Some(ArtifactKind::VerifierReport);
    }
    RUN_ARTIFACTS.iter().find(|(known, _)| *known == path).map(|(_, kind)| *kind)
}

/// Runpack failure at the tool or CLI level (content problems are report errors instead).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunpackError {
    /// The manifest is missing, unreadable, oversized or unparsable.
    #[error("invalid manifest: {0}")]
    InvalidManifest(String),
    /// A hash could not be computed or did not match at build time.
    #[error("hash error: {0}")]
    Hash(String),
    /// A value could not be serialised.
    #[error("serialization error: {0}")]
    Serialization(String),
    /// An artifact could not be written or read.
    #[error(transparent)]
    Artifact(#[from] crate::ports::ArtifactError),
    /// Signing failed.
    #[error("signing error: {0}")]
    Signing(String),
}

#[cfg(test)]
mod tests;
