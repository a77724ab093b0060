//! A reload's part in the store: the configuration's new rules checked,
//! then swapped in and applied to every store zone in place (NOTIFY
//! targets and keys, transfer and update rules), and the catalog zone
//! rebuilt with them (groups, included zone files).

use super::*;

impl Manager {
    /// Whether `next` can replace the running rules, changing nothing: the
    /// catalog zone keeps its name (another name is another zone, whose
    /// consumers must start over: a restart), and no zone of the store is
    /// now also configured from a file or as a secondary.
    pub fn check_rules(&self, next: &Rules) -> Result<(), String> {
        let current = self.rules.load();
        let apex = |r: &Rules| r.catalog.as_ref().map(|c| c.apex.to_lowercase());
        if apex(&current) != apex(next) {
            let show = |a: Option<Name>| a.map_or_else(|| "none".to_string(), |a| a.to_string());
            return Err(format!(
                "[catalog] produce changed from {} to {}: producing another catalog zone needs a restart",
                show(apex(&current)),
                show(apex(next))
            ));
        }
        let zones = self.store.zones().map_err(|e| e.to_string())?;
        let mut clashes = Vec::new();
        for zone in &zones {
            if let Some(other) = next
                .elsewhere
                .iter()
                .find(|(name, _)| name.to_lowercase() == zone.name)
                .map(|(_, e)| e)
            {
                clashes.push(format!(
                    "zone {} is in the store and would also be configured {}; remove one",
                    zone.name,
                    other.describe()
                ));
            }
        }
        if clashes.is_empty() {
            Ok(())
        } else {
            Err(clashes.join("\n"))
        }
    }

    /// Makes `next` the running rules (after [`Manager::check_rules`]) and
    /// applies them to every store zone in every lane, without taking any
    /// zone out of service: NOTIFY targets and keys are swapped in place,
    /// transfer and update rules replaced. Waits for the write under way,
    /// so no change is published under half of the old rules. Returns
    /// what it did, for the operator. Call from a blocking thread.
    pub fn reconfigure(&self, next: Rules) -> Vec<String> {
        let _writes = self.writes.blocking_lock();
        self.rules.store(Arc::new(next.normalized()));
        let rules = self.configured_rules();
        let zones = match self.store.zones() {
            Ok(zones) => zones,
            Err(e) => {
                return vec![format!(
                    "failed: the store's zones could not be listed, their rules take effect at the next restart: {e}"
                )];
            }
        };
        let mut changed = 0;
        let mut failures = Vec::new();
        for info in &zones {
            if info.kind != store::ZoneKind::Slave && info.soa_disabled {
                continue;
            }
            let name = info.name.to_lowercase();
            for lane in &self.lanes {
                let view = lane.view.as_deref();
                let zone_rules = &crate::settings::merge(
                    &info.name,
                    rules.rules_in(&info.name, view),
                    &info.options,
                    &|name| self.key(name),
                );
                let replicator = &lane.replicator;
                if info.kind == store::ZoneKind::Slave {
                    // An API secondary: its primaries come from the store;
                    // who may transfer it from us, from the rules.
                    let allow_transfer = zone_rules.policy.allow_transfer.clone();
                    replicator.update_served(|served| {
                        if let Some(policy) = served.policies.get_mut(&name) {
                            policy.allow_transfer = allow_transfer;
                        }
                    });
                    continue;
                }
                match replicator.reconfigure_zone(setup_for(&info.name, zone_rules)) {
                    Ok(replicate::driver::Reconfigured::Unchanged) => {}
                    Ok(_) => changed += 1,
                    Err(e) => failures.push(format!("failed: zone {}: {e}", info.name)),
                }
                let policy = zone_rules.policy.clone();
                replicator.update_served(|served| {
                    served.policies.insert(name.clone(), policy);
                });
            }
        }
        if let Some(catalog) = &rules.catalog {
            for lane in &self.lanes {
                if let Err(e) = lane
                    .replicator
                    .reconfigure_zone(super::catalog_zone::catalog_setup(catalog))
                {
                    failures.push(format!("failed: catalog zone {}: {e}", catalog.apex));
                }
                super::catalog_zone::serve_catalog_rules(lane, catalog);
            }
            self.refresh_catalog();
        }
        let mut done = vec![format!(
            "store zones {}, with new NOTIFY targets or keys {changed}",
            zones.len()
        )];
        done.extend(failures);
        done
    }
}
