//! Steps to commands, for one [`Mode`].

use std::sync::LazyLock;

use reference_engine::command::args::parse_i64;
use reference_engine::command::grammar::{Shape, TimeArg};

use super::{Action, Cmd, FieldList, GetExOption, Key, Mode, RawName, SetExCondition};
use super::{SetExOption, Step, Time, KEYS, MIN_SAFE_COUNT};
use crate::fuzz::gen::table::{commands_where, form_of, Form};
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

    /// A structured command's arguments, and when a deadline it sets falls due. A command
    /// of a fixed arity takes as many fields or pairs as its arity says (fewer when the
    /// step has fewer: an arity error).
    fn command(&self, index: usize, step: &Step) -> (Vec<Arg>, Option<i64>) {
        let mut deadline = None;
        let args = match step {
            Step::Pairs { cmd, key, pairs } => {
                let mut a = self.start(*cmd, *key);
                let take = cmd.0.form.fixed_args().map_or(pairs.len(), |n| n / 2);
                for (f, v) in pairs.iter().take(take) {
                    a.push(bytes(&f.0));
                    a.push(bytes(&v.0));
                }
                a
            }
            Step::Fields { cmd, key, fields } => {
                let mut a = self.start(*cmd, *key);
                let take = cmd.0.form.fixed_args().unwrap_or(fields.len());
                a.extend(fields.iter().take(take).map(|f| bytes(&f.0)));
                a
            }
            Step::WholeKey { cmd, key } => self.start(*cmd, *key),
            Step::IntIncrement {
                cmd,
                key,
                field,
                by,
            } => {
                let mut a = self.start(*cmd, *key);
                a.extend([bytes(&field.0), bytes(&by.bytes)]);
                a
            }
            Step::FloatIncrement {
                cmd,
                key,
                field,
                by,
            } => {
                let mut a = self.start(*cmd, *key);
                a.extend([bytes(&field.0), bytes(&by.bytes)]);
                a
            }
            Step::RandomCount { cmd, key, count } => {
                let mut a = self.start(*cmd, *key);
                if let Some((count, with_values)) = count {
                    a.push(bytes(&self.safe_count(&count.0)));
                    if let Some(w) = with_values {
                        a.push(bytes(&w.bytes));
                    }
                }
                a
            }
            Step::Scan {
                cmd,
                key,
                cursor,
                pattern,
                count,
                novalues,
            } => {
                let mut a = self.start(*cmd, *key);
                a.push(bytes(&cursor.bytes));
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
                let mut a = self.start(*cmd, *key);
                self.fields_block(&mut a, fields);
                a
            }
            Step::Expire {
                cmd,
                key,
                time,
                condition,
                fields,
            } => {
                let mut a = self.start(*cmd, *key);
                let unit = match cmd.0.form.shape() {
                    Some(Shape::Expire(unit)) => unit,
                    other => unreachable!("{} in the expiry family: {other:?}", cmd.name()),
                };
                deadline = self.time(&mut a, unit, time, index);
                if let Some(c) = condition {
                    a.push(bytes(&c.bytes));
                }
                self.fields_block(&mut a, fields);
                a
            }
            Step::GetEx {
                cmd,
                key,
                option,
                fields,
            } => {
                let mut a = self.start(*cmd, *key);
                match option {
                    None => {}
                    Some(GetExOption::Persist) => a.push(word("PERSIST")),
                    Some(GetExOption::Ttl(unit, time)) => {
                        a.push(word(unit.word()));
                        deadline = self.time(&mut a, unit.time(), time, index);
                    }
                }
                self.fields_block(&mut a, fields);
                a
            }
            Step::SetEx {
                cmd,
                key,
                condition,
                option,
                pairs,
                numfields,
            } => {
                let mut a = self.start(*cmd, *key);
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
                        deadline = self.time(&mut a, unit.time(), time, index);
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

    /// The command's name and its key.
    fn start(&self, cmd: Cmd, key: Key) -> Vec<Arg> {
        vec![word(cmd.name()), self.key(key)]
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
    fn time(&self, a: &mut Vec<Arg>, unit: TimeArg, time: &Time, index: usize) -> Option<i64> {
        let seconds = !unit.millis;
        let absolute = unit.absolute;
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

    /// A random-pick count fit to send: for a server, below -1000 becomes -1000. The engine
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
                let commands: &[&str] = match self.mode {
                    Mode::Engine => &crate::fuzz::gen::COMMANDS,
                    Mode::Server => &SERVER_RAW_COMMANDS,
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
        let form = form_of(&argv[0]);
        let all_keys = matches!(form, Some(Form::Del | Form::Exists));
        if self.mode == Mode::Server && all_keys {
            for key in &mut argv[2..] {
                let mut prefixed = self.prefix.to_vec();
                prefixed.extend_from_slice(key);
                *key = prefixed;
            }
        }
        if is_random_pick(form) && argv.len() > 2 {
            argv[2] = self.safe_count(&argv[2]);
        }
    }
}

/// The raw command names a server may be sent: the hash commands and the key commands
/// whose every key argument gets the run's prefix. Not SET: its options are outside what
/// the engine models, so they would only show as differences. Not RENAME or COPY either: a
/// raw second argument would be a key outside the run's prefix.
pub static SERVER_RAW_COMMANDS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| commands_where(|form| !matches!(form, Form::Set | Form::TwoKeys { .. })));

/// Whether a command of `form` picks random fields by a count (`Shape::RandomCount`), which a
/// real server tries to serve even when it is huge and negative.
fn is_random_pick(form: Option<Form>) -> bool {
    form.and_then(Form::shape) == Some(Shape::RandomCount)
}

/// Whether a resolved command is safe to send to a real server (see the module docs).
pub fn safe_for_server(argv: &[Vec<u8>]) -> bool {
    let Some(name) = argv.first() else {
        return true;
    };
    if !is_random_pick(form_of(name)) {
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
        for random in commands_where(|f| is_random_pick(Some(f))) {
            let lower = random.to_ascii_lowercase().into_bytes();
            assert!(!safe_for_server(&[lower, b"k".to_vec(), b"-1001".to_vec()]));
            let upper = random.as_bytes().to_vec();
            assert!(safe_for_server(&[upper, b"k".to_vec(), b"-1000".to_vec()]));
        }
    }
}
