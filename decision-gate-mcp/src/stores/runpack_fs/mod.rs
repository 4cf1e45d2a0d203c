//! The runpack root and path safety (runpacks-and-stores §7.2): every runpack written or
//! read by the server lives below one directory, resolved once at startup, and every path
//! below it is walked component by component without following symbolic links.
//!
//! Exports are built in a fresh hidden temporary directory inside the root (files created
//! exclusively and fsynced) and renamed atomically into place by [`FsRunpackWriter::commit`];
//! a crash before that leaves no visible runpack, and stale temporary directories are removed
//! by [`RunpackRoot::clean_stale_temp_dirs`] (each live export holds an advisory lock on its
//! temporary directory, so a cleanup never removes an export in progress, in any process).

mod fsops;
mod reader;
mod writer;

#[cfg(test)]
mod tests;

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use decision_gate_core::ids::{NamespaceId, TenantId};
use decision_gate_core::ports::ArtifactError;
use rustix::fs::{Mode, OFlags};

pub use reader::FsRunpackReader;
pub use writer::FsRunpackWriter;

/// Prefix of the temporary export directories inside the root.
pub const TEMP_DIR_PREFIX: &str = ".decision-gate-runpack-";

/// Longest path component, in bytes.
pub const MAX_COMPONENT_BYTES: usize = 255;

/// Longest whole path, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;

/// Attempts at creating a uniquely named temporary directory.
const TEMP_DIR_ATTEMPTS: usize = 16;

/// Failures of the confined runpack filesystem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunpackFsError {
    /// An absolute path outside the root, or an absolute artifact path.
    #[error("absolute artifact path not allowed")]
    AbsolutePath,
    /// A `..` component.
    #[error("artifact path escapes runpack root")]
    EscapesRoot,
    /// A symbolic link on the path (or inside a listed runpack).
    #[error("symlink not allowed in runpack path")]
    Symlink,
    /// The export directory exists already.
    #[error("output_dir already exists")]
    OutputExists,
    /// Other path-rule violations (length, empty path, wrong file type, reserved name).
    #[error("{0}")]
    InvalidPath(String),
    /// Nothing at the path.
    #[error("artifact not found: {0}")]
    NotFound(String),
    /// A file exceeds the size limit.
    #[error("artifact too large: {path} ({actual_bytes} > {max_bytes})")]
    TooLarge {
        /// Path as requested.
        path: String,
        /// Limit.
        max_bytes: usize,
        /// Actual size.
        actual_bytes: usize,
    },
    /// Misuse of a writer (manifest twice, commit without manifest, duplicate file).
    #[error("{0}")]
    Invalid(String),
    /// Operating-system failure.
    #[error("runpack io error: {0}")]
    Io(String),
}

impl RunpackFsError {
    /// Whether this is a violation of the path rules (reported as invalid parameters).
    pub fn is_path_violation(&self) -> bool {
        matches!(
            self,
            RunpackFsError::AbsolutePath
                | RunpackFsError::EscapesRoot
                | RunpackFsError::Symlink
                | RunpackFsError::InvalidPath(_)
        )
    }
}

impl From<RunpackFsError> for ArtifactError {
    fn from(err: RunpackFsError) -> Self {
        match err {
            RunpackFsError::TooLarge { path, max_bytes, actual_bytes } => {
                ArtifactError::TooLarge { path, max_bytes, actual_bytes }
            }
            other => ArtifactError::Sink(other.to_string()),
        }
    }
}

/// Parses a path relative to some directory: normal components only (`.` ignored, `..` ⇒
/// escapes, root or prefix ⇒ absolute), each ≤ 255 bytes, the whole ≤ 4096 bytes.
pub fn parse_relative_path(path: &str) -> Result<Vec<String>, RunpackFsError> {
    check_length(path)?;
    let mut components = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Prefix(_) | Component::RootDir => return Err(RunpackFsError::AbsolutePath),
            Component::CurDir => {}
            Component::ParentDir => return Err(RunpackFsError::EscapesRoot),
            Component::Normal(name) => components.push(normal_component(name)?),
        }
    }
    Ok(components)
}

fn check_length(path: &str) -> Result<(), RunpackFsError> {
    if path.len() > MAX_PATH_BYTES {
        return Err(RunpackFsError::InvalidPath(format!("artifact path exceeds {MAX_PATH_BYTES} bytes")));
    }
    if path.contains('\0') {
        return Err(RunpackFsError::InvalidPath("artifact path contains a NUL byte".to_owned()));
    }
    Ok(())
}

fn normal_component(name: &std::ffi::OsStr) -> Result<String, RunpackFsError> {
    let name = name.to_str().ok_or_else(|| RunpackFsError::InvalidPath("artifact path is not UTF-8".to_owned()))?;
    if name.len() > MAX_COMPONENT_BYTES {
        return Err(RunpackFsError::InvalidPath(format!(
            "artifact path component exceeds {MAX_COMPONENT_BYTES} bytes"
        )));
    }
    Ok(name.to_owned())
}

/// Checks a single file-name component (the export's manifest name).
pub fn parse_file_name(name: &str) -> Result<String, RunpackFsError> {
    match parse_relative_path(name)?.as_slice() {
        [single] if !name.contains('/') => Ok(single.clone()),
        _ => Err(RunpackFsError::InvalidPath("manifest_name must be a single file name".to_owned())),
    }
}

/// The confined directory holding every filesystem runpack.
#[derive(Debug)]
pub struct RunpackRoot {
    configured: PathBuf,
    canonical: PathBuf,
    dir: OwnedFd,
}

impl RunpackRoot {
    /// Resolves `root_dir` once: it must be an absolute path to an existing directory.
    pub fn open(root_dir: impl AsRef<Path>) -> Result<Self, RunpackFsError> {
        let configured = root_dir.as_ref().to_path_buf();
        if !configured.is_absolute() {
            return Err(RunpackFsError::InvalidPath("runpack root must be an absolute path".to_owned()));
        }
        let canonical = std::fs::canonicalize(&configured)
            .map_err(|err| RunpackFsError::Io(format!("cannot resolve runpack root: {err}")))?;
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let dir = rustix::fs::open(&canonical, flags, Mode::empty())
            .map_err(|err| RunpackFsError::Io(format!("cannot open runpack root: {err}")))?;
        Ok(RunpackRoot { configured, canonical, dir })
    }

    /// The resolved (canonical) root directory.
    pub fn path(&self) -> &Path {
        &self.canonical
    }

    /// Parses an `output_dir` or `runpack_dir`: relative to the root, or absolute and
    /// lexically inside it; returns the components below the root.
    pub fn resolve(&self, path: &str) -> Result<Vec<String>, RunpackFsError> {
        self.resolve_below(&[], path)
    }

    /// Parses a path relative to the directory `prefix` below the root, or absolute and
    /// lexically inside that directory; returns the components below the root (prefix first).
    fn resolve_below(&self, prefix: &[String], path: &str) -> Result<Vec<String>, RunpackFsError> {
        check_length(path)?;
        let as_path = Path::new(path);
        let below = if as_path.is_absolute() {
            let base = |root: &Path| prefix.iter().fold(root.to_path_buf(), |path, part| path.join(part));
            let inside = as_path
                .strip_prefix(base(&self.canonical))
                .or_else(|_| as_path.strip_prefix(base(&self.configured)))
                .map_err(|_| RunpackFsError::AbsolutePath)?;
            let rest = inside.to_str().ok_or_else(|| RunpackFsError::InvalidPath("path is not UTF-8".to_owned()))?;
            parse_relative_path(rest)?
        } else {
            parse_relative_path(path)?
        };
        Ok(prefix.iter().cloned().chain(below).collect())
    }

    /// The partition of one tenant and namespace: the directory `<tenant>/<namespace>` below
    /// the root. Every path a tool names is resolved inside it, so no path can reach another
    /// tenant's or namespace's runpacks.
    pub fn partition(&self, tenant: TenantId, namespace: NamespaceId) -> RunpackPartition<'_> {
        RunpackPartition { root: self, prefix: vec![tenant.to_string(), namespace.to_string()] }
    }

    /// Starts an export into `output_dir` (which must not exist) with the manifest file name
    /// `manifest_name`. Stale temporary directories are removed first.
    pub fn create_writer(&self, output_dir: &str, manifest_name: &str) -> Result<FsRunpackWriter, RunpackFsError> {
        self.create_writer_at(self.resolve(output_dir)?, manifest_name)
    }

    fn create_writer_at(&self, target: Vec<String>, manifest_name: &str) -> Result<FsRunpackWriter, RunpackFsError> {
        let manifest_name = parse_file_name(manifest_name)?;
        let Some((last, parents)) = target.split_last() else {
            return Err(RunpackFsError::OutputExists);
        };
        if target.first().is_some_and(|first| first.starts_with(TEMP_DIR_PREFIX)) {
            return Err(RunpackFsError::InvalidPath("output_dir uses a reserved name".to_owned()));
        }
        match fsops::open_dir_chain(self.dir.as_fd(), parents, false) {
            Ok(parent) => {
                if fsops::exists(parent.as_fd(), last)? {
                    return Err(RunpackFsError::OutputExists);
                }
            }
            Err(RunpackFsError::NotFound(_)) => {}
            Err(err) => return Err(err),
        }
        // Best effort: a failing cleanup must not block exports.
        let _ = self.clean_stale_temp_dirs();
        let (temp_name, temp) = self.create_temp_dir()?;
        let final_path = target.iter().fold(self.canonical.clone(), |path, part| path.join(part));
        Ok(FsRunpackWriter::new(
            fsops::reopen_dir(self.dir.as_fd())?,
            temp_name,
            temp,
            target,
            final_path,
            manifest_name,
        ))
    }

    /// Creates (mode 0700, under an unpredictable 128-bit random name) and locks a fresh
    /// temporary directory in the root.
    fn create_temp_dir(&self) -> Result<(String, OwnedFd), RunpackFsError> {
        for _ in 0..TEMP_DIR_ATTEMPTS {
            let name = format!("{TEMP_DIR_PREFIX}{:032x}", rand::random::<u128>());
            match rustix::fs::mkdirat(&self.dir, name.as_str(), Mode::from_raw_mode(0o700)) {
                Ok(()) => {}
                Err(rustix::io::Errno::EXIST) => continue,
                Err(err) => return Err(RunpackFsError::Io(format!("cannot create temporary directory: {err}"))),
            }
            let temp = match fsops::open_subdir(self.dir.as_fd(), &name) {
                Ok(temp) => temp,
                Err(RunpackFsError::NotFound(_)) => continue,
                Err(err) => return Err(err),
            };
            // A concurrent cleanup may have taken (and removed) it between mkdir and lock.
            if fsops::try_lock(temp.as_fd())? && fsops::still_linked(temp.as_fd())? {
                return Ok((name, temp));
            }
        }
        Err(RunpackFsError::Io("cannot create a unique temporary directory".to_owned()))
    }

    /// Opens an existing runpack directory below the root for reading.
    pub fn open_reader(&self, runpack_dir: &str) -> Result<FsRunpackReader, RunpackFsError> {
        self.open_reader_at(self.resolve(runpack_dir)?)
    }

    fn open_reader_at(&self, components: Vec<String>) -> Result<FsRunpackReader, RunpackFsError> {
        let dir = fsops::open_dir_chain(self.dir.as_fd(), &components, false)?;
        let path = components.iter().fold(self.canonical.clone(), |path, part| path.join(part));
        Ok(FsRunpackReader::new(dir, path))
    }

    /// Removes temporary export directories left by crashed or abandoned exports (those not
    /// locked by a live writer); returns how many were removed.
    pub fn clean_stale_temp_dirs(&self) -> Result<usize, RunpackFsError> {
        let mut removed = 0;
        for name in fsops::dirs_with_prefix(self.dir.as_fd(), TEMP_DIR_PREFIX)? {
            let dir = match fsops::open_subdir(self.dir.as_fd(), &name) {
                Ok(dir) => dir,
                Err(RunpackFsError::NotFound(_)) => continue,
                Err(err) => return Err(err),
            };
            if fsops::try_lock(dir.as_fd())? {
                match fsops::remove_tree(self.dir.as_fd(), &name, 0) {
                    Ok(()) => removed += 1,
                    Err(RunpackFsError::NotFound(_)) => {}
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(removed)
    }
}

/// One tenant's and namespace's directory below the runpack root (see
/// [`RunpackRoot::partition`]). Paths are relative to it, or absolute and inside it.
#[derive(Debug)]
pub struct RunpackPartition<'a> {
    root: &'a RunpackRoot,
    prefix: Vec<String>,
}

impl RunpackPartition<'_> {
    /// The partition directory (it may not exist yet).
    pub fn path(&self) -> PathBuf {
        self.prefix.iter().fold(self.root.canonical.clone(), |path, part| path.join(part))
    }

    /// Starts an export into `output_dir` inside the partition (see [`RunpackRoot::create_writer`]).
    pub fn create_writer(&self, output_dir: &str, manifest_name: &str) -> Result<FsRunpackWriter, RunpackFsError> {
        let target = self.root.resolve_below(&self.prefix, output_dir)?;
        if target.len() == self.prefix.len() {
            return Err(RunpackFsError::OutputExists);
        }
        self.root.create_writer_at(target, manifest_name)
    }

    /// Opens a runpack directory inside the partition for reading.
    pub fn open_reader(&self, runpack_dir: &str) -> Result<FsRunpackReader, RunpackFsError> {
        self.root.open_reader_at(self.root.resolve_below(&self.prefix, runpack_dir)?)
    }
}
