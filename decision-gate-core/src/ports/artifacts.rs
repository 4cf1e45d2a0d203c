//! Artifact sink and reader ports for runpacks, with an in-memory implementation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Kind of a runpack artifact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactKind {
    /// `artifacts/scenario_spec.json`.
    ScenarioSpec,
    /// `artifacts/triggers.json`.
    TriggerLog,
    /// `artifacts/gate_evals.json`.
    GateEvalLog,
    /// `artifacts/decisions.json`.
    DecisionLog,
    /// `artifacts/packets.json`.
    PacketLog,
    /// `artifacts/submissions.json`.
    SubmissionLog,
    /// `artifacts/tool_calls.json`.
    ToolTranscript,
    /// `artifacts/verifier_report.json`.
    VerifierReport,
    /// Reserved; never emitted.
    DispatchLog,
    /// Reserved; never emitted.
    EvidenceLog,
    /// Reserved; never emitted.
    Custom,
}

/// One artifact to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// Kind.
    pub kind: ArtifactKind,
    /// Relative path inside the runpack (`/`-separated).
    pub path: String,
    /// Content type.
    pub content_type: Option<String>,
    /// Exact bytes.
    pub bytes: Vec<u8>,
    /// Whether verification requires it.
    pub required: bool,
}

/// Where an artifact was stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactRef {
    /// Location.
    pub uri: String,
}

/// Artifact storage failure.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArtifactError {
    /// Backend failure.
    #[error("artifact error: {0}")]
    Sink(String),
    /// The artifact exceeds the size limit.
    #[error("artifact too large: {path} ({actual_bytes} > {max_bytes})")]
    TooLarge {
        /// Artifact path.
        path: String,
        /// Limit.
        max_bytes: usize,
        /// Actual size.
        actual_bytes: usize,
    },
}

/// Receives runpack artifacts, then the manifest exactly once, last.
pub trait ArtifactSink {
    /// Stores one artifact.
    fn write(&mut self, artifact: &Artifact) -> Result<ArtifactRef, ArtifactError>;

    /// Stores the manifest (canonical JSON bytes): the commit point of the runpack.
    fn finalize(&mut self, manifest_bytes: &[u8]) -> Result<ArtifactRef, ArtifactError>;
}

/// Reads runpack artifacts for verification.
pub trait ArtifactReader {
    /// Reads one artifact, refusing anything larger than `max_bytes`.
    fn read_with_limit(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, ArtifactError>;

    /// Every stored path under `artifacts/` (relative, `/`-separated).
    fn list_artifacts(&self) -> Result<Vec<String>, ArtifactError>;
}

/// Artifacts kept in memory (tests, benchmarks, in-process verification).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryArtifactStore {
    /// Stored files by path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The finalised manifest bytes.
    pub manifest: Option<Vec<u8>>,
}

impl ArtifactSink for MemoryArtifactStore {
    fn write(&mut self, artifact: &Artifact) -> Result<ArtifactRef, ArtifactError> {
        self.files.insert(artifact.path.clone(), artifact.bytes.clone());
        Ok(ArtifactRef { uri: format!("memory:{}", artifact.path) })
    }

    fn finalize(&mut self, manifest_bytes: &[u8]) -> Result<ArtifactRef, ArtifactError> {
        if self.manifest.is_some() {
            return Err(ArtifactError::Sink("manifest already written".to_owned()));
        }
        self.manifest = Some(manifest_bytes.to_vec());
        Ok(ArtifactRef { uri: "memory:manifest".to_owned() })
    }
}

impl ArtifactReader for MemoryArtifactStore {
    fn read_with_limit(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, ArtifactError> {
        let bytes = self.files.get(path).ok_or_else(|| ArtifactError::Sink(format!("artifact not found: {path}")))?;
        if bytes.len() > max_bytes {
            return Err(ArtifactError::TooLarge { path: path.to_owned(), max_bytes, actual_bytes: bytes.len() });
        }
        Ok(bytes.clone())
    }

    fn list_artifacts(&self) -> Result<Vec<String>, ArtifactError> {
        Ok(self.files.keys().filter(|path| path.starts_with("artifacts/")).cloned().collect())
    }
}
