//! A secondary zone's task (RFC 1996 §3.7, RFC 1034 §4.3.5): SOA checks on
//! the refresh/retry timers or a NOTIFY, transfers in (IXFR with AXFR
//! fallback), applying them to a copy, persisting and publishing it, and
//! expiry.

use crate::metrics;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use tokio::net::{TcpStream, UdpSocket};
use wire::header::flags;
use wire::tsig::Key;
use wire::{Message, Name, Rcode, Rtype, Serial};
use zone::{BuildOptions, Zone};

use crate::diff::RecordSet;
use crate::persist::{self, ZoneTimers};
use crate::secondary::{Failure, Step, Timers};
use crate::xfr_in::{Incoming, Received, Request, TransferError};

use super::io::{build_query, local_any, read_framed, write_framed};
use super::{Replicator, Role, TransferInLimits, ZoneState, lock, random_id, timers_of, unix};

impl Replicator {
    /// Checks the primary now (secondary zones).
    pub fn refresh_now(&self, apex: &Name) -> bool {
        match self.zone_state(&apex.to_lowercase()) {
            Some(state) => match state.machine() {
                Some(mut machine) => {
                    machine.notify(SystemTime::now());
                    drop(machine);
                    state.wake.notify_one();
                    true
                }
                None => false,
            },
            None => false,
        }
    }

    /// Transfers the whole zone again now (secondary zones).
    pub fn retransfer_now(&self, apex: &Name) -> bool {
        match self.zone_state(&apex.to_lowercase()) {
            Some(state) => match state.machine() {
                Some(mut machine) => {
                    machine.force_transfer();
                    drop(machine);
                    state.wake.notify_one();
                    true
                }
                None => false,
            },
            None => false,
        }
    }

    pub(super) async fn run_secondary(self: Arc<Self>, state: Arc<ZoneState>) {
        let Role::Secondary { .. } = &state.role else {
            return;
        };
        // The SOA check under way: its primary and when its time is up. A
        // check restarted by a NOTIFY keeps this deadline, so restarts never
        // extend it.
        let mut check: Option<(usize, tokio::time::Instant)> = None;
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                // The node is stopping: no new check or transfer; the
                // final timers are written by Replicator::save_all_timers.
                return;
            }
            if state.removed.load(Ordering::SeqCst) {
                if state.forgotten.load(Ordering::SeqCst) && self.zone_state(&state.apex).is_none()
                {
                    // A transfer or timer save that was under way when the
                    // zone was forgotten may have written files again (not
                    // when the zone came back meanwhile: they are its own).
                    super::zones::delete_files(&state.apex, &state.files);
                }
                return;
            }
            let now = SystemTime::now();
            self.enforce_expiry(&state, now);
            let step = match state.machine() {
                Some(mut machine) => machine.next_step(now),
                None => return,
            };
            if !matches!(step, Step::QuerySoa { .. }) {
                // The check ended some other way (a forced transfer).
                check = None;
            }
            match step {
                Step::Wait { until } => {
                    let wait = until.duration_since(now).unwrap_or_default();
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = state.wake.notified() => {}
                    }
                }
                Step::QuerySoa { primary } => {
                    // Read afresh each time: a reload may change them.
                    let links = state.links();
                    let Some(address) = pick(&links.primaries, primary) else {
                        return;
                    };
                    let key = links.key.clone();
                    let deadline = match check {
                        Some((p, deadline)) if p == primary => deadline,
                        _ => {
                            // A new query: wait for the lane's next slot, so
                            // that many zones due at once reach their
                            // primaries at a steady rate.
                            let slot = lock(&self.soa_pacer).reserve(std::time::Instant::now());
                            tokio::time::sleep_until(tokio::time::Instant::from_std(slot)).await;
                            if state.removed.load(Ordering::SeqCst)
                                || self.stopping.load(Ordering::SeqCst)
                            {
                                return;
                            }
                            tokio::time::Instant::now() + SOA_CHECK_BUDGET
                        }
                    };
                    check = Some((primary, deadline));
                    let query = query_soa(&state.apex, address, key, deadline);
                    tokio::pin!(query);
                    // A NOTIFY that arrives while the check waits for an
                    // answer (from a primary that just came back, say)
                    // restarts it at once rather than after the timeout.
                    let result = loop {
                        tokio::select! {
                            result = &mut query => break Some(result),
                            _ = state.wake.notified() => {
                                if state.removed.load(Ordering::SeqCst)
                                    || self.stopping.load(Ordering::SeqCst)
                                {
                                    return;
                                }
                                let restart = state.machine().is_some_and(|mut m| m.restart_check());
                                if restart {
                                    break None;
                                }
                            }
                        }
                    };
                    let Some(result) = result else {
                        tracing::debug!(zone = %state.apex, primary = %address, "NOTIFY during the SOA check; checking again now");
                        continue;
                    };
                    check = None;
                    if let Err(e) = &result {
                        tracing::warn!(zone = %state.apex, primary = %address, "SOA check failed: {e:?}");
                    }
                    if let Some(mut machine) = state.machine() {
                        machine.soa_answer(SystemTime::now(), primary, result);
                    }
                    self.save_timers(&state, Some(address));
                    self.enforce_expiry(&state, SystemTime::now());
                }
                Step::Transfer { primary, request } => {
                    let links = state.links();
                    let Some(address) = pick(&links.primaries, primary) else {
                        return;
                    };
                    let key = links.key.clone();
                    // Counted until its timers are saved: a stop waits for
                    // a transfer under way to be applied and persisted.
                    let _counted = TransferInCount::start(&self.transfers_in);
                    let result = self.transfer_in(&state, address, key, request).await;
                    match &result {
                        Ok((serial, _)) => {
                            tracing::info!(zone = %state.apex, primary = %address, serial = serial.0, ?request, "transfer in done")
                        }
                        Err(e) => {
                            tracing::warn!(zone = %state.apex, primary = %address, ?request, "transfer in failed: {e:?}")
                        }
                    }
                    let changed = result.is_ok();
                    if let Some(mut machine) = state.machine() {
                        machine.transfer_done(SystemTime::now(), primary, result);
                    }
                    self.save_timers(&state, Some(address));
                    if changed {
                        self.send_notifies(&state);
                    }
                }
            }
        }
    }

    /// Stops serving an expired copy (RFC 1035 §4.3.5), and serves it again
    /// once a check succeeds.
    pub(super) fn enforce_expiry(&self, state: &ZoneState, now: SystemTime) {
        let expired = state.machine().map(|m| m.is_expired(now)).unwrap_or(false);
        let served = self.current(&state.apex).is_some();
        if expired && served {
            tracing::error!(zone = %state.apex, "zone expired: no successful check within the expire interval; answering SERVFAIL");
            self.publish(&state.apex, None);
        } else if !expired
            && !served
            && let Some(copy) = self.copy(state)
        {
            tracing::info!(zone = %state.apex, serial = copy.serial().0, "zone confirmed by its primary; serving it again");
            self.publish(&state.apex, Some(copy));
        }
    }

    pub(super) fn save_timers(&self, state: &ZoneState, primary: Option<SocketAddr>) {
        if state.removed.load(Ordering::SeqCst) {
            return;
        }
        let primary = {
            let mut last = lock(&state.last_primary);
            if primary.is_some() {
                *last = primary;
            }
            *last
        };
        let Some(machine) = state.machine() else {
            return;
        };
        let Some(p) = machine.persisted() else { return };
        let status = machine.status(SystemTime::now());
        drop(machine);
        let timers = ZoneTimers {
            serial: p.serial,
            last_refresh: status.last_check.map_or(0, unix),
            next_refresh: unix(p.next_refresh),
            expires_at: unix(p.expires_at),
            last_transfer: p.last_transfer.map(unix),
            primary: primary.map(|a| a.to_string()),
        };
        if let Err(e) = persist::write_timers(&state.files.timers, &timers) {
            tracing::error!(zone = %state.apex, error = %e, "cannot persist timers");
        }
        // Forgotten while this was written: its files were deleted before
        // this one landed.
        if state.forgotten.load(Ordering::SeqCst) {
            let _ = std::fs::remove_file(&state.files.timers);
        }
    }

    /// Begins a stop: every zone task ends at its next step without
    /// starting a SOA check or transfer (one waiting for an answer gives
    /// it up); a transfer in under way runs on until it is applied and
    /// persisted ([`Replicator::transfers_in_finished`]).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let zones = self.zone_states();
        for zone in zones {
            zone.wake.notify_one();
        }
    }

    /// Resolves once no transfer in is under way.
    pub async fn transfers_in_finished(&self) {
        let mut count = self.transfers_in.subscribe();
        let _ = count.wait_for(|n| *n == 0).await;
    }

    /// Transfers in under way now.
    pub fn transfers_in_running(&self) -> usize {
        *self.transfers_in.borrow()
    }

    /// Writes every secondary zone's timers as they stand (the last step
    /// of a stop, so a restart resumes each schedule where this run left
    /// it); returns how many were written.
    pub fn save_all_timers(&self) -> usize {
        let zones = self.zone_states();
        let mut saved = 0;
        for zone in zones
            .iter()
            .filter(|z| matches!(z.role, Role::Secondary { .. }))
        {
            if zone.machine().is_some_and(|m| m.persisted().is_some()) {
                self.save_timers(zone, None);
                saved += 1;
            }
        }
        saved
    }

    /// Runs one incoming transfer and applies it.
    pub(super) async fn transfer_in(
        self: &Arc<Self>,
        state: &Arc<ZoneState>,
        primary: SocketAddr,
        key: Option<Arc<Key>>,
        request: Request,
    ) -> Result<(Serial, Timers), Failure> {
        let current = self.copy(state);
        // IXFR needs the copy it starts from; without one, AXFR.
        let request = match (request, &current) {
            (Request::Ixfr(serial), Some(zone)) if zone.serial() == serial => request,
            _ => Request::Axfr,
        };
        let started = std::time::Instant::now();
        let asked = match request {
            Request::Axfr => metrics::Kind::Axfr,
            Request::Ixfr(_) => metrics::Kind::Ixfr,
        };
        let received = tokio::time::timeout(
            self.settings.transfer_timeout,
            receive_transfer(
                &state.apex,
                primary,
                key,
                request,
                current.as_deref(),
                self.settings.transfer_idle_timeout,
                self.settings.transfer_in,
            ),
        )
        .await
        .map_err(|_| Failure::Unreachable("transfer took too long".into()))
        .and_then(|received| received)
        .inspect_err(|e| {
            let outcome = match e {
                Failure::Refused(_) => metrics::Outcome::Refused,
                _ => metrics::Outcome::Failed,
            };
            metrics::transfer(metrics::Direction::In, asked, outcome);
        })?;
        let kind = match &received {
            Received::UpToDate(_) => metrics::Kind::UpToDate,
            Received::Full { .. } => metrics::Kind::Axfr,
            _ => metrics::Kind::Ixfr,
        };
        metrics::transfer(metrics::Direction::In, kind, metrics::Outcome::Ok);
        tracing::debug!(zone = %state.apex, elapsed_ms = started.elapsed().as_millis() as u64, "transfer received");
        let this = Arc::clone(self);
        let state = Arc::clone(state);
        tokio::task::spawn_blocking(move || this.apply(&state, current, request, received))
            .await
            .map_err(|e| Failure::Invalid(format!("apply task failed: {e}")))?
    }

    /// Builds, persists and publishes the result of a transfer (blocking).
    pub(super) fn apply(
        self: &Arc<Self>,
        state: &Arc<ZoneState>,
        current: Option<Arc<Zone>>,
        request: Request,
        received: Received,
    ) -> Result<(Serial, Timers), Failure> {
        // A zone removed while its transfer ran (DELETE through the API)
        // must not get its files back: forget_zone has deleted them.
        if state.removed.load(Ordering::SeqCst) {
            return Err(Failure::Invalid("the zone was removed".into()));
        }
        let bounds = &self.settings.bounds;
        match received {
            Received::UpToDate(_) => {
                let zone = current
                    .ok_or_else(|| Failure::Invalid("up to date, but we hold no copy".into()))?;
                Ok((zone.serial(), timers_of(&zone, bounds)))
            }
            Received::Full { serial, records } => {
                // Two things at once: the dump is written (to a temporary
                // file) while the snapshot is built; the dump replaces the
                // old one only once the snapshot proved the zone good, and
                // the zone is served only once its dump is in place, so a
                // crash now must not lose it. The snapshot is served first
                // and compiled after (below): a large zone answers on the
                // general path for the moment compiling takes.
                let started = std::time::Instant::now();
                let (zone, prepared) = std::thread::scope(|scope| {
                    let writer = scope.spawn(|| {
                        persist::prepare_zone(&state.files.zone, &state.apex, serial, &records)
                    });
                    let zone = Zone::build_from_slice(
                        &state.apex,
                        &records,
                        BuildOptions { precompile: false },
                    );
                    let prepared = match writer.join() {
                        Ok(result) => result.map_err(|e| e.to_string()),
                        Err(_) => Err("the dump writer panicked".to_string()),
                    };
                    (zone, prepared)
                });
                let zone = zone.map_err(|e| Failure::Invalid(e.to_string()))?;
                tracing::debug!(zone = %state.apex, elapsed_ms = started.elapsed().as_millis() as u64, "transferred zone built and written");
                // One pass over the RRsets' counts, no copy.
                if let Some(set) = zone
                    .rrsets()
                    .find(|s| s.len() > wire::MAX_RECORDS_PER_RRSET)
                {
                    let mut owner = [0u8; wire::name::MAX_NAME_LEN];
                    let length = set.owner(&mut owner);
                    let owner = Name::from_wire(&owner[..length])
                        .map_or_else(|_| "?".into(), |n| n.to_string());
                    return Err(Failure::Invalid(format!(
                        "the transfer holds {} {} records at {owner}, over the {} an RRset may hold; kept the copy we have",
                        set.len(),
                        set.rtype,
                        wire::MAX_RECORDS_PER_RRSET
                    )));
                }
                if zone.serial() != serial {
                    return Err(Failure::Invalid(format!(
                        "SOA serial {} differs from the promised {serial}",
                        zone.serial()
                    )));
                }
                if let Some(current) = &current
                    && !zone.serial().is_newer_than(current.serial())
                    && zone.serial() != current.serial()
                {
                    return Err(Failure::Invalid(format!(
                        "transfer brought serial {serial}, older than ours {}",
                        current.serial()
                    )));
                }
                let zone = Arc::new(zone);
                prepared
                    .and_then(|p| p.commit().map_err(|e| e.to_string()))
                    .map_err(|e| Failure::Invalid(format!("cannot persist the copy: {e}")))?;
                *lock(&state.since_dump) = 0;
                if let Err(e) = lock(&state.journal).reset() {
                    tracing::warn!(zone = %state.apex, error = %e, "cannot reset the journal");
                }
                let timers = timers_of(&zone, bounds);
                self.publish_copy(state, zone.clone());
                // Freed only now: a million records take a while to free.
                drop(records);
                zone.compile();
                drop(zone);
                if let Some(after_load) = self.settings.after_load {
                    after_load();
                }
                Ok((serial, timers))
            }
            Received::Incremental(diffs) => {
                let unusable = |text: String| {
                    if matches!(request, Request::Ixfr(_)) {
                        Failure::IxfrUnusable(text)
                    } else {
                        Failure::Invalid(text)
                    }
                };
                let base =
                    current.ok_or_else(|| unusable("IXFR without a copy to apply it to".into()))?;
                let serial = diffs.last().map(|d| d.to).unwrap_or(base.serial());
                let size: usize = diffs.iter().map(|d| d.removed.len() + d.added.len()).sum();
                // Patched over the copy at the cost of the change (compacted
                // later, off this path), unless the increments rewrite much
                // of the zone: then built whole.
                let zone = if size <= WHOLE_BUILD_ABOVE.max(base.record_count() / 8) {
                    let mut zone = None;
                    for d in &diffs {
                        let from = zone.as_ref().unwrap_or(&*base);
                        let next = from
                            .apply(&d.removed, &d.added)
                            .map_err(|e| unusable(e.to_string()))?;
                        zone = Some(next);
                    }
                    zone.map_or_else(
                        || {
                            Zone::build(
                                &state.apex,
                                base.canonical_records().collect(),
                                BuildOptions::default(),
                            )
                        },
                        Ok,
                    )
                    .map_err(|e| unusable(e.to_string()))?
                } else {
                    let mut set = RecordSet::from_records(base.canonical_records());
                    for d in &diffs {
                        set.apply(&d.removed, &d.added)
                            .map_err(|e| unusable(e.to_string()))?;
                    }
                    Zone::build(&state.apex, set.into_records(), BuildOptions::default())
                        .map_err(|e| unusable(e.to_string()))?
                };
                if zone.serial() != serial {
                    return Err(unusable(format!(
                        "after IXFR the SOA says {} instead of {serial}",
                        zone.serial()
                    )));
                }
                // Only the RRsets the differences add to can have grown;
                // each is looked at once.
                let grown: std::collections::HashSet<(&Name, Rtype)> = diffs
                    .iter()
                    .flat_map(|d| &d.added)
                    .map(|r| (&r.owner, r.rtype))
                    .collect();
                for (owner, rtype) in grown {
                    let count = zone.rdata_at(owner, rtype).len();
                    if count > wire::MAX_RECORDS_PER_RRSET {
                        return Err(unusable(format!(
                            "the IXFR gives {owner} {count} {rtype} records, over the {} an RRset may hold; kept the copy we have",
                            wire::MAX_RECORDS_PER_RRSET
                        )));
                    }
                }
                {
                    let mut journal = lock(&state.journal);
                    for d in &diffs {
                        if journal.append(d).is_err() {
                            // A gap in our history: keep only what follows.
                            let _ = journal.reset();
                            let _ = journal.append(d);
                        }
                    }
                }
                let zone = Arc::new(zone);
                let dump_due = {
                    let mut since = lock(&state.since_dump);
                    *since += 1;
                    *since >= self.settings.dump_every
                };
                // The dump (with the journal, what a restart reads back) is
                // written before the transfer counts as done.
                if dump_due {
                    self.write_dump(state, &zone);
                }
                let timers = timers_of(&zone, bounds);
                self.publish_copy(state, zone.clone());
                if zone.is_patched() {
                    self.compact_later(state);
                } else {
                    zone.compile();
                }
                Ok((serial, timers))
            }
        }
    }
}

/// Increments of more records than this (or an eighth of the zone, if
/// more) build the new version whole rather than patch the copy.
const WHOLE_BUILD_ABOVE: usize = 20_000;

/// How long one SOA check of one primary may take: three tries of two
/// seconds. A check restarted by a NOTIFY gets what is left of it.
const SOA_CHECK_BUDGET: Duration = Duration::from_secs(6);

/// Asks `primary` for the SOA serial of `apex`: UDP first, TCP when the
/// answer is truncated; tries of two seconds until `deadline` (three in
/// [`SOA_CHECK_BUDGET`]). The socket is connected, so an ICMP port or
/// host unreachable (the primary is down) ends a try at once as
/// ECONNREFUSED instead of after its timeout.
pub(super) async fn query_soa(
    apex: &Name,
    primary: SocketAddr,
    key: Option<Arc<Key>>,
    deadline: tokio::time::Instant,
) -> Result<Serial, Failure> {
    let mut last_error = String::from("no answer");
    let mut buf = vec![0u8; 65535];
    for _ in 0..3 {
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        let id = random_id();
        let (query, mut verifier) = build_query(apex, Rtype::SOA, None, key.clone(), id);
        let socket = UdpSocket::bind(local_any(primary))
            .await
            .map_err(|e| Failure::Unreachable(e.to_string()))?;
        if let Err(e) = socket.connect(primary).await {
            last_error = format!("{primary}: {e}");
            continue;
        }
        if let Err(e) = socket.send(&query).await {
            last_error = format!("{primary}: {e}");
            continue;
        }
        let try_deadline = (tokio::time::Instant::now() + Duration::from_secs(2)).min(deadline);
        loop {
            // A connected socket only receives from `primary`.
            let len = match tokio::time::timeout_at(try_deadline, socket.recv(&mut buf)).await {
                Ok(Ok(len)) => len,
                Ok(Err(e)) => {
                    last_error = format!("{primary}: {e}");
                    break;
                }
                Err(_) => {
                    last_error = format!("no answer from {primary}");
                    break;
                }
            };
            if len < 12 || buf[..2] != id.to_be_bytes() {
                continue;
            }
            let reply = &buf[..len];
            if reply[2] & 0x02 != 0 {
                // Truncated: ask again over TCP.
                return query_soa_tcp(apex, primary, key).await;
            }
            if let Some(verifier) = verifier.as_mut() {
                verifier
                    .verify(reply, unix(SystemTime::now()))
                    .map_err(|e| Failure::Refused(format!("TSIG: {e}")))?;
            }
            return soa_from_reply(apex, reply);
        }
    }
    Err(Failure::Unreachable(last_error))
}

pub(super) async fn query_soa_tcp(
    apex: &Name,
    primary: SocketAddr,
    key: Option<Arc<Key>>,
) -> Result<Serial, Failure> {
    let id = random_id();
    let (query, mut verifier) = build_query(apex, Rtype::SOA, None, key, id);
    let mut stream = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(primary))
        .await
        .map_err(|_| Failure::Unreachable(format!("cannot connect to {primary}")))?
        .map_err(|e| Failure::Unreachable(e.to_string()))?;
    write_framed(&mut stream, &query, Duration::from_secs(5))
        .await
        .map_err(|e| Failure::Unreachable(e.to_string()))?;
    let reply = read_framed(&mut stream, Duration::from_secs(5))
        .await
        .map_err(|e| Failure::Unreachable(e.to_string()))?;
    if reply.len() < 2 || reply[..2] != id.to_be_bytes() {
        return Err(Failure::Unreachable("answer with the wrong ID".into()));
    }
    if let Some(verifier) = verifier.as_mut() {
        verifier
            .verify(&reply, unix(SystemTime::now()))
            .map_err(|e| Failure::Refused(format!("TSIG: {e}")))?;
    }
    soa_from_reply(apex, &reply)
}

pub(super) fn soa_from_reply(apex: &Name, reply: &[u8]) -> Result<Serial, Failure> {
    let message = Message::parse(reply)
        .map_err(|e| Failure::Unreachable(format!("malformed answer: {e}")))?;
    if message.rcode() == Rcode::REFUSED {
        return Err(Failure::SoaRefused("SOA query answered REFUSED".into()));
    }
    if message.rcode() != Rcode::NOERROR {
        return Err(Failure::Refused(format!(
            "SOA query answered {}",
            message.rcode()
        )));
    }
    if !message.header.flag(flags::AA) {
        return Err(Failure::Refused(
            "the primary is not authoritative for the zone".into(),
        ));
    }
    message
        .answer
        .iter()
        .find(|r| r.rtype == Rtype::SOA && r.owner == *apex)
        .and_then(|r| wire::rdata::soa_numbers(&r.rdata))
        .map(|n| Serial(n[0]))
        .ok_or_else(|| Failure::Refused("no SOA in the answer".into()))
}

/// Receives one transfer over TCP, checking IDs and TSIG on every message.
pub(super) async fn receive_transfer(
    apex: &Name,
    primary: SocketAddr,
    key: Option<Arc<Key>>,
    request: Request,
    current: Option<&Zone>,
    idle: Duration,
    limits: TransferInLimits,
) -> Result<Received, Failure> {
    let id = random_id();
    let (qtype, soa) = match request {
        Request::Axfr => (Rtype::AXFR, None),
        Request::Ixfr(_) => (Rtype::IXFR, current.map(|z| z.soa_record())),
    };
    let (query, mut verifier) = build_query(apex, qtype, soa.as_ref(), key, id);
    let unreachable = |e: std::io::Error| Failure::Unreachable(format!("{primary}: {e}"));
    let mut stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(primary))
        .await
        .map_err(|_| Failure::Unreachable(format!("cannot connect to {primary}")))?
        .map_err(unreachable)?;
    write_framed(&mut stream, &query, idle)
        .await
        .map_err(unreachable)?;
    let mut incoming = Incoming::new(apex, request);
    let (mut octets, mut records) = (0u64, 0u64);
    loop {
        let bytes = read_framed(&mut stream, idle).await.map_err(unreachable)?;
        metrics::transfer_bytes(metrics::Direction::In, bytes.len() as u64 + 2);
        // Checked before the message is parsed or kept: past a limit the
        // transfer ends here and the copy served stays as it was.
        octets += bytes.len() as u64 + 2;
        if octets > limits.max_bytes {
            return Err(failure_for(
                request,
                format!(
                    "the transfer from {primary} is over max_transfer_size ({} octets); kept the copy we have",
                    limits.max_bytes
                ),
            ));
        }
        if bytes.len() < 2 || bytes[..2] != id.to_be_bytes() {
            return Err(Failure::Invalid("a message with the wrong ID".into()));
        }
        if let Some(verifier) = verifier.as_mut() {
            verifier
                .verify(&bytes, unix(SystemTime::now()))
                .map_err(|e| Failure::Refused(format!("TSIG: {e}")))?;
        }
        let message = Message::parse(&bytes)
            .map_err(|e| failure_for(request, format!("malformed message: {e}")))?;
        records += message.answer.len() as u64;
        if records > limits.max_records {
            return Err(failure_for(
                request,
                format!(
                    "the transfer from {primary} is over max_transfer_records ({}); kept the copy we have",
                    limits.max_records
                ),
            ));
        }
        match incoming.feed(&message) {
            Ok(Some(received)) => {
                if let Some(verifier) = verifier.as_ref() {
                    verifier
                        .finish()
                        .map_err(|e| Failure::Refused(format!("TSIG: {e}")))?;
                }
                if incoming.ignored > 0 {
                    tracing::warn!(zone = %apex, records = incoming.ignored, "transfer carried records outside the zone; ignored them");
                }
                return Ok(received);
            }
            Ok(None) => {}
            Err(TransferError::Refused(rcode)) => {
                return Err(Failure::Refused(format!("{primary} answered {rcode}")));
            }
            Err(e) => return Err(failure_for(request, e.to_string())),
        }
    }
}

/// A broken IXFR means "try AXFR"; a broken AXFR is just broken.
pub(super) fn failure_for(request: Request, text: String) -> Failure {
    match request {
        Request::Ixfr(_) => Failure::IxfrUnusable(text),
        Request::Axfr => Failure::Invalid(text),
    }
}

/// The primary the machine chose, by index; past the end (the list
/// shrank under a reload) the last. `None` for an empty list.
fn pick(primaries: &[SocketAddr], index: usize) -> Option<SocketAddr> {
    primaries
        .get(index.min(primaries.len().checked_sub(1)?))
        .copied()
}

/// One transfer in counted in [`Replicator`]'s `transfers_in` while it
/// lives.
struct TransferInCount<'a>(&'a tokio::sync::watch::Sender<usize>);

impl<'a> TransferInCount<'a> {
    fn start(count: &'a tokio::sync::watch::Sender<usize>) -> TransferInCount<'a> {
        count.send_modify(|n| *n += 1);
        TransferInCount(count)
    }
}

impl Drop for TransferInCount<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}
