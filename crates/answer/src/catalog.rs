//! The set of zones a server answers for, found by longest suffix match.

use std::hash::BuildHasher;
use std::sync::Arc;

use hashbrown::HashTable;
use wire::Name;
use wire::name::{label_count, suffix_wire};
use zone::Zone;

/// Zones keyed by apex. Cloning is cheap (the zones are shared), which is
/// how a new version of one zone is published: clone, replace, swap.
#[derive(Clone, Default)]
pub struct Catalog {
    zones: HashTable<Arc<Zone>>,
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
        let key = zone.apex().as_wire().to_vec();
        let old = self.remove(zone.apex());
        let hash = self.hasher.hash_one(&key[..]);
        let hasher = self.hasher.clone();
        self.zones
            .insert_unique(hash, zone, |z| hasher.hash_one(z.apex().as_wire()));
        self.recount();
        old
    }

    /// Removes the zone with this apex.
    pub fn remove(&mut self, apex: &Name) -> Option<Arc<Zone>> {
        let key = apex.to_lowercase();
        let hash = self.hasher.hash_one(key.as_wire());
        let removed = self
            .zones
            .find_entry(hash, |z| z.apex().as_wire() == key.as_wire())
            .ok()
            .map(|entry| entry.remove().0);
        if removed.is_some() {
            self.recount();
        }
        removed
    }

    fn recount(&mut self) {
        self.min_labels = self
            .zones
            .iter()
            .map(|z| z.apex().label_count())
            .min()
            .unwrap_or(0);
        self.max_labels = self
            .zones
            .iter()
            .map(|z| z.apex().label_count())
            .max()
            .unwrap_or(0);
    }

    /// The zone with exactly this apex.
    pub fn get(&self, apex: &Name) -> Option<&Arc<Zone>> {
        let key = apex.to_lowercase();
        self.get_wire(key.as_wire())
    }

    #[inline]
    fn get_wire(&self, apex: &[u8]) -> Option<&Arc<Zone>> {
        let hash = self.hasher.hash_one(apex);
        self.zones.find(hash, |z| z.apex().as_wire() == apex)
    }

    /// The deepest zone containing `qname` (lower-case wire form).
    #[inline]
    pub fn find(&self, qname: &[u8]) -> Option<&Arc<Zone>> {
        if self.zones.is_empty() {
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
            if let Some(zone) = self.get_wire(candidate) {
                return Some(zone);
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
    pub fn find_parent(&self, apex: &[u8]) -> Option<&Arc<Zone>> {
        if apex.len() <= 1 {
            return None;
        }
        self.find(&apex[1 + apex[0] as usize..])
    }

    /// Every zone, in no particular order.
    pub fn zones(&self) -> impl Iterator<Item = &Arc<Zone>> {
        self.zones.iter()
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Whether there are no zones.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }
}
