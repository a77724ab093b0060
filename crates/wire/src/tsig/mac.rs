//! HMAC (RFC 2104) over the six TSIG algorithms, fed incrementally so a
//! digest can be built from pieces without copying the message.

use hmac::{Hmac, KeyInit, Mac};
use subtle::ConstantTimeEq;

use super::algorithm::Algorithm;

/// Largest HMAC output of any algorithm (HMAC-SHA512).
pub(crate) const MAX_MAC_LEN: usize = 64;

/// An HMAC computation under way.
#[derive(Clone)]
pub(crate) enum RunningMac {
    Md5(Hmac<md5::Md5>),
    Sha1(Hmac<sha1::Sha1>),
    Sha224(Hmac<sha2::Sha224>),
    Sha256(Hmac<sha2::Sha256>),
    Sha384(Hmac<sha2::Sha384>),
    Sha512(Hmac<sha2::Sha512>),
}

/// A finished HMAC: the full output of the algorithm.
pub(crate) struct MacOutput {
    bytes: [u8; MAX_MAC_LEN],
    len: usize,
}

impl MacOutput {
    /// The full output.
    #[cfg(test)]
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The leftmost `len` octets, as a truncated MAC is sent (RFC 8945
    /// §5.2.2.1, RFC 2104 §5); the full output when `len` is larger.
    pub(crate) fn truncated(&self, len: usize) -> &[u8] {
        &self.bytes[..len.min(self.len)]
    }

    /// Whether `mac` equals the leftmost octets of this output, compared in
    /// constant time. An empty `mac`, or one longer than the output, never
    /// matches.
    pub(crate) fn matches(&self, mac: &[u8]) -> bool {
        if mac.is_empty() || mac.len() > self.len {
            return false;
        }
        self.bytes[..mac.len()].ct_eq(mac).into()
    }
}

impl RunningMac {
    /// Starts an HMAC keyed with `secret`.
    pub(crate) fn new(algorithm: Algorithm, secret: &[u8]) -> RunningMac {
        match algorithm {
            Algorithm::HmacMd5 => RunningMac::Md5(keyed(secret)),
            Algorithm::HmacSha1 => RunningMac::Sha1(keyed(secret)),
            Algorithm::HmacSha224 => RunningMac::Sha224(keyed(secret)),
            Algorithm::HmacSha256 => RunningMac::Sha256(keyed(secret)),
            Algorithm::HmacSha384 => RunningMac::Sha384(keyed(secret)),
            Algorithm::HmacSha512 => RunningMac::Sha512(keyed(secret)),
        }
    }

    /// Feeds more of the digest.
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            RunningMac::Md5(m) => m.update(data),
            RunningMac::Sha1(m) => m.update(data),
            RunningMac::Sha224(m) => m.update(data),
            RunningMac::Sha256(m) => m.update(data),
            RunningMac::Sha384(m) => m.update(data),
            RunningMac::Sha512(m) => m.update(data),
        }
    }

    /// Finishes the computation.
    pub(crate) fn finalize(self) -> MacOutput {
        match self {
            RunningMac::Md5(m) => output(&m.finalize().into_bytes()),
            RunningMac::Sha1(m) => output(&m.finalize().into_bytes()),
            RunningMac::Sha224(m) => output(&m.finalize().into_bytes()),
            RunningMac::Sha256(m) => output(&m.finalize().into_bytes()),
            RunningMac::Sha384(m) => output(&m.finalize().into_bytes()),
            RunningMac::Sha512(m) => output(&m.finalize().into_bytes()),
        }
    }
}

/// Keys an HMAC instance.
fn keyed<M: KeyInit>(secret: &[u8]) -> M {
    // HMAC takes keys of any length (RFC 2104 §3: longer ones are hashed
    // first, shorter ones padded), and the hmac crate's `new_from_slice`
    // never fails; the `Result` only comes from the generic `KeyInit` trait.
    // The secret comes from configuration, not from the network.
    M::new_from_slice(secret).expect("HMAC accepts keys of any length")
}

fn output(bytes: &[u8]) -> MacOutput {
    let mut out = MacOutput {
        bytes: [0; MAX_MAC_LEN],
        len: bytes.len().min(MAX_MAC_LEN),
    };
    out.bytes[..out.len].copy_from_slice(&bytes[..out.len]);
    out
}

#[cfg(test)]
mod tests {
    //! The test vectors of RFC 2202 (HMAC-MD5, HMAC-SHA1) and RFC 4231
    //! (HMAC-SHA-224/256/384/512).

    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn hmac(algorithm: Algorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac = RunningMac::new(algorithm, key);
        // Feed in two pieces to exercise the incremental path.
        let (first, second) = data.split_at(data.len() / 2);
        mac.update(first);
        mac.update(second);
        mac.finalize().as_slice().to_vec()
    }

    /// Key and data of RFC 4231 test cases 1 to 7 (index 0 is case 1).
    fn rfc4231_inputs() -> Vec<(Vec<u8>, Vec<u8>)> {
        vec![
            (vec![0x0b; 20], b"Hi There".to_vec()),
            (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec()),
            (vec![0xaa; 20], vec![0xdd; 50]),
            ((1..=25).collect(), vec![0xcd; 50]),
            (vec![0x0c; 20], b"Test With Truncation".to_vec()),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
            ),
        ]
    }

    /// Expected outputs of RFC 4231 cases 1, 2, 3, 4, 6 and 7, then the
    /// 128-bit truncated output of case 5.
    fn rfc4231_expected(algorithm: Algorithm) -> [&'static str; 7] {
        match algorithm {
            Algorithm::HmacSha224 => [
                "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
                "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
                "7fb3cb3588c6c1f6ffa9694d7d6ad2649365b0c1f65d69d1ec8333ea",
                "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a",
                "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e",
                "3a854166ac5d9f023f54d517d0b39dbd946770db9c2b95c9f6f565d1",
                "0e2aea68a90c8d37c988bcdb9fca6fa8",
            ],
            Algorithm::HmacSha256 => [
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
                "a3b6167473100ee06e0c796c2955552b",
            ],
            Algorithm::HmacSha384 => [
                "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
                "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27",
                "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
                "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
                "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e",
                "3abf34c3503b2a23a46efc619baef897",
            ],
            Algorithm::HmacSha512 => [
                "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
                "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
                "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
                "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
                "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
                "415fad6271580a531d4179bc891d87a6",
            ],
            _ => unreachable!("RFC 4231 covers the SHA-2 family only"),
        }
    }

    #[test]
    fn sha2_family_matches_rfc4231() {
        let inputs = rfc4231_inputs();
        for algorithm in [
            Algorithm::HmacSha224,
            Algorithm::HmacSha256,
            Algorithm::HmacSha384,
            Algorithm::HmacSha512,
        ] {
            let expected = rfc4231_expected(algorithm);
            for (case, want) in [1, 2, 3, 4, 6, 7].into_iter().zip(expected) {
                let (key, data) = &inputs[case - 1];
                let got = hmac(algorithm, key, data);
                assert_eq!(got.len(), algorithm.output_len());
                assert_eq!(got, hex(want), "{algorithm} test case {case}");
            }
        }
    }

    #[test]
    fn rfc4231_case_5_verifies_truncated_to_128_bits() {
        let inputs = rfc4231_inputs();
        let (key, data) = &inputs[4];
        for algorithm in [
            Algorithm::HmacSha224,
            Algorithm::HmacSha256,
            Algorithm::HmacSha384,
            Algorithm::HmacSha512,
        ] {
            let truncated = hex(rfc4231_expected(algorithm)[6]);
            let mut mac = RunningMac::new(algorithm, key);
            mac.update(data);
            let output = mac.finalize();
            assert_eq!(output.truncated(16), &truncated[..], "{algorithm}");
            assert!(output.matches(&truncated), "{algorithm}");
            let mut wrong = truncated.clone();
            wrong[15] ^= 1;
            assert!(!output.matches(&wrong), "{algorithm}");
            // The rightmost octets are not a valid truncation.
            assert!(!output.matches(&output.as_slice()[output.as_slice().len() - 16..]));
            assert!(!output.matches(&[]));
        }
    }

    #[test]
    fn md5_and_sha1_match_rfc2202() {
        let block_key_data = [
            b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data".to_vec(),
        ];
        // (key length for cases 1, 3, 5, expected outputs of cases 1 to 7)
        let table: [(Algorithm, usize, [&str; 7]); 2] = [
            (
                Algorithm::HmacMd5,
                16,
                [
                    "9294727a3638bb1c13f48ef8158bfc9d",
                    "750c783e6ab0b503eaa86e310a5db738",
                    "56be34521d144c88dbb8c733f0e8b3f6",
                    "697eaf0aca3a3aea3a75164746ffaa79",
                    "56461ef2342edc00f9bab995690efd4c",
                    "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd",
                    "6f630fad67cda0ee1fb1f562db3aa53e",
                ],
            ),
            (
                Algorithm::HmacSha1,
                20,
                [
                    "b617318655057264e28bc0b6fb378c8ef146be00",
                    "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
                    "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
                    "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
                    "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
                    "aa4ae5e15272d00e95705637ce8a3b55ed402112",
                    "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
                ],
            ),
        ];
        for (algorithm, key_len, expected) in table {
            let cases: [(Vec<u8>, Vec<u8>); 7] = [
                (vec![0x0b; key_len], b"Hi There".to_vec()),
                (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec()),
                (vec![0xaa; key_len], vec![0xdd; 50]),
                ((1..=25).collect(), vec![0xcd; 50]),
                (vec![0x0c; key_len], b"Test With Truncation".to_vec()),
                (vec![0xaa; 80], block_key_data[0].clone()),
                (vec![0xaa; 80], block_key_data[1].clone()),
            ];
            for (case, ((key, data), want)) in cases.iter().zip(expected).enumerate() {
                assert_eq!(
                    hmac(algorithm, key, data),
                    hex(want),
                    "{algorithm} test case {}",
                    case + 1
                );
            }
            // Case 5 also gives the output truncated to 96 bits.
            let mut mac = RunningMac::new(algorithm, &cases[4].0);
            mac.update(&cases[4].1);
            let output = mac.finalize();
            assert!(output.matches(&hex(&expected[4][..24])), "{algorithm}");
        }
    }
}
