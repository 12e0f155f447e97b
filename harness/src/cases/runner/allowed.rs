//! What a case may send to a server: an allow-list, checked when the files are loaded, so a
//! file that would send anything else stops the run (exit 2, at its `file:line`) before a
//! single command is sent.
//!
//! - Allowed: commands whose key positions hashcheck knows (so it keeps every key under the
//!   run's prefix and deletes it afterwards, see [`super::prefix`]) and commands that touch no
//!   data and change nothing (PING, ECHO, TIME, HELLO, COMMAND, INFO, DBSIZE, OBJECT HELP).
//! - With `--allow-debug`: DEBUG subcommands that read a key or flip active expiry, and
//!   CONFIG GET/SET. What they change (CONFIG SET values, DEBUG SET-ACTIVE-EXPIRE) is put
//!   back at the end of the run on a fresh connection, after a double Ctrl-C too
//!   ([`super::restore`]).
//! - In a case marked `requires: [databases]`: SELECT, MOVE, SWAPDB, COPY with DB, KEYS and
//!   SCAN, which reach other databases or every key. Such a case runs on a server only with
//!   `--allow-databases` (a throwaway server: it runs alone, and its keys are deleted from
//!   every database afterwards); otherwise it is skipped, never sent.
//! - Anything else is refused: FLUSHALL, FLUSHDB, SHUTDOWN and the like reach beyond the
//!   run's keys and cannot be undone, and a command hashcheck does not know might. The one
//!   exception is a step that expects `ERR unknown command`: it is about a command the server
//!   lacks, and the runner still asks the server (COMMAND INFO) before sending it.

use super::prefix;
use crate::cases::format::{Capability, CaseError, CaseFile, Expect, Send, Step};

/// Commands that touch no key and change nothing on the server.
const HARMLESS: &[&str] = &["ping", "echo", "time", "hello", "command", "info", "dbsize"];

/// DEBUG subcommands a case may send with `--allow-debug`: those that read one key (it is
/// rewritten under the run's prefix), HELP, and the active-expiry switch (restored).
const DEBUG_SUBCOMMANDS: &[&str] = &[
    "set-active-expire",
    "object",
    "listpack",
    "htstats-key",
    "digest-value",
    "help",
];

/// CONFIG subcommands a case may send with `--allow-debug` (SET is restored at the end).
const CONFIG_SUBCOMMANDS: &[&str] = &["get", "set", "help"];

/// Commands that reach beyond the run's keys and cannot be undone, named in the refusal.
const SERVER_WIDE: &[&str] = &[
    "flushall",
    "flushdb",
    "swapdb",
    "select",
    "move",
    "migrate",
    "shutdown",
    "save",
    "bgsave",
    "bgrewriteaof",
    "replicaof",
    "slaveof",
    "failover",
    "acl",
    "module",
    "script",
    "function",
    "eval",
    "evalsha",
    "fcall",
    "keys",
    "scan",
    "randomkey",
    "sort",
];

/// Commands that reach other databases or every key, sent only in a case marked `requires:
/// [databases]` (COPY only with its DB option: without it, it is two keys under the prefix).
const DATABASE_COMMANDS: &[&str] = &["select", "move", "swapdb", "keys", "scan"];
/// Whether `argv` changes a setting of the whole server (CONFIG SET, DEBUG SET-ACTIVE-EXPIRE,
/// DEBUG RELOAD): other cases running at the same time would see it, so the runner runs a
/// case that sends one alone ([`super::RunState`]).
pub fn changes_server_settings(argv: &[Vec<u8>]) -> bool {
    let word = |i: usize| argv.get(i).map(|w| w.to_ascii_lowercase());
    matches!(
        (word(0).as_deref(), word(1).as_deref()),
        (Some(b"config"), Some(b"set")) | (Some(b"debug"), Some(b"set-active-expire" | b"reload"))
    )
}

/// What may be done with one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// Always allowed.
    Allowed,
    /// Needs `--allow-debug`: DEBUG or CONFIG.
    NeedsFlag,
    /// Needs `requires: [databases]` on the case (and `--allow-databases` on a server).
    NeedsDatabases,
    /// Never sent; the reason says why.
    Refused(String),
}

/// The class of `argv` (a command and its arguments).
pub fn classify(argv: &[Vec<u8>]) -> Class {
    let Some(name) = argv.first() else {
        return Class::Allowed;
    };
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let sub = argv
        .get(1)
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase());
    let sub_in = |list: &[&str]| sub.as_deref().is_none_or(|s| list.contains(&s));
    match name.as_str() {
        "debug" if sub_in(DEBUG_SUBCOMMANDS) => Class::NeedsFlag,
        "config" if sub_in(CONFIG_SUBCOMMANDS) => Class::NeedsFlag,
        "debug" | "config" => Class::Refused(format!(
            "{} {} is not one hashcheck can undo (with --allow-debug a case may send DEBUG {} \
             and CONFIG {})",
            name.to_ascii_uppercase(),
            sub.unwrap_or_default().to_ascii_uppercase(),
            upper(DEBUG_SUBCOMMANDS),
            upper(CONFIG_SUBCOMMANDS)
        )),
        "object" if sub.as_deref() == Some("help") => Class::Allowed,
        n if DATABASE_COMMANDS.contains(&n) => Class::NeedsDatabases,
        "copy" if argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"db")) => {
            Class::NeedsDatabases
        }
        n if HARMLESS.contains(&n) => Class::Allowed,
        _ if prefix::knows_keys(argv) => Class::Allowed,
        n if SERVER_WIDE.contains(&n) => Class::Refused(format!(
            "{} reaches beyond the run's own keys, so hashcheck never sends it",
            n.to_ascii_uppercase()
        )),
        n => Class::Refused(format!(
            "hashcheck does not know where {}'s keys are or what it changes, so it never sends \
             it (a case may send the hash commands, the key commands cases use to set up, and \
             PING, ECHO, TIME, HELLO, COMMAND, INFO, DBSIZE)",
            n.to_ascii_uppercase()
        )),
    }
}

/// Checks every step of `file`: the first one it may not send is the error, at its line.
pub fn check_file(file: &CaseFile, allow_debug: bool) -> Result<(), CaseError> {
    for case in &file.cases {
        for step in &case.steps {
            let Step::Send(send) = step else { continue };
            let argv: Vec<Vec<u8>> = send.args.iter().map(|a| a.resolve(0)).collect();
            let refusal = match classify(&argv) {
                Class::Allowed => None,
                Class::NeedsDatabases if case.requires.contains(&Capability::Databases) => None,
                Class::NeedsDatabases => Some(format!(
                    "{} reaches beyond the case's own keys; mark the case `requires: \
                     [databases]` (it then runs on a server only with --allow-databases)",
                    send.display()
                )),
                // A case marked `requires: [debug]` is skipped without the flag, so the run
                // can go on without it.
                Class::NeedsFlag if allow_debug || case.requires.contains(&Capability::Debug) => {
                    None
                }
                Class::NeedsFlag => Some(format!(
                    "{} changes or inspects the server itself; mark the case `requires: \
                     [debug]` or pass --allow-debug to send it (what it changes is restored at \
                     the end of the run)",
                    send.display()
                )),
                Class::Refused(_) if expects_unknown_command(send) => None,
                Class::Refused(why) => Some(format!("{}: refused: {why}", send.display())),
            };
            if let Some(message) = refusal {
                return Err(CaseError {
                    loc: file.at(send.line),
                    message,
                });
            }
        }
    }
    Ok(())
}

/// Whether the step is about a command the server does not have.
pub fn expects_unknown_command(send: &Send) -> bool {
    let unknown =
        |e: &Expect| matches!(e, Expect::Error(text) if text.starts_with("ERR unknown command"));
    match &send.expect {
        Some(Expect::PerProtocol { resp2, resp3 }) => unknown(resp2) && unknown(resp3),
        Some(e) => unknown(e),
        None => false,
    }
}

fn upper(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| w.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &str) -> Vec<Vec<u8>> {
        words.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn hash_and_key_commands_are_allowed_and_server_commands_are_not() {
        for ok in [
            "HSET h f v",
            "DEL a b",
            "OBJECT ENCODING h",
            "PING",
            "HELLO 3",
            "TYPE h",
            "MEMORY USAGE h",
        ] {
            assert_eq!(classify(&argv(ok)), Class::Allowed, "{ok}");
        }
        for flagged in [
            "DEBUG SET-ACTIVE-EXPIRE 0",
            "CONFIG SET x y",
            "DEBUG OBJECT h",
        ] {
            assert_eq!(classify(&argv(flagged)), Class::NeedsFlag, "{flagged}");
        }
        for never in [
            "FLUSHALL",
            "flushdb ASYNC",
            "SHUTDOWN",
            "DEBUG RELOAD",
            "CONFIG REWRITE",
            "FUNCTION FLUSH",
            "SCRIPT FLUSH ASYNC",
            "MEMORY PURGE",
        ] {
            assert!(
                matches!(classify(&argv(never)), Class::Refused(_)),
                "{never}"
            );
        }
        let Class::Refused(why) = classify(&argv("ZUNIONSTORE d 1 s")) else {
            panic!()
        };
        assert!(
            why.contains("does not know where ZUNIONSTORE's keys are"),
            "{why}"
        );
    }
}
