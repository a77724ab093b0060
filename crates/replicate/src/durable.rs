//! Crash-safe file replacement, and the I/O error that names the file and
//! the step that failed.
//!
//! ```text
//!   <path>.tmp ◄── create, write, fsync
//!        │
//!        └─ rename ──► <path>    then fsync the directory, so the rename
//!                                itself survives a power cut
//! ```
//!
//! After a crash `<path>` is either the old file or the new one, never a
//! mixture; a stray `<path>.tmp` may be left behind and is simply
//! overwritten by the next replacement. Readers never look at it.

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// What was being done to a file when the operating system said no.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAction {
    /// Creating a directory on the way to the file.
    CreateDirectory,
    /// Creating the file (or its temporary copy).
    Create,
    /// Opening an existing file.
    Open,
    /// Reading.
    Read,
    /// Writing.
    Write,
    /// Flushing to stable storage (`fsync`/`fdatasync`).
    Sync,
    /// Cutting the file to a shorter length.
    Truncate,
    /// Renaming the temporary copy over the file.
    Rename,
    /// Flushing the directory, which makes a rename durable.
    SyncDirectory,
}

impl fmt::Display for FileAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileAction::CreateDirectory => "create the directory",
            FileAction::Create => "create",
            FileAction::Open => "open",
            FileAction::Read => "read",
            FileAction::Write => "write",
            FileAction::Sync => "sync",
            FileAction::Truncate => "truncate",
            FileAction::Rename => "rename",
            FileAction::SyncDirectory => "sync the directory of",
        })
    }
}

/// An I/O failure on a named file; the operating system's error is the
/// [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}", path.display())]
pub struct FileError {
    /// The step that failed.
    pub action: FileAction,
    /// The file (or directory) it failed on.
    pub path: PathBuf,
    /// What the operating system reported.
    #[source]
    pub source: io::Error,
}

impl FileError {
    /// Wraps `source` with the step and the file it concerns.
    pub(crate) fn new(action: FileAction, path: &Path, source: io::Error) -> FileError {
        FileError {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The temporary sibling a replacement of `path` is written to:
/// `<path>.tmp`, in the same directory so the rename cannot cross
/// file systems.
pub(crate) fn temporary_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(".tmp");
    PathBuf::from(name)
}

/// A temporary copy, fully written and synced, waiting to replace its target.
pub(crate) struct Replacement {
    file: File,
    temporary: PathBuf,
    target: PathBuf,
}

impl Replacement {
    /// Writes a new version of `path` into `<path>.tmp` with `fill` and
    /// syncs it. Missing parent directories are created. On any failure
    /// the temporary file is removed and `path` is untouched.
    pub(crate) fn prepare<T, E: From<FileError>>(
        path: &Path,
        fill: impl FnOnce(&mut File, &Path) -> Result<T, E>,
    ) -> Result<(Replacement, T), E> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            fs::create_dir_all(parent)
                .map_err(|error| FileError::new(FileAction::CreateDirectory, parent, error))?;
        }
        let temporary = temporary_path(path);
        // A leftover of a crash is removed, then the file made anew with
        // O_EXCL: never written through whatever stands at that name (a
        // symbolic link included), and private from its first moment.
        match fs::remove_file(&temporary) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(FileError::new(FileAction::Create, &temporary, error).into()),
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(|error| FileError::new(FileAction::Create, &temporary, error))?;
        let filled = fill(&mut file, &temporary).and_then(|value| {
            // sync_all, not sync_data: the new file's size and existence are
            // metadata, and the rename must not land before them.
            file.sync_all()
                .map_err(|error| FileError::new(FileAction::Sync, &temporary, error))?;
            Ok(value)
        });
        match filled {
            Ok(value) => Ok((
                Replacement {
                    file,
                    temporary,
                    target: path.to_path_buf(),
                },
                value,
            )),
            Err(error) => {
                // Best effort: a leftover temporary is harmless, only untidy.
                let _ = fs::remove_file(&temporary);
                Err(error)
            }
        }
    }

    /// Renames the temporary copy over the target and returns its handle,
    /// open for reading and writing. The directory is not synced yet: call
    /// [`sync_parent_directory`] once the caller's own state points at the
    /// new file.
    pub(crate) fn rename(self) -> Result<File, FileError> {
        match fs::rename(&self.temporary, &self.target) {
            Ok(()) => Ok(self.file),
            Err(error) => {
                let _ = fs::remove_file(&self.temporary);
                Err(FileError::new(FileAction::Rename, &self.temporary, error))
            }
        }
    }
}

/// Writes a new version of `path` with `fill`, atomically and durably:
/// temporary copy, fsync, rename, fsync of the directory. Returns the new
/// file's handle and what `fill` returned.
pub(crate) fn replace<T, E: From<FileError>>(
    path: &Path,
    fill: impl FnOnce(&mut File, &Path) -> Result<T, E>,
) -> Result<(File, T), E> {
    let (replacement, value) = Replacement::prepare(path, fill)?;
    let file = replacement.rename()?;
    sync_parent_directory(path)?;
    Ok((file, value))
}

/// Syncs the directory holding `path`, so that a rename or creation of
/// `path` survives a crash (the file's own fsync does not cover its
/// directory entry).
pub(crate) fn sync_parent_directory(path: &Path) -> Result<(), FileError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(directory)
        .and_then(|handle| handle.sync_all())
        .map_err(|error| FileError::new(FileAction::SyncDirectory, path, error))
}
