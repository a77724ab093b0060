//! Consuming catalog zones (RFC 9432): each `[[catalog_consumer]]`'s
//! catalog is an ordinary secondary zone of the lane; this module turns
//! its member set into secondary zones of their own.
//!
//! ```text
//!  catalog transferred in ─► Replicator::publish_copy ─► watch channel
//!        │                                                  │
//!  load: the persisted copy ──────────────┐                 ▼
//!                                         ▼       Consumer::reconcile (this task)
//!                      replicate::catalog::members ─► Err: keep the last good set, log why
//!                                         │ Ok
//!                      replicate::catalog::changes(owned, new)
//!                        removed ─► Replicator::forget_zone (journal, copy, timers deleted)
//!                        added   ─► claimed elsewhere? log, skip
//!                                   else policy + Replicator::add_zone (secondary of the template)
//! ```
//!
//! The parsing and the difference are pure (`replicate::catalog`); this is
//! the glue. A member keeps its first owner: a zone configured in
//! `[[zone]]`, kept in the store, built in, or already provisioned from
//! another catalog is not taken over (logged each time the catalog
//! changes, so an operator sees it).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use answer::ZonePolicy;
use answer::acl::MatchList;
use replicate::catalog::{self, Member};
use replicate::driver::{Replicator, RoleSetup, ZoneSetup};
use wire::Name;
use wire::tsig::Key;
use zone::Zone;

/// Where the members of one group (or of none) transfer from.
#[derive(Clone, Debug)]
pub struct MemberTemplate {
    /// Primaries, in order of preference.
    pub primaries: Vec<SocketAddr>,
    /// Key for SOA queries and transfers.
    pub key: Option<Arc<Key>>,
    /// Who may NOTIFY the members (their primaries).
    pub allow_notify: MatchList,
}

/// One catalog zone this node consumes.
#[derive(Clone, Debug)]
pub struct CatalogConsumer {
    /// The catalog zone's apex (a secondary zone of the same lane).
    pub apex: Name,
    /// The template of members with no group, or a group not listed.
    pub template: MemberTemplate,
    /// Templates by group name.
    pub groups: HashMap<String, MemberTemplate>,
}

/// A consumer at work: what it has provisioned.
pub(crate) struct Consumer {
    setup: CatalogConsumer,
    replicator: Arc<Replicator>,
    /// The members this consumer provisioned (a subset of the last good
    /// member set: those no one else owned).
    owned: Mutex<Vec<Member>>,
}

impl Consumer {
    /// A consumer of `setup` in the lane of `replicator`, owning nothing yet.
    pub(crate) fn new(setup: CatalogConsumer, replicator: Arc<Replicator>) -> Consumer {
        Consumer {
            setup,
            replicator,
            owned: Mutex::new(Vec::new()),
        }
    }

    /// Provisions the members of the catalog's persisted copy, so a
    /// restarted node serves them from their own persisted copies at once.
    pub(crate) fn provision_saved(&self) {
        let copy = self.replicator.copy_of(&self.setup.apex);
        match copy {
            Some(zone) => self.reconcile(&zone),
            None => {
                tracing::info!(catalog = %self.setup.apex, "no saved copy of the catalog yet; members come with its first transfer")
            }
        }
    }

    /// Follows the catalog: each new copy is reconciled with what is
    /// provisioned. Ends when the replicator drops the watch.
    pub(crate) async fn run(self: Arc<Self>) {
        let mut receiver = self.replicator.watch(&self.setup.apex);
        loop {
            let zone = receiver.borrow_and_update().clone();
            if let Some(zone) = zone {
                // File work per member that changed (journals opened or
                // deleted), and a first version may list thousands: off
                // the I/O threads, one version at a time.
                let this = Arc::clone(&self);
                if let Err(e) = tokio::task::spawn_blocking(move || this.reconcile(&zone)).await {
                    tracing::error!(catalog = %self.setup.apex, error = %e, "applying a catalog version failed");
                }
            }
            if receiver.changed().await.is_err() {
                return;
            }
        }
    }

    /// Brings the provisioned members in line with one version of the
    /// catalog; a broken version changes nothing.
    fn reconcile(&self, zone: &Zone) {
        let apex = &self.setup.apex;
        let records: Vec<wire::Record> = zone.records().collect();
        let new = match catalog::members(apex, &records) {
            Ok(members) => members,
            Err(e) => {
                tracing::error!(catalog = %apex, serial = zone.serial().0, error = %e, "broken catalog; keeping its last good member set");
                return;
            }
        };
        let mut owned = self.owned.lock().unwrap_or_else(|p| p.into_inner());
        let changes = catalog::changes(&owned, &new);
        // Each change to the lane's served state copies its zone and
        // policy tables, so the members that come and go are handled in
        // batches: a few swaps per catalog version, not a few per member.
        let leaving: std::collections::HashSet<&Member> = changes.removed.iter().collect();
        owned.retain(|m| !leaving.contains(m));
        let mut forget = Vec::new();
        for member in &changes.removed {
            // Only a zone this catalog still owns: the name may since have
            // been taken by a zone kept in the store (which replaces a
            // member of the same name at start), and a catalog must never
            // remove what it does not own.
            let ours = self
                .replicator
                .status(&member.zone)
                .and_then(|s| s.catalog)
                .is_some_and(|owner| owner == *apex);
            if ours {
                tracing::info!(catalog = %apex, zone = %member.zone, "member left the catalog; zone removed with its files");
                forget.push(member.zone.clone());
            } else {
                tracing::info!(catalog = %apex, zone = %member.zone, "member left the catalog; the zone of that name is not this catalog's, left as it is");
            }
        }
        if !forget.is_empty() {
            self.replicator.forget_zones(&forget);
            self.replicator.update_served(|served| {
                for zone in &forget {
                    served.policies.remove(zone);
                }
            });
        }
        let mut policies = Vec::new();
        let mut setups = Vec::new();
        let mut joining = HashMap::new();
        for member in changes.added {
            if let Some(owner) = self.owner_elsewhere(&member.zone) {
                tracing::warn!(catalog = %apex, zone = %member.zone, owner, "member zone already served here; it keeps its first owner");
                continue;
            }
            let template = member
                .group
                .as_ref()
                .and_then(|g| self.setup.groups.get(g))
                .unwrap_or(&self.setup.template);
            policies.push((
                member.zone.clone(),
                ZonePolicy {
                    // Members are served, not passed on: no transfers out.
                    allow_transfer: MatchList::none(),
                    allow_notify: Some(template.allow_notify.clone()),
                    allow_update: None,
                },
            ));
            setups.push(ZoneSetup {
                apex: member.zone.clone(),
                role: RoleSetup::Secondary {
                    primaries: template.primaries.clone(),
                    key: template.key.clone(),
                },
                notify: Vec::new(),
                notify_key: None,
                notify_ns: false,
                catalog: Some(apex.clone()),
            });
            joining.insert(member.zone.clone(), member);
        }
        let mut added = 0usize;
        if !setups.is_empty() {
            // The policies go first, so a NOTIFY that arrives as soon as a
            // member is known is judged by its own.
            self.replicator.update_served(|served| {
                served.policies.extend(policies);
            });
            let mut failed = Vec::new();
            for (zone, outcome) in self.replicator.add_zones(setups) {
                let Some(member) = joining.remove(&zone) else {
                    continue;
                };
                match outcome {
                    Ok(()) => {
                        tracing::info!(catalog = %apex, zone = %member.zone, group = member.group.as_deref().unwrap_or("-"), "member zone added");
                        owned.push(member);
                        added += 1;
                    }
                    Err(e) => {
                        tracing::error!(catalog = %apex, zone = %member.zone, error = %e, "cannot add member zone");
                        failed.push(zone);
                    }
                }
            }
            if !failed.is_empty() {
                self.replicator.update_served(|served| {
                    for zone in &failed {
                        served.policies.remove(zone);
                    }
                });
            }
        }
        owned.sort();
        if added > 0 || !changes.removed.is_empty() {
            tracing::info!(catalog = %apex, serial = zone.serial().0, members = owned.len(), added, removed = changes.removed.len(), "catalog applied");
        }
    }

    /// Who already serves `zone` in this lane, if anyone: another
    /// catalog, a configured or store zone, or a built-in one.
    fn owner_elsewhere(&self, zone: &Name) -> Option<String> {
        if let Some(status) = self.replicator.status(zone) {
            return Some(match status.catalog {
                Some(catalog) => format!("catalog {catalog}"),
                None => format!("configured {} zone", status.role),
            });
        }
        if self.replicator.current(zone).is_some() || zone == &self.setup.apex {
            return Some("configured zone".to_string());
        }
        None
    }
}
