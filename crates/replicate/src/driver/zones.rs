//! Which zones the replicator runs: adding, forgetting and removing a
//! zone, opening its journal and persisted copy at start, and the status
//! `hadns ctl zone-status` shows.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use wire::Name;
use zone::{BuildOptions, Zone};

use crate::diff::RecordSet;
use crate::journal::Journal;
use crate::persist::{self, PersistError, ZoneFiles};
use crate::secondary::{Persisted, Secondary, TimerBounds};

use super::{
    Links, NotifyStatus, Reconfigured, Replicator, Role, RoleSetup, StartError, ZoneSetup,
    ZoneState, ZoneStatus, from_unix, lock, same_key, timers_of,
};

impl Replicator {
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

    /// [`Replicator::add_zone`] for many zones (a catalog's new members),
    /// with one swap of the served state for all of them rather than one
    /// per zone: each swap copies the lane's zone table, so adding n zones
    /// one by one to a lane of n costs n². Returns each zone's outcome.
    pub fn add_zones(
        self: &Arc<Self>,
        setups: Vec<ZoneSetup>,
    ) -> Vec<(Name, Result<(), StartError>)> {
        let mut outcomes = Vec::with_capacity(setups.len());
        let mut publish = Vec::new();
        let mut started = Vec::new();
        for setup in setups {
            let apex = setup.apex.clone();
            match self.open_zone_unpublished(setup) {
                Ok((state, copy)) => {
                    if let Some(copy) = copy {
                        publish.push((state.apex.clone(), copy));
                    }
                    started.push(state);
                    outcomes.push((apex, Ok(())));
                }
                Err(e) => outcomes.push((apex, Err(e))),
            }
        }
        self.publish_many(publish);
        if self.started.load(Ordering::SeqCst) {
            for state in started {
                if matches!(state.role, Role::Secondary { .. }) {
                    tokio::spawn(Arc::clone(self).run_secondary(state));
                }
            }
        }
        outcomes
    }

    /// [`Replicator::forget_zone`] for many zones, with one swap of the
    /// served state for all of them.
    pub fn forget_zones(&self, apexes: &[Name]) {
        let apexes: Vec<Name> = apexes.iter().map(Name::to_lowercase).collect();
        let mut gone = Vec::with_capacity(apexes.len());
        {
            let mut zones = self.zones.write().unwrap_or_else(|p| p.into_inner());
            for apex in &apexes {
                if let Some(state) = zones.remove(apex) {
                    state.forgotten.store(true, Ordering::SeqCst);
                    state.removed.store(true, Ordering::SeqCst);
                    state.wake.notify_one();
                    state.abort_notifies();
                    gone.push(state);
                }
            }
        }
        // Files first: once a zone is no longer served, its files are gone
        // too (what an operator, or a test, sees in that order).
        for apex in &apexes {
            delete_files(apex, &ZoneFiles::in_data_dir(&self.data_dir, apex));
        }
        {
            let _guard = lock(&self.publish_lock);
            let mut next = (*self.served.load_full()).clone();
            for apex in &apexes {
                next.catalog.remove(apex);
            }
            self.served.store(Arc::new(next));
        }
    }

    /// Brings a running zone in line with `setup` (a reload): a zone not
    /// replicated here is added; one whose role is the same gets its NOTIFY
    /// targets, keys, serial policy and primaries swapped in place, going
    /// on serving without a gap (a secondary whose primaries or key changed
    /// checks its new primaries at once); one whose role changed is
    /// replaced (stopped, and started again from its files).
    pub fn reconfigure_zone(
        self: &Arc<Self>,
        setup: ZoneSetup,
    ) -> Result<Reconfigured, StartError> {
        let apex = setup.apex.to_lowercase();
        let Some(state) = self.zone_state(&apex) else {
            self.add_zone(setup)?;
            return Ok(Reconfigured::Added);
        };
        let same_role = matches!(
            (&state.role, &setup.role),
            (Role::Primary, RoleSetup::Primary { .. })
                | (Role::Secondary { .. }, RoleSetup::Secondary { .. })
        );
        if !same_role || state.catalog != setup.catalog {
            self.add_zone(setup)?;
            return Ok(Reconfigured::Replaced);
        }
        let links = Links::of(&setup);
        let old = state.links();
        if old.same_as(&links) {
            return Ok(Reconfigured::Unchanged);
        }
        let recheck = old.primaries != links.primaries || !same_key(&old.key, &links.key);
        // Targets no longer configured stop being retried.
        for target in old
            .notify
            .iter()
            .filter(|t| !links.notify.iter().any(|n| n.address == t.address))
        {
            if let Some(handle) = lock(&state.notify_in_flight).remove(&target.address) {
                handle.abort();
            }
            lock(&state.notify_status).remove(&target.address);
        }
        let primaries = links.primaries.len();
        *lock(&state.links) = Arc::new(links);
        if recheck && let Some(mut machine) = state.machine() {
            machine.set_primaries(primaries);
            machine.notify(SystemTime::now());
            drop(machine);
            state.wake.notify_one();
        }
        Ok(Reconfigured::Updated)
    }

    /// Stops replicating and serving a zone deleted for good (a store zone
    /// deleted through the API) and deletes its dump, journal and timers,
    /// so a zone created later under the same name starts afresh rather
    /// than being compared with, and journaled after, the old one.
    pub fn forget_zone(&self, apex: &Name) {
        let apex = apex.to_lowercase();
        if let Some(state) = self.zone_state(&apex) {
            state.forgotten.store(true, Ordering::SeqCst);
        }
        self.remove_zone(&apex);
        delete_files(&apex, &ZoneFiles::in_data_dir(&self.data_dir, &apex));
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
            // Its NOTIFYs stop too: they would go on for up to a refresh
            // interval for a zone that no longer exists here.
            state.abort_notifies();
        }
        lock(&self.changed).remove(&apex);
        let _guard = lock(&self.publish_lock);
        let mut next = (*self.served.load_full()).clone();
        next.catalog.remove(&apex);
        self.served.store(Arc::new(next));
    }

    pub(super) fn open_zone(&self, setup: ZoneSetup) -> Result<Arc<ZoneState>, StartError> {
        let (state, copy) = self.open_zone_unpublished(setup)?;
        if let Some(copy) = copy {
            self.publish(&state.apex, copy);
        }
        Ok(state)
    }

    /// Opens a zone's journal and a secondary's persisted copy, and takes
    /// it under replication without publishing it: for a secondary, what
    /// to publish (its copy, or `None` for SERVFAIL until the first
    /// transfer) is returned for the caller to publish, alone or with
    /// others.
    #[allow(clippy::type_complexity)]
    fn open_zone_unpublished(
        &self,
        setup: ZoneSetup,
    ) -> Result<(Arc<ZoneState>, Option<Option<Arc<Zone>>>), StartError> {
        // A zone of this name already running (a catalog's member, when a
        // zone kept in the store of the same name is served at start) is
        // stopped first: two tasks must never share one zone's files, and
        // the old one's transfers must not be served over the new zone.
        if self.zone_state(&setup.apex.to_lowercase()).is_some() {
            tracing::warn!(zone = %setup.apex, "a zone of this name was already replicated here; it is replaced");
            self.remove_zone(&setup.apex);
        }
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
        let links = Links::of(&setup);
        let role = match setup.role {
            RoleSetup::Primary { .. } => Role::Primary,
            RoleSetup::Secondary { primaries, .. } => {
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
                    machine: Box::new(Mutex::new(machine)),
                }
            }
        };
        let state = Arc::new(ZoneState {
            apex: apex.clone(),
            role,
            links: Mutex::new(Arc::new(links)),
            catalog: setup.catalog,
            files,
            journal: Mutex::new(journal),
            copy: Mutex::new(None),
            wake: tokio::sync::Notify::new(),
            since_dump: Mutex::new(0),
            notify_status: Mutex::new(HashMap::new()),
            notify_in_flight: Mutex::new(HashMap::new()),
            notify_pending: AtomicBool::new(false),
            removed: AtomicBool::new(false),
            forgotten: AtomicBool::new(false),
            last_primary: Mutex::new(None),
            version_lock: Mutex::new(()),
            compacting: AtomicBool::new(false),
            dumping: AtomicBool::new(false),
        });
        self.zones
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(apex.clone(), Arc::clone(&state));
        let mut publish = None;
        if let Some(copy) = restored {
            *lock(&state.copy) = copy.clone();
            let expired = state.machine().map(|m| m.is_expired(now)).unwrap_or(true);
            publish = Some(match copy {
                Some(zone) if !expired => Some(zone),
                Some(zone) => {
                    tracing::warn!(zone = %apex, serial = zone.serial().0, "persisted copy has expired; SERVFAIL until a transfer succeeds");
                    None
                }
                None => None,
            });
        }
        Ok((state, publish))
    }

    pub(super) fn zone_state(&self, apex: &Name) -> Option<Arc<ZoneState>> {
        self.zones
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(apex)
            .cloned()
    }

    /// Status of one zone.
    pub fn status(&self, apex: &Name) -> Option<ZoneStatus> {
        let state = self.zone_state(&apex.to_lowercase())?;
        let now = SystemTime::now();
        let journal = lock(&state.journal);
        let links = state.links();
        let mut notify: Vec<(SocketAddr, NotifyStatus)> = links
            .notify
            .iter()
            .map(|t| {
                (
                    t.address,
                    lock(&state.notify_status)
                        .get(&t.address)
                        .cloned()
                        .unwrap_or_default(),
                )
            })
            .collect();
        notify.sort_by_key(|(a, _)| *a);
        Some(ZoneStatus {
            apex: state.apex.clone(),
            role: match state.role {
                Role::Primary => "primary",
                Role::Secondary { .. } => "secondary",
            },
            serial: self.current(&state.apex).map(|z| z.serial()),
            secondary: state.machine().map(|m| m.status(now)),
            journal: Some((journal.first_serial(), journal.last_serial(), journal.len())),
            notify,
            primaries: links.primaries.clone(),
            catalog: state.catalog.clone(),
            changed: lock(&self.changed).get(&state.apex).copied(),
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
}

/// Deletes a forgotten zone's dump, journal and timers.
pub(super) fn delete_files(apex: &Name, files: &ZoneFiles) {
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

/// Loads a secondary's persisted copy (dump plus journal) and timers.
pub(super) fn restore_secondary(
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
