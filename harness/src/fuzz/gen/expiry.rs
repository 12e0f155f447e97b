//! The shapes with a FIELDS block: the expiry family (`time [condition] FIELDS ...`), the
//! FIELDS-only commands, and the get-and-expire and set-with-expiry shapes, each with the
//! invalid forms of its own: every flag conflict (NX/XX/GT/LT pairs, FNX+FXX, EX+PX,
//! KEEPTTL+EX, PERSIST where it is not taken), FIELDS counts that do not match.

use reference_engine::command::grammar::TimeArg;

use super::pools::*;
use super::{Arg, Generator, Op};

impl Generator {
    /// `FIELDS numfields field...` (with values when `with_values`). Now and then the count does not
    /// match, is not a positive integer, or the FIELDS word is missing or misspelt.
    pub(super) fn fields_block(&mut self, args: &mut Vec<Arg>, with_values: bool) {
        let fields = self.fields(3);
        let n = fields.len() as i64;
        let (keyword, numfields) = match self.rng.below(30) {
            0 => ("FIELDS", (n + 1).to_string()),
            1 => ("FIELDS", (n - 1).to_string()),
            2 => (
                "FIELDS",
                self.pick(&["0", "-1", "abc", "", "9223372036854775808", "2147483648"])
                    .to_string(),
            ),
            3 => (self.pick(&["FIELD", "VALUES"]), n.to_string()),
            4 => ("fields", n.to_string()),
            _ => ("FIELDS", n.to_string()),
        };
        args.push(Self::b(keyword));
        args.push(Arg::Bytes(numfields.into_bytes()));
        for f in fields {
            args.push(Arg::Bytes(f));
            if with_values {
                args.push(Arg::Bytes(self.value()));
            }
        }
    }

    /// `time [NX | XX | GT | LT] FIELDS numfields field...`, with two conditions now and
    /// then, one after the fields, or a word that is not a condition.
    pub(super) fn expire(&mut self, time: TimeArg, mut args: Vec<Arg>) -> Op {
        let deadline = self.time_value(time, &mut args);
        let condition_after_fields = match self.rng.below(12) {
            0..=3 => {
                args.push(Self::b(self.pick(CONDITIONS)));
                false
            }
            // Two conditions (always refused by Redis 8.2, in any pair).
            4 => {
                args.push(Self::b(self.pick(CONDITIONS)));
                args.push(Self::b(self.pick(CONDITIONS)));
                false
            }
            5 => true,
            // Not a condition.
            6 => {
                args.push(Self::b(self.pick(&["FOO", "KEEPTTL"])));
                false
            }
            _ => false,
        };
        self.fields_block(&mut args, false);
        if condition_after_fields {
            args.push(Self::b(self.pick(CONDITIONS)));
        }
        Op {
            args,
            deadline_in_ms: deadline,
        }
    }

    /// `[EX | PX | EXAT | PXAT time | PERSIST] FIELDS numfields field...`, now and then
    /// with two options, a word the shape does not take, or a unit without its time.
    pub(super) fn get_ex(&mut self, mut args: Vec<Arg>) -> Op {
        let deadline = match self.rng.below(14) {
            0 | 1 => None,
            2 | 3 => {
                args.push(Self::b(self.pick(&["PERSIST", "persist"])));
                None
            }
            // Conflicts and words this shape does not take.
            4 => {
                let unit = self.pick(&["EX", "PX", "EXAT", "PXAT"]);
                args.push(Self::b(unit));
                let d = self.time_after(unit, &mut args);
                args.push(Self::b(self.pick(&["PX", "EX", "PERSIST"])));
                args.push(Self::b("100"));
                d
            }
            5 => {
                args.push(Self::b("PERSIST"));
                args.push(Self::b(self.pick(&["EX", "PERSIST"])));
                None
            }
            6 => {
                args.push(Self::b(self.pick(&["KEEPTTL", "FNX", "FOO", "NX"])));
                None
            }
            // A unit with no time before FIELDS.
            7 => {
                args.push(Self::b(self.pick(&["EX", "PXAT"])));
                None
            }
            _ => {
                let unit = self.pick(&["EX", "PX", "EXAT", "PXAT", "ex", "pxat"]);
                args.push(Self::b(unit));
                self.time_after(unit, &mut args)
            }
        };
        self.fields_block(&mut args, false);
        Op {
            args,
            deadline_in_ms: deadline,
        }
    }

    /// `[FNX | FXX] [EX | PX | EXAT | PXAT time | KEEPTTL] FIELDS numfields field value...`,
    /// now and then with conflicting or foreign options.
    pub(super) fn set_ex(&mut self, mut args: Vec<Arg>) -> Op {
        let mut options: Vec<Vec<Arg>> = Vec::new();
        let mut deadline = None;
        match self.rng.below(12) {
            0..=3 => options.push(vec![Self::b(self.pick(&["FNX", "FXX", "fnx"]))]),
            // FNX and FXX together, or one twice.
            4 => {
                options.push(vec![Self::b(self.pick(&["FNX", "FXX"]))]);
                options.push(vec![Self::b(self.pick(&["FNX", "FXX"]))]);
            }
            // Valkey's key-level NX/XX, which Redis 8.2 does not take.
            5 => options.push(vec![Self::b(self.pick(&["NX", "XX"]))]),
            _ => {}
        }
        match self.rng.below(14) {
            0 | 1 => {}
            2 | 3 => options.push(vec![Self::b(self.pick(&["KEEPTTL", "keepttl"]))]),
            // Two expirations, or one with KEEPTTL, in either order.
            4 => {
                let unit = self.pick(&["EX", "PX", "EXAT", "PXAT"]);
                let mut first = vec![Self::b(unit)];
                deadline = self.time_after(unit, &mut first);
                let second = match self.rng.below(3) {
                    0 => vec![Self::b("KEEPTTL")],
                    1 => vec![Self::b("PX"), Self::b("100")],
                    _ => vec![Self::b("EX"), Self::b("100")],
                };
                options.push(first);
                options.push(second);
            }
            5 => {
                options.push(vec![Self::b("KEEPTTL")]);
                options.push(vec![Self::b("EX"), Self::b("100")]);
            }
            // Words this shape does not take.
            6 => options.push(vec![Self::b(self.pick(&["PERSIST", "FOO", "GT"]))]),
            _ => {
                let unit = self.pick(&["EX", "PX", "EXAT", "PXAT", "px"]);
                let mut option = vec![Self::b(unit)];
                deadline = self.time_after(unit, &mut option);
                options.push(option);
            }
        }
        // The options may come in any order.
        if options.len() > 1 && self.chance(2) {
            options.reverse();
        }
        args.extend(options.into_iter().flatten());
        self.fields_block(&mut args, true);
        Op {
            args,
            deadline_in_ms: deadline,
        }
    }
}
