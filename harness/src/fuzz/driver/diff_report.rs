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
            let mine = self.per_command.entry(name).or_default();
            mine.calls += stats.calls;
            mine.by_protocol[0] += stats.by_protocol[0];
            mine.by_protocol[1] += stats.by_protocol[1];
            mine.errors += stats.errors;
            for (option, o) in stats.options {
                let m = mine.options.entry(option).or_default();
                m.calls += o.calls;
                m.ok += o.ok;
            }
        }
    }
}
