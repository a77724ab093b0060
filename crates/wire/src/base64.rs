//! Base64 (RFC 4648 §4), as TSIG secrets are written in configuration.

/// Why a base64 text could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Base64Error {
    /// A character outside the alphabet (whitespace is skipped).
    #[error("invalid base64 character {0:?}")]
    BadCharacter(char),
    /// Length or padding does not make whole octets.
    #[error("base64 text has a bad length or padding")]
    BadLength,
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes standard base64 with padding; ASCII whitespace is ignored.
pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let symbols: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !symbols.len().is_multiple_of(4) {
        return Err(Base64Error::BadLength);
    }
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3);
    for (index, quad) in symbols.chunks(4).enumerate() {
        let last = index == symbols.len() / 4 - 1;
        let padding = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if padding > 2 || (padding > 0 && !last) {
            return Err(Base64Error::BadLength);
        }
        let mut acc: u32 = 0;
        for &c in &quad[..4 - padding] {
            let v = value(c).ok_or(Base64Error::BadCharacter(c as char))?;
            acc = (acc << 6) | v as u32;
        }
        acc <<= 6 * padding as u32;
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - padding]);
    }
    Ok(out)
}

/// Encodes with padding.
pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let mut buf = [0u8; 3];
        buf[..chunk.len()].copy_from_slice(chunk);
        let acc = ((buf[0] as u32) << 16) | ((buf[1] as u32) << 8) | buf[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((acc >> (18 - 6 * i)) & 0x3F) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded).unwrap(), plain.as_bytes());
        }
        assert!(decode("Zm9").is_err());
        assert!(decode("Zm!v").is_err());
        assert!(decode("Zg==Zg==").is_err());
    }

    proptest::proptest! {
        #[test]
        fn round_trip(data: Vec<u8>) {
            proptest::prop_assert_eq!(decode(&encode(&data)).unwrap(), data);
        }
    }
}
