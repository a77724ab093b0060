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

use answer::ZonePolicy;
use answer::acl::MatchList;
use answer::update::{self, UpdateOp, UpdateTicket};
use replicate::Diff;
use replicate::diff::RecordSet;
use replicate::driver::{Replicator, RoleSetup, SerialPolicy as DriverPolicy, ZoneSetup};
use store::{
    Applied, ChangeMeta, ChangeSet, NewZone, RecordInput, RrsetChange, RrsetOp, Source, Store,
    StoreError, WriteError,
};
use wire::tsig::Key;
use wire::{Name, Rcode, Record, Rtype, Serial};
use zone::{BuildOptions, Zone};

/// How a store zone replicates and who may change it: from its
/// `[[zone]]`, or `[zone_defaults]` for zones no `[[zone]]` names.
#[derive(Clone, Debug)]
pub struct ZoneRules {
    /// NOTIFY targets.
    pub notify: Vec<SocketAddr>,
    /// Key that signs our NOTIFYs.
    pub notify_key: Option<Arc<Key>>,
    /// Also NOTIFY the zone's NS targets.
    pub notify_ns: bool,
    /// Transfer and update rules.
    pub policy: ZonePolicy,
    /// Serial policy for a zone created through the API.
    pub serial_policy: store::SerialPolicy,
    /// The apex NS set of a zone created through the API without one.
    pub nameservers: Vec<Name>,
}

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
    /// A blocking task died.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The primary's writer: the store, the replicator and the rules of each
/// store zone.
pub struct Manager {
    store: Arc<Store>,
    replicator: Arc<Replicator>,
    /// Serialises writes so that snapshots and journal entries are published
    /// in commit order.
    writes: tokio::sync::Mutex<()>,
    /// Rules of the store zones named by `[[zone]]`.
    declared: HashMap<Name, ZoneRules>,
    /// Rules of the other store zones.
    defaults: ZoneRules,
    /// Zones the configuration serves from files or as secondaries.
    elsewhere: HashMap<Name, Elsewhere>,
}

impl Manager {
    /// A manager over `store`; call [`Manager::start`] before serving.
    pub fn new(
        store: Arc<Store>,
        replicator: Arc<Replicator>,
        declared: HashMap<Name, ZoneRules>,
        defaults: ZoneRules,
        elsewhere: HashMap<Name, Elsewhere>,
    ) -> Arc<Manager> {
        Arc::new(Manager {
            store,
            replicator,
            writes: tokio::sync::Mutex::new(()),
            declared: declared
                .into_iter()
                .map(|(name, rules)| (name.to_lowercase(), rules))
                .collect(),
            defaults,
            elsewhere: elsewhere
                .into_iter()
                .map(|(name, e)| (name.to_lowercase(), e))
                .collect(),
        })
    }

    /// The store, for reads.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The replicator, for status and control.
    pub fn replicator(&self) -> &Arc<Replicator> {
        &self.replicator
    }

    /// Zones the configuration serves from files or as secondaries.
    pub fn elsewhere(&self) -> &HashMap<Name, Elsewhere> {
        &self.elsewhere
    }

    /// The rules a store zone gets.
    pub fn rules(&self, zone: &Name) -> &ZoneRules {
        self.declared
            .get(&zone.to_lowercase())
            .unwrap_or(&self.defaults)
    }

    /// Serves every zone of the store (at start, before the replicator
    /// starts). A zone the configuration also serves from a file or as a
    /// secondary is an error; every problem is reported.
    pub fn start(&self) -> Result<usize, String> {
        let zones = self.store.zones().map_err(|e| e.to_string())?;
        let mut failures = Vec::new();
        for info in &zones {
            if let Some(other) = self.elsewhere.get(&info.name) {
                failures.push(format!(
                    "zone {} is in the store and also configured {}; remove one",
                    info.name,
                    other.describe()
                ));
                continue;
            }
            if let Err(e) = self.serve_store_zone(&info.name) {
                failures.push(e);
            }
        }
        for name in self.declared.keys() {
            if !zones.iter().any(|z| &z.name == name) {
                tracing::warn!(zone = %name, "zone is configured to live in the store but is not there yet; create it through the API or with `hadns import`");
            }
        }
        if failures.is_empty() {
            Ok(zones.len())
        } else {
            Err(failures.join("\n"))
        }
    }

    /// Takes a store zone under replication and serves it as the store
    /// holds it, catching the replicator's journal up with the store's.
    fn serve_store_zone(&self, apex: &Name) -> Result<(), String> {
        let rules = self.rules(apex).clone();
        self.replicator
            .add_zone(setup_for(apex, &rules))
            .map_err(|e| e.to_string())?;
        let policy = rules.policy.clone();
        let key = apex.to_lowercase();
        self.replicator.update_served(|served| {
            served.policies.insert(key, policy);
        });
        let records = self
            .store
            .zone_records(apex)
            .map_err(|e| format!("zone {apex}: {e}"))?;
        let zone = Zone::build(apex, records, BuildOptions::default())
            .map_err(|e| format!("zone {apex}: {e}"))?;
        if let Some(last) = self.replicator.journal_last_serial(apex)
            && last != zone.serial()
        {
            match self.store.changes_since(apex, last) {
                Ok(Some(changes)) => {
                    let diffs: Vec<Diff> = changes
                        .into_iter()
                        .map(|c| {
                            Diff::new(c.entry.serial_from, c.entry.serial_to, c.removed, c.added)
                        })
                        .collect();
                    tracing::info!(zone = %apex, from = last.0, to = zone.serial().0, changes = diffs.len(), "catching the IXFR journal up with the store");
                    if let Err(e) = self.replicator.journal_append(apex, &diffs) {
                        tracing::warn!(zone = %apex, error = %e, "cannot catch the journal up");
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(zone = %apex, error = %e, "cannot read the store's journal")
                }
            }
        }
        let serial = zone.serial();
        self.replicator
            .primary_loaded(apex, zone)
            .map_err(|e| format!("zone {apex}: {e}"))?;
        tracing::info!(zone = %apex, serial = serial.0, "store zone served");
        Ok(())
    }

    /// Refuses a write to a zone that is not in the store.
    fn check_writable(&self, zone: &Name) -> Result<(), ManageError> {
        match self.elsewhere.get(&zone.to_lowercase()) {
            Some(other) => Err(ManageError::NotInStore {
                zone: zone.clone(),
                why: format!("it is configured {}", other.describe()),
            }),
            None => Ok(()),
        }
    }

    /// Applies a change set to a store zone and publishes the result.
    pub async fn apply(
        self: &Arc<Self>,
        zone: &Name,
        changes: ChangeSet,
        meta: ChangeMeta,
    ) -> Result<Applied, ManageError> {
        self.write_and_publish(zone, move |store, zone| store.apply(zone, &changes, &meta))
            .await
    }

    /// Reverts a store zone to what it was at serial `to`, as a new change.
    pub async fn revert(
        self: &Arc<Self>,
        zone: &Name,
        to: Serial,
        meta: ChangeMeta,
    ) -> Result<Applied, ManageError> {
        self.write_and_publish(zone, move |store, zone| store.revert(zone, to, &meta))
            .await
    }

    /// Runs one store write on a blocking thread under the write lock and
    /// publishes what it committed.
    async fn write_and_publish(
        self: &Arc<Self>,
        zone: &Name,
        write: impl FnOnce(&Store, &Name) -> Result<Applied, WriteError> + Send + 'static,
    ) -> Result<Applied, ManageError> {
        self.check_writable(zone)?;
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        let zone = zone.clone();
        blocking(move || {
            let applied = write(&this.store, &zone)?;
            this.publish(&applied);
            Ok(applied)
        })
        .await
    }

    /// Creates a store zone and serves it.
    pub async fn create_zone(
        self: &Arc<Self>,
        new: NewZone,
        meta: ChangeMeta,
    ) -> Result<Applied, ManageError> {
        self.check_writable(&new.name)?;
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        blocking(move || {
            let apex = new.name.to_lowercase();
            let applied = this.store.create_zone(new, &meta)?;
            if let Err(e) = this.serve_store_zone(&apex) {
                tracing::error!(zone = %apex, "zone created in the store but not served: {e}");
                return Err(ManageError::Internal(format!(
                    "zone {apex} was created but cannot be served: {e}"
                )));
            }
            Ok(applied)
        })
        .await
    }

    /// Replaces a store zone's data with `records` (creating the zone if it
    /// is new) as one change, and serves the result: the web UI's import.
    pub async fn import(
        self: &Arc<Self>,
        zone: &Name,
        records: Vec<wire::Record>,
        meta: ChangeMeta,
    ) -> Result<Applied, ManageError> {
        self.check_writable(zone)?;
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        let apex = zone.to_lowercase();
        blocking(move || {
            let existed = this.store.zone(&apex)?.is_some();
            let applied = this
                .store
                .import(&apex, records, store::ZoneKind::Master, &meta)?;
            if existed {
                this.publish(&applied);
            } else if let Err(e) = this.serve_store_zone(&apex) {
                tracing::error!(zone = %apex, "zone imported into the store but not served: {e}");
                return Err(ManageError::Internal(format!(
                    "zone {apex} was imported but cannot be served: {e}"
                )));
            }
            Ok(applied)
        })
        .await
    }

    /// Deletes a store zone and stops serving it.
    pub async fn delete_zone(self: &Arc<Self>, zone: &Name) -> Result<(), ManageError> {
        self.check_writable(zone)?;
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        let zone = zone.to_lowercase();
        blocking(move || {
            this.store.delete_zone(&zone)?;
            this.replicator.remove_zone(&zone);
            this.replicator.update_served(|served| {
                served.policies.remove(&zone);
            });
            Ok(())
        })
        .await
    }

    /// Re-reads a store zone changed by another process (`hadns import`
    /// while the node runs): serves it if new, publishes the changes since
    /// the served serial, or stops serving it if it is gone.
    pub async fn sync_zone(self: &Arc<Self>, zone: &Name) -> Result<String, ManageError> {
        self.check_writable(zone)?;
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        let zone = zone.to_lowercase();
        blocking(move || {
            let Some(info) = this.store.zone(&zone)? else {
                if this.replicator.current(&zone).is_some() {
                    this.replicator.remove_zone(&zone);
                    return Ok(format!("zone {zone} is no longer in the store; not served"));
                }
                return Err(WriteError::NoSuchZone(zone.clone()).into());
            };
            let Some(current) = this.replicator.current(&zone) else {
                this.serve_store_zone(&zone)
                    .map_err(ManageError::Internal)?;
                return Ok(format!("zone {zone} served at serial {}", info.serial));
            };
            if current.serial() == info.serial {
                return Ok(format!("zone {zone} unchanged at serial {}", info.serial));
            }
            let records = this.store.zone_records(&zone)?;
            let new = Zone::build(&zone, records, BuildOptions::default())
                .map_err(|e| ManageError::Internal(format!("zone {zone}: {e}")))?;
            let diffs: Vec<Diff> = this
                .store
                .changes_since(&zone, current.serial())?
                .unwrap_or_default()
                .into_iter()
                .map(|c| Diff::new(c.entry.serial_from, c.entry.serial_to, c.removed, c.added))
                .collect();
            this.replicator
                .journal_append(&zone, &diffs)
                .map_err(|e| ManageError::Internal(e.to_string()))?;
            this.replicator
                .primary_loaded(&zone, new)
                .map_err(|e| ManageError::Internal(e.to_string()))?;
            Ok(format!(
                "zone {zone} moved from serial {} to {}",
                current.serial(),
                info.serial
            ))
        })
        .await
    }

    /// Applies an RFC 2136 UPDATE and returns the reply to send: the
    /// prerequisites and update section are evaluated against the served
    /// snapshot under the write lock, so no other change can slip between
    /// the check and the commit.
    pub async fn update(self: &Arc<Self>, mut ticket: UpdateTicket) -> Vec<u8> {
        let rcode = self.update_rcode(&ticket).await;
        ticket.reply(rcode, crate::tcp::unix_now())
    }

    async fn update_rcode(self: &Arc<Self>, ticket: &UpdateTicket) -> Rcode {
        let apex = ticket.apex.to_lowercase();
        if self.elsewhere.contains_key(&apex) {
            return Rcode::NOTAUTH;
        }
        let _writer = self.writes.lock().await;
        let Some(zone) = self.replicator.current(&apex) else {
            return Rcode::SERVFAIL;
        };
        let ops = match update::plan(&zone, &ticket.message) {
            Ok(ops) => ops,
            Err(rcode) => return rcode,
        };
        if ops.is_empty() {
            return Rcode::NOERROR;
        }
        let author = match &ticket.key {
            Some(key) => format!("key {key}"),
            None => format!("address {}", ticket.client.address.ip()),
        };
        let changes = ChangeSet {
            changes: ops.into_iter().map(update_change).collect(),
        };
        let meta = ChangeMeta {
            author,
            source: Source::Update,
            comment: None,
            now: crate::tcp::unix_now(),
        };
        let this = Arc::clone(self);
        let result = blocking(move || {
            let applied = this.store.apply(&apex, &changes, &meta)?;
            this.publish(&applied);
            Ok(applied)
        })
        .await;
        match result {
            Ok(applied) => {
                tracing::info!(zone = %ticket.apex, client = %ticket.client.address, from = applied.from.0, to = applied.to.0, "dynamic update applied");
                Rcode::NOERROR
            }
            Err(ManageError::Refused(WriteError::Validation {
                name,
                rtype,
                reason,
            })) => {
                let error = WriteError::Validation {
                    name,
                    rtype,
                    reason,
                };
                tracing::info!(zone = %ticket.apex, client = %ticket.client.address, "dynamic update refused: {error}");
                Rcode::REFUSED
            }
            Err(e) => {
                tracing::error!(zone = %ticket.apex, client = %ticket.client.address, "dynamic update failed: {e}");
                Rcode::SERVFAIL
            }
        }
    }

    /// After a commit: builds the new snapshot and hands it with the
    /// difference to the replicator (journal, publish, NOTIFY). Runs under
    /// the write lock.
    fn publish(&self, applied: &Applied) {
        if applied.added.is_empty() {
            return;
        }
        let apex = applied.zone.to_lowercase();
        let records = match self.replicator.current(&apex) {
            Some(current) if current.serial() == applied.from => {
                let mut set = RecordSet::from_records(current.records());
                match set.apply(&applied.removed, &applied.added) {
                    Ok(()) => Some(set.into_records()),
                    Err(e) => {
                        tracing::warn!(zone = %apex, error = %e, "served copy differs from the store; rebuilding from the store");
                        None
                    }
                }
            }
            _ => None,
        };
        let records = match records {
            Some(records) => records,
            None => match self.store.zone_records(&apex) {
                Ok(records) => records,
                Err(e) => {
                    tracing::error!(zone = %apex, error = %e, "change committed but the zone cannot be read back; serving the old copy until restart");
                    return;
                }
            },
        };
        let zone = match Zone::build(&apex, records, BuildOptions::default()) {
            Ok(zone) => zone,
            Err(e) => {
                tracing::error!(zone = %apex, error = %e, "change committed but the zone cannot be built; serving the old copy");
                return;
            }
        };
        let diff = Diff::new(
            applied.from,
            applied.to,
            applied.removed.clone(),
            applied.added.clone(),
        );
        if let Err(e) = self.replicator.primary_changed(&apex, zone, diff) {
            tracing::error!(zone = %apex, error = %e, "change committed but not published");
        }
    }
}

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
    }
}

/// Maps one RFC 2136 operation to the store's vocabulary.
fn update_change(op: UpdateOp) -> RrsetChange {
    let input = |record: &Record| RecordInput {
        rdata: record.rdata.clone(),
        content: None,
        disabled: false,
    };
    let (name, rtype, op) = match op {
        // RFC 2136 §3.4.2.2: an added SOA or CNAME replaces the one there
        // (the planner has already dropped what must be ignored).
        UpdateOp::Add(record) if matches!(record.rtype, Rtype::SOA | Rtype::CNAME) => {
            let op = RrsetOp::Replace {
                ttl: record.ttl,
                records: vec![input(&record)],
            };
            (record.owner, record.rtype, op)
        }
        UpdateOp::Add(record) => {
            let op = RrsetOp::Extend {
                ttl: record.ttl,
                records: vec![input(&record)],
            };
            (record.owner, record.rtype, op)
        }
        UpdateOp::DeleteRrset(name, rtype) => (name, rtype, RrsetOp::Delete),
        UpdateOp::DeleteName(name) => (name, Rtype::ANY, RrsetOp::DeleteName),
        UpdateOp::DeleteRecord(record) => {
            let op = RrsetOp::DeleteRecord {
                rdata: record.rdata.clone(),
            };
            (record.owner, record.rtype, op)
        }
    };
    RrsetChange {
        name,
        rtype,
        op,
        comments: None,
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

/// Runs store work on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ManageError> + Send + 'static,
) -> Result<T, ManageError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ManageError::Internal(format!("a store task failed: {e}")))?
}
