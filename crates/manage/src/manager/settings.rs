//! A store zone's settings: read for the settings page, and saved at once
//! — the SOA as one RRset change (journaled, serial bumped, IXFR and
//! NOTIFY as for any change) and the zone's own rules, in one store
//! transaction, then the merged rules swapped into every lane before the
//! change is published, so the NOTIFY of that change already goes to the
//! new targets and the next transfer or update request meets the new ACLs.

use super::*;
use crate::settings::{
    CheckedSettings, ConfiguredText, FALLBACK_TTL, FieldMessage, SettingsInput, SoaFields, check,
    merge,
};

/// What the settings page shows of a store zone.
#[derive(Clone, Debug)]
pub struct SettingsView {
    /// The SOA's editable fields.
    pub soa: SoaFields,
    /// The SOA's serial (the server's, not editable).
    pub serial: u32,
    /// The serial policy in the store.
    pub serial_policy: store::SerialPolicy,
    /// The zone's own rules as stored.
    pub options: store::ZoneOptions,
    /// Which keys the configuration writes (read-only on the page).
    pub written: config::WrittenKeys,
    /// The configuration's values, as the file spells them.
    pub configured: ConfiguredText,
    /// The TTL new records get: the zone's default TTL, else
    /// [`FALLBACK_TTL`].
    pub default_ttl: u32,
    /// What is legal but unwise in the SOA (RFC 1912).
    pub warnings: Vec<FieldMessage>,
}

/// What a save did.
#[derive(Clone, Debug)]
pub struct SettingsSaved {
    /// The SOA change, when the SOA's fields changed (serial from → to).
    pub applied: Option<Applied>,
    /// What is legal but unwise in the SOA saved.
    pub warnings: Vec<FieldMessage>,
}

/// Why settings were not saved; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Fields that do not read, each with its message.
    #[error("{}", .0.iter().map(|m| format!("{}: {}", m.field.id(), m.text)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldMessage>),
    /// The zone is not a primary zone of the store, or the store refused.
    #[error(transparent)]
    Manage(#[from] ManageError),
}

impl From<WriteError> for SettingsError {
    fn from(error: WriteError) -> SettingsError {
        SettingsError::Manage(error.into())
    }
}

impl Manager {
    /// A TSIG key by name: the configuration's, else the store's.
    pub(super) fn key(&self, name: &Name) -> Option<Arc<Key>> {
        match self.keys.get(name) {
            Ok(found) => found.map(|(key, _)| Arc::new(key)),
            Err(e) => {
                tracing::warn!(key = %name, error = %e, "cannot read the store's TSIG keys");
                None
            }
        }
    }

    /// The rules a store zone is served with in view `view`: the
    /// configuration's, with the zone's own `options` where the
    /// configuration writes nothing ([`crate::settings::merge`]).
    pub fn merged_rules(
        &self,
        zone: &Name,
        view: Option<&str>,
        options: &store::ZoneOptions,
    ) -> ZoneRules {
        let rules = self.rules.load();
        merge(zone, rules.rules_in(zone, view), options, &|name| {
            self.key(name)
        })
    }

    /// The TTL new records of `zone` get: its default TTL, else
    /// [`FALLBACK_TTL`]. One indexed read.
    pub fn default_ttl(&self, zone: &Name) -> u32 {
        self.store
            .apex_settings(zone)
            .ok()
            .flatten()
            .and_then(|a| a.options.default_ttl)
            .unwrap_or(FALLBACK_TTL)
    }

    /// What the settings page shows of a primary store zone. Reads the
    /// zone's row and apex SOA only. Call from a blocking thread.
    pub fn zone_settings(&self, zone: &Name) -> Result<SettingsView, ManageError> {
        self.check_writable(zone)?;
        let apex = self
            .store
            .apex_settings(zone)?
            .ok_or_else(|| WriteError::NoSuchZone(zone.clone()))?;
        if apex.kind == store::ZoneKind::Slave {
            return Err(WriteError::Secondary(zone.to_lowercase()).into());
        }
        let (soa, serial) = SoaFields::from_rdata(&apex.soa)
            .ok_or_else(|| ManageError::Internal(format!("{zone} has no readable SOA record")))?;
        let rules = self.rules(zone);
        Ok(SettingsView {
            warnings: soa.warnings(),
            soa,
            serial,
            serial_policy: apex.serial_policy,
            default_ttl: apex.options.default_ttl.unwrap_or(FALLBACK_TTL),
            options: apex.options,
            written: rules.written,
            configured: rules.configured,
        })
    }

    /// Checks `input` and saves it at once: the zone's own rules and
    /// serial policy, and the SOA as one RRset change when its fields
    /// differ (the store bumps the serial by the zone's policy), in one
    /// transaction under the write lock; then the merged rules in every
    /// lane (NOTIFY targets and keys in place, transfer and update ACLs
    /// for the next request), the SOA change published (IXFR journal,
    /// NOTIFY), and the catalog rebuilt if the group changed. The cost is
    /// the zone's row and one RRset, whatever the zone's size (except a
    /// group change, which rebuilds the catalog from the zone list).
    pub async fn save_settings(
        self: &Arc<Self>,
        zone: &Name,
        input: SettingsInput,
        meta: ChangeMeta,
    ) -> Result<SettingsSaved, SettingsError> {
        self.check_writable(zone)?;
        let _writer = self.writes.lock().await;
        let this = Arc::clone(self);
        let zone = zone.to_lowercase();
        // Inside `Manager::audited`, the event commits with the settings.
        let audit = super::take_audit();
        tokio::task::spawn_blocking(move || match audit {
            Some((store, event)) => {
                store.audited(event, || this.save_settings_now(&zone, &input, &meta))
            }
            None => this.save_settings_now(&zone, &input, &meta),
        })
        .await
        .map_err(|e| ManageError::Internal(format!("a store task failed: {e}")))?
    }

    /// [`Manager::save_settings`] on the blocking thread, under the lock.
    fn save_settings_now(
        &self,
        zone: &Name,
        input: &SettingsInput,
        meta: &ChangeMeta,
    ) -> Result<SettingsSaved, SettingsError> {
        let apex = self
            .store
            .apex_settings(zone)
            .map_err(ManageError::from)?
            .ok_or_else(|| ManageError::from(WriteError::NoSuchZone(zone.clone())))?;
        if apex.kind == store::ZoneKind::Slave {
            return Err(ManageError::from(WriteError::Secondary(zone.clone())).into());
        }
        let rules = self.rules(zone);
        let key_exists = |name: &Name| self.key(name).is_some();
        let CheckedSettings {
            soa,
            serial_policy,
            options,
        } = check(input, &apex.options, rules.written, &key_exists)
            .map_err(SettingsError::Invalid)?;
        let (old_soa, serial) = SoaFields::from_rdata(&apex.soa)
            .ok_or_else(|| ManageError::Internal(format!("{zone} has no readable SOA record")))?;
        // The SOA is replaced only when a field changed: a save of the
        // rules alone moves no serial. The store puts the next serial in.
        let change = (soa != old_soa).then(|| ChangeSet {
            changes: vec![RrsetChange {
                name: zone.clone(),
                rtype: Rtype::SOA,
                op: RrsetOp::Replace {
                    ttl: apex.soa_ttl.unwrap_or(FALLBACK_TTL),
                    records: vec![RecordInput {
                        rdata: soa.to_rdata(serial),
                        content: None,
                        disabled: false,
                    }],
                },
                comments: None,
            }],
        });
        let group_changed = options.catalog_group != apex.options.catalog_group;
        // A serial policy hadns.toml writes is the one a save leaves in
        // the store, whatever the API set since.
        let serial_policy = if rules.written.serial_policy {
            Some(rules.serial_policy)
        } else {
            serial_policy
        };
        let settings = store::SettingsChange {
            serial_policy,
            options: Some(options.clone()),
            ..store::SettingsChange::default()
        };
        let applied = self
            .store
            .update_zone(zone, &settings, change.as_ref(), meta)
            .map_err(ManageError::from)?;
        self.apply_rules(zone, &options);
        if let Some(applied) = &applied {
            self.publish_committed(None, applied);
        }
        if group_changed {
            self.refresh_catalog();
        }
        tracing::info!(zone = %zone, author = %meta.author, serial = applied.as_ref().map(|a| a.to.0), "zone settings saved");
        Ok(SettingsSaved {
            applied,
            warnings: soa.warnings(),
        })
    }

    /// Puts a store zone's merged rules into every lane serving it: NOTIFY
    /// targets and keys in the replicator's zone state (read afresh at
    /// each NOTIFY), transfer and update ACLs in the served policies.
    fn apply_rules(&self, zone: &Name, options: &store::ZoneOptions) {
        for lane in &self.lanes {
            let view = lane.view.as_deref();
            let rules = self.merged_rules(zone, view, options);
            let replicator = &lane.replicator;
            if replicator.current(zone).is_none() {
                // Not served here (a disabled SOA): it gets its rules when
                // it is served again.
                continue;
            }
            if let Err(e) = replicator.reconfigure_zone(setup_for(zone, &rules)) {
                tracing::error!(zone = %zone, view, error = %e, "new NOTIFY targets not taken");
            }
            let policy = rules.policy;
            let key = zone.to_lowercase();
            replicator.update_served(|served| {
                served.policies.insert(key, policy);
            });
        }
    }
}
