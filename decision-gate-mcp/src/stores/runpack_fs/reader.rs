//! Reading a runpack directory below the root without following links.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use decision_gate_core::ports::{ArtifactError, ArtifactReader};
use decision_gate_core::runpack::MAX_ARTIFACT_BYTES;

use super::{RunpackFsError, fsops, parse_relative_path};

/// Directory (inside every runpack) whose files are the artifacts.
const ARTIFACTS_DIR: &str = "artifacts";

/// Every regular file under `artifacts/` of the runpack at `dir`, as sorted relative
/// `/`-separated paths; a symlink anywhere is an error; no `artifacts/` ⇒ empty.
pub(crate) fn list_artifacts_in(dir: BorrowedFd<'_>) -> Result<Vec<String>, RunpackFsError> {
    let artifacts = match fsops::open_subdir(dir, ARTIFACTS_DIR) {
        Ok(artifacts) => artifacts,
        Err(RunpackFsError::NotFound(_)) => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut found = Vec::new();
    fsops::list_files(artifacts.as_fd(), ARTIFACTS_DIR, 0, &mut found)?;
    found.sort();
    Ok(found)
}

/// A runpack directory opened for verification (artifacts capped at 16 MiB by the caller's
/// limit, the manifest at 16 MiB).
#[derive(Debug)]
pub struct FsRunpackReader {
    dir: OwnedFd,
    path: PathBuf,
}

impl FsRunpackReader {
    pub(super) fn new(dir: OwnedFd, path: PathBuf) -> Self {
        FsRunpackReader { dir, path }
    }

    /// The runpack directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the manifest at `manifest_path` (relative to the runpack directory, same rules
    /// as artifacts) with the 16 MiB cap.
    pub fn read_manifest(&self, manifest_path: &str) -> Result<Vec<u8>, RunpackFsError> {
        let components = parse_relative_path(manifest_path)?;
        fsops::read_limited(self.dir.as_fd(), &components, manifest_path, MAX_ARTIFACT_BYTES)
    }
}

impl ArtifactReader for FsRunpackReader {
    fn read_with_limit(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, ArtifactError> {
        let components = parse_relative_path(path)?;
        let limit = max_bytes.min(MAX_ARTIFACT_BYTES);
        Ok(fsops::read_limited(self.dir.as_fd(), &components, path, limit)?)
    }

    fn list_artifacts(&self) -> Result<Vec<String>, ArtifactError> {
        Ok(list_artifacts_in(self.dir.as_fd())?)
    }
}
