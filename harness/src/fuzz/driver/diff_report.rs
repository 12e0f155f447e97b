//! What a differential run counts and keeps: per-command statistics, the divergences of
//! each kind, coverage, and how parallel lanes' reports add up.

use std::collections::BTreeMap;

use super::rank::{self, Class};
use super::Divergence;

/// How often an option word was sent, and how often the command then succeeded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OptionStats {
    pub calls: u64,
    pub ok: u64,
}

/// Per-command counts, so a generator that never reaches a success path shows.
#[derive(Debug, Clone, Default)]
pub struct CommandStats {
    pub calls: u64,
    /// Calls in RESP2 and in RESP3.
    pub by_protocol: [u64; 2],
    pub errors: u64,
    pub options: BTreeMap<&'static str, OptionStats>,
}

impl CommandStats {
    /// Adds another count of the same command to this one.
    pub fn add(&mut self, other: CommandStats) {
        self.calls += other.calls;
        self.by_protocol[0] += other.by_protocol[0];
        self.by_protocol[1] += other.by_protocol[1];
        self.errors += other.errors;
        for (option, o) in other.options {
            let mine = self.options.entry(option).or_default();
            mine.calls += o.calls;
            mine.ok += o.ok;
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct DiffReport {
    /// Commands compared, reconciliation reads included.
    pub compared: usize,
    /// Of those, in RESP2 and in RESP3.
    pub compared_by_protocol: [usize; 2],
    /// The first divergence of each kind (at most `max_divergences`).
    pub divergences: Vec<Divergence>,
    /// Every divergence, repeats included.
    pub divergence_count: usize,
    /// How often each kind of divergence happened.
    pub kinds: BTreeMap<String, usize>,
    /// The class of each kind.
    pub kind_classes: BTreeMap<String, Class>,
    pub per_command: BTreeMap<String, CommandStats>,
    /// Reconciliation reads (TYPE and HGETALL of every key) compared.
    pub reconciled: usize,
    /// Deadlines that passed during the run (expirations that really happened).
    pub deadlines_passed: usize,
    /// Time spent sleeping for deadlines to pass, in ms (of parallel lanes, the longest).
    pub waited_ms: u64,
    /// What the generated commands exercised, by the reference's replies.
    pub coverage: crate::coverage::CoverageMap,
}

impl DiffReport {
    /// How many kinds of divergence fell in each class, in [`Class::ALL`] order.
    pub fn kinds_per_class(&self) -> [usize; 3] {
        let mut counts = [0; 3];
        for class in self.kind_classes.values() {
            counts[*class as usize] += 1;
        }
        counts
    }

    /// Adds another run's report to this one (parallel lanes of one fuzz run): counts add
    /// up, and the other's first divergences of kinds not seen here are kept, up to `max`.
    pub fn absorb(&mut self, other: DiffReport, max: usize) {
        self.compared += other.compared;
        for (mine, theirs) in self
            .compared_by_protocol
            .iter_mut()
            .zip(other.compared_by_protocol)
        {
            *mine += theirs;
        }
        self.divergence_count += other.divergence_count;
        self.reconciled += other.reconciled;
        self.deadlines_passed += other.deadlines_passed;
        self.waited_ms = self.waited_ms.max(other.waited_ms);
        for d in other.divergences {
            let known = self.divergences.iter().any(|k| k.signature == d.signature);
            if !known {
                rank::admit(&mut self.divergences, d, max);
            }
        }
        for (kind, n) in other.kinds {
            *self.kinds.entry(kind).or_insert(0) += n;
        }
        self.kind_classes.extend(other.kind_classes);
        self.coverage.absorb(&other.coverage);
        for (name, stats) in other.per_command {
            self.per_command.entry(name).or_default().add(stats);
        }
    }
}

/// Per-command statistics as a run gathers them, by the engine's table row, with options
/// by their word (the generator's `&'static str`, found by address). WHY: a run counts
/// every command it compares, and finding its name and each option in the report's maps
/// (string comparisons down a B-tree) was 3% of a pinned fuzz run. The counts go into
/// [`DiffReport::per_command`] when the report is taken.
#[derive(Debug, Clone, Default)]
pub(super) struct Tallies {
    by_row: Vec<Tally>,
}

#[derive(Debug, Clone, Default)]
struct Tally {
    calls: u64,
    by_protocol: [u64; 2],
    errors: u64,
    options: Vec<(&'static str, OptionStats)>,
}

impl Tallies {
    /// Counts one command of table row `row`, sent with `options`.
    pub(super) fn count(
        &mut self,
        row: usize,
        resp3: bool,
        failed: bool,
        options: impl FnOnce(&mut dyn FnMut(&'static str)),
    ) {
        if self.by_row.len() <= row {
            self.by_row.resize_with(row + 1, Tally::default);
        }
        let tally = &mut self.by_row[row];
        tally.calls += 1;
        tally.by_protocol[usize::from(resp3)] += 1;
        tally.errors += u64::from(failed);
        options(&mut |option| {
            let at = match tally
                .options
                .iter()
                .position(|(o, _)| std::ptr::eq(*o, option))
            {
                Some(at) => at,
                None => {
                    tally.options.push((option, OptionStats::default()));
                    tally.options.len() - 1
                }
            };
            let o = &mut tally.options[at].1;
            o.calls += 1;
            o.ok += u64::from(!failed);
        });
    }

    /// Adds the counts to `per_command` (named as the report names them: upper case) and
    /// starts again from zero.
    pub(super) fn drain_into(&mut self, per_command: &mut BTreeMap<String, CommandStats>) {
        let commands = reference_engine::command::COMMANDS;
        for (row, tally) in std::mem::take(&mut self.by_row).into_iter().enumerate() {
            if tally.calls == 0 {
                continue;
            }
            let name = commands[row].name.to_ascii_uppercase();
            per_command.entry(name).or_default().add(CommandStats {
                calls: tally.calls,
                by_protocol: tally.by_protocol,
                errors: tally.errors,
                options: tally.options.into_iter().collect(),
            });
        }
    }
}
