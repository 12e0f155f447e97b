//! Argument parsing shared by the commands, with Redis's exact rules.
//!
//! Commands index `argv` the way Redis's C code does (`argv[0]` is the command name), so a
//! reader can hold our code next to `t_hash.c`.

use crate::error::CommandError;

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

/// An integer argument, or `ERR value is not an integer or out of range`.
pub fn int_arg(arg: &[u8]) -> Result<i64, CommandError> {
    parse_i64(arg).ok_or(CommandError::NotInteger)
}

/// Case-insensitive keyword match, as Redis's `strcasecmp` on an argument.
pub fn is_word(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// The command name as Redis prints it in errors: lower case.
pub fn lower_name(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).to_ascii_lowercase()
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
}
