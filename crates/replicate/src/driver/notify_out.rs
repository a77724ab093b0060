//! NOTIFY out (RFC 1996 §3.5–3.6): to the configured targets and, when
//! asked, the zone's name servers, retried until acknowledged.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use tokio::net::UdpSocket;
use wire::tsig::{self, Key};
use wire::{Name, Record, Rtype};
use zone::Zone;

use crate::notify;

use super::io::local_any;
use super::{Replicator, ZoneState, lock, random_id, unix};

impl Replicator {
    /// Sends NOTIFY for `apex` to its targets now.
    pub fn notify_now(self: &Arc<Self>, apex: &Name) -> bool {
        match self.zone_state(&apex.to_lowercase()) {
            Some(state) => {
                self.send_notifies(&state);
                true
            }
            None => false,
        }
    }

    pub(super) fn send_notifies(self: &Arc<Self>, state: &ZoneState) {
        if !self.started.load(Ordering::SeqCst) {
            // A primary zone file that changed while the node was down is
            // journaled and published at start, before the tokio runtime
            // exists: spawning the NOTIFY tasks here panicked ("there is no
            // reactor running") and stopped the node. Hold them for
            // `start`, which runs once the listeners can answer the
            // transfers they prompt.
            state.notify_pending.store(true, Ordering::SeqCst);
            // `start` may have run meanwhile and missed the flag: whoever
            // clears it sends.
            if !self.started.load(Ordering::SeqCst)
                || !state.notify_pending.swap(false, Ordering::SeqCst)
            {
                return;
            }
        }
        let Some(zone) = self.copy(state) else {
            return;
        };
        let mut targets = state.notify.clone();
        if state.notify_ns {
            for target in name_server_addresses(&zone) {
                if !targets.contains(&target) {
                    targets.push(target);
                }
            }
        }
        if targets.is_empty() {
            return;
        }
        let soa = zone.soa_record();
        let serial = zone.serial();
        for target in targets {
            let apex = state.apex.clone();
            let soa = soa.clone();
            let key = state.notify_key.clone();
            let policy = self.settings.notify_retry;
            let this = Arc::clone(self);
            let task = tokio::spawn(async move {
                let result = send_notify(&apex, &soa, target, key, policy).await;
                let Some(state) = this.zone_state(&apex) else {
                    return;
                };
                let mut status = lock(&state.notify_status);
                let entry = status.entry(target).or_default();
                entry.serial = Some(serial);
                match result {
                    Ok(()) => {
                        entry.acknowledged = Some(SystemTime::now());
                        entry.error = None;
                        tracing::info!(zone = %apex, %target, serial = serial.0, "NOTIFY acknowledged");
                    }
                    Err(e) => {
                        tracing::warn!(zone = %apex, %target, serial = serial.0, "NOTIFY given up: {e}");
                        entry.error = Some(e);
                    }
                }
            });
            if let Some(older) = lock(&state.notify_in_flight).insert(target, task.abort_handle()) {
                older.abort();
            }
        }
    }
}

/// Addresses (port 53) of the zone's NS targets that the zone itself holds,
/// leaving out the SOA MNAME, the primary (RFC 1996 §3.6).
pub(super) fn name_server_addresses(zone: &Zone) -> Vec<SocketAddr> {
    let apex = zone.apex().clone();
    let mname = zone
        .rdata_at(&apex, Rtype::SOA)
        .first()
        .and_then(|rdata| Name::parse_uncompressed(rdata, 0).ok())
        .map(|(n, _)| n);
    let mut out = Vec::new();
    for rdata in zone.rdata_at(&apex, Rtype::NS) {
        let Ok(target) = Name::from_wire(&rdata) else {
            continue;
        };
        if Some(&target) == mname.as_ref() {
            continue;
        }
        for a in zone.rdata_at(&target, Rtype::A) {
            if let Ok(octets) = <[u8; 4]>::try_from(a.as_slice()) {
                out.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(octets)), 53));
            }
        }
        for aaaa in zone.rdata_at(&target, Rtype::AAAA) {
            if let Ok(octets) = <[u8; 16]>::try_from(aaaa.as_slice()) {
                out.push(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(octets)), 53));
            }
        }
    }
    out
}

/// Sends a NOTIFY until acknowledged or out of attempts.
pub(super) async fn send_notify(
    apex: &Name,
    soa: &Record,
    target: SocketAddr,
    key: Option<Arc<Key>>,
    policy: notify::RetryPolicy,
) -> Result<(), String> {
    let socket = UdpSocket::bind(local_any(target))
        .await
        .map_err(|e| e.to_string())?;
    let mut last = String::from("no answer");
    for attempt in 0..policy.attempts {
        let id = random_id();
        let mut message = notify::message(id, apex, Some(soa));
        let mut verifier = match &key {
            Some(key) => Some(
                tsig::sign_request(
                    &mut message,
                    Arc::clone(key),
                    unix(SystemTime::now()),
                    tsig::DEFAULT_FUDGE,
                )
                .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        if let Err(e) = socket.send_to(&message, target).await {
            last = e.to_string();
        }
        let deadline = tokio::time::Instant::now() + policy.timeout(attempt);
        let mut buf = vec![0u8; 4096];
        while let Ok(Ok((len, from))) =
            tokio::time::timeout_at(deadline, socket.recv_from(&mut buf)).await
        {
            if from != target {
                continue;
            }
            let reply = &buf[..len];
            if let Some(verifier) = verifier.as_mut()
                && let Err(e) = verifier.verify(reply, unix(SystemTime::now()))
            {
                last = format!("TSIG: {e}");
                continue;
            }
            match notify::check_ack(reply, id, apex) {
                Ok(()) => return Ok(()),
                Err(notify::AckError::Unrelated) => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
    }
    Err(last)
}
