//! Argument parsing shared by the commands, with Redis's exact rules.
//!
//! Commands index `argv` the way Redis's C code does (`argv[0]` is the command name), so a
//! reader can hold our code next to `t_hash.c`.

use crate::error::CommandError;
use crate::reply::error_text_from_bytes;

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

/// The argument as C code sees it through `argv[i]->ptr`: the bytes before the first NUL.
pub fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(end) => &arg[..end],
        None => arg,
    }
}

/// Keyword match through a C string, as most Redis option parsers do it
/// (`strcasecmp(c->argv[j]->ptr, "withvalues")`): bytes after a NUL are never looked at, so
/// `WITHVALUES\0junk` is accepted. Checked on 8.2.3 for HRANDFIELD and HSCAN options.
pub fn is_c_word(arg: &[u8], word: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(word.as_bytes())
}

/// An argument quoted into an error text the way `addReplyErrorFormat("...%.Ns...")` does:
/// cut at the first NUL and at `max` bytes, with CR and LF turned into spaces (Redis does
/// that so an error stays one protocol line). Other bytes are kept exactly, non-UTF-8 ones
/// too (see [`error_text_from_bytes`]), so the reply carries them raw as Redis's does.
pub fn error_text(arg: &[u8], max: usize) -> String {
    let shown = c_str(arg);
    let shown = &shown[..shown.len().min(max)];
    let one_line: Vec<u8> = shown
        .iter()
        .map(|&b| if matches!(b, b'\r' | b'\n') { b' ' } else { b })
        .collect();
    error_text_from_bytes(&one_line)
}

/// [`error_text`] for an argument that ends the error message. `addReplyErrorFormat`
/// trims CR and LF from both ends of the whole message (`sdstrim(s, "\r\n")`) before it
/// turns the inner ones into spaces, so at the end they vanish: on 8.2.3,
/// `HSETEX h "a\r\n" ...` replies `-ERR unknown argument: a` and `"\r\na"` replies
/// `-ERR unknown argument:   a` (found by the differential fuzz target).
pub fn error_text_at_end(arg: &[u8], max: usize) -> String {
    let shown = c_str(arg);
    let shown = &shown[..shown.len().min(max)];
    let kept = shown.len()
        - shown
            .iter()
            .rev()
            .take_while(|&&b| matches!(b, b'\r' | b'\n'))
            .count();
    error_text(&shown[..kept], usize::MAX)
}

/// Resolves the subcommand of a container command (CLIENT, OBJECT, COMMAND) the way Redis's
/// `processCommand` does before the command runs: an unknown name gives
/// `unknown subcommand '<name>'. Try <CMD> HELP.`, a known one with the wrong argument count
/// gives the arity error for `cmd|sub`.
pub fn subcommand(
    argv: &[Vec<u8>],
    table: &'static [super::Subcommand],
) -> Result<&'static str, CommandError> {
    let cmd = lower_name(&argv[0]);
    let found = table.iter().find(|s| is_word(&argv[1], s.name));
    let Some(&super::Subcommand { name, arity, .. }) = found else {
        return Err(CommandError::UnknownSubcommand {
            cmd: cmd.to_ascii_uppercase(),
            sub: error_text(&argv[1], 128),
        });
    };
    let argc = argv.len() as i32;
    if (arity > 0 && argc != arity) || argc < -arity {
        return Err(CommandError::WrongArity(format!("{cmd}|{name}")));
    }
    Ok(name)
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
    fn c_string_views() {
        assert_eq!(c_str(b"ab\0cd"), b"ab");
        assert!(is_c_word(b"WithValues\0x", "withvalues"));
        assert!(!is_c_word(b"withvalue", "withvalues"));
        assert_eq!(error_text(b"a\r\nb\0c", 128), "a  b");
        assert_eq!(error_text(&[b'x'; 200], 128).len(), 128);
        assert_eq!(
            crate::reply::error_text_bytes(&error_text(b"\xff\xc3\0z", 128)),
            b"\xff\xc3"
        );
    }

    #[test]
    fn subcommand_lookup_and_arity() {
        use crate::command::{CommandInfo, Subcommand};
        const TABLE: &[Subcommand] = &[
            Subcommand::new("id", 2, CommandInfo::NONE),
            Subcommand::new("kill", -3, CommandInfo::NONE),
        ];
        let table = TABLE;
        let argv = |words: &[&str]| -> Vec<Vec<u8>> {
            words.iter().map(|w| w.as_bytes().to_vec()).collect()
        };
        assert_eq!(subcommand(&argv(&["client", "Id"]), table), Ok("id"));
        assert_eq!(
            subcommand(&argv(&["CLIENT", "id", "x"]), table),
            Err(CommandError::WrongArity("client|id".into()))
        );
        assert_eq!(
            subcommand(&argv(&["client", "kill"]), table),
            Err(CommandError::WrongArity("client|kill".into()))
        );
        assert_eq!(
            subcommand(&argv(&["client", "nope"]), table),
            Err(CommandError::UnknownSubcommand {
                cmd: "CLIENT".into(),
                sub: "nope".into()
            })
        );
    }
}
