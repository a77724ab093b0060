//! The primary's write path at run time: every change to a zone kept in the
//! store, from the REST API, RFC 2136 UPDATE or the web UI, goes through
//! [`Manager`], one at a time.
//!
//! ```text
//!  API / UI / UPDATE ──► Manager (one writer at a time)
//!                          │ Store::apply ── SQLite commit (WAL, synchronous=FULL)
//!                          │ new snapshot = served snapshot + the committed difference
//!                          ▼ Replicator::primary_changed ── journal append, publish, NOTIFY
//!                        reply (2xx / NOERROR) only after all of the above
//! ```
//!
//! The store is the zone's durable copy: a change is acknowledged only once
//! committed there. The replicator's journal (which answers IXFR) follows
//! the store's; should the node die between the two, [`Manager::start`]
//! copies the missing differences from the store's journal at the next
//! start, so secondaries still get them by IXFR.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use answer::acl::MatchList;
use answer::update::{self, UpdateOp, UpdateTicket};
use answer::{QueryLimit, ZonePolicy};
use replicate::Diff;
use replicate::driver::{
    PrimaryOutcome, Replicator, RoleSetup, SerialPolicy as DriverPolicy, ZoneSetup,
};
use store::{
    Applied, AuditEvent, ChangeMeta, ChangeSet, NewZone, RecordInput, RrsetChange, RrsetOp, Source,
    Store, StoreError, WriteError,
};
use wire::tsig::Key;
use wire::{Name, Rcode, Record, Rtype, Serial};
use zone::{BuildOptions, Zone};

use crate::catalog::{self, CatalogSetup, Member};

mod catalog_zone;
mod dynamic_update;
mod publishing;
mod reconfigure;
mod secondaries;
mod serving;
pub(crate) mod settings;

pub use crate::rules::ZoneRules;

/// A zone the configuration serves from somewhere other than the store.
#[derive(Clone, Debug)]
pub enum Elsewhere {
    /// A primary zone read from this file.
    File(PathBuf),
    /// A secondary zone copied from these primaries.
    Secondary(Vec<SocketAddr>),
}

impl Elsewhere {
    /// Where the zone comes from, for messages: "from the zone file …" or
    /// "as a secondary".
    pub fn describe(&self) -> String {
        match self {
            Elsewhere::File(path) => format!("from the zone file {}", path.display()),
            Elsewhere::Secondary(_) => "as a secondary".to_string(),
        }
    }
}

/// Why a management call failed.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// The store refused the change (validation, unknown or existing zone);
    /// nothing was written.
    #[error(transparent)]
    Refused(#[from] WriteError),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The zone is served from a zone file or as a secondary, not from the
    /// store.
    #[error("zone {zone} is not kept in the store: {why}")]
    NotInStore {
        /// The zone.
        zone: Name,
        /// Where it comes from instead.
        why: String,
    },
    /// The configuration already serves this zone, which it keeps
    /// serving: a zone is created through the API only under a name the
    /// configuration leaves free.
    #[error("Domain '{zone}' already exists: the configuration serves it {why}")]
    Configured {
        /// The zone.
        zone: Name,
        /// How the configuration serves it.
        why: String,
    },
    /// A secondary zone's `master_tsig_key_ids` names a key neither the
    /// configuration nor the store has.
    #[error(
        "master_tsig_key_ids[0]: no TSIG key {0}: neither a [[key]] of the configuration nor one made through /tsigkeys"
    )]
    UnknownKey(Name),
    /// A blocking task died.
    #[error("internal error: {0}")]
    Internal(String),
}

/// One served state the manager publishes store zones to: the node's
/// only one without views, else one per `[[view]]`.
#[derive(Clone)]
pub struct ManagedLane {
    /// The view's name; `None` for the node without views.
    pub view: Option<String>,
    /// The replicator that publishes (and journals, and NOTIFYs) there.
    pub replicator: Arc<Replicator>,
}

/// The primary's writer: the store, each lane's replicator and the rules
/// of each store zone.
///
/// With views, every store zone is served in every view: the base data
/// with the view's own RRsets in place (see [`Store::apply_in_view`]),
/// each copy with its own serial and IXFR journal in that view's lane.
pub struct Manager {
    store: Arc<Store>,
    /// The lanes, in view order; never empty.
    lanes: Vec<ManagedLane>,
    /// Serialises writes so that snapshots and journal entries are published
    /// in commit order.
    writes: tokio::sync::Mutex<()>,
    /// What the configuration says of the store's zones; swapped whole
    /// by a reload ([`Manager::reconfigure`]).
    rules: arc_swap::ArcSwap<Rules>,
    /// The TSIG keys (configuration and store), published to every lane.
    keys: Arc<crate::keys::KeyManager>,
}

/// What the configuration says of the zones a manager keeps: their rules,
/// the zones it serves elsewhere, and the catalog zone to produce.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Rules of the store zones named by `[[zone]]`, by (view, zone): a
    /// `[[zone]]` without `view` gives the rules of every view.
    pub declared: HashMap<(Option<String>, Name), ZoneRules>,
    /// Rules of the other store zones (`[zone_defaults]`).
    pub defaults: ZoneRules,
    /// Zones the configuration serves from files or as secondaries.
    pub elsewhere: Arc<HashMap<Name, Elsewhere>>,
    /// The catalog zone this node produces, if any.
    pub catalog: Option<CatalogSetup>,
}

impl Rules {
    /// The same rules with every zone name lower-case, as they are looked up.
    fn normalized(self) -> Rules {
        Rules {
            declared: self
                .declared
                .into_iter()
                .map(|((view, name), rules)| ((view, name.to_lowercase()), rules))
                .collect(),
            defaults: self.defaults,
            elsewhere: Arc::new(
                self.elsewhere
                    .iter()
                    .map(|(name, e)| (name.to_lowercase(), e.clone()))
                    .collect(),
            ),
            catalog: self.catalog.map(|mut setup| {
                setup.apex = setup.apex.to_lowercase();
                setup
            }),
        }
    }

    /// The rules a store zone gets in view `view`: its `[[zone]]` for that
    /// view, else its `[[zone]]` without a view, else `[zone_defaults]`.
    pub fn rules_in(&self, zone: &Name, view: Option<&str>) -> &ZoneRules {
        let zone = zone.to_lowercase();
        view.and_then(|v| self.declared.get(&(Some(v.to_string()), zone.clone())))
            .or_else(|| self.declared.get(&(None, zone)))
            .unwrap_or(&self.defaults)
    }
}

impl Manager {
    /// A manager over `store` publishing to `lanes` (one without a view,
    /// or one per view in match order); call [`Manager::start`] before
    /// serving.
    pub fn new(
        store: Arc<Store>,
        lanes: Vec<ManagedLane>,
        rules: Rules,
        keys: Arc<crate::keys::KeyManager>,
    ) -> Arc<Manager> {
        assert!(!lanes.is_empty(), "a manager needs a lane to publish to");
        Arc::new(Manager {
            store,
            lanes,
            writes: tokio::sync::Mutex::new(()),
            rules: arc_swap::ArcSwap::from_pointee(rules.normalized()),
            keys,
        })
    }

    /// The configuration's rules as they are now.
    pub fn configured_rules(&self) -> Arc<Rules> {
        self.rules.load_full()
    }

    /// The apex of the catalog zone this node produces (RFC 9432), if any.
    pub fn catalog_apex(&self) -> Option<Name> {
        self.rules.load().catalog.as_ref().map(|c| c.apex.clone())
    }

    /// The TSIG keys.
    pub fn keys(&self) -> &Arc<crate::keys::KeyManager> {
        &self.keys
    }

    /// The store, for reads.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The first lane's replicator (the only one without views), for
    /// status and control of store zones.
    pub fn replicator(&self) -> &Arc<Replicator> {
        &self.lanes[0].replicator
    }

    /// The lanes, in view order.
    pub fn lanes(&self) -> &[ManagedLane] {
        &self.lanes
    }

    /// The replicator serving `zone` in view `view` (that view's lane);
    /// without a view, the lane serving it: for a zone from a file or a
    /// secondary in a view, that view's; for a store zone, the first.
    pub fn replicator_in(&self, zone: &Name, view: Option<&str>) -> &Arc<Replicator> {
        match view.and_then(|v| self.lane(Some(v))) {
            Some(lane) => &lane.replicator,
            None => self
                .lanes
                .iter()
                .find(|lane| lane.replicator.status(zone).is_some())
                .map_or(&self.lanes[0].replicator, |lane| &lane.replicator),
        }
    }

    /// The configured views, in match order; empty without views.
    pub fn views(&self) -> Vec<&str> {
        self.lanes
            .iter()
            .filter_map(|lane| lane.view.as_deref())
            .collect()
    }

    /// The lane of view `view` (`None`: the first lane, which is the only
    /// one without views); `None` for a view the configuration does not
    /// define.
    pub fn lane(&self, view: Option<&str>) -> Option<&ManagedLane> {
        match view {
            None => self.lanes.first(),
            Some(name) => self
                .lanes
                .iter()
                .find(|lane| lane.view.as_deref() == Some(name)),
        }
    }

    /// Zones the configuration serves from files or as secondaries.
    pub fn elsewhere(&self) -> Arc<HashMap<Name, Elsewhere>> {
        Arc::clone(&self.rules.load().elsewhere)
    }

    /// The rules a store zone gets (in the first view).
    pub fn rules(&self, zone: &Name) -> ZoneRules {
        self.rules_in(zone, self.lanes[0].view.as_deref())
    }

    /// The rules a store zone gets in view `view`: its `[[zone]]` for that
    /// view, else its `[[zone]]` without a view, else `[zone_defaults]`.
    pub fn rules_in(&self, zone: &Name, view: Option<&str>) -> ZoneRules {
        self.rules.load().rules_in(zone, view).clone()
    }

    /// Serves every zone of the store in every lane (at start, before the
    /// replicators start), after recording the configured views in the
    /// store. A zone the configuration also serves from a file or as a
    /// secondary is an error; every problem is reported.
    pub fn start(&self) -> Result<usize, String> {
        let views = self.views();
        if !views.is_empty() {
            self.store
                .sync_views(&views, node::clock::unix_now())
                .map_err(|e| e.to_string())?;
        }
        let zones = self.store.zones().map_err(|e| e.to_string())?;
        let rules = self.configured_rules();
        let mut failures = Vec::new();
        for info in &zones {
            if info.kind == store::ZoneKind::Slave {
                self.start_secondary(info);
                continue;
            }
            if let Some(other) = rules.elsewhere.get(&info.name) {
                failures.push(format!(
                    "zone {} is in the store and also configured {}; remove one",
                    info.name,
                    other.describe()
                ));
                continue;
            }
            if info.soa_disabled {
                tracing::info!(zone = %info.name, "store zone not served: its SOA record is disabled");
                continue;
            }
            if let Err(e) = self.serve_everywhere(&info.name) {
                failures.push(e);
            }
        }
        let declared: std::collections::BTreeSet<&Name> =
            rules.declared.keys().map(|(_, name)| name).collect();
        for name in declared {
            if !zones.iter().any(|z| &z.name == name) {
                tracing::warn!(zone = %name, "zone is configured to live in the store but is not there yet; create it through the API or with `hadns import`");
            }
        }
        if let Err(e) = self.start_catalog(&zones) {
            failures.push(e);
        }
        match self.store.views() {
            Ok(known) => {
                for stale in known.iter().filter(|v| !views.contains(&v.as_str())) {
                    tracing::warn!(view = %stale, "the store keeps data of a view the configuration no longer has; base changes still reach it (checked there too), so it is current should the view come back");
                }
            }
            Err(e) => failures.push(e.to_string()),
        }
        if failures.is_empty() {
            Ok(zones.len())
        } else {
            Err(failures.join("\n"))
        }
    }

    /// Where the configuration serves `zone`, if it does (a `[[zone]]`
    /// with a file, as a secondary, or kept in the store as a primary, or
    /// the catalog zone), for messages.
    fn configured(&self, zone: &Name) -> Option<String> {
        let zone = zone.to_lowercase();
        let rules = self.rules.load();
        if let Some(other) = rules.elsewhere.get(&zone) {
            return Some(format!("in [[zone]] {}", other.describe()));
        }
        if rules.declared.keys().any(|(_, name)| *name == zone) {
            return Some("in [[zone]] as a primary zone kept in the store".to_string());
        }
        if rules.catalog.as_ref().is_some_and(|c| c.apex == zone) {
            return Some("as the catalog zone ([catalog] produce)".to_string());
        }
        None
    }

    /// The catalog this node consumes that already serves `zone` as a
    /// member, if any, for messages: a zone made here under that name
    /// would take the member's place in the lanes.
    fn catalog_member(&self, zone: &Name) -> Option<String> {
        self.lanes.iter().find_map(|lane| {
            let status = lane.replicator.status(&zone.to_lowercase())?;
            status
                .catalog
                .map(|catalog| format!("as a member of the catalog {catalog} it consumes"))
        })
    }

    /// Refuses a write to a zone that is not in the store.
    fn check_writable(&self, zone: &Name) -> Result<(), ManageError> {
        let rules = self.rules.load();
        if let Some(catalog) = &rules.catalog
            && catalog.apex == zone.to_lowercase()
        {
            return Err(ManageError::NotInStore {
                zone: zone.clone(),
                why: "it is the catalog zone this node produces from its zone list ([catalog] produce)"
                    .to_string(),
            });
        }
        match rules.elsewhere.get(&zone.to_lowercase()) {
            Some(other) => Err(ManageError::NotInStore {
                zone: zone.clone(),
                why: format!("it is configured {}", other.describe()),
            }),
            None => Ok(()),
        }
    }

    /// Applies a change set to view `view`'s copy of a store zone (its own
    /// RRsets, see [`Store::apply_in_view`]) and publishes it in that
    /// view's lane only; `None` changes the base data and publishes the
    /// result in every lane (each view that does not override what changed
    /// gets it).
    pub async fn apply_in(
        self: &Arc<Self>,
        zone: &Name,
        view: Option<&str>,
        changes: ChangeSet,
        meta: ChangeMeta,
    ) -> Result<Applied, ManageError> {
        let Some(view) = view else {
            return self
                .write_and_publish(zone, None, move |store, zone| {
                    store.apply(zone, &changes, &meta)
                })
                .await;
        };
        if self.lane(Some(view)).is_none() {
            return Err(WriteError::NoSuchView(view.to_string()).into());
        }
        let name = view.to_string();
        self.write_and_publish(zone, Some(name.clone()), move |store, zone| {
            store.apply_in_view(zone, &name, &changes, &meta)
        })
        .await
    }

    /// Makes view `view` serve the base's (name, type) RRset again: its own
    /// set there (or its hiding of the base's) is dropped. The base's set
    /// is read under the write lock, so no base change can slip between
    /// the read and the view's write.
    pub async fn follow_base(
        self: &Arc<Self>,
        zone: &Name,
        view: &str,
        owner: Name,
        rtype: Rtype,
        meta: ChangeMeta,
    ) -> Result<Applied, ManageError> {
        if self.lane(Some(view)).is_none() {
            return Err(WriteError::NoSuchView(view.to_string()).into());
        }
        let name = view.to_string();
        self.write_and_publish(zone, Some(name.clone()), move |store, zone| {
            let base = store
                .rrsets(zone)?
                .into_iter()
                .find(|set| set.name == owner && set.rtype == rtype && !set.records.is_empty());
            let op = match base {
                Some(set) => RrsetOp::Replace {
                    ttl: set.ttl,
                    records: set
                        .records
                        .into_iter()
                        .map(|r| RecordInput {
                            rdata: r.rdata,
                            content: Some(r.content),
                            disabled: r.disabled,
                        })
                        .collect(),
                },
                None => RrsetOp::Delete,
            };
            let change = RrsetChange {
                name: owner,
                rtype,
                op,
                comments: None,
            };
            store.apply_in_view(
                zone,
                &name,
                &ChangeSet {
                    changes: vec![change],
                },
                &meta,
            )
        })
        .await
    }

    /// Reverts a store zone's base data to what it was at serial `to`, as
    /// a new change.
    pub async fn revert(
        self: &Arc<Self>,
        zone: &Name,
        to: Serial,
        meta: ChangeMeta,
    ) -> Result<Applied, ManageError> {
        self.write_and_publish(zone, None, move |store, zone| store.revert(zone, to, &meta))
            .await
    }

    /// Changes a store zone's settings and, with `changes`, replaces its
    /// base data, as one store transaction ([`Store::update_zone`]: both
    /// or neither) under the write lock, then publishes what the content
    /// change committed in every lane. `None` when no content was given.
    pub async fn update_zone(
        self: &Arc<Self>,
        zone: &Name,
        settings: store::SettingsChange,
        changes: Option<ChangeSet>,
        meta: ChangeMeta,
    ) -> Result<Option<Applied>, ManageError> {
        self.check_writable(zone)?;
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        let zone = zone.clone();
        blocking(move || {
            let applied = this
                .store
                .update_zone(&zone, &settings, changes.as_ref(), &meta)?;
            if let Some(applied) = &applied {
                this.publish_committed(None, applied);
            }
            Ok(applied)
        })
        .await
    }

    /// Runs one store write on a blocking thread under the write lock and
    /// publishes what it committed: in view `view`'s lane for a change to
    /// that view's copy, else in every lane.
    async fn write_and_publish(
        self: &Arc<Self>,
        zone: &Name,
        view: Option<String>,
        write: impl FnOnce(&Store, &Name) -> Result<Applied, WriteError> + Send + 'static,
    ) -> Result<Applied, ManageError> {
        self.check_writable(zone)?;
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        let zone = zone.clone();
        blocking(move || {
            let started = std::time::Instant::now();
            let applied = write(&this.store, &zone)?;
            this.publish_committed(view.as_deref(), &applied);
            crate::metrics::write_latency().observe(started.elapsed().as_secs_f64());
            Ok(applied)
        })
        .await
    }

    /// Creates a store zone and serves it (in every view).
    pub async fn create_zone(
        self: &Arc<Self>,
        new: NewZone,
        meta: ChangeMeta,
    ) -> Result<Applied, ManageError> {
        self.check_writable(&new.name)?;
        if let Some(why) = self.catalog_member(&new.name) {
            return Err(ManageError::Configured {
                zone: new.name.to_lowercase(),
                why,
            });
        }
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        blocking(move || {
            let apex = new.name.to_lowercase();
            let applied = this.store.create_zone(new, &meta)?;
            // A zone created with its SOA disabled is kept, not served.
            if this.store.soa_disabled(&apex)? == Some(true) {
                tracing::info!(zone = %apex, "zone created with its SOA record disabled: kept in the store, not served");
                return Ok(applied);
            }
            if let Err(e) = this.serve_everywhere(&apex) {
                // Refused after all: take it out of the store again, so
                // the store is as it was before the request.
                for lane in &this.lanes {
                    lane.replicator.forget_zone(&apex);
                }
                let undone = this.store.delete_zone(&apex);
                tracing::error!(zone = %apex, undone = undone.is_ok(), "zone created in the store but not served: {e}");
                return Err(ManageError::Internal(format!(
                    "zone {apex} cannot be served, so it was not created: {e}"
                )));
            }
            this.refresh_catalog();
            Ok(applied)
        })
        .await
    }

    /// Replaces a store zone's base data with `records` (creating the zone
    /// if it is new) as one change, and serves the result: the web UI's
    /// import.
    pub async fn import(
        self: &Arc<Self>,
        zone: &Name,
        records: Vec<wire::Record>,
        meta: ChangeMeta,
    ) -> Result<Applied, ManageError> {
        self.check_writable(zone)?;
        if let Some(why) = self.catalog_member(zone) {
            return Err(ManageError::Configured {
                zone: zone.to_lowercase(),
                why,
            });
        }
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        let apex = zone.to_lowercase();
        blocking(move || {
            let existed = this.store.zone(&apex)?.is_some();
            let applied = this
                .store
                .import(&apex, records, store::ZoneKind::Master, &meta)?;
            if existed {
                this.publish_committed(None, &applied);
            } else if let Err(e) = this.serve_everywhere(&apex) {
                tracing::error!(zone = %apex, "zone imported into the store but not served: {e}");
                return Err(ManageError::Internal(format!(
                    "zone {apex} was imported but cannot be served: {e}"
                )));
            } else {
                this.refresh_catalog();
            }
            Ok(applied)
        })
        .await
    }

    /// Deletes a store zone and stops serving it (in every view).
    pub async fn delete_zone(self: &Arc<Self>, zone: &Name) -> Result<(), ManageError> {
        self.check_writable(zone)?;
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        let zone = zone.to_lowercase();
        blocking(move || {
            this.store.delete_zone(&zone)?;
            for lane in &this.lanes {
                lane.replicator.forget_zone(&zone);
                lane.replicator.update_served(|served| {
                    served.policies.remove(&zone);
                });
            }
            this.refresh_catalog();
            Ok(())
        })
        .await
    }

    /// Re-reads a store zone changed by another process (`hadns import`
    /// while the node runs): serves it if new, publishes the changes since
    /// the served serial in each lane, or stops serving it if it is gone.
    pub async fn sync_zone(self: &Arc<Self>, zone: &Name) -> Result<String, ManageError> {
        self.check_writable(zone)?;
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        let zone = zone.to_lowercase();
        blocking(move || {
            let info = this.store.zone(&zone)?;
            if let Some(info) = &info
                && info.kind == store::ZoneKind::Slave
            {
                return Ok(format!(
                    "zone {zone} is a secondary zone: nothing to sync, its copy comes from its primaries"
                ));
            }
            let Some(info) = info else {
                if this.replicator().current(&zone).is_some() {
                    for lane in &this.lanes {
                        lane.replicator.forget_zone(&zone);
                    }
                    this.refresh_catalog();
                    return Ok(format!("zone {zone} is no longer in the store; not served"));
                }
                return Err(WriteError::NoSuchZone(zone.clone()).into());
            };
            if info.soa_disabled {
                for lane in &this.lanes {
                    lane.replicator.remove_zone(&zone);
                }
                this.refresh_catalog();
                return Ok(format!(
                    "zone {zone} has its SOA record disabled; kept in the store, not served"
                ));
            }
            let Some(current) = this.replicator().current(&zone) else {
                this.serve_everywhere(&zone)
                    .map_err(ManageError::Internal)?;
                this.refresh_catalog();
                return Ok(format!("zone {zone} served at serial {}", info.serial));
            };
            drop(current);
            let mut moves = Vec::new();
            for lane in &this.lanes {
                let before = lane.replicator.current(&zone).map(|z| z.serial());
                this.catch_up(lane, &zone);
                let after = lane.replicator.current(&zone).map(|z| z.serial());
                let copy = match &lane.view {
                    Some(view) => format!("view {view}"),
                    None => format!("zone {zone}"),
                };
                moves.push(match (before, after) {
                    (Some(before), Some(after)) if before != after => {
                        format!("{copy} moved from serial {before} to {after}")
                    }
                    (_, Some(after)) => format!("{copy} unchanged at serial {after}"),
                    _ => format!("{copy} not served"),
                });
            }
            Ok(if this.lanes.len() == 1 {
                moves.concat()
            } else {
                format!("zone {zone}: {}", moves.join("; "))
            })
        })
        .await
    }
}

/// " in view V" for messages, or nothing.
fn in_view(view: Option<&str>) -> String {
    view.map(|v| format!(" in view {v}")).unwrap_or_default()
}

/// How many of the store's newest changes refill a lane's IXFR journal that
/// lost its entries.
const REFILL_ENTRIES: usize = 1000;

/// The replication setup of a store zone.
fn setup_for(apex: &Name, rules: &ZoneRules) -> ZoneSetup {
    ZoneSetup {
        apex: apex.to_lowercase(),
        // The store moves the serial itself; the replicator never needs to.
        role: RoleSetup::Primary {
            serial_policy: DriverPolicy::Keep,
        },
        notify: rules.notify.clone(),
        notify_key: rules.notify_key.clone(),
        notify_ns: rules.notify_ns,
        catalog: None,
    }
}

/// The zone policy for a store zone.
pub fn store_zone_policy(allow_transfer: MatchList, allow_update: MatchList) -> ZonePolicy {
    ZonePolicy {
        allow_transfer,
        allow_notify: None,
        allow_update: Some(allow_update),
    }
}

/// The audit event of the [`Manager::audited`] call a task is inside:
/// taken by the first [`blocking`] store work, which writes it with its
/// store write.
type AuditSlot = Arc<std::sync::Mutex<Option<AuditEvent>>>;

tokio::task_local! {
    /// The store and the event slot of the enclosing [`Manager::audited`].
    static AUDIT: (Arc<Store>, AuditSlot);
}

/// Takes the event out of a slot (a poisoned lock still holds a usable
/// `Option`).
fn take_event(slot: &AuditSlot) -> Option<AuditEvent> {
    slot.lock().unwrap_or_else(|e| e.into_inner()).take()
}

impl Manager {
    /// Awaits `call` — one of this manager's write methods — with `event`
    /// attached: the store write it makes commits the event in the same
    /// transaction ([`Store::audited`]); a call refused before or by the
    /// store records it with outcome `failure` and the reason. The event is
    /// carried to the store thread by a task-local, so the methods' own
    /// signatures stay as they are.
    pub async fn audited<T, E: std::fmt::Display + From<ManageError>>(
        &self,
        event: AuditEvent,
        call: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let slot: AuditSlot = Arc::new(std::sync::Mutex::new(Some(event)));
        let result = AUDIT
            .scope((Arc::clone(&self.store), Arc::clone(&slot)), call)
            .await;
        // Still in the slot: the call never reached the store (refused by
        // the manager's own checks), so the event is written here.
        if let Some(event) = take_event(&slot) {
            let store = Arc::clone(&self.store);
            let event = match &result {
                Ok(_) => event,
                Err(error) => event.failed(error),
            };
            let written = tokio::task::spawn_blocking(move || store.audit(&event)).await;
            match (written, &result) {
                (Ok(Ok(())), _) => {}
                // The call's own error is the one to report.
                (_, Err(_)) => {}
                (Ok(Err(e)), Ok(_)) => return Err(ManageError::from(e).into()),
                (Err(e), Ok(_)) => {
                    return Err(ManageError::Internal(format!(
                        "writing the audit event failed: {e}"
                    ))
                    .into());
                }
            }
        }
        result
    }
}

/// The event of the enclosing [`Manager::audited`], with its store, if no
/// store work has taken it yet: for a write that runs its own blocking
/// task ([`Manager::save_settings`]).
pub(super) fn take_audit() -> Option<(Arc<Store>, AuditEvent)> {
    AUDIT
        .try_with(|(store, slot)| take_event(slot).map(|event| (Arc::clone(store), event)))
        .ok()
        .flatten()
}

/// Runs store work on a blocking thread; inside [`Manager::audited`], the
/// first such work carries its event ([`Store::audited`]).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ManageError> + Send + 'static,
) -> Result<T, ManageError> {
    let audit = AUDIT
        .try_with(|(store, slot)| take_event(slot).map(|event| (Arc::clone(store), event)))
        .ok()
        .flatten();
    tokio::task::spawn_blocking(move || match audit {
        Some((store, event)) => store.audited(event, work),
        None => work(),
    })
    .await
    .map_err(|e| ManageError::Internal(format!("a store task failed: {e}")))?
}
