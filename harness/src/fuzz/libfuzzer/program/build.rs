//! Steps to commands, for one [`Mode`].

use reference_engine::command::args::parse_i64;

use super::{Action, ExpireCmd, FieldList, FieldsBlockCmd, GetExOption, Key, Mode, OneFieldCmd};
use super::{RawName, SetExCondition, SetExOption, SomeFieldsCmd, Step, Time, Unit, WholeKeyCmd};
use super::{KEYS, MIN_SAFE_COUNT};
use crate::fuzz::gen::{Arg, Op};

/// Turns steps into commands for one mode.
pub(super) struct Builder<'a> {
    pub(super) prefix: &'a [u8],
    pub(super) mode: Mode,
}

fn word(s: &str) -> Arg {
    Arg::Bytes(s.as_bytes().to_vec())
}

fn bytes(b: &[u8]) -> Arg {
    Arg::Bytes(b.to_vec())
}

impl Builder<'_> {
    fn key(&self, key: Key) -> Arg {
        Arg::Bytes(self.key_bytes(key))
    }

    fn key_bytes(&self, key: Key) -> Vec<u8> {
        let mut k = self.prefix.to_vec();
        k.extend_from_slice(format!("k{}", usize::from(key.0) % KEYS).as_bytes());
        k
    }

    /// Step `index` of the program (the index spaces its far deadlines apart).
    pub(super) fn step(&self, index: usize, step: &Step) -> Option<Action> {
        let (args, deadline) = match step {
            Step::Advance(ms) => {
                return (self.mode == Mode::Engine).then_some(Action::Wait(u64::from(*ms)))
            }
            Step::Raw { name, key, args } => return self.raw(name, *key, args),
            other => self.command(index, other),
        };
        Some(Action::Send(Op {
            args,
            deadline_in_ms: deadline,
        }))
    }

    /// A structured command's arguments, and when a deadline it sets falls due.
    fn command(&self, index: usize, step: &Step) -> (Vec<Arg>, Option<i64>) {
        let mut deadline = None;
        let args = match step {
            Step::HSet {
                key,
                pairs,
                legacy_hmset,
            } => {
                let mut a = vec![word(if *legacy_hmset { "HMSET" } else { "HSET" })];
                a.push(self.key(*key));
                for (f, v) in pairs {
                    a.push(bytes(&f.0));
                    a.push(bytes(&v.0));
                }
                a
            }
            Step::HSetNx { key, field, value } => vec![
                word("HSETNX"),
                self.key(*key),
                bytes(&field.0),
                bytes(&value.0),
            ],
            Step::OneField { cmd, key, field } => {
                let name = match cmd {
                    OneFieldCmd::HGet => "HGET",
                    OneFieldCmd::HExists => "HEXISTS",
                    OneFieldCmd::HStrlen => "HSTRLEN",
                };
                vec![word(name), self.key(*key), bytes(&field.0)]
            }
            Step::SomeFields { cmd, key, fields } => {
                let name = match cmd {
                    SomeFieldsCmd::HMGet => "HMGET",
                    SomeFieldsCmd::HDel => "HDEL",
                };
                let mut a = vec![word(name), self.key(*key)];
                a.extend(fields.iter().map(|f| bytes(&f.0)));
                a
            }
            Step::WholeKey { cmd, key } => {
                let name = match cmd {
                    WholeKeyCmd::HGetAll => "HGETALL",
                    WholeKeyCmd::HKeys => "HKEYS",
                    WholeKeyCmd::HVals => "HVALS",
                    WholeKeyCmd::HLen => "HLEN",
                    WholeKeyCmd::Type => "TYPE",
                    WholeKeyCmd::Exists => "EXISTS",
                    WholeKeyCmd::Del => "DEL",
                };
                vec![word(name), self.key(*key)]
            }
            Step::HIncrBy { key, field, by } => vec![
                word("HINCRBY"),
                self.key(*key),
                bytes(&field.0),
                bytes(&by.bytes),
            ],
            Step::HIncrByFloat { key, field, by } => vec![
                word("HINCRBYFLOAT"),
                self.key(*key),
                bytes(&field.0),
                bytes(&by.bytes),
            ],
            Step::HRandField { key, count } => {
                let mut a = vec![word("HRANDFIELD"), self.key(*key)];
                if let Some((count, with_values)) = count {
                    a.push(bytes(&self.safe_count(&count.0)));
                    if let Some(w) = with_values {
                        a.push(bytes(&w.bytes));
                    }
                }
                a
            }
            Step::HScan {
                key,
                cursor,
                pattern,
                count,
                novalues,
            } => {
                let mut a = vec![word("HSCAN"), self.key(*key), bytes(&cursor.bytes)];
                if let Some(p) = pattern {
                    a.push(word("MATCH"));
                    a.push(bytes(&p.bytes));
                }
                if let Some(c) = count {
                    a.push(word("COUNT"));
                    a.push(bytes(&c.bytes));
                }
                if *novalues {
                    a.push(word("NOVALUES"));
                }
                a
            }
            Step::FieldsBlock { cmd, key, fields } => {
                let name = match cmd {
                    FieldsBlockCmd::HGetDel => "HGETDEL",
                    FieldsBlockCmd::HTtl => "HTTL",
                    FieldsBlockCmd::HPTtl => "HPTTL",
                    FieldsBlockCmd::HExpireTime => "HEXPIRETIME",
                    FieldsBlockCmd::HPExpireTime => "HPEXPIRETIME",
                    FieldsBlockCmd::HPersist => "HPERSIST",
                };
                let mut a = vec![word(name), self.key(*key)];
                self.fields_block(&mut a, fields);
                a
            }
            Step::HExpire {
                cmd,
                key,
                time,
                condition,
                fields,
            } => {
                let (name, unit) = match cmd {
                    ExpireCmd::HExpire => ("HEXPIRE", Unit::Ex),
                    ExpireCmd::HPExpire => ("HPEXPIRE", Unit::Px),
                    ExpireCmd::HExpireAt => ("HEXPIREAT", Unit::ExAt),
                    ExpireCmd::HPExpireAt => ("HPEXPIREAT", Unit::PxAt),
                };
                let mut a = vec![word(name), self.key(*key)];
                deadline = self.time(&mut a, unit, time, index);
                if let Some(c) = condition {
                    a.push(bytes(&c.bytes));
                }
                self.fields_block(&mut a, fields);
                a
            }
            Step::HGetEx {
                key,
                option,
                fields,
            } => {
                let mut a = vec![word("HGETEX"), self.key(*key)];
                match option {
                    None => {}
                    Some(GetExOption::Persist) => a.push(word("PERSIST")),
                    Some(GetExOption::Ttl(unit, time)) => {
                        a.push(word(unit.word()));
                        deadline = self.time(&mut a, *unit, time, index);
                    }
                }
                self.fields_block(&mut a, fields);
                a
            }
            Step::HSetEx {
                key,
                condition,
                option,
                pairs,
                numfields,
            } => {
                let mut a = vec![word("HSETEX"), self.key(*key)];
                match condition {
                    None => {}
                    Some(SetExCondition::Fnx) => a.push(word("FNX")),
                    Some(SetExCondition::Fxx) => a.push(word("FXX")),
                }
                match option {
                    None => {}
                    Some(SetExOption::KeepTtl) => a.push(word("KEEPTTL")),
                    Some(SetExOption::Ttl(unit, time)) => {
                        a.push(word(unit.word()));
                        deadline = self.time(&mut a, *unit, time, index);
                    }
                }
                a.push(word("FIELDS"));
                a.push(Arg::Bytes(numfields.word(pairs.len())));
                for (f, v) in pairs {
                    a.push(bytes(&f.0));
                    a.push(bytes(&v.0));
                }
                a
            }
            Step::Set { key, value } => vec![word("SET"), self.key(*key), bytes(&value.0)],
            Step::Advance(_) | Step::Raw { .. } => unreachable!("handled by step()"),
        };
        (args, deadline)
    }

    fn fields_block(&self, a: &mut Vec<Arg>, list: &FieldList) {
        a.push(word("FIELDS"));
        a.push(Arg::Bytes(list.numfields.word(list.fields.len())));
        a.extend(list.fields.iter().map(|f| bytes(&f.0)));
    }

    /// Pushes the time argument; returns the deadline's distance in ms when it is near
    /// enough to fall due during a run. A server never gets a near one: two servers never
    /// see a command at the same instant, so near deadlines only make noise there.
    ///
    /// Far deadlines are eleven days and more away, and each step's lies 10^7 ms (about
    /// three hours) after the previous step's: a relative time counts from when each
    /// server runs the command, an absolute one from when the driver sent it, so two far
    /// deadlines that were meant to be equal could compare either way under GT/LT. Spaced
    /// apart, every comparison is decided before the clocks' few milliseconds matter.
    fn time(&self, a: &mut Vec<Arg>, unit: Unit, time: &Time, index: usize) -> Option<i64> {
        let seconds = matches!(unit, Unit::Ex | Unit::ExAt);
        let absolute = matches!(unit, Unit::ExAt | Unit::PxAt);
        let (offset_ms, near) = match time {
            Time::Past => (if absolute { -5_000 } else { 0 }, false),
            Time::Soon(n) if self.mode == Mode::Engine => {
                let ms = if seconds {
                    1_000 * (1 + i64::from(*n % 3))
                } else {
                    1 + i64::from(*n % 3_000)
                };
                (ms, true)
            }
            Time::Soon(_) | Time::Far => (1_000_000_000 + 10_000_000 * index as i64, false),
            Time::Bad(b) => {
                const BAD: &[&str] = &[
                    "-1",
                    "abc",
                    "70368744177664",
                    "9223372036854775807",
                    "",
                    "1.5",
                    "-9223372036854775808",
                ];
                a.push(word(BAD[usize::from(*b) % BAD.len()]));
                return None;
            }
        };
        a.push(match (absolute, seconds) {
            (false, true) => Arg::Bytes((offset_ms / 1000).to_string().into_bytes()),
            (false, false) => Arg::Bytes(offset_ms.to_string().into_bytes()),
            (true, true) => Arg::UnixSecsFromNow(offset_ms),
            (true, false) => Arg::UnixMsFromNow(offset_ms),
        });
        near.then_some(offset_ms)
    }

    /// An HRANDFIELD count fit to send: for a server, below -1000 becomes -1000. The engine
    /// refuses counts past a million picks at once, but builds up to a million picks (about
    /// 100 MB) for the rest, which would only slow the fuzzer down: those become -1000 too.
    fn safe_count(&self, count: &[u8]) -> Vec<u8> {
        const ENGINE_REFUSES_BELOW: i64 = -1_000_000;
        match parse_i64(count) {
            Some(n) if n < MIN_SAFE_COUNT && self.mode == Mode::Server => {
                MIN_SAFE_COUNT.to_string().into_bytes()
            }
            Some(n) if (ENGINE_REFUSES_BELOW..MIN_SAFE_COUNT).contains(&n) => {
                MIN_SAFE_COUNT.to_string().into_bytes()
            }
            _ => count.to_vec(),
        }
    }

    fn raw(&self, name: &RawName, key: Key, args: &[Vec<u8>]) -> Option<Action> {
        let name = match name {
            RawName::Known(i, lower) => {
                let commands = match self.mode {
                    Mode::Engine => crate::fuzz::gen::COMMANDS,
                    Mode::Server => SERVER_RAW_COMMANDS,
                };
                let n = commands[usize::from(*i) % commands.len()];
                if *lower {
                    n.to_ascii_lowercase().into_bytes()
                } else {
                    n.as_bytes().to_vec()
                }
            }
            RawName::Bytes(b) if self.mode == Mode::Engine => b.clone(),
            // Unknown names could be anything a server does (FLUSHALL, DEBUG ...).
            RawName::Bytes(_) => return None,
        };
        let mut argv = vec![name, self.key_bytes(key)];
        argv.extend(args.iter().map(|a| match self.mode {
            Mode::Engine => a.clone(),
            // Redis echoes some arguments raw in errors (HSETEX's `unknown argument`), and
            // the client library of the network target cannot read an error that is not
            // UTF-8, which would end the run. The engine target keeps every byte.
            Mode::Server => String::from_utf8_lossy(a).into_owned().into_bytes(),
        }));
        self.make_safe(&mut argv);
        Some(Action::Send(Op {
            args: argv.into_iter().map(Arg::Bytes).collect(),
            deadline_in_ms: None,
        }))
    }

    /// Keeps a raw command inside the run's keys and away from dangerous counts.
    fn make_safe(&self, argv: &mut [Vec<u8>]) {
        let name = argv[0].to_ascii_uppercase();
        if self.mode == Mode::Server && (name == b"DEL" || name == b"EXISTS") {
            for key in &mut argv[2..] {
                let mut prefixed = self.prefix.to_vec();
                prefixed.extend_from_slice(key);
                *key = prefixed;
            }
        }
        if name == b"HRANDFIELD" && argv.len() > 2 {
            argv[2] = self.safe_count(&argv[2]);
        }
    }
}

/// The raw command names a server may be sent: the 28 hash commands and the key commands
/// whose every key argument gets the run's prefix. Not SET: its options are outside what
/// the engine models, so they would only show as differences.
pub const SERVER_RAW_COMMANDS: &[&str] = &[
    "HDEL",
    "HEXISTS",
    "HEXPIRE",
    "HEXPIREAT",
    "HEXPIRETIME",
    "HGET",
    "HGETALL",
    "HGETDEL",
    "HGETEX",
    "HINCRBY",
    "HINCRBYFLOAT",
    "HKEYS",
    "HLEN",
    "HMGET",
    "HMSET",
    "HPERSIST",
    "HPEXPIRE",
    "HPEXPIREAT",
    "HPEXPIRETIME",
    "HPTTL",
    "HRANDFIELD",
    "HSCAN",
    "HSET",
    "HSETEX",
    "HSETNX",
    "HSTRLEN",
    "HTTL",
    "HVALS",
    "DEL",
    "EXISTS",
    "TYPE",
];

/// Whether a resolved command is safe to send to a real server (see the module docs).
pub fn safe_for_server(argv: &[Vec<u8>]) -> bool {
    let Some(name) = argv.first() else {
        return true;
    };
    if !name.eq_ignore_ascii_case(b"HRANDFIELD") {
        return true;
    }
    match argv.get(2).and_then(|c| parse_i64(c)) {
        Some(n) => n >= MIN_SAFE_COUNT || n == i64::MIN,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::super::NumFields;
    use super::*;

    #[test]
    fn numfields_and_counts() {
        assert_eq!(NumFields::Right.word(3), b"3");
        assert_eq!(NumFields::Off(-2).word(1), b"-1");
        let b = Builder {
            prefix: b"",
            mode: Mode::Server,
        };
        assert_eq!(b.safe_count(b"-4611686018427387903"), b"-1000");
        assert_eq!(b.safe_count(b"-5"), b"-5");
        assert_eq!(b.safe_count(b"abc"), b"abc");
        assert!(!safe_for_server(&[
            b"hrandfield".to_vec(),
            b"k".to_vec(),
            b"-1001".to_vec()
        ]));
        assert!(safe_for_server(&[
            b"HRANDFIELD".to_vec(),
            b"k".to_vec(),
            b"-1000".to_vec()
        ]));
    }
}
