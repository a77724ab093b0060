//! `GET /health`: what a node says of its own zones, read by `hadns check`
//! (and by anything else that polls a node: a balancer's HTTP check, a
//! monitoring system). No authentication and no secrets: zone names,
//! serials, states and times only. The server fills it in, the check reads
//! it back with these same types, so the two cannot drift apart.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The whole answer of `GET /health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// The node's name (`[node] name`).
    pub node: String,
    /// Unix time at which the answer was made.
    pub time: u64,
    /// `ok` when every zone is `ok`, else `degraded`. The HTTP status is
    /// 200 either way: how long "behind" may last is the reader's policy
    /// (`hadns check --max-behind`), not the node's.
    pub status: String,
    /// Every zone the node replicates (zone files, zones kept in the
    /// store, secondary zones, catalog members), by view then name.
    pub zones: Vec<ZoneHealth>,
}

/// One zone (in one view) as the node sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ZoneHealth {
    /// The zone, absolute (`example.com.`).
    pub zone: String,
    /// The view whose copy this is; `null` on a node without views.
    pub view: Option<String>,
    /// `primary` or `secondary`.
    pub role: String,
    /// Whether the zone can be answered from here now.
    pub state: ZoneState,
    /// The serial served, if any.
    pub serial: Option<u32>,
    /// For a secondary behind its primary: the newest serial a primary
    /// was seen with (its SOA answer, or the SOA a NOTIFY carried).
    pub primary_serial: Option<u32>,
    /// How many seconds the secondary has been behind its primary (since
    /// it first saw the newer serial); `null` when it is not behind.
    pub behind_seconds: Option<u64>,
    /// For a secondary: Unix time of the last successful check of its
    /// primary (SOA query or transfer) in this run.
    pub last_check: Option<u64>,
    /// For a secondary: Unix time at which its copy expires unless a check
    /// succeeds first.
    pub expires_at: Option<u64>,
    /// For a secondary whose last check or transfer failed: why.
    pub last_error: Option<String>,
}

/// Whether a zone can be answered from a node now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ZoneState {
    /// Served, and as far as the node knows, current.
    #[serde(rename = "ok")]
    Ok,
    /// Served, but a primary has a newer serial that has not arrived yet
    /// (see `behind_seconds`).
    #[serde(rename = "behind")]
    Behind,
    /// A secondary copy no primary confirmed within the SOA expire
    /// interval (RFC 1035 §3.3.13): answered SERVFAIL.
    #[serde(rename = "expired")]
    Expired,
    /// No copy to serve: a secondary that never transferred the zone, or a
    /// primary zone not published (answered SERVFAIL or REFUSED).
    #[serde(rename = "not loaded")]
    NotLoaded,
}

impl ZoneState {
    /// The state as the JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ZoneState::Ok => "ok",
            ZoneState::Behind => "behind",
            ZoneState::Expired => "expired",
            ZoneState::NotLoaded => "not loaded",
        }
    }

    /// Whether the zone is answered from here (`ok` or `behind`).
    pub fn is_served(self) -> bool {
        matches!(self, ZoneState::Ok | ZoneState::Behind)
    }
}

impl fmt::Display for ZoneState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Health {
    /// `ok` or `degraded` for these zones.
    pub fn status_of(zones: &[ZoneHealth]) -> &'static str {
        if zones.iter().all(|z| z.state == ZoneState::Ok) {
            "ok"
        } else {
            "degraded"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_spelled_as_the_documentation_says() {
        for (state, text) in [
            (ZoneState::Ok, "\"ok\""),
            (ZoneState::Behind, "\"behind\""),
            (ZoneState::Expired, "\"expired\""),
            (ZoneState::NotLoaded, "\"not loaded\""),
        ] {
            assert_eq!(serde_json::to_string(&state).unwrap(), text);
            assert_eq!(serde_json::from_str::<ZoneState>(text).unwrap(), state);
            assert_eq!(format!("\"{state}\""), text);
        }
        assert!(serde_json::from_str::<ZoneState>("\"stale\"").is_err());
    }

    #[test]
    fn a_health_answer_reads_back_as_written() {
        let zone = ZoneHealth {
            zone: "example.com.".into(),
            view: None,
            role: "secondary".into(),
            state: ZoneState::Behind,
            serial: Some(5),
            primary_serial: Some(8),
            behind_seconds: Some(3),
            last_check: Some(1_700_000_000),
            expires_at: Some(1_700_086_400),
            last_error: Some("127.0.0.1:53 answered REFUSED".into()),
        };
        let health = Health {
            node: "ns2".into(),
            time: 1_700_000_003,
            status: Health::status_of(std::slice::from_ref(&zone)).into(),
            zones: vec![zone],
        };
        assert_eq!(health.status, "degraded");
        let text = serde_json::to_string(&health).unwrap();
        assert!(text.contains("\"behind_seconds\":3"), "{text}");
        assert_eq!(serde_json::from_str::<Health>(&text).unwrap(), health);
    }
}
