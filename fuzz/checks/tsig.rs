//! The TSIG target's check (fuzz/fuzz_targets/tsig.rs; replayed on stable
//! by tests/fuzz_corpus.rs). The first octet picks the mode:
//! - 0: the rest as a signed request: verification must not panic, and a
//!   failure's error response must be signable;
//! - 1: the rest as an unsigned message we sign (hmac-md5 or hmac-sha256):
//!   it must verify, and the response signed for it must verify at the
//!   client — the round trip BIND interop rests on;
//! - else: the rest as the response to a request we signed: the client's
//!   verification must not panic.

use std::sync::Arc;

use wire::Name;
use wire::tsig::{Algorithm, Key, Keyring, find_tsig, sign_request, verify_request};

const NOW: u64 = 1_700_000_000;

fn keys() -> (Arc<Key>, Arc<Key>, Keyring) {
    let md5 = Key::new(
        Name::from_text("k-md5.", None).unwrap(),
        Algorithm::HmacMd5,
        b"0123456789abcdef".to_vec(),
    );
    let sha = Key::new(
        Name::from_text("k-256.", None).unwrap(),
        Algorithm::HmacSha256,
        b"fedcba9876543210".to_vec(),
    );
    let mut keyring = Keyring::new();
    keyring.insert(md5.clone());
    keyring.insert(sha.clone());
    (Arc::new(md5), Arc::new(sha), keyring)
}

/// Runs the check on one input.
pub fn check(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (md5, sha, keyring) = keys();
    match mode {
        0 => {
            let Ok(Some(offset)) = find_tsig(rest) else {
                return;
            };
            if let Err(failure) = verify_request(rest, offset, &keyring, NOW) {
                let mut response = rest[..offset.min(rest.len())].to_vec();
                let _ = failure.sign_response(&mut response, NOW, 65_535);
            }
        }
        1 => {
            if rest.len() < 12 || !matches!(find_tsig(rest), Ok(None)) {
                return;
            }
            let key = if rest[0] & 1 == 0 { md5 } else { sha };
            let mut request = rest.to_vec();
            let Ok(mut verifier) = sign_request(&mut request, Arc::clone(&key), NOW, 300) else {
                return;
            };
            // Only a message whose sections end where its octets do has
            // its TSIG found where we put it (trailing octets would be read
            // as records): the others say nothing here.
            let Ok(Some(offset)) = find_tsig(&request) else {
                return;
            };
            if offset != rest.len() {
                return;
            }
            let verified = verify_request(&request, offset, &keyring, NOW)
                .unwrap_or_else(|e| panic!("a request we signed must verify: {e:?}"));
            assert!(verified.key().same_as(&key));
            // The response: the request without its TSIG, QR set.
            let mut response = request[..offset].to_vec();
            response[2] |= 0x80;
            let additional = u16::from_be_bytes([response[10], response[11]]).saturating_sub(1);
            response[10..12].copy_from_slice(&additional.to_be_bytes());
            if verified
                .response_signer()
                .sign(&mut response, NOW, 65_535)
                .is_ok()
            {
                verifier
                    .verify(&response, NOW)
                    .unwrap_or_else(|e| panic!("a response we signed must verify: {e:?}"));
            }
        }
        _ => {
            let mut request = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1];
            let Ok(mut verifier) = sign_request(&mut request, sha, NOW, 300) else {
                return;
            };
            let _ = verifier.verify(rest, NOW);
        }
    }
}
