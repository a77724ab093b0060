//! A lane: one served state (one view's, or the node's only one) with the
//! replicator that publishes it, and reloading what it serves from zone
//! files (SIGHUP, `hadns ctl reload`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use answer::Served;
use arc_swap::ArcSwap;
use replicate::driver::{PrimaryOutcome, Replicator, ZoneSetup};

use crate::zones::{self, Source, ZoneSpec};

/// A zone kept in step with its secondaries (or its primaries).
pub struct Replicated {
    /// How it replicates.
    pub setup: ZoneSetup,
    /// For a primary, the zone file it is read from.
    pub file: Option<PathBuf>,
}

/// One served state with the replicator that publishes it: the node's
/// only one without views, else one per view.
pub struct Lane {
    /// The view's name; `None` for the default view.
    pub view: Option<String>,
    /// What its queries are answered from.
    pub state: Arc<ArcSwap<Served>>,
    /// Its zones' replication.
    pub replicator: Arc<Replicator>,
    /// Its file-backed and secondary zones (for reloads).
    pub replicated: Vec<Replicated>,
}

/// What a reload (SIGHUP or `hadns ctl reload`) re-reads.
pub struct Reloader {
    /// Zones served as read (files, built-in), in every lane.
    pub static_zones: Vec<ZoneSpec>,
    /// The lanes whose file-backed zones are re-read.
    pub lanes: Arc<Vec<Lane>>,
}

impl Reloader {
    /// Re-reads every file-backed zone. A zone that fails keeps its current
    /// snapshot and the failure is logged; the others are replaced, their
    /// changes journaled and announced by NOTIFY.
    pub fn reload(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for lane in self.lanes.iter() {
            for spec in self.static_zones.iter().filter(|s| {
                matches!(s.source, Source::File(_))
                    && !lane.replicated.iter().any(|r| r.setup.apex == s.origin)
            }) {
                match load_logged(spec) {
                    Ok(zone) => lane.replicator.publish(&spec.origin, Some(Arc::new(zone))),
                    Err(e) => {
                        tracing::error!(zone = %spec.origin, "reload failed, keeping the loaded copy: {e}");
                        failures.push(e);
                    }
                }
            }
            for zone in lane.replicated.iter().filter(|r| r.file.is_some()) {
                let spec = ZoneSpec {
                    origin: zone.setup.apex.clone(),
                    source: Source::File(zone.file.clone().expect("filtered")),
                };
                if let Err(e) = load_primary(&lane.replicator, &spec) {
                    tracing::error!(zone = %spec.origin, view = lane.view.as_deref().unwrap_or("-"), "reload failed, keeping the loaded copy: {e}");
                    failures.push(e);
                }
            }
        }
        crate::memory::release_free_memory();
        tracing::info!(failed = failures.len(), "reload done");
        failures
    }
}

/// Loads a zone, logging its warnings; the error text lists every reason.
pub(crate) fn load_logged(spec: &ZoneSpec) -> Result<zone::Zone, String> {
    let started = Instant::now();
    match zones::load(spec) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                tracing::warn!(zone = %spec.origin, "{warning}");
            }
            tracing::info!(
                zone = %spec.origin,
                serial = loaded.zone.serial().0,
                records = loaded.zone.record_count(),
                heap_kib = loaded.zone.heap_bytes() / 1024,
                elapsed_ms = started.elapsed().as_millis() as u64,
                source = %spec.source,
                "zone loaded"
            );
            Ok(loaded.zone)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Loads a primary zone file and hands it to the replicator, which
/// journals the difference and sends NOTIFYs.
pub(crate) fn load_primary(replicator: &Arc<Replicator>, spec: &ZoneSpec) -> Result<(), String> {
    let zone = load_logged(spec)?;
    match replicator.primary_loaded(&spec.origin, zone) {
        Ok(PrimaryOutcome::Published(serial)) => {
            tracing::info!(zone = %spec.origin, serial = serial.0, "zone published");
            Ok(())
        }
        Ok(PrimaryOutcome::Unchanged(serial)) => {
            tracing::info!(zone = %spec.origin, serial = serial.0, "zone unchanged");
            Ok(())
        }
        Err(e) => Err(format!("zone {}: {e}", spec.origin)),
    }
}
