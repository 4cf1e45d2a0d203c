//! Directory-handle operations that never follow symbolic links: every component is opened
//! with `openat(…, O_NOFOLLOW)` relative to an already open directory.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{AtFlags, Dir, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

use super::RunpackFsError;

/// Deepest directory nesting walked when listing or removing.
const MAX_DEPTH: usize = 64;

const DIR_FLAGS: OFlags = OFlags::RDONLY.union(OFlags::DIRECTORY).union(OFlags::NOFOLLOW).union(OFlags::CLOEXEC);

fn io_err(what: &str, err: Errno) -> RunpackFsError {
    RunpackFsError::Io(format!("{what}: {err}"))
}

/// An independent handle on the directory `dir` itself.
pub(crate) fn reopen_dir(dir: BorrowedFd<'_>) -> Result<OwnedFd, RunpackFsError> {
    rustix::fs::openat(dir, ".", DIR_FLAGS, Mode::empty()).map_err(|err| io_err("cannot open directory", err))
}

/// Explains why `name` in `dir` could not be opened as a directory or file.
fn classify_open_error(dir: BorrowedFd<'_>, name: &str, err: Errno) -> RunpackFsError {
    match err {
        Errno::NOENT => RunpackFsError::NotFound(name.to_owned()),
        Errno::LOOP | Errno::NOTDIR | Errno::MLINK => match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) if FileType::from_raw_mode(stat.st_mode) == FileType::Symlink => RunpackFsError::Symlink,
            Ok(_) => RunpackFsError::InvalidPath(format!("not a directory: {name}")),
            Err(_) => io_err("cannot open path component", err),
        },
        other => io_err("cannot open path component", other),
    }
}

/// Opens the directory `name` inside `dir` without following a link.
pub(crate) fn open_subdir(dir: BorrowedFd<'_>, name: &str) -> Result<OwnedFd, RunpackFsError> {
    rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty()).map_err(|err| classify_open_error(dir, name, err))
}

/// Walks `components` below `base`, optionally creating missing directories.
pub(crate) fn open_dir_chain(
    base: BorrowedFd<'_>,
    components: &[String],
    create: bool,
) -> Result<OwnedFd, RunpackFsError> {
    let mut current = reopen_dir(base)?;
    for name in components {
        if create {
            match rustix::fs::mkdirat(&current, name.as_str(), Mode::from_raw_mode(0o755)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(err) => return Err(io_err("cannot create directory", err)),
            }
        }
        current = open_subdir(current.as_fd(), name)?;
    }
    Ok(current)
}

/// Opens a regular file for reading without following a link (non-blocking, so a FIFO can
/// not stall the open) and checks its type on the open handle.
fn open_regular(dir: BorrowedFd<'_>, name: &str) -> Result<File, RunpackFsError> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
    let fd = rustix::fs::openat(dir, name, flags, Mode::empty()).map_err(|err| match err {
        Errno::LOOP => RunpackFsError::Symlink,
        other => classify_open_error(dir, name, other),
    })?;
    let stat = rustix::fs::fstat(&fd).map_err(|err| io_err("unable to read artifact metadata", err))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(RunpackFsError::InvalidPath(format!("not a regular file: {name}")));
    }
    Ok(File::from(fd))
}

/// Reads the file at `components` below `base` with a size limit: checked on the open
/// handle's metadata before reading and again on the bytes read.
pub(crate) fn read_limited(
    base: BorrowedFd<'_>,
    components: &[String],
    display_path: &str,
    max_bytes: usize,
) -> Result<Vec<u8>, RunpackFsError> {
    let Some((name, parents)) = components.split_last() else {
        return Err(RunpackFsError::InvalidPath("empty artifact path".to_owned()));
    };
    let dir = open_dir_chain(base, parents, false).map_err(|err| match err {
        RunpackFsError::NotFound(_) => RunpackFsError::NotFound(display_path.to_owned()),
        other => other,
    })?;
    let file = open_regular(dir.as_fd(), name).map_err(|err| match err {
        RunpackFsError::NotFound(_) => RunpackFsError::NotFound(display_path.to_owned()),
        other => other,
    })?;
    let too_large =
        |actual: usize| RunpackFsError::TooLarge { path: display_path.to_owned(), max_bytes, actual_bytes: actual };
    let declared = rustix::fs::fstat(&file).map_err(|err| io_err("unable to read artifact metadata", err))?.st_size;
    let declared = usize::try_from(declared).unwrap_or(usize::MAX);
    if declared > max_bytes {
        return Err(too_large(declared));
    }
    let mut bytes = Vec::with_capacity(declared);
    let limit = u64::try_from(max_bytes).unwrap_or(u64::MAX).saturating_add(1);
    (&file)
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|err| RunpackFsError::Io(format!("cannot read artifact: {err}")))?;
    if bytes.len() > max_bytes {
        return Err(too_large(bytes.len()));
    }
    Ok(bytes)
}

/// Creates `name` in `dir` exclusively (never through a link), writes and fsyncs it.
pub(crate) fn write_new_file(dir: BorrowedFd<'_>, name: &str, bytes: &[u8]) -> Result<(), RunpackFsError> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::from_raw_mode(0o644)).map_err(|err| match err {
        Errno::EXIST => RunpackFsError::Invalid(format!("file already written: {name}")),
        Errno::LOOP => RunpackFsError::Symlink,
        other => io_err("cannot create file", other),
    })?;
    let mut file = File::from(fd);
    file.write_all(bytes).map_err(|err| RunpackFsError::Io(format!("cannot write file: {err}")))?;
    file.sync_all().map_err(|err| RunpackFsError::Io(format!("cannot sync file: {err}")))
}

/// Flushes a directory's entries to disk.
pub(crate) fn sync_dir(dir: BorrowedFd<'_>) -> Result<(), RunpackFsError> {
    rustix::fs::fsync(dir).map_err(|err| io_err("cannot sync directory", err))
}

/// Names in a directory (excluding `.` and `..`); non-UTF-8 names are errors.
fn entry_names(dir: BorrowedFd<'_>) -> Result<Vec<String>, RunpackFsError> {
    let reader = Dir::read_from(dir).map_err(|err| io_err("cannot list directory", err))?;
    let mut names = Vec::new();
    for entry in reader {
        let entry = entry.map_err(|err| io_err("cannot list directory", err))?;
        let bytes = entry.file_name().to_bytes();
        if bytes == b"." || bytes == b".." {
            continue;
        }
        let name = std::str::from_utf8(bytes)
            .map_err(|_| RunpackFsError::InvalidPath("non-UTF-8 file name in runpack".to_owned()))?;
        names.push(name.to_owned());
    }
    Ok(names)
}

fn entry_type(dir: BorrowedFd<'_>, name: &str) -> Result<FileType, RunpackFsError> {
    rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .map(|stat| FileType::from_raw_mode(stat.st_mode))
        .map_err(|err| io_err("unable to read artifact metadata", err))
}

/// Every regular file below `dir`, as `prefix/<relative path>`; symlinks and special files
/// are errors.
pub(crate) fn list_files(
    dir: BorrowedFd<'_>,
    prefix: &str,
    depth: usize,
    out: &mut Vec<String>,
) -> Result<(), RunpackFsError> {
    if depth > MAX_DEPTH {
        return Err(RunpackFsError::InvalidPath("runpack directory nesting too deep".to_owned()));
    }
    for name in entry_names(dir)? {
        let path = format!("{prefix}/{name}");
        match entry_type(dir, &name)? {
            FileType::Symlink => return Err(RunpackFsError::Symlink),
            FileType::Directory => {
                let sub = open_subdir(dir, &name)?;
                list_files(sub.as_fd(), &path, depth + 1, out)?;
            }
            FileType::RegularFile => out.push(path),
            _ => return Err(RunpackFsError::InvalidPath(format!("not a regular file: {path}"))),
        }
    }
    Ok(())
}

/// Removes `name` (a directory tree) from `parent` without following any link.
pub(crate) fn remove_tree(parent: BorrowedFd<'_>, name: &str, depth: usize) -> Result<(), RunpackFsError> {
    if depth > MAX_DEPTH {
        return Err(RunpackFsError::InvalidPath("directory nesting too deep to remove".to_owned()));
    }
    let dir = open_subdir(parent, name)?;
    for entry in entry_names(dir.as_fd())? {
        if entry_type(dir.as_fd(), &entry)? == FileType::Directory {
            remove_tree(dir.as_fd(), &entry, depth + 1)?;
        } else {
            rustix::fs::unlinkat(&dir, entry.as_str(), AtFlags::empty())
                .map_err(|err| io_err("cannot remove file", err))?;
        }
    }
    rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR).map_err(|err| io_err("cannot remove directory", err))
}

/// Names of the entries of `dir` that start with `prefix` and are real directories.
pub(crate) fn dirs_with_prefix(dir: BorrowedFd<'_>, prefix: &str) -> Result<Vec<String>, RunpackFsError> {
    let mut found = Vec::new();
    for name in entry_names(dir)? {
        if name.starts_with(prefix) && entry_type(dir, &name)? == FileType::Directory {
            found.push(name);
        }
    }
    Ok(found)
}

/// Tries to take the exclusive advisory lock of a directory without waiting.
pub(crate) fn try_lock(dir: BorrowedFd<'_>) -> Result<bool, RunpackFsError> {
    match rustix::fs::flock(dir, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(Errno::WOULDBLOCK) => Ok(false),
        Err(err) => Err(io_err("cannot lock directory", err)),
    }
}

/// Whether the open directory still has a name (it was not removed meanwhile).
pub(crate) fn still_linked(dir: BorrowedFd<'_>) -> Result<bool, RunpackFsError> {
    rustix::fs::fstat(dir).map(|stat| stat.st_nlink > 0).map_err(|err| io_err("unable to read metadata", err))
}

/// Whether `name` exists in `dir` (as anything, links included).
pub(crate) fn exists(dir: BorrowedFd<'_>, name: &str) -> Result<bool, RunpackFsError> {
    match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(_) => Ok(true),
        Err(Errno::NOENT) => Ok(false),
        Err(err) => Err(io_err("unable to read metadata", err)),
    }
}
