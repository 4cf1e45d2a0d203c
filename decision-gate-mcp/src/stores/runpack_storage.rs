//! The runpack storage seam: where `runpack_export` writes and `runpack_verify` reads, always
//! inside one tenant's and namespace's partition. The open-source default is the confined
//! filesystem root (`<root>/<tenant>/<namespace>/<dir>`); enterprise builds store objects.
//!
//! Calls are synchronous: tools run them on blocking workers.

use decision_gate_core::hashing::HashDigest;
use decision_gate_core::ids::{NamespaceId, RunId, TenantId};
use decision_gate_core::ports::{ArtifactReader, ArtifactSink};

use super::runpack_fs::{FsRunpackReader, FsRunpackWriter, RunpackFsError, RunpackRoot};

/// Why runpack storage refused or failed. Messages never name another partition's paths.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunpackStorageError {
    /// The caller's path breaks the path rules (reported as invalid parameters).
    #[error("{0}")]
    InvalidPath(String),
    /// The export target exists already.
    #[error("output_dir already exists")]
    Exists,
    /// Nothing is stored at the named place.
    #[error("runpack not found")]
    NotFound,
    /// Any other failure (backend, I/O, a required argument the backend needs).
    #[error("{0}")]
    Storage(String),
}

impl From<RunpackFsError> for RunpackStorageError {
    fn from(error: RunpackFsError) -> Self {
        match error {
            violation if violation.is_path_violation() => RunpackStorageError::InvalidPath(violation.to_string()),
            RunpackFsError::OutputExists => RunpackStorageError::Exists,
            RunpackFsError::NotFound(_) => RunpackStorageError::NotFound,
            other => RunpackStorageError::Storage(other.to_string()),
        }
    }
}

/// Where one export goes.
#[derive(Clone, Copy, Debug)]
pub struct ExportTarget<'a> {
    /// Tenant partition (the authorized scope's).
    pub tenant: TenantId,
    /// Namespace partition (the authorized scope's).
    pub namespace: NamespaceId,
    /// The exported run.
    pub run_id: &'a RunId,
    /// Spec hash of the run.
    pub spec_hash: &'a HashDigest,
    /// Caller-chosen directory inside the partition (object stores may derive one).
    pub output_dir: Option<&'a str>,
    /// Manifest file name.
    pub manifest_name: &'a str,
}

/// Which stored runpack to read.
#[derive(Clone, Copy, Debug)]
pub struct RunpackSource<'a> {
    /// Tenant partition (the authorized scope's).
    pub tenant: TenantId,
    /// Namespace partition (the authorized scope's).
    pub namespace: NamespaceId,
    /// Directory inside the partition.
    pub runpack_dir: &'a str,
}

/// A runpack being written: artifacts, then the manifest, then [`RunpackWrite::commit`], which
/// makes it visible at once. Dropping it uncommitted leaves nothing behind.
pub trait RunpackWrite: ArtifactSink + ArtifactReader + Send {
    /// Makes the runpack visible; returns its storage URI when the backend has one.
    fn commit(self: Box<Self>) -> Result<Option<String>, RunpackStorageError>;
}

/// A stored runpack opened for verification.
pub trait RunpackRead: ArtifactReader + Send {
    /// Reads the manifest at a path relative to the runpack (16 MiB cap).
    fn read_manifest(&self, manifest_path: &str) -> Result<Vec<u8>, RunpackStorageError>;
}

/// Writes and reads runpacks by tenant and namespace.
pub trait RunpackStorage: Send + Sync {
    /// Starts an export (the target must not exist).
    fn create(&self, target: &ExportTarget<'_>) -> Result<Box<dyn RunpackWrite>, RunpackStorageError>;

    /// Opens a stored runpack.
    fn open(&self, source: &RunpackSource<'_>) -> Result<Box<dyn RunpackRead>, RunpackStorageError>;
}

/// The filesystem default: runpacks under `<root>/<tenant>/<namespace>/<output_dir>`.
#[derive(Debug)]
pub struct FsRunpackStorage {
    root: RunpackRoot,
}

impl FsRunpackStorage {
    /// Storage over an opened root.
    pub fn new(root: RunpackRoot) -> Self {
        FsRunpackStorage { root }
    }

    /// The root.
    pub fn root(&self) -> &RunpackRoot {
        &self.root
    }
}

impl RunpackWrite for FsRunpackWriter {
    fn commit(self: Box<Self>) -> Result<Option<String>, RunpackStorageError> {
        FsRunpackWriter::commit(*self)?;
        Ok(None)
    }
}

impl RunpackRead for FsRunpackReader {
    fn read_manifest(&self, manifest_path: &str) -> Result<Vec<u8>, RunpackStorageError> {
        Ok(FsRunpackReader::read_manifest(self, manifest_path)?)
    }
}

impl RunpackStorage for FsRunpackStorage {
    fn create(&self, target: &ExportTarget<'_>) -> Result<Box<dyn RunpackWrite>, RunpackStorageError> {
        let output_dir = target.output_dir.ok_or_else(|| {
            RunpackStorageError::Storage("output_dir is required when runpack storage is not configured".to_owned())
        })?;
        let partition = self.root.partition(target.tenant, target.namespace);
        Ok(Box::new(partition.create_writer(output_dir, target.manifest_name)?))
    }

    fn open(&self, source: &RunpackSource<'_>) -> Result<Box<dyn RunpackRead>, RunpackStorageError> {
        let partition = self.root.partition(source.tenant, source.namespace);
        Ok(Box::new(partition.open_reader(source.runpack_dir)?))
    }
}
