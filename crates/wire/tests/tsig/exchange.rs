//! Both sides of signed exchanges: request, response, response streams,
//! and every way the RFC says they can fail.

use std::sync::Arc;

use wire::tsig::{
    Algorithm, DEFAULT_FUDGE, Keyring, ResponseError, ResponseVerifier, SignError, TsigFailure,
    TsigFormatError, TsigRecord, Verified, find_tsig, sign_request, verify_request,
};
use wire::{Header, Message, Rcode, Rtype};

use super::{NOW, key, query, response, rewrite_tsig, shared, tsig_offset};

const KEY_NAME: &str = "transfer.example.";

fn keyring(algorithm: Algorithm) -> Keyring {
    [key(KEY_NAME, algorithm)].into_iter().collect()
}

/// A signed query and the verifier for its response.
fn signed_query(algorithm: Algorithm, qtype: Rtype) -> (Vec<u8>, ResponseVerifier) {
    let mut request = query(0x4242, "example.", qtype);
    let verifier = sign_request(
        &mut request,
        shared(KEY_NAME, algorithm),
        NOW,
        DEFAULT_FUDGE,
    )
    .unwrap();
    (request, verifier)
}

fn refused(result: Result<wire::tsig::VerifiedRequest, TsigFailure>) -> TsigFailure {
    match result {
        Ok(_) => panic!("the request verified"),
        Err(failure) => failure,
    }
}

fn tsig_of(message: &[u8]) -> TsigRecord {
    let offset = find_tsig(message).unwrap().expect("a TSIG record");
    TsigRecord::from_message(message, offset).unwrap()
}

#[test]
fn every_algorithm_signs_and_verifies_both_ways() {
    for algorithm in Algorithm::ALL {
        let (request, mut verifier) = signed_query(algorithm, Rtype::SOA);
        let record = tsig_of(&request);
        assert_eq!(record.mac.len(), algorithm.output_len(), "{algorithm}");
        assert_eq!(record.original_id, 0x4242);
        assert_eq!(Header::parse(&request).unwrap().arcount, 1);

        let verified = verify_request(
            &request,
            tsig_offset(&request),
            &keyring(algorithm),
            NOW + 2,
        )
        .unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        assert_eq!(verified.key().algorithm(), algorithm);
        assert_eq!(verified.mac(), record.mac.as_slice());

        let mut answer = response(&request, 2, 0);
        let unsigned_len = answer.len();
        let mut signer = verified.response_signer();
        let expected_len = unsigned_len + signer.record_len();
        signer.sign(&mut answer, NOW + 3, 65535).unwrap();
        assert_eq!(answer.len(), expected_len, "record_len is exact");
        let parsed = Message::parse(&answer).unwrap();
        assert_eq!(parsed.answer.len(), 2);
        assert_eq!(parsed.additional.len(), 1);
        assert_eq!(parsed.tsig_offset, Some(unsigned_len));

        assert_eq!(verifier.verify(&answer, NOW + 4), Ok(Verified::Signed));
        assert_eq!(verifier.finish(), Ok(()));
    }
}

#[test]
fn key_names_compare_in_canonical_case() {
    let mut request = query(7, "example.", Rtype::A);
    let client_key = shared("Transfer.EXAMPLE.", Algorithm::HmacSha256);
    let mut verifier = sign_request(&mut request, client_key, NOW, 300).unwrap();
    let verified = verify_request(
        &request,
        tsig_offset(&request),
        &keyring(Algorithm::HmacSha256),
        NOW,
    )
    .unwrap();
    let mut answer = response(&request, 1, 0);
    verified
        .response_signer()
        .sign(&mut answer, NOW, 65535)
        .unwrap();
    assert_eq!(verifier.verify(&answer, NOW), Ok(Verified::Signed));
}

#[test]
fn forwarder_changing_the_id_does_not_break_the_mac() {
    // The digest uses the Original ID, not the header ID (RFC 8945 §4.3.3).
    let (mut request, mut verifier) = signed_query(Algorithm::HmacSha1, Rtype::A);
    request[..2].copy_from_slice(&[0x99, 0x99]);
    let verified = verify_request(
        &request,
        tsig_offset(&request),
        &keyring(Algorithm::HmacSha1),
        NOW,
    )
    .unwrap();
    assert_eq!(verified.original_id(), 0x4242);
    let mut answer = response(&request, 1, 0);
    verified
        .response_signer()
        .sign(&mut answer, NOW, 65535)
        .unwrap();
    assert_eq!(tsig_of(&answer).original_id, 0x9999);
    answer[..2].copy_from_slice(&[0x42, 0x42]);
    assert_eq!(verifier.verify(&answer, NOW), Ok(Verified::Signed));
}

#[test]
fn response_to_another_request_does_not_verify() {
    let (first, _) = signed_query(Algorithm::HmacSha256, Rtype::A);
    let (_, mut other_verifier) = {
        let mut request = query(0x4242, "example.", Rtype::A);
        let verifier = sign_request(
            &mut request,
            shared(KEY_NAME, Algorithm::HmacSha256),
            NOW + 1,
            300,
        )
        .unwrap();
        (request, verifier)
    };
    let verified = verify_request(
        &first,
        tsig_offset(&first),
        &keyring(Algorithm::HmacSha256),
        NOW,
    )
    .unwrap();
    let mut answer = response(&first, 1, 0);
    verified
        .response_signer()
        .sign(&mut answer, NOW, 65535)
        .unwrap();
    // Same key, same question, same ID: only the request MAC differs.
    assert_eq!(
        other_verifier.verify(&answer, NOW),
        Err(ResponseError::BadSig)
    );
}

#[test]
fn tampered_request_is_badsig_answered_unsigned() {
    let (mut request, mut verifier) = signed_query(Algorithm::HmacSha256, Rtype::SOA);
    // "example." becomes "exbmple.".
    request[14] ^= 0x03;
    let failure = refused(verify_request(
        &request,
        tsig_offset(&request),
        &keyring(Algorithm::HmacSha256),
        NOW,
    ));
    assert!(matches!(failure, TsigFailure::BadSig(_)), "{failure}");
    assert_eq!(failure.rcode(), Rcode::NOTAUTH);
    assert_eq!(failure.tsig_error(), Some(Rcode::BADSIG));

    let mut answer = response(&request, 0, Rcode::NOTAUTH.0);
    failure.sign_response(&mut answer, NOW, 512).unwrap();
    let record = tsig_of(&answer);
    assert!(record.mac.is_empty(), "BADSIG responses are unsigned");
    assert_eq!(record.error, Rcode::BADSIG);
    assert_eq!(record.key_name, KEY_NAME.parse().unwrap());
    assert_eq!(
        verifier.verify(&answer, NOW),
        Err(ResponseError::UnsignedError(Rcode::BADSIG))
    );
    // A refused message leaves the verifier ready for the genuine answer.
    assert_eq!(verifier.finish(), Err(ResponseError::NothingVerified));
}

#[test]
fn tampered_response_is_refused() {
    let (request, mut verifier) = signed_query(Algorithm::HmacSha384, Rtype::A);
    let verified = verify_request(
        &request,
        tsig_offset(&request),
        &keyring(Algorithm::HmacSha384),
        NOW,
    )
    .unwrap();
    let mut answer = response(&request, 1, 0);
    verified
        .response_signer()
        .sign(&mut answer, NOW, 65535)
        .unwrap();
    let mut forged = answer.clone();
    // The A record's last octet: 192.0.2.0 becomes 192.0.2.66.
    let rdata_end = find_tsig(&answer).unwrap().unwrap();
    forged[rdata_end - 1] = 66;
    assert_eq!(verifier.verify(&forged, NOW), Err(ResponseError::BadSig));
    assert_eq!(verifier.verify(&answer, NOW), Ok(Verified::Signed));
}

#[test]
fn unknown_key_or_other_algorithm_is_badkey() {
    let (request, mut verifier) = signed_query(Algorithm::HmacSha256, Rtype::SOA);
    let offset = tsig_offset(&request);
    let empty = Keyring::new();
    let wrong_algorithm = keyring(Algorithm::HmacSha512);
    let other_name: Keyring = [key("other.example.", Algorithm::HmacSha256)]
        .into_iter()
        .collect();
    for keys in [&empty, &wrong_algorithm, &other_name] {
        let failure = refused(verify_request(&request, offset, keys, NOW));
        assert!(matches!(failure, TsigFailure::BadKey(_)), "{failure}");
        assert_eq!(failure.rcode(), Rcode::NOTAUTH);
        assert_eq!(failure.tsig_error(), Some(Rcode::BADKEY));
        let mut answer = response(&request, 0, Rcode::NOTAUTH.0);
        failure.sign_response(&mut answer, NOW + 5, 512).unwrap();
        let record = tsig_of(&answer);
        assert!(record.mac.is_empty());
        assert_eq!(record.error, Rcode::BADKEY);
        assert_eq!(record.time_signed, NOW + 5);
        assert_eq!(
            verifier.verify(&answer, NOW),
            Err(ResponseError::UnsignedError(Rcode::BADKEY))
        );
    }
    // An algorithm name nobody implements.
    let gss = rewrite_tsig(&request, |record| {
        record.algorithm = "gss-tsig.".parse().unwrap();
    });
    let failure = refused(verify_request(
        &gss,
        offset,
        &keyring(Algorithm::HmacSha256),
        NOW,
    ));
    assert!(matches!(failure, TsigFailure::BadKey(_)), "{failure}");
}

#[test]
fn clock_skew_beyond_fudge_is_badtime_with_our_time() {
    let keys = keyring(Algorithm::HmacSha256);
    // Exactly at the edge of the fudge is still fine, both ways.
    for now in [NOW - 300, NOW + 300] {
        let (request, _) = signed_query(Algorithm::HmacSha256, Rtype::SOA);
        assert!(verify_request(&request, tsig_offset(&request), &keys, now).is_ok());
    }
    let (request, mut verifier) = signed_query(Algorithm::HmacSha256, Rtype::SOA);
    let server_now = NOW + 301;
    let failure = refused(verify_request(
        &request,
        tsig_offset(&request),
        &keys,
        server_now,
    ));
    assert!(matches!(failure, TsigFailure::BadTime { .. }), "{failure}");
    assert_eq!(failure.rcode(), Rcode::NOTAUTH);
    assert_eq!(failure.tsig_error(), Some(Rcode::BADTIME));

    let mut answer = response(&request, 0, Rcode::NOTAUTH.0);
    failure.sign_response(&mut answer, server_now, 512).unwrap();
    let record = tsig_of(&answer);
    // Signed, echoing the client's time and fudge, ours in Other Data.
    assert_eq!(record.mac.len(), 32);
    assert_eq!(record.error, Rcode::BADTIME);
    assert_eq!(record.time_signed, NOW);
    assert_eq!(record.fudge, DEFAULT_FUDGE);
    assert_eq!(record.other, server_now.to_be_bytes()[2..].to_vec());
    assert_eq!(record.server_time(), Some(server_now));
    // The client can authenticate it even though the clocks disagree.
    assert_eq!(
        verifier.verify(&answer, NOW + 1),
        Err(ResponseError::ServerError {
            error: Rcode::BADTIME,
            server_time: Some(server_now)
        })
    );
}

#[test]
fn client_checks_the_time_of_responses() {
    let (request, mut verifier) = signed_query(Algorithm::HmacMd5, Rtype::A);
    let verified = verify_request(
        &request,
        tsig_offset(&request),
        &keyring(Algorithm::HmacMd5),
        NOW,
    )
    .unwrap();
    let mut answer = response(&request, 1, 0);
    verified
        .response_signer()
        .sign(&mut answer, NOW, 65535)
        .unwrap();
    assert_eq!(
        verifier.verify(&answer, NOW + 301),
        Err(ResponseError::BadTime {
            time_signed: NOW,
            fudge: 300,
            now: NOW + 301
        })
    );
    assert_eq!(verifier.verify(&answer, NOW + 300), Ok(Verified::Signed));
}

#[test]
fn truncated_macs_follow_rfc_limits_and_local_policy() {
    let full = keyring(Algorithm::HmacSha256);
    let accepting_16: Keyring = [key(KEY_NAME, Algorithm::HmacSha256).truncated(16).unwrap()]
        .into_iter()
        .collect();
    let truncating_client = Arc::new(key(KEY_NAME, Algorithm::HmacSha256).truncated(16).unwrap());

    let mut request = query(1, "example.", Rtype::SOA);
    let mut verifier = sign_request(&mut request, truncating_client.clone(), NOW, 300).unwrap();
    assert_eq!(tsig_of(&request).mac.len(), 16);
    let offset = tsig_offset(&request);

    // A server that wants full MACs: BADTRUNC, signed (RFC 8945 §5.2.4).
    let failure = refused(verify_request(&request, offset, &full, NOW));
    assert!(matches!(failure, TsigFailure::BadTrunc(_)), "{failure}");
    assert_eq!(failure.rcode(), Rcode::NOTAUTH);
    assert_eq!(failure.tsig_error(), Some(Rcode::BADTRUNC));
    let mut refusal = response(&request, 0, Rcode::NOTAUTH.0);
    failure.sign_response(&mut refusal, NOW, 512).unwrap();
    assert_eq!(tsig_of(&refusal).mac.len(), 32);
    assert_eq!(
        verifier.clone().verify(&refusal, NOW),
        Err(ResponseError::ServerError {
            error: Rcode::BADTRUNC,
            server_time: None
        })
    );

    // A server whose policy allows 16 octets accepts it and truncates too.
    let verified = verify_request(&request, offset, &accepting_16, NOW).unwrap();
    let mut answer = response(&request, 1, 0);
    verified
        .response_signer()
        .sign(&mut answer, NOW, 65535)
        .unwrap();
    assert_eq!(tsig_of(&answer).mac.len(), 16);
    assert_eq!(verifier.verify(&answer, NOW), Ok(Verified::Signed));

    // A client insisting on full MACs refuses a truncated response.
    let (full_request, mut full_verifier) = signed_query(Algorithm::HmacSha256, Rtype::SOA);
    let verified = verify_request(
        &full_request,
        tsig_offset(&full_request),
        &accepting_16,
        NOW,
    )
    .unwrap();
    let mut truncated_answer = response(&full_request, 1, 0);
    verified
        .response_signer()
        .sign(&mut truncated_answer, NOW, 65535)
        .unwrap();
    assert_eq!(
        full_verifier.verify(&truncated_answer, NOW),
        Err(ResponseError::BadTrunc {
            len: 16,
            required: 32
        })
    );

    // Below max(10, half the output) or above the output: FORMERR whatever
    // the policy (RFC 8945 §5.2.2.1), checked before the MAC itself.
    let (request, _) = signed_query(Algorithm::HmacSha256, Rtype::SOA);
    for (len, expected) in [
        (
            15,
            TsigFormatError::MacTooShort {
                len: 15,
                minimum: 16,
            },
        ),
        (
            0,
            TsigFormatError::MacTooShort {
                len: 0,
                minimum: 16,
            },
        ),
        (
            33,
            TsigFormatError::MacTooLong {
                len: 33,
                maximum: 32,
            },
        ),
    ] {
        let changed = rewrite_tsig(&request, |record| record.mac.resize(len, 0));
        let failure = refused(verify_request(
            &changed,
            offset_of(&changed),
            &accepting_16,
            NOW,
        ));
        assert_eq!(failure.rcode(), Rcode::FORMERR, "{len}: {failure}");
        assert_eq!(failure.tsig_error(), None);
        assert!(
            matches!(&failure, TsigFailure::Malformed(e) if *e == expected),
            "{failure}"
        );
        let mut answer = response(&changed, 0, Rcode::FORMERR.0);
        let before = answer.clone();
        failure.sign_response(&mut answer, NOW, 512).unwrap();
        assert_eq!(answer, before, "FORMERR carries no TSIG");
    }
    // HMAC-MD5: ten octets is the floor, not half of 16.
    let (request, _) = signed_query(Algorithm::HmacMd5, Rtype::SOA);
    let md5_10: Keyring = [key(KEY_NAME, Algorithm::HmacMd5).truncated(10).unwrap()]
        .into_iter()
        .collect();
    let ten = rewrite_tsig(&request, |record| record.mac.truncate(10));
    assert!(verify_request(&ten, offset_of(&ten), &md5_10, NOW).is_ok());
    let nine = rewrite_tsig(&request, |record| record.mac.truncate(9));
    assert!(matches!(
        verify_request(&nine, offset_of(&nine), &md5_10, NOW),
        Err(TsigFailure::Malformed(TsigFormatError::MacTooShort {
            len: 9,
            minimum: 10
        }))
    ));
    // A truncated MAC whose octets are wrong is BADSIG, not BADTRUNC.
    let wrong = rewrite_tsig(&request, |record| {
        record.mac.truncate(12);
        record.mac[11] ^= 1;
    });
    assert!(matches!(
        verify_request(&wrong, offset_of(&wrong), &keyring(Algorithm::HmacMd5), NOW),
        Err(TsigFailure::BadSig(_))
    ));
}

fn offset_of(message: &[u8]) -> usize {
    find_tsig(message).unwrap().unwrap()
}

#[test]
fn malformed_tsig_is_formerr() {
    let (request, _) = signed_query(Algorithm::HmacSha256, Rtype::SOA);
    let offset = tsig_offset(&request);
    let keys = keyring(Algorithm::HmacSha256);
    let class_at = offset + KEY_NAME.len() + 1 + 2;
    let mut class_in = request.clone();
    class_in[class_at + 1] = 1;
    let failure = refused(verify_request(&class_in, offset, &keys, NOW));
    assert_eq!(failure.rcode(), Rcode::FORMERR);
    assert!(matches!(
        failure,
        TsigFailure::Malformed(TsigFormatError::Class(_))
    ));
    let mut cut = request.clone();
    cut.pop();
    let failure = refused(verify_request(&cut, offset, &keys, NOW));
    assert_eq!(failure.rcode(), Rcode::FORMERR);
}

#[test]
fn response_signer_keeps_to_the_size_limit() {
    let (request, _) = signed_query(Algorithm::HmacSha512, Rtype::A);
    let verified = verify_request(
        &request,
        tsig_offset(&request),
        &keyring(Algorithm::HmacSha512),
        NOW,
    )
    .unwrap();
    let mut signer = verified.response_signer();
    let mut answer = response(&request, 10, 0);
    let before = answer.clone();
    let exact = answer.len() + signer.record_len();
    assert_eq!(
        signer.sign(&mut answer, NOW, exact - 1),
        Err(SignError::NoRoom {
            message: before.len(),
            record: signer.record_len(),
            limit: exact - 1
        })
    );
    assert_eq!(
        answer, before,
        "a refused signature leaves the message alone"
    );
    signer.sign(&mut answer, NOW, exact).unwrap();
    assert_eq!(answer.len(), exact);
}

/// Builds the messages of a transfer of `count` messages, hands them to
/// the server's signer (signing those `signed` picks, passing the others
/// unsigned) and returns them as they go on the wire.
fn transfer(
    algorithm: Algorithm,
    count: usize,
    signed: impl Fn(usize) -> bool,
) -> (Vec<Vec<u8>>, ResponseVerifier) {
    let (request, verifier) = signed_query(algorithm, Rtype::AXFR);
    let verified =
        verify_request(&request, tsig_offset(&request), &keyring(algorithm), NOW).unwrap();
    let mut signer = verified.response_signer();
    let mut messages = Vec::with_capacity(count);
    for index in 0..count {
        let mut message = response(&request, 1 + index % 7, 0);
        if signed(index) {
            signer
                .sign(&mut message, NOW + index as u64 / 100, 65535)
                .unwrap();
        } else {
            signer.pass_unsigned(&message).unwrap();
        }
        messages.push(message);
    }
    (messages, verifier)
}

fn verify_all(verifier: &mut ResponseVerifier, messages: &[Vec<u8>]) -> Vec<Verified> {
    messages
        .iter()
        .enumerate()
        .map(|(index, message)| {
            verifier
                .verify(message, NOW + 1)
                .unwrap_or_else(|e| panic!("message {index}: {e}"))
        })
        .collect()
}

#[test]
fn stream_of_250_signed_messages_verifies() {
    for algorithm in [Algorithm::HmacSha256, Algorithm::HmacMd5] {
        let (messages, mut verifier) = transfer(algorithm, 250, |_| true);
        let results = verify_all(&mut verifier, &messages);
        assert!(results.iter().all(|r| *r == Verified::Signed));
        assert_eq!(verifier.finish(), Ok(()));
        assert_eq!(verifier.signed_messages(), 250);
    }
}

#[test]
fn stream_signed_every_50th_and_last_verifies() {
    let last = 249;
    let (messages, mut verifier) = transfer(Algorithm::HmacSha1, 250, |i| i % 50 == 0 || i == last);
    let results = verify_all(&mut verifier, &messages);
    let signed: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| **r == Verified::Signed)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(signed, [0, 50, 100, 150, 200, 249]);
    assert_eq!(verifier.finish(), Ok(()));

    // Tampering with an unsigned message is caught by the next signed one.
    let (mut messages, mut verifier) =
        transfer(Algorithm::HmacSha1, 120, |i| i % 50 == 0 || i == 119);
    let last_octet = messages[60].len() - 1;
    messages[60][last_octet] ^= 0xFF;
    for message in &messages[..100] {
        verifier.verify(message, NOW).unwrap();
    }
    assert_eq!(
        verifier.verify(&messages[100], NOW),
        Err(ResponseError::BadSig)
    );
}

#[test]
fn ninety_nine_unsigned_in_a_row_pass_but_not_a_hundredth() {
    // 99 unsigned messages between two signed ones: accepted.
    let (messages, mut verifier) = transfer(Algorithm::HmacSha224, 101, |i| i == 0 || i == 100);
    verify_all(&mut verifier, &messages);
    assert_eq!(verifier.finish(), Ok(()));

    // The server refuses to leave a hundredth message unsigned...
    let (request, _) = signed_query(Algorithm::HmacSha224, Rtype::AXFR);
    let verified = verify_request(
        &request,
        tsig_offset(&request),
        &keyring(Algorithm::HmacSha224),
        NOW,
    )
    .unwrap();
    let mut signer = verified.response_signer();
    let message = response(&request, 1, 0);
    assert_eq!(
        signer.pass_unsigned(&message),
        Err(SignError::FirstMessageUnsigned)
    );
    signer.sign(&mut message.clone(), NOW, 65535).unwrap();
    for _ in 0..99 {
        signer.pass_unsigned(&message).unwrap();
    }
    assert_eq!(
        signer.pass_unsigned(&message),
        Err(SignError::TooManyUnsigned)
    );

    // ...and the client refuses a stream with 101 unsigned in a row at
    // the hundredth.
    let (request, mut verifier) = signed_query(Algorithm::HmacSha224, Rtype::AXFR);
    let verified = verify_request(
        &request,
        tsig_offset(&request),
        &keyring(Algorithm::HmacSha224),
        NOW,
    )
    .unwrap();
    let mut first = response(&request, 1, 0);
    verified
        .response_signer()
        .sign(&mut first, NOW, 65535)
        .unwrap();
    assert_eq!(verifier.verify(&first, NOW), Ok(Verified::Signed));
    let unsigned = response(&request, 2, 0);
    for index in 1..=101 {
        let result = verifier.verify(&unsigned, NOW);
        if index < 100 {
            assert_eq!(result, Ok(Verified::Unsigned), "message {index}");
        } else {
            assert_eq!(
                result,
                Err(ResponseError::TooManyUnsigned),
                "message {index}"
            );
        }
    }
}

#[test]
fn first_and_last_messages_must_be_signed() {
    let (messages, mut verifier) = transfer(Algorithm::HmacSha256, 10, |i| i < 5);
    verify_all(&mut verifier, &messages);
    assert_eq!(
        verifier.finish(),
        Err(ResponseError::LastMessageUnsigned(5))
    );

    let (request, mut verifier) = signed_query(Algorithm::HmacSha256, Rtype::A);
    let unsigned = response(&request, 1, 0);
    assert_eq!(
        verifier.verify(&unsigned, NOW),
        Err(ResponseError::Unsigned)
    );
    assert_eq!(verifier.finish(), Err(ResponseError::NothingVerified));
}

#[test]
fn response_signed_with_another_key_is_refused() {
    let (request, mut verifier) = signed_query(Algorithm::HmacSha256, Rtype::A);
    let (other_request, _) = {
        let mut request = query(0x4242, "example.", Rtype::A);
        let verifier = sign_request(
            &mut request,
            shared("other.", Algorithm::HmacSha256),
            NOW,
            300,
        )
        .unwrap();
        (request, verifier)
    };
    let other_keys: Keyring = [key("other.", Algorithm::HmacSha256)].into_iter().collect();
    let verified = verify_request(
        &other_request,
        tsig_offset(&other_request),
        &other_keys,
        NOW,
    )
    .unwrap();
    let mut answer = response(&request, 1, 0);
    verified
        .response_signer()
        .sign(&mut answer, NOW, 65535)
        .unwrap();
    assert!(matches!(
        verifier.verify(&answer, NOW),
        Err(ResponseError::WrongKey { .. })
    ));
}
