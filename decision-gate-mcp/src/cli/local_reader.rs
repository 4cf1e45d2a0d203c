//! Reading a runpack from a local directory for `runpack verify`.
//!
//! The CLI runs with the user's own rights, so there is no runpack root: the directory may be
//! anywhere. Below it, paths follow the runpack rules (relative, normal components only), no
//! component may be a symbolic link (links are never followed out of the runpack), only
//! regular files are read, and every read is capped at 16 MiB before and after reading.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use decision_gate_core::ports::{ArtifactError, ArtifactReader};
use decision_gate_core::runpack::MAX_ARTIFACT_BYTES;
use rustix::fs::{Mode, OFlags};

use crate::stores::runpack_fs::parse_relative_path;

/// Directory (inside every runpack) whose files are the artifacts.
const ARTIFACTS_DIR: &str = "artifacts";

/// Deepest directory nesting listed under `artifacts/`.
const MAX_LIST_DEPTH: usize = 32;

/// An [`ArtifactReader`] over a local runpack directory.
#[derive(Clone, Debug)]
pub struct LocalArtifactReader {
    dir: PathBuf,
}

fn sink(message: impl Into<String>) -> ArtifactError {
    ArtifactError::Sink(message.into())
}

fn symlink_refused() -> ArtifactError {
    sink("symlink not allowed in runpack path")
}

impl LocalArtifactReader {
    /// Opens a runpack directory (which must exist and be a directory).
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, ArtifactError> {
        let dir = dir.into();
        let metadata = std::fs::metadata(&dir).map_err(|err| sink(format!("cannot open runpack directory: {err}")))?;
        if !metadata.is_dir() {
            return Err(sink("runpack directory is not a directory"));
        }
        Ok(LocalArtifactReader { dir })
    }

    /// The runpack directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Resolves a relative runpack path to a regular file below the directory, refusing
    /// symbolic links on every component.
    fn resolve(&self, path: &str) -> Result<PathBuf, ArtifactError> {
        let components = parse_relative_path(path).map_err(ArtifactError::from)?;
        if components.is_empty() {
            return Err(sink("empty artifact path"));
        }
        let last = components.len() - 1;
        let mut current = self.dir.clone();
        for (index, component) in components.iter().enumerate() {
            current.push(component);
            let metadata = std::fs::symlink_metadata(&current).map_err(|err| match err.kind() {
                std::io::ErrorKind::NotFound => sink(format!("artifact not found: {path}")),
                _ => sink(format!("unable to read artifact metadata: {err}")),
            })?;
            let file_type = metadata.file_type();
            if file_type.is_symlink() {
                return Err(symlink_refused());
            }
            if index < last && !file_type.is_dir() {
                return Err(sink(format!("artifact not found: {path}")));
            }
            if index == last && !file_type.is_file() {
                return Err(sink(format!("not a regular file: {path}")));
            }
        }
        Ok(current)
    }
}

impl ArtifactReader for LocalArtifactReader {
    fn read_with_limit(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, ArtifactError> {
        let limit = max_bytes.min(MAX_ARTIFACT_BYTES);
        let full = self.resolve(path)?;
        let too_large =
            |actual_bytes: usize| ArtifactError::TooLarge { path: path.to_owned(), max_bytes: limit, actual_bytes };
        let fd = rustix::fs::open(&full, OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty()).map_err(
            |err| match err {
                rustix::io::Errno::LOOP => symlink_refused(),
                other => sink(format!("cannot open {path}: {other}")),
            },
        )?;
        let file = File::from(fd);
        let metadata = file.metadata().map_err(|err| sink(format!("unable to read artifact metadata: {err}")))?;
        if !metadata.is_file() {
            return Err(sink(format!("not a regular file: {path}")));
        }
        let length = usize::try_from(metadata.len()).unwrap_or(usize::MAX);
        if length > limit {
            return Err(too_large(length));
        }
        let mut bytes = Vec::with_capacity(length);
        file.take(limit as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| sink(format!("cannot read {path}: {err}")))?;
        if bytes.len() > limit {
            return Err(too_large(bytes.len()));
        }
        Ok(bytes)
    }

    fn list_artifacts(&self) -> Result<Vec<String>, ArtifactError> {
        let base = self.dir.join(ARTIFACTS_DIR);
        match std::fs::symlink_metadata(&base) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(sink(format!("cannot list artifacts: {err}"))),
            Ok(metadata) if metadata.file_type().is_symlink() => return Err(symlink_refused()),
            Ok(metadata) if !metadata.is_dir() => return Err(sink("artifacts is not a directory")),
            Ok(_) => {}
        }
        let mut found = Vec::new();
        list_files(&base, ARTIFACTS_DIR, 0, &mut found)?;
        found.sort();
        Ok(found)
    }
}

/// Appends every regular file below `dir` (shown as `prefix/…`) to `found`.
fn list_files(dir: &Path, prefix: &str, depth: usize, found: &mut Vec<String>) -> Result<(), ArtifactError> {
    if depth > MAX_LIST_DEPTH {
        return Err(sink("artifact directory nesting too deep"));
    }
    let entries = std::fs::read_dir(dir).map_err(|err| sink(format!("cannot list artifacts: {err}")))?;
    for entry in entries {
        let entry = entry.map_err(|err| sink(format!("cannot list artifacts: {err}")))?;
        let name = entry.file_name();
        let name = name.to_str().ok_or_else(|| sink("artifact name is not UTF-8"))?;
        let relative = format!("{prefix}/{name}");
        let file_type = entry.file_type().map_err(|err| sink(format!("cannot list artifacts: {err}")))?;
        if file_type.is_symlink() {
            return Err(symlink_refused());
        }
        if file_type.is_dir() {
            list_files(&entry.path(), &relative, depth + 1, found)?;
        } else {
            found.push(relative);
        }
    }
    Ok(())
}
