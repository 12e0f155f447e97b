//! Per-case key prefixes: a case writes `myhash`, the target sees `hc:<run-id>:<n>:myhash`.
//!
//! Which positions hold keys is [`crate::targets::keys`]'s to say (a cluster target routes by
//! the same positions). The rewriter remembers every key it produced, so the case can delete
//! exactly those afterwards and never needs FLUSHDB.
//!
//! On a Redis Cluster the prefix carries a hash tag, `hc:<run-id>:{<n>}:myhash`, so all the
//! keys of one case hash to one slot: multi-key commands work, and the case's slot can move
//! to another node mid-run without splitting its keys.

use reference_engine::command::lookup;
use reference_engine::Reply;

pub use crate::targets::keys::{key_positions, knows_keys};

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
