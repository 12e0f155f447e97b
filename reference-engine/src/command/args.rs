//! Argument parsing shared by the commands, with Redis's exact rules.
//!
//! Commands index `argv` the way Redis's C code does (`argv[0]` is the command name), so a
//! reader can hold our code next to `t_hash.c`.

use crate::error::{error_text, CommandError};
/// Defined below `command` (the request parser and the error texts read arguments this way
/// too) and offered here with the other argument readers.
pub use crate::strconv::{c_str, parse_i64};

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

/// Keyword match through a C string, as most Redis option parsers do it
/// (`strcasecmp(c->argv[j]->ptr, "withvalues")`): bytes after a NUL are never looked at, so
/// `WITHVALUES\0junk` is accepted. Checked on 8.2.3 for HRANDFIELD and HSCAN options.
pub fn is_c_word(arg: &[u8], word: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(word.as_bytes())
}

/// Resolves the subcommand of a container command (CLIENT, OBJECT, COMMAND) the way Redis's
/// `processCommand` does before the command runs: an unknown name gives
/// `unknown subcommand '<name>'. Try <CMD> HELP.`, a known one with the wrong argument count
/// gives the arity error for `cmd|sub`. `table` holds `(lower-case name, arity)` pairs.
pub fn subcommand(
    argv: &[Vec<u8>],
    table: &[(&'static str, i32)],
) -> Result<&'static str, CommandError> {
    let cmd = lower_name(&argv[0]);
    let found = table.iter().find(|(name, _)| is_word(&argv[1], name));
    let Some(&(name, arity)) = found else {
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
    fn c_string_keywords() {
        assert!(is_c_word(b"WithValues\0x", "withvalues"));
        assert!(!is_c_word(b"withvalue", "withvalues"));
    }

    #[test]
    fn subcommand_lookup_and_arity() {
        let table = [("id", 2), ("kill", -3)];
        let argv = |words: &[&str]| -> Vec<Vec<u8>> {
            words.iter().map(|w| w.as_bytes().to_vec()).collect()
        };
        assert_eq!(subcommand(&argv(&["client", "Id"]), &table), Ok("id"));
        assert_eq!(
            subcommand(&argv(&["CLIENT", "id", "x"]), &table),
            Err(CommandError::WrongArity("client|id".into()))
        );
        assert_eq!(
            subcommand(&argv(&["client", "kill"]), &table),
            Err(CommandError::WrongArity("client|kill".into()))
        );
        assert_eq!(
            subcommand(&argv(&["client", "nope"]), &table),
            Err(CommandError::UnknownSubcommand {
                cmd: "CLIENT".into(),
                sub: "nope".into()
            })
        );
    }
}
