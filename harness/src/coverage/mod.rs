//! The coverage map: per hash command, every keyword it accepts, every class of argument
//! value that can change its reply, every path its reply can take, each in RESP2 and RESP3,
//! with whether a checked command exercised it. The entries come from the engine's command
//! table ([`Grammar`]); [`classify`] says what one command exercised. The cases fill a map
//! by running on the engine ([`cases`]); the fuzzer fills one from what it sent.

pub mod cases;
pub mod classify;

use std::collections::BTreeMap;

use reference_engine::command::grammar::{Grammar, ValueClass};
use reference_engine::command::COMMANDS;
use reference_engine::{Protocol, Reply};

pub use classify::{classify, classify_into, Exercised, KeyBefore, ReplyPath};

/// One thing a command can exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entry {
    /// The command itself (so each protocol shows even for a command without options).
    Command,
    Keyword(&'static str),
    Value(ValueClass),
    Reply(ReplyPath),
}

impl Entry {
    pub fn label(self) -> String {
        match self {
            Entry::Command => "command".into(),
            Entry::Keyword(k) => format!("keyword {k}"),
            Entry::Value(v) => format!("value {}", v.name()),
            Entry::Reply(r) => format!("reply {}", r.name()),
        }
    }

    /// Whether success means an error reply: a value class every command rejects, or an
    /// error path.
    fn errs(self) -> bool {
        match self {
            Entry::Value(v) => v.always_errors(),
            Entry::Reply(ReplyPath::Error(_)) => true,
            _ => false,
        }
    }
}

/// How often an entry was exercised, and how often the command then succeeded (a non-error
/// reply, or for an entry that is an error, that error), per protocol.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hits {
    pub seen: [u64; 2],
    pub ok: [u64; 2],
}

/// Which entries must be exercised for the map to be full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demand {
    /// Every entry, in both protocols (the case suite: every step is checked).
    EveryEntryBothProtocols,
    /// The fuzzer: each command in both protocols; each keyword and value class sent and
    /// succeeding at least once; each error path seen. Missing-key and expired-field paths
    /// are asked of it only when it could see the key (`KeyBefore` known).
    Generated { key_paths: bool },
}

/// The coverage map of the 28 hash commands.
#[derive(Debug, Clone)]
pub struct CoverageMap {
    /// Per command (lower case, table order): each entry and its hits.
    pub commands: Vec<(&'static str, BTreeMap<Entry, Hits>)>,
    /// Error replies, per command, that the command's grammar does not declare.
    pub undeclared: BTreeMap<String, u64>,
    /// What the command being recorded exercised; kept so that its vectors are allocated
    /// once per map, not once per command (a fuzz run records every command it compares).
    scratch: Exercised,
}

impl Default for CoverageMap {
    fn default() -> Self {
        Self::new()
    }
}

impl CoverageMap {
    /// Every entry of every hash command in the engine's table, none exercised yet.
    pub fn new() -> Self {
        let commands = COMMANDS
            .iter()
            .filter_map(|c| Some((c.name, c.grammar?)))
            .map(|(name, grammar)| (name, entries(grammar)))
            .collect();
        Self {
            commands,
            undeclared: BTreeMap::new(),
            scratch: Exercised::default(),
        }
    }

    /// Records what `argv` (name first) exercised with `reply`, if it is a hash command.
    pub fn record(
        &mut self,
        argv: &[Vec<u8>],
        reply: &Reply,
        protocol: Protocol,
        now_ms: i64,
        key: KeyBefore,
    ) {
        let Some(spec) = argv
            .first()
            .and_then(|name| reference_engine::command::lookup(name))
        else {
            return;
        };
        // The names here are the table's own `&'static str`s, so the spec's name is found
        // by address first: this runs for every command a fuzz run compares, and comparing
        // the text against each name before it was a large part of it.
        let slot = self
            .commands
            .iter()
            .position(|(n, _)| std::ptr::eq(*n, spec.name))
            .or_else(|| self.commands.iter().position(|(n, _)| *n == spec.name));
        let (Some(grammar), Some(slot)) = (spec.grammar, slot) else {
            return;
        };
        let mut exercised = std::mem::take(&mut self.scratch);
        classify_into(grammar, argv, reply, now_ms, key, &mut exercised);
        let p = usize::from(protocol == Protocol::Resp3);
        let failed = reply.is_error();
        let entries = &mut self.commands[slot].1;
        let mut hit = |entry: Entry| {
            if let Some(h) = entries.get_mut(&entry) {
                h.seen[p] += 1;
                h.ok[p] += u64::from(failed == entry.errs());
            }
        };
        hit(Entry::Command);
        exercised
            .keywords
            .iter()
            .for_each(|k| hit(Entry::Keyword(k)));
        exercised.values.iter().for_each(|v| hit(Entry::Value(*v)));
        exercised.replies.iter().for_each(|r| hit(Entry::Reply(*r)));
        let undeclared = exercised.replies.iter().filter_map(|r| match r {
            ReplyPath::Error(kind) if !grammar.errors.contains(kind) => Some(kind.to_string()),
            _ => None,
        });
        for kind in undeclared.chain(exercised.unknown_error.take()) {
            *self
                .undeclared
                .entry(format!("{} {kind}", spec.name))
                .or_insert(0) += 1;
        }
        self.scratch = exercised;
    }

    /// Adds another map's hits to this one.
    pub fn absorb(&mut self, other: &CoverageMap) {
        for ((_, mine), (_, theirs)) in self.commands.iter_mut().zip(&other.commands) {
            for (entry, h) in theirs {
                let m = mine.entry(*entry).or_default();
                for p in 0..2 {
                    m.seen[p] += h.seen[p];
                    m.ok[p] += h.ok[p];
                }
            }
        }
        for (k, n) in &other.undeclared {
            *self.undeclared.entry(k.clone()).or_insert(0) += n;
        }
    }

    /// Every entry the demand is not met for, as `command entry (why)`, plus every error
    /// reply a grammar does not declare.
    pub fn gaps(&self, demand: Demand) -> Vec<String> {
        let mut gaps = Vec::new();
        for (name, entries) in &self.commands {
            for (entry, h) in entries {
                if let Some(why) = unmet(*entry, h, demand) {
                    gaps.push(format!("{} {} ({why})", name.to_uppercase(), entry.label()));
                }
            }
        }
        for (what, n) in &self.undeclared {
            gaps.push(format!(
                "{what} (an error the grammar does not declare, {n} times)"
            ));
        }
        gaps
    }

    /// How many entries the map has and how many meet `demand`.
    pub fn counts(&self, demand: Demand) -> (usize, usize) {
        let all: Vec<bool> = self
            .commands
            .iter()
            .flat_map(|(_, e)| {
                e.iter()
                    .map(|(entry, h)| unmet(*entry, h, demand).is_none())
            })
            .collect();
        (all.len(), all.iter().filter(|met| **met).count())
    }

    /// The map as text: per command, each entry with its hits in RESP2 and RESP3 and a mark
    /// on those that miss `demand`.
    pub fn render(&self, demand: Demand) -> String {
        let mut out = String::new();
        for (name, entries) in &self.commands {
            let missing = entries
                .iter()
                .filter(|(e, h)| unmet(**e, h, demand).is_some())
                .count();
            out.push_str(&format!(
                "{} ({} entries, {} unexercised)\n",
                name.to_uppercase(),
                entries.len(),
                missing
            ));
            for (entry, h) in entries {
                let mark = match unmet(*entry, h, demand) {
                    Some(why) => format!("  UNEXERCISED: {why}"),
                    None => String::new(),
                };
                out.push_str(&format!(
                    "  {:<44} RESP2 {:>7} ({:>7} ok)  RESP3 {:>7} ({:>7} ok){mark}\n",
                    entry.label(),
                    h.seen[0],
                    h.ok[0],
                    h.seen[1],
                    h.ok[1]
                ));
            }
        }
        let (all, met) = self.counts(demand);
        out.push_str(&format!(
            "coverage: {met} of {all} entries exercised, {} unexercised",
            all - met
        ));
        if !self.undeclared.is_empty() {
            out.push_str(&format!(
                "; {} undeclared error paths",
                self.undeclared.len()
            ));
        }
        out.push('\n');
        out
    }
}

/// Why `h` does not meet `demand` for `entry`, if it does not.
fn unmet(entry: Entry, h: &Hits, demand: Demand) -> Option<&'static str> {
    let both = |n: [u64; 2]| n[0] > 0 && n[1] > 0;
    match demand {
        Demand::EveryEntryBothProtocols => match (h.seen[0] > 0, h.seen[1] > 0) {
            (true, true) => None,
            (false, false) => Some("never"),
            (false, true) => Some("not in RESP2"),
            (true, false) => Some("not in RESP3"),
        },
        Demand::Generated { key_paths } => match entry {
            Entry::Command => (!both(h.seen)).then_some("not in both protocols"),
            Entry::Reply(ReplyPath::MissingKey | ReplyPath::ExpiredField) if !key_paths => None,
            Entry::Reply(_) => (h.seen == [0, 0]).then_some("never"),
            _ if h.seen == [0, 0] => Some("never generated"),
            _ if h.ok == [0, 0] => Some("never succeeded"),
            _ => None,
        },
    }
}

/// The entries of one command's grammar.
fn entries(grammar: &Grammar) -> BTreeMap<Entry, Hits> {
    let mut entries = vec![
        Entry::Command,
        Entry::Reply(ReplyPath::MissingKey),
        Entry::Reply(ReplyPath::ExpiredField),
    ];
    entries.extend(grammar.keywords.iter().map(|k| Entry::Keyword(k)));
    entries.extend(grammar.shape.value_classes().into_iter().map(Entry::Value));
    entries.extend(
        grammar
            .errors
            .iter()
            .map(|e| Entry::Reply(ReplyPath::Error(e))),
    );
    entries.into_iter().map(|e| (e, Hits::default())).collect()
}
