//! CRC-32 as zlib, gzip, PNG and Ethernet compute it (reflected polynomial
//! 0xEDB88320, initial value and final XOR all ones), so a damaged journal
//! entry or zone dump can be checked with ordinary tools.
//!
//! Written here rather than taken from a crate: it is forty lines, and the
//! replication crate keeps its dependency list short. Slicing-by-8 keeps a
//! multi-gigabyte zone dump from spending its time in the checksum.

/// The reversed IEEE 802.3 polynomial.
const POLYNOMIAL: u32 = 0xEDB8_8320;

/// `TABLES[0][b]` is the CRC of the single octet `b`; `TABLES[k][b]` is the
/// CRC of `b` followed by `k` zero octets, which lets [`Crc32::update`]
/// consume eight octets per step.
static TABLES: [[u32; 256]; 8] = build_tables();

const fn build_tables() -> [[u32; 256]; 8] {
    let mut tables = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLYNOMIAL
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let previous = tables[k - 1][i];
            tables[k][i] = (previous >> 8) ^ tables[0][(previous & 0xFF) as usize];
            i += 1;
        }
        k += 1;
    }
    tables
}

/// A running CRC-32 over octets fed in any number of pieces.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Crc32 {
    state: u32,
}

impl Crc32 {
    /// A checksum over no octets yet.
    pub(crate) fn new() -> Crc32 {
        Crc32 { state: !0 }
    }

    /// Feeds `bytes` into the checksum.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        let mut crc = self.state;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let low = crc ^ u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let high = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
            crc = TABLES[7][(low & 0xFF) as usize]
                ^ TABLES[6][((low >> 8) & 0xFF) as usize]
                ^ TABLES[5][((low >> 16) & 0xFF) as usize]
                ^ TABLES[4][(low >> 24) as usize]
                ^ TABLES[3][(high & 0xFF) as usize]
                ^ TABLES[2][((high >> 8) & 0xFF) as usize]
                ^ TABLES[1][((high >> 16) & 0xFF) as usize]
                ^ TABLES[0][(high >> 24) as usize];
        }
        for &octet in chunks.remainder() {
            crc = (crc >> 8) ^ TABLES[0][((crc ^ octet as u32) & 0xFF) as usize];
        }
        self.state = crc;
    }

    /// The checksum of everything fed so far.
    pub(crate) fn finish(self) -> u32 {
        !self.state
    }
}

/// The CRC-32 of `bytes` in one call.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = Crc32::new();
    crc.update(bytes);
    crc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-at-a-time CRC-32, the definition the tables must agree with.
    fn reference(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &octet in bytes {
            crc ^= octet as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ POLYNOMIAL
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn matches_the_standard_check_value() {
        // The "check" value of CRC-32/ISO-HDLC in the CRC catalogue.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    proptest::proptest! {
        #[test]
        fn slicing_by_eight_matches_bitwise_definition(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
            split in 0usize..200,
        ) {
            let split = split.min(bytes.len());
            let mut crc = Crc32::new();
            crc.update(&bytes[..split]);
            crc.update(&bytes[split..]);
            proptest::prop_assert_eq!(crc.finish(), reference(&bytes));
        }
    }
}
