//! Publishing: every change to what is served goes through
//! `Replicator::publish`; a primary's new version (zone file reload or a
//! store write) becomes a journal entry and a dump on the way.

use std::sync::Arc;
use std::time::SystemTime;

use answer::Served;
use wire::{Name, Rtype, Serial};
use zone::{BuildOptions, Zone};

use crate::Diff;
use crate::diff::{self};
use crate::persist::{self};

use super::{PrimaryError, PrimaryOutcome, Replicator, Role, SerialPolicy, ZoneState, lock};

impl Replicator {
    /// Publishes a new snapshot of `apex` (or marks it unavailable).
    pub fn publish(&self, apex: &Name, zone: Option<Arc<Zone>>) {
        let _guard = lock(&self.publish_lock);
        let current = self.served.load_full();
        let mut next = (*current).clone();
        match zone {
            Some(zone) => {
                let before = current.catalog.get(apex).map(|z| z.serial());
                if before != Some(zone.serial()) {
                    lock(&self.changed).insert(apex.to_lowercase(), SystemTime::now());
                }
                next.catalog.insert(zone)
            }
            None => next.catalog.insert_unavailable(apex),
        };
        self.served.store(Arc::new(next));
    }

    /// Publishes many zones in one swap of the served state (`None`:
    /// SERVFAIL until a copy arrives).
    pub(super) fn publish_many(&self, zones: Vec<(Name, Option<Arc<Zone>>)>) {
        if zones.is_empty() {
            return;
        }
        let _guard = lock(&self.publish_lock);
        let mut next = (*self.served.load_full()).clone();
        for (apex, zone) in zones {
            match zone {
                Some(zone) => {
                    lock(&self.changed).insert(apex.to_lowercase(), SystemTime::now());
                    next.catalog.insert(zone)
                }
                None => next.catalog.insert_unavailable(&apex),
            };
        }
        self.served.store(Arc::new(next));
    }

    /// Publishes a new version of a replicated zone and keeps it as the copy.
    pub(super) fn publish_copy(&self, state: &ZoneState, zone: Arc<Zone>) {
        let _version = lock(&state.version_lock);
        self.publish_copy_locked(state, zone);
    }

    /// [`Replicator::publish_copy`] for a caller that holds the zone's
    /// version lock (a compaction, which checks under it that the copy is
    /// still the one it compacted).
    pub(super) fn publish_copy_locked(&self, state: &ZoneState, zone: Arc<Zone>) {
        if state.removed.load(std::sync::atomic::Ordering::SeqCst) {
            // Removed while a transfer was under way: serving it again
            // would bring back a zone its owner dropped.
            return;
        }
        *lock(&state.copy) = Some(zone.clone());
        self.publish(&state.apex, Some(zone.clone()));
        if let Some(watcher) = lock(&self.watchers).get(&state.apex) {
            watcher.send_replace(Some(zone));
        }
    }

    /// Watches a zone's copy: the receiver sees each new version as it is
    /// published (a transfer applied), starting with the newest good
    /// version held now (served or not, so an expired catalog still
    /// lists its members). One watcher per zone; a second call replaces
    /// the first.
    pub fn watch(&self, apex: &Name) -> tokio::sync::watch::Receiver<Option<Arc<Zone>>> {
        let apex = apex.to_lowercase();
        // The copy is read under the watchers' lock: a transfer that lands
        // meanwhile sets its copy before it takes that lock to tell the
        // watcher, so either the copy read here is the new one or the
        // watcher is already registered when it is told.
        let mut watchers = lock(&self.watchers);
        let current = self.copy_of(&apex);
        let (sender, receiver) = tokio::sync::watch::channel(current);
        watchers.insert(apex, sender);
        receiver
    }

    /// The newest good version of a replicated zone, served or not (an
    /// expired secondary keeps its copy); `None` for a zone never loaded
    /// or not replicated here.
    pub fn copy_of(&self, apex: &Name) -> Option<Arc<Zone>> {
        let state = self.zone_state(&apex.to_lowercase())?;
        self.copy(&state)
    }

    /// The newest good version of a replicated zone, served or not.
    pub(super) fn copy(&self, state: &ZoneState) -> Option<Arc<Zone>> {
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
        let state = &state;
        let serial_policy = state.links().serial_policy;
        let Role::Primary = state.role else {
            return Err(PrimaryError::NotPrimary(apex.clone()));
        };
        // At start the zone is served at once, its answers compiled beside
        // (a large zone's on a thread of its own: the node's sockets open
        // when every zone is loaded, and need not wait for them): the
        // comparison with the last run's copy (read back from its dump:
        // the whole zone again) and the journal entry follow, and the
        // NOTIFYs wait for them.
        let previous = self.copy(state);
        let at_start = self.current(&apex).is_none();
        let mut new = Arc::new(new);
        if at_start {
            self.publish_copy(state, Arc::clone(&new));
            compile_aside(&new);
        }
        if at_start && lock(&state.journal).last_serial() == Some(new.serial()) {
            // A zone whose journal already ends at its serial (a store
            // zone: every change was journaled as it was made) needs no
            // comparison with an older dump.
            self.send_notifies(state);
            return Ok(PrimaryOutcome::Unchanged(
                lock(&state.journal).last_serial().unwrap_or_default(),
            ));
        }
        let Some(old) = previous.or_else(|| self.persisted_version(state)) else {
            // First time we see this zone: nothing to compare with.
            let serial = new.serial();
            if !at_start {
                self.publish_copy(state, Arc::clone(&new));
                new.compile();
            }
            // Written before this returns: the next start compares with it.
            self.write_dump(state, &new);
            self.send_notifies(state);
            return Ok(PrimaryOutcome::Published(serial));
        };
        let mut changes = diff::between(&old, &new);
        if changes.is_empty()
            || (!changes.changes_content() && !new.serial().is_newer_than(old.serial()))
        {
            if at_start {
                // At start with an unchanged file: served above; NOTIFY as
                // BIND does on every load, in case the last run died
                // between publishing a change and announcing it.
                self.send_notifies(state);
            }
            return Ok(PrimaryOutcome::Unchanged(old.serial()));
        }
        if !new.serial().is_newer_than(old.serial()) {
            match serial_policy {
                SerialPolicy::Keep => {
                    // At start this refuses the node's start (every zone
                    // must load), as before it was served.
                    return Err(PrimaryError::SerialNotIncreased {
                        old: old.serial(),
                        new: new.serial(),
                    });
                }
                SerialPolicy::Auto => {
                    new = Arc::new(with_serial(&new, old.serial() + 1)?);
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
        if self
            .current(&apex)
            .is_none_or(|served| !Arc::ptr_eq(&served, &new))
        {
            self.publish_copy(state, Arc::clone(&new));
            new.compile();
        }
        self.write_dump(state, &new);
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
        if !matches!(state.role, Role::Primary) {
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
        // The store holds every change durably and `Manager::start` fills
        // the journal back from it, so this dump is only a fallback: written
        // seldom, since writing a large zone's dump (and its fsync) slows
        // the writes that share the disk.
        let dump_due = {
            let mut since = lock(&state.since_dump);
            *since += 1;
            *since >= self.settings.dump_every * STORE_DUMP_SPACING
        };
        self.publish_copy(&state, zone.clone());
        // Both cost the whole zone: off the write path.
        if dump_due {
            self.dump_later(&state, zone.clone());
        }
        if zone.is_patched() {
            self.compact_later(&state);
        } else {
            zone.compile();
        }
        self.send_notifies(&state);
        Ok(())
    }

    /// The last version of a primary zone this node published: the copy
    /// in memory, or at start the one persisted by the previous run.
    /// `None` for a zone never published here (or not replicated).
    pub fn primary_copy(&self, apex: &Name) -> Option<Arc<Zone>> {
        let state = self.zone_state(&apex.to_lowercase())?;
        self.last_version(&state)
    }

    /// The copy in memory, else the persisted dump.
    fn last_version(&self, state: &ZoneState) -> Option<Arc<Zone>> {
        self.copy(state).or_else(|| self.persisted_version(state))
    }

    /// The copy the last run persisted (its dump), if readable.
    fn persisted_version(&self, state: &ZoneState) -> Option<Arc<Zone>> {
        persist::read_zone(&state.files.zone).ok().and_then(|dump| {
            Zone::build(
                &state.apex,
                dump.records,
                BuildOptions { precompile: false },
            )
            .ok()
            .map(Arc::new)
        })
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

    pub(super) fn write_dump(&self, state: &ZoneState, zone: &Zone) {
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
}

/// Zones with at least this many records are compiled on a thread of
/// their own at start; smaller ones take milliseconds, and a node with
/// thousands of them should not start thousands of threads.
const COMPILE_ASIDE_FROM: usize = 100_000;

/// Compiles `zone`'s answers, a large zone's on a thread of its own: until
/// they are there its queries take the general path, which gives the same
/// answers (`Zone::precompiled` finds none yet). Compiled here when the
/// zone is small or no thread starts.
fn compile_aside(zone: &Arc<Zone>) {
    if zone.record_count() < COMPILE_ASIDE_FROM {
        zone.compile();
        return;
    }
    let compiled = Arc::clone(zone);
    let started = std::thread::Builder::new()
        .name("zone-compile".into())
        .spawn(move || compiled.compile());
    if started.is_err() {
        zone.compile();
    }
}

/// A store zone's dump is refreshed this many times less often than a
/// secondary's (every 1,024 changes by default).
const STORE_DUMP_SPACING: usize = 16;

/// A copy of `zone` with another SOA serial.
pub(super) fn with_serial(zone: &Zone, serial: Serial) -> Result<Zone, zone::ZoneError> {
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

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use wire::{Class, Record};

    use super::*;

    /// A zone of `count` A records besides its SOA.
    fn zone_of(count: usize) -> Arc<Zone> {
        let apex: Name = "aside.test.".parse().unwrap();
        let mut soa = vec![0, 0];
        soa.extend_from_slice(&[0; 20]);
        let record = |owner: Name, rtype, rdata| Record {
            owner,
            rtype,
            class: Class::IN,
            ttl: 60,
            rdata,
        };
        let mut records = vec![record(apex.clone(), Rtype::SOA, soa)];
        for n in 0..count {
            let owner = format!("h{n}.aside.test.").parse().unwrap();
            records.push(record(owner, Rtype::A, vec![192, 0, 2, 1]));
        }
        let options = BuildOptions { precompile: false };
        Arc::new(Zone::build(&apex, records, options).unwrap())
    }

    #[test]
    fn small_zones_are_compiled_at_once_and_large_ones_beside() {
        let small = zone_of(10);
        compile_aside(&small);
        assert!(small.is_compiled());
        let large = zone_of(COMPILE_ASIDE_FROM);
        compile_aside(&large);
        let deadline = Instant::now() + Duration::from_secs(120);
        while !large.is_compiled() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(large.is_compiled(), "compiled within the deadline");
    }
}
