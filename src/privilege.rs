//! `hadns serve`'s privileges: started as root with `[node] user`, the node
//! binds its sockets as root and then runs as that user and group, with
//! no supplementary groups and no capabilities; with `[node] chroot` it
//! first locks itself into a directory (BIND's chrooted layout).
//!
//! ```text
//!  config read ─► Confinement::prepare (user and group looked up: NSS needs the host's /etc)
//!              ─► enter_chroot (chroot + chdir "/"; every later path is inside)
//!  config read again (inside, with the user's effective ids)
//!  ─► prepare_data_dir (made for the user, as root)
//!  as_user ─► zones loaded, store opened: files created with the user's ids
//!  (effective ids only; dropped at the end of the scope, back to root)
//!  API, health, metrics, DNS sockets bound as root ─► drop_privileges (setgroups, setgid,
//!  setuid; checked: every id the user's, no groups, setuid(0) fails) ─► serving
//! ```
//!
//! Files the node writes are created by the user itself (effective ids
//! while loading), never chowned afterwards: chowning what a data
//! directory holds would follow hard links a compromised service user
//! planted there (to /etc/shadow, say). A data directory holding files of
//! another owner is refused at start with the command that fixes it.
//!
//! The decisions ([`decide`], [`check_dropped`], [`inside`]) are pure; the
//! system calls are thin wrappers, each `unsafe` block with its reason.

#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The user and group the node runs as, looked up by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The user's name, as configured.
    pub user: String,
    /// Its uid.
    pub uid: u32,
    /// The group's name as configured, or `None` for the user's primary group.
    pub group: Option<String>,
    /// The gid the node runs with.
    pub gid: u32,
}

impl std::fmt::Display for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "user {} (uid {}), ", self.user, self.uid)?;
        match &self.group {
            Some(group) => write!(f, "group {group} (gid {})", self.gid),
            None => write!(f, "its primary group (gid {})", self.gid),
        }
    }
}

/// What start does about privileges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Switch {
    /// No `[node] user`: the node stays who it was started as.
    Stay,
    /// The process already runs as the configured user (systemd's
    /// `User=`, with `AmbientCapabilities=CAP_NET_BIND_SERVICE` for port
    /// 53): nothing to drop.
    AlreadyUser(Account),
    /// Root now; the node becomes the account once its sockets are bound.
    Drop(Account),
}

/// Decides what to do from the configured account and the process's real
/// and effective uids. Switching to another user needs root.
pub fn decide(account: Option<Account>, uid: u32, euid: u32) -> Result<Switch, String> {
    let Some(account) = account else {
        return Ok(Switch::Stay);
    };
    if uid == account.uid && euid == account.uid {
        return Ok(Switch::AlreadyUser(account));
    }
    if euid != 0 {
        return Err(format!(
            "[node] user = \"{}\" (uid {}): cannot switch to it from uid {euid} without root; start hadns as root, or as {} itself (systemd: User={} with AmbientCapabilities=CAP_NET_BIND_SERVICE)",
            account.user, account.uid, account.user, account.user
        ));
    }
    Ok(Switch::Drop(account))
}

/// The process's identity after the drop, as the kernel reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Real, effective and saved uid.
    pub uids: [u32; 3],
    /// Real, effective and saved gid.
    pub gids: [u32; 3],
    /// Number of supplementary groups.
    pub groups: usize,
    /// Whether `setuid(0)` succeeded (it must not).
    pub regained_root: bool,
}

/// Checks that the drop to `account` took: every uid and gid the
/// account's, no supplementary group, no way back to root.
pub fn check_dropped(identity: Identity, account: &Account) -> Result<(), String> {
    if identity.regained_root {
        return Err("setuid(0) succeeded after dropping privileges".to_string());
    }
    if identity.uids != [account.uid; 3] {
        return Err(format!(
            "uids (real, effective, saved) are {:?}, not {}",
            identity.uids, account.uid
        ));
    }
    if identity.gids != [account.gid; 3] {
        return Err(format!(
            "gids (real, effective, saved) are {:?}, not {}",
            identity.gids, account.gid
        ));
    }
    if identity.groups != 0 {
        return Err(format!(
            "{} supplementary groups remain, expected none",
            identity.groups
        ));
    }
    Ok(())
}

/// `path` (absolute, symlinks resolved) as seen from inside a chroot into
/// `root` (the same), or `None` when it lies outside it.
pub fn inside(path: &Path, root: &Path) -> Option<PathBuf> {
    let rest = path.strip_prefix(root).ok()?;
    Some(Path::new("/").join(rest))
}

/// The node's privileges from start to the drop: what [`decide`] said,
/// and the chroot.
pub struct Confinement {
    switch: Switch,
    chroot: Option<PathBuf>,
}

impl Confinement {
    /// Looks up `[node] user` and `group` (before any chroot: the lookup
    /// reads the host's user database) and decides; an unknown user or
    /// group, or a switch without root, is an error naming it.
    pub fn prepare(node: &config::NodeConfig) -> anyhow::Result<Confinement> {
        let account = match &node.user {
            None => None,
            Some(user) => {
                let (uid, primary_gid) = lookup_user(user)
                    .with_context(|| format!("[node] user = \"{user}\": cannot look it up"))?
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "[node] user = \"{user}\": no such user on this host (create it, e.g. `adduser --system --group --home /var/lib/hadns {user}`)"
                        )
                    })?;
                let gid = match &node.group {
                    None => primary_gid,
                    Some(group) => lookup_group(group)
                        .with_context(|| format!("[node] group = \"{group}\": cannot look it up"))?
                        .ok_or_else(|| {
                            anyhow::anyhow!(
                                "[node] group = \"{group}\": no such group on this host"
                            )
                        })?,
                };
                Some(Account {
                    user: user.clone(),
                    uid,
                    group: node.group.clone(),
                    gid,
                })
            }
        };
        // SAFETY: getuid and geteuid cannot fail and touch no memory.
        let (uid, euid) = unsafe { (libc::getuid(), libc::geteuid()) };
        let switch = decide(account, uid, euid).map_err(anyhow::Error::msg)?;
        match &switch {
            Switch::Stay if euid == 0 => tracing::warn!(
                "running as root: set [node] user to run as an unprivileged user once the sockets are bound"
            ),
            Switch::AlreadyUser(account) => {
                tracing::info!(%account, "already running as the configured user")
            }
            _ => {}
        }
        Ok(Confinement {
            switch,
            chroot: node.chroot.clone(),
        })
    }

    /// The account the node drops to, if it drops.
    fn dropping(&self) -> Option<&Account> {
        match &self.switch {
            Switch::Drop(account) => Some(account),
            _ => None,
        }
    }

    /// Chroots into `[node] chroot` and changes to its `/`; returns the
    /// configuration file as seen from inside, which must lie inside (a
    /// reload reads it again from there).
    pub fn enter_chroot(&self, config_file: &Path) -> anyhow::Result<Option<PathBuf>> {
        let Some(root) = &self.chroot else {
            return Ok(None);
        };
        let root = std::fs::canonicalize(root)
            .with_context(|| format!("[node] chroot = \"{}\"", root.display()))?;
        let file = std::fs::canonicalize(config_file)
            .with_context(|| format!("cannot resolve {}", config_file.display()))?;
        let seen = inside(&file, &root).ok_or_else(|| {
            anyhow::anyhow!(
                "the configuration file {} is outside [node] chroot = \"{}\": a reload could not read it again; keep it inside (e.g. {}/etc/hadns/hadns.toml)",
                file.display(),
                root.display(),
                root.display()
            )
        })?;
        let c_root = path_to_c(&root)?;
        // SAFETY: c_root is a NUL-terminated path that lives across the call.
        if unsafe { libc::chroot(c_root.as_ptr()) } != 0 {
            let e = io::Error::last_os_error();
            bail!("chroot({}) failed: {e}", root.display());
        }
        std::env::set_current_dir("/")
            .with_context(|| format!("chdir(\"/\") inside the chroot {}", root.display()))?;
        tracing::info!(chroot = %root.display(), config = %seen.display(), "chrooted");
        Ok(Some(seen))
    }

    /// Makes `dir` the node's before anything is written there: created
    /// for the user when missing, the directory itself handed over when
    /// root owns it; then, read as the user, every entry below must be the
    /// user's (a file root left there could not be written after the drop).
    pub fn prepare_data_dir(&self, dir: &Path) -> anyhow::Result<()> {
        let Some(account) = self.dropping() else {
            return Ok(());
        };
        let owner = match std::fs::metadata(dir) {
            Ok(metadata) => {
                use std::os::unix::fs::MetadataExt;
                if !metadata.is_dir() {
                    bail!("data_dir {} is not a directory", dir.display());
                }
                metadata.uid()
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create data_dir {}", dir.display()))?;
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .with_context(|| format!("cannot set the mode of {}", dir.display()))?;
                0
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read data_dir {}", dir.display()));
            }
        };
        if owner == 0 {
            // The directory alone: an empty or new one the administrator
            // made as root. What it holds is checked below, never chowned.
            std::os::unix::fs::chown(dir, Some(account.uid), Some(account.gid))
                .with_context(|| format!("cannot hand data_dir {} to {account}", dir.display()))?;
        } else if owner != account.uid {
            bail!(
                "data_dir {} belongs to uid {owner}, not to {account}; fix with `chown -R {}: {}`",
                dir.display(),
                account.user,
                dir.display()
            );
        }
        let _user = self.as_user()?;
        check_owned(dir, account)
    }

    /// Takes the account's group and user as effective ids (supplementary
    /// groups cleared) until the returned guard is dropped, so what the
    /// node creates while loading is the user's and opening what it could
    /// not open after the drop fails now. `None` when the node does not drop.
    pub fn as_user(&self) -> anyhow::Result<Option<EffectiveUser>> {
        let Some(account) = self.dropping() else {
            return Ok(None);
        };
        // SAFETY: setgroups with a count of 0 reads no memory.
        check(
            unsafe { libc::setgroups(0, std::ptr::null()) },
            "setgroups(0)",
        )?;
        // SAFETY: setegid takes a plain integer.
        check(
            unsafe { libc::setegid(account.gid) },
            &format!("setegid({})", account.gid),
        )?;
        // SAFETY: seteuid takes a plain integer.
        if let Err(e) = check(
            unsafe { libc::seteuid(account.uid) },
            &format!("seteuid({})", account.uid),
        ) {
            // SAFETY: as above; back to root's group before failing.
            unsafe { libc::setegid(0) };
            return Err(e);
        }
        Ok(Some(EffectiveUser))
    }

    /// Becomes the account for good: supplementary groups cleared, then
    /// group, then user (real, effective and saved), and checks it took;
    /// any failure is an error, and the node does not run on as root.
    /// Already the user (systemd's `User=`), it gives up the capabilities
    /// it was started with (`CAP_NET_BIND_SERVICE`): binding was their use.
    pub fn drop_privileges(&self) -> anyhow::Result<()> {
        let account = match &self.switch {
            Switch::Stay => return Ok(()),
            Switch::AlreadyUser(account) => {
                clear_capabilities()?;
                tracing::info!(%account, "capabilities given up");
                return Ok(());
            }
            Switch::Drop(account) => account,
        };
        // Order matters: groups and gid need root, which setuid gives up.
        // SAFETY: setgroups with a count of 0 reads no memory.
        check(
            unsafe { libc::setgroups(0, std::ptr::null()) },
            "setgroups(0)",
        )?;
        // SAFETY: setgid and setuid take plain integers; as root they set
        // the real, effective and saved ids (glibc applies them to every thread).
        check(
            unsafe { libc::setgid(account.gid) },
            &format!("setgid({})", account.gid),
        )?;
        // SAFETY: as above.
        check(
            unsafe { libc::setuid(account.uid) },
            &format!("setuid({})", account.uid),
        )?;
        let identity = identity()?;
        check_dropped(identity, account).map_err(|e| {
            anyhow::anyhow!("dropping privileges to {account} failed: {e}; refusing to run")
        })?;
        match &self.chroot {
            Some(root) => {
                tracing::info!(%account, chroot = %root.display(), "privileges dropped")
            }
            None => tracing::info!(%account, "privileges dropped"),
        }
        Ok(())
    }
}

/// While it lives, the process's effective ids are the node's user's
/// (real and saved stay root, so dropping it returns to root).
pub struct EffectiveUser;

impl Drop for EffectiveUser {
    fn drop(&mut self) {
        // SAFETY: seteuid and setegid take plain integers; root first, as
        // only root may set the effective gid back.
        let restored = unsafe { libc::seteuid(0) == 0 && libc::setegid(0) == 0 };
        if !restored {
            // Binding port 53 will then fail with EACCES, naming it.
            tracing::error!(error = %io::Error::last_os_error(), "cannot return to root's effective ids");
        }
    }
}

/// capget(2)/capset(2)'s header (version 3: 64-bit sets in two words).
#[repr(C)]
struct CapabilityHeader {
    version: u32,
    pid: libc::c_int,
}

/// One word of capget(2)/capset(2)'s sets.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapabilitySets {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// `_LINUX_CAPABILITY_VERSION_3`.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// Empties the ambient, effective, permitted and inheritable capability
/// sets of this process (every thread: there is only the main one yet),
/// and checks with capget that they are empty.
fn clear_capabilities() -> anyhow::Result<()> {
    // SAFETY: prctl with integer arguments only; it reads no memory.
    let cleared = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    check(cleared, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)")?;
    let mut header = CapabilityHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut sets = [CapabilitySets::default(); 2];
    // SAFETY: header and two set words, as capset(2) version 3 reads them,
    // live across the call.
    let set = unsafe { libc::syscall(libc::SYS_capset, &mut header, sets.as_ptr()) };
    check(set as libc::c_int, "capset(empty)")?;
    // SAFETY: as above; capget writes the two words.
    let got = unsafe { libc::syscall(libc::SYS_capget, &mut header, sets.as_mut_ptr()) };
    check(got as libc::c_int, "capget")?;
    if sets
        .iter()
        .any(|s| s.effective != 0 || s.permitted != 0 || s.inheritable != 0)
    {
        bail!("capabilities remain after capset: refusing to run with them");
    }
    Ok(())
}

/// The process's ids and groups now, and whether it could become root again.
fn identity() -> anyhow::Result<Identity> {
    let (mut ruid, mut euid, mut suid) = (0, 0, 0);
    let (mut rgid, mut egid, mut sgid) = (0, 0, 0);
    // SAFETY: each pointer is to a live local integer.
    check(
        unsafe { libc::getresuid(&mut ruid, &mut euid, &mut suid) },
        "getresuid",
    )?;
    // SAFETY: as above.
    check(
        unsafe { libc::getresgid(&mut rgid, &mut egid, &mut sgid) },
        "getresgid",
    )?;
    // SAFETY: a count of 0 asks for the number of groups and writes nothing.
    let groups = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
    if groups < 0 {
        bail!("getgroups failed: {}", io::Error::last_os_error());
    }
    // SAFETY: setuid takes a plain integer; it must fail here.
    let regained_root = unsafe { libc::setuid(0) } == 0;
    Ok(Identity {
        uids: [ruid, euid, suid],
        gids: [rgid, egid, sgid],
        groups: groups as usize,
        regained_root,
    })
}

/// Every entry under `dir` must be owned by the account (symlinks are
/// not followed). Bounded: a data directory has far fewer entries.
fn check_owned(dir: &Path, account: &Account) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    const MOST: usize = 1_000_000;
    let mut pending = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current)
            .with_context(|| format!("cannot read {} as {account}", current.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read {}", current.display()))?;
            let metadata = entry
                .metadata()
                .with_context(|| format!("cannot stat {}", entry.path().display()))?;
            if metadata.uid() != account.uid {
                bail!(
                    "{} belongs to uid {}, not to {account}: the node could not write it after dropping privileges; fix with `chown -R {}: {}`",
                    entry.path().display(),
                    metadata.uid(),
                    account.user,
                    dir.display()
                );
            }
            if metadata.is_dir() {
                pending.push(entry.path());
            }
            seen += 1;
            if seen >= MOST {
                tracing::warn!(dir = %dir.display(), "more than {MOST} entries: ownership checked for the first only");
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A system call's result: 0 is success, anything else an error naming
/// the call and errno.
fn check(code: libc::c_int, call: &str) -> anyhow::Result<()> {
    if code == 0 {
        Ok(())
    } else {
        bail!("{call} failed: {}", io::Error::last_os_error())
    }
}

fn path_to_c(path: &Path) -> anyhow::Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes())
        .with_context(|| format!("{} holds a NUL byte", path.display()))
}

/// The largest user or group entry we accept (getpwnam_r's buffer grows
/// to this on ERANGE).
const MOST_ENTRY: usize = 1 << 20;

/// The uid and primary gid of `name`, or `None` when no such user exists.
fn lookup_user(name: &str) -> io::Result<Option<(u32, u32)>> {
    // SAFETY: getpwnam_r's contract is lookup_entry's (see there).
    let entry = lookup_entry::<libc::passwd>(name, |n, e, b, l, r| unsafe {
        libc::getpwnam_r(n, e, b, l, r)
    })?;
    Ok(entry.map(|e| (e.pw_uid, e.pw_gid)))
}

/// The gid of group `name`, or `None` when no such group exists.
fn lookup_group(name: &str) -> io::Result<Option<u32>> {
    // SAFETY: getgrnam_r's contract is lookup_entry's (see there).
    let entry = lookup_entry::<libc::group>(name, |n, e, b, l, r| unsafe {
        libc::getgrnam_r(n, e, b, l, r)
    })?;
    Ok(entry.map(|e| e.gr_gid))
}

/// Runs a `get*nam_r` function for `name` with a buffer that grows on
/// ERANGE (up to [`MOST_ENTRY`]); the entry, or `None` when there is none.
/// Only the entry's numeric fields may be read: its strings point into the
/// buffer, which is gone when this returns.
fn lookup_entry<T>(
    name: &str,
    call: impl Fn(*const libc::c_char, *mut T, *mut libc::c_char, usize, *mut *mut T) -> libc::c_int,
) -> io::Result<Option<T>> {
    let c_name = CString::new(name).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut size = 4096;
    loop {
        let mut buffer = vec![0 as libc::c_char; size];
        let mut entry = std::mem::MaybeUninit::<T>::uninit();
        let mut result: *mut T = std::ptr::null_mut();
        // Every pointer is to live memory of the size given; the function
        // writes the entry and its strings there and sets `result` to the
        // entry, or to NULL when there is none.
        let code = call(
            c_name.as_ptr(),
            entry.as_mut_ptr(),
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut result,
        );
        if code == libc::ERANGE && size < MOST_ENTRY {
            size *= 4;
            continue;
        }
        if code != 0 {
            return Err(io::Error::from_raw_os_error(code));
        }
        if result.is_null() {
            return Ok(None);
        }
        // SAFETY: result is non-NULL, so the call filled the entry.
        return Ok(Some(unsafe { entry.assume_init() }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hadns() -> Account {
        Account {
            user: "hadns".to_string(),
            uid: 998,
            group: None,
            gid: 997,
        }
    }

    #[test]
    fn no_user_stays() {
        assert_eq!(decide(None, 0, 0), Ok(Switch::Stay));
        assert_eq!(decide(None, 1000, 1000), Ok(Switch::Stay));
    }

    #[test]
    fn root_drops_to_the_user() {
        assert_eq!(decide(Some(hadns()), 0, 0), Ok(Switch::Drop(hadns())));
    }

    #[test]
    fn the_user_itself_has_nothing_to_drop() {
        assert_eq!(
            decide(Some(hadns()), 998, 998),
            Ok(Switch::AlreadyUser(hadns()))
        );
    }

    #[test]
    fn another_user_without_root_is_refused_with_names() {
        let e = decide(Some(hadns()), 1000, 1000).unwrap_err();
        assert!(e.contains("\"hadns\" (uid 998)"), "{e}");
        assert!(e.contains("from uid 1000 without root"), "{e}");
    }

    #[test]
    fn a_complete_drop_passes() {
        let identity = Identity {
            uids: [998; 3],
            gids: [997; 3],
            groups: 0,
            regained_root: false,
        };
        assert_eq!(check_dropped(identity, &hadns()), Ok(()));
    }

    #[test]
    fn every_incomplete_drop_is_refused() {
        let good = Identity {
            uids: [998; 3],
            gids: [997; 3],
            groups: 0,
            regained_root: false,
        };
        let cases = [
            Identity {
                regained_root: true,
                ..good
            },
            Identity {
                uids: [998, 998, 0],
                ..good
            },
            Identity {
                gids: [997, 0, 997],
                ..good
            },
            Identity { groups: 1, ..good },
        ];
        for identity in cases {
            assert!(check_dropped(identity, &hadns()).is_err(), "{identity:?}");
        }
    }

    #[test]
    fn paths_are_seen_from_inside_the_chroot() {
        let root = Path::new("/var/lib/hadns/chroot");
        assert_eq!(
            inside(Path::new("/var/lib/hadns/chroot/etc/hadns.toml"), root),
            Some(PathBuf::from("/etc/hadns.toml"))
        );
        assert_eq!(inside(root, root), Some(PathBuf::from("/")));
        assert_eq!(inside(Path::new("/etc/hadns/hadns.toml"), root), None);
        // A sibling whose name merely starts the same is outside.
        assert_eq!(
            inside(Path::new("/var/lib/hadns/chroot2/hadns.toml"), root),
            None
        );
    }

    #[test]
    fn root_and_unknown_users_are_looked_up() {
        assert_eq!(lookup_user("root").unwrap().map(|(uid, _)| uid), Some(0));
        assert_eq!(lookup_user("no-such-user-hadns-test").unwrap(), None);
        assert_eq!(lookup_group("root").unwrap(), Some(0));
        assert_eq!(lookup_group("no-such-group-hadns-test").unwrap(), None);
    }
}
