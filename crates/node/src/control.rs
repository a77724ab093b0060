//! Control of a running node, as `hadns ctl` (and BIND's rndc) does it:
//! one dispatch, [`Controller::run`], for a parsed [`Command`], reached
//! by two transports that share it — the Unix socket in the data
//! directory (`socket`, mode 0600: the file mode is the authentication)
//! and the HTTP API's `POST /api/v1/control` (the `web` crate: an API
//! token is the authentication). Both answer with the same JSON
//! (`report`); the text people read is made from that JSON (`render`),
//! with local times.
//!
//! ```text
//!  hadns ctl ──► control.sock: "[json] COMMAND [ZONE [VIEW]]" ──┐
//!  hadns ctl --server URL ──► POST /api/v1/control (X-API-Key) ─┤─► Command::parse ─► Controller::run
//!                                                                │      ─► JSON (report) ─► text (render)
//! ```
//!
//! | command | effect |
//! |---|---|
//! | `status` | the node: version, start time, uptime, roles, zone count, views, queries per second; then one line per zone (name, role, serial, view, catalog) |
//! | `zones` | a table of every zone: view, zone, role, serial, last change or transfer, state (loaded, expired, not-yet-transferred, refreshing, not-served) |
//! | `zone-status ZONE` | serial, role, state, last transfer, next refresh, expiry, journal, NOTIFY targets |
//! | `notify ZONE` | send NOTIFY to the zone's targets now |
//! | `refresh ZONE` | check a secondary zone's primary now |
//! | `retransfer ZONE` | AXFR a secondary zone now |
//! | `reload` | re-read the configuration and the zone files that changed (as SIGHUP) |
//! | `sync ZONE` | re-read a store zone another process changed (`hadns import`) |
//! | `stop` | stop gracefully (as SIGTERM): see [`crate::shutdown`] |
//!
//! On a node with views, a zone served in several views needs its view
//! named. Adding a command: a [`Command`] variant, its arm in
//! [`Command::parse`] and in [`Controller::run`], its handler, and its
//! line in [`COMMANDS`].

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use replicate::driver::Replicator;
use wire::Name;

use crate::hooks::ControlHooks;
use crate::lane::Lane;
use crate::metrics::NodeMetrics;
use crate::reload::Reloader;
use crate::shutdown::Shutdown;

pub mod render;
pub mod report;
pub mod socket;

/// Every command with its one-line description, in the order help and
/// error messages list them.
pub const COMMANDS: &[(&str, &str)] = &[
    ("status", "the node: version, uptime, roles, zone count"),
    (
        "zones",
        "every zone: view, role, serial, last change, state",
    ),
    (
        "zone-status",
        "ZONE: serial, timers, journal, NOTIFY targets",
    ),
    ("notify", "ZONE: send NOTIFY to the zone's targets now"),
    ("refresh", "ZONE: check a secondary zone's primary now"),
    ("retransfer", "ZONE: transfer a secondary zone whole now"),
    ("reload", "re-read the configuration and changed zone files"),
    ("sync", "ZONE: re-read a store zone another process changed"),
    ("stop", "stop gracefully, as SIGTERM"),
    (
        "querylog",
        "[on|off]: switch the query log (without: say whether it is on)",
    ),
    (
        "stats",
        "[ZONE]: query, transfer and NOTIFY counters; per zone",
    ),
];

/// A zone named in a command, with its view on a node with views.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneRef {
    /// The zone's apex.
    pub zone: Name,
    /// The view, where the zone is in several.
    pub view: Option<String>,
}

/// A control command, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// The node's facts and its zones.
    Status,
    /// A table of every zone.
    Zones,
    /// One zone in detail.
    ZoneStatus(ZoneRef),
    /// NOTIFY the zone's targets now.
    Notify(ZoneRef),
    /// Check a secondary zone's primary now.
    Refresh(ZoneRef),
    /// AXFR a secondary zone now.
    Retransfer(ZoneRef),
    /// Re-read the configuration and the zone files that changed.
    Reload,
    /// Re-read a store zone another process changed.
    Sync(Name),
    /// Stop gracefully.
    Stop,
    /// Switch the query log on or off (`None`: report whether it is on).
    QueryLog(Option<bool>),
    /// The counters, and every zone's (or one zone's).
    Stats(Option<ZoneRef>),
}

impl Command {
    /// Parses a command from its name and, for the per-zone commands, the
    /// zone and view (the socket's words; the API's `command`, `zone` and
    /// `view`).
    pub fn parse(
        name: &str,
        zone: Option<&str>,
        view: Option<&str>,
    ) -> Result<Command, ControlError> {
        let zone_ref = |command: &'static str| -> Result<ZoneRef, ControlError> {
            Ok(ZoneRef {
                zone: zone_name(command, zone)?,
                view: view.map(str::to_string),
            })
        };
        Ok(match name {
            "status" => Command::Status,
            "zones" => Command::Zones,
            "zone-status" => Command::ZoneStatus(zone_ref("zone-status")?),
            "notify" => Command::Notify(zone_ref("notify")?),
            "refresh" => Command::Refresh(zone_ref("refresh")?),
            "retransfer" => Command::Retransfer(zone_ref("retransfer")?),
            "reload" => Command::Reload,
            "sync" => Command::Sync(zone_name("sync", zone)?),
            "stop" => Command::Stop,
            "querylog" => Command::QueryLog(match zone {
                None => None,
                Some("on") => Some(true),
                Some("off") => Some(false),
                Some(other) => {
                    return Err(ControlError::BadArgument {
                        command: "querylog",
                        text: other.to_string(),
                        expected: "on or off",
                    });
                }
            }),
            "stats" => Command::Stats(match zone {
                None => None,
                Some(_) => Some(zone_ref("stats")?),
            }),
            "" => return Err(ControlError::Empty),
            other => return Err(ControlError::UnknownCommand(other.to_string())),
        })
    }

    /// Its name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Status => "status",
            Command::Zones => "zones",
            Command::ZoneStatus(_) => "zone-status",
            Command::Notify(_) => "notify",
            Command::Refresh(_) => "refresh",
            Command::Retransfer(_) => "retransfer",
            Command::Reload => "reload",
            Command::Sync(_) => "sync",
            Command::Stop => "stop",
            Command::QueryLog(_) => "querylog",
            Command::Stats(_) => "stats",
        }
    }

    /// Whether the command only reads (a read-only API token may run it).
    pub fn only_reads(&self) -> bool {
        matches!(
            self,
            Command::Status
                | Command::Zones
                | Command::ZoneStatus(_)
                | Command::Stats(_)
                | Command::QueryLog(None)
        )
    }
}

/// The zone a per-zone command names.
fn zone_name(command: &'static str, zone: Option<&str>) -> Result<Name, ControlError> {
    let text = zone.ok_or(ControlError::ZoneMissing(command))?;
    Name::from_text(text, Some(&Name::root())).map_err(|e| ControlError::BadZoneName {
        text: text.to_string(),
        reason: e.to_string(),
    })
}

/// Why a command was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No command was given.
    #[error("empty command")]
    Empty,
    /// No such command.
    #[error("unknown command `{0}` ({list})", list = command_list())]
    UnknownCommand(String),
    /// A per-zone command without its zone.
    #[error("`{0}` needs a zone name")]
    ZoneMissing(&'static str),
    /// The zone name does not parse.
    #[error("bad zone name `{text}`: {reason}")]
    BadZoneName {
        /// As given.
        text: String,
        /// Why it is not a name.
        reason: String,
    },
    /// The view named does not exist.
    #[error("no view `{0}`")]
    NoSuchView(String),
    /// The zone is in several views and none was named.
    #[error("zone {zone} is in the views {views}: name one (--view)")]
    ViewNeeded {
        /// The zone.
        zone: Name,
        /// The views that have it, comma-separated.
        views: String,
    },
    /// An argument that is not one the command takes.
    #[error("`{command}` takes {expected}, not `{text}`")]
    BadArgument {
        /// The command.
        command: &'static str,
        /// The argument as given.
        text: String,
        /// What it takes.
        expected: &'static str,
    },
    /// The node does not replicate the zone (in the view asked).
    #[error("zone {0} is not replicated by this node")]
    ZoneNotFound(Name),
    /// `refresh`/`retransfer` of a zone that is not a secondary.
    #[error("zone {0} is not a secondary zone of this node")]
    NotSecondary(Name),
    /// `sync` on a node without a store.
    #[error("this node has no store")]
    NoStore,
    /// The new configuration was refused; nothing changed.
    #[error("reload refused, nothing changed:\n{0}")]
    ReloadRefused(String),
    /// The writer could not re-read the zone.
    #[error("{0}")]
    SyncFailed(String),
    /// A command arrived before the node finished starting.
    #[error("the node is still starting")]
    Starting,
    /// The task running the command failed.
    #[error("the {0} task failed: {1}")]
    TaskFailed(&'static str, String),
}

impl ControlError {
    /// Who is at fault, for the HTTP status and the client's wording.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ControlError::Empty
            | ControlError::UnknownCommand(_)
            | ControlError::ZoneMissing(_)
            | ControlError::BadZoneName { .. }
            | ControlError::BadArgument { .. } => ErrorKind::BadRequest,
            ControlError::NoSuchView(_) | ControlError::ZoneNotFound(_) => ErrorKind::NotFound,
            ControlError::ViewNeeded { .. }
            | ControlError::NotSecondary(_)
            | ControlError::NoStore
            | ControlError::ReloadRefused(_)
            | ControlError::SyncFailed(_) => ErrorKind::Refused,
            ControlError::Starting => ErrorKind::Unavailable,
            ControlError::TaskFailed(..) => ErrorKind::Internal,
        }
    }
}

/// The classes of [`ControlError`], each one HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command is malformed (400).
    BadRequest,
    /// The zone or view does not exist (404).
    NotFound,
    /// Understood, but not possible here (422).
    Refused,
    /// Try again shortly (503).
    Unavailable,
    /// The node failed (500).
    Internal,
}

fn command_list() -> String {
    COMMANDS
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a reload and `sync` need, which exist only once the node serves.
struct Wiring {
    reloader: Arc<Reloader>,
    hooks: Option<Arc<dyn ControlHooks>>,
}

/// Runs control commands against a node's lanes: the one dispatch both
/// transports call.
pub struct Controller {
    lanes: Arc<Vec<Lane>>,
    started: SystemTime,
    shutdown: Arc<Shutdown>,
    wiring: OnceLock<Wiring>,
    metrics: NodeMetrics,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("lanes", &self.lanes.len())
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

impl Controller {
    /// A controller over `lanes`, the node started at `started`.
    pub(crate) fn new(
        lanes: Arc<Vec<Lane>>,
        started: SystemTime,
        shutdown: Arc<Shutdown>,
        metrics: NodeMetrics,
    ) -> Controller {
        Controller {
            lanes,
            started,
            shutdown,
            wiring: OnceLock::new(),
            metrics,
        }
    }

    /// Gives the controller what reloads and `sync` use, once the node
    /// serves (before any transport starts).
    pub(crate) fn wire(&self, reloader: Arc<Reloader>, hooks: Option<Arc<dyn ControlHooks>>) {
        let _ = self.wiring.set(Wiring { reloader, hooks });
    }

    /// The node's stop request and count of work under way.
    pub fn shutdown(&self) -> &Arc<Shutdown> {
        &self.shutdown
    }

    /// Runs one command; its result as the JSON both transports send.
    pub async fn run(&self, command: Command) -> Result<serde_json::Value, ControlError> {
        match command {
            Command::Status => Ok(self.status()),
            Command::Zones => Ok(self.zones()),
            Command::ZoneStatus(zone) => self.zone_status(&zone),
            Command::Notify(zone) => self.notify(&zone),
            Command::Refresh(zone) => self.refresh(&zone),
            Command::Retransfer(zone) => self.retransfer(&zone),
            Command::Reload => self.reload().await,
            Command::Sync(zone) => self.sync(zone).await,
            Command::Stop => Ok(self.stop()),
            Command::QueryLog(on) => Ok(self.query_log(on)),
            Command::Stats(zone) => self.stats(zone.as_ref()),
        }
    }

    /// `querylog [on|off]`.
    fn query_log(&self, on: Option<bool>) -> serde_json::Value {
        let log = self.metrics.query_log();
        let was = match on {
            Some(on) => {
                let was = log.set_enabled(on);
                tracing::info!(on, was, "query log switched by a control command");
                was
            }
            None => log.is_enabled(),
        };
        serde_json::json!({
            "ok": true,
            "querylog": if log.is_enabled() { "on" } else { "off" },
            "was": if was { "on" } else { "off" },
            "lines": log.written(),
            "dropped": log.dropped(),
        })
    }

    /// `stats [ZONE]`: the node's counters (PowerDNS's names, as in
    /// `…/statistics`) and each zone's.
    fn stats(&self, zone: Option<&ZoneRef>) -> Result<serde_json::Value, ControlError> {
        let zones = self.metrics.zones(zone.map(|z| &z.zone));
        let zones: Vec<_> = zones
            .into_iter()
            .filter(|z| {
                zone.and_then(|r| r.view.as_ref())
                    .is_none_or(|v| z.view.as_ref() == Some(v))
            })
            .collect();
        if let Some(zone) = zone
            && zones.is_empty()
        {
            return Err(ControlError::ZoneNotFound(zone.zone.clone()));
        }
        Ok(report::stats(&self.metrics.statistics(), &zones))
    }

    /// `status`.
    fn status(&self) -> serde_json::Value {
        let zones = report::zone_statuses(&self.lanes);
        let mut roles: Vec<&'static str> = zones.iter().map(|(_, s)| s.role).collect();
        roles.sort_unstable();
        roles.dedup();
        let now = SystemTime::now();
        let rrl = self.metrics.rate_limiting();
        let facts = report::NodeStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: report::time(Some(self.started)),
            uptime_seconds: now.duration_since(self.started).map_or(0, |d| d.as_secs()),
            roles,
            zone_count: zones.len(),
            views: self.lanes.iter().filter_map(|l| l.view.clone()).collect(),
            queries_per_second: self.metrics.queries_per_second(),
            rrl_dropped: rrl.then(|| self.metrics.rrl_total(answer::rrl::Action::Dropped)),
            rrl_slipped: rrl.then(|| self.metrics.rrl_total(answer::rrl::Action::Slipped)),
        };
        report::status(&facts, &zones)
    }

    /// `zones`.
    fn zones(&self) -> serde_json::Value {
        report::zones(&report::zone_statuses(&self.lanes))
    }

    /// `zone-status ZONE`.
    fn zone_status(&self, zone: &ZoneRef) -> Result<serde_json::Value, ControlError> {
        let replicator = self.replicator_for(zone)?;
        let status = replicator
            .status(&zone.zone)
            .ok_or_else(|| ControlError::ZoneNotFound(zone.zone.clone()))?;
        Ok(report::zone_status(&status, SystemTime::now()))
    }

    /// `notify ZONE`.
    fn notify(&self, zone: &ZoneRef) -> Result<serde_json::Value, ControlError> {
        if self.replicator_for(zone)?.notify_now(&zone.zone) {
            Ok(report::message("NOTIFY sent"))
        } else {
            Err(ControlError::ZoneNotFound(zone.zone.clone()))
        }
    }

    /// `refresh ZONE`.
    fn refresh(&self, zone: &ZoneRef) -> Result<serde_json::Value, ControlError> {
        if self.replicator_for(zone)?.refresh_now(&zone.zone) {
            Ok(report::message("refresh scheduled"))
        } else {
            Err(ControlError::NotSecondary(zone.zone.clone()))
        }
    }

    /// `retransfer ZONE`.
    fn retransfer(&self, zone: &ZoneRef) -> Result<serde_json::Value, ControlError> {
        if self.replicator_for(zone)?.retransfer_now(&zone.zone) {
            Ok(report::message("AXFR scheduled"))
        } else {
            Err(ControlError::NotSecondary(zone.zone.clone()))
        }
    }

    /// `reload`: on a blocking thread, since parsing a big zone is CPU work.
    async fn reload(&self) -> Result<serde_json::Value, ControlError> {
        let wiring = self.wiring.get().ok_or(ControlError::Starting)?;
        let reloader = Arc::clone(&wiring.reloader);
        match tokio::task::spawn_blocking(move || reloader.reload()).await {
            Ok(Ok(done)) => {
                let mut text = String::from("reloaded");
                for line in done {
                    text.push('\n');
                    text.push_str(&line);
                }
                Ok(report::message(&text))
            }
            Ok(Err(why)) => Err(ControlError::ReloadRefused(why)),
            Err(e) => Err(ControlError::TaskFailed("reload", e.to_string())),
        }
    }

    /// `sync ZONE`.
    async fn sync(&self, zone: Name) -> Result<serde_json::Value, ControlError> {
        let wiring = self.wiring.get().ok_or(ControlError::Starting)?;
        let hooks = wiring.hooks.as_ref().ok_or(ControlError::NoStore)?;
        match hooks.sync(zone).await {
            Ok(what) => Ok(report::message(&what)),
            Err(e) => Err(ControlError::SyncFailed(e)),
        }
    }

    /// `stop`: the request only; the node stops once the reply is sent
    /// (each transport holds the stop back until then).
    fn stop(&self) -> serde_json::Value {
        tracing::info!("stop requested by a control command");
        self.shutdown.request();
        report::message("stopping")
    }

    /// The replicator serving `zone` in its view (or in the only view
    /// that has it).
    fn replicator_for(&self, zone: &ZoneRef) -> Result<&Arc<Replicator>, ControlError> {
        if let Some(view) = &zone.view {
            return self
                .lanes
                .iter()
                .find(|l| l.view.as_deref() == Some(view))
                .map(|l| &l.replicator)
                .ok_or_else(|| ControlError::NoSuchView(view.clone()));
        }
        let having: Vec<&Lane> = self
            .lanes
            .iter()
            .filter(|l| l.replicator.status(&zone.zone).is_some())
            .collect();
        match having.as_slice() {
            [] => self
                .lanes
                .first()
                .map(|l| &l.replicator)
                .ok_or_else(|| ControlError::ZoneNotFound(zone.zone.clone())),
            [one] => Ok(&one.replicator),
            several => Err(ControlError::ViewNeeded {
                zone: zone.zone.clone(),
                views: several
                    .iter()
                    .filter_map(|l| l.view.as_deref())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_command_parses_and_names_itself() {
        for (name, _) in COMMANDS {
            // `querylog` takes on|off where the others take a zone.
            let argument = if *name == "querylog" {
                "on"
            } else {
                "example.com"
            };
            let command = Command::parse(name, Some(argument), Some("v"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(command.name(), *name);
        }
    }

    #[test]
    fn per_zone_commands_need_a_valid_zone() {
        assert!(matches!(
            Command::parse("notify", None, None),
            Err(ControlError::ZoneMissing("notify"))
        ));
        assert!(matches!(
            Command::parse("zone-status", Some("a..b"), None),
            Err(ControlError::BadZoneName { .. })
        ));
        let unknown = Command::parse("frobnicate", None, None).unwrap_err();
        assert_eq!(unknown.kind(), ErrorKind::BadRequest);
        assert!(unknown.to_string().contains("stop"), "{unknown}");
    }

    #[test]
    fn only_the_status_commands_only_read() {
        let reading: Vec<&str> = COMMANDS
            .iter()
            .filter_map(|(name, _)| {
                let argument = if *name == "querylog" { "on" } else { "a.test" };
                let command = Command::parse(name, Some(argument), None).unwrap();
                command.only_reads().then_some(*name)
            })
            .collect();
        assert_eq!(reading, ["status", "zones", "zone-status", "stats"]);
        // Asking whether the query log is on only reads; switching it does not.
        assert!(Command::parse("querylog", None, None).unwrap().only_reads());
        assert!(
            !Command::parse("querylog", Some("off"), None)
                .unwrap()
                .only_reads()
        );
    }
}
