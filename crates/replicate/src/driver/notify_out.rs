//! NOTIFY out (RFC 1996 §3.5–3.6): to the configured targets, each signed
//! with its own key or the zone's, and, when asked, the zone's name
//! servers; retried with back-off for the zone's refresh interval
//! ([`notify::RetryPolicy`]); a socket is held only for the few seconds
//! after each send that an answer is listened for; and sent again to a target that went silent
//! once it acknowledges a NOTIFY for another zone.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime};

use tokio::net::UdpSocket;
use wire::tsig::{self, Key, ResponseError, ResponseVerifier};
use wire::{Name, Record, Rtype};
use zone::Zone;

use crate::notify::{self, AfterWait};

use super::io::local_any;
use super::{Replicator, ZoneState, lock, random_fraction, random_id, timers_of, unix};

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

    /// Sends NOTIFY for `apex` to its target `target` alone, now (an
    /// operator's "NOTIFY this secondary"): `None` when the zone is not
    /// replicated here, `Some(false)` when `target` is not one of its
    /// NOTIFY targets.
    pub fn notify_target_now(self: &Arc<Self>, apex: &Name, target: SocketAddr) -> Option<bool> {
        let state = self.zone_state(&apex.to_lowercase())?;
        let zone = self.copy(&state)?;
        let Some((_, key)) = notify_targets(&state, &zone)
            .into_iter()
            .find(|(t, _)| *t == target)
        else {
            return Some(false);
        };
        self.spawn_notify(&state, &zone, target, key);
        Some(true)
    }

    pub(super) fn send_notifies(self: &Arc<Self>, state: &Arc<ZoneState>) {
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
        for (target, key) in notify_targets(state, &zone) {
            self.spawn_notify(state, &zone, target, key);
        }
    }

    /// Sends the zones whose last NOTIFY to `target` went unanswered for
    /// its whole window their NOTIFY again: `target` just answered one, so
    /// it is back (RFC 1996 §3.6 lets the primary repeat a NOTIFY; without
    /// this the target would wait for its refresh timer).
    fn target_heard_from(self: &Arc<Self>, target: SocketAddr) {
        let zones = self.zone_states();
        for state in zones {
            let unanswered = lock(&state.notify_status)
                .get(&target)
                .is_some_and(|s| s.unanswered);
            if !unanswered {
                continue;
            }
            let Some(zone) = self.copy(&state) else {
                continue;
            };
            if let Some((_, key)) = notify_targets(&state, &zone)
                .into_iter()
                .find(|(t, _)| *t == target)
            {
                tracing::info!(zone = %state.apex, %target, "target answers again; repeating the NOTIFY it missed");
                self.spawn_notify(&state, &zone, target, key);
            }
        }
    }

    /// Starts (or restarts) the retransmission of a NOTIFY for `zone` to
    /// `target`; a newer one replaces the one in flight.
    fn spawn_notify(
        self: &Arc<Self>,
        state: &Arc<ZoneState>,
        zone: &Zone,
        target: SocketAddr,
        key: Option<Arc<Key>>,
    ) {
        let apex = state.apex.clone();
        let soa = zone.soa_record();
        let serial = zone.serial();
        // As long as the zone's refresh interval: after that the target's
        // own refresh timer (RFC 1034 §4.3.5) finds the change anyway.
        let window = timers_of(zone, &self.settings.bounds).refresh;
        let policy = self.settings.notify_retry;
        if let Some(entry) = lock(&state.notify_status).get_mut(&target) {
            entry.unanswered = false;
        }
        let this = Arc::clone(self);
        // The task updates the state of the zone it was started for, never
        // whatever zone bears the name when it ends: a zone deleted and
        // created again must not inherit the old one's NOTIFY outcome.
        let owner = Arc::clone(state);
        let task = tokio::spawn(async move {
            let state = owner;
            let key_name = key.as_ref().map(|k| k.name().clone());
            let result = send_notify(&apex, &soa, target, key, policy, window).await;
            if state.removed.load(Ordering::SeqCst) {
                return;
            }
            {
                // Done: forget our handle, unless a newer NOTIFY replaced it.
                let mut in_flight = lock(&state.notify_in_flight);
                if in_flight
                    .get(&target)
                    .is_some_and(|h| h.id() == tokio::task::id())
                {
                    in_flight.remove(&target);
                }
            }
            {
                let mut status = lock(&state.notify_status);
                let entry = status.entry(target).or_default();
                entry.serial = Some(serial);
                entry.unanswered = matches!(result, Err(NotifyError::NoAnswer(_)));
                match &result {
                    Ok(()) => {
                        entry.acknowledged = Some(SystemTime::now());
                        entry.acknowledged_serial = Some(serial);
                        entry.error = None;
                    }
                    Err(e) => entry.error = Some(e.to_string()),
                }
            }
            let key = key_name.map_or_else(|| "-".to_string(), |k| k.to_string());
            crate::metrics::notify(
                crate::metrics::Direction::Out,
                match &result {
                    Ok(()) => crate::metrics::Outcome::Ok,
                    Err(NotifyError::Tsig(_)) => crate::metrics::Outcome::Refused,
                    Err(_) => crate::metrics::Outcome::Failed,
                },
            );
            match result {
                Ok(()) => {
                    tracing::info!(zone = %apex, %target, serial = serial.0, "NOTIFY acknowledged");
                    this.target_heard_from(target);
                }
                Err(e @ NotifyError::Tsig(_)) => {
                    // The target does not take our key: a configuration
                    // mismatch an operator must fix on one side or the other.
                    tracing::warn!(zone = %apex, %target, %key, serial = serial.0, "NOTIFY refused by the target's TSIG check: {e}");
                }
                Err(e) => {
                    tracing::warn!(zone = %apex, %target, %key, serial = serial.0, "NOTIFY given up: {e}");
                }
            }
        });
        if let Some(older) = lock(&state.notify_in_flight).insert(target, task.abort_handle()) {
            older.abort();
        }
        // Removed meanwhile: `remove_zone` set the flag before aborting what
        // it found in flight, so either it saw this task or we see the flag.
        if state.removed.load(Ordering::SeqCst) {
            state.abort_notifies();
        }
    }
}

/// Every target of a zone with the key that signs its NOTIFYs: the
/// configured ones (their own key, else the zone's `notify_key`) and, when
/// asked, the zone's name servers (the zone's key).
fn notify_targets(state: &ZoneState, zone: &Zone) -> Vec<(SocketAddr, Option<Arc<Key>>)> {
    let links = state.links();
    let mut targets: Vec<(SocketAddr, Option<Arc<Key>>)> = links
        .notify
        .iter()
        .map(|t| {
            (
                t.address,
                t.key.clone().or_else(|| links.notify_key.clone()),
            )
        })
        .collect();
    if links.notify_ns {
        for address in name_server_addresses(zone) {
            if !targets.iter().any(|(t, _)| *t == address) {
                targets.push((address, links.notify_key.clone()));
            }
        }
    }
    targets
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

/// Why a NOTIFY was not acknowledged.
#[derive(Debug)]
pub(super) enum NotifyError {
    /// The message could not be signed.
    Sign(tsig::SignError),
    /// The target refused our TSIG (BADKEY, BADSIG, BADTIME, …).
    Tsig(ResponseError),
    /// The target answered with an error RCODE, or garbage.
    Refused(notify::AckError),
    /// No answer within the retry window; the last error seen, if any.
    NoAnswer(String),
}

impl std::fmt::Display for NotifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotifyError::Sign(e) => write!(f, "cannot sign: {e}"),
            NotifyError::Tsig(e) => write!(f, "TSIG: {e}"),
            NotifyError::Refused(e) => write!(f, "{e}"),
            NotifyError::NoAnswer(last) => write!(f, "no answer ({last})"),
        }
    }
}

/// Whether a TSIG failure of a reply is the target's verdict on our key
/// (a TSIG error it sent back) rather than a reply we cannot trust (a MAC
/// that does not verify may be a forgery: keep waiting for the real one).
fn is_target_verdict(e: &ResponseError) -> bool {
    match e {
        ResponseError::UnsignedError(_) | ResponseError::ServerError { .. } => true,
        ResponseError::WrongKey { .. }
        | ResponseError::Malformed(_)
        | ResponseError::Unsigned
        | ResponseError::TooManyUnsigned
        | ResponseError::BadSig
        | ResponseError::BadTime { .. }
        | ResponseError::BadTrunc { .. }
        | ResponseError::NothingVerified
        | ResponseError::LastMessageUnsigned(_) => false,
    }
}

/// How many earlier sends of one retransmission can still be
/// acknowledged: every send carries the same message ID (RFC 1996 does
/// not ask for a new one), but a signed send has its own request MAC, so
/// the answer to it verifies only against that send's verifier.
const VERIFIERS_KEPT: usize = 8;

/// Sends a NOTIFY until acknowledged, refused, or the window is over.
///
/// A socket (and its buffer) exists only while an answer is listened for,
/// at most [`notify::ACK_WAIT`] after a send: thousands of zones
/// retransmitting to a dead target for hours must not hold a file
/// descriptor each. While the back-off waits are that short the socket
/// stays open from one send to the next, and an answer to any earlier
/// send of this retransmission that arrives while it is open counts.
pub(super) async fn send_notify(
    apex: &Name,
    soa: &Record,
    target: SocketAddr,
    key: Option<Arc<Key>>,
    policy: notify::RetryPolicy,
    window: std::time::Duration,
) -> Result<(), NotifyError> {
    let mut retransmission = policy.start(Instant::now(), window);
    let mut last = String::from("no answer");
    let id = random_id();
    let mut verifiers: VecDeque<ResponseVerifier> = VecDeque::new();
    let mut socket: Option<UdpSocket> = None;
    loop {
        let mut message = notify::message(id, apex, Some(soa));
        if let Some(key) = &key {
            let verifier = tsig::sign_request(
                &mut message,
                Arc::clone(key),
                unix(SystemTime::now()),
                tsig::DEFAULT_FUDGE,
            )
            .map_err(NotifyError::Sign)?;
            if verifiers.len() == VERIFIERS_KEPT {
                verifiers.pop_front();
            }
            verifiers.push_back(verifier);
        }
        if socket.is_none() {
            match UdpSocket::bind(local_any(target)).await {
                Ok(bound) => socket = Some(bound),
                // Out of descriptors, say: a passing shortage, so the next
                // send tries again rather than give the NOTIFY up.
                Err(e) => last = format!("cannot open a socket: {e}"),
            }
        }
        let wait = retransmission.sent(Instant::now(), random_fraction());
        if let Some(open) = &socket {
            if let Err(e) = open.send_to(&message, target).await {
                last = e.to_string();
            }
            let until = tokio::time::Instant::from_std(wait.listen_until);
            if let Some(outcome) =
                listen(open, target, id, apex, &mut verifiers, until, &mut last).await
            {
                return outcome;
            }
        }
        if wait.then == AfterWait::GiveUp {
            return Err(NotifyError::NoAnswer(last));
        }
        if wait.listen_until < wait.until {
            // Nothing to listen for until the next send: no socket meanwhile.
            socket = None;
            tokio::time::sleep_until(tokio::time::Instant::from_std(wait.until)).await;
        }
    }
}

/// Listens on `socket` until `until` for the acknowledgement of a NOTIFY
/// with `id`: `Some` with the outcome once one is final, `None` when
/// nothing final came.
async fn listen(
    socket: &UdpSocket,
    target: SocketAddr,
    id: u16,
    apex: &Name,
    verifiers: &mut VecDeque<ResponseVerifier>,
    until: tokio::time::Instant,
    last: &mut String,
) -> Option<Result<(), NotifyError>> {
    let mut buf = vec![0u8; 4096];
    while let Ok(received) = tokio::time::timeout_at(until, socket.recv_from(&mut buf)).await {
        let (len, from) = match received {
            Ok(received) => received,
            // A socket error (an unconnected socket rarely sees ICMP
            // errors): note it and wait out this listen rather than spin
            // on an error that may repeat.
            Err(e) => {
                *last = e.to_string();
                tokio::time::sleep_until(until).await;
                return None;
            }
        };
        if from != target {
            continue;
        }
        let reply = &buf[..len];
        let ack = notify::check_ack(reply, id, apex);
        if ack == Err(notify::AckError::Unrelated) {
            continue;
        }
        if !verifiers.is_empty() {
            match tsig_verdict(reply, verifiers) {
                Ok(()) => {}
                Err(e) if is_target_verdict(&e) => return Some(Err(NotifyError::Tsig(e))),
                // Unverified, unsigned included: RFC 8945 §5.3 has a
                // response without TSIG to a signed request discarded, or
                // an off-path spoofer who guessed the ID could end the
                // retransmission with an unsigned REFUSED. Keep waiting.
                Err(e) => {
                    *last = format!("TSIG: {e}");
                    continue;
                }
            }
        }
        return Some(ack.map_err(NotifyError::Refused));
    }
    None
}

/// Checks `reply` against the verifiers of the sends made so far, newest
/// first: `Ok` when one of them verifies it, else the most telling error
/// (a TSIG error the target sent back before anything else).
fn tsig_verdict(reply: &[u8], verifiers: &VecDeque<ResponseVerifier>) -> Result<(), ResponseError> {
    let now = unix(SystemTime::now());
    let mut worst = None;
    for verifier in verifiers.iter().rev() {
        // A copy: a failed check must not change the state of a verifier
        // whose own answer may still come.
        match verifier.clone().verify(reply, now) {
            Ok(_) => return Ok(()),
            Err(e) if is_target_verdict(&e) => return Err(e),
            Err(e) => worst = Some(e),
        }
    }
    Err(worst.unwrap_or(ResponseError::Unsigned))
}
