//! One node per data directory, and what the node writes kept private.
//!
//! Two `hadns serve` processes on one data directory would both take API
//! writes, both journal, and serve different serials under one name. So a
//! node takes an exclusive `flock` on `data_dir/hadns.lock` before it
//! opens anything there, and writes its PID into the file for the next one
//! to name. The kernel drops the lock when the process ends however it
//! ends (`kill -9` included), so a stale file never blocks a restart.
//!
//! The store's commands (`user`, `token`, `import`, `export`) are safe
//! beside a running node: SQLite's own locking orders their writes and the
//! node reads users and tokens from the store on every request. They do
//! not take the lock; they look whether a node holds it and say so.
//!
//! Files the node creates are readable by its user alone: the commands
//! that write in a data directory run with umask 077 ([`private_umask`]),
//! so each file is created 0600 and each directory 0700 — created with
//! the mode, never chmod'ed afterwards (a copy of a zone that
//! `allow_transfer` or a view hides must not be readable by any local
//! user, not even for a moment).

#![allow(unsafe_code)]

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::bail;

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "hadns.lock";

/// How often a start retries a lock that is taken, and how long it waits
/// between tries: a `hadns user …` looking at the lock holds it for
/// microseconds, and must not make a starting node fail.
const TRIES: u32 = 10;
const BETWEEN_TRIES: Duration = Duration::from_millis(20);

/// Makes what this process creates private to its user (files 0600,
/// directories 0700). Called once at the start of the commands that write
/// into a data directory, before any thread exists.
pub fn private_umask() {
    // SAFETY: umask takes a plain integer and cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// The data directory's lock, held while this value lives (the node keeps
/// it until it exits).
#[derive(Debug)]
pub struct DataDirLock {
    /// Kept open: closing the last descriptor releases the `flock`.
    _file: File,
}

/// Takes `dir`'s lock for a node, or fails naming the process holding it.
pub fn lock(dir: &Path) -> anyhow::Result<DataDirLock> {
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| anyhow::anyhow!("cannot create data_dir {}: {e}", dir.display()))?;
    }
    warn_if_open_to_others(dir);
    let path = dir.join(LOCK_FILE);
    let mut file = open(&path, true)
        .map_err(|e| anyhow::anyhow!("cannot open the lock file {}: {e}", path.display()))?;
    let mut tries = 0;
    loop {
        match try_flock(&file, libc::LOCK_EX) {
            Ok(true) => break,
            Ok(false) if tries + 1 < TRIES => {
                tries += 1;
                std::thread::sleep(BETWEEN_TRIES);
            }
            Ok(false) => {
                bail!(
                    "data_dir {} is in use by another hadns node ({}; lock {}): one node per \
                     data directory; stop that one or give this one its own data_dir",
                    dir.display(),
                    describe(read_pid(&mut file)),
                    path.display()
                );
            }
            Err(e) => bail!("cannot lock {}: {e}", path.display()),
        }
    }
    // Ours now: say who holds it. A failure here only loses the name.
    let pid = std::process::id();
    let written = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(format!("{pid}\n").as_bytes()));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "cannot write the PID into the lock file");
    }
    Ok(DataDirLock { _file: file })
}

/// The PID of a node holding `dir`'s lock now, if one does (`Some(None)`
/// when its file does not name it). Never takes the lock for longer than
/// the look.
pub fn holder(dir: &Path) -> Option<Option<u32>> {
    let path = dir.join(LOCK_FILE);
    let mut file = open(&path, false).ok()?;
    match try_flock(&file, libc::LOCK_SH) {
        // Nobody holds it; our shared lock goes with the file.
        Ok(true) => None,
        Ok(false) => Some(read_pid(&mut file)),
        Err(_) => None,
    }
}

/// Tells the user of a store command that a node is running beside it.
pub fn tell_if_node_runs(dir: &Path) {
    if let Some(pid) = holder(dir) {
        eprintln!(
            "hadns: a node is running on {} ({}); this command goes through the store's own \
             locking beside it",
            dir.display(),
            describe(pid)
        );
    }
}

/// Warns when others than the node's user may read the data directory:
/// one made before this release, or by hand. Not changed behind the
/// operator's back; the warning says how.
fn warn_if_open_to_others(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = std::fs::metadata(dir) {
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                data_dir = %dir.display(),
                mode = format!("{mode:o}"),
                "the data directory is open to other users (zone copies, journals and the store \
                 are in it); `chmod 700` it"
            );
        }
    }
}

/// Opens the lock file without following a symbolic link: planted by
/// someone else, it could make us truncate a file of theirs.
fn open(path: &PathBuf, create: bool) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    if create {
        options.write(true).create(true).truncate(false).mode(0o600);
    }
    options.open(path)
}

/// `flock(how | LOCK_NB)`: `Ok(false)` when another process holds it.
fn try_flock(file: &File, how: libc::c_int) -> io::Result<bool> {
    loop {
        // SAFETY: the descriptor is open for as long as `file` lives.
        let result = unsafe { libc::flock(file.as_raw_fd(), how | libc::LOCK_NB) };
        if result == 0 {
            return Ok(true);
        }
        let error = io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::EWOULDBLOCK) => return Ok(false),
            Some(libc::EINTR) => continue,
            _ => return Err(error),
        }
    }
}

/// The PID written in the lock file, if it is one.
fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// "PID 1234", or what we know without it.
fn describe(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("PID {pid}"),
        None => "PID unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_fails_naming_the_holder_and_a_released_one_is_taken_again() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        assert_eq!(holder(dir.path()), Some(Some(std::process::id())));
        // flock is per open file description: a second open in the same
        // process conflicts like another process would.
        let error = lock(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains(&format!("PID {}", std::process::id())),
            "{error}"
        );
        assert!(error.contains("one node per data directory"), "{error}");
        drop(first);
        assert_eq!(holder(dir.path()), None);
        let _again = lock(dir.path()).unwrap();
    }

    #[test]
    fn the_lock_file_is_private_and_a_symlink_is_not_followed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let _held = lock(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(LOCK_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let other = tempfile::tempdir().unwrap();
        let victim = other.path().join("victim");
        std::fs::write(&victim, "keep me").unwrap();
        std::os::unix::fs::symlink(&victim, other.path().join(LOCK_FILE)).unwrap();
        assert!(lock(other.path()).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    }
}
