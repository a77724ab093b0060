//! The whole-zone work a primary's new versions call for, kept off the
//! write path: a store write publishes a version patched over the served
//! one ([`zone::Zone::apply`], O(change)), and a thread here builds the
//! zone whole again (with its answers compiled) once the writes pause,
//! lays over it whatever changed meanwhile, and publishes that. The dump
//! a store zone refreshes now and then is written by a thread too.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use zone::Zone;

use super::{Replicator, ZoneState, lock};

/// How long the writes must pause before a compaction starts, so a burst
/// of writes costs one compaction and does not share the CPU with it.
const COMPACT_AFTER: Duration = Duration::from_millis(300);

/// A patch of this many changed names is compacted even while writes go
/// on: each write re-derives the patch, so it must stay small.
const COMPACT_ANYWAY_AT: usize = 2_000;

impl Replicator {
    /// Starts the compaction of `state`'s zone, unless one is under way
    /// (it will see this version too).
    pub(super) fn compact_later(self: &Arc<Self>, state: &Arc<ZoneState>) {
        if state.compacting.swap(true, Ordering::SeqCst) {
            return;
        }
        let (this, zone) = (Arc::clone(self), Arc::clone(state));
        let started = std::thread::Builder::new()
            .name("zone-compact".into())
            .spawn(move || this.compact(zone));
        if let Err(e) = started {
            state.compacting.store(false, Ordering::SeqCst);
            tracing::warn!(zone = %state.apex, error = %e, "cannot start the compaction thread; the zone is served patched");
        }
    }

    /// Builds the zone whole until the copy held is no longer patched.
    fn compact(self: Arc<Self>, state: Arc<ZoneState>) {
        let mut seen = self.copy(&state);
        loop {
            std::thread::sleep(COMPACT_AFTER);
            if state.removed.load(Ordering::SeqCst) {
                break;
            }
            let Some(source) = self.copy(&state) else {
                break;
            };
            if !source.is_patched() {
                break;
            }
            let quiet = seen.as_ref().is_some_and(|seen| Arc::ptr_eq(seen, &source));
            if !quiet && source.patch_len() < COMPACT_ANYWAY_AT {
                // Writes still coming: wait for them to pause.
                seen = Some(source);
                continue;
            }
            let compacted = match source.compacted() {
                Ok(zone) => zone,
                Err(e) => {
                    tracing::error!(zone = %state.apex, error = %e, "cannot compact the zone; it stays patched");
                    break;
                }
            };
            // Compiled before the lock: usually nothing changed meanwhile
            // and this is what gets served.
            compacted.compile();
            let _version = lock(&state.version_lock);
            let Some(latest) = self.copy(&state) else {
                break;
            };
            let next = if Arc::ptr_eq(&latest, &source) {
                compacted
            } else {
                match latest.rebased(&source, compacted) {
                    Ok(zone) => zone,
                    // Replaced meanwhile by a version built whole.
                    Err(_) => continue,
                }
            };
            tracing::debug!(zone = %state.apex, serial = %next.serial(), patched = next.patch_len(), "zone compacted");
            let next = Arc::new(next);
            self.publish_copy_locked(&state, Arc::clone(&next));
            seen = Some(next);
        }
        state.compacting.store(false, Ordering::SeqCst);
        // A version published just before the flag dropped found it set.
        if self.copy(&state).is_some_and(|zone| zone.is_patched()) {
            self.compact_later(&state);
        }
    }

    /// Writes the zone's dump from a thread, unless one is being written
    /// (the next write asks again: the count since the last dump stays).
    pub(super) fn dump_later(self: &Arc<Self>, state: &Arc<ZoneState>, zone: Arc<Zone>) {
        if state.dumping.swap(true, Ordering::SeqCst) {
            return;
        }
        let (this, dumped) = (Arc::clone(self), Arc::clone(state));
        let started = std::thread::Builder::new()
            .name("zone-dump".into())
            .spawn(move || {
                this.write_dump(&dumped, &zone);
                dumped.dumping.store(false, Ordering::SeqCst);
            });
        if let Err(e) = started {
            state.dumping.store(false, Ordering::SeqCst);
            tracing::warn!(zone = %state.apex, error = %e, "cannot start the dump thread; dump skipped");
        }
    }
}
