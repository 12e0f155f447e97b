//! Per-case key prefixes: a case writes `myhash`, the target sees `hc:<run-id>:<n>:myhash`.
//!
//! Which positions hold keys is [`crate::targets::keys`]'s to say (a cluster target routes by
//! the same positions). The rewriter remembers every key it produced, so the case can delete
//! exactly those afterwards and never needs FLUSHDB.
//!
//! The commands that list the database's keys (KEYS, SCAN: no key spec, a listing or scan
//! reply) see only the case's own keys: their pattern is put under the prefix (SCAN without
//! MATCH gets one), and the prefix is taken off the names they reply with.
//!
//! On a Redis Cluster the prefix carries a hash tag, `hc:<run-id>:{<n>}:myhash`, so all the
//! keys of one case hash to one slot: multi-key commands work, and the case's slot can move
//! to another node mid-run without splitting its keys.

use reference_engine::command::{lookup, ReplyPolicy};
use reference_engine::Reply;

pub use crate::targets::keys::{key_positions, knows_keys};

/// The two kinds of command that list the database's keys.
enum Listing {
    /// `KEYS pattern`.
    Keys,
    /// `SCAN cursor [MATCH pattern] ...`.
    Scan,
}

/// Whether `argv` lists the database's keys, by the table: a command that takes no key and
/// whose reply is a listing or a scan.
fn listing(argv: &[Vec<u8>]) -> Option<Listing> {
    let spec = lookup(argv.first()?)?;
    if spec.hash || spec.info.key.is_some() || argv.len() < 2 {
        return None;
    }
    match spec.reply {
        ReplyPolicy::Listing { .. } => Some(Listing::Keys),
        ReplyPolicy::Scan => Some(Listing::Scan),
        _ => None,
    }
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

    /// Puts the prefix in front of every key in `argv`, and of the pattern of a command
    /// that lists keys (see the module's doc).
    pub fn rewrite(&mut self, argv: &mut Vec<Vec<u8>>) {
        match listing(argv) {
            Some(Listing::Keys) => argv[1] = self.pattern(&argv[1]),
            Some(Listing::Scan) => self.scope_scan(argv),
            None => {}
        }
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

    /// The prefix, with the glob's special characters escaped, then `pattern`.
    fn pattern(&self, pattern: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.prefix.len() + pattern.len() + 4);
        for &b in &self.prefix {
            if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.extend_from_slice(pattern);
        out
    }

    /// Every MATCH value of a SCAN put under the prefix; without one, `MATCH <prefix>*`
    /// goes right after the cursor (so an option error later in `argv` stays the same).
    fn scope_scan(&self, argv: &mut Vec<Vec<u8>>) {
        let mut matched = false;
        let mut i = 2;
        while i < argv.len() {
            let word = &argv[i];
            let takes_value = [&b"MATCH"[..], b"COUNT", b"TYPE"]
                .iter()
                .any(|w| word.eq_ignore_ascii_case(w));
            if takes_value && i + 1 < argv.len() {
                if word.eq_ignore_ascii_case(b"MATCH") {
                    argv[i + 1] = self.pattern(&argv[i + 1]);
                    matched = true;
                }
                i += 2;
            } else {
                i += 1;
            }
        }
        if !matched && argv.len() >= 2 {
            let all = self.pattern(b"*");
            argv.splice(2..2, [b"MATCH".to_vec(), all]);
        }
    }

    /// The reply to `argv` (as rewritten) as the case wrote it: without the prefix in error
    /// texts, nor on the names a listing of keys replies with.
    pub fn unprefix(&self, argv: &[Vec<u8>], reply: Reply) -> Reply {
        if listing(argv).is_none() {
            return self.unprefix_errors(reply);
        }
        self.unprefix_names(reply)
    }

    fn unprefix_names(&self, reply: Reply) -> Reply {
        match reply {
            Reply::Bulk(name) => match name.strip_prefix(self.prefix.as_slice()) {
                Some(rest) => Reply::Bulk(rest.to_vec()),
                None => Reply::Bulk(name),
            },
            Reply::Array(items) => {
                Reply::Array(items.into_iter().map(|r| self.unprefix_names(r)).collect())
            }
            other => self.unprefix_errors(other),
        }
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
                let want: Vec<usize> = sub.info.key_positions(3).collect();
                assert_eq!(key_positions(&argv), want, "{} {}", spec.name, sub.name);
            }
        }
        assert!(COMMANDS.iter().any(|c| c.hash));
        assert!(!knows_keys(&argv("FLUSHDB")) && !knows_keys(&argv("CLIENT ID")));
        assert!(knows_keys(&argv("OBJECT")) && !knows_keys(&argv("OBJECT HELP")));
        assert_eq!(key_positions(&argv("UNLINK a b")), vec![1, 2]);
        assert_eq!(key_positions(&argv("DEBUG OBJECT h")), vec![2]);
        assert_eq!(key_positions(&argv("RENAME a b")), vec![1, 2]);
        assert_eq!(key_positions(&argv("COPY a b DB 1 REPLACE")), vec![1, 2]);
        assert_eq!(key_positions(&argv("SCAN 0 MATCH a")), Vec::<usize>::new());
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

    #[test]
    fn listings_see_only_the_prefix() {
        let mut keys = KeyRewriter::new(b"p*:".to_vec());
        let mut k = argv("KEYS h?");
        keys.rewrite(&mut k);
        assert_eq!(k, argv("KEYS p\\*:h?"));
        let mut s = argv("SCAN 0 COUNT 5 MATCH a* TYPE hash");
        keys.rewrite(&mut s);
        assert_eq!(s, argv("SCAN 0 COUNT 5 MATCH p\\*:a* TYPE hash"));
        let mut bare = argv("SCAN 0 COUNT");
        keys.rewrite(&mut bare);
        assert_eq!(bare, argv("SCAN 0 MATCH p\\*:* COUNT"));
        let page = Reply::Array(vec![
            Reply::bulk("0"),
            Reply::Array(vec![Reply::bulk("p*:a"), Reply::bulk("other")]),
        ]);
        assert_eq!(
            keys.unprefix(&s, page),
            Reply::Array(vec![
                Reply::bulk("0"),
                Reply::Array(vec![Reply::bulk("a"), Reply::bulk("other")]),
            ])
        );
    }
}
