//! Outgoing AXFR/IXFR (RFC 5936, RFC 1995): the plan comes from the
//! journal, messages are built on a blocking thread and streamed through a
//! bounded channel to the socket, every one signed when the request was.

use crate::metrics;
use std::sync::Arc;
use std::time::SystemTime;
use wire::Rtype;

use answer::TransferTicket;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use wire::Rcode;
use wire::header::flags;
use wire::writer::Writer;

use crate::xfr_out::{self, MessageFrame};

use super::io::write_framed;
use super::{Replicator, lock, unix};

impl Replicator {
    /// Streams an accepted transfer to `writer` (length-prefixed TCP
    /// messages). Returns the number of messages sent.
    pub async fn serve_transfer<W: AsyncWrite + Unpin>(
        self: &Arc<Self>,
        ticket: TransferTicket,
        writer: &mut W,
    ) -> std::io::Result<usize> {
        let client_slot = ClientTransfer::admit(
            &self.transfers_out_by_client,
            ticket.client.ip(),
            self.settings.max_transfers_out_per_client.max(1),
        );
        let permit = Arc::clone(&self.transfers_out).try_acquire_owned();
        let (Ok(_permit), Some(_client_slot)) = (permit, client_slot) else {
            tracing::warn!(zone = %ticket.zone.apex(), client = %ticket.client, "too many transfers at once, in all or to this client; refusing one");
            let kind = if ticket.qtype == Rtype::IXFR {
                metrics::Kind::Ixfr
            } else {
                metrics::Kind::Axfr
            };
            metrics::transfer(metrics::Direction::Out, kind, metrics::Outcome::Refused);
            let reply = refusal(&ticket, Rcode::REFUSED);
            write_framed(writer, &reply, self.settings.transfer_idle_timeout).await?;
            return Ok(1);
        };
        let apex = ticket.zone.apex().clone();
        let state = self.zone_state(&apex);
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
        let TransferTicket {
            zone,
            qtype,
            client_serial,
            id,
            question,
            mut signer,
            client,
            key,
        } = ticket;
        let key = key.map_or_else(|| "-".to_string(), |k| k.to_string());
        let producer = tokio::task::spawn_blocking(move || {
            let plan = xfr_out::plan(&zone, client_serial, |from| {
                let state = state?;
                match lock(&state.journal).diffs_from(from) {
                    Ok(diffs) => diffs,
                    Err(e) => {
                        tracing::warn!(zone = %state.apex, error = %e, "journal unreadable; answering IXFR with the whole zone");
                        None
                    }
                }
            });
            let kind = match &plan {
                xfr_out::Plan::UpToDate => metrics::Kind::UpToDate,
                xfr_out::Plan::Incremental(_) => metrics::Kind::Ixfr,
                xfr_out::Plan::Full => metrics::Kind::Axfr,
            };
            let frame = MessageFrame {
                id,
                question: &question,
            };
            let result = xfr_out::stream(&zone, &plan, frame, |message| {
                if let Some(signer) = signer.as_mut()
                    && signer
                        .sign(message, unix(SystemTime::now()), xfr_out::MAX_MESSAGE)
                        .is_err()
                {
                    return false;
                }
                sender.blocking_send(message.clone()).is_ok()
            });
            (kind, zone.serial(), result)
        });
        let started = std::time::Instant::now();
        let mut sent = 0;
        let failed = |kind| {
            metrics::transfer(metrics::Direction::Out, kind, metrics::Outcome::Failed);
        };
        let asked = if qtype == Rtype::IXFR {
            metrics::Kind::Ixfr
        } else {
            metrics::Kind::Axfr
        };
        while let Some(message) = receiver.recv().await {
            if started.elapsed() > self.settings.transfer_timeout {
                failed(asked);
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "transfer took too long",
                ));
            }
            if let Err(e) =
                write_framed(writer, &message, self.settings.transfer_idle_timeout).await
            {
                failed(asked);
                return Err(e);
            }
            metrics::transfer_bytes(metrics::Direction::Out, message.len() as u64 + 2);
            sent += 1;
        }
        writer.flush().await?;
        match producer.await {
            Ok((kind, serial, Ok(messages))) => {
                metrics::transfer(metrics::Direction::Out, kind, metrics::Outcome::Ok);
                // The log's words as before: tests and operators grep them.
                let kind = match kind {
                    metrics::Kind::Axfr => "AXFR",
                    metrics::Kind::Ixfr => "IXFR",
                    metrics::Kind::UpToDate => "up-to-date",
                };
                tracing::info!(zone = %apex, %client, %key, ?qtype, kind, serial = serial.0, messages, from = ?client_serial.map(|s| s.0), "transfer out done");
            }
            Ok((kind, _, Err(e))) => {
                failed(kind);
                tracing::warn!(zone = %apex, %client, %key, error = %e, "transfer out stopped");
            }
            Err(e) => tracing::error!(zone = %apex, error = %e, "transfer out task failed"),
        }
        Ok(sent)
    }
}

/// A one-message error reply to a transfer request.
pub(super) fn refusal(ticket: &TransferTicket, rcode: Rcode) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut writer = Writer::new(&mut buf, 512);
    let _ = writer.question_raw(&ticket.question);
    writer.finish(ticket.id, flags::QR | rcode.header_bits() as u16);
    buf
}

/// One outgoing transfer counted against its client while it lives.
struct ClientTransfer {
    counts: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
    address: std::net::IpAddr,
}

impl ClientTransfer {
    /// Counts a transfer to `address` unless it has `limit` running.
    fn admit(
        counts: &Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
        address: std::net::IpAddr,
        limit: usize,
    ) -> Option<ClientTransfer> {
        let mut running = lock(counts);
        let count = running.entry(address).or_insert(0);
        if *count >= limit {
            return None;
        }
        *count += 1;
        Some(ClientTransfer {
            counts: Arc::clone(counts),
            address,
        })
    }
}

impl Drop for ClientTransfer {
    fn drop(&mut self) {
        let mut running = lock(&self.counts);
        if let Some(count) = running.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                running.remove(&self.address);
            }
        }
    }
}
