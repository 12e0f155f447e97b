//! Random command sequences for differential testing.
//!
//! Keys, fields and values come from small pools so that commands collide on the same data,
//! and about one command in ten is bent out of shape (a missing or extra argument, a bad
//! number, a bare command name) so that error paths and their order get exercised too. On
//! top of that each command has its own invalid forms, drawn now and then: every flag
//! conflict (NX/XX/GT/LT pairs, FNX+FXX, EX+PX, KEEPTTL+EX, PERSIST where it is not
//! taken...), FIELDS counts that do not match, boundary integers and floats, NaN and inf
//! spellings, the 2^46 ms limits of field TTLs, times in the past, empty and binary values.
//! A seed reproduces a sequence exactly.
//!
//! What a command looks like comes from the engine's command table ([`table`]): each hash
//! command is built by the arm of its grammar's [`Shape`](reference_engine::command::grammar::Shape),
//! to its arity ([`shape`], [`expiry`]), so a new command of a known shape is generated
//! with no change here.
//!
//! Times are symbolic until sent: a command carries "now + 5000 ms", not a timestamp, so a
//! replayed sequence means the same thing later. Each command also says when the deadline
//! it may set falls due, so the driver can keep every observation away from that instant:
//! two servers never see a command at the very same moment, and a comparison must not
//! depend on which side of a deadline each of them was. "Far" deadlines (eleven days and
//! more) are never announced: no run lasts that long.
//!
//! Never generated: a random pick (`Shape::RandomCount`, HRANDFIELD) with a large negative
//! count, which a real Redis tries to serve and which can exhaust the memory of the machine
//! it runs on. The only negative
//! counts are -10..-1 and i64::MIN, which every server rejects before doing anything.

use reference_engine::rng::Rng;

mod bend;
mod expiry;
mod op;
mod payload;
mod pools;
mod shape;
pub mod table;
mod values;

pub use op::{Arg, Op};
use table::Known;
pub use table::{for_each_option, options_of, Form, CLASSIC_COMMANDS, COMMANDS, OPTION_WORDS};

/// Which commands a run may generate. Swarm testing: each run enables a random subset, so
/// rare interactions between a few commands get a chance to show.
#[derive(Debug, Clone)]
pub struct Swarm {
    pub enabled: Vec<&'static str>,
}

impl Swarm {
    /// All of `commands`.
    pub fn all(commands: &[&'static str]) -> Self {
        Self {
            enabled: commands.to_vec(),
        }
    }

    /// A random non-empty subset of `commands` (each kept with probability 2/3), always
    /// with the first command of `commands` that writes field-value pairs, if it has one,
    /// so there is data.
    pub fn random(rng: &mut Rng, commands: &[&'static str]) -> Self {
        let mut enabled: Vec<&'static str> = commands
            .iter()
            .copied()
            .filter(|_| rng.below(3) != 0)
            .collect();
        Self::with_writer(commands, &mut enabled);
        if enabled.is_empty() {
            enabled = commands.to_vec();
        }
        Self { enabled }
    }

    /// Adds the first command of `commands` that writes field-value pairs, if it has one,
    /// so a subset always makes data.
    fn with_writer(commands: &[&'static str], enabled: &mut Vec<&'static str>) {
        let writer = commands.iter().find(|c| {
            table::form_of(c.as_bytes()).and_then(Form::shape)
                == Some(reference_engine::command::grammar::Shape::Pairs)
        });
        if let Some(writer) = writer {
            if !enabled.contains(writer) {
                enabled.push(writer);
            }
        }
    }

    /// The subset after `previous`: every command of `commands` that `previous` left out,
    /// and each of the others with probability 2/3 (at least one of them still left out, if
    /// `previous` had more than one), and the writer `random` keeps. So every command is in at least one of any two
    /// subsets in a row, and a run of two stretches sends every command.
    ///
    /// WHY: with independent draws a command could sit out several stretches; in CI a
    /// planted HSTRLEN bug went unseen for 300,000 commands because no subset held HSTRLEN.
    pub fn redraw(rng: &mut Rng, commands: &[&'static str], previous: &Swarm) -> Self {
        let kept_before: Vec<&'static str> = commands
            .iter()
            .copied()
            .filter(|c| previous.enabled.contains(c))
            .collect();
        let mut drop: Vec<bool> = kept_before.iter().map(|_| rng.below(3) == 0).collect();
        if kept_before.len() > 1 && !drop.contains(&true) {
            drop[rng.below(kept_before.len())] = true;
        }
        let mut enabled = commands
            .iter()
            .copied()
            .filter(|c| match kept_before.iter().position(|k| k == c) {
                Some(i) => !drop[i],
                None => true,
            })
            .collect();
        Self::with_writer(commands, &mut enabled);
        Self { enabled }
    }
}

/// Mixed into the seed for the swarm's own random stream.
const SWARM_STREAM: u64 = 0x5357_4152_4d00_0001;

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
    /// Draws the swarm's subsets (see `next_op`).
    swarm_rng: Rng,
    config: GenConfig,
    swarm: Swarm,
    /// The swarm's commands with how each is built and its weight (see `pick_command`),
    /// and the sum of the weights.
    choices: Vec<(Known, usize)>,
    total_weight: usize,
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
    /// Per key, whether a command on two keys would be held on it (see
    /// [`Generator::busy_keys`]); None until the caller names busy keys (a caller that
    /// never does has nothing that holds commands).
    busy: Option<Vec<bool>>,
    /// With `redraw_swarm_every`: the commands subsets are drawn from.
    universe: Vec<&'static str>,
    /// Whether RESTORE payloads may carry field deadlines: only when the run's commands
    /// include one from 7.4 on. A classic mix is for servers that predate field
    /// expiration (they cannot restore such a payload), and its comparisons assume no
    /// field ever expires (a reference server with a different background cycle).
    field_ttls: bool,
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
        let rng = Rng::seeded(seed);
        let mut swarm_rng = Rng::seeded(seed ^ SWARM_STREAM);
        let universe = swarm.enabled.clone();
        let field_ttls = universe.iter().any(|c| !CLASSIC_COMMANDS.contains(c));
        let swarm = match config.redraw_swarm_every {
            Some(_) => Swarm::random(&mut swarm_rng, &universe),
            None => swarm,
        };
        let mut generator = Self {
            far_deadlines: 0,
            rng,
            swarm_rng,
            config,
            swarm,
            choices: Vec::new(),
            total_weight: 0,
            universe,
            field_ttls,
            generated: 0,
            keys: key_names,
            field_names,
            since_reset: vec![0; keys],
            pending_reset: None,
            soon_allowed: true,
            avoided: vec![false; keys],
            busy: None,
        };
        generator.weigh_swarm();
        generator
    }

    /// Looks the swarm's commands up once (not once per command), with their weights. SET
    /// turns a hash key into a string until a DEL, so it is rarer than the rest, and DEL
    /// twenty times as common: a key then spends about one command in twenty as a string
    /// (every command on it a WRONGTYPE), not one in five.
    fn weigh_swarm(&mut self) {
        self.choices = self
            .swarm
            .enabled
            .iter()
            .map(|name| {
                let known = *table::known(name.as_bytes())
                    .unwrap_or_else(|| panic!("the generator has no builder for {name}"));
                let weight = match known.form {
                    Form::Set => 1,
                    Form::Del => 20,
                    _ => 25,
                };
                (known, weight)
            })
            .collect();
        self.total_weight = self.choices.iter().map(|(_, w)| w).sum();
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

    /// Names the keys that may have a deadline pending, until the next call. WHY: the fuzz
    /// driver holds a command on two keys (RENAME, COPY) until neither key has one (see
    /// `driver/hold.rs`), and every later command on its first key queues behind it. With
    /// ten near deadlines a second on a lane's eight keys, most keys had one most of the
    /// time: the lanes held and slept more than they ran (16,000 commands a second where
    /// the same mix without those three commands ran at 200,000). So a command on two keys
    /// is drawn only on free keys, and while no key is free another command is drawn.
    pub fn busy_keys<'k>(&mut self, keys: impl IntoIterator<Item = &'k [u8]>) {
        let mut busy = vec![false; self.keys.len()];
        for key in keys {
            if let Some(i) = self.keys.iter().position(|k| k.as_slice() == key) {
                busy[i] = true;
            }
        }
        self.busy = Some(busy);
    }

    /// Whether key `i` may take a command on two keys now.
    fn free_for_two(&self, i: usize) -> bool {
        !self.avoided[i] && !self.busy.as_ref().is_some_and(|b| b[i])
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

    /// A key index for a command on two keys, other than `except`: drawn among the keys
    /// [`Generator::free_for_two`], or None if there is none.
    fn two_keys_index(&mut self, except: Option<usize>) -> Option<usize> {
        let keys = self.config.keys.max(1);
        let free = |g: &Self, i: usize| Some(i) != except && g.free_for_two(i);
        let count = (0..keys).filter(|&i| free(self, i)).count();
        if count == 0 {
            return None;
        }
        let nth = self.rng.below(count);
        (0..keys).filter(|&i| free(self, i)).nth(nth)
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

    /// A command from the swarm, by the weights of `weigh_swarm`.
    fn pick_command(&mut self) -> Known {
        let mut at = self.rng.below(self.total_weight);
        for &(known, weight) in &self.choices {
            if at < weight {
                return known;
            }
            at -= weight;
        }
        unreachable!("the swarm is never empty")
    }

    fn key_name(&self, index: usize) -> Vec<u8> {
        self.keys[index].clone()
    }

    /// The next command.
    pub fn next_op(&mut self) -> Op {
        self.generated += 1;
        if let Some(every) = self.config.redraw_swarm_every {
            if self.generated % every.max(1) == 0 {
                // A stream of its own: the draws then depend on the seed alone, not on how
                // many random numbers the commands before took (which varies with timing).
                self.swarm = Swarm::redraw(&mut self.swarm_rng, &self.universe, &self.swarm);
                self.weigh_swarm();
            }
        }
        if let Some(index) = self.pending_reset.take() {
            self.since_reset[index] = 0;
            let key = self.key_name(index);
            return Op::words(&[b"DEL", &key]);
        }
        let mut command = self.pick_command();
        let mut key_index = None;
        // While no key is free, another command; a swarm of two-key commands alone gets
        // one anyway after a few draws, to be held.
        for _ in 0..16 {
            if !matches!(command.form, Form::TwoKeys { .. }) {
                break;
            }
            key_index = self.two_keys_index(None);
            if key_index.is_some() {
                break;
            }
            command = self.pick_command();
        }
        let key_index = key_index.unwrap_or_else(|| self.key_index());
        let mut op = self.build(command, key_index);
        if let (Some(busy), Some(_)) = (&mut self.busy, op.deadline_in_ms) {
            // Busy from now: the caller learns of the deadline only once it is sent.
            busy[key_index] = true;
        }
        // SET is only here to put a string under a hash key (for WRONGTYPE); its options
        // are outside what hashcheck checks, so it is never bent into one.
        let is_set = matches!(command.form, Form::Set);
        if !is_set && self.chance(self.config.invalid_one_in) {
            self.bend(&mut op, command.form);
        }
        if let Some(every) = self.config.reset_every {
            self.since_reset[key_index] += 1;
            if matches!(command.form, Form::Del) && op.args.len() >= 2 {
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
}

#[cfg(test)]
mod tests;
