//! Redis's readings of an argument's bytes (`util.c`, and C strings) that more than the
//! command layer needs: the request parser reads lengths with `string2ll`, and error texts
//! quote arguments as C strings. They live below `command` and `error` so that neither
//! has to import the other for them.

/// Redis's `string2ll`: strict decimal i64. Rejects "", "+1", " 1", "1 ", "01", "-0",
/// "0x10", "1e3", "1.0", and anything of 21 bytes or more.
pub fn parse_i64(arg: &[u8]) -> Option<i64> {
    if arg.is_empty() || arg.len() >= 21 {
        return None;
    }
    if arg == b"0" {
        return Some(0);
    }
    let (negative, digits) = match arg.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, arg),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// The argument as C code sees it through `argv[i]->ptr`: the bytes before the first NUL.
pub fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(end) => &arg[..end],
        None => arg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        for ok in [
            "0",
            "1",
            "-1",
            "9223372036854775807",
            "-9223372036854775808",
            "10",
        ] {
            assert_eq!(parse_i64(ok.as_bytes()), ok.parse().ok(), "{ok}");
        }
        for bad in [
            "",
            "+1",
            " 1",
            "1 ",
            "01",
            "-0",
            "0x10",
            "1e3",
            "1.0",
            "-",
            "9223372036854775808",
            "-9223372036854775809",
            "00",
            "18446744073709551616",
            "1\0",
        ] {
            assert_eq!(parse_i64(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn c_str_stops_at_the_first_nul() {
        assert_eq!(c_str(b"ab\0cd"), b"ab");
        assert_eq!(c_str(b"\0"), b"");
        assert_eq!(c_str(b"abc"), b"abc");
    }
}
