//! TSIG (RFC 8945) end to end: both sides of an exchange built on the
//! `wire::tsig` API, arbitrary input thrown at the parsers, and the real
//! `dig` and `kdig` talking to a tiny responder on loopback.

mod exchange;
mod interop;
mod robustness;

use std::sync::Arc;

use wire::header::flags;
use wire::request::{self, Parsed};
use wire::tsig::{Algorithm, Key};
use wire::writer::{Owner, Section, Writer};
use wire::{Class, Header, Name, Rtype};

/// A plausible "now": 2023-11-14.
pub const NOW: u64 = 1_700_000_000;

/// The secret every test key uses, in base64 as `dig -y` takes it.
pub const SECRET_BASE64: &str = "c2VjcmV0LW9mLXRoZS1oYWRucy10c2lnLXRlc3RzIQ==";

/// A key named `name` for `algorithm`.
pub fn key(name: &str, algorithm: Algorithm) -> Key {
    Key::from_base64(name.parse().unwrap(), algorithm, SECRET_BASE64).unwrap()
}

/// The same, shared.
pub fn shared(name: &str, algorithm: Algorithm) -> Arc<Key> {
    Arc::new(key(name, algorithm))
}

/// A query for `qname`/`qtype`.
pub fn query(id: u16, qname: &str, qtype: Rtype) -> Vec<u8> {
    let name: Name = qname.parse().unwrap();
    let mut buf = Vec::new();
    let mut writer = Writer::new(&mut buf, 512);
    writer
        .question(name.as_wire(), qtype, Class::IN, true)
        .unwrap();
    writer.finish(id, flags::RD);
    buf
}

/// The offset of the request's TSIG record, as the query path finds it.
pub fn tsig_offset(request: &[u8]) -> usize {
    match request::parse(request) {
        Parsed::Ok(parsed) => parsed.tsig_offset.expect("the request is signed"),
        _ => panic!("the request does not parse"),
    }
}

/// A response to `request` (its question copied, QR and AA set) with
/// `answers` A records of 192.0.2.x, under `rcode`.
pub fn response(request: &[u8], answers: usize, rcode: u16) -> Vec<u8> {
    let header = Header::parse(request).unwrap();
    let Parsed::Ok(parsed) = request::parse(request) else {
        panic!("the request does not parse")
    };
    let mut buf = Vec::new();
    let mut writer = Writer::new(&mut buf, 65535);
    writer.question_raw(parsed.question_bytes()).unwrap();
    writer.set_section(Section::Answer);
    for index in 0..answers {
        writer
            .record(
                Owner::Question,
                Rtype::A,
                Class::IN,
                3600,
                &[192, 0, 2, index as u8],
            )
            .unwrap();
    }
    let bits = flags::QR | flags::AA | (header.bits & (flags::RD | 0x7800)) | (rcode & 0x0F);
    writer.finish(header.id, bits);
    buf
}

/// Replaces the TSIG record at the end of `message` by `change(record)`.
pub fn rewrite_tsig(message: &[u8], change: impl FnOnce(&mut wire::tsig::TsigRecord)) -> Vec<u8> {
    let offset = wire::tsig::find_tsig(message).unwrap().unwrap();
    let mut record = wire::tsig::TsigRecord::from_message(message, offset).unwrap();
    change(&mut record);
    let mut out = message[..offset].to_vec();
    record.write(&mut out);
    out
}
