//! What [`respond`](crate::respond()) tells the transport to do with a
//! request ([`Outcome`]), and the tickets for the work it hands over: a zone
//! transfer to stream, an UPDATE to apply.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use wire::header::flags;
use wire::tsig::ResponseSigner;
use wire::writer::Writer;
use wire::{Message, Name, Rcode, Rtype, Serial};
use zone::Zone;

use crate::client::Client;

/// An accepted zone transfer request, for the transport to stream.
pub struct TransferTicket {
    /// The snapshot to send.
    pub zone: Arc<Zone>,
    /// AXFR or IXFR.
    pub qtype: Rtype,
    /// For IXFR, the serial the client holds.
    pub client_serial: Option<Serial>,
    /// The request's ID, echoed in every message.
    pub id: u16,
    /// The request's question section, echoed in the first message.
    pub question: Vec<u8>,
    /// Signs every message when the request was signed.
    pub signer: Option<ResponseSigner>,
    /// Who asked, for the transfer log.
    pub client: SocketAddr,
    /// The verified TSIG key the request was signed with.
    pub key: Option<Name>,
}

impl fmt::Debug for TransferTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TransferTicket({} {} from {:?})",
            self.zone.apex(),
            self.qtype,
            self.client_serial
        )
    }
}

/// What the transport should do with the request.
#[derive(Debug)]
pub enum Outcome {
    /// Send the bytes written to `out`.
    Reply,
    /// Send nothing.
    Drop,
    /// Stream a zone transfer (TCP only).
    Transfer(Box<TransferTicket>),
    /// Apply a dynamic update, then reply (see [`UpdateTicket::reply`]).
    Update(Box<UpdateTicket>),
}

impl Outcome {
    /// Whether this is [`Outcome::Reply`].
    pub fn is_reply(&self) -> bool {
        matches!(self, Outcome::Reply)
    }
}

/// An accepted UPDATE request, for the server's writer.
pub struct UpdateTicket {
    /// The zone being updated.
    pub apex: Name,
    /// The whole request, parsed.
    pub message: Message,
    /// The key it was signed with, for the journal's author.
    pub key: Option<Name>,
    /// Signs the reply when the request was signed.
    pub signer: Option<wire::tsig::ResponseSigner>,
    /// Where it came from.
    pub client: Client,
}

impl std::fmt::Debug for UpdateTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "UpdateTicket({} from {})",
            self.apex, self.client.address
        )
    }
}

impl UpdateTicket {
    /// The reply to this update with `rcode`: header and zone section
    /// echoed (RFC 2136 §3.8), signed when the request was.
    pub fn reply(&mut self, rcode: Rcode, now: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        let mut writer = Writer::new(&mut out, 65535);
        if let Some(q) = self.message.question() {
            let _ = writer.question(q.qname.as_wire(), q.qtype, q.qclass, true);
        }
        let bits = flags::QR | (self.message.header.bits & 0x7800) | rcode.header_bits() as u16;
        writer.finish(self.message.header.id, bits);
        if let Some(signer) = self.signer.as_mut() {
            let _ = signer.sign(&mut out, now, 65535);
        }
        out
    }
}
