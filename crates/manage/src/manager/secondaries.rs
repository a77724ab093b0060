//! Secondary zones kept in the store (PowerDNS kind `Slave`, made through
//! the API): created, replicated in every lane, and restored at start.

use super::*;

impl Manager {
    /// Takes a secondary zone created through the API under replication
    /// at start, in every lane, from its stored `masters` and key: each
    /// lane serves its persisted copy at once and checks its primaries
    /// when the replicators start. A name the configuration also declares
    /// is left to the configuration, with a warning; a zone that cannot
    /// be replicated (its key is gone) is logged and not served, so one
    /// such zone does not keep the node from starting.
    pub(super) fn start_secondary(&self, info: &store::ZoneInfo) {
        let apex = &info.name;
        if let Some(why) = self.configured(apex) {
            tracing::warn!(zone = %apex, "a secondary zone created through the API is also configured {why}; the configuration wins; the stored zone is ignored while the configuration has it");
            return;
        }
        let primaries: Vec<SocketAddr> = info
            .settings
            .masters
            .iter()
            .filter_map(|text| api::convert::secondary::primary_address(text))
            .collect();
        if primaries.is_empty() {
            tracing::error!(zone = %apex, masters = ?info.settings.masters, "secondary zone in the store without a usable primary; not served");
            return;
        }
        let key = match info.settings.master_tsig_key_ids.first() {
            Some(id) => match Name::from_text(id, Some(&Name::root())) {
                Ok(name) => match self.transfer_key(&name) {
                    Ok(key) => Some(key),
                    Err(e) => {
                        tracing::error!(zone = %apex, error = %e, "secondary zone not served");
                        return;
                    }
                },
                Err(e) => {
                    tracing::error!(zone = %apex, key = %id, error = %e, "secondary zone not served: its key name is unreadable");
                    return;
                }
            },
            None => None,
        };
        match self.replicate_secondary(apex, &primaries, key) {
            Ok(()) => {
                tracing::info!(zone = %apex, primaries = ?primaries, "secondary zone created through the API: replicating")
            }
            Err(e) => tracing::error!(zone = %apex, error = %e, "secondary zone not served"),
        }
    }

    /// The TSIG key called `name`, from the configuration or the store.
    pub(super) fn transfer_key(&self, name: &Name) -> Result<Arc<Key>, ManageError> {
        match self.keys.get(name)? {
            Some((key, _)) => Ok(Arc::new(key)),
            None => Err(ManageError::UnknownKey(name.clone())),
        }
    }

    /// Replicates a secondary zone in every lane: NOTIFY accepted from its
    /// primaries' addresses, transfers out by `[zone_defaults]
    /// allow_transfer` (tiers of secondaries), no NOTIFY targets and no
    /// updates. On failure the lanes it reached forget it again.
    pub(super) fn replicate_secondary(
        &self,
        apex: &Name,
        primaries: &[SocketAddr],
        key: Option<Arc<Key>>,
    ) -> Result<(), String> {
        let apex = apex.to_lowercase();
        let mut allow_notify = Vec::with_capacity(primaries.len());
        for primary in primaries {
            allow_notify.push(answer::acl::parse_match_rule(&primary.ip().to_string())?);
        }
        let allow_notify = MatchList::compile(&allow_notify, &|_| None)?;
        for (done, lane) in self.lanes.iter().enumerate() {
            let policy = ZonePolicy {
                allow_transfer: self
                    .rules_in(&apex, lane.view.as_deref())
                    .policy
                    .allow_transfer
                    .clone(),
                allow_notify: Some(allow_notify.clone()),
                allow_update: None,
            };
            // The policy goes first, so a NOTIFY that arrives as soon as
            // the zone is known is judged by it.
            lane.replicator.update_served(|served| {
                served.policies.insert(apex.clone(), policy);
            });
            let added = lane.replicator.add_zone(ZoneSetup {
                apex: apex.clone(),
                role: RoleSetup::Secondary {
                    primaries: primaries.to_vec(),
                    key: key.clone(),
                },
                notify: Vec::new(),
                notify_key: None,
                notify_ns: false,
                catalog: None,
            });
            if let Err(e) = added {
                // Only the lanes where the add succeeded: in lane `done`
                // nothing was added, and forgetting there would drop
                // whatever zone of that name it already had.
                for lane in &self.lanes[..done] {
                    lane.replicator.forget_zone(&apex);
                    lane.replicator.update_served(|served| {
                        served.policies.remove(&apex);
                    });
                }
                return Err(format!("zone {apex}{}: {e}", in_view(lane.view.as_deref())));
            }
        }
        Ok(())
    }

    /// Creates a secondary zone (PowerDNS kind `Slave`): its row in the
    /// store with its settings, then replication in every lane, which
    /// transfers it from `new.primaries` at once. Refused — with nothing
    /// written and no replication started — for a name the configuration
    /// serves, a name in the store, or a key that does not exist.
    pub async fn create_secondary(
        self: &Arc<Self>,
        new: api::convert::secondary::NewSecondary,
        now: u64,
    ) -> Result<(), ManageError> {
        let apex = new.name.to_lowercase();
        if let Some(why) = self
            .configured(&apex)
            .or_else(|| self.catalog_member(&apex))
        {
            return Err(ManageError::Configured { zone: apex, why });
        }
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        blocking(move || {
            let key = match &new.key {
                Some(name) => Some(this.transfer_key(name)?),
                None => None,
            };
            this.store
                .create_secondary_zone(&apex, &new.settings, now)?;
            if let Err(e) = this.replicate_secondary(&apex, &new.primaries, key) {
                // Refused after all: the store goes back to what it was.
                let undone = this.store.delete_zone(&apex);
                tracing::error!(zone = %apex, undone = undone.is_ok(), "secondary zone stored but not replicated: {e}");
                return Err(ManageError::Internal(format!(
                    "zone {apex} cannot be replicated, so it was not created: {e}"
                )));
            }
            tracing::info!(zone = %apex, primaries = ?new.primaries, "secondary zone created; transferring it");
            Ok(())
        })
        .await
    }
}
