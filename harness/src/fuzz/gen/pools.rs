//! The pools of arguments the generator draws from: numbers at the integer and float
//! boundaries and their near misses, times at the 2^46 ms limit, words that are not times.
//! Kept apart from the generator's logic so that both read in one sitting.

/// Values: numbers at the integer and float boundaries, spellings that only look like
/// numbers, NaN and inf, empty and binary values.
#[rustfmt::skip]
pub(super) const VALUES: &[&[u8]] = &[
    b"1", b"-7", b"0", b"abc", b"", b"3.5", b"10.5", b"9223372036854775807",
    b"-9223372036854775808", b"9223372036854775806", b"1e3", b"0x10", b"inf", b"-inf", b"nan",
    b"1.7976931348623157e308", b"\x00bin\x00", b"\x00", b"007", b" 5", b"5 ", b"-0",
    b"hello world", b"a\r\nb", b"\xff\xfe", b"0.1", b"1e-300",
];
#[rustfmt::skip]
pub(super) const INT_INCREMENTS: &[&[u8]] = &[
    b"1", b"-1", b"100", b"0", b"9223372036854775807", b"-9223372036854775808",
    b"9223372036854775806", b"-9223372036854775807", b"abc", b"1.5", b"", b"+1",
    b"9223372036854775808", b"-9223372036854775809", b"18446744073709551616", b" 1", b"1 ",
    b"0x1", b"1e2", b"-0", b"00",
];
#[rustfmt::skip]
pub(super) const FLOAT_INCREMENTS: &[&[u8]] = &[
    b"0.1", b"-0.1", b"1.5", b"5", b"-3e-5", b"1e308", b"-1e308", b"1e309",
    b"1.7976931348623157e308", b"5e-324", b"0x10", b"inf", b"-inf", b"+inf", b"Infinity", b"nan",
    b"NaN", b"-nan", b"abc", b"", b" 1", b"1 ", b"1e-20", b"+2.5", b"-0.0", b".5", b"5.", b"1e",
    b"123456789.123456789", b"9223372036854775807",
];
/// One condition word of the HEXPIRE family, in any case.
#[rustfmt::skip]
pub(super) const CONDITIONS: &[&str] = &["NX", "XX", "GT", "LT", "nx", "gt", "Lt"];
/// Far relative times, in ms: ties between them are frequent on purpose (GT/LT on equal
/// deadlines), and every one is more than eleven days away.
#[rustfmt::skip]
pub(super) const FAR_MS: &[i64] = &[1_000_000_000, 1_000_000_000, 2_000_000_000, 1_000_005_000];
/// Relative times at the 2^46 ms limit (a relative time adds "now", so all are rejected
/// except the last of each, which stays inside the limit for centuries).
#[rustfmt::skip]
pub(super) const LIMIT_RELATIVE_SECS: &[&str] = &["70368744177", "70368744178", "68000000000"];
#[rustfmt::skip]
pub(super) const LIMIT_RELATIVE_MS: &[&str] = &["70368744177663", "70368744177664", "68000000000000"];
/// Absolute times at the 2^46 ms limit: the largest accepted and the smallest rejected.
#[rustfmt::skip]
pub(super) const LIMIT_ABSOLUTE_SECS: &[&str] = &["70368744177", "70368744178"];
#[rustfmt::skip]
pub(super) const LIMIT_ABSOLUTE_MS: &[&str] = &["70368744177663", "70368744177664"];
/// Times that are not times.
#[rustfmt::skip]
pub(super) const BAD_TIMES: &[&str] = &[
    "-1", "abc", "", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1.5",
    " 1",
];
