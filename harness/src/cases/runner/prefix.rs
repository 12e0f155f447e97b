//! Per-case key prefixes: a case writes `myhash`, the target sees `hc:<run-id>:<n>:myhash`.
//!
//! A position is rewritten because the engine's command table says it holds a key (the
//! command's key spec, or its subcommand's for OBJECT). A few commands cases use to set up
//! keys are not in the engine (Redis has them); their key positions are listed below. The
//! rewriter remembers every key it produced, so the case can delete exactly those
//! afterwards and never needs FLUSHDB.

use reference_engine::command::{lookup, CommandSpec, KeySpec};
use reference_engine::Reply;

/// Single-key commands the engine lacks that cases use to set up or inspect keys.
const FIRST_KEY_COMMANDS: &[&str] = &[
    "strlen", "append", "incr", "expire", "pexpire", "ttl", "pttl", "persist", "lpush", "rpush",
    "sadd", "zadd",
];

/// Commands the engine lacks whose every argument is a key.
const ALL_KEY_COMMANDS: &[&str] = &["unlink", "touch"];

/// DEBUG's subcommands whose second argument is a key.
const DEBUG_KEY_SUBCOMMANDS: &[&str] = &["object", "listpack", "htstats-key", "digest-value"];

/// Where the keys of `argv` are, by the table: the command's key spec, or for a container
/// its subcommand's (`None` inside when the subcommand is missing or unknown). `None` when
/// the engine does not have the command.
fn table_key_spec(argv: &[Vec<u8>]) -> Option<(&'static CommandSpec, Option<KeySpec>)> {
    let spec = lookup(argv.first()?)?;
    if spec.info.key.is_some() || spec.subcommands.is_empty() {
        return Some((spec, spec.info.key));
    }
    let sub = argv.get(1).and_then(|sub| {
        spec.subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(sub))
    });
    Some((spec, sub.and_then(|s| s.info.key)))
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
    if let Some((_, key)) = table_key_spec(argv) {
        return key.map_or_else(Vec::new, |k| k.positions(argv.len()).collect());
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

/// Whether `name` (any case) is one of the 28 hash commands.
pub fn is_hash_command(name: &str) -> bool {
    lookup(name.as_bytes()).is_some_and(|spec| spec.hash)
}

/// Rewrites keys under one prefix and remembers them.
#[derive(Debug, Clone)]
pub struct KeyRewriter {
    prefix: Vec<u8>,
    used: Vec<Vec<u8>>,
}

impl KeyRewriter {
    pub fn new(prefix: Vec<u8>) -> Self {
        Self {
            prefix,
            used: Vec::new(),
        }
    }

    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// Puts the prefix in front of every key in `argv`.
    pub fn rewrite(&mut self, argv: &mut [Vec<u8>]) {
        for i in key_positions(argv) {
            let mut key = self.prefix.clone();
            key.extend_from_slice(&argv[i]);
            if !self.used.contains(&key) {
                self.used.push(key.clone());
            }
            argv[i] = key;
        }
    }

    /// Every prefixed key sent so far, in first-use order.
    pub fn used(&self) -> &[Vec<u8>] {
        &self.used
    }

    /// The reply with the prefix removed from error texts, which may quote arguments.
    pub fn unprefix_errors(&self, reply: Reply) -> Reply {
        match reply {
            Reply::Error(text) => {
                let prefix = String::from_utf8_lossy(&self.prefix).into_owned();
                Reply::Error(text.replace(&prefix, ""))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &str) -> Vec<Vec<u8>> {
        words.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn key_positions_by_command() {
        assert_eq!(key_positions(&argv("HSET h f v")), vec![1]);
        assert_eq!(key_positions(&argv("hgetall h")), vec![1]);
        assert_eq!(key_positions(&argv("DEL a b c")), vec![1, 2, 3]);
        assert_eq!(key_positions(&argv("OBJECT ENCODING h")), vec![2]);
        assert_eq!(key_positions(&argv("OBJECT HELP")), Vec::<usize>::new());
        assert_eq!(key_positions(&argv("HELLO 3")), Vec::<usize>::new());
        assert_eq!(
            key_positions(&argv("DEBUG SET-ACTIVE-EXPIRE 0")),
            Vec::<usize>::new()
        );
        assert_eq!(key_positions(&argv("HLEN")), Vec::<usize>::new());
    }

    /// Every position the table's key specs name is rewritten, for every command in it.
    #[test]
    fn keys_come_from_the_table() {
        use reference_engine::command::COMMANDS;
        for spec in COMMANDS {
            let mut words = vec![spec.name.as_bytes().to_vec()];
            words.extend((1..5).map(|i| format!("a{i}").into_bytes()));
            let want: Vec<usize> = spec.key_positions(words.len()).collect();
            assert_eq!(key_positions(&words), want, "{}", spec.name);
            assert_eq!(knows_keys(&words), spec.info.key.is_some(), "{}", spec.name);
            if spec.hash {
                assert_eq!(
                    want,
                    [1],
                    "{}: a hash command's key is its first argument",
                    spec.name
                );
                assert!(is_hash_command(&spec.name.to_ascii_uppercase()));
            }
            for sub in spec.subcommands {
                let argv = [spec.name, sub.name, "k"].map(|w| w.as_bytes().to_vec());
                let want = sub.info.key.map_or(vec![], |k| k.positions(3).collect());
                assert_eq!(key_positions(&argv), want, "{} {}", spec.name, sub.name);
            }
        }
        assert!(COMMANDS.iter().any(|c| c.hash));
        assert!(!knows_keys(&argv("FLUSHDB")) && !knows_keys(&argv("CLIENT ID")));
        assert!(knows_keys(&argv("OBJECT")) && !knows_keys(&argv("OBJECT HELP")));
        assert_eq!(key_positions(&argv("UNLINK a b")), vec![1, 2]);
        assert_eq!(key_positions(&argv("DEBUG OBJECT h")), vec![2]);
    }

    #[test]
    fn rewrites_and_remembers_each_key_once() {
        let mut keys = KeyRewriter::new(b"p:".to_vec());
        let mut a = argv("HSET h f v");
        keys.rewrite(&mut a);
        assert_eq!(a, argv("HSET p:h f v"));
        let mut b = argv("DEL h other");
        keys.rewrite(&mut b);
        assert_eq!(keys.used(), &argv("p:h p:other")[..]);
        assert_eq!(
            keys.unprefix_errors(Reply::Error("ERR bad 'p:h'".into())),
            Reply::Error("ERR bad 'h'".into())
        );
    }
}
