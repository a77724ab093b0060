//! Reconfiguration without restart (SIGHUP, `hadns ctl reload`): a new
//! [`Definition`] of what the node serves is compared with the one it
//! runs, and only the difference is applied.
//!
//! ```text
//!  ConfigSource::reload ── re-read and validate the configuration ── error: nothing changed
//!        │ Definition
//!        ▼
//!  prepare: load the zone files that are new, moved or touched ── a new zone's file fails: nothing changed
//!        ▼
//!  commit: views' match lists swapped; per lane: settings, keys and rules
//!          in one swap of the served state; zones removed, added and
//!          reconfigured in place (Replicator::reconfigure_zone); files
//!          published (journal, NOTIFY)
//! ```
//!
//! A zone whose definition did not change is never unpublished: queries
//! for it are answered throughout. A zone file is re-read only when its
//! modification time, size or inode changed since it was last read, so a
//! reload costs what changed, not what the node serves.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use answer::view::{View, Views};
use answer::{Settings, ZonePolicy};
use arc_swap::ArcSwap;
use replicate::driver::{Reconfigured, RoleSetup};
use wire::Name;
use wire::tsig::Keyring;
use zone::Zone;

use crate::lane::{Lane, Replicated, load_logged, publish_primary};
use crate::zones::{Source, ZoneSpec};

/// What a node serves, as the configuration defines it: everything a
/// reload can change.
#[derive(Clone)]
pub struct Definition {
    /// Zones served as read in every lane (command-line and built-in zones).
    pub static_zones: Vec<ZoneSpec>,
    /// Answering settings (version, identity, NSID, EDNS size).
    pub settings: Settings,
    /// The TSIG keys every lane serves (the configuration's, and the
    /// store's when the node has one).
    pub keyring: Keyring,
    /// One per lane, in lane order.
    pub lanes: Vec<LaneDefinition>,
}

/// One lane's part of a [`Definition`].
#[derive(Clone)]
pub struct LaneDefinition {
    /// Its view (`None`: the node has no views).
    pub view: Option<View>,
    /// Its zones under replication from the configuration.
    pub replicated: Vec<Replicated>,
    /// Their access rules.
    pub policies: HashMap<Name, ZonePolicy>,
}

/// Re-reads what the node should serve; given to the node by the binary,
/// which knows where the configuration is and what else (the store's
/// rules) follows it.
pub trait ConfigSource: Send + Sync {
    /// Reads and validates the configuration and applies it through
    /// [`Reloader::apply`] (and to whatever else it drives). `Err` means
    /// nothing changed, and says why (a configuration error names its
    /// file and line); `Ok` lists what was done, for the operator.
    fn reload(&self, node: &Reloader) -> Result<Vec<String>, String>;
}

/// A zone file as last read: re-read only when one of these changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl FileStamp {
    fn of(path: &Path) -> Option<FileStamp> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode: meta.ino(),
        })
    }
}

/// Reloads a running node: SIGHUP and `hadns ctl reload` come here.
pub struct Reloader {
    lanes: Arc<Vec<Lane>>,
    views: Arc<ArcSwap<Views>>,
    source: Option<Arc<dyn ConfigSource>>,
    /// The definition running now; one reload at a time holds it.
    current: Mutex<Definition>,
    /// Each zone file as last read, by path.
    stamps: Mutex<HashMap<PathBuf, FileStamp>>,
}

/// The zone files of a definition as they are now, taken before they are
/// read at start.
#[derive(Default)]
pub struct FileStamps(HashMap<PathBuf, FileStamp>);

/// Stamps every zone file `definition` reads.
pub(crate) fn stamp_files(definition: &Definition) -> FileStamps {
    FileStamps(
        files_of(definition)
            .into_iter()
            .filter_map(|path| FileStamp::of(&path).map(|s| (path, s)))
            .collect(),
    )
}

/// What [`Reloader::apply`] read: a zone file's new contents (or why it
/// failed to load) and its stamp just before it was read, by lane (`None`
/// for a static zone, served in every lane), zone and file (one file may
/// serve two zones of different names).
type Loads =
    HashMap<(Option<usize>, Name, PathBuf), (Result<Arc<Zone>, String>, Option<FileStamp>)>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Reloader {
    /// A reloader for `lanes` running `current`, whose files were read
    /// when they had `stamps` ([`stamp_files`]).
    pub(crate) fn new(
        lanes: Arc<Vec<Lane>>,
        views: Arc<ArcSwap<Views>>,
        current: Definition,
        stamps: FileStamps,
        source: Option<Arc<dyn ConfigSource>>,
    ) -> Reloader {
        Reloader {
            lanes,
            views,
            source,
            current: Mutex::new(current),
            stamps: Mutex::new(stamps.0),
        }
    }

    /// Reloads: through the configuration source when the node has one,
    /// else by re-reading the zone files that changed. `Err`: nothing
    /// changed, and why.
    pub fn reload(&self) -> Result<Vec<String>, String> {
        let result = match &self.source {
            Some(source) => source.reload(self),
            None => {
                let current = lock(&self.current).clone();
                self.apply(current)
            }
        };
        crate::memory::release_free_memory();
        match &result {
            Ok(done) => tracing::info!(done = %done.join("; "), "reload done"),
            Err(e) => tracing::error!("reload refused, nothing changed: {e}"),
        }
        result
    }

    /// The definition running now.
    pub fn current(&self) -> Definition {
        lock(&self.current).clone()
    }

    /// Makes `next` the running definition. Views may change their match
    /// lists but not their names or order (each view's zones live in its
    /// own lane, journals and copies; see docs/configuration.md). Every
    /// zone file that is new, moved, or changed on disk is read first; if
    /// a zone that is new or redefined fails to load, nothing changes. A
    /// zone whose definition is unchanged but whose file no longer loads
    /// keeps serving what it served, and is reported.
    pub fn apply(&self, next: Definition) -> Result<Vec<String>, String> {
        let mut current = lock(&self.current);
        let names = |d: &Definition| -> Vec<Option<String>> {
            d.lanes
                .iter()
                .map(|l| l.view.as_ref().map(|v| v.name.clone()))
                .collect()
        };
        if names(&current) != names(&next) || next.lanes.len() != self.lanes.len() {
            return Err(format!(
                "the views changed (now {:?}, configured {:?}): adding, removing, renaming or reordering a [[view]] needs a restart",
                names(&current).into_iter().flatten().collect::<Vec<_>>(),
                names(&next).into_iter().flatten().collect::<Vec<_>>()
            ));
        }

        // Prepare: read every file that must be read, changing nothing.
        let old_stamps = lock(&self.stamps).clone();
        let mut loads: Loads = HashMap::new();
        let mut refused = Vec::new();
        let mut load =
            |lane: Option<usize>, spec: &ZoneSpec, path: &Path, forced: bool| -> Option<String> {
                // Taken before the read: a write during it is seen next time.
                let stamp = FileStamp::of(path);
                let unchanged = stamp.is_some() && old_stamps.get(path) == stamp.as_ref();
                let key = (lane, spec.origin.to_lowercase(), path.to_path_buf());
                if (unchanged && !forced) || loads.contains_key(&key) {
                    return None;
                }
                let result = load_logged(spec).map(Arc::new);
                let error = result.as_ref().err().cloned();
                loads.insert(key, (result, stamp));
                error
            };
        for spec in &next.static_zones {
            let Source::File(path) = &spec.source else {
                continue;
            };
            let known = current
                .static_zones
                .iter()
                .any(|s| s.origin == spec.origin && same_source(&s.source, &spec.source));
            if let Some(e) = load(None, spec, path, !known)
                && !known
            {
                refused.push(e);
            }
        }
        for (index, (old_lane, lane)) in current.lanes.iter().zip(&next.lanes).enumerate() {
            for zone in &lane.replicated {
                let Some(path) = &zone.file else { continue };
                let old = old_lane
                    .replicated
                    .iter()
                    .find(|r| r.setup.apex == zone.setup.apex);
                let known = old.is_some_and(|o| {
                    o.file.as_ref() == Some(path) && same_role(&o.setup.role, &zone.setup.role)
                });
                let spec = ZoneSpec {
                    origin: zone.setup.apex.clone(),
                    source: Source::File(path.clone()),
                };
                if let Some(e) = load(Some(index), &spec, path, !known)
                    && !known
                {
                    refused.push(e);
                }
            }
        }
        if !refused.is_empty() {
            return Err(refused.join("\n"));
        }

        // Each file's stamp as it was when last read whole; one that
        // failed to load is read again next time, whatever its stamp.
        let mut stamps: HashMap<PathBuf, FileStamp> = HashMap::new();
        let mut failed: HashSet<PathBuf> = HashSet::new();
        for ((_, _, path), (result, stamp)) in &loads {
            match (result, stamp) {
                (Ok(_), Some(stamp)) => {
                    stamps.insert(path.clone(), *stamp);
                }
                _ => {
                    failed.insert(path.clone());
                }
            }
        }
        for path in files_of(&next) {
            if !stamps.contains_key(&path)
                && !failed.contains(&path)
                && let Some(stamp) = old_stamps.get(&path)
            {
                stamps.insert(path, *stamp);
            }
        }
        for path in &failed {
            stamps.remove(path);
        }

        // Commit.
        let mut done = Vec::new();
        let mut failures = Vec::new();
        self.views.store(Arc::new(Views::new(
            next.lanes.iter().filter_map(|l| l.view.clone()).collect(),
        )));
        let (mut added, mut removed, mut changed, mut reread) = (0, 0, 0, 0);
        for (index, ((lane, old), new)) in self
            .lanes
            .iter()
            .zip(&current.lanes)
            .zip(&next.lanes)
            .enumerate()
        {
            let replicator = &lane.replicator;
            // Settings, keys and every configured zone's rules in one swap.
            replicator.update_served(|served| {
                served.settings = next.settings.clone();
                served.keyring = next.keyring.clone();
                for name in old.policies.keys() {
                    if !new.policies.contains_key(name) {
                        served.policies.remove(name);
                    }
                }
                for (name, policy) in &new.policies {
                    served.policies.insert(name.clone(), policy.clone());
                }
            });
            // Zones the configuration no longer has; their files stay in
            // the data directory, as BIND leaves them.
            for zone in &old.replicated {
                if !new
                    .replicated
                    .iter()
                    .any(|r| r.setup.apex == zone.setup.apex)
                {
                    replicator.remove_zone(&zone.setup.apex);
                    removed += 1;
                    tracing::info!(zone = %zone.setup.apex, view = lane.view.as_deref().unwrap_or("-"), "zone removed by reload");
                }
            }
            let replicated: HashSet<&Name> = new.replicated.iter().map(|r| &r.setup.apex).collect();
            for spec in &current.static_zones {
                let kept = next.static_zones.iter().any(|s| s.origin == spec.origin);
                if !kept && !replicated.contains(&spec.origin) {
                    replicator.remove_zone(&spec.origin);
                    removed += 1;
                }
            }
            for zone in &new.replicated {
                match replicator.reconfigure_zone(zone.setup.clone()) {
                    Ok(Reconfigured::Added) => added += 1,
                    Ok(Reconfigured::Replaced | Reconfigured::Updated) => changed += 1,
                    Ok(Reconfigured::Unchanged) => {}
                    Err(e) => {
                        failures.push(format!("zone {}: {e}", zone.setup.apex));
                        continue;
                    }
                }
                if let Some(path) = &zone.file
                    && let Some((loaded, _)) =
                        loads.remove(&(Some(index), zone.setup.apex.to_lowercase(), path.clone()))
                {
                    match loaded.map(|zone| Arc::try_unwrap(zone).map_err(|_| ())) {
                        Ok(Ok(loaded)) => {
                            match publish_primary(replicator, &zone.setup.apex, loaded) {
                                Ok(()) => reread += 1,
                                Err(e) => failures.push(e),
                            }
                        }
                        // Never: each lane's zone is read for that lane alone.
                        Ok(Err(())) => {
                            failures.push(format!("zone {}: loaded twice", zone.setup.apex))
                        }
                        Err(e) => {
                            failures.push(format!("{e} (still serving the copy loaded before)"))
                        }
                    }
                }
            }
            // A view's own zone of the same name wins over a static one.
            for spec in next
                .static_zones
                .iter()
                .filter(|s| !replicated.contains(&s.origin))
            {
                let known = current.static_zones.iter().any(|s| s.origin == spec.origin);
                match &spec.source {
                    Source::File(path) => match loads
                        .get(&(None, spec.origin.to_lowercase(), path.clone()))
                        .map(|(loaded, _)| loaded)
                    {
                        Some(Ok(zone)) => {
                            replicator.publish(&spec.origin, Some(Arc::clone(zone)));
                            zone.compile();
                            reread += 1;
                        }
                        Some(Err(e)) => {
                            failures.push(format!("{e} (still serving the copy loaded before)"))
                        }
                        None => {}
                    },
                    Source::Embedded(..) if !known => match load_logged(spec) {
                        Ok(zone) => {
                            let zone = Arc::new(zone);
                            replicator.publish(&spec.origin, Some(Arc::clone(&zone)));
                            zone.compile();
                            added += 1;
                        }
                        Err(e) => failures.push(e),
                    },
                    Source::Embedded(..) => {}
                }
            }
        }
        *lock(&self.stamps) = stamps;
        *current = next;
        done.push(format!(
            "zones added {added}, removed {removed}, reconfigured {changed}; zone files re-read {reread}"
        ));
        for failure in &failures {
            tracing::error!("reload failed: {failure}");
        }
        done.extend(failures.iter().map(|f| format!("failed: {f}")));
        Ok(done)
    }
}

/// Every zone file a definition reads.
fn files_of(definition: &Definition) -> Vec<PathBuf> {
    let statics = definition
        .static_zones
        .iter()
        .filter_map(|s| match &s.source {
            Source::File(path) => Some(path.clone()),
            Source::Embedded(..) => None,
        });
    let replicated = definition
        .lanes
        .iter()
        .flat_map(|l| l.replicated.iter().filter_map(|r| r.file.clone()));
    statics.chain(replicated).collect()
}

fn same_source(a: &Source, b: &Source) -> bool {
    match (a, b) {
        (Source::File(a), Source::File(b)) => a == b,
        (Source::Embedded(a, _), Source::Embedded(b, _)) => a == b,
        _ => false,
    }
}

fn same_role(a: &RoleSetup, b: &RoleSetup) -> bool {
    matches!(
        (a, b),
        (RoleSetup::Primary { .. }, RoleSetup::Primary { .. })
            | (RoleSetup::Secondary { .. }, RoleSetup::Secondary { .. })
    )
}
