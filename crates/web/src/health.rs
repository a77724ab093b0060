//! `GET /health`: each replicated zone's serial, role and state, and how
//! long a secondary has been behind its primary, for `hadns check` and any
//! other poller. Read-only, no key, no secrets.
//!
//! ```text
//!  API port (router.rs) ─┐
//!                        ├─► health() ─► every lane's Replicator::status ─► zone_health (pure) ─► JSON
//!  [health] listen ──────┘   (serve_health: this route alone)
//! ```
//!
//! A node without `[api] listen` still answers it on `[health] listen`
//! ([`serve_health`]), a listener that serves nothing else.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use api::health::{Health, ZoneHealth, ZoneState};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use manage::ManagedLane;
use replicate::driver::ZoneStatus;

/// What `/health` reports on: the node's name and its lanes (one per
/// view, or the one lane of a node without views).
pub struct HealthSource {
    node_name: String,
    lanes: Vec<ManagedLane>,
}

impl HealthSource {
    /// The source for a node named `node_name` replicating through `lanes`.
    pub fn new(node_name: String, lanes: Vec<ManagedLane>) -> HealthSource {
        HealthSource { node_name, lanes }
    }

    /// Every replicated zone's health at `now`, by view then name.
    pub fn report(&self, now: SystemTime) -> Health {
        let mut zones = Vec::new();
        for lane in &self.lanes {
            let mut names = lane.replicator.zones();
            names.sort();
            for name in names {
                if let Some(status) = lane.replicator.status(&name) {
                    zones.push(zone_health(lane.view.clone(), &status, now));
                }
            }
        }
        Health {
            node: self.node_name.clone(),
            time: unix(now),
            status: Health::status_of(&zones).to_string(),
            zones,
        }
    }
}

/// One zone's health from its replication status at `now`: a secondary
/// without a copy is `not loaded`, an expired one `expired`, one whose
/// primary has a newer serial `behind`; a primary zone is `ok` while it is
/// published and `not loaded` otherwise.
pub(crate) fn zone_health(
    view: Option<String>,
    status: &ZoneStatus,
    now: SystemTime,
) -> ZoneHealth {
    let secondary = status.secondary.as_ref();
    let state = match secondary {
        None if status.serial.is_some() => ZoneState::Ok,
        None => ZoneState::NotLoaded,
        Some(s) if s.serial.is_none() => ZoneState::NotLoaded,
        Some(s) if s.expired => ZoneState::Expired,
        Some(s) if s.behind.is_some() => ZoneState::Behind,
        Some(_) => ZoneState::Ok,
    };
    let behind = secondary.and_then(|s| s.behind);
    ZoneHealth {
        zone: status.apex.to_string(),
        view,
        role: status.role.to_string(),
        state,
        // An expired copy is not served, but its serial says how old it is.
        serial: status
            .serial
            .or(secondary.and_then(|s| s.serial))
            .map(|s| s.0),
        primary_serial: behind.map(|b| b.primary_serial.0),
        behind_seconds: behind.map(|b| b.duration(now).as_secs()),
        last_check: secondary.and_then(|s| s.last_check).map(unix),
        expires_at: secondary.and_then(|s| s.expires_at).map(unix),
        last_error: secondary.and_then(|s| s.last_error.clone()),
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The node's zones: serial, role, state and how long each has been behind
/// its primary. No key needed; always 200 (the reader judges).
#[utoipa::path(
    get,
    path = "/health",
    tag = "health",
    responses((status = 200, description = "Every replicated zone's state", body = Health)),
)]
pub(crate) async fn health(State(source): State<Arc<HealthSource>>) -> axum::Json<Health> {
    axum::Json(source.report(SystemTime::now()))
}

/// A router with `GET /health` alone (every other path is 404).
pub fn health_router(source: Arc<HealthSource>) -> Router {
    crate::alone::one_route("/health", get(health)).with_state(source)
}

/// Serves `GET /health` alone on `listener` (`[health] listen`) until the
/// runtime stops, with the API's connection cap and idle timeout.
pub async fn serve_health(listener: tokio::net::TcpListener, source: Arc<HealthSource>) {
    crate::alone::serve_alone(listener, health_router(source), "health").await;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use replicate::secondary::{Behind, Status, TimerBounds, Timers};
    use wire::{Name, Serial};

    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000 + seconds)
    }

    fn secondary(serial: Option<u32>, expired: bool, behind: Option<Behind>) -> ZoneStatus {
        ZoneStatus {
            apex: Name::from_text("example.com.", None).unwrap(),
            role: "secondary",
            serial: if expired { None } else { serial.map(Serial) },
            secondary: Some(Status {
                serial: serial.map(Serial),
                next_refresh: at(100),
                expires_at: serial.map(|_| at(3600)),
                last_transfer: None,
                last_check: Some(at(0)),
                expired,
                last_error: behind.map(|_| "127.0.0.1:53 answered REFUSED".to_string()),
                timers: Timers::from_soa(0, 0, 0, &TimerBounds::default()),
                behind,
                refreshing: false,
            }),
            journal: None,
            notify: Vec::new(),
            primaries: Vec::new(),
            catalog: None,
            changed: None,
        }
    }

    #[test]
    fn a_current_secondary_is_ok() {
        let health = zone_health(None, &secondary(Some(5), false, None), at(10));
        assert_eq!(health.state, ZoneState::Ok);
        assert_eq!(health.serial, Some(5));
        assert_eq!(health.behind_seconds, None);
        assert_eq!(health.primary_serial, None);
        assert_eq!(health.last_check, Some(1_700_000_000));
        assert_eq!(health.last_error, None);
    }

    #[test]
    fn a_secondary_behind_says_since_how_long_and_the_primary_serial() {
        let behind = Behind {
            since: at(4),
            primary_serial: Serial(8),
        };
        let health = zone_health(
            Some("inside".into()),
            &secondary(Some(5), false, Some(behind)),
            at(10),
        );
        assert_eq!(health.state, ZoneState::Behind);
        assert_eq!(health.serial, Some(5));
        assert_eq!(health.primary_serial, Some(8));
        assert_eq!(health.behind_seconds, Some(6));
        assert_eq!(health.view.as_deref(), Some("inside"));
        assert!(health.last_error.is_some());
    }

    #[test]
    fn expired_and_never_loaded_secondaries_are_named_so() {
        let expired = zone_health(None, &secondary(Some(5), true, None), at(10));
        assert_eq!(expired.state, ZoneState::Expired);
        assert_eq!(expired.serial, Some(5), "the old copy's serial is shown");
        let empty = zone_health(None, &secondary(None, false, None), at(10));
        assert_eq!(empty.state, ZoneState::NotLoaded);
        assert_eq!(empty.serial, None);
    }

    #[test]
    fn a_primary_is_ok_while_published() {
        let mut status = secondary(Some(7), false, None);
        status.role = "primary";
        status.secondary = None;
        let health = zone_health(None, &status, at(0));
        assert_eq!((health.state, health.serial), (ZoneState::Ok, Some(7)));
        assert_eq!(health.expires_at, None);
        status.serial = None;
        assert_eq!(
            zone_health(None, &status, at(0)).state,
            ZoneState::NotLoaded
        );
    }
}
