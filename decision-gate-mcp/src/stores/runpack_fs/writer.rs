//! Atomic filesystem export: artifacts and the manifest go into a locked temporary directory
//! that [`FsRunpackWriter::commit`] renames into place.

use std::collections::BTreeSet;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use decision_gate_core::ports::{Artifact, ArtifactError, ArtifactReader, ArtifactRef, ArtifactSink};
use decision_gate_core::runpack::MAX_ARTIFACT_BYTES;
use rustix::fs::RenameFlags;
use rustix::io::Errno;

use super::{RunpackFsError, fsops, parse_relative_path};

/// Writes one runpack into a temporary directory inside the root. Dropping it without
/// [`commit`](FsRunpackWriter::commit) removes everything it wrote.
#[derive(Debug)]
pub struct FsRunpackWriter {
    root: OwnedFd,
    temp_name: String,
    temp: OwnedFd,
    target: Vec<String>,
    final_path: PathBuf,
    manifest_name: String,
    manifest_written: bool,
    created_dirs: BTreeSet<Vec<String>>,
    committed: bool,
}

impl FsRunpackWriter {
    pub(super) fn new(
        root: OwnedFd,
        temp_name: String,
        temp: OwnedFd,
        target: Vec<String>,
        final_path: PathBuf,
        manifest_name: String,
    ) -> Self {
        FsRunpackWriter {
            root,
            temp_name,
            temp,
            target,
            final_path,
            manifest_name,
            manifest_written: false,
            created_dirs: BTreeSet::new(),
            committed: false,
        }
    }

    /// Where the runpack will be after a successful commit.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Name of the temporary directory (inside the root) holding the files until commit.
    pub fn temp_dir_name(&self) -> &str {
        &self.temp_name
    }

    fn uri_of(&self, relative: &str) -> String {
        self.final_path.join(relative).display().to_string()
    }

    fn write_file(&mut self, path: &str, bytes: &[u8]) -> Result<(), RunpackFsError> {
        if bytes.len() > MAX_ARTIFACT_BYTES {
            return Err(RunpackFsError::TooLarge {
                path: path.to_owned(),
                max_bytes: MAX_ARTIFACT_BYTES,
                actual_bytes: bytes.len(),
            });
        }
        let components = parse_relative_path(path)?;
        let Some((name, parents)) = components.split_last() else {
            return Err(RunpackFsError::InvalidPath("empty artifact path".to_owned()));
        };
        let dir = fsops::open_dir_chain(self.temp.as_fd(), parents, true)?;
        for depth in 1..=parents.len() {
            self.created_dirs.insert(parents[..depth].to_vec());
        }
        fsops::write_new_file(dir.as_fd(), name, bytes)
    }

    /// Fsyncs everything and atomically renames the temporary directory to the requested
    /// output directory, which must not exist (`output_dir already exists`). Missing parent
    /// directories of the output directory are created (below the root, links refused).
    pub fn commit(mut self) -> Result<PathBuf, RunpackFsError> {
        if !self.manifest_written {
            return Err(RunpackFsError::Invalid("runpack manifest not written".to_owned()));
        }
        // Deepest directories first, then the temporary directory itself.
        for dir in self.created_dirs.iter().rev() {
            let handle = fsops::open_dir_chain(self.temp.as_fd(), dir, false)?;
            fsops::sync_dir(handle.as_fd())?;
        }
        fsops::sync_dir(self.temp.as_fd())?;
        let Some((last, parents)) = self.target.split_last() else {
            return Err(RunpackFsError::OutputExists);
        };
        let parent = fsops::open_dir_chain(self.root.as_fd(), parents, true)?;
        if fsops::exists(parent.as_fd(), last)? {
            return Err(RunpackFsError::OutputExists);
        }
        let renamed = rustix::fs::renameat_with(
            &self.root,
            self.temp_name.as_str(),
            &parent,
            last.as_str(),
            RenameFlags::NOREPLACE,
        );
        match renamed {
            Ok(()) => {}
            Err(Errno::EXIST) => return Err(RunpackFsError::OutputExists),
            Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => {
                // File systems without RENAME_NOREPLACE: the existence check above stands.
                rustix::fs::renameat(&self.root, self.temp_name.as_str(), &parent, last.as_str()).map_err(|err| {
                    if err == Errno::EXIST || err == Errno::NOTEMPTY {
                        RunpackFsError::OutputExists
                    } else {
                        RunpackFsError::Io(format!("cannot move runpack into place: {err}"))
                    }
                })?;
            }
            Err(err) => return Err(RunpackFsError::Io(format!("cannot move runpack into place: {err}"))),
        }
        self.committed = true;
        fsops::sync_dir(parent.as_fd())?;
        fsops::sync_dir(self.root.as_fd())?;
        Ok(self.final_path.clone())
    }
}

impl Drop for FsRunpackWriter {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort; anything left is removed by the next stale-directory cleanup.
            let _ = fsops::remove_tree(self.root.as_fd(), &self.temp_name, 0);
        }
    }
}

impl ArtifactSink for FsRunpackWriter {
    fn write(&mut self, artifact: &Artifact) -> Result<ArtifactRef, ArtifactError> {
        self.write_file(&artifact.path, &artifact.bytes)?;
        Ok(ArtifactRef { uri: self.uri_of(&artifact.path) })
    }

    fn finalize(&mut self, manifest_bytes: &[u8]) -> Result<ArtifactRef, ArtifactError> {
        if self.manifest_written {
            return Err(ArtifactError::Sink("manifest already written".to_owned()));
        }
        let name = self.manifest_name.clone();
        self.write_file(&name, manifest_bytes)?;
        self.manifest_written = true;
        Ok(ArtifactRef { uri: self.uri_of(&name) })
    }
}

impl ArtifactReader for FsRunpackWriter {
    fn read_with_limit(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, ArtifactError> {
        let components = parse_relative_path(path)?;
        Ok(fsops::read_limited(self.temp.as_fd(), &components, path, max_bytes)?)
    }

    fn list_artifacts(&self) -> Result<Vec<String>, ArtifactError> {
        Ok(super::reader::list_artifacts_in(self.temp.as_fd())?)
    }
}
