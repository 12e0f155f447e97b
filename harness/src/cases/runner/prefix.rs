//! Per-case key prefixes: a case writes `myhash`, the target sees `hc:<run-id>:<n>:myhash`.
//!
//! Only the key positions of the commands cases use are rewritten (the hash commands'
//! first argument, TYPE, SET, GET, EXISTS/DEL, OBJECT and DEBUG subcommands that take a
//! key). The rewriter remembers every key it produced, so the case can delete exactly those
//! afterwards and never needs FLUSHDB.

use reference_engine::Reply;

/// The 28 hash commands; each takes its key as the first argument.
const HASH_COMMANDS: &[&str] = &[
    "hdel",
    "hexists",
    "hexpire",
    "hexpireat",
    "hexpiretime",
    "hget",
    "hgetall",
    "hgetdel",
    "hgetex",
    "hincrby",
    "hincrbyfloat",
    "hkeys",
    "hlen",
    "hmget",
    "hmset",
    "hpersist",
    "hpexpire",
    "hpexpireat",
    "hpexpiretime",
    "hpttl",
    "hrandfield",
    "hscan",
    "hset",
    "hsetex",
    "hsetnx",
    "hstrlen",
    "httl",
    "hvals",
];

/// Other single-key commands cases use to set up or inspect keys.
const FIRST_KEY_COMMANDS: &[&str] = &[
    "type", "set", "get", "strlen", "append", "incr", "expire", "pexpire", "ttl", "pttl",
    "persist", "lpush", "rpush", "sadd", "zadd",
];

/// Commands whose every argument is a key.
const ALL_KEY_COMMANDS: &[&str] = &["del", "exists", "unlink", "touch"];

/// Subcommands (of OBJECT and DEBUG) whose second argument is a key.
const KEY_SUBCOMMANDS: &[(&str, &[&str])] = &[
    ("object", &["encoding", "freq", "idletime", "refcount"]),
    (
        "debug",
        &["object", "listpack", "htstats-key", "digest-value"],
    ),
];

/// The positions in `argv` that hold keys.
pub fn key_positions(argv: &[Vec<u8>]) -> Vec<usize> {
    let Some(name) = argv.first() else {
        return Vec::new();
    };
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let name = name.as_str();
    if HASH_COMMANDS.contains(&name) || FIRST_KEY_COMMANDS.contains(&name) {
        return (argv.len() > 1).then_some(1).into_iter().collect();
    }
    if ALL_KEY_COMMANDS.contains(&name) {
        return (1..argv.len()).collect();
    }
    for (command, subcommands) in KEY_SUBCOMMANDS {
        if name == *command && argv.len() > 2 {
            let sub = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
            if subcommands.contains(&sub.as_str()) {
                return vec![2];
            }
        }
    }
    Vec::new()
}

/// Whether the rewriter knows where this command's keys are (it may have none, e.g. an
/// arity error case), so that every key it sends is under the run's prefix.
pub fn knows_keys(argv: &[Vec<u8>]) -> bool {
    let Some(name) = argv.first() else {
        return true;
    };
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let name = name.as_str();
    if HASH_COMMANDS.contains(&name)
        || FIRST_KEY_COMMANDS.contains(&name)
        || ALL_KEY_COMMANDS.contains(&name)
    {
        return true;
    }
    KEY_SUBCOMMANDS.iter().any(|(command, subcommands)| {
        name == *command
            && argv.get(1).is_none_or(|sub| {
                let sub = String::from_utf8_lossy(sub).to_ascii_lowercase();
                subcommands.contains(&sub.as_str())
            })
    })
}

/// Whether `name` (any case) is one of the 28 hash commands.
pub fn is_hash_command(name: &str) -> bool {
    HASH_COMMANDS.contains(&name.to_ascii_lowercase().as_str())
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
