//! The set of zones a server answers for, found by longest suffix match.

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use wire::Name;
use wire::name::{label_count, suffix_wire};
use zone::Zone;

use crate::stats::ZoneCounters;

/// A zone we are authoritative for, with or without data to answer from.
#[derive(Clone)]
pub struct Entry {
    apex: Name,
    zone: Option<Arc<Zone>>,
    /// Query counters, carried from version to version of the zone.
    counters: Arc<ZoneCounters>,
}

impl Entry {
    /// The apex (lower case).
    pub fn apex(&self) -> &Name {
        &self.apex
    }

    /// The snapshot, or `None` when the zone cannot be served: a secondary
    /// that has no copy yet, or whose copy expired (answered SERVFAIL).
    pub fn zone(&self) -> Option<&Arc<Zone>> {
        self.zone.as_ref()
    }

    /// The zone's query counters (BIND's `zone-statistics`).
    pub fn counters(&self) -> &Arc<ZoneCounters> {
        &self.counters
    }
}

/// Zones keyed by apex. Cloning is cheap (the zones are shared), which is
/// how a new version of one zone is published: clone, replace, swap.
#[derive(Clone, Default)]
pub struct Catalog {
    entries: HashTable<Entry>,
    hasher: foldhash::fast::RandomState,
    /// Fewest and most labels of any apex, so a lookup probes only the
    /// suffixes that could be an apex.
    min_labels: usize,
    max_labels: usize,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// Adds or replaces the zone with the same apex; returns the old one.
    pub fn insert(&mut self, zone: Arc<Zone>) -> Option<Arc<Zone>> {
        let apex = zone.apex().clone();
        self.put(apex, Some(zone))
    }

    /// Marks `apex` as ours but without data (SERVFAIL until a copy
    /// arrives); returns the snapshot it replaces.
    pub fn insert_unavailable(&mut self, apex: &Name) -> Option<Arc<Zone>> {
        self.put(apex.to_lowercase(), None)
    }

    /// Puts `zone` under `apex`, keeping the counters of the entry it
    /// replaces: a new serial is the same zone to an operator's graphs.
    fn put(&mut self, apex: Name, zone: Option<Arc<Zone>>) -> Option<Arc<Zone>> {
        let (old, counters) = match self.take(&apex) {
            Some(entry) => (entry.zone, entry.counters),
            None => (None, ZoneCounters::new()),
        };
        let entry = Entry {
            apex,
            zone,
            counters,
        };
        let hash = self.hasher.hash_one(entry.apex.as_wire());
        let hasher = self.hasher.clone();
        self.entries
            .insert_unique(hash, entry, |e| hasher.hash_one(e.apex.as_wire()));
        self.recount();
        old
    }

    /// Removes the zone with this apex.
    pub fn remove(&mut self, apex: &Name) -> Option<Arc<Zone>> {
        self.take(apex).and_then(|e| e.zone)
    }

    /// Removes and returns the entry with this apex.
    fn take(&mut self, apex: &Name) -> Option<Entry> {
        let key = apex.to_lowercase();
        let hash = self.hasher.hash_one(key.as_wire());
        let removed = self
            .entries
            .find_entry(hash, |e| e.apex.as_wire() == key.as_wire())
            .ok()
            .map(|entry| entry.remove().0);
        if removed.is_some() {
            self.recount();
        }
        removed
    }

    fn recount(&mut self) {
        self.min_labels = self
            .entries
            .iter()
            .map(|e| e.apex.label_count())
            .min()
            .unwrap_or(0);
        self.max_labels = self
            .entries
            .iter()
            .map(|e| e.apex.label_count())
            .max()
            .unwrap_or(0);
    }

    /// The snapshot of the zone with exactly this apex, when it has one.
    pub fn get(&self, apex: &Name) -> Option<&Arc<Zone>> {
        let key = apex.to_lowercase();
        self.entry_wire(key.as_wire()).and_then(|e| e.zone.as_ref())
    }

    #[inline]
    fn entry_wire(&self, apex: &[u8]) -> Option<&Entry> {
        let hash = self.hasher.hash_one(apex);
        self.entries.find(hash, |e| e.apex.as_wire() == apex)
    }

    /// The deepest zone containing `qname` (lower-case wire form).
    #[inline]
    pub fn find(&self, qname: &[u8]) -> Option<&Entry> {
        if self.entries.is_empty() {
            return None;
        }
        let labels = label_count(qname);
        let top = labels.min(self.max_labels);
        let mut candidate = suffix_wire(qname, top);
        let mut count = top;
        loop {
            if count < self.min_labels {
                return None;
            }
            if let Some(entry) = self.entry_wire(candidate) {
                return Some(entry);
            }
            if count == 0 {
                return None;
            }
            candidate = &candidate[1 + candidate[0] as usize..];
            count -= 1;
        }
    }

    /// The deepest zone strictly above `apex` (for DS at a child apex,
    /// which the parent answers: RFC 4035 §3.1.4.1).
    pub fn find_parent(&self, apex: &[u8]) -> Option<&Entry> {
        if apex.len() <= 1 {
            return None;
        }
        self.find(&apex[1 + apex[0] as usize..])
    }

    /// Every zone with data, in no particular order.
    pub fn zones(&self) -> impl Iterator<Item = &Arc<Zone>> {
        self.entries.iter().filter_map(|e| e.zone.as_ref())
    }

    /// Every entry, with or without data.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Number of zones (with or without data).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no zones.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
