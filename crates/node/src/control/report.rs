//! The JSON every control command answers with, the same over the
//! socket and the API. Times are RFC 3339 in UTC; keys ending in `_at`
//! are times and keys ending in `_seconds` durations, which is how the
//! text rendering (`render`) knows to show them in local time or as a
//! duration.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use replicate::driver::ZoneStatus;
use serde::Serialize;
use serde_json::{Value, json};

use crate::lane::Lane;

/// The node's facts in `status`. Both the JSON and the text are made
/// from this struct's serialisation, in field order: a new fact is one
/// field here (and the line that fills it).
#[derive(Clone, Debug, Serialize)]
pub struct NodeStatus {
    /// The hadns version.
    pub version: String,
    /// When the node started (RFC 3339, UTC).
    pub started_at: Value,
    /// Seconds since then.
    pub uptime_seconds: u64,
    /// The roles its zones play (`primary`, `secondary`), sorted.
    pub roles: Vec<&'static str>,
    /// Zones under replication, in every view.
    pub zone_count: usize,
    /// Its views, in match order; empty without views.
    pub views: Vec<String>,
    /// Queries answered per second lately; `null` until the node counts
    /// queries.
    pub queries_per_second: Option<f64>,
    /// UDP responses Response Rate Limiting dropped; `null` when no view
    /// limits.
    pub rrl_dropped: Option<u64>,
    /// UDP responses it sent truncated (TC=1) instead; `null` likewise.
    pub rrl_slipped: Option<u64>,
}

impl NodeStatus {
    /// The fields in the order the text shows them (JSON objects carry
    /// no order); a test checks it names every field.
    pub const FIELDS: &[&str] = &[
        "version",
        "started_at",
        "uptime_seconds",
        "roles",
        "zone_count",
        "views",
        "queries_per_second",
        "rrl_dropped",
        "rrl_slipped",
    ];
}

/// Every replicated zone of every lane, with its lane's view, in lane
/// then name order.
pub fn zone_statuses(lanes: &[Lane]) -> Vec<(Option<String>, ZoneStatus)> {
    let mut out = Vec::new();
    for lane in lanes {
        let mut names = lane.replicator.zones();
        names.sort();
        for name in &names {
            if let Some(status) = lane.replicator.status(name) {
                out.push((lane.view.clone(), status));
            }
        }
    }
    out
}

/// `status`: the node's facts, and `zones` as earlier releases gave them
/// (zone, view, role, serial, catalog).
pub fn status(facts: &NodeStatus, zones: &[(Option<String>, ZoneStatus)]) -> Value {
    let mut value = serde_json::to_value(facts).unwrap_or_else(|_| json!({}));
    let list: Vec<Value> = zones
        .iter()
        .map(|(view, s)| {
            json!({
                "zone": s.apex.to_string(),
                "view": view,
                "role": s.role,
                "serial": s.serial.map(|v| v.0),
                "catalog": s.catalog.as_ref().map(ToString::to_string),
            })
        })
        .collect();
    if let Some(object) = value.as_object_mut() {
        object.insert("zones".to_string(), Value::Array(list));
    }
    value
}

/// `zones`: one row per zone.
pub fn zones(zones: &[(Option<String>, ZoneStatus)]) -> Value {
    let rows: Vec<Value> = zones
        .iter()
        .map(|(view, s)| {
            json!({
                "view": view,
                "zone": s.apex.to_string(),
                "role": s.role,
                "serial": s.serial.map(|v| v.0),
                "last_change_at": time(last_change(s)),
                "state": state(s),
                "catalog": s.catalog.as_ref().map(ToString::to_string),
            })
        })
        .collect();
    json!({ "zones": rows })
}

/// A secondary's last transfer (kept across restarts), else when the
/// served version last changed in this process.
fn last_change(s: &ZoneStatus) -> Option<SystemTime> {
    s.secondary
        .as_ref()
        .and_then(|sec| sec.last_transfer)
        .or(s.changed)
}

/// The zone's state in a word: `loaded`, `expired`,
/// `not-yet-transferred` (a secondary that never had a copy),
/// `refreshing` (a SOA check or transfer under way), or `not-served` (a
/// primary out of service).
pub fn state(s: &ZoneStatus) -> &'static str {
    match &s.secondary {
        Some(sec) if sec.expired => "expired",
        Some(sec) if sec.serial.is_none() && s.serial.is_none() => "not-yet-transferred",
        Some(sec) if sec.refreshing => "refreshing",
        _ if s.serial.is_some() => "loaded",
        _ => "not-served",
    }
}

/// An optional time as RFC 3339 (UTC), `null` when never.
pub fn time(t: Option<SystemTime>) -> Value {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(Value::Null, |d| wire::time::rfc3339(d.as_secs()).into())
}

/// `zone-status`.
pub fn zone_status(s: &ZoneStatus, now: SystemTime) -> Value {
    let secondary = s.secondary.as_ref().map(|sec| {
        json!({
            "last_transfer": time(sec.last_transfer),
            "last_check": time(sec.last_check),
            "next_refresh": time(Some(sec.next_refresh)),
            "expires": time(sec.expires_at),
            "expired": sec.expired,
            "refreshing": sec.refreshing,
            "timers": {
                "refresh": sec.timers.refresh.as_secs(),
                "retry": sec.timers.retry.as_secs(),
                "expire": sec.timers.expire.as_secs(),
            },
            "last_error": sec.last_error,
            "behind": sec.behind.map(|b| json!({
                "since": time(Some(b.since)),
                "seconds": b.duration(now).as_secs(),
                "primary_serial": b.primary_serial.0,
            })),
        })
    });
    let journal = s.journal.map(|(first, last, entries)| {
        json!({
            "entries": entries,
            "first_serial": first.map(|v| v.0),
            "last_serial": last.map(|v| v.0),
        })
    });
    let notify: Vec<Value> = s
        .notify
        .iter()
        .map(|(target, n)| {
            json!({
                "target": target.to_string(),
                "serial": n.serial.map(|v| v.0),
                "acknowledged": time(n.acknowledged),
                "error": n.error,
            })
        })
        .collect();
    json!({
        "zone": s.apex.to_string(),
        "role": s.role,
        "serial": s.serial.map(|v| v.0),
        "state": state(s),
        "last_change_at": time(last_change(s)),
        "secondary": secondary,
        "journal": journal,
        "notify": notify,
        "primaries": s.primaries.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "catalog": s.catalog.as_ref().map(ToString::to_string),
    })
}

/// The reply of a command that does something: `{"ok": true, "message"}`.
pub fn message(text: &str) -> Value {
    json!({"ok": true, "message": text})
}

/// `stats`: the node's counters by name, and one object per zone with
/// its query counters and replication gauges.
pub fn stats(counters: &[(String, u64)], zones: &[crate::metrics::ZoneStats]) -> Value {
    let counters: serde_json::Map<String, Value> = counters
        .iter()
        .map(|(name, value)| (name.clone(), json!(value)))
        .collect();
    let zones: Vec<Value> = zones
        .iter()
        .map(|z| {
            let mut outcomes = serde_json::Map::new();
            for (outcome, count) in answer::stats::ZoneOutcome::ALL
                .iter()
                .zip(z.totals.outcomes)
            {
                outcomes.insert(outcome.label().to_string(), json!(count));
            }
            json!({
                "view": z.view,
                "zone": z.zone,
                "serial": z.serial,
                "queries_udp": z.totals.udp,
                "queries_tcp": z.totals.tcp,
                "results": outcomes,
                "seconds_since_refresh": z.since_refresh.map(f64::round),
                "seconds_until_expiry": z.until_expiry.map(f64::round),
                "serials_behind_primary": z.serials_behind,
                "seconds_behind_primary": z.seconds_behind.map(f64::round),
                "journal_entries": z.journal_entries,
            })
        })
        .collect();
    json!({"ok": true, "counters": counters, "zones": zones})
}

/// A failed command's reply: `{"ok": false, "error"}`.
pub fn error(text: &str) -> Value {
    json!({"ok": false, "error": text})
}

/// A duration as people read it: `3d 4h 5m 6s`, leading zero units left
/// out.
pub fn duration_text(duration: Duration) -> String {
    let total = duration.as_secs();
    let (days, hours, minutes, seconds) = (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    );
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if days > 0 || hours > 0 {
        parts.push(format!("{hours}h"));
    }
    if days > 0 || hours > 0 || minutes > 0 {
        parts.push(format!("{minutes}m"));
    }
    parts.push(format!("{seconds}s"));
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_status_fields_are_listed_in_order() {
        let facts = NodeStatus {
            version: String::new(),
            started_at: Value::Null,
            uptime_seconds: 0,
            roles: Vec::new(),
            zone_count: 0,
            views: Vec::new(),
            queries_per_second: None,
            rrl_dropped: None,
            rrl_slipped: None,
        };
        let value = serde_json::to_value(&facts).unwrap();
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut listed = NodeStatus::FIELDS.to_vec();
        keys.sort_unstable();
        listed.sort_unstable();
        assert_eq!(keys, listed);
    }

    #[test]
    fn durations_read_from_the_largest_unit_present() {
        assert_eq!(duration_text(Duration::from_secs(5)), "5s");
        assert_eq!(duration_text(Duration::from_secs(3600)), "1h 0m 0s");
        assert_eq!(
            duration_text(Duration::from_secs(2 * 86_400 + 61)),
            "2d 0h 1m 1s"
        );
    }
}
