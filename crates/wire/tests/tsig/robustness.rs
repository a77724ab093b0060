//! Whatever arrives from the network, the TSIG code answers with a value,
//! never a panic, and a signature covers every octet it should.

use proptest::prelude::*;

use wire::tsig::{
    Algorithm, DEFAULT_FUDGE, Keyring, TsigRecord, find_tsig, sign_request, verify_request,
};
use wire::{Name, Rtype};

use super::{NOW, key, query, shared};

const KEY_NAME: &str = "Fuzz.Example.";

fn keyring() -> Keyring {
    Algorithm::ALL
        .into_iter()
        .enumerate()
        .map(|(index, algorithm)| {
            let name = if index == 3 {
                KEY_NAME.to_string()
            } else {
                format!("key{index}.example.")
            };
            key(&name, algorithm)
        })
        .collect()
}

fn signed_request() -> Vec<u8> {
    let mut request = query(0x1234, "www.example.", Rtype::A);
    sign_request(
        &mut request,
        shared(KEY_NAME, Algorithm::HmacSha256),
        NOW,
        DEFAULT_FUDGE,
    )
    .unwrap();
    request
}

/// Everything that reads received bytes, fed `bytes` at `offset`.
fn exercise(bytes: &[u8], offset: usize, keys: &Keyring) {
    let _ = find_tsig(bytes);
    let _ = TsigRecord::from_message(bytes, offset);
    let _ = TsigRecord::parse(bytes, offset);
    if let Err(failure) = verify_request(bytes, offset, keys, NOW) {
        let mut response = bytes.to_vec();
        let _ = failure.sign_response(&mut response, NOW, 512);
        let _ = failure.rcode();
        let _ = failure.tsig_error();
    }
    let mut request = query(0x1234, "www.example.", Rtype::A);
    let mut verifier = sign_request(
        &mut request,
        shared(KEY_NAME, Algorithm::HmacSha256),
        NOW,
        DEFAULT_FUDGE,
    )
    .unwrap();
    for _ in 0..2 {
        let _ = verifier.verify(bytes, NOW);
    }
    let _ = verifier.finish();
}

/// Whether changing `request[position]` by `mask` may leave the MAC valid:
/// only the header ID (replaced by the Original ID in the digest) and the
/// letter case of the TSIG owner and algorithm names (digested in
/// canonical form) are outside the MAC.
fn outside_the_mac(request: &[u8], tsig_offset: usize, position: usize, mask: u8) -> bool {
    if position < 2 {
        return true;
    }
    let byte = request[position];
    if mask != 0x20 || !byte.is_ascii_alphabetic() {
        return false;
    }
    let key_name = KEY_NAME.parse::<Name>().unwrap();
    let owner = tsig_offset..tsig_offset + key_name.wire_len();
    let algorithm_start = owner.end + 10;
    let algorithm = algorithm_start..algorithm_start + Algorithm::HmacSha256.wire_bytes().len();
    owner.contains(&position) || algorithm.contains(&position)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        offset in 0usize..420,
    ) {
        exercise(&bytes, offset, &keyring());
    }

    #[test]
    fn damaged_signed_requests_never_panic(
        start in 0usize..200,
        junk in proptest::collection::vec(any::<u8>(), 0..80),
        cut in 0usize..40,
    ) {
        // A genuine signed request with a stretch overwritten and its end
        // cut off: the parser sees plausible framing with bad contents.
        let mut bytes = signed_request();
        let offset = find_tsig(&bytes).unwrap().unwrap();
        let start = start.min(bytes.len());
        let end = (start + junk.len()).min(bytes.len());
        bytes.splice(start..end, junk);
        bytes.truncate(bytes.len().saturating_sub(cut));
        exercise(&bytes, offset, &keyring());
    }

    #[test]
    fn any_changed_octet_breaks_the_mac(position in 0usize..10_000, mask in 1u8..=255) {
        let mut request = signed_request();
        let offset = find_tsig(&request).unwrap().unwrap();
        let position = position % request.len();
        let outside = outside_the_mac(&request, offset, position, mask);
        request[position] ^= mask;
        let result = verify_request(&request, offset, &keyring(), NOW);
        prop_assert_eq!(
            result.is_ok(),
            outside,
            "octet {} xor {:#04x}: {:?}",
            position,
            mask,
            result.err()
        );
    }
}
