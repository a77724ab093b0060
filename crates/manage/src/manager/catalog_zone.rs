//! The catalog zone this node produces (RFC 9432): built from the store's
//! zone list at start and after each zone created or deleted.

use super::*;

impl Manager {
    /// Takes the catalog zone under replication in every lane, with its
    /// transfer and query rules, and publishes its first version (at
    /// start). A store zone with the catalog's name is an error.
    pub(super) fn start_catalog(&self, zones: &[store::ZoneInfo]) -> Result<(), String> {
        let rules = self.configured_rules();
        let Some(catalog) = &rules.catalog else {
            return Ok(());
        };
        let apex = &catalog.apex;
        if zones.iter().any(|z| &z.name == apex) || rules.elsewhere.contains_key(apex) {
            return Err(format!(
                "zone {apex} is the catalog zone ([catalog] produce) and also a zone of its own; rename one"
            ));
        }
        for lane in &self.lanes {
            lane.replicator
                .add_zone(catalog_setup(catalog))
                .map_err(|e| format!("catalog zone {apex}: {e}"))?;
            serve_catalog_rules(lane, catalog);
        }
        self.refresh_catalog();
        Ok(())
    }

    /// Rebuilds the catalog zone from the store's zone list (and the zone
    /// files it includes) and, where it changed, publishes it in every
    /// lane: journal entry, dump, NOTIFY. Zones whose SOA is disabled are
    /// not served, so they are not members. Runs under the write lock
    /// (or at start), right after the change that made it necessary.
    pub(super) fn refresh_catalog(&self) {
        let rules = self.configured_rules();
        let Some(catalog) = &rules.catalog else {
            return;
        };
        let zones = match self.store.zones() {
            Ok(zones) => zones,
            Err(e) => {
                tracing::error!(zone = %catalog.apex, error = %e, "cannot list the store's zones; the catalog zone is not updated");
                return;
            }
        };
        for lane in &self.lanes {
            // A zone's group may differ between views (its `[[zone]]`
            // for that view).
            let members: Vec<Member> = zones
                .iter()
                // Secondary zones are their primaries' to list.
                .filter(|z| !z.soa_disabled && z.kind != store::ZoneKind::Slave)
                .map(|z| {
                    // The `[[zone]]`'s group, else the zone's own
                    // setting, else the catalog's.
                    let configured = rules.rules_in(&z.name, lane.view.as_deref());
                    let group = if configured.written.catalog_group {
                        configured.catalog_group.clone()
                    } else {
                        z.options
                            .catalog_group
                            .clone()
                            .or_else(|| configured.catalog_group.clone())
                    }
                    .or_else(|| catalog.group.clone());
                    Member::store(z.name.clone(), z.id, group)
                })
                // Only the file zones this view defines: another view's
                // are not served here.
                .chain(catalog.files.get(&lane.view).into_iter().flatten().cloned())
                .collect();
            publish_catalog(lane, catalog, &members);
        }
    }
}

/// Publishes the catalog for `members` in one lane if it differs from the
/// version last published there (in memory, or persisted by the previous
/// run): same serial when nothing changed, a newer one when something did
/// or when the journal holds a serial newer than that version
/// ([`catalog::next_serial`]).
pub(super) fn publish_catalog(lane: &ManagedLane, catalog: &CatalogSetup, members: &[Member]) {
    let apex = &catalog.apex;
    let view = lane.view.as_deref();
    let replicator = &lane.replicator;
    let last = replicator.primary_copy(apex);
    let last_serial = last.as_ref().map(|z| z.serial());
    let journal_serial = replicator.journal_last_serial(apex);
    let build = |serial| {
        catalog::records(apex, serial, members)
            .map_err(|e| e.to_string())
            .and_then(|records| {
                Zone::build(apex, records, BuildOptions { precompile: false })
                    .map_err(|e| e.to_string())
            })
    };
    let now = node::clock::unix_now();
    // Built once at the last serial to compare contents, then at the
    // serial next_serial picks.
    let same_as_last = match (&last, last_serial) {
        (Some(old), Some(serial)) => match build(serial) {
            Ok(same) => replicate::diff::between(old, &same).is_empty(),
            Err(e) => {
                tracing::error!(zone = %apex, view, error = %e, "cannot build the catalog zone");
                return;
            }
        },
        _ => false,
    };
    let serial = catalog::next_serial(last_serial, journal_serial, same_as_last, now);
    let zone = build(serial);
    let zone = match zone {
        Ok(zone) => zone,
        Err(e) => {
            tracing::error!(zone = %apex, view, error = %e, "cannot build the catalog zone");
            return;
        }
    };
    match replicator.primary_loaded(apex, zone) {
        Ok(PrimaryOutcome::Published(serial)) => {
            tracing::info!(zone = %apex, view, serial = serial.0, members = members.len(), "catalog zone published")
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(zone = %apex, view, error = %e, "catalog zone not published")
        }
    }
}

/// How the catalog zone replicates: a primary whose serial the manager
/// moves itself ([`catalog::next_serial`]), NOTIFYing the catalog's
/// targets; its NS is `invalid.`, so nobody to find there.
pub(super) fn catalog_setup(catalog: &CatalogSetup) -> ZoneSetup {
    ZoneSetup {
        apex: catalog.apex.clone(),
        role: RoleSetup::Primary {
            serial_policy: DriverPolicy::Keep,
        },
        notify: catalog.notify.clone(),
        notify_key: catalog.notify_key.clone(),
        notify_ns: false,
        catalog: None,
    }
}

/// Serves the catalog zone's transfer and query rules in one lane (at
/// start, and again on each reload).
pub(super) fn serve_catalog_rules(lane: &ManagedLane, catalog: &CatalogSetup) {
    let policy = ZonePolicy {
        allow_transfer: catalog.allow_transfer.clone(),
        allow_notify: None,
        allow_update: None,
    };
    let limit = QueryLimit {
        apex: catalog.apex.clone(),
        allow_query: catalog.allow_query.clone(),
    };
    lane.replicator.update_served(|served| {
        served.policies.insert(catalog.apex.clone(), policy);
        served.query_limits.retain(|l| l.apex != limit.apex);
        served.query_limits.push(limit);
    });
}
