//! What the engine knows about each command, as data: one [`CommandSpec`] per command,
//! declared in the command's own file and listed once in `COMMANDS`.
//!
//! Everything else derives from it: dispatch (arity), `COMMAND INFO`/`COUNT`/`LIST`, and in
//! the harness the key prefixing, the comparison policies, the fuzz generators and the fuzz
//! dictionary. So a new command is its file plus one table row.
//!
//! The COMMAND INFO facts (flags, ACL categories, tips, key specs) and `since` are copied
//! from Redis 8.2.3's `COMMAND INFO` and `COMMAND DOCS`.

use super::grammar::{Grammar, TimeArg};
use super::Run;

/// One row of the command table.
pub struct CommandSpec {
    /// Lower case, as Redis prints it in errors.
    pub name: &'static str,
    /// Redis's arity: N means exactly N arguments (name included), -N means at least N.
    pub arity: i32,
    /// Whether this is one of the 28 hash commands hashcheck exists to check.
    pub hash: bool,
    /// Whether the command reads the time itself, when it needs it, through `Ctx::now` or
    /// `Ctx::db_and_now`, instead of `ctx.now_ms`. Dispatch then does not read the clock
    /// up front, which is ~15% of the cost of an HSET or HGET (a vDSO call under KVM).
    /// A test checks that such a command's file never mentions `now_ms`.
    pub lazy_clock: bool,
    pub run: Run,
    /// What a hash command accepts (keywords, argument shape, errors), declared in its
    /// file; `None` for the support commands.
    pub grammar: Option<&'static Grammar>,
    /// The Redis version the command appeared in (`since` in COMMAND DOCS).
    pub since: &'static str,
    pub info: CommandInfo,
    /// What Redis promises about the reply; the harness turns it into a comparison.
    pub reply: ReplyPolicy,
    /// A container's subcommands (CLIENT, OBJECT, COMMAND), in Redis's COMMAND LIST order.
    pub subcommands: &'static [Subcommand],
}

/// The facts `COMMAND INFO` prints for a command besides its name and arity.
#[derive(Debug, Clone, Copy)]
pub struct CommandInfo {
    /// Space-separated, as Redis lists them.
    pub flags: &'static str,
    pub acl_categories: &'static str,
    pub tips: &'static str,
    /// The command's key spec, if it takes a key.
    pub key: Option<KeySpec>,
    /// A second key spec, for the commands with two (RENAME, COPY: source and destination).
    pub second_key: Option<KeySpec>,
}

/// A key spec: an index begin-search and a range find-keys with no limit. The keys are
/// the arguments from `begin` to `last` (relative to `begin`; negative counts from the end
/// of argv), every `step`th.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    /// Space-separated key flags (`RW update`, `RO access`...).
    pub flags: &'static str,
    pub begin: i64,
    pub last: i64,
    pub step: i64,
    /// Redis's note on the flags, printed first when there is one.
    pub notes: &'static str,
}

/// A container command's subcommand, with Redis's arity and COMMAND INFO facts.
pub struct Subcommand {
    /// Lower case, without the container's name.
    pub name: &'static str,
    pub arity: i32,
    pub info: CommandInfo,
}

/// What Redis promises about a command's reply, as data (the harness decides how to
/// compare from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyPolicy {
    /// Deterministic: the same state gives the same reply.
    Exact,
    /// `nondeterministic_output_order`: every field or value of a hash, in the hash's order.
    /// With `pairs`, a flat reply is field/value pairs; else it lists the values (`values`)
    /// or the fields.
    Listing { pairs: bool, values: bool },
    /// A random pick from the hash (HRANDFIELD).
    RandomPick,
    /// A cursor walk whose pages are the server's choice (HSCAN).
    Scan,
    /// A time reading that drifts with when the command ran. `twin` is the command that
    /// reads the same deadline in the other unit.
    Ttl {
        reading: TimeArg,
        twin: &'static str,
    },
    /// A value serialized in the server's own format (DUMP): another server may encode the
    /// same value in other bytes (another encoding, field order or RDB version), so the
    /// reply is judged by the value it holds, not byte for byte.
    Payload,
}

impl CommandSpec {
    /// A hash command that replies deterministically and has no key spec yet.
    pub const fn hash(
        name: &'static str,
        arity: i32,
        since: &'static str,
        run: Run,
        grammar: &'static Grammar,
    ) -> Self {
        Self {
            name,
            arity,
            hash: true,
            lazy_clock: false,
            run,
            grammar: Some(grammar),
            since,
            info: CommandInfo::NONE,
            reply: ReplyPolicy::Exact,
            subcommands: &[],
        }
    }

    /// A command the cases and the fuzzer need around the hash commands (DEL, PING...).
    pub const fn support(name: &'static str, arity: i32, since: &'static str, run: Run) -> Self {
        Self {
            hash: false,
            grammar: None,
            ..Self::hash(name, arity, since, run, &super::grammar::FIELDS_ONLY)
        }
    }

    /// With its COMMAND INFO facts.
    pub const fn info(
        self,
        flags: &'static str,
        acl_categories: &'static str,
        tips: &'static str,
        key: Option<KeySpec>,
    ) -> Self {
        Self {
            info: CommandInfo::new(flags, acl_categories, tips, key),
            ..self
        }
    }

    /// With a second key spec (see [`CommandInfo::second_key`]).
    pub const fn second_key(self, key: KeySpec) -> Self {
        Self {
            info: CommandInfo {
                second_key: Some(key),
                ..self.info
            },
            ..self
        }
    }

    pub const fn reply(self, reply: ReplyPolicy) -> Self {
        Self { reply, ..self }
    }

    pub const fn lazy_clock(self) -> Self {
        Self {
            lazy_clock: true,
            ..self
        }
    }

    pub const fn subcommands(self, subcommands: &'static [Subcommand]) -> Self {
        Self {
            subcommands,
            ..self
        }
    }

    /// The positions in `argv` (name at 0) that hold keys, by the key specs.
    pub fn key_positions(&self, argc: usize) -> impl Iterator<Item = usize> {
        self.info.key_positions(argc)
    }
}

impl CommandInfo {
    pub const NONE: CommandInfo = CommandInfo {
        flags: "",
        acl_categories: "",
        tips: "",
        key: None,
        second_key: None,
    };

    pub const fn new(
        flags: &'static str,
        acl_categories: &'static str,
        tips: &'static str,
        key: Option<KeySpec>,
    ) -> Self {
        Self {
            flags,
            acl_categories,
            tips,
            key,
            second_key: None,
        }
    }

    /// The key specs, in Redis's order.
    pub fn key_specs(&self) -> impl Iterator<Item = KeySpec> {
        self.key.into_iter().chain(self.second_key)
    }

    /// The positions in `argv` (name at 0) that hold keys, by the key specs.
    pub fn key_positions(&self, argc: usize) -> impl Iterator<Item = usize> {
        self.key_specs().flat_map(move |k| k.positions(argc))
    }
}

impl KeySpec {
    /// Keys from `begin` to `begin + last` (`last` < 0: to that many from the end).
    pub const fn range(flags: &'static str, begin: i64, last: i64) -> Self {
        Self {
            flags,
            begin,
            last,
            step: 1,
            notes: "",
        }
    }

    pub const fn notes(self, notes: &'static str) -> Self {
        Self { notes, ..self }
    }

    /// The positions of the keys in an argv of `argc` arguments (name at 0).
    pub fn positions(&self, argc: usize) -> impl Iterator<Item = usize> {
        (self.begin..=self.last_index(argc))
            .step_by(self.step.max(1) as usize)
            .filter(move |&i| i >= 1 && (i as usize) < argc)
            .map(|i| i as usize)
    }

    /// The last key's index in an argv of `argc` arguments.
    pub fn last_index(&self, argc: usize) -> i64 {
        if self.last < 0 {
            argc as i64 + self.last
        } else {
            self.begin + self.last
        }
    }
}

impl Subcommand {
    pub const fn new(name: &'static str, arity: i32, info: CommandInfo) -> Self {
        Self { name, arity, info }
    }
}

#[cfg(test)]
mod tests {
    use super::ReplyPolicy;
    use crate::command::{lookup, COMMANDS};

    #[test]
    fn every_row_has_its_facts() {
        for c in COMMANDS {
            let parts: Vec<&str> = c.since.split('.').collect();
            assert_eq!(parts.len(), 3, "{}: since {}", c.name, c.since);
            assert!(parts.iter().all(|p| p.parse::<u32>().is_ok()), "{}", c.name);
            assert!(!c.info.acl_categories.is_empty(), "{}", c.name);
            if c.hash {
                let key = c.info.key.expect("a hash command takes a key");
                assert_eq!((key.begin, key.last, key.step), (1, 0, 1), "{}", c.name);
            }
            // A reading's twin reads the same deadline in the other unit, and back.
            if let ReplyPolicy::Ttl { reading, twin } = c.reply {
                let ReplyPolicy::Ttl {
                    reading: r,
                    twin: back,
                } = lookup(twin.as_bytes()).unwrap().reply
                else {
                    panic!("{twin} is no reading")
                };
                assert_eq!(
                    (r.millis, r.absolute, back),
                    (!reading.millis, reading.absolute, c.name)
                );
            }
        }
    }

    #[test]
    fn key_positions_follow_the_key_spec() {
        let keys = |name: &str, argc| {
            lookup(name.as_bytes())
                .unwrap()
                .key_positions(argc)
                .collect::<Vec<_>>()
        };
        assert_eq!(keys("hset", 6), [1]);
        assert_eq!(keys("hset", 1), Vec::<usize>::new());
        assert_eq!(keys("del", 4), [1, 2, 3]);
        assert_eq!(keys("ping", 2), Vec::<usize>::new());
    }
}
