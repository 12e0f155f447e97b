//! The checksum at the end of a DUMP payload: CRC-64 with the Jones polynomial, as Redis
//! computes it (reflected, initial value 0, no final xor; the check value of "123456789"
//! is 0xe9c6d914c4b8d9ca).
//!
//! WHY hand-written: the crates on crates.io that offer a "Jones" CRC-64 differ in their
//! initial value or reflection (Redis's own variant is not in the common catalogues under
//! that name), and a byte-at-a-time table is twenty lines; a payload is a few kilobytes.

/// The Jones polynomial, bit-reversed for the reflected algorithm.
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

/// One entry per byte value: the CRC of that byte alone, shifted through eight rounds.
static TABLE: [u64; 256] = table();

const fn table() -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// The CRC-64 of `bytes`, as Redis's `crc64(0, bytes, len)`.
pub fn crc64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |crc, &b| {
        TABLE[((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn check_value_and_a_payload_dumped_by_redis() {
        assert_eq!(super::crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        // `SET s hello` then `DUMP s` on Redis 8.2.3: the last eight bytes are the CRC of
        // the rest, little-endian.
        let dumped = b"\x00\x05hello\x0c\x00\xa8\x04\xeb\xb6\x9f\x1e\xbe\x43";
        let (body, crc) = dumped.split_at(dumped.len() - 8);
        assert_eq!(super::crc64(body).to_le_bytes(), crc);
    }
}
