//! Serving store zones in the lanes: each lane's copy built from the
//! store, its IXFR journal caught up first.

use super::*;

impl Manager {
    /// Serves a store zone in every lane. A lane whose copy cannot be
    /// served is logged and skipped, so one view's broken copy keeps no
    /// other view from serving the zone; the error lists every such lane.
    pub(super) fn serve_everywhere(&self, apex: &Name) -> Result<(), String> {
        let mut failures = Vec::new();
        for lane in &self.lanes {
            if let Err(e) = self.serve_store_zone(lane, apex) {
                tracing::error!(zone = %apex, view = lane.view, error = %e, "store zone not served in this lane");
                failures.push(e);
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        }
    }

    /// What lane `lane` serves of a store zone: the base, or its view's copy.
    pub(super) fn records_in(
        &self,
        lane: &ManagedLane,
        apex: &Name,
    ) -> Result<Vec<Record>, StoreError> {
        match &lane.view {
            // The same records as `zone_records`, read without the general
            // loader's copies (a large zone's start waited on them).
            None => self.store.served_records(apex),
            Some(view) => self.store.zone_records_in_view(apex, view),
        }
    }

    /// Takes a store zone under replication in one lane and serves it as
    /// the store holds it, catching the lane's journal up with the store's.
    pub(super) fn serve_store_zone(&self, lane: &ManagedLane, apex: &Name) -> Result<(), String> {
        let view = lane.view.as_deref();
        // The zone's own settings where the configuration leaves them.
        let options = self
            .store
            .apex_settings(apex)
            .map_err(|e| format!("zone {apex}: {e}"))?
            .map(|a| a.options)
            .unwrap_or_default();
        let rules = self.merged_rules(apex, view, &options);
        let replicator = &lane.replicator;
        replicator
            .add_zone(setup_for(apex, &rules))
            .map_err(|e| e.to_string())?;
        let policy = rules.policy.clone();
        let key = apex.to_lowercase();
        replicator.update_served(|served| {
            served.policies.insert(key, policy);
        });
        let records = self
            .records_in(lane, apex)
            .map_err(|e| format!("zone {apex}: {e}"))?;
        let zone = Zone::build(apex, records, BuildOptions { precompile: false })
            .map_err(|e| format!("zone {apex}{}: {e}", in_view(view)))?;
        self.catch_up_journal(lane, apex, zone.serial());
        let serial = zone.serial();
        replicator
            .primary_loaded(apex, zone)
            .map_err(|e| format!("zone {apex}{}: {e}", in_view(view)))?;
        tracing::info!(zone = %apex, view, serial = serial.0, "store zone served");
        Ok(())
    }

    /// Brings a lane's IXFR journal of a store zone up to `serial` from the
    /// store's journal, before the zone is loaded: the changes it lacks
    /// (a crash between the store's commit and the lane's append — lane
    /// journals are not fsynced, the store being the durable copy), or,
    /// when it lost more than that or everything, the store's newest
    /// changes in its place, so secondaries keep getting IXFR.
    pub(super) fn catch_up_journal(&self, lane: &ManagedLane, apex: &Name, serial: Serial) {
        let view = lane.view.as_deref();
        let replicator = &lane.replicator;
        let last = replicator.journal_last_serial(apex);
        if last == Some(serial) {
            return;
        }
        if let Some(last) = last
            && last.is_newer_than(serial)
        {
            // The store is older than what this lane served (a restored
            // backup): leave the journal as it is, so loading the zone
            // refuses the serial going backwards instead of serving it.
            tracing::error!(zone = %apex, view, journal = last.0, store = serial.0, "the store's serial is older than the one this node last served");
            return;
        }
        let changes = match last {
            Some(last) => self.store.changes_since_in(apex, view, last),
            None => Ok(None),
        };
        let changes = match changes {
            Ok(Some(changes)) => Ok(changes),
            // Not reachable from what the journal holds: refill it.
            Ok(None) => self.store.recent_changes_in(apex, view, REFILL_ENTRIES),
            Err(e) => Err(e),
        };
        let diffs: Vec<Diff> = match changes {
            Ok(changes) => changes
                .into_iter()
                .map(|c| Diff::new(c.entry.serial_from, c.entry.serial_to, c.removed, c.added))
                .collect(),
            Err(e) => {
                tracing::warn!(zone = %apex, view, error = %e, "cannot read the store's journal");
                return;
            }
        };
        if diffs.is_empty() {
            return;
        }
        tracing::info!(zone = %apex, view, from = ?last.map(|s| s.0), to = serial.0, changes = diffs.len(), "catching the IXFR journal up with the store");
        if let Err(e) = replicator.journal_append(apex, &diffs) {
            tracing::warn!(zone = %apex, view, error = %e, "cannot catch the journal up");
        }
    }
}
