//! One builder per [`Shape`], for every hash command of that shape, and the key commands.
//! The shapes whose arguments are a few plain values are built here, with the trailing
//! options of a random pick and of a scan; those with a FIELDS block are in
//! [`super::expiry`]. A command's name never decides how it is built: its grammar's shape
//! and its arity do, so a new command of a known shape needs no change here, and a new
//! shape fails to compile until it has its arm.

use reference_engine::command::grammar::Shape;

use super::pools::*;
use super::table::{Form, Known};
use super::{Arg, Generator, Op};

impl Generator {
    pub(super) fn build(&mut self, command: Known, key_index: usize) -> Op {
        let key = self.key_name(key_index);
        let mut args = vec![Self::b(command.name), Arg::Bytes(key.clone())];
        match command.form {
            Form::Hash { grammar, .. } => return self.hash_call(grammar.shape, command.form, args),
            // The same key again: counted twice by EXISTS, deleted once by DEL. Never
            // another key, so every command stays on one key's history.
            Form::Del | Form::Exists => {
                if self.chance(8) {
                    args.push(Arg::Bytes(key));
                }
            }
            Form::Type | Form::KeyAlone => {}
            Form::Set => args.push(Arg::Bytes(self.value())),
            Form::Dump => {}
            Form::Restore => args.extend(self.restore_args()),
            Form::KeyExpire { millis } => self.key_expire(millis, &mut args),
            Form::TwoKeys { replace } => {
                // Another of the run's free keys (see `busy_keys`), now and then (or if no
                // other is free) the same one.
                let other = match self.chance(8) {
                    true => None,
                    false => self.two_keys_index(Some(key_index)),
                };
                let other = other.map_or(key, |index| self.key_name(index));
                args.push(Arg::Bytes(other));
                if replace && self.chance(2) {
                    args.push(Self::b(self.pick(&["REPLACE", "replace"])));
                }
            }
        }
        Op::new(args)
    }

    /// `time [condition]` of a key's EXPIRE: far ahead (each time further than the last, so
    /// that GT and LT never compare two deadlines a few ms apart, which two servers may
    /// order differently) or at or before now (the key goes at once). Now and then two
    /// conditions or a word that is none.
    fn key_expire(&mut self, millis: bool, args: &mut Vec<Arg>) {
        self.far_deadlines += 1;
        let seconds = match self.rng.below(4) {
            0 => -(self.rng.below(3) as i64),
            _ => 1_000_000 + 1_000 * self.far_deadlines,
        };
        let time = if millis { seconds * 1000 } else { seconds };
        args.push(Arg::Bytes(time.to_string().into_bytes()));
        match self.rng.below(12) {
            0..=4 => args.push(Self::b(self.pick(CONDITIONS))),
            5 => {
                args.push(Self::b(self.pick(CONDITIONS)));
                args.push(Self::b(self.pick(CONDITIONS)));
            }
            6 => args.push(Self::b(self.pick(&["FOO", "FIELDS"]))),
            _ => {}
        }
    }

    /// The arguments after the key of a hash command of `shape`: as many as its arity says
    /// when it is fixed, one to three items when it takes any number.
    fn hash_call(&mut self, shape: Shape, form: Form, mut args: Vec<Arg>) -> Op {
        let fixed = form.fixed_args();
        match shape {
            Shape::KeyOnly | Shape::Listing => {}
            Shape::Fields => {
                let fields = match fixed {
                    Some(n) => (0..n).map(|_| self.field()).collect(),
                    None => self.fields(3),
                };
                args.extend(fields.into_iter().map(Arg::Bytes));
            }
            Shape::Pairs => {
                let pairs = match fixed {
                    Some(n) => n / 2,
                    None => 1 + self.rng.below(3),
                };
                for _ in 0..pairs {
                    args.push(Arg::Bytes(self.field()));
                    args.push(Arg::Bytes(self.value()));
                }
            }
            Shape::IntIncrement => {
                args.push(Arg::Bytes(self.field()));
                args.push(Arg::Bytes(self.pick(INT_INCREMENTS).to_vec()));
            }
            Shape::FloatIncrement => {
                args.push(Arg::Bytes(self.field()));
                args.push(Arg::Bytes(self.pick(FLOAT_INCREMENTS).to_vec()));
            }
            Shape::RandomCount => self.random_count_args(&mut args),
            Shape::Scan => self.scan_args(&mut args),
            Shape::FieldsBlock => self.fields_block(&mut args, false),
            Shape::Expire(time) => return self.expire(time, args),
            Shape::GetEx => return self.get_ex(args),
            Shape::SetEx => return self.set_ex(args),
        }
        Op::new(args)
    }

    /// `[count [WITHVALUES]]`. Large positive counts are safe (the reply is the whole
    /// hash); large negative ones are never sent (see the module docs).
    fn random_count_args(&mut self, args: &mut Vec<Arg>) {
        match self.rng.below(10) {
            0 => {}
            1 => args.push(Self::b(self.pick(&[
                "0",
                "1",
                "-1",
                "100",
                "abc",
                "",
                "1.0",
                "-9223372036854775808",
                "9223372036854775808",
            ]))),
            2 => {
                args.push(Self::b(
                    self.pick(&["9223372036854775807", "4611686018427387904"]),
                ));
                args.push(Self::b("WITHVALUES"));
            }
            // WITHVALUES without a count, and words after it.
            3 => {
                args.push(Self::b(self.pick(&["WITHVALUES", "3"])));
                args.push(Self::b(self.pick(&["WITHVALUES", "withvalues", "x"])));
                if self.chance(2) {
                    args.push(Self::b("WITHVALUES"));
                }
            }
            _ => {
                let count = self.rng.below(21) as i64 - 10;
                args.push(Arg::Bytes(count.to_string().into_bytes()));
                if self.chance(2) {
                    args.push(Self::b(self.pick(&[
                        "WITHVALUES",
                        "withvalues",
                        "WITHVALUE",
                    ])));
                }
            }
        }
    }

    /// `cursor [MATCH pattern] [COUNT count] [NOVALUES]`, in any order, now and then with
    /// an option missing its value, an unknown option, or one given twice.
    fn scan_args(&mut self, args: &mut Vec<Arg>) {
        args.push(Self::b(self.pick(&[
            "0",
            "0",
            "0",
            "0",
            "-1",
            "abc",
            "12345",
            "",
            "18446744073709551615",
            "18446744073709551616",
        ])));
        let mut options: Vec<Vec<Arg>> = Vec::new();
        if self.chance(3) {
            let pattern = self.pick(&["f*", "*", "f[0-2]", "?", "L*", "\\f*", "f[^1]", "[", ""]);
            options.push(vec![Self::b("MATCH"), Self::b(pattern)]);
        }
        if self.chance(3) {
            let count = self.pick(&["1", "2", "10", "0", "-1", "x", "9223372036854775807"]);
            options.push(vec![Self::b("COUNT"), Self::b(count)]);
        }
        if self.chance(4) {
            options.push(vec![Self::b(self.pick(&["NOVALUES", "novalues"]))]);
        }
        match self.rng.below(25) {
            0 => options.push(vec![Self::b(self.pick(&["MATCH", "COUNT"]))]),
            1 => options.push(vec![Self::b("FOO")]),
            2 => {
                options.push(vec![Self::b("COUNT"), Self::b("3")]);
                options.push(vec![Self::b("COUNT"), Self::b("1")]);
            }
            _ => {}
        }
        if options.len() > 1 && self.chance(2) {
            options.reverse();
        }
        args.extend(options.into_iter().flatten());
    }
}
