//! Random command sequences for differential testing.
//!
//! Keys, fields and values come from small pools so that commands collide on the same data,
//! and about one command in ten is bent out of shape (a bad number, a missing or extra
//! argument, a wrong numfields) so that error paths and their order get exercised too.
//! A seed reproduces a sequence exactly.
//!
//! Times are symbolic until sent: a command carries "now + 5000 ms", not a timestamp, so a
//! replayed sequence means the same thing later. Each command also says when the deadline
//! it may set falls due, so the driver can keep every observation away from that instant:
//! two servers never see a command at the very same moment, and a comparison must not
//! depend on which side of a deadline each of them was.
//!
//! Never generated: HRANDFIELD with a large negative count, which a real Redis tries to
//! serve and which can exhaust the memory of the machine it runs on.

use reference_engine::rng::Rng;

/// One argument of a generated command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Bytes(Vec<u8>),
    /// Unix milliseconds, this far from the moment the command is sent.
    UnixMsFromNow(i64),
    /// Unix seconds, this many milliseconds from the moment the command is sent.
    UnixSecsFromNow(i64),
}

/// A generated command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub args: Vec<Arg>,
    /// If the command may give fields a deadline near enough to matter, how many ms after
    /// sending it falls due.
    pub deadline_in_ms: Option<i64>,
}

impl Op {
    fn new(args: Vec<Arg>) -> Self {
        Self {
            args,
            deadline_in_ms: None,
        }
    }

    /// The command name in upper case.
    pub fn name(&self) -> String {
        match self.args.first() {
            Some(Arg::Bytes(b)) => String::from_utf8_lossy(b).to_ascii_uppercase(),
            _ => String::new(),
        }
    }

    /// The key (argument 1), if any.
    pub fn key(&self) -> Option<&[u8]> {
        match self.args.get(1) {
            Some(Arg::Bytes(b)) => Some(b),
            _ => None,
        }
    }

    /// The argv to send at `now_ms`.
    pub fn resolve(&self, now_ms: i64) -> Vec<Vec<u8>> {
        self.args
            .iter()
            .map(|a| match a {
                Arg::Bytes(b) => b.clone(),
                Arg::UnixMsFromNow(d) => (now_ms + d).to_string().into_bytes(),
                // Round up so that "+N ms" never lands earlier than intended.
                Arg::UnixSecsFromNow(d) => ((now_ms + d + 999).div_euclid(1000))
                    .to_string()
                    .into_bytes(),
            })
            .collect()
    }
}

/// Which commands a run may generate. Swarm testing: each run enables a random subset, so
/// rare interactions between a few commands get a chance to show.
#[derive(Debug, Clone)]
pub struct Swarm {
    pub enabled: Vec<&'static str>,
}

/// Every command the generator knows.
pub const COMMANDS: &[&str] = &[
    "HSET",
    "HMSET",
    "HSETNX",
    "HGET",
    "HMGET",
    "HGETALL",
    "HKEYS",
    "HVALS",
    "HLEN",
    "HEXISTS",
    "HSTRLEN",
    "HDEL",
    "HGETDEL",
    "HINCRBY",
    "HINCRBYFLOAT",
    "HRANDFIELD",
    "HSCAN",
    "HEXPIRE",
    "HPEXPIRE",
    "HEXPIREAT",
    "HPEXPIREAT",
    "HTTL",
    "HPTTL",
    "HEXPIRETIME",
    "HPEXPIRETIME",
    "HPERSIST",
    "HGETEX",
    "HSETEX",
    "DEL",
    "EXISTS",
    "TYPE",
    "SET",
];

/// The 17 commands without field expiration, plus the key commands (for servers older
/// than Redis 7.4, and for the first differential test).
pub const CLASSIC_COMMANDS: &[&str] = &[
    "HSET",
    "HMSET",
    "HSETNX",
    "HGET",
    "HMGET",
    "HGETALL",
    "HKEYS",
    "HVALS",
    "HLEN",
    "HEXISTS",
    "HSTRLEN",
    "HDEL",
    "HGETDEL",
    "HINCRBY",
    "HINCRBYFLOAT",
    "HRANDFIELD",
    "HSCAN",
    "DEL",
    "EXISTS",
    "TYPE",
    "SET",
];

impl Swarm {
    /// All of `commands`.
    pub fn all(commands: &[&'static str]) -> Self {
        Self {
            enabled: commands.to_vec(),
        }
    }

    /// A random non-empty subset of `commands`, always with a writer so there is data.
    pub fn random(rng: &mut Rng, commands: &[&'static str]) -> Self {
        let mut enabled: Vec<&'static str> = commands
            .iter()
            .copied()
            .filter(|_| rng.below(3) != 0)
            .collect();
        if !enabled.contains(&"HSET") {
            enabled.push("HSET");
        }
        Self { enabled }
    }
}

/// Settings of a generator.
#[derive(Debug, Clone)]
pub struct GenConfig {
    /// Prepended to every key, so a run touches only its own keys.
    pub key_prefix: Vec<u8>,
    /// How many keys and fields the pools hold.
    pub keys: usize,
    pub fields: usize,
    /// Generate deadlines that fall due during the run (a few hundred ms ahead).
    pub short_ttls: bool,
    /// Roughly one command in `invalid_one_in` is bent out of shape.
    pub invalid_one_in: usize,
}

impl Default for GenConfig {
    fn default() -> Self {
        Self {
            key_prefix: b"hc:".to_vec(),
            keys: 4,
            fields: 6,
            short_ttls: true,
            invalid_one_in: 10,
        }
    }
}

/// Produces random commands from a seed.
pub struct Generator {
    rng: Rng,
    config: GenConfig,
    swarm: Swarm,
}

const VALUES: &[&[u8]] = &[
    b"1",
    b"-7",
    b"0",
    b"abc",
    b"",
    b"3.5",
    b"10.5",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"1e3",
    b"0x10",
    b"inf",
    b"\x00bin\x00",
    b"007",
    b" 5",
    b"-0",
    b"hello world",
];
const INT_INCREMENTS: &[&[u8]] = &[
    b"1",
    b"-1",
    b"100",
    b"0",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"abc",
    b"1.5",
    b"",
    b"+1",
    b"9223372036854775808",
];
const FLOAT_INCREMENTS: &[&[u8]] = &[
    b"0.1",
    b"-0.1",
    b"1.5",
    b"5",
    b"-3e-5",
    b"1e308",
    b"0x10",
    b"inf",
    b"-inf",
    b"nan",
    b"abc",
    b"",
    b" 1",
    b"1e-20",
    b"+2.5",
    b"123456789.123456789",
];
const CONDITIONS: &[&[u8]] = &[b"NX", b"XX", b"GT", b"LT", b"nx", b"gt"];

impl Generator {
    pub fn new(seed: u64, config: GenConfig, swarm: Swarm) -> Self {
        Self {
            rng: Rng::seeded(seed),
            config,
            swarm,
        }
    }

    pub fn swarm(&self) -> &Swarm {
        &self.swarm
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.rng.below(one_in.max(1)) == 0
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.rng.below(items.len())].clone()
    }

    /// A command from the swarm. SET turns a hash key into a string until a DEL, so it is
    /// rarer than the rest: otherwise half the commands would only meet WRONGTYPE.
    fn pick_command(&mut self) -> &'static str {
        let weight = |name: &str| match name {
            "SET" => 1,
            "DEL" => 4,
            _ => 5,
        };
        let total: usize = self.swarm.enabled.iter().map(|n| weight(n)).sum();
        let mut at = self.rng.below(total);
        for name in &self.swarm.enabled {
            if at < weight(name) {
                return name;
            }
            at -= weight(name);
        }
        unreachable!("the swarm is never empty")
    }

    fn key(&mut self) -> Vec<u8> {
        let mut k = self.config.key_prefix.clone();
        k.extend_from_slice(format!("k{}", self.rng.below(self.config.keys)).as_bytes());
        k
    }

    fn field(&mut self) -> Vec<u8> {
        // Rare odd fields: empty, binary, and one long enough to convert to a hash table.
        match self.rng.below(40) {
            0 => Vec::new(),
            1 => b"f\x00\xff".to_vec(),
            2 => vec![b'L'; 65],
            _ => format!("f{}", self.rng.below(self.config.fields)).into_bytes(),
        }
    }

    fn value(&mut self) -> Vec<u8> {
        if self.chance(60) {
            return vec![b'v'; 65];
        }
        self.pick(VALUES).to_vec()
    }

    fn fields(&mut self, max: usize) -> Vec<Vec<u8>> {
        let n = 1 + self.rng.below(max);
        (0..n).map(|_| self.field()).collect()
    }

    /// The next command.
    pub fn next_op(&mut self) -> Op {
        let name = self.pick_command();
        let mut op = self.build(name);
        // SET is only here to put a string under a hash key (for WRONGTYPE); its options
        // are outside what hashcheck checks, so it is never bent into one.
        if name != "SET" && self.chance(self.config.invalid_one_in) {
            self.bend(&mut op);
        }
        op
    }

    fn b(s: &str) -> Arg {
        Arg::Bytes(s.as_bytes().to_vec())
    }

    fn build(&mut self, name: &'static str) -> Op {
        let key = Arg::Bytes(self.key());
        let mut args = vec![Self::b(name), key];
        match name {
            "HSET" | "HMSET" => {
                for _ in 0..1 + self.rng.below(3) {
                    args.push(Arg::Bytes(self.field()));
                    args.push(Arg::Bytes(self.value()));
                }
            }
            "HSETNX" => {
                args.push(Arg::Bytes(self.field()));
                args.push(Arg::Bytes(self.value()));
            }
            "HGET" | "HEXISTS" | "HSTRLEN" => args.push(Arg::Bytes(self.field())),
            "HMGET" | "HDEL" => args.extend(self.fields(3).into_iter().map(Arg::Bytes)),
            "HGETALL" | "HKEYS" | "HVALS" | "HLEN" | "DEL" | "EXISTS" | "TYPE" => {}
            "SET" => args.push(Arg::Bytes(self.value())),
            "HINCRBY" => {
                args.push(Arg::Bytes(self.field()));
                args.push(Arg::Bytes(self.pick(INT_INCREMENTS).to_vec()));
            }
            "HINCRBYFLOAT" => {
                args.push(Arg::Bytes(self.field()));
                args.push(Arg::Bytes(self.pick(FLOAT_INCREMENTS).to_vec()));
            }
            "HRANDFIELD" => self.hrandfield_args(&mut args),
            "HSCAN" => self.hscan_args(&mut args),
            "HGETDEL" | "HTTL" | "HPTTL" | "HEXPIRETIME" | "HPEXPIRETIME" | "HPERSIST" => {
                self.fields_block(&mut args, false);
            }
            "HEXPIRE" | "HPEXPIRE" | "HEXPIREAT" | "HPEXPIREAT" => {
                let deadline = self.time_arg(name, &mut args);
                if self.chance(3) {
                    args.push(Arg::Bytes(self.pick(CONDITIONS).to_vec()));
                }
                self.fields_block(&mut args, false);
                return Op {
                    args,
                    deadline_in_ms: deadline,
                };
            }
            "HGETEX" => {
                let deadline = match self.rng.below(6) {
                    0 => None,
                    1 => {
                        args.push(Self::b("PERSIST"));
                        None
                    }
                    _ => {
                        let unit = self.pick(&["EX", "PX", "EXAT", "PXAT"]);
                        args.push(Self::b(unit));
                        self.time_value(unit, &mut args)
                    }
                };
                self.fields_block(&mut args, false);
                return Op {
                    args,
                    deadline_in_ms: deadline,
                };
            }
            "HSETEX" => {
                if self.chance(3) {
                    args.push(Self::b(self.pick(&["FNX", "FXX"])));
                }
                let deadline = match self.rng.below(6) {
                    0 => None,
                    1 => {
                        args.push(Self::b("KEEPTTL"));
                        None
                    }
                    _ => {
                        let unit = self.pick(&["EX", "PX", "EXAT", "PXAT"]);
                        args.push(Self::b(unit));
                        self.time_value(unit, &mut args)
                    }
                };
                self.fields_block(&mut args, true);
                return Op {
                    args,
                    deadline_in_ms: deadline,
                };
            }
            _ => unreachable!("generator has no builder for {name}"),
        }
        Op::new(args)
    }

    fn hrandfield_args(&mut self, args: &mut Vec<Arg>) {
        match self.rng.below(8) {
            0 => {}
            1 => args.push(Self::b(self.pick(&[
                "0",
                "1",
                "-1",
                "100",
                "abc",
                "-9223372036854775808",
            ]))),
            // Large positive counts are safe (the reply is the whole hash); large negative
            // ones are never sent.
            2 => {
                args.push(Self::b(
                    self.pick(&["9223372036854775807", "4611686018427387904"]),
                ));
                args.push(Self::b("WITHVALUES"));
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

    fn hscan_args(&mut self, args: &mut Vec<Arg>) {
        args.push(Self::b(self.pick(&["0", "0", "0", "-1", "abc", "12345"])));
        if self.chance(3) {
            args.push(Self::b("MATCH"));
            args.push(Self::b(
                self.pick(&["f*", "*", "f[0-2]", "?", "L*", "\\f*"]),
            ));
        }
        if self.chance(3) {
            args.push(Self::b("COUNT"));
            args.push(Self::b(self.pick(&["1", "2", "10", "0", "-1", "x"])));
        }
        if self.chance(4) {
            args.push(Self::b("NOVALUES"));
        }
    }

    /// `FIELDS numfields field...` (with values for HSETEX).
    fn fields_block(&mut self, args: &mut Vec<Arg>, with_values: bool) {
        let fields = self.fields(3);
        args.push(Self::b("FIELDS"));
        args.push(Arg::Bytes(fields.len().to_string().into_bytes()));
        for f in fields {
            args.push(Arg::Bytes(f));
            if with_values {
                args.push(Arg::Bytes(self.value()));
            }
        }
    }

    /// The time argument of the HEXPIRE family. Returns the deadline's distance in ms.
    fn time_arg(&mut self, name: &str, args: &mut Vec<Arg>) -> Option<i64> {
        let unit = match name {
            "HEXPIRE" => "EX",
            "HPEXPIRE" => "PX",
            "HEXPIREAT" => "EXAT",
            _ => "PXAT",
        };
        self.time_value(unit, args)
    }

    /// A time for `unit` (EX/PX/EXAT/PXAT): in the past, far ahead, soon (if short TTLs are
    /// on), or invalid. Returns the deadline's distance in ms when it is soon.
    fn time_value(&mut self, unit: &str, args: &mut Vec<Arg>) -> Option<i64> {
        let seconds = unit == "EX" || unit == "EXAT";
        let absolute = unit.ends_with("AT");
        let choice = self.rng.below(10);
        let (offset_ms, soon) = match choice {
            0 | 1 => (if absolute { -5_000 } else { 0 }, false),
            2 | 3 | 4 => (1_000_000_000, false),
            5..=7 if self.config.short_ttls => {
                // Whole seconds for the seconds units, so a reading is never half a second off.
                let ms = if seconds {
                    1_000
                } else {
                    100 + self.rng.below(300) as i64
                };
                (ms, true)
            }
            5..=7 => (1_000_000_000, false),
            _ => {
                let bad = self.pick(&["-1", "abc", "70368744177664", "9223372036854775807", ""]);
                args.push(Self::b(bad));
                return None;
            }
        };
        args.push(match (absolute, seconds) {
            (false, true) => Arg::Bytes((offset_ms / 1000).to_string().into_bytes()),
            (false, false) => Arg::Bytes(offset_ms.to_string().into_bytes()),
            (true, true) => Arg::UnixSecsFromNow(offset_ms),
            (true, false) => Arg::UnixMsFromNow(offset_ms),
        });
        // EXAT rounds the deadline up to the next whole second: up to 1 s later.
        let slack = if absolute && seconds { 1_000 } else { 0 };
        soon.then_some(offset_ms + slack)
    }

    /// Bends a valid command into a probably invalid one.
    fn bend(&mut self, op: &mut Op) {
        let len = op.args.len();
        match self.rng.below(4) {
            0 if len > 2 => {
                op.args.pop();
            }
            1 => op
                .args
                .push(Self::b(self.pick(&["extra", "FIELDS", "NX", "1"]))),
            2 if len > 2 => {
                let i = 2 + self.rng.below(len - 2);
                op.args[i] = Self::b(self.pick(&["", "-1", "0", "x", "99999999999999999999"]));
            }
            _ => {
                // Swap the case of the command name: must change nothing.
                if let Some(Arg::Bytes(name)) = op.args.first_mut() {
                    name.make_ascii_lowercase();
                }
            }
        }
        // A bent time may no longer be the deadline we announced; keeping the announcement
        // only makes the driver more careful.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mk = || Generator::new(42, GenConfig::default(), Swarm::all(COMMANDS));
        let (mut a, mut b) = (mk(), mk());
        for _ in 0..500 {
            assert_eq!(a.next_op(), b.next_op());
        }
    }

    #[test]
    fn every_command_is_generated_and_keys_are_prefixed() {
        let mut g = Generator::new(7, GenConfig::default(), Swarm::all(COMMANDS));
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..5_000 {
            let op = g.next_op();
            seen.insert(op.name());
            assert!(op.key().unwrap().starts_with(b"hc:"));
        }
        for c in COMMANDS {
            assert!(seen.contains(*c), "{c} never generated");
        }
    }

    #[test]
    fn never_a_large_negative_hrandfield_count() {
        let mut g = Generator::new(3, GenConfig::default(), Swarm::all(&["HRANDFIELD"]));
        for _ in 0..20_000 {
            let argv = g.next_op().resolve(0);
            if let Some(count) = argv.get(2).and_then(|c| std::str::from_utf8(c).ok()) {
                if let Ok(n) = count.parse::<i64>() {
                    assert!(n >= -1000 || n == i64::MIN, "dangerous count {n}");
                }
            }
        }
    }

    #[test]
    fn symbolic_times_resolve_at_send_time() {
        let op = Op::new(vec![
            Arg::Bytes(b"HPEXPIREAT".to_vec()),
            Arg::UnixMsFromNow(500),
        ]);
        assert_eq!(op.resolve(1_000)[1], b"1500");
        let op = Op::new(vec![Arg::Bytes(b"X".to_vec()), Arg::UnixSecsFromNow(1_000)]);
        assert_eq!(op.resolve(1_500)[1], b"3");
    }
}
