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
//!
//! Here: the configuration types, the [`Replicator`] and each zone's state,
//! and starting up. Each path has a file of its own, all `impl Replicator`
//! blocks over the state defined here (they use this module; it uses none
//! of them):
//!
//! | file | concern |
//! |---|---|
//! | `zones.rs` | adding, forgetting, removing zones; opening journals and copies; status |
//! | `publish.rs` | publishing snapshots; a primary's new version → journal, dump |
//! | `refresh.rs` | a secondary's task: SOA checks, transfers in, apply, expiry |
//! | `transfer_out.rs` | outgoing AXFR/IXFR streams |
//! | `notify_out.rs` | NOTIFY to targets and name servers, with retries |
//! | `io.rs` | framing, deadlines and query building shared by the above |

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use answer::{Replication, Served};
use arc_swap::ArcSwap;
use wire::tsig::Key;
use wire::{Name, Serial};
use zone::Zone;

use crate::journal::{Journal, JournalLimits};
use crate::notify;
use crate::persist::ZoneFiles;
use crate::secondary::{QueryPacer, SOA_QUERIES_PER_SECOND, Secondary, TimerBounds, Timers};

mod compaction;
mod io;
mod notify_out;
mod publish;
mod refresh;
mod transfer_out;
mod zones;

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
    pub notify: Vec<NotifyTarget>,
    /// Key that signs our NOTIFYs to targets without a key of their own
    /// (and to the zone's name servers).
    pub notify_key: Option<Arc<Key>>,
    /// Also NOTIFY the zone's own name servers (RFC 1996 §3.6), found
    /// through their addresses in the zone, except the SOA MNAME.
    pub notify_ns: bool,
    /// The catalog zone whose member this zone is (RFC 9432), if it was
    /// provisioned from one rather than configured.
    pub catalog: Option<Name>,
}

/// One NOTIFY target (BIND's `also-notify { ADDR key NAME; }`).
#[derive(Clone, Debug)]
pub struct NotifyTarget {
    /// Where the NOTIFY goes.
    pub address: SocketAddr,
    /// The key that signs NOTIFYs to this target; `None` means the zone's
    /// `notify_key` (or none).
    pub key: Option<Arc<Key>>,
}

impl NotifyTarget {
    /// A target that takes the zone's `notify_key`.
    pub fn new(address: SocketAddr) -> NotifyTarget {
        NotifyTarget { address, key: None }
    }
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
    /// Outgoing transfers at once to one client address; more from it
    /// are refused, so one secondary (or anyone `allow_transfer` admits)
    /// cannot take every transfer slot.
    pub max_transfers_out_per_client: usize,
    /// Bounds on what an incoming transfer may carry.
    pub transfer_in: TransferInLimits,
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
            max_transfers_out_per_client: 4,
            transfer_in: TransferInLimits::default(),
            transfer_idle_timeout: Duration::from_secs(30),
            transfer_timeout: Duration::from_secs(3600),
            notify_retry: notify::RetryPolicy::default(),
            dump_every: 64,
            after_load: None,
        }
    }
}

/// Bounds on one incoming transfer: a primary that is broken or hostile
/// (streaming records forever within the transfer timeout) is cut off
/// there, and the secondary keeps the copy it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferInLimits {
    /// Most resource records (SOAs included) one transfer may carry.
    pub max_records: u64,
    /// Most octets of DNS messages one transfer may carry.
    pub max_bytes: u64,
}

impl Default for TransferInLimits {
    fn default() -> TransferInLimits {
        TransferInLimits {
            max_records: 10_000_000,
            max_bytes: 1 << 30,
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
#[derive(Debug, PartialEq, Eq)]
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
    /// The serial of the last NOTIFY acknowledged: older than `serial`
    /// when the newest one is still being sent or was not acknowledged.
    pub acknowledged_serial: Option<Serial>,
    /// Why the last one failed, if it did.
    pub error: Option<String>,
    /// The last one went unanswered for its whole retry window: it is
    /// sent again once the target is heard from (it acknowledges a NOTIFY
    /// for another zone).
    pub unanswered: bool,
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
    /// A secondary's primaries, in order of preference.
    pub primaries: Vec<SocketAddr>,
    /// The catalog zone this zone is a member of, if it came from one.
    pub catalog: Option<Name>,
    /// When the served version last changed in this process (loaded,
    /// reloaded, written, transferred): `None` before it is first served.
    pub changed: Option<SystemTime>,
}

enum Role {
    Primary,
    Secondary { machine: Box<Mutex<Secondary>> },
}

/// What a reconfiguration may change of a running zone without stopping
/// it: swapped whole ([`Replicator::reconfigure_zone`]), read afresh at
/// each use.
#[derive(Debug)]
struct Links {
    notify: Vec<NotifyTarget>,
    notify_key: Option<Arc<Key>>,
    notify_ns: bool,
    /// A primary's serial policy (`Keep` for a secondary).
    serial_policy: SerialPolicy,
    /// A secondary's primaries (empty for a primary); never empty for a
    /// secondary (the configuration requires one).
    primaries: Vec<SocketAddr>,
    /// A secondary's key for SOA queries and transfers.
    key: Option<Arc<Key>>,
}

impl Links {
    fn of(setup: &ZoneSetup) -> Links {
        let (serial_policy, primaries, key) = match &setup.role {
            RoleSetup::Primary { serial_policy } => (*serial_policy, Vec::new(), None),
            RoleSetup::Secondary { primaries, key } => {
                (SerialPolicy::Keep, primaries.clone(), key.clone())
            }
        };
        Links {
            notify: setup.notify.clone(),
            notify_key: setup.notify_key.clone(),
            notify_ns: setup.notify_ns,
            serial_policy,
            primaries,
            key,
        }
    }

    /// Whether the two would replicate alike (keys compared by name,
    /// algorithm and secret).
    fn same_as(&self, other: &Links) -> bool {
        self.notify.len() == other.notify.len()
            && self
                .notify
                .iter()
                .zip(&other.notify)
                .all(|(a, b)| a.address == b.address && same_key(&a.key, &b.key))
            && same_key(&self.notify_key, &other.notify_key)
            && self.notify_ns == other.notify_ns
            && self.serial_policy == other.serial_policy
            && self.primaries == other.primaries
            && same_key(&self.key, &other.key)
    }
}

struct ZoneState {
    apex: Name,
    role: Role,
    links: Mutex<Arc<Links>>,
    catalog: Option<Name>,
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
    /// The zone was forgotten (removed with its files): a transfer that
    /// was under way when it was deletes what it wrote on its way out.
    forgotten: AtomicBool,
    /// The primary of the last SOA check or transfer, written into the
    /// timers file again by the final save at stop.
    last_primary: Mutex<Option<SocketAddr>>,
    /// Held while a new version of a primary zone is published, so that a
    /// background compaction never replaces a newer version with its own.
    version_lock: Mutex<()>,
    /// A background compaction of this zone is under way.
    compacting: AtomicBool,
    /// A background dump of this zone is under way.
    dumping: AtomicBool,
}

/// Runs replication for every configured zone.
pub struct Replicator {
    served: Arc<ArcSwap<Served>>,
    zones: std::sync::RwLock<HashMap<Name, Arc<ZoneState>>>,
    data_dir: PathBuf,
    settings: DriverSettings,
    publish_lock: Mutex<()>,
    transfers_out: Arc<tokio::sync::Semaphore>,
    /// Outgoing transfers running now per client address.
    transfers_out_by_client: Arc<Mutex<HashMap<std::net::IpAddr, usize>>>,
    /// [`Replicator::start`] has run: NOTIFYs can be sent.
    started: AtomicBool,
    /// Paces this lane's SOA queries to [`SOA_QUERIES_PER_SECOND`].
    soa_pacer: Mutex<QueryPacer<std::time::Instant>>,
    /// Zones someone watches ([`Replicator::watch`]): each new copy is
    /// sent to the watcher (a catalog's consumer task).
    watchers: Mutex<HashMap<Name, tokio::sync::watch::Sender<Option<Arc<Zone>>>>>,
    /// When each zone's served serial last changed ([`ZoneStatus::changed`]).
    changed: Mutex<HashMap<Name, SystemTime>>,
    /// [`Replicator::stop`] has run: zone tasks start no new SOA check or
    /// transfer and end at their next step.
    stopping: AtomicBool,
    /// Transfers in under way (received, applied, persisted); a stop waits
    /// for them to reach zero.
    transfers_in: tokio::sync::watch::Sender<usize>,
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
            transfers_out_by_client: Arc::default(),
            settings,
            publish_lock: Mutex::new(()),
            started: AtomicBool::new(false),
            soa_pacer: Mutex::new(QueryPacer::new(SOA_QUERIES_PER_SECOND)),
            watchers: Mutex::new(HashMap::new()),
            changed: Mutex::new(HashMap::new()),
            stopping: AtomicBool::new(false),
            transfers_in: tokio::sync::watch::Sender::new(0),
        });
        for setup in setups {
            replicator.open_zone(setup)?;
        }
        Ok(replicator)
    }

    /// Every zone's state, taken out of the map so no lock is held while
    /// they are worked on.
    fn zone_states(&self) -> Vec<Arc<ZoneState>> {
        self.zones
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Starts a task per secondary zone, its first SOA check at a random
    /// time within [`catch_up_spread`] of now (whether its persisted
    /// refresh time is later, already past, or there is no copy), and sends the NOTIFYs held back since
    /// [`Replicator::new`]. Call within a tokio runtime, once the
    /// listeners are bound (the NOTIFYs prompt transfers from us).
    pub fn start(self: &Arc<Self>) {
        self.started.store(true, Ordering::SeqCst);
        let zones = self.zone_states();
        let secondaries = zones
            .iter()
            .filter(|z| matches!(z.role, Role::Secondary { .. }))
            .count();
        let spread = catch_up_spread(secondaries);
        let now = SystemTime::now();
        for zone in &zones {
            if let Some(mut machine) = zone.machine() {
                // Catch up at start: the copy may have missed changes while
                // the node was down, and a NOTIFY sent then is long given up.
                // Overdue zones are spread too, or after a long outage every
                // zone would query its primary in the first instant.
                machine.first_check_at(now + spread.mul_f64(random_fraction()));
                drop(machine);
                tokio::spawn(Arc::clone(self).run_secondary(Arc::clone(zone)));
            }
            if zone.notify_pending.swap(false, Ordering::SeqCst) {
                self.send_notifies(zone);
            }
        }
    }
}

/// Over how long the first SOA checks of `zones` secondary zones are
/// spread at start: the time [`SOA_QUERIES_PER_SECOND`] needs for them
/// (20 ms a zone), at least 100 ms. Each zone's first check is drawn
/// uniformly from that window, and the lane's pacer then holds the SOA
/// queries to the rate whatever the draw (BIND paces its refresh queries
/// with `serial-query-rate` instead of spreading them).
pub fn catch_up_spread(zones: usize) -> Duration {
    let per_zone = Duration::from_secs(1) / SOA_QUERIES_PER_SECOND;
    per_zone
        .saturating_mul(u32::try_from(zones).unwrap_or(u32::MAX))
        .max(Duration::from_millis(100))
}

/// A number in [0, 1) that differs from call to call (jitter, not secrecy).
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

impl ZoneState {
    /// Aborts every NOTIFY retransmission of the zone (it is removed).
    fn abort_notifies(&self) {
        for (_, handle) in lock(&self.notify_in_flight).drain() {
            handle.abort();
        }
    }

    fn machine(&self) -> Option<MutexGuard<'_, Secondary>> {
        match &self.role {
            Role::Secondary { machine } => Some(lock(machine)),
            Role::Primary => None,
        }
    }

    /// Its current targets, keys and primaries.
    fn links(&self) -> Arc<Links> {
        Arc::clone(&lock(&self.links))
    }
}

impl Replication for Replicator {
    fn notify_received(&self, apex: &Name, from: SocketAddr, serial: Option<Serial>) {
        let Some(state) = self.zone_state(apex) else {
            return;
        };
        if let Some(mut machine) = state.machine() {
            crate::metrics::notify(crate::metrics::Direction::In, crate::metrics::Outcome::Ok);
            tracing::info!(zone = %apex, %from, serial = serial.map(|s| s.0), "NOTIFY received");
            let now = SystemTime::now();
            if let Some(serial) = serial {
                machine.announced(now, serial);
            }
            machine.notify(now);
            drop(machine);
            state.wake.notify_one();
        }
    }
}

#[cfg(test)]
mod tests;

/// What [`Replicator::reconfigure_zone`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconfigured {
    /// The zone was not replicated here; it is now.
    Added,
    /// Its role changed: stopped and started again from its files.
    Replaced,
    /// Targets, keys, serial policy or primaries swapped in place.
    Updated,
    /// Nothing differed.
    Unchanged,
}

/// Whether two optional keys are the same key ([`Key::same_as`]).
pub(super) fn same_key(a: &Option<Arc<Key>>, b: &Option<Arc<Key>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.same_as(b),
        _ => false,
    }
}
