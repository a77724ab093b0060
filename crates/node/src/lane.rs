//! A lane: one served state (one view's, or the node's only one) with the
//! replicator that publishes it, and loading primary zone files into it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use answer::Served;
use arc_swap::ArcSwap;
use replicate::driver::{PrimaryOutcome, Replicator, ZoneSetup};

use crate::zones::{self, ZoneSpec};

/// A zone kept in step with its secondaries (or its primaries).
#[derive(Clone)]
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
    /// Its Response Rate Limiting, when on (UDP only; set at start).
    pub rrl: Option<Arc<answer::rrl::Limiter>>,
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
    publish_primary(replicator, &spec.origin, load_logged(spec)?)
}

/// Hands a primary zone's new version to the replicator, which journals
/// the difference and sends NOTIFYs.
pub(crate) fn publish_primary(
    replicator: &Arc<Replicator>,
    apex: &wire::Name,
    zone: zone::Zone,
) -> Result<(), String> {
    let spec_origin = apex;
    match replicator.primary_loaded(spec_origin, zone) {
        Ok(PrimaryOutcome::Published(serial)) => {
            tracing::info!(zone = %spec_origin, serial = serial.0, "zone published");
            Ok(())
        }
        Ok(PrimaryOutcome::Unchanged(serial)) => {
            tracing::info!(zone = %spec_origin, serial = serial.0, "zone unchanged");
            Ok(())
        }
        Err(e) => Err(format!("zone {spec_origin}: {e}")),
    }
}
