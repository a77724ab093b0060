//! The tokio side of replication: runs the secondary state machines, sends
//! NOTIFYs, streams outgoing transfers, keeps journals and persisted copies,
//! and publishes new snapshots to the query path.
//!
//! ```text
//!                      ┌──────────────────────── Replicator ────────────────────────┐
//!  NOTIFY in ─────────►│ notify_received ─► wake zone task                           │
//!  (answer crate)      │                                                             │
//!                      │ zone task (secondary): Secondary::next_step(now)            │
//!                      │   QuerySoa ─► UDP (TCP on TC), TSIG                         │
//!                      │   Transfer ─► TCP IXFR/AXFR ─► xfr_in ─► apply (blocking):  │
//!                      │               build snapshot, journal append / dump ─► publish ─► NOTIFY out
//!  zone file reload ──►│ primary_loaded: diff with the served copy ─► journal ─► publish ─► NOTIFY out
//!  AXFR/IXFR request ─►│ serve_transfer: plan from journal ─► xfr_out on a blocking  │
//!  (TCP transport)     │   thread ─► signed messages through a bounded channel ─► socket
//!                      └─────────────────────────────────────────────────────────────┘
//! ```
//!
//! Every change to what is served goes through [`Replicator::publish`],
//! which serialises updates of the shared `Served` state.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use answer::{Replication, Served, TransferTicket};
use arc_swap::ArcSwap;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use wire::header::flags;
use wire::tsig::{self, Key};
use wire::writer::{Owner, Section, Writer};
use wire::{Class, Message, Name, Rcode, Record, Rtype, Serial};
use zone::{BuildOptions, Zone};

use crate::diff::{self, RecordSet};
use crate::journal::{Journal, JournalLimits};
use crate::persist::{self, PersistError, ZoneFiles, ZoneTimers};
use crate::secondary::{Failure, Persisted, Secondary, Step, TimerBounds, Timers};
use crate::xfr_in::{Incoming, Received, Request, TransferError};
use crate::xfr_out::{self, MessageFrame};
use crate::{Diff, notify};

/// How a primary zone's serial moves when its content changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SerialPolicy {
    /// Never touch the serial: a change without a newer serial is refused.
    Keep,
    /// Like `Keep`, but bump the serial by one rather than refuse.
    Auto,
}

/// How a zone is replicated.
#[derive(Clone, Debug)]
pub enum RoleSetup {
    /// We hold the master copy (a zone file, later the store).
    Primary {
        /// What to do when content changes without a serial change.
        serial_policy: SerialPolicy,
    },
    /// We copy the zone from `primaries`, in order of preference.
    Secondary {
        /// Where to transfer from.
        primaries: Vec<SocketAddr>,
        /// Key for SOA queries and transfers.
        key: Option<Arc<Key>>,
    },
}

/// One zone to replicate.
#[derive(Clone, Debug)]
pub struct ZoneSetup {
    /// The apex.
    pub apex: Name,
    /// Primary or secondary.
    pub role: RoleSetup,
    /// Who to NOTIFY when the zone changes (secondaries too: tiers).
    pub notify: Vec<SocketAddr>,
    /// Key that signs our NOTIFYs.
    pub notify_key: Option<Arc<Key>>,
    /// Also NOTIFY the zone's own name servers (RFC 1996 §3.6), found
    /// through their addresses in the zone, except the SOA MNAME.
    pub notify_ns: bool,
}

/// Tunables of the driver.
#[derive(Clone, Debug)]
pub struct DriverSettings {
    /// Bounds for SOA timers.
    pub bounds: TimerBounds,
    /// Journal size limits.
    pub journal: JournalLimits,
    /// Outgoing transfers at once; more are refused until one ends.
    pub max_transfers_out: usize,
    /// How long a transfer connection may stay silent.
    pub transfer_idle_timeout: Duration,
    /// Longest a whole transfer may take.
    pub transfer_timeout: Duration,
    /// NOTIFY retransmissions.
    pub notify_retry: notify::RetryPolicy,
    /// Write a fresh dump of a secondary copy after this many IXFRs.
    pub dump_every: usize,
    /// Called after a transferred zone replaced an old one (the server
    /// returns freed memory to the system here).
    pub after_load: Option<fn()>,
}

impl Default for DriverSettings {
    fn default() -> DriverSettings {
        DriverSettings {
            bounds: TimerBounds::default(),
            journal: JournalLimits::default(),
            max_transfers_out: 16,
            transfer_idle_timeout: Duration::from_secs(30),
            transfer_timeout: Duration::from_secs(3600),
            notify_retry: notify::RetryPolicy::default(),
            dump_every: 64,
            after_load: None,
        }
    }
}

/// Why the driver could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The data directory could not be created.
    #[error("cannot create {}: {source}", path.display())]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A journal could not be opened.
    #[error("zone {zone}: {source}")]
    Journal {
        /// The zone.
        zone: Name,
        /// What went wrong.
        source: crate::journal::JournalError,
    },
}

/// Why a new version of a primary zone was not taken.
#[derive(Debug, thiserror::Error)]
pub enum PrimaryError {
    /// The content changed but the serial did not increase.
    #[error(
        "content changed but serial {new} is not newer than {old}; raise the serial (or set serial_policy = \"auto\")"
    )]
    SerialNotIncreased {
        /// Serial being served.
        old: Serial,
        /// Serial of the new version.
        new: Serial,
    },
    /// The zone is not configured as a primary here.
    #[error("zone {0} is not a primary zone of this node")]
    NotPrimary(Name),
    /// The new version could not be built.
    #[error("{0}")]
    Build(#[from] zone::ZoneError),
    /// The journal could not record the change.
    #[error("journal: {0}")]
    Journal(#[from] crate::journal::JournalError),
}

/// What happened to a primary zone's new version.
#[derive(Debug)]
pub enum PrimaryOutcome {
    /// Nothing changed; the served copy stays.
    Unchanged(Serial),
    /// Published (and NOTIFYs sent) at this serial.
    Published(Serial),
}

/// Status of one NOTIFY target.
#[derive(Clone, Debug, Default)]
pub struct NotifyStatus {
    /// Serial of the last NOTIFY sent.
    pub serial: Option<Serial>,
    /// When the last one was acknowledged.
    pub acknowledged: Option<SystemTime>,
    /// Why the last one failed, if it did.
    pub error: Option<String>,
}

/// What `zone-status` shows.
#[derive(Clone, Debug)]
pub struct ZoneStatus {
    /// The apex.
    pub apex: Name,
    /// "primary" or "secondary".
    pub role: &'static str,
    /// Serial being served, if any.
    pub serial: Option<Serial>,
    /// Secondary refresh state.
    pub secondary: Option<crate::secondary::Status>,
    /// Journal: oldest and newest serial, entries.
    pub journal: Option<(Option<Serial>, Option<Serial>, usize)>,
    /// NOTIFY targets and their state.
    pub notify: Vec<(SocketAddr, NotifyStatus)>,
}

enum Role {
    Primary {
        serial_policy: SerialPolicy,
    },
    Secondary {
        primaries: Vec<SocketAddr>,
        key: Option<Arc<Key>>,
        machine: Box<Mutex<Secondary>>,
    },
}

struct ZoneState {
    apex: Name,
    role: Role,
    notify: Vec<SocketAddr>,
    notify_key: Option<Arc<Key>>,
    notify_ns: bool,
    files: ZoneFiles,
    journal: Mutex<Journal>,
    /// The newest good version, kept even while it is not served (an
    /// expired secondary copy comes back when its primary answers again).
    copy: Mutex<Option<Arc<Zone>>>,
    wake: tokio::sync::Notify,
    /// IXFRs applied since the last dump.
    since_dump: Mutex<usize>,
    notify_status: Mutex<HashMap<SocketAddr, NotifyStatus>>,
    /// The NOTIFY still being retried to each target; a newer one replaces
    /// it, so an old give-up never overwrites a newer acknowledgement.
    notify_in_flight: Mutex<HashMap<SocketAddr, tokio::task::AbortHandle>>,
    /// A change was published before [`Replicator::start`]; its NOTIFYs
    /// go out when the driver starts.
    notify_pending: AtomicBool,
    /// The zone was removed: its task ends.
    removed: AtomicBool,
}

/// Runs replication for every configured zone.
pub struct Replicator {
    served: Arc<ArcSwap<Served>>,
    zones: std::sync::RwLock<HashMap<Name, Arc<ZoneState>>>,
    data_dir: PathBuf,
    settings: DriverSettings,
    publish_lock: Mutex<()>,
    transfers_out: Arc<tokio::sync::Semaphore>,
    /// [`Replicator::start`] has run: NOTIFYs can be sent.
    started: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind
    // that is still consistent at every await-free step; keep going.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn from_unix(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn timers_of(zone: &Zone, bounds: &TimerBounds) -> Timers {
    let soa = zone.soa_fields();
    Timers::from_soa(soa.refresh, soa.retry, soa.expire, bounds)
}

/// A query ID that is hard to guess (RFC 5452 §9.2 wants them random).
fn random_id() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish() as u16
}

impl Replicator {
    /// Opens journals and persisted copies and publishes what secondaries
    /// already hold. Primary zones are published by [`Replicator::primary_loaded`].
    pub fn new(
        served: Arc<ArcSwap<Served>>,
        data_dir: &Path,
        setups: Vec<ZoneSetup>,
        settings: DriverSettings,
    ) -> Result<Arc<Replicator>, StartError> {
        let replicator = Arc::new(Replicator {
            served,
            zones: std::sync::RwLock::new(HashMap::new()),
            data_dir: data_dir.to_path_buf(),
            transfers_out: Arc::new(tokio::sync::Semaphore::new(
                settings.max_transfers_out.max(1),
            )),
            settings,
            publish_lock: Mutex::new(()),
            started: AtomicBool::new(false),
        });
        for setup in setups {
            replicator.open_zone(setup)?;
        }
        Ok(replicator)
    }

    /// Takes a zone under replication while running (a zone created through
    /// the API): opens its journal, restores a secondary's copy, and for a
    /// secondary starts its task when the driver runs.
    pub fn add_zone(self: &Arc<Self>, setup: ZoneSetup) -> Result<(), StartError> {
        let state = self.open_zone(setup)?;
        if self.started.load(Ordering::SeqCst) && matches!(state.role, Role::Secondary { .. }) {
            tokio::spawn(Arc::clone(self).run_secondary(state));
        }
        Ok(())
    }

    /// Stops replicating and serving a zone deleted for good (a store zone
    /// deleted through the API) and deletes its dump, journal and timers,
    /// so a zone created later under the same name starts afresh rather
    /// than being compared with, and journaled after, the old one.
    pub fn forget_zone(&self, apex: &Name) {
        let apex = apex.to_lowercase();
        self.remove_zone(&apex);
        let files = ZoneFiles::in_data_dir(&self.data_dir, &apex);
        for path in [&files.journal, &files.zone, &files.timers] {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(zone = %apex, file = %path.display(), error = %e, "cannot delete a file of a deleted zone")
                }
            }
        }
    }

    /// Stops replicating a zone and stops serving it. Its files stay in the
    /// data directory.
    pub fn remove_zone(&self, apex: &Name) {
        let apex = apex.to_lowercase();
        if let Some(state) = self
            .zones
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&apex)
        {
            state.removed.store(true, Ordering::SeqCst);
            state.wake.notify_one();
        }
        let _guard = lock(&self.publish_lock);
        let mut next = (*self.served.load_full()).clone();
        next.catalog.remove(&apex);
        self.served.store(Arc::new(next));
    }

    fn open_zone(&self, setup: ZoneSetup) -> Result<Arc<ZoneState>, StartError> {
        let now = SystemTime::now();
        let zones_dir = self.data_dir.join("zones");
        std::fs::create_dir_all(&zones_dir).map_err(|source| StartError::DataDir {
            path: zones_dir.clone(),
            source,
        })?;
        let apex = setup.apex.to_lowercase();
        let files = ZoneFiles::in_data_dir(&self.data_dir, &apex);
        let (journal, report) = Journal::open(&files.journal, &apex, self.settings.journal)
            .map_err(|source| StartError::Journal {
                zone: apex.clone(),
                source,
            })?;
        if let Some(cut) = &report.cut {
            tracing::warn!(zone = %apex, bytes = cut.bytes, entries = cut.entries, "journal had a damaged tail; cut it ({:?})", cut.damage);
        }
        let mut restored = None;
        let role = match setup.role {
            RoleSetup::Primary { serial_policy } => Role::Primary { serial_policy },
            RoleSetup::Secondary { primaries, key } => {
                let (copy, machine) = restore_secondary(
                    &apex,
                    &files,
                    &journal,
                    &self.settings.bounds,
                    primaries.len(),
                    now,
                );
                restored = Some(copy);
                Role::Secondary {
                    primaries,
                    key,
                    machine: Box::new(Mutex::new(machine)),
                }
            }
        };
        let state = Arc::new(ZoneState {
            apex: apex.clone(),
            role,
            notify: setup.notify,
            notify_key: setup.notify_key,
            notify_ns: setup.notify_ns,
            files,
            journal: Mutex::new(journal),
            copy: Mutex::new(None),
            wake: tokio::sync::Notify::new(),
            since_dump: Mutex::new(0),
            notify_status: Mutex::new(HashMap::new()),
            notify_in_flight: Mutex::new(HashMap::new()),
            notify_pending: AtomicBool::new(false),
            removed: AtomicBool::new(false),
        });
        self.zones
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(apex.clone(), Arc::clone(&state));
        if let Some(copy) = restored {
            *lock(&state.copy) = copy.clone();
            let expired = state.machine().map(|m| m.is_expired(now)).unwrap_or(true);
            match copy {
                Some(zone) if !expired => self.publish(&apex, Some(zone)),
                Some(zone) => {
                    tracing::warn!(zone = %apex, serial = zone.serial().0, "persisted copy has expired; SERVFAIL until a transfer succeeds");
                    self.publish(&apex, None);
                }
                None => self.publish(&apex, None),
            }
        }
        Ok(state)
    }

    fn zone_state(&self, apex: &Name) -> Option<Arc<ZoneState>> {
        self.zones
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(apex)
            .cloned()
    }

    /// Starts a task per secondary zone and sends the NOTIFYs held back
    /// since [`Replicator::new`]. Call within a tokio runtime, once the
    /// listeners are bound (the NOTIFYs prompt transfers from us).
    pub fn start(self: &Arc<Self>) {
        self.started.store(true, Ordering::SeqCst);
        let zones: Vec<Arc<ZoneState>> = self
            .zones
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        for zone in &zones {
            if matches!(zone.role, Role::Secondary { .. }) {
                tokio::spawn(Arc::clone(self).run_secondary(Arc::clone(zone)));
            }
            if zone.notify_pending.swap(false, Ordering::SeqCst) {
                self.send_notifies(zone);
            }
        }
    }

    /// Publishes a new snapshot of `apex` (or marks it unavailable).
    pub fn publish(&self, apex: &Name, zone: Option<Arc<Zone>>) {
        let _guard = lock(&self.publish_lock);
        let current = self.served.load_full();
        let mut next = (*current).clone();
        match zone {
            Some(zone) => next.catalog.insert(zone),
            None => next.catalog.insert_unavailable(apex),
        };
        self.served.store(Arc::new(next));
    }

    /// Publishes a new version of a replicated zone and keeps it as the copy.
    fn publish_copy(&self, state: &ZoneState, zone: Arc<Zone>) {
        *lock(&state.copy) = Some(zone.clone());
        self.publish(&state.apex, Some(zone));
    }

    /// The newest good version of a replicated zone, served or not.
    fn copy(&self, state: &ZoneState) -> Option<Arc<Zone>> {
        lock(&state.copy).clone()
    }

    /// Replaces the whole served state (a reload of settings), under the
    /// same lock as zone updates.
    pub fn update_served(&self, change: impl FnOnce(&mut Served)) {
        let _guard = lock(&self.publish_lock);
        let mut next = (*self.served.load_full()).clone();
        change(&mut next);
        self.served.store(Arc::new(next));
    }

    /// The snapshot being served for `apex`.
    pub fn current(&self, apex: &Name) -> Option<Arc<Zone>> {
        self.served.load().catalog.get(apex).cloned()
    }

    /// A new version of a primary zone (from its file, at start or reload):
    /// compares it with what is served, records the difference in the
    /// journal, publishes it and sends NOTIFYs. At start, the persisted copy
    /// of the previous run stands in for the served one, so changes made
    /// while the node was down still reach secondaries by IXFR.
    pub fn primary_loaded(
        self: &Arc<Self>,
        apex: &Name,
        new: Zone,
    ) -> Result<PrimaryOutcome, PrimaryError> {
        let apex = apex.to_lowercase();
        let state = self
            .zone_state(&apex)
            .ok_or_else(|| PrimaryError::NotPrimary(apex.clone()))?;
        let state = &*state;
        let Role::Primary { serial_policy } = state.role else {
            return Err(PrimaryError::NotPrimary(apex.clone()));
        };
        let old = self.copy(state).or_else(|| {
            persist::read_zone(&state.files.zone).ok().and_then(|dump| {
                Zone::build(&apex, dump.records, BuildOptions { precompile: false })
                    .ok()
                    .map(Arc::new)
            })
        });
        let mut new = new;
        if self.current(&apex).is_none() && lock(&state.journal).last_serial() == Some(new.serial())
        {
            // At start, a zone whose journal already ends at its serial (a
            // store zone: every change was journaled as it was made) needs
            // no comparison with an older dump.
            self.publish_copy(state, Arc::new(new));
            self.send_notifies(state);
            return Ok(PrimaryOutcome::Unchanged(
                lock(&state.journal).last_serial().unwrap_or_default(),
            ));
        }
        let Some(old) = old else {
            // First time we see this zone: nothing to compare with.
            let serial = new.serial();
            let zone = Arc::new(new);
            self.write_dump(state, &zone);
            self.publish_copy(state, zone);
            self.send_notifies(state);
            return Ok(PrimaryOutcome::Published(serial));
        };
        let mut changes = diff::between(&old, &new);
        if changes.is_empty()
            || (!changes.changes_content() && !new.serial().is_newer_than(old.serial()))
        {
            if self.current(&apex).is_none() {
                // At start with an unchanged file: serve it, and NOTIFY as
                // BIND does on every load, in case the last run died between
                // publishing a change and announcing it.
                self.publish_copy(state, Arc::new(new));
                self.send_notifies(state);
            }
            return Ok(PrimaryOutcome::Unchanged(old.serial()));
        }
        if !new.serial().is_newer_than(old.serial()) {
            match serial_policy {
                SerialPolicy::Keep => {
                    return Err(PrimaryError::SerialNotIncreased {
                        old: old.serial(),
                        new: new.serial(),
                    });
                }
                SerialPolicy::Auto => {
                    new = with_serial(&new, old.serial() + 1)?;
                    changes = diff::between(&old, &new);
                }
            }
        }
        let serial = new.serial();
        let entry = Diff::new(old.serial(), serial, changes.removed, changes.added);
        {
            let mut journal = lock(&state.journal);
            if journal
                .last_serial()
                .is_some_and(|last| last != old.serial())
            {
                // The history does not lead to what we serve: start afresh.
                journal.reset()?;
            }
            if let Err(e) = journal.append(&entry) {
                tracing::warn!(zone = %apex, error = %e, "journal append failed; IXFR from older serials will be answered with AXFR");
                journal.reset()?;
            }
        }
        let zone = Arc::new(new);
        self.write_dump(state, &zone);
        self.publish_copy(state, zone);
        self.send_notifies(state);
        Ok(PrimaryOutcome::Published(serial))
    }

    /// A new version of a primary zone whose difference is already known
    /// (a change through the store's write path, which is durable before
    /// this is called): journal the difference, publish, NOTIFY. The zone
    /// dump is refreshed only now and then, the store being the zone's
    /// durable copy.
    pub fn primary_changed(
        self: &Arc<Self>,
        apex: &Name,
        new: Zone,
        diff: Diff,
    ) -> Result<(), PrimaryError> {
        let apex = apex.to_lowercase();
        let state = self
            .zone_state(&apex)
            .ok_or_else(|| PrimaryError::NotPrimary(apex.clone()))?;
        if !matches!(state.role, Role::Primary { .. }) {
            return Err(PrimaryError::NotPrimary(apex));
        }
        {
            let mut journal = lock(&state.journal);
            if journal.last_serial().is_some_and(|last| last != diff.from) {
                journal.reset()?;
            }
            // The change is already durable in the store, whose journal
            // `Manager::start` copies back should a crash lose this entry:
            // no second fsync per write (one per view with views).
            if let Err(e) = journal.append_unsynced(&diff) {
                tracing::warn!(zone = %apex, error = %e, "journal append failed; IXFR from older serials will be answered with AXFR");
                journal.reset()?;
            }
        }
        let zone = Arc::new(new);
        let dump_due = {
            let mut since = lock(&state.since_dump);
            *since += 1;
            *since >= self.settings.dump_every
        };
        if dump_due {
            self.write_dump(&state, &zone);
        }
        self.publish_copy(&state, zone.clone());
        zone.compile();
        self.send_notifies(&state);
        Ok(())
    }

    /// The newest serial in a zone's journal.
    pub fn journal_last_serial(&self, apex: &Name) -> Option<Serial> {
        let state = self.zone_state(&apex.to_lowercase())?;
        lock(&state.journal).last_serial()
    }

    /// Appends differences already made durable elsewhere (the store's
    /// journal) to a primary zone's journal, oldest first, before the zone
    /// is loaded: a store change committed just before a crash, whose
    /// journal append never happened, is caught up this way so secondaries
    /// still get it by IXFR. Differences that do not continue the journal
    /// reset it.
    pub fn journal_append(&self, apex: &Name, diffs: &[Diff]) -> Result<(), PrimaryError> {
        let apex = apex.to_lowercase();
        let state = self
            .zone_state(&apex)
            .ok_or_else(|| PrimaryError::NotPrimary(apex.clone()))?;
        let mut journal = lock(&state.journal);
        for diff in diffs {
            if journal.last_serial().is_some_and(|last| last != diff.from) {
                journal.reset()?;
            }
            // Durable in the store already, which fills the journal
            // again should these be lost.
            if let Err(e) = journal.append_unsynced(diff) {
                tracing::warn!(zone = %apex, error = %e, "journal append failed; IXFR from older serials will be answered with AXFR");
                journal.reset()?;
            }
        }
        Ok(())
    }

    fn write_dump(&self, state: &ZoneState, zone: &Zone) {
        if let Err(e) = persist::write_zone(
            &state.files.zone,
            zone.apex(),
            zone.serial(),
            zone.records(),
        ) {
            tracing::error!(zone = %state.apex, error = %e, "cannot persist the zone copy");
        }
        *lock(&state.since_dump) = 0;
    }

    /// Streams an accepted transfer to `writer` (length-prefixed TCP
    /// messages). Returns the number of messages sent.
    pub async fn serve_transfer<W: AsyncWrite + Unpin>(
        self: &Arc<Self>,
        ticket: TransferTicket,
        writer: &mut W,
    ) -> std::io::Result<usize> {
        let Ok(_permit) = Arc::clone(&self.transfers_out).try_acquire_owned() else {
            tracing::warn!(zone = %ticket.zone.apex(), client = %ticket.client, "too many transfers at once; refusing one");
            let reply = refusal(&ticket, Rcode::REFUSED);
            write_framed(writer, &reply, self.settings.transfer_idle_timeout).await?;
            return Ok(1);
        };
        let apex = ticket.zone.apex().clone();
        let state = self.zone_state(&apex);
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
        let TransferTicket {
            zone,
            qtype,
            client_serial,
            id,
            question,
            mut signer,
            client,
            key,
        } = ticket;
        let key = key.map_or_else(|| "-".to_string(), |k| k.to_string());
        let producer = tokio::task::spawn_blocking(move || {
            let plan = xfr_out::plan(&zone, client_serial, |from| {
                let state = state?;
                match lock(&state.journal).diffs_from(from) {
                    Ok(diffs) => diffs,
                    Err(e) => {
                        tracing::warn!(zone = %state.apex, error = %e, "journal unreadable; answering IXFR with the whole zone");
                        None
                    }
                }
            });
            let kind = match &plan {
                xfr_out::Plan::UpToDate => "up-to-date",
                xfr_out::Plan::Incremental(_) => "IXFR",
                xfr_out::Plan::Full => "AXFR",
            };
            let frame = MessageFrame {
                id,
                question: &question,
            };
            let result = xfr_out::stream(&zone, &plan, frame, |message| {
                if let Some(signer) = signer.as_mut()
                    && signer
                        .sign(message, unix(SystemTime::now()), xfr_out::MAX_MESSAGE)
                        .is_err()
                {
                    return false;
                }
                sender.blocking_send(message.clone()).is_ok()
            });
            (kind, zone.serial(), result)
        });
        let started = std::time::Instant::now();
        let mut sent = 0;
        while let Some(message) = receiver.recv().await {
            if started.elapsed() > self.settings.transfer_timeout {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "transfer took too long",
                ));
            }
            write_framed(writer, &message, self.settings.transfer_idle_timeout).await?;
            sent += 1;
        }
        writer.flush().await?;
        match producer.await {
            Ok((kind, serial, Ok(messages))) => {
                tracing::info!(zone = %apex, %client, %key, ?qtype, kind, serial = serial.0, messages, from = ?client_serial.map(|s| s.0), "transfer out done");
            }
            Ok((_, _, Err(e))) => {
                tracing::warn!(zone = %apex, %client, %key, error = %e, "transfer out stopped");
            }
            Err(e) => tracing::error!(zone = %apex, error = %e, "transfer out task failed"),
        }
        Ok(sent)
    }

    /// Sends NOTIFY for `apex` to its targets now.
    pub fn notify_now(self: &Arc<Self>, apex: &Name) -> bool {
        match self.zone_state(&apex.to_lowercase()) {
            Some(state) => {
                self.send_notifies(&state);
                true
            }
            None => false,
        }
    }

    /// Checks the primary now (secondary zones).
    pub fn refresh_now(&self, apex: &Name) -> bool {
        match self.zone_state(&apex.to_lowercase()) {
            Some(state) => match state.machine() {
                Some(mut machine) => {
                    machine.notify(SystemTime::now());
                    drop(machine);
                    state.wake.notify_one();
                    true
                }
                None => false,
            },
            None => false,
        }
    }

    /// Transfers the whole zone again now (secondary zones).
    pub fn retransfer_now(&self, apex: &Name) -> bool {
        match self.zone_state(&apex.to_lowercase()) {
            Some(state) => match state.machine() {
                Some(mut machine) => {
                    machine.force_transfer();
                    drop(machine);
                    state.wake.notify_one();
                    true
                }
                None => false,
            },
            None => false,
        }
    }

    /// Status of one zone.
    pub fn status(&self, apex: &Name) -> Option<ZoneStatus> {
        let state = self.zone_state(&apex.to_lowercase())?;
        let now = SystemTime::now();
        let journal = lock(&state.journal);
        let mut notify: Vec<(SocketAddr, NotifyStatus)> = state
            .notify
            .iter()
            .map(|t| {
                (
                    *t,
                    lock(&state.notify_status)
                        .get(t)
                        .cloned()
                        .unwrap_or_default(),
                )
            })
            .collect();
        notify.sort_by_key(|(a, _)| *a);
        Some(ZoneStatus {
            apex: state.apex.clone(),
            role: match state.role {
                Role::Primary { .. } => "primary",
                Role::Secondary { .. } => "secondary",
            },
            serial: self.current(&state.apex).map(|z| z.serial()),
            secondary: state.machine().map(|m| m.status(now)),
            journal: Some((journal.first_serial(), journal.last_serial(), journal.len())),
            notify,
        })
    }

    /// Every zone this driver handles.
    pub fn zones(&self) -> Vec<Name> {
        self.zones
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    async fn run_secondary(self: Arc<Self>, state: Arc<ZoneState>) {
        let Role::Secondary { primaries, key, .. } = &state.role else {
            return;
        };
        loop {
            if state.removed.load(Ordering::SeqCst) {
                return;
            }
            let now = SystemTime::now();
            self.enforce_expiry(&state, now);
            let step = match state.machine() {
                Some(mut machine) => machine.next_step(now),
                None => return,
            };
            match step {
                Step::Wait { until } => {
                    let wait = until.duration_since(now).unwrap_or_default();
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = state.wake.notified() => {}
                    }
                }
                Step::QuerySoa { primary } => {
                    let address = primaries[primary.min(primaries.len() - 1)];
                    let result = query_soa(&state.apex, address, key.clone()).await;
                    if let Err(e) = &result {
                        tracing::warn!(zone = %state.apex, primary = %address, "SOA check failed: {e:?}");
                    }
                    if let Some(mut machine) = state.machine() {
                        machine.soa_answer(SystemTime::now(), primary, result);
                    }
                    self.save_timers(&state, Some(address));
                    self.enforce_expiry(&state, SystemTime::now());
                }
                Step::Transfer { primary, request } => {
                    let address = primaries[primary.min(primaries.len() - 1)];
                    let result = self
                        .transfer_in(&state, address, key.clone(), request)
                        .await;
                    match &result {
                        Ok((serial, _)) => {
                            tracing::info!(zone = %state.apex, primary = %address, serial = serial.0, ?request, "transfer in done")
                        }
                        Err(e) => {
                            tracing::warn!(zone = %state.apex, primary = %address, ?request, "transfer in failed: {e:?}")
                        }
                    }
                    let changed = result.is_ok();
                    if let Some(mut machine) = state.machine() {
                        machine.transfer_done(SystemTime::now(), primary, result);
                    }
                    self.save_timers(&state, Some(address));
                    if changed {
                        self.send_notifies(&state);
                    }
                }
            }
        }
    }

    /// Stops serving an expired copy (RFC 1035 §4.3.5), and serves it again
    /// once a check succeeds.
    fn enforce_expiry(&self, state: &ZoneState, now: SystemTime) {
        let expired = state.machine().map(|m| m.is_expired(now)).unwrap_or(false);
        let served = self.current(&state.apex).is_some();
        if expired && served {
            tracing::error!(zone = %state.apex, "zone expired: no successful check within the expire interval; answering SERVFAIL");
            self.publish(&state.apex, None);
        } else if !expired
            && !served
            && let Some(copy) = self.copy(state)
        {
            tracing::info!(zone = %state.apex, serial = copy.serial().0, "zone confirmed by its primary; serving it again");
            self.publish(&state.apex, Some(copy));
        }
    }

    fn save_timers(&self, state: &ZoneState, primary: Option<SocketAddr>) {
        let Some(machine) = state.machine() else {
            return;
        };
        let Some(p) = machine.persisted() else { return };
        let status = machine.status(SystemTime::now());
        drop(machine);
        let timers = ZoneTimers {
            serial: p.serial,
            last_refresh: status.last_check.map_or(0, unix),
            next_refresh: unix(p.next_refresh),
            expires_at: unix(p.expires_at),
            last_transfer: p.last_transfer.map(unix),
            primary: primary.map(|a| a.to_string()),
        };
        if let Err(e) = persist::write_timers(&state.files.timers, &timers) {
            tracing::error!(zone = %state.apex, error = %e, "cannot persist timers");
        }
    }

    /// Runs one incoming transfer and applies it.
    async fn transfer_in(
        self: &Arc<Self>,
        state: &Arc<ZoneState>,
        primary: SocketAddr,
        key: Option<Arc<Key>>,
        request: Request,
    ) -> Result<(Serial, Timers), Failure> {
        let current = self.copy(state);
        // IXFR needs the copy it starts from; without one, AXFR.
        let request = match (request, &current) {
            (Request::Ixfr(serial), Some(zone)) if zone.serial() == serial => request,
            _ => Request::Axfr,
        };
        let started = std::time::Instant::now();
        let received = tokio::time::timeout(
            self.settings.transfer_timeout,
            receive_transfer(
                &state.apex,
                primary,
                key,
                request,
                current.as_deref(),
                self.settings.transfer_idle_timeout,
            ),
        )
        .await
        .map_err(|_| Failure::Unreachable("transfer took too long".into()))??;
        tracing::debug!(zone = %state.apex, elapsed_ms = started.elapsed().as_millis() as u64, "transfer received");
        let this = Arc::clone(self);
        let state = Arc::clone(state);
        tokio::task::spawn_blocking(move || this.apply(&state, current, request, received))
            .await
            .map_err(|e| Failure::Invalid(format!("apply task failed: {e}")))?
    }

    /// Builds, persists and publishes the result of a transfer (blocking).
    fn apply(
        &self,
        state: &ZoneState,
        current: Option<Arc<Zone>>,
        request: Request,
        received: Received,
    ) -> Result<(Serial, Timers), Failure> {
        let bounds = &self.settings.bounds;
        match received {
            Received::UpToDate(_) => {
                let zone = current
                    .ok_or_else(|| Failure::Invalid("up to date, but we hold no copy".into()))?;
                Ok((zone.serial(), timers_of(&zone, bounds)))
            }
            Received::Full { serial, records } => {
                // Two things at once: the dump is written (to a temporary
                // file) while the snapshot is built; the dump replaces the
                // old one only once the snapshot proved the zone good, and
                // the zone is served only once its dump is in place, so a
                // crash now must not lose it. The snapshot is served first
                // and compiled after (below): a large zone answers on the
                // general path for the moment compiling takes.
                let started = std::time::Instant::now();
                let (zone, prepared) = std::thread::scope(|scope| {
                    let writer = scope.spawn(|| {
                        persist::prepare_zone(&state.files.zone, &state.apex, serial, &records)
                    });
                    let zone = Zone::build_from_slice(
                        &state.apex,
                        &records,
                        BuildOptions { precompile: false },
                    );
                    let prepared = match writer.join() {
                        Ok(result) => result.map_err(|e| e.to_string()),
                        Err(_) => Err("the dump writer panicked".to_string()),
                    };
                    (zone, prepared)
                });
                let zone = zone.map_err(|e| Failure::Invalid(e.to_string()))?;
                tracing::debug!(zone = %state.apex, elapsed_ms = started.elapsed().as_millis() as u64, "transferred zone built and written");
                if zone.serial() != serial {
                    return Err(Failure::Invalid(format!(
                        "SOA serial {} differs from the promised {serial}",
                        zone.serial()
                    )));
                }
                if let Some(current) = &current
                    && !zone.serial().is_newer_than(current.serial())
                    && zone.serial() != current.serial()
                {
                    return Err(Failure::Invalid(format!(
                        "transfer brought serial {serial}, older than ours {}",
                        current.serial()
                    )));
                }
                let zone = Arc::new(zone);
                prepared
                    .and_then(|p| p.commit().map_err(|e| e.to_string()))
                    .map_err(|e| Failure::Invalid(format!("cannot persist the copy: {e}")))?;
                *lock(&state.since_dump) = 0;
                if let Err(e) = lock(&state.journal).reset() {
                    tracing::warn!(zone = %state.apex, error = %e, "cannot reset the journal");
                }
                let timers = timers_of(&zone, bounds);
                self.publish_copy(state, zone.clone());
                // Freed only now: a million records take a while to free.
                drop(records);
                zone.compile();
                drop(zone);
                if let Some(after_load) = self.settings.after_load {
                    after_load();
                }
                Ok((serial, timers))
            }
            Received::Incremental(diffs) => {
                let unusable = |text: String| {
                    if matches!(request, Request::Ixfr(_)) {
                        Failure::IxfrUnusable(text)
                    } else {
                        Failure::Invalid(text)
                    }
                };
                let base =
                    current.ok_or_else(|| unusable("IXFR without a copy to apply it to".into()))?;
                let mut set = RecordSet::from_records(base.canonical_records());
                for d in &diffs {
                    set.apply(&d.removed, &d.added)
                        .map_err(|e| unusable(e.to_string()))?;
                }
                let serial = diffs.last().map(|d| d.to).unwrap_or(base.serial());
                let zone = Zone::build(&state.apex, set.into_records(), BuildOptions::default())
                    .map_err(|e| unusable(e.to_string()))?;
                if zone.serial() != serial {
                    return Err(unusable(format!(
                        "after IXFR the SOA says {} instead of {serial}",
                        zone.serial()
                    )));
                }
                {
                    let mut journal = lock(&state.journal);
                    for d in &diffs {
                        if journal.append(d).is_err() {
                            // A gap in our history: keep only what follows.
                            let _ = journal.reset();
                            let _ = journal.append(d);
                        }
                    }
                }
                let zone = Arc::new(zone);
                let dump_due = {
                    let mut since = lock(&state.since_dump);
                    *since += 1;
                    *since >= self.settings.dump_every
                };
                if dump_due {
                    self.write_dump(state, &zone);
                }
                let timers = timers_of(&zone, bounds);
                self.publish_copy(state, zone.clone());
                zone.compile();
                Ok((serial, timers))
            }
        }
    }

    fn send_notifies(self: &Arc<Self>, state: &ZoneState) {
        if !self.started.load(Ordering::SeqCst) {
            // A primary zone file that changed while the node was down is
            // journaled and published at start, before the tokio runtime
            // exists: spawning the NOTIFY tasks here panicked ("there is no
            // reactor running") and stopped the node. Hold them for
            // `start`, which runs once the listeners can answer the
            // transfers they prompt.
            state.notify_pending.store(true, Ordering::SeqCst);
            // `start` may have run meanwhile and missed the flag: whoever
            // clears it sends.
            if !self.started.load(Ordering::SeqCst)
                || !state.notify_pending.swap(false, Ordering::SeqCst)
            {
                return;
            }
        }
        let Some(zone) = self.copy(state) else {
            return;
        };
        let mut targets = state.notify.clone();
        if state.notify_ns {
            for target in name_server_addresses(&zone) {
                if !targets.contains(&target) {
                    targets.push(target);
                }
            }
        }
        if targets.is_empty() {
            return;
        }
        let soa = zone.soa_record();
        let serial = zone.serial();
        for target in targets {
            let apex = state.apex.clone();
            let soa = soa.clone();
            let key = state.notify_key.clone();
            let policy = self.settings.notify_retry;
            let this = Arc::clone(self);
            let task = tokio::spawn(async move {
                let result = send_notify(&apex, &soa, target, key, policy).await;
                let Some(state) = this.zone_state(&apex) else {
                    return;
                };
                let mut status = lock(&state.notify_status);
                let entry = status.entry(target).or_default();
                entry.serial = Some(serial);
                match result {
                    Ok(()) => {
                        entry.acknowledged = Some(SystemTime::now());
                        entry.error = None;
                        tracing::info!(zone = %apex, %target, serial = serial.0, "NOTIFY acknowledged");
                    }
                    Err(e) => {
                        tracing::warn!(zone = %apex, %target, serial = serial.0, "NOTIFY given up: {e}");
                        entry.error = Some(e);
                    }
                }
            });
            if let Some(older) = lock(&state.notify_in_flight).insert(target, task.abort_handle()) {
                older.abort();
            }
        }
    }
}

impl ZoneState {
    fn machine(&self) -> Option<MutexGuard<'_, Secondary>> {
        match &self.role {
            Role::Secondary { machine, .. } => Some(lock(machine)),
            Role::Primary { .. } => None,
        }
    }
}

impl Replication for Replicator {
    fn notify_received(&self, apex: &Name, from: SocketAddr) {
        let Some(state) = self.zone_state(apex) else {
            return;
        };
        if let Some(mut machine) = state.machine() {
            tracing::info!(zone = %apex, %from, "NOTIFY received");
            machine.notify(SystemTime::now());
            drop(machine);
            state.wake.notify_one();
        }
    }
}

/// Addresses (port 53) of the zone's NS targets that the zone itself holds,
/// leaving out the SOA MNAME, the primary (RFC 1996 §3.6).
fn name_server_addresses(zone: &Zone) -> Vec<SocketAddr> {
    let apex = zone.apex().clone();
    let mname = zone
        .rdata_at(&apex, Rtype::SOA)
        .first()
        .and_then(|rdata| Name::parse_uncompressed(rdata, 0).ok())
        .map(|(n, _)| n);
    let mut out = Vec::new();
    for rdata in zone.rdata_at(&apex, Rtype::NS) {
        let Ok(target) = Name::from_wire(&rdata) else {
            continue;
        };
        if Some(&target) == mname.as_ref() {
            continue;
        }
        for a in zone.rdata_at(&target, Rtype::A) {
            if let Ok(octets) = <[u8; 4]>::try_from(a.as_slice()) {
                out.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(octets)), 53));
            }
        }
        for aaaa in zone.rdata_at(&target, Rtype::AAAA) {
            if let Ok(octets) = <[u8; 16]>::try_from(aaaa.as_slice()) {
                out.push(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(octets)), 53));
            }
        }
    }
    out
}

/// Loads a secondary's persisted copy (dump plus journal) and timers.
fn restore_secondary(
    apex: &Name,
    files: &ZoneFiles,
    journal: &Journal,
    bounds: &TimerBounds,
    primaries: usize,
    now: SystemTime,
) -> (Option<Arc<Zone>>, Secondary) {
    let dump = match persist::read_zone(&files.zone) {
        Ok(dump) => Some(dump),
        Err(PersistError::File(e)) if e.source.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            tracing::error!(zone = %apex, error = %e, "persisted copy unusable; transferring afresh");
            None
        }
    };
    let Some(dump) = dump else {
        return (None, Secondary::new(primaries, *bounds, None, now));
    };
    let mut set = RecordSet::from_records(dump.records);
    let mut serial = dump.serial;
    // Changes received after the dump was written live in the journal.
    match journal.diffs_from(dump.serial) {
        Ok(Some(diffs)) => {
            for d in &diffs {
                if set.apply(&d.removed, &d.added).is_err() {
                    tracing::warn!(zone = %apex, "journal does not apply to the persisted copy; using the copy alone");
                    break;
                }
                serial = d.to;
            }
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(zone = %apex, error = %e, "journal unreadable; using the persisted copy alone")
        }
    }
    let zone = match Zone::build(apex, set.into_records(), BuildOptions::default()) {
        Ok(zone) => Arc::new(zone),
        Err(e) => {
            tracing::error!(zone = %apex, error = %e, "persisted copy does not build; transferring afresh");
            return (None, Secondary::new(primaries, *bounds, None, now));
        }
    };
    let timers = timers_of(&zone, bounds);
    let persisted = match persist::read_timers(&files.timers) {
        Ok(t) if t.serial == serial || t.serial == dump.serial => Persisted {
            serial: zone.serial(),
            next_refresh: from_unix(t.next_refresh),
            expires_at: from_unix(t.expires_at),
            last_transfer: t.last_transfer.map(from_unix),
        },
        // No timers (or stale ones): check now, and give the copy a full
        // expire interval from now, as BIND does for a zone loaded from disk.
        _ => Persisted {
            serial: zone.serial(),
            next_refresh: now,
            expires_at: now + timers.expire,
            last_transfer: None,
        },
    };
    tracing::info!(zone = %apex, serial = zone.serial().0, "serving the persisted copy");
    (
        Some(zone.clone()),
        Secondary::new(primaries, *bounds, Some((persisted, timers)), now),
    )
}

/// A copy of `zone` with another SOA serial.
fn with_serial(zone: &Zone, serial: Serial) -> Result<Zone, zone::ZoneError> {
    let records = zone
        .canonical_records()
        .map(|mut r| {
            if r.rtype == Rtype::SOA {
                wire::rdata::set_soa_serial(&mut r.rdata, serial.0);
            }
            r
        })
        .collect();
    Zone::build(zone.apex(), records, BuildOptions::default())
}

/// A one-message error reply to a transfer request.
fn refusal(ticket: &TransferTicket, rcode: Rcode) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut writer = Writer::new(&mut buf, 512);
    let _ = writer.question_raw(&ticket.question);
    writer.finish(ticket.id, flags::QR | rcode.header_bits() as u16);
    buf
}

async fn write_framed<W: AsyncWrite + Unpin>(
    writer: &mut W,
    message: &[u8],
    timeout: Duration,
) -> std::io::Result<()> {
    let mut framed = Vec::with_capacity(message.len() + 2);
    framed.extend_from_slice(&(message.len() as u16).to_be_bytes());
    framed.extend_from_slice(message);
    tokio::time::timeout(timeout, writer.write_all(&framed))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "peer stopped reading"))?
}

fn local_any(peer: SocketAddr) -> SocketAddr {
    match peer {
        SocketAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        SocketAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    }
}

/// Builds a query for `apex` (SOA, or a transfer), signed when `key` is set.
fn build_query(
    apex: &Name,
    qtype: Rtype,
    authority: Option<&Record>,
    key: Option<Arc<Key>>,
    id: u16,
) -> (Vec<u8>, Option<tsig::ResponseVerifier>) {
    let mut buf = Vec::with_capacity(512);
    let mut writer = Writer::new(&mut buf, 65535);
    let _ = writer.question(apex.as_wire(), qtype, Class::IN, true);
    if let Some(soa) = authority {
        writer.set_section(Section::Authority);
        let _ = writer.record(Owner::Question, Rtype::SOA, Class::IN, soa.ttl, &soa.rdata);
    }
    writer.finish(id, 0);
    let verifier = key.and_then(|key| {
        tsig::sign_request(&mut buf, key, unix(SystemTime::now()), tsig::DEFAULT_FUDGE).ok()
    });
    (buf, verifier)
}

/// Asks `primary` for the SOA serial of `apex`: UDP first, TCP when the
/// answer is truncated; three tries of two seconds.
async fn query_soa(
    apex: &Name,
    primary: SocketAddr,
    key: Option<Arc<Key>>,
) -> Result<Serial, Failure> {
    let mut last_error = String::from("no answer");
    for _ in 0..3 {
        let id = random_id();
        let (query, mut verifier) = build_query(apex, Rtype::SOA, None, key.clone(), id);
        let socket = UdpSocket::bind(local_any(primary))
            .await
            .map_err(|e| Failure::Unreachable(e.to_string()))?;
        if let Err(e) = socket.send_to(&query, primary).await {
            last_error = e.to_string();
            continue;
        }
        let mut buf = vec![0u8; 65535];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            let Ok(Ok((len, from))) =
                tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await
            else {
                last_error = format!("no answer from {primary}");
                break;
            };
            if from != primary || len < 12 || buf[..2] != id.to_be_bytes() {
                continue;
            }
            let reply = &buf[..len];
            if reply[2] & 0x02 != 0 {
                // Truncated: ask again over TCP.
                return query_soa_tcp(apex, primary, key).await;
            }
            if let Some(verifier) = verifier.as_mut() {
                verifier
                    .verify(reply, unix(SystemTime::now()))
                    .map_err(|e| Failure::Refused(format!("TSIG: {e}")))?;
            }
            return soa_from_reply(apex, reply);
        }
    }
    Err(Failure::Unreachable(last_error))
}

async fn query_soa_tcp(
    apex: &Name,
    primary: SocketAddr,
    key: Option<Arc<Key>>,
) -> Result<Serial, Failure> {
    let id = random_id();
    let (query, mut verifier) = build_query(apex, Rtype::SOA, None, key, id);
    let mut stream = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(primary))
        .await
        .map_err(|_| Failure::Unreachable(format!("cannot connect to {primary}")))?
        .map_err(|e| Failure::Unreachable(e.to_string()))?;
    write_framed(&mut stream, &query, Duration::from_secs(5))
        .await
        .map_err(|e| Failure::Unreachable(e.to_string()))?;
    let reply = read_framed(&mut stream, Duration::from_secs(5))
        .await
        .map_err(|e| Failure::Unreachable(e.to_string()))?;
    if reply.len() < 2 || reply[..2] != id.to_be_bytes() {
        return Err(Failure::Unreachable("answer with the wrong ID".into()));
    }
    if let Some(verifier) = verifier.as_mut() {
        verifier
            .verify(&reply, unix(SystemTime::now()))
            .map_err(|e| Failure::Refused(format!("TSIG: {e}")))?;
    }
    soa_from_reply(apex, &reply)
}

fn soa_from_reply(apex: &Name, reply: &[u8]) -> Result<Serial, Failure> {
    let message = Message::parse(reply)
        .map_err(|e| Failure::Unreachable(format!("malformed answer: {e}")))?;
    if message.rcode() != Rcode::NOERROR {
        return Err(Failure::Refused(format!(
            "SOA query answered {}",
            message.rcode()
        )));
    }
    if !message.header.flag(flags::AA) {
        return Err(Failure::Refused(
            "the primary is not authoritative for the zone".into(),
        ));
    }
    message
        .answer
        .iter()
        .find(|r| r.rtype == Rtype::SOA && r.owner == *apex)
        .and_then(|r| wire::rdata::soa_numbers(&r.rdata))
        .map(|n| Serial(n[0]))
        .ok_or_else(|| Failure::Refused("no SOA in the answer".into()))
}

async fn read_framed(stream: &mut TcpStream, timeout: Duration) -> std::io::Result<Vec<u8>> {
    let len = tokio::time::timeout(timeout, stream.read_u16())
        .await
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, "the primary went quiet")
        })??;
    let mut message = vec![0u8; len as usize];
    tokio::time::timeout(timeout, stream.read_exact(&mut message))
        .await
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::TimedOut, "the primary went quiet")
        })??;
    Ok(message)
}

/// Receives one transfer over TCP, checking IDs and TSIG on every message.
async fn receive_transfer(
    apex: &Name,
    primary: SocketAddr,
    key: Option<Arc<Key>>,
    request: Request,
    current: Option<&Zone>,
    idle: Duration,
) -> Result<Received, Failure> {
    let id = random_id();
    let (qtype, soa) = match request {
        Request::Axfr => (Rtype::AXFR, None),
        Request::Ixfr(_) => (Rtype::IXFR, current.map(|z| z.soa_record())),
    };
    let (query, mut verifier) = build_query(apex, qtype, soa.as_ref(), key, id);
    let unreachable = |e: std::io::Error| Failure::Unreachable(format!("{primary}: {e}"));
    let mut stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(primary))
        .await
        .map_err(|_| Failure::Unreachable(format!("cannot connect to {primary}")))?
        .map_err(unreachable)?;
    write_framed(&mut stream, &query, idle)
        .await
        .map_err(unreachable)?;
    let mut incoming = Incoming::new(apex, request);
    loop {
        let bytes = read_framed(&mut stream, idle).await.map_err(unreachable)?;
        if bytes.len() < 2 || bytes[..2] != id.to_be_bytes() {
            return Err(Failure::Invalid("a message with the wrong ID".into()));
        }
        if let Some(verifier) = verifier.as_mut() {
            verifier
                .verify(&bytes, unix(SystemTime::now()))
                .map_err(|e| Failure::Refused(format!("TSIG: {e}")))?;
        }
        let message = Message::parse(&bytes)
            .map_err(|e| failure_for(request, format!("malformed message: {e}")))?;
        match incoming.feed(&message) {
            Ok(Some(received)) => {
                if let Some(verifier) = verifier.as_ref() {
                    verifier
                        .finish()
                        .map_err(|e| Failure::Refused(format!("TSIG: {e}")))?;
                }
                if incoming.ignored > 0 {
                    tracing::warn!(zone = %apex, records = incoming.ignored, "transfer carried records outside the zone; ignored them");
                }
                return Ok(received);
            }
            Ok(None) => {}
            Err(TransferError::Refused(rcode)) => {
                return Err(Failure::Refused(format!("{primary} answered {rcode}")));
            }
            Err(e) => return Err(failure_for(request, e.to_string())),
        }
    }
}

/// A broken IXFR means "try AXFR"; a broken AXFR is just broken.
fn failure_for(request: Request, text: String) -> Failure {
    match request {
        Request::Ixfr(_) => Failure::IxfrUnusable(text),
        Request::Axfr => Failure::Invalid(text),
    }
}

/// Sends a NOTIFY until acknowledged or out of attempts.
async fn send_notify(
    apex: &Name,
    soa: &Record,
    target: SocketAddr,
    key: Option<Arc<Key>>,
    policy: notify::RetryPolicy,
) -> Result<(), String> {
    let socket = UdpSocket::bind(local_any(target))
        .await
        .map_err(|e| e.to_string())?;
    let mut last = String::from("no answer");
    for attempt in 0..policy.attempts {
        let id = random_id();
        let mut message = notify::message(id, apex, Some(soa));
        let mut verifier = match &key {
            Some(key) => Some(
                tsig::sign_request(
                    &mut message,
                    Arc::clone(key),
                    unix(SystemTime::now()),
                    tsig::DEFAULT_FUDGE,
                )
                .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        if let Err(e) = socket.send_to(&message, target).await {
            last = e.to_string();
        }
        let deadline = tokio::time::Instant::now() + policy.timeout(attempt);
        let mut buf = vec![0u8; 4096];
        while let Ok(Ok((len, from))) =
            tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await
        {
            if from != target {
                continue;
            }
            let reply = &buf[..len];
            if let Some(verifier) = verifier.as_mut()
                && let Err(e) = verifier.verify(reply, unix(SystemTime::now()))
            {
                last = format!("TSIG: {e}");
                continue;
            }
            match notify::check_ack(reply, id, apex) {
                Ok(()) => return Ok(()),
                Err(notify::AckError::Unrelated) => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_ns_targets_skip_the_mname_and_unknown_addresses() {
        let origin: Name = "example.".parse().unwrap();
        let text = "$ORIGIN example.\n$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\n@ NS ns2\n@ NS ns.elsewhere.\nns1 A 192.0.2.1\nns2 A 192.0.2.2\nns2 AAAA 2001:db8::2\n";
        let file = zonefile::parse_str(text, &origin, Path::new("t")).unwrap();
        let zone = Zone::build(
            &origin,
            file.records.into_iter().map(|r| r.record).collect(),
            BuildOptions::default(),
        )
        .unwrap();
        let mut targets = name_server_addresses(&zone);
        targets.sort();
        assert_eq!(
            targets,
            vec![
                "192.0.2.2:53".parse().unwrap(),
                "[2001:db8::2]:53".parse().unwrap()
            ]
        );
    }

    fn zone(apex: &Name, serial: u32, extra: &str) -> Zone {
        let text =
            format!("$TTL 60\n@ SOA ns h {serial} 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n{extra}");
        let file = zonefile::parse_str(&text, apex, Path::new("t.zone")).unwrap();
        Zone::build(
            apex,
            file.records.into_iter().map(|r| r.record).collect(),
            BuildOptions::default(),
        )
        .unwrap()
    }

    /// Regression: a primary zone file that changed while the node was
    /// down is journaled and published at start, before the tokio runtime
    /// exists. That used to panic in `tokio::spawn` and stop the node; now
    /// the NOTIFY waits for `start`.
    #[test]
    fn a_change_found_at_start_is_notified_once_the_driver_starts() {
        let dir = tempfile::tempdir().unwrap();
        let target = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let apex: Name = "example.".parse().unwrap();
        let setup = ZoneSetup {
            apex: apex.clone(),
            role: RoleSetup::Primary {
                serial_policy: SerialPolicy::Keep,
            },
            notify: vec![target.local_addr().unwrap()],
            notify_key: None,
            notify_ns: false,
        };
        let new_replicator = || {
            Replicator::new(
                Arc::new(ArcSwap::from_pointee(Served::default())),
                dir.path(),
                vec![setup.clone()],
                DriverSettings::default(),
            )
            .unwrap()
        };
        // The previous run served (and persisted) serial 1.
        new_replicator()
            .primary_loaded(&apex, zone(&apex, 1, ""))
            .unwrap();

        // This run finds serial 2 in the file; no runtime exists yet.
        let replicator = new_replicator();
        let outcome = replicator
            .primary_loaded(&apex, zone(&apex, 2, "www A 192.0.2.2\n"))
            .unwrap();
        assert!(
            matches!(outcome, PrimaryOutcome::Published(s) if s == Serial(2)),
            "{outcome:?}"
        );

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let notify = runtime.block_on(async {
            target.set_nonblocking(true).unwrap();
            let target = UdpSocket::from_std(target).unwrap();
            replicator.start();
            let mut buf = [0u8; 512];
            let (len, _) =
                tokio::time::timeout(Duration::from_secs(10), target.recv_from(&mut buf))
                    .await
                    .expect("no NOTIFY within 10 s of start")
                    .unwrap();
            Message::parse(&buf[..len]).unwrap()
        });
        assert_eq!(notify.header.opcode(), wire::Opcode::NOTIFY);
        assert_eq!(notify.question().unwrap().qname, apex);
        let soa = notify.answer.first().expect("SOA hint");
        assert_eq!(wire::rdata::soa_numbers(&soa.rdata).unwrap()[0], 2);
    }
}
