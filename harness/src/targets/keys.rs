//! Where a command's keys are: what the case runner rewrites under its prefix and what a
//! cluster target routes by (a command goes to the node that owns its keys' slot).
//!
//! A position holds a key because the engine's command table says so (the command's key
//! specs, or its subcommand's for OBJECT; DEBUG's by its subcommand). A few commands cases use to set up keys are not in
//! the engine (Redis has them); their key positions are listed below.

use reference_engine::command::{lookup, CommandInfo, CommandSpec};

/// Single-key commands the engine lacks that cases use to set up or inspect keys.
const FIRST_KEY_COMMANDS: &[&str] = &["strlen", "append", "incr", "lpush", "rpush", "sadd", "zadd"];

/// Commands the engine lacks whose every argument is a key.
const ALL_KEY_COMMANDS: &[&str] = &["unlink", "touch"];

/// DEBUG's subcommands whose second argument is a key.
const DEBUG_KEY_SUBCOMMANDS: &[&str] = &["object", "listpack", "htstats-key", "digest-value"];

/// Where the keys of `argv` are, by the table: the command's key specs, or for a container
/// its subcommand's (`None` inside when the subcommand is missing or unknown). `None` when
/// the engine does not have the command.
fn table_key_spec(
    argv: &[Vec<u8>],
) -> Option<(&'static CommandSpec, Option<&'static CommandInfo>)> {
    let spec = lookup(argv.first()?)?;
    if spec.info.key.is_some() || spec.subcommands.is_empty() {
        return Some((spec, Some(&spec.info).filter(|i| i.key.is_some())));
    }
    let sub = argv.get(1).and_then(|sub| {
        spec.subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(sub))
    });
    Some((spec, sub.map(|s| &s.info).filter(|i| i.key.is_some())))
}

/// DEBUG's subcommand, lower-cased, when `argv` is a DEBUG. Checked before the table: the
/// engine has DEBUG, but Redis declares no key spec for it, so the table has none either.
fn debug_sub(argv: &[Vec<u8>]) -> Option<Option<String>> {
    let name = argv.first()?;
    name.eq_ignore_ascii_case(b"debug").then(|| {
        argv.get(1)
            .map(|sub| String::from_utf8_lossy(sub).to_ascii_lowercase())
    })
}

/// The positions in `argv` that hold keys.
pub fn key_positions(argv: &[Vec<u8>]) -> Vec<usize> {
    if let Some(sub) = debug_sub(argv) {
        let keyed = sub.is_some_and(|s| DEBUG_KEY_SUBCOMMANDS.contains(&s.as_str()));
        return if keyed && argv.len() > 2 {
            vec![2]
        } else {
            Vec::new()
        };
    }
    if let Some((_, info)) = table_key_spec(argv) {
        return info.map_or_else(Vec::new, |i| i.key_positions(argv.len()).collect());
    }
    let Some(name) = argv.first() else {
        return Vec::new();
    };
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let name = name.as_str();
    if FIRST_KEY_COMMANDS.contains(&name) {
        return (argv.len() > 1).then_some(1).into_iter().collect();
    }
    if ALL_KEY_COMMANDS.contains(&name) {
        return (1..argv.len()).collect();
    }
    Vec::new()
}

/// Whether the rewriter knows where this command's keys are (it may have none, e.g. an
/// arity error case), so that every key it sends is under the run's prefix. A command
/// that takes no key at all (PING, FLUSHDB...) is not one of these.
pub fn knows_keys(argv: &[Vec<u8>]) -> bool {
    if let Some(sub) = debug_sub(argv) {
        return sub.is_none_or(|s| DEBUG_KEY_SUBCOMMANDS.contains(&s.as_str()));
    }
    if let Some((spec, key)) = table_key_spec(argv) {
        // A container with no subcommand named yet (an arity error) counts if any of its
        // subcommands takes a key.
        let keyed_container =
            argv.len() < 2 && spec.subcommands.iter().any(|s| s.info.key.is_some());
        return key.is_some() || keyed_container;
    }
    let Some(name) = argv.first() else {
        return true;
    };
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let name = name.as_str();
    FIRST_KEY_COMMANDS.contains(&name) || ALL_KEY_COMMANDS.contains(&name)
}
