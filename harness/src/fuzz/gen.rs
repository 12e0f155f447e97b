//! Random command sequences for differential testing.
//!
//! Keys, fields and values come from small pools so that commands collide on the same data,
//! and about one command in ten is bent out of shape (a missing or extra argument, a bad
//! number, a bare command name) so that error paths and their order get exercised too. On
//! top of that each command has its own invalid forms, drawn now and then: every flag
//! conflict (NX/XX/GT/LT pairs, FNX+FXX, EX+PX, KEEPTTL+EX, PERSIST in HSETEX...), FIELDS
//! counts that do not match, boundary integers and floats, NaN and inf spellings, the 2^46 ms
//! limits of field TTLs, times in the past, empty and binary values. A seed reproduces a
//! sequence exactly.
//!
//! Times are symbolic until sent: a command carries "now + 5000 ms", not a timestamp, so a
//! replayed sequence means the same thing later. Each command also says when the deadline
//! it may set falls due, so the driver can keep every observation away from that instant:
//! two servers never see a command at the very same moment, and a comparison must not
//! depend on which side of a deadline each of them was. "Far" deadlines (eleven days and
//! more) are never announced: no run lasts that long.
//!
//! Never generated: HRANDFIELD with a large negative count, which a real Redis tries to
//! serve and which can exhaust the memory of the machine it runs on. The only negative
//! counts are -10..-1 and i64::MIN, which every server rejects before doing anything.

use reference_engine::rng::Rng;

mod pools;

use pools::*;

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

    /// A command from literal words, with no deadline (resets, reconciliation reads).
    pub fn words(words: &[&[u8]]) -> Self {
        Self::new(words.iter().map(|w| Arg::Bytes(w.to_vec())).collect())
    }

    /// The command name in upper case.
    pub fn name(&self) -> String {
        match self.args.first() {
            Some(Arg::Bytes(b)) => String::from_utf8_lossy(b).to_ascii_uppercase(),
            _ => String::new(),
        }
    }

    /// Whether the command is `name` (any case), without building its name.
    pub fn is(&self, name: &str) -> bool {
        matches!(self.args.first(), Some(Arg::Bytes(b)) if b.eq_ignore_ascii_case(name.as_bytes()))
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
                Arg::UnixSecsFromNow(d) => unix_secs_from_now(now_ms, *d).to_string().into_bytes(),
            })
            .collect()
    }

    /// When the deadline this command may set falls due, as a window of unix ms: the
    /// command's times were resolved at `resolved_at`, sent at `sent_at`, and the reply came
    /// by `done_at`. An absolute time (EXAT/PXAT) is the same instant on every server; a
    /// relative one counts from whenever the server ran the command.
    pub fn deadline_window(
        &self,
        resolved_at: i64,
        sent_at: i64,
        done_at: i64,
    ) -> Option<(i64, i64)> {
        let announced = self.deadline_in_ms?;
        let absolute = self.args.iter().find_map(|a| match a {
            Arg::UnixMsFromNow(d) => Some(resolved_at + d),
            Arg::UnixSecsFromNow(d) => Some(unix_secs_from_now(resolved_at, *d) * 1000),
            Arg::Bytes(_) => None,
        });
        match absolute {
            Some(at) => Some((at, at)),
            None => Some((sent_at + announced, done_at + announced)),
        }
    }
}

/// Unix seconds for "`d` ms from `now_ms`", rounded up so that "+N ms" never lands earlier
/// than intended.
fn unix_secs_from_now(now_ms: i64, d: i64) -> i64 {
    (now_ms + d + 999).div_euclid(1000)
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

/// The option words of the hash commands, for reports of which options a run used.
pub const OPTION_WORDS: &[&str] = &[
    "NX",
    "XX",
    "GT",
    "LT",
    "FNX",
    "FXX",
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "KEEPTTL",
    "PERSIST",
    "FIELDS",
    "WITHVALUES",
    "MATCH",
    "COUNT",
    "NOVALUES",
];

/// The option words of `argv` (upper-cased), for commands that take options: words before
/// the FIELDS block (and FIELDS itself), and HSCAN's and HRANDFIELD's trailing options.
pub fn options_of(argv: &[Vec<u8>]) -> Vec<&'static str> {
    let Some(name) = argv.first() else {
        return Vec::new();
    };
    let is = |names: &[&str]| {
        names
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
    };
    let from = if is(&["HSCAN", "HRANDFIELD"]) {
        3
    } else if is(&[
        "HSETEX",
        "HGETEX",
        "HGETDEL",
        "HPERSIST",
        "HTTL",
        "HPTTL",
        "HEXPIRETIME",
        "HPEXPIRETIME",
    ]) {
        2
    } else if is(&["HEXPIRE", "HPEXPIRE", "HEXPIREAT", "HPEXPIREAT"]) {
        // After the time argument.
        3
    } else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut i = from;
    while i < argv.len() {
        let word = &argv[i];
        if let Some(option) = OPTION_WORDS
            .iter()
            .find(|o| word.eq_ignore_ascii_case(o.as_bytes()))
        {
            found.push(*option);
            // Fields, values and patterns follow; they are not options.
            if *option == "FIELDS" {
                break;
            }
            if matches!(*option, "MATCH" | "COUNT" | "EX" | "PX" | "EXAT" | "PXAT") {
                i += 1;
            }
        }
        i += 1;
    }
    found
}

impl Swarm {
    /// All of `commands`.
    pub fn all(commands: &[&'static str]) -> Self {
        Self {
            enabled: commands.to_vec(),
        }
    }

    /// A random non-empty subset of `commands` (each kept with probability 2/3), always
    /// with HSET if `commands` has it, so there is data.
    pub fn random(rng: &mut Rng, commands: &[&'static str]) -> Self {
        let mut enabled: Vec<&'static str> = commands
            .iter()
            .copied()
            .filter(|_| rng.below(3) != 0)
            .collect();
        if commands.contains(&"HSET") && !enabled.contains(&"HSET") {
            enabled.push("HSET");
        }
        if enabled.is_empty() {
            enabled = commands.to_vec();
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
    /// Of the times that would fall due during the run, only one in `soon_one_in` does; the
    /// others are far away. A deadline makes the driver hold its key for ~100 ms around it,
    /// so fast runs keep them rare. 1 (the default) keeps every one.
    pub soon_one_in: usize,
    /// Roughly one command in `invalid_one_in` is bent out of shape.
    pub invalid_one_in: usize,
    /// After this many commands on one key, a `DEL` of that key: every key's history then
    /// starts from nothing within a bounded number of commands, which is what a divergence
    /// needs to be replayed from.
    pub reset_every: Option<usize>,
    /// Swarm testing within one run: the generator takes the swarm it is given as the
    /// commands to choose from, and every this many commands draws a new random subset of
    /// them. A long run then covers every command, and each stretch still leaves some out.
    pub redraw_swarm_every: Option<usize>,
}

impl Default for GenConfig {
    fn default() -> Self {
        Self {
            key_prefix: b"hc:".to_vec(),
            keys: 4,
            fields: 6,
            short_ttls: true,
            soon_one_in: 1,
            invalid_one_in: 10,
            reset_every: None,
            redraw_swarm_every: None,
        }
    }
}

/// Produces random commands from a seed.
pub struct Generator {
    /// How many far deadlines were handed out (see `far_offset`).
    far_deadlines: i64,
    rng: Rng,
    config: GenConfig,
    swarm: Swarm,
    /// The key and field names, built once.
    keys: Vec<Vec<u8>>,
    field_names: Vec<Vec<u8>>,
    /// Commands generated per key since its last reset (for `reset_every`).
    since_reset: Vec<usize>,
    /// A reset owed to this key, sent before the next command.
    pending_reset: Option<usize>,
    /// Whether a time may fall due soon now (see [`Generator::allow_soon`]).
    soon_allowed: bool,
    /// Per key, whether the caller asked to leave it alone for now (see
    /// [`Generator::avoid_keys`]).
    avoided: Vec<bool>,
    /// With `redraw_swarm_every`: the commands subsets are drawn from.
    universe: Vec<&'static str>,
    /// Commands generated so far.
    generated: usize,
}

impl Generator {
    pub fn new(seed: u64, config: GenConfig, swarm: Swarm) -> Self {
        let keys = config.keys.max(1);
        let key_names = (0..keys)
            .map(|i| {
                let mut k = config.key_prefix.clone();
                k.extend_from_slice(format!("k{i}").as_bytes());
                k
            })
            .collect();
        let field_names = (0..config.fields.max(1))
            .map(|i| format!("f{i}").into_bytes())
            .collect();
        let mut rng = Rng::seeded(seed);
        let universe = swarm.enabled.clone();
        let swarm = match config.redraw_swarm_every {
            Some(_) => Swarm::random(&mut rng, &universe),
            None => swarm,
        };
        Self {
            far_deadlines: 0,
            rng,
            config,
            swarm,
            universe,
            generated: 0,
            keys: key_names,
            field_names,
            since_reset: vec![0; keys],
            pending_reset: None,
            soon_allowed: true,
            avoided: vec![false; keys],
        }
    }

    /// Lets the caller ration deadlines that fall due during the run, by time rather than
    /// per command: each one holds its key for ~100 ms (a fuzz run parks some keys until
    /// the deadline passes), so a rate per command would hold every key all the time once
    /// commands flow fast. While not allowed, such a time is made far instead; the random
    /// draws are the same either way, so the sequence of commands and fields does not
    /// change (keys do, while [`Generator::avoid_keys`] names some).
    pub fn allow_soon(&mut self, allowed: bool) {
        self.soon_allowed = allowed;
    }

    /// Leaves the keys named in `keys` alone until the next call, where another key is
    /// free: the fuzz driver parks a key until its near deadline has passed (see
    /// `DiffConfig::hold_until_due`), and commands drawn for it would only pile up, held.
    pub fn avoid_keys<'k>(&mut self, keys: impl IntoIterator<Item = &'k [u8]>) {
        self.avoided.iter_mut().for_each(|a| *a = false);
        for key in keys {
            if let Some(i) = self.keys.iter().position(|k| k.as_slice() == key) {
                self.avoided[i] = true;
            }
        }
    }

    /// A key index, drawn among the keys not avoided (all of them if every one is).
    fn key_index(&mut self) -> usize {
        let keys = self.config.keys.max(1);
        let free = self.avoided.iter().filter(|a| !**a).count();
        if free == 0 || free == keys {
            return self.rng.below(keys);
        }
        let nth = self.rng.below(free);
        (0..keys)
            .filter(|&i| !self.avoided[i])
            .nth(nth)
            .expect("nth < free")
    }

    /// The commands enabled now.
    pub fn swarm(&self) -> &Swarm {
        &self.swarm
    }

    pub fn config(&self) -> &GenConfig {
        &self.config
    }

    /// Every key the generator may name.
    pub fn pool_keys(&self) -> Vec<Vec<u8>> {
        self.keys.clone()
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.rng.below(one_in.max(1)) == 0
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.rng.below(items.len())].clone()
    }

    /// A command from the swarm. SET turns a hash key into a string until a DEL, so it is
    /// rarer than the rest, and DEL twenty times as common: a key then spends about one
    /// command in twenty as a string (every command on it a WRONGTYPE), not one in five.
    fn pick_command(&mut self) -> &'static str {
        let weight = |name: &str| match name {
            "SET" => 1,
            "DEL" => 20,
            _ => 25,
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

    fn key_name(&self, index: usize) -> Vec<u8> {
        self.keys[index].clone()
    }

    fn field(&mut self) -> Vec<u8> {
        // Rare odd fields: empty, binary, multi-byte text, option words, one at the
        // listpack limit and one long enough to convert the hash to a hash table.
        match self.rng.below(60) {
            0 => Vec::new(),
            1 => b"f\x00\xff".to_vec(),
            2 => vec![b'L'; 65],
            3 => b"FIELDS".to_vec(),
            4 => b"NX".to_vec(),
            5 => "ключ".as_bytes().to_vec(),
            6 => vec![b'M'; 64],
            _ => self.field_names[self.rng.below(self.field_names.len())].clone(),
        }
    }

    fn value(&mut self) -> Vec<u8> {
        match self.rng.below(60) {
            0 => vec![b'v'; 65],
            1 => vec![b'w'; 64],
            // Multi-byte UTF-8 text: a server that counts characters, not bytes, shows.
            2 => "ça va, 日本".as_bytes().to_vec(),
            _ => self.pick(VALUES).to_vec(),
        }
    }

    fn fields(&mut self, max: usize) -> Vec<Vec<u8>> {
        let n = 1 + self.rng.below(max);
        (0..n).map(|_| self.field()).collect()
    }

    /// The next command.
    pub fn next_op(&mut self) -> Op {
        self.generated += 1;
        if let Some(every) = self.config.redraw_swarm_every {
            if self.generated % every.max(1) == 0 {
                self.swarm = Swarm::random(&mut self.rng, &self.universe);
            }
        }
        if let Some(index) = self.pending_reset.take() {
            self.since_reset[index] = 0;
            let key = self.key_name(index);
            return Op::words(&[b"DEL", &key]);
        }
        let name = self.pick_command();
        let key_index = self.key_index();
        let mut op = self.build(name, key_index);
        // SET is only here to put a string under a hash key (for WRONGTYPE); its options
        // are outside what hashcheck checks, so it is never bent into one.
        if name != "SET" && self.chance(self.config.invalid_one_in) {
            self.bend(&mut op);
        }
        if let Some(every) = self.config.reset_every {
            self.since_reset[key_index] += 1;
            if name == "DEL" && op.args.len() >= 2 {
                self.since_reset[key_index] = 0;
            } else if self.since_reset[key_index] >= every.max(1) {
                self.pending_reset = Some(key_index);
            }
        }
        op
    }

    fn b(s: &str) -> Arg {
        Arg::Bytes(s.as_bytes().to_vec())
    }

    fn build(&mut self, name: &'static str, key_index: usize) -> Op {
        let key = self.key_name(key_index);
        let mut args = vec![Self::b(name), Arg::Bytes(key.clone())];
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
            "HGETALL" | "HKEYS" | "HVALS" | "HLEN" | "TYPE" => {}
            // The same key again: counted twice by EXISTS, deleted once by DEL. Never
            // another key, so every command stays on one key's history.
            "DEL" | "EXISTS" => {
                if self.chance(8) {
                    args.push(Arg::Bytes(key));
                }
            }
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
                return self.hexpire(name, args);
            }
            "HGETEX" => return self.hgetex(args),
            "HSETEX" => return self.hsetex(args),
            _ => unreachable!("generator has no builder for {name}"),
        }
        Op::new(args)
    }

    fn hrandfield_args(&mut self, args: &mut Vec<Arg>) {
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
            // Large positive counts are safe (the reply is the whole hash); large negative
            // ones are never sent.
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

    fn hscan_args(&mut self, args: &mut Vec<Arg>) {
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
        // Invalid forms: an option without its value, an unknown option, one given twice.
        match self.rng.below(25) {
            0 => options.push(vec![Self::b(self.pick(&["MATCH", "COUNT"]))]),
            1 => options.push(vec![Self::b("FOO")]),
            2 => {
                options.push(vec![Self::b("COUNT"), Self::b("3")]);
                options.push(vec![Self::b("COUNT"), Self::b("1")]);
            }
            _ => {}
        }
        // Options may come in any order.
        if options.len() > 1 && self.chance(2) {
            options.reverse();
        }
        args.extend(options.into_iter().flatten());
    }

    /// `FIELDS numfields field...` (with values for HSETEX). Now and then the count does not
    /// match, is not a positive integer, or the FIELDS word is missing or misspelt.
    fn fields_block(&mut self, args: &mut Vec<Arg>, with_values: bool) {
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

    fn hexpire(&mut self, name: &'static str, mut args: Vec<Arg>) -> Op {
        let unit = match name {
            "HEXPIRE" => "EX",
            "HPEXPIRE" => "PX",
            "HEXPIREAT" => "EXAT",
            _ => "PXAT",
        };
        let deadline = self.time_value(unit, &mut args);
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

    fn hgetex(&mut self, mut args: Vec<Arg>) -> Op {
        let deadline = match self.rng.below(14) {
            0 | 1 => None,
            2 | 3 => {
                args.push(Self::b(self.pick(&["PERSIST", "persist"])));
                None
            }
            // Conflicts and words HGETEX does not take.
            4 => {
                let unit = self.pick(&["EX", "PX", "EXAT", "PXAT"]);
                args.push(Self::b(unit));
                let d = self.time_value(unit, &mut args);
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
                self.time_value(unit, &mut args)
            }
        };
        self.fields_block(&mut args, false);
        Op {
            args,
            deadline_in_ms: deadline,
        }
    }

    fn hsetex(&mut self, mut args: Vec<Arg>) -> Op {
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
                deadline = self.time_value(unit, &mut first);
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
            // Words HSETEX does not take.
            6 => options.push(vec![Self::b(self.pick(&["PERSIST", "FOO", "GT"]))]),
            _ => {
                let unit = self.pick(&["EX", "PX", "EXAT", "PXAT", "px"]);
                let mut option = vec![Self::b(unit)];
                deadline = self.time_value(unit, &mut option);
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

    /// A time for `unit` (EX/PX/EXAT/PXAT, any case): in the past, far ahead, at the 2^46 ms
    /// limit, soon (if short TTLs are on), or invalid. Returns the deadline's distance in ms
    /// when it is soon.
    fn time_value(&mut self, unit: &str, args: &mut Vec<Arg>) -> Option<i64> {
        let unit = unit.to_ascii_uppercase();
        let seconds = unit == "EX" || unit == "EXAT";
        let absolute = unit.ends_with("AT");
        let choice = self.rng.below(20);
        let (offset_ms, soon) = match choice {
            // In the past, or now for a relative time: the field is deleted.
            0..=2 => (if absolute { -5_000 } else { 0 }, false),
            // Long ago: the epoch, or its first second.
            3 if absolute => {
                args.push(Self::b(self.pick(&["0", "1"])));
                return None;
            }
            3..=8 => (self.far_offset(), false),
            9 => {
                let limits = match (absolute, seconds) {
                    (false, true) => LIMIT_RELATIVE_SECS,
                    (false, false) => LIMIT_RELATIVE_MS,
                    (true, true) => LIMIT_ABSOLUTE_SECS,
                    (true, false) => LIMIT_ABSOLUTE_MS,
                };
                args.push(Self::b(self.pick(limits)));
                return None;
            }
            10..=14
                if self.config.short_ttls
                    && self.chance(self.config.soon_one_in)
                    && self.soon_allowed =>
            {
                // Whole seconds for the seconds units, so a reading is never half a second off.
                // At least 300 ms: a reference server runs the batch after the target, and
                // under load the two runs were seen up to 200 ms apart.
                let ms = if seconds {
                    1_000
                } else {
                    300 + self.rng.below(300) as i64
                };
                (ms, true)
            }
            10..=14 => (self.far_offset(), false),
            _ => {
                args.push(Self::b(self.pick(BAD_TIMES)));
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

    /// A deadline 11 to 23 days ahead, never equal to one handed out before in this run:
    /// GT/LT compare deadlines, and two equal offsets sent a few milliseconds apart compare
    /// one way on one server and the other way on another. Offsets 10 s apart decide GT/LT
    /// the same way everywhere.
    ///
    /// The milliseconds part varies too: with whole seconds, HTTL right after a relative
    /// HPEXPIRE reads an exact number of seconds, where rounding up and rounding down
    /// agree, so a server that rounds down showed in a run but not when the commands were
    /// replayed to shrink them.
    fn far_offset(&mut self) -> i64 {
        self.far_deadlines += 1;
        // 7919 is coprime with 100_003: a mixed order with no repeat for 100_003 picks.
        let slot = (self.far_deadlines * 7919) % 100_003;
        // Under a second: offsets stay at least 9 s apart.
        FAR_MS[0] + slot * 10_000 + (slot * 389) % 1_000
    }

    /// Bends a valid command into a probably invalid one.
    fn bend(&mut self, op: &mut Op) {
        let len = op.args.len();
        let keys_only = op.is("DEL") || op.is("EXISTS");
        match self.rng.below(5) {
            0 if len > 2 => {
                op.args.pop();
            }
            // Every argument of DEL and EXISTS is a key: only this run's own may be sent.
            1 if keys_only => op.args.push(op.args[1].clone()),
            1 => op
                .args
                .push(Self::b(self.pick(&["extra", "FIELDS", "NX", "1"]))),
            2 if len > 2 && !keys_only => {
                let i = 2 + self.rng.below(len - 2);
                op.args[i] = Self::b(self.pick(&["", "-1", "0", "x", "99999999999999999999"]));
            }
            // The name alone, or the name and the key: arity errors.
            3 => op.args.truncate(1 + self.rng.below(2)),
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
            // A bent command may have lost its key; any key it has is the run's.
            if let Some(key) = op.key() {
                assert!(key.starts_with(b"hc:"), "{op:?}");
            }
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

    #[test]
    fn deadline_windows_are_exact_for_absolute_times() {
        let mut op = Op::new(vec![
            Arg::Bytes(b"HPEXPIREAT".to_vec()),
            Arg::UnixMsFromNow(500),
        ]);
        op.deadline_in_ms = Some(500);
        assert_eq!(
            op.deadline_window(1_000, 1_002, 1_010),
            Some((1_500, 1_500))
        );
        // EXAT: the second after now + 1000 ms, whatever the announcement's slack.
        let mut op = Op::new(vec![
            Arg::Bytes(b"HEXPIREAT".to_vec()),
            Arg::UnixSecsFromNow(1_000),
        ]);
        op.deadline_in_ms = Some(2_000);
        assert_eq!(
            op.deadline_window(1_500, 1_501, 1_509),
            Some((3_000, 3_000))
        );
        // Relative: from whenever each server ran it.
        let mut op = Op::words(&[b"HPEXPIRE", b"k", b"300"]);
        op.deadline_in_ms = Some(300);
        assert_eq!(
            op.deadline_window(1_000, 1_002, 1_010),
            Some((1_302, 1_310))
        );
        assert_eq!(Op::words(&[b"HGET"]).deadline_window(0, 0, 0), None);
    }

    #[test]
    fn redrawn_subsets_leave_commands_out_yet_cover_them_all() {
        let config = GenConfig {
            redraw_swarm_every: Some(1_000),
            ..GenConfig::default()
        };
        let mut g = Generator::new(3, config, Swarm::all(COMMANDS));
        let mut seen = std::collections::BTreeSet::new();
        let mut subsets = std::collections::BTreeSet::new();
        for _ in 0..40_000 {
            let subset = g.swarm().enabled.clone();
            assert!(
                subset.len() < COMMANDS.len() && subset.contains(&"HSET"),
                "{subset:?}"
            );
            subsets.insert(subset);
            seen.insert(g.next_op().name());
        }
        assert!(subsets.len() >= 30, "{} subsets", subsets.len());
        assert_eq!(seen.len(), COMMANDS.len(), "{seen:?}");
        // Without a redraw the swarm is the one given.
        let mut g = Generator::new(3, GenConfig::default(), Swarm::all(&["HGET", "HSET"]));
        for _ in 0..100 {
            assert!(["HGET", "HSET", "DEL"].contains(&g.next_op().name().as_str()));
        }
    }

    #[test]
    fn bent_del_and_exists_name_only_run_keys() {
        let config = GenConfig {
            invalid_one_in: 1,
            ..GenConfig::default()
        };
        let mut g = Generator::new(11, config, Swarm::all(&["DEL", "EXISTS"]));
        for _ in 0..2_000 {
            let argv = g.next_op().resolve(0);
            for key in &argv[1..] {
                assert!(key.starts_with(b"hc:"), "{argv:?}");
            }
        }
    }

    #[test]
    fn keys_are_reset_within_the_bound() {
        let config = GenConfig {
            reset_every: Some(50),
            keys: 3,
            ..GenConfig::default()
        };
        let mut g = Generator::new(5, config, Swarm::all(&["HSET", "HGET"]));
        let mut since: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        let mut resets = 0;
        for _ in 0..3_000 {
            let op = g.next_op();
            // A command bent down to its bare name touches no key.
            let Some(key) = op.key().map(<[u8]>::to_vec) else {
                continue;
            };
            if op.name() == "DEL" {
                resets += 1;
                since.insert(key, 0);
            } else {
                let n = since.entry(key).or_default();
                *n += 1;
                assert!(*n <= 50, "a key went {n} commands without a reset");
            }
        }
        assert!(resets >= 3_000 / 51 - 3, "{resets} resets");
        assert_eq!(g.pool_keys().len(), 3);
    }

    #[test]
    fn every_flag_and_conflict_is_generated() {
        let mut g = Generator::new(9, GenConfig::default(), Swarm::all(COMMANDS));
        let mut seen: std::collections::BTreeSet<(String, Vec<&'static str>)> = Default::default();
        let mut words: std::collections::BTreeSet<Vec<u8>> = Default::default();
        for _ in 0..200_000 {
            let argv = g.next_op().resolve(1_700_000_000_000);
            let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
            let mut options = options_of(&argv);
            options.sort();
            seen.insert((name, options));
            words.extend(argv.into_iter().skip(2));
        }
        let has = |name: &str, options: &[&str]| {
            let mut options = options.to_vec();
            options.sort();
            seen.contains(&(name.to_string(), options))
        };
        for (name, options) in [
            ("HEXPIRE", &["NX", "XX", "FIELDS"][..]),
            ("HPEXPIRE", &["GT", "LT", "FIELDS"]),
            ("HSETEX", &["FNX", "FXX", "FIELDS"]),
            ("HSETEX", &["EX", "PX", "FIELDS"]),
            ("HSETEX", &["KEEPTTL", "EX", "FIELDS"]),
            ("HSETEX", &["PERSIST", "FIELDS"]),
            ("HSETEX", &["NX", "FIELDS"]),
            ("HGETEX", &["PERSIST", "EX", "FIELDS"]),
            ("HGETEX", &["KEEPTTL", "FIELDS"]),
            ("HSCAN", &["MATCH", "COUNT", "NOVALUES"]),
            ("HRANDFIELD", &["WITHVALUES"]),
        ] {
            assert!(has(name, options), "{name} {options:?} never generated");
        }
        for word in [
            &b"70368744177663"[..],
            b"70368744177664",
            b"70368744177",
            b"70368744178",
            b"nan",
            b"-inf",
            b"1e309",
            b"9223372036854775808",
            b"\x00bin\x00",
            b"",
        ] {
            assert!(
                words.contains(word),
                "{:?} never generated",
                String::from_utf8_lossy(word)
            );
        }
    }

    #[test]
    fn options_are_read_before_the_fields() {
        let argv: Vec<Vec<u8>> = ["HSETEX", "k", "fnx", "EX", "10", "FIELDS", "1", "NX", "v"]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        assert_eq!(options_of(&argv), vec!["FNX", "EX", "FIELDS"]);
        let scan: Vec<Vec<u8>> = ["HSCAN", "k", "0", "MATCH", "NX", "NOVALUES"]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        assert_eq!(options_of(&scan), vec!["MATCH", "NOVALUES"]);
        assert!(options_of(&[b"HSET".to_vec(), b"k".to_vec(), b"NX".to_vec()]).is_empty());
    }
}
