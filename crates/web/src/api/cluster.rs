//! `GET /api/v1/cluster`: the replication state of every zone this node
//! replicates: its serial and journal, each NOTIFY target with the last
//! serial notified and acknowledged, and — asked over DNS just now — the
//! serial each target serves and how far behind it is. Secondary zones
//! show their refresh state.
//!
//! The probe is one UDP SOA query per target, all at once, each given
//! [`PROBE_TIMEOUT`]; `probe=false` leaves it out.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use api::convert::address_text;
use api::own::{Cluster, JournalSpan, NotifyTarget, SecondaryState, ZoneReplication};
use serde::Deserialize;
use utoipa::IntoParams;
use wire::{Message, Name, Rcode, Rtype, Serial};

use super::error::{Failure, ReadErrors};
use super::extract::{Query, Reader};
use super::zones::unix;
use crate::state::AppState;
use manage::Elsewhere;

/// How long a target has to answer the SOA probe.
const PROBE_TIMEOUT: Duration = Duration::from_millis(800);

/// How many probes run at once.
const PROBES_AT_ONCE: usize = 64;

/// Parameters of `GET /api/v1/cluster`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ClusterQuery {
    /// `false`: do not ask the targets for their serials.
    probe: Option<bool>,
}

/// The replication state of every replicated zone.
#[utoipa::path(
    get,
    path = "/api/v1/cluster",
    tag = "cluster",
    params(ClusterQuery),
    responses((status = 200, description = "Every replicated zone, by name", body = Cluster), ReadErrors),
    security(("api_key" = [])),
)]
pub(crate) async fn cluster(
    caller: Reader,
    axum::extract::State(state): axum::extract::State<AppState>,
    Query(query): Query<ClusterQuery>,
) -> Result<axum::Json<Cluster>, Failure> {
    Ok(axum::Json(
        cluster_state(&state, &caller.1, query.probe.unwrap_or(true)).await,
    ))
}

/// The replication state of every replicated zone, with each NOTIFY
/// target's SOA serial asked for when `probe` (the API and the web UI's
/// cluster page); only the zones `rights` may read.
pub(crate) async fn cluster_state(
    state: &AppState,
    rights: &store::Rights,
    probe: bool,
) -> Cluster {
    let mut zones = Vec::new();
    let mut probes = tokio::task::JoinSet::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(PROBES_AT_ONCE));
    let mut replicated = Vec::new();
    for lane in state.manager.lanes() {
        let mut names = lane.replicator.zones();
        names.sort();
        replicated.extend(
            names
                .into_iter()
                .filter(|name| rights.may_read_zone(name, lane.view.as_deref()))
                .map(|name| (lane, name)),
        );
    }
    for (lane, name) in replicated {
        let replicator = &lane.replicator;
        let Some(status) = replicator.status(&name) else {
            continue;
        };
        let targets = status
            .notify
            .iter()
            .map(|(address, notify)| NotifyTarget {
                address: address.to_string(),
                notified_serial: notify.serial.map(|s| s.0),
                acknowledged_at: notify.acknowledged.map(unix),
                acknowledged_serial: notify.acknowledged_serial.map(|s| s.0),
                error: notify.error.clone(),
                serial: None,
                lag: None,
                probe_error: None,
            })
            .collect();
        if probe && let Some(serial) = status.serial {
            for (index, (address, _)) in status.notify.iter().enumerate() {
                let (zone_index, address, apex) = (zones.len(), *address, name.clone());
                let permits = Arc::clone(&permits);
                probes.spawn(async move {
                    let _permit = permits.acquire_owned().await;
                    let answer = probe_soa(address, &apex).await;
                    (zone_index, index, serial, answer)
                });
            }
        }
        let secondary = status.secondary.map(|s| SecondaryState {
            primaries: match state.manager.elsewhere().get(&name) {
                Some(Elsewhere::Secondary(primaries)) => {
                    primaries.iter().map(|a| address_text(*a)).collect()
                }
                // Members of a consumed catalog are configured nowhere:
                // the replicator knows their primaries.
                _ => status.primaries.iter().map(|a| address_text(*a)).collect(),
            },
            last_check: s.last_check.map(unix),
            last_transfer: s.last_transfer.map(unix),
            next_refresh: unix(s.next_refresh),
            expires_at: s.expires_at.map(unix),
            expired: s.expired,
            last_error: s.last_error,
        });
        zones.push(ZoneReplication {
            zone: name.to_string(),
            view: lane.view.clone(),
            role: status.role.to_string(),
            serial: status.serial.map(|s| s.0),
            journal: status.journal.map(|(first, last, entries)| JournalSpan {
                first_serial: first.map(|s| s.0),
                last_serial: last.map(|s| s.0),
                entries,
            }),
            targets,
            secondary,
            catalog: status.catalog.as_ref().map(ToString::to_string),
        });
    }
    while let Some(joined) = probes.join_next().await {
        let Ok((zone_index, index, ours, answer)) = joined else {
            continue;
        };
        let Some(target) = zones
            .get_mut(zone_index)
            .and_then(|z| z.targets.get_mut(index))
        else {
            continue;
        };
        match answer {
            Ok(theirs) => {
                target.serial = Some(theirs.0);
                target.lag = Some(lag(ours, theirs));
            }
            Err(why) => target.probe_error = Some(why),
        }
    }
    Cluster {
        node: state.settings.node_name.clone(),
        zones,
    }
}

/// How many serials `theirs` is behind `ours` (RFC 1982), 0 when it is not
/// behind.
fn lag(ours: Serial, theirs: Serial) -> u32 {
    if ours.is_newer_than(theirs) {
        ours.0.wrapping_sub(theirs.0)
    } else {
        0
    }
}

/// Asks `target` for the SOA of `zone` over UDP.
async fn probe_soa(target: SocketAddr, zone: &Name) -> Result<Serial, String> {
    let local: SocketAddr = if target.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = tokio::net::UdpSocket::bind(local)
        .await
        .map_err(|e| format!("cannot open a UDP socket: {e}"))?;
    let mut id = [0u8; 2];
    getrandom::fill(&mut id).map_err(|e| format!("no randomness: {e}"))?;
    let id = u16::from_be_bytes(id);
    let mut query = Vec::with_capacity(12 + zone.wire_len() + 4);
    query.extend_from_slice(&id.to_be_bytes());
    // Flags 0 (a plain query, no recursion), one question.
    query.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    query.extend_from_slice(zone.as_wire());
    query.extend_from_slice(&Rtype::SOA.0.to_be_bytes());
    query.extend_from_slice(&1u16.to_be_bytes());
    socket
        .send_to(&query, target)
        .await
        .map_err(|e| format!("cannot send: {e}"))?;
    let answer = async {
        let mut buffer = vec![0u8; 4096];
        loop {
            let (len, from) = socket
                .recv_from(&mut buffer)
                .await
                .map_err(|e| format!("cannot receive: {e}"))?;
            if from != target {
                continue;
            }
            let Ok(message) = Message::parse(buffer.get(..len).unwrap_or_default()) else {
                return Err("answered with a malformed message".to_string());
            };
            if message.header.id != id {
                continue;
            }
            let rcode = message.rcode();
            if rcode == Rcode::REFUSED || rcode == Rcode::NOTAUTH {
                // How a server says it is not authoritative for the zone.
                return Err(format!("does not serve the zone (answered {rcode})"));
            }
            if rcode != Rcode::NOERROR {
                return Err(format!("answered {rcode}"));
            }
            return message
                .answer
                .iter()
                .find(|r| r.rtype == Rtype::SOA && r.owner == *zone)
                .and_then(|r| wire::rdata::soa_numbers(&r.rdata))
                .map(|numbers| Serial(numbers[0]))
                .ok_or_else(|| "answered without the zone's SOA".to_string());
        }
    };
    match tokio::time::timeout(PROBE_TIMEOUT, answer).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "unreachable: no answer to an SOA query within {} ms",
            PROBE_TIMEOUT.as_millis()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_counts_serials_behind_in_rfc_1982_order() {
        assert_eq!(lag(Serial(10), Serial(7)), 3);
        assert_eq!(lag(Serial(7), Serial(7)), 0);
        assert_eq!(lag(Serial(7), Serial(10)), 0);
        assert_eq!(lag(Serial(2), Serial(u32::MAX)), 3);
    }
}
