//! What the answers mean: each DNS answer, the primary's serial and the
//! node's `/health` judged into findings, and the findings into the one
//! line and exit code keepalived sees. Pure: bytes and values in,
//! [`Problem`]s out; nothing received here can panic.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use api::health::{Health, ZoneState};
use wire::header::flags;
use wire::{Message, Name, Rcode, Rtype, Serial};

use super::plan::Canary;

/// How a question went to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// UDP (and TCP after a truncated answer).
    Udp,
    /// TCP.
    Tcp,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        })
    }
}

/// Why a node is unhealthy, one finding each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The server gave no answer at all (down, firewalled, too slow).
    NoAnswer {
        /// The server.
        server: SocketAddr,
        /// Over which transport.
        transport: Transport,
        /// What happened instead (`timed out after 1s`, `connection refused`).
        error: String,
    },
    /// The server's answer could not be read.
    Malformed {
        /// What was asked (`zone example.com.`, `canary www.example.com. A`).
        asked: String,
        /// Over which transport.
        transport: Transport,
        /// The parser's complaint.
        error: String,
    },
    /// The zone's SOA was answered with an error RCODE.
    ZoneRcode {
        /// The zone.
        zone: Name,
        /// Over which transport.
        transport: Transport,
        /// The RCODE.
        rcode: Rcode,
    },
    /// The SOA answer lacked the AA bit: the server does not hold the zone.
    NotAuthoritative {
        /// The zone.
        zone: Name,
        /// Over which transport.
        transport: Transport,
    },
    /// NOERROR and AA, but no SOA for the apex in the answer section.
    NoSoa {
        /// The zone.
        zone: Name,
        /// Over which transport.
        transport: Transport,
    },
    /// The zone's serial is further behind the primary's than allowed.
    Lag {
        /// The zone.
        zone: Name,
        /// The node's serial.
        ours: Serial,
        /// The primary's serial.
        theirs: Serial,
        /// How far behind (RFC 1982).
        lag: u32,
        /// The limit.
        max: u32,
    },
    /// The two serials are exactly 2^31 apart: RFC 1982 leaves their order
    /// undefined, so neither can be said to be current.
    IncomparableSerials {
        /// The zone.
        zone: Name,
        /// The node's serial.
        ours: Serial,
        /// The primary's serial.
        theirs: Serial,
    },
    /// The primary answered, but not with a usable serial: the check
    /// cannot vouch for the zone (wrong key, zone gone from the primary).
    PrimaryAnswer {
        /// The zone.
        zone: Name,
        /// The primary.
        primary: SocketAddr,
        /// What was wrong.
        why: String,
    },
    /// The node's `/health` says the zone is not served.
    HealthState {
        /// The zone.
        zone: Name,
        /// Its view, if the node has views.
        view: Option<String>,
        /// What `/health` says.
        state: ZoneState,
    },
    /// The node's `/health` does not list the zone.
    NotInHealth {
        /// The zone.
        zone: Name,
    },
    /// The zone has been behind its primary for longer than allowed.
    Behind {
        /// The zone.
        zone: Name,
        /// For how long.
        seconds: u64,
        /// The node's serial.
        serial: Option<u32>,
        /// The newest serial seen at a primary.
        primary_serial: Option<u32>,
        /// The limit.
        max: Duration,
    },
    /// `--all-zones`, and the node's `/health` lists no zone at all (an
    /// empty store, a node started without its configuration).
    NoZones {
        /// Where `/health` was asked.
        url: String,
    },
    /// `/health` could not be read.
    HealthUnreadable {
        /// Where it was asked.
        url: String,
        /// Why it failed.
        error: String,
    },
    /// The canary was answered with an error RCODE.
    CanaryRcode {
        /// `www.example.com. A`.
        asked: String,
        /// The RCODE.
        rcode: Rcode,
    },
    /// The canary's answer held no record of its type.
    CanaryMissing {
        /// `www.example.com. A`.
        asked: String,
    },
    /// The canary's records did not include the expected value.
    CanaryMismatch {
        /// `www.example.com. A`.
        asked: String,
        /// What was expected, as written.
        expected: String,
        /// What came, in presentation form.
        found: Vec<String>,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoAnswer {
                server,
                transport,
                error,
            } => write!(f, "no answer from {server} over {transport}: {error}"),
            Problem::Malformed {
                asked,
                transport,
                error,
            } => write!(f, "{asked}: malformed answer over {transport}: {error}"),
            Problem::ZoneRcode {
                zone,
                transport,
                rcode,
            } => {
                let meaning = match *rcode {
                    Rcode::SERVFAIL => " (expired or not loaded)",
                    Rcode::REFUSED => " (not served here)",
                    Rcode::NOTAUTH => " (not authoritative)",
                    _ => "",
                };
                write!(f, "zone {zone} answered {rcode} over {transport}{meaning}")
            }
            Problem::NotAuthoritative { zone, transport } => write!(
                f,
                "zone {zone} answered without AA over {transport} (not authoritative)"
            ),
            Problem::NoSoa { zone, transport } => {
                write!(f, "zone {zone} answered without its SOA over {transport}")
            }
            Problem::Lag {
                zone,
                ours,
                theirs,
                lag,
                max,
            } => write!(
                f,
                "zone {zone} serial {ours} is {lag} behind the primary's {theirs} (max lag {max})"
            ),
            Problem::IncomparableSerials { zone, ours, theirs } => write!(
                f,
                "zone {zone} serial {ours} and the primary's {theirs} are 2^31 apart: their order is undefined (RFC 1982)"
            ),
            Problem::PrimaryAnswer { zone, primary, why } => {
                write!(f, "primary {primary} for zone {zone}: {why}")
            }
            Problem::HealthState { zone, view, state } => match view {
                Some(view) => write!(
                    f,
                    "zone {zone} is {state} in view {view} (the node's /health)"
                ),
                None => write!(f, "zone {zone} is {state} (the node's /health)"),
            },
            Problem::NotInHealth { zone } => {
                write!(f, "zone {zone} is not in the node's /health (not loaded)")
            }
            Problem::Behind {
                zone,
                seconds,
                serial,
                primary_serial,
                max,
            } => {
                let serials = match (serial, primary_serial) {
                    (Some(ours), Some(theirs)) => {
                        format!("serial {ours}, the primary has {theirs}; ")
                    }
                    (None, Some(theirs)) => format!("no copy, the primary has {theirs}; "),
                    _ => String::new(),
                };
                write!(
                    f,
                    "zone {zone} has been behind its primary for {seconds} s ({serials}max {} s)",
                    max.as_secs()
                )
            }
            Problem::NoZones { url } => {
                write!(f, "the node's health at {url} lists no zone (--all-zones)")
            }
            Problem::HealthUnreadable { url, error } => {
                write!(f, "cannot read the node's health at {url}: {error}")
            }
            Problem::CanaryRcode { asked, rcode } => write!(f, "canary {asked} answered {rcode}"),
            Problem::CanaryMissing { asked } => {
                write!(f, "canary {asked} answered with no record of its type")
            }
            Problem::CanaryMismatch {
                asked,
                expected,
                found,
            } => write!(
                f,
                "canary {asked} is {}, expected {expected}",
                found.join(", ")
            ),
        }
    }
}

/// The zone's serial from a SOA answer, or why the answer is not one a
/// healthy authoritative server gives.
pub fn judge_soa(zone: &Name, transport: Transport, reply: &[u8]) -> Result<Serial, Problem> {
    let message = Message::parse(reply).map_err(|e| Problem::Malformed {
        asked: format!("zone {zone}"),
        transport,
        error: e.to_string(),
    })?;
    soa_serial(zone, &message).map_err(|failure| match failure {
        SoaFailure::Rcode(rcode) => Problem::ZoneRcode {
            zone: zone.clone(),
            transport,
            rcode,
        },
        SoaFailure::NotAuthoritative => Problem::NotAuthoritative {
            zone: zone.clone(),
            transport,
        },
        SoaFailure::NoSoa => Problem::NoSoa {
            zone: zone.clone(),
            transport,
        },
    })
}

/// Why a SOA answer gave no serial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SoaFailure {
    /// An error RCODE.
    Rcode(Rcode),
    /// No AA bit.
    NotAuthoritative,
    /// No SOA for the apex in the answer section.
    NoSoa,
}

/// The serial of `zone`'s SOA in an authoritative NOERROR answer.
pub fn soa_serial(zone: &Name, message: &Message) -> Result<Serial, SoaFailure> {
    let rcode = message.rcode();
    if rcode != Rcode::NOERROR {
        return Err(SoaFailure::Rcode(rcode));
    }
    if !message.header.flag(flags::AA) {
        return Err(SoaFailure::NotAuthoritative);
    }
    message
        .answer
        .iter()
        .find(|r| r.rtype == Rtype::SOA && r.owner == *zone)
        .and_then(|r| wire::rdata::soa_numbers(&r.rdata))
        .map(|numbers| Serial(numbers[0]))
        .ok_or(SoaFailure::NoSoa)
}

/// The primary's serial from its answer, or why it is unusable, in words
/// for [`Problem::PrimaryAnswer`].
pub fn primary_serial(zone: &Name, message: &Message) -> Result<Serial, String> {
    soa_serial(zone, message).map_err(|failure| match failure {
        SoaFailure::Rcode(rcode @ (Rcode::REFUSED | Rcode::NOTAUTH)) => format!(
            "answered {rcode} to the SOA query (not its zone, or it wants a TSIG key: --key, --key-file, --key-name)"
        ),
        SoaFailure::Rcode(rcode) => format!("answered {rcode} to the SOA query"),
        SoaFailure::NotAuthoritative => "answered without AA: it is not a primary of the zone".to_string(),
        SoaFailure::NoSoa => "answered without the zone's SOA".to_string(),
    })
}

/// How far `ours` is behind `theirs` in RFC 1982 serial arithmetic: 0 when
/// level or ahead; `None` when the two are exactly 2^31 apart (undefined).
pub fn serial_lag(ours: Serial, theirs: Serial) -> Option<u32> {
    match ours.partial_cmp(&theirs)? {
        std::cmp::Ordering::Less => Some(theirs.0.wrapping_sub(ours.0)),
        _ => Some(0),
    }
}

/// The lag of `zone`, or the problem it is.
pub fn judge_lag(zone: &Name, ours: Serial, theirs: Serial, max: u32) -> Result<u32, Problem> {
    match serial_lag(ours, theirs) {
        None => Err(Problem::IncomparableSerials {
            zone: zone.clone(),
            ours,
            theirs,
        }),
        Some(lag) if lag > max => Err(Problem::Lag {
            zone: zone.clone(),
            ours,
            theirs,
            lag,
            max,
        }),
        Some(lag) => Ok(lag),
    }
}

/// The zones `/health` lists, each name once, in its order.
pub fn zones_in(health: &Health) -> Result<Vec<Name>, String> {
    let mut names: Vec<Name> = Vec::new();
    for zone in &health.zones {
        let name = Name::from_text(&zone.zone, Some(&Name::root()))
            .map_err(|e| format!("bad zone name `{}`: {e}", zone.zone))?
            .to_lowercase();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(names)
}

/// What `/health` says of `zones`: a problem for each copy (in any view)
/// that is not served, or behind longer than `max_behind`; and the longest
/// time any served copy has been behind (`None`: none is).
pub fn judge_health(
    health: &Health,
    zones: &[Name],
    max_behind: Option<Duration>,
) -> (Vec<Problem>, Option<u64>) {
    let mut problems = Vec::new();
    let mut longest: Option<u64> = None;
    for zone in zones {
        let entries: Vec<_> = health
            .zones
            .iter()
            .filter(|z| {
                Name::from_text(&z.zone, Some(&Name::root()))
                    .is_ok_and(|n| n.to_lowercase() == *zone)
            })
            .collect();
        if entries.is_empty() {
            problems.push(Problem::NotInHealth { zone: zone.clone() });
            continue;
        }
        for entry in entries {
            if !entry.state.is_served() {
                problems.push(Problem::HealthState {
                    zone: zone.clone(),
                    view: entry.view.clone(),
                    state: entry.state,
                });
                continue;
            }
            let Some(seconds) = entry.behind_seconds else {
                continue;
            };
            longest = Some(longest.map_or(seconds, |l| l.max(seconds)));
            if let Some(max) = max_behind
                && seconds > max.as_secs()
            {
                problems.push(Problem::Behind {
                    zone: zone.clone(),
                    seconds,
                    serial: entry.serial,
                    primary_serial: entry.primary_serial,
                    max,
                });
            }
        }
    }
    (problems, longest)
}

/// The canary's answer: its matching value in presentation form, or why
/// it does not do.
pub fn judge_canary(
    canary: &Canary,
    transport: Transport,
    reply: &[u8],
) -> Result<String, Problem> {
    let asked = format!("{} {}", canary.name, canary.rtype);
    let message = Message::parse(reply).map_err(|e| Problem::Malformed {
        asked: format!("canary {asked}"),
        transport,
        error: e.to_string(),
    })?;
    let rcode = message.rcode();
    if rcode != Rcode::NOERROR {
        return Err(Problem::CanaryRcode { asked, rcode });
    }
    // The records of the asked type, wherever a CNAME chain led.
    let records: Vec<_> = message
        .answer
        .iter()
        .filter(|r| r.rtype == canary.rtype)
        .collect();
    if records.is_empty() {
        return Err(Problem::CanaryMissing { asked });
    }
    let Some((expected, written)) = &canary.expect else {
        return Ok(format!("{asked} {}", records[0].rdata_text()));
    };
    if let Some(found) = records
        .iter()
        .find(|r| same_rdata(canary.rtype, &r.rdata, expected))
    {
        return Ok(format!("{asked} {}", found.rdata_text()));
    }
    Err(Problem::CanaryMismatch {
        asked,
        expected: written.clone(),
        found: records.iter().map(|r| r.rdata_text().to_string()).collect(),
    })
}

/// Whether two uncompressed RDATA of `rtype` are the same: octet for
/// octet, except that the domain names inside (where the type's layout
/// says) compare without case (RFC 4343).
pub fn same_rdata(rtype: Rtype, a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let Some(layout) = wire::rdata::decompression_layout(rtype) else {
        return false;
    };
    let (mut i, mut j) = (0, 0);
    for field in layout {
        let (len_a, len_b) = match field {
            wire::rdata::Field::Name => match (name_len(a, i), name_len(b, j)) {
                (Some(x), Some(y)) => {
                    // Length octets are below 64, never ASCII letters, so
                    // folding the whole wire form folds only the labels.
                    if !a[i..i + x].eq_ignore_ascii_case(&b[j..j + y]) {
                        return false;
                    }
                    (x, y)
                }
                _ => return false,
            },
            wire::rdata::Field::Fixed(n) => (*n, *n),
            wire::rdata::Field::CharStr => match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) => (x as usize + 1, y as usize + 1),
                _ => return false,
            },
            wire::rdata::Field::Rest => (a.len().saturating_sub(i), b.len().saturating_sub(j)),
        };
        if !matches!(field, wire::rdata::Field::Name) {
            match (a.get(i..i + len_a), b.get(j..j + len_b)) {
                (Some(x), Some(y)) if x == y => {}
                _ => return false,
            }
        }
        i += len_a;
        j += len_b;
    }
    i == a.len() && j == b.len()
}

/// The length of the uncompressed wire name at `start` of `rdata`.
fn name_len(rdata: &[u8], start: usize) -> Option<usize> {
    let mut pos = start;
    loop {
        let len = *rdata.get(pos)? as usize;
        if len > 63 {
            return None;
        }
        pos += 1 + len;
        if len == 0 {
            return (pos <= rdata.len()).then_some(pos - start);
        }
    }
}

/// Everything found, and the line and exit code it makes.
#[derive(Debug, Default)]
pub struct Report {
    /// Zones answered with their SOA.
    pub zones_loaded: usize,
    /// Transports every question went over.
    pub transports: Vec<Transport>,
    /// The largest serial lag seen, when the lag was checked.
    pub largest_lag: Option<u32>,
    /// Whether `/health` was judged for time behind (`--max-behind`).
    pub behind_checked: bool,
    /// The longest time behind seen; `None` when no zone is behind.
    pub longest_behind: Option<u64>,
    /// The canary's matching record.
    pub canary: Option<String>,
    /// What was not checked, and why (a primary that did not answer).
    pub notes: Vec<String>,
    /// Why the node is unhealthy, first found first.
    pub problems: Vec<Problem>,
}

impl Report {
    /// 0 healthy, 1 unhealthy.
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.problems.is_empty())
    }

    /// The one line printed on stdout.
    pub fn line(&self) -> String {
        if let Some(first) = self.problems.first() {
            let more = match self.problems.len() - 1 {
                0 => String::new(),
                1 => " (and 1 more problem)".to_string(),
                n => format!(" (and {n} more problems)"),
            };
            return format!("unhealthy: {first}{more}");
        }
        let mut parts = Vec::new();
        let over = match self.transports.as_slice() {
            [Transport::Udp, Transport::Tcp] => " over UDP and TCP",
            _ => "",
        };
        if self.zones_loaded > 0 {
            let zones = if self.zones_loaded == 1 {
                "zone"
            } else {
                "zones"
            };
            parts.push(format!("{} {zones} loaded{over}", self.zones_loaded));
        }
        if let Some(lag) = self.largest_lag {
            parts.push(format!("serial lag ≤ {lag}"));
        }
        if self.behind_checked {
            parts.push(match self.longest_behind {
                None => "none behind".to_string(),
                Some(seconds) => format!("behind ≤ {seconds} s"),
            });
        }
        if let Some(canary) = &self.canary {
            parts.push(format!("canary {canary}"));
        }
        let mut line = format!("ok: {}", parts.join(", "));
        for note in &self.notes {
            line.push_str("; ");
            line.push_str(note);
        }
        line
    }
}

#[cfg(test)]
mod tests;
