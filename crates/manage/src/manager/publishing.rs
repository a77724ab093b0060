//! Publishing what the store committed: the new snapshot built from the
//! served one and the difference, handed to each lane's replicator
//! (IXFR journal, publish, NOTIFY); a zone whose SOA was disabled taken
//! out of service, and served again once enabled.

use super::*;

/// Changes of more records than this (or an eighth of the zone, if more)
/// build the new version whole rather than patch the served one: beyond
/// it, a fresh build costs less than the patch would.
const WHOLE_BUILD_ABOVE: usize = 20_000;

impl Manager {
    /// After a commit: publishes it ([`Manager::publish_for`]), unless the
    /// zone's SOA record is now disabled, which takes the zone out of
    /// service in every lane, as PowerDNS does: it stays in the store and
    /// in listings, its IXFR journal and copy stay on disk, and queries for
    /// it are REFUSED like those for any zone not served here. A zone
    /// whose SOA is enabled again is served again from the store (its
    /// lanes' journals caught up with what changed meanwhile). One indexed
    /// read of the apex SOA per write. Runs under the write lock.
    pub(super) fn publish_committed(&self, view: Option<&str>, applied: &Applied) {
        let apex = applied.zone.to_lowercase();
        let disabled = match self.store.soa_disabled(&apex) {
            Ok(disabled) => disabled.unwrap_or(false),
            Err(e) => {
                tracing::error!(zone = %apex, error = %e, "change committed but the zone's SOA cannot be read; publishing it");
                false
            }
        };
        let served = self
            .lanes
            .iter()
            .any(|lane| lane.replicator.current(&apex).is_some());
        match (disabled, served) {
            (true, true) => {
                for lane in &self.lanes {
                    lane.replicator.remove_zone(&apex);
                }
                self.refresh_catalog();
                tracing::info!(zone = %apex, "SOA record disabled: zone kept in the store, no longer served");
            }
            (true, false) => {}
            (false, false) => match self.serve_everywhere(&apex) {
                Ok(()) => {
                    self.refresh_catalog();
                    tracing::info!(zone = %apex, "SOA record enabled: zone served again")
                }
                Err(e) => {
                    tracing::error!(zone = %apex, error = %e, "change committed but the zone cannot be served")
                }
            },
            (false, true) => self.publish_for(view, applied),
        }
    }

    /// After a commit: a change to view `view`'s copy is published in that
    /// view's lane, a change to the base in every lane.
    pub(super) fn publish_for(&self, view: Option<&str>, applied: &Applied) {
        match view.and_then(|v| self.lane(Some(v))) {
            Some(lane) => self.publish_in(lane, applied),
            None => self.publish(applied),
        }
    }

    /// After a commit to the base data: publishes it in every lane. The
    /// lane without a view takes the committed difference as it is; a
    /// view's lane catches up with the store's copy of that view, which
    /// moved only if the view does not override what changed. Runs under
    /// the write lock.
    pub(super) fn publish(&self, applied: &Applied) {
        let publish_one = |lane: &ManagedLane| match lane.view {
            None => self.publish_in(lane, applied),
            Some(_) => self.catch_up(lane, &applied.zone),
        };
        if let [only] = self.lanes.as_slice() {
            publish_one(only);
            return;
        }
        // Each view's lane reads its change, builds its snapshot and appends
        // to its own IXFR journal: side by side, so a write costs about one
        // lane's time rather than the sum.
        // Publishing starts NOTIFY tasks on the runtime this blocking
        // thread belongs to; each helper thread enters it too.
        let runtime = tokio::runtime::Handle::try_current().ok();
        std::thread::scope(|scope| {
            for lane in &self.lanes {
                let runtime = runtime.clone();
                scope.spawn(move || {
                    let _entered = runtime.as_ref().map(|r| r.enter());
                    publish_one(lane)
                });
            }
        });
    }

    /// Brings one view's lane to the store's copy of that view: nothing if
    /// the serials agree, the one journal entry between them as an
    /// increment, else the whole copy (compared with the served one).
    pub(super) fn catch_up(&self, lane: &ManagedLane, zone: &Name) {
        let apex = zone.to_lowercase();
        let view = lane.view.as_deref();
        let Some(current) = lane.replicator.current(&apex) else {
            return;
        };
        match self.store.changes_since_in(&apex, view, current.serial()) {
            // Already there: the view did not move.
            Ok(Some(changes)) if changes.is_empty() => return,
            Ok(Some(mut changes)) if changes.len() == 1 => {
                let change = changes.remove(0);
                let applied = Applied {
                    zone: apex,
                    from: change.entry.serial_from,
                    to: change.entry.serial_to,
                    removed: change.removed,
                    added: change.added,
                };
                self.publish_in(lane, &applied);
                return;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(zone = %apex, view, error = %e, "change committed but the view's changes cannot be read; serving the old copy");
                return;
            }
        }
        let zone = match self
            .records_in(lane, &apex)
            .map_err(|e| e.to_string())
            .and_then(|records| {
                // Compiled once served (`primary_loaded`).
                Zone::build(&apex, records, BuildOptions { precompile: false })
                    .map_err(|e| e.to_string())
            }) {
            Ok(zone) => zone,
            Err(e) => {
                tracing::error!(zone = %apex, view, error = %e, "change committed but the view's copy cannot be built; serving the old copy");
                return;
            }
        };
        if let Err(e) = lane.replicator.primary_loaded(&apex, zone) {
            tracing::error!(zone = %apex, view, error = %e, "change committed but not published");
        }
    }

    /// Publishes one committed difference in one lane: builds the new
    /// snapshot and hands it with the difference to the lane's replicator
    /// (journal, publish, NOTIFY). Runs under the write lock.
    pub(super) fn publish_in(&self, lane: &ManagedLane, applied: &Applied) {
        if applied.added.is_empty() {
            return;
        }
        let apex = applied.zone.to_lowercase();
        let view = lane.view.as_deref();
        let replicator = &lane.replicator;
        // The new version derives from the served one at the cost of the
        // change (`Zone::apply`); only when the served copy is not the one
        // the change was made against, or the change rewrites much of the
        // zone (an import over it), is the zone read back and built whole.
        let derived = match replicator.current(&apex) {
            Some(current)
                if current.serial() == applied.from
                    && applied.removed.len() + applied.added.len()
                        <= WHOLE_BUILD_ABOVE.max(current.record_count() / 8) =>
            {
                match current.apply(&applied.removed, &applied.added) {
                    Ok(zone) => Some(zone),
                    Err(e) => {
                        tracing::warn!(zone = %apex, view, error = %e, "served copy differs from the store; rebuilding from the store");
                        None
                    }
                }
            }
            _ => None,
        };
        let zone = match derived {
            Some(zone) => zone,
            None => {
                let records = match self.records_in(lane, &apex) {
                    Ok(records) => records,
                    Err(e) => {
                        tracing::error!(zone = %apex, view, error = %e, "change committed but the zone cannot be read back; serving the old copy until restart");
                        return;
                    }
                };
                match Zone::build(&apex, records, BuildOptions::default()) {
                    Ok(zone) => zone,
                    Err(e) => {
                        tracing::error!(zone = %apex, view, error = %e, "change committed but the zone cannot be built; serving the old copy");
                        return;
                    }
                }
            }
        };
        let diff = Diff::new(
            applied.from,
            applied.to,
            applied.removed.clone(),
            applied.added.clone(),
        );
        if let Err(e) = replicator.primary_changed(&apex, zone, diff) {
            tracing::error!(zone = %apex, view, error = %e, "change committed but not published");
        }
    }
}
