//! The run proper: one lane per `--jobs`, each a whole fuzzer of its own (its connection,
//! generator, engine and keys) on its own thread, and the progress of them all.
//!
//! Lanes share nothing but counters and a stop flag, so each one keeps the guarantees of a
//! single run: its commands follow from its seed, and its keys are its own, so no lane can
//! disturb another's comparison. More lanes keep the server busy while a lane works out
//! what the engine expects, which is where a single lane spends most of its time.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use reference_engine::{Clock, ManualClock, Protocol, SystemClock};

use super::{FuzzRequest, Length, PROTOCOL_EVERY};
use crate::fuzz::driver::{DiffConfig, DiffReport, Differ, Reference};
use crate::fuzz::gen::Generator;
use crate::targets::{EmbeddedTarget, Target, TargetError};

/// Deadlines that fall due during the run, per second of a lane (see
/// [`Generator::allow_soon`]), at any speed of the target. Every other one parks its key
/// until it has passed, 0.3 to 2 s (see `DiffConfig::hold_until_due`); the others hold it
/// for ~100 ms around the deadline. Against Redis 8.2.3 a 60 s run then met every
/// command's expired-field path at ~117k commands/s (the generator leaves parked keys
/// alone); parking all of 8 a second left too few keys free, and held commands piled up
/// until the lane slept (~86k/s).
const SOON_PER_SECOND: u32 = 10;

/// Once a lane's `--max-cases` budget is full, it goes on looking for worse kinds of
/// divergence (see `driver::rank`) while new kinds still turn up: it stops when the
/// run is twice as old as when it last found a new kind, and at least this long after the
/// budget filled. A wrong value found after forty error texts still gets in, and a run that
/// finds one bug at once (a planted bug, in 0.3 s) still ends within seconds.
const LOOK_ON_AT_LEAST: Duration = Duration::from_secs(2);

/// One lane before it runs.
pub struct Lane<'t> {
    pub target: &'t mut (dyn Target + Send),
    pub gen: Generator,
    /// The seed of the lane's engine (HRANDFIELD's picks).
    pub seed: u64,
    /// This lane's share of `--ops`.
    pub length: Length,
    /// Switch between RESP2 and RESP3 every [`PROTOCOL_EVERY`] commands.
    pub switch_protocol: bool,
}

/// What the lanes did, together.
pub struct Ran {
    pub report: DiffReport,
    pub interrupted: bool,
    /// The first lane's target failure (a hang, a closed connection, broken RESP): the run
    /// stopped there, and `report` is what every lane did until then.
    pub failure: Option<TargetError>,
    /// Commands compared until the run stopped generating, and how long that took.
    pub compared_while_running: usize,
    pub running: Duration,
}

/// What each lane last published, for the progress line.
#[derive(Default)]
struct Counters {
    generated: AtomicU64,
    compared: AtomicU64,
    divergences: AtomicU64,
    deadlines: AtomicU64,
}

/// Runs the lanes to the end and merges their reports. A lane whose target fails stops the
/// others; nothing they found is lost.
pub fn run(lanes: Vec<Lane<'_>>, config: &DiffConfig, request: &FuzzRequest) -> Ran {
    let counters: Vec<Counters> = lanes.iter().map(|_| Counters::default()).collect();
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let mut progress = Progress::new(request.length);
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = lanes
            .into_iter()
            .zip(&counters)
            .map(|(lane, counters)| {
                let stop = &stop;
                scope.spawn(move || {
                    let ran = run_lane(lane, config, counters, stop, started);
                    if ran.stopped || ran.failure.is_some() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    ran
                })
            })
            .collect();
        while !handles.iter().all(|h| h.is_finished()) {
            progress.tick(&sum(&counters), started.elapsed());
            std::thread::sleep(Duration::from_millis(50));
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<Vec<_>>()
    });
    let mut merged = Ran {
        report: DiffReport::default(),
        interrupted: false,
        failure: None,
        compared_while_running: 0,
        running: Duration::ZERO,
    };
    for lane in results {
        if let Some(e) = lane.failure {
            merged.failure.get_or_insert(e);
        }
        merged.interrupted |= lane.interrupted;
        merged.compared_while_running += lane.compared_while_running;
        merged.running = merged.running.max(lane.running);
        merged.report.absorb(lane.report, config.max_divergences);
    }
    // The rate while generating, as the summary gives it (the drain waits on purpose).
    let totals = Totals {
        compared: merged.compared_while_running as u64,
        ..sum(&counters)
    };
    progress.finish(&totals, merged.running.max(Duration::from_millis(1)));
    merged
}

/// One lane's result.
struct LaneRan {
    report: DiffReport,
    interrupted: bool,
    /// It found as many kinds of divergence as the run shrinks: the run ends.
    stopped: bool,
    failure: Option<TargetError>,
    compared_while_running: usize,
    running: Duration,
}

fn run_lane(
    lane: Lane<'_>,
    config: &DiffConfig,
    counters: &Counters,
    stop: &AtomicBool,
    started: Instant,
) -> LaneRan {
    let Lane {
        target,
        mut gen,
        seed,
        length,
        switch_protocol,
    } = lane;
    let mut model = EmbeddedTarget::with_clock(
        target.protocol(),
        ManualClock::new(SystemClock.now_ms()),
        Some(seed),
    );
    let mut differ = Differ::new(Reference::Model(&mut model), target, config);
    let soon_every = Duration::from_secs(1) / SOON_PER_SECOND;
    let mut next_soon = Duration::ZERO;
    let mut generated: u64 = 0;
    let mut interrupted = false;
    let mut failure = None;
    let mut filled_at = None;
    let mut looked_enough = false;
    let mut kinds = 0;
    let mut last_new_kind = Duration::ZERO;
    loop {
        // --ops is exact; the clock and Ctrl-C are looked at every 256 commands.
        if matches!(length, Length::Ops(n) if generated >= n) {
            break;
        }
        if generated % 256 == 0 {
            publish(counters, generated, differ.report());
            if crate::interrupt::requested() {
                interrupted = true;
                break;
            }
            let now = started.elapsed();
            let done = matches!(length, Length::Time(d) if now >= d);
            if differ.report().kinds.len() > kinds {
                kinds = differ.report().kinds.len();
                last_new_kind = now;
            }
            if differ.budget_full() {
                let at: Duration = *filled_at.get_or_insert(now);
                looked_enough = looked_on_enough(at, last_new_kind, now);
            }
            if done || differ.stopped() || looked_enough || stop.load(Ordering::Relaxed) {
                break;
            }
        }
        if switch_protocol && generated > 0 && generated % PROTOCOL_EVERY == 0 {
            let next = match differ.protocol() {
                Protocol::Resp2 => Protocol::Resp3,
                _ => Protocol::Resp2,
            };
            if let Err(e) = differ.switch_protocol(next) {
                failure = Some(e);
                break;
            }
        }
        let now = started.elapsed();
        gen.allow_soon(now >= next_soon);
        if generated % 16 == 0 {
            differ.steer(&mut gen);
        }
        let op = gen.next_op();
        if op.deadline_in_ms.is_some() {
            next_soon = now + soon_every;
        }
        if let Err(e) = differ.push(op) {
            failure = Some(e);
            break;
        }
        generated += 1;
    }
    // The rate is the run's own: the drain and final reconciliation that follow wait for
    // deadlines on purpose.
    let compared_while_running = differ.report().compared;
    let running = started.elapsed();
    let stopped = differ.stopped() || looked_enough;
    if !interrupted && failure.is_none() {
        failure = differ.finish().err();
    }
    publish(counters, generated, differ.report());
    LaneRan {
        report: differ.into_report(),
        interrupted,
        stopped,
        failure,
        compared_while_running,
        running,
    }
}

/// Whether a lane whose budget filled at `filled_at`, and which last found a new kind of
/// divergence at `last_new_kind`, has looked for worse kinds long enough by `now` (all
/// times since the run started; see [`LOOK_ON_AT_LEAST`]).
fn looked_on_enough(filled_at: Duration, last_new_kind: Duration, now: Duration) -> bool {
    now >= (filled_at + LOOK_ON_AT_LEAST).max(last_new_kind * 2)
}

fn publish(counters: &Counters, generated: u64, report: &DiffReport) {
    counters.generated.store(generated, Ordering::Relaxed);
    counters
        .compared
        .store(report.compared as u64, Ordering::Relaxed);
    counters
        .divergences
        .store(report.divergence_count as u64, Ordering::Relaxed);
    counters
        .deadlines
        .store(report.deadlines_passed as u64, Ordering::Relaxed);
}

/// The lanes' counters added up.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    generated: u64,
    compared: u64,
    divergences: u64,
    deadlines: u64,
}

fn sum(counters: &[Counters]) -> Totals {
    let mut t = Totals::default();
    for c in counters {
        t.generated += c.generated.load(Ordering::Relaxed);
        t.compared += c.compared.load(Ordering::Relaxed);
        t.divergences += c.divergences.load(Ordering::Relaxed);
        t.deadlines += c.deadlines.load(Ordering::Relaxed);
    }
    t
}

/// A progress bar on a terminal; plain lines every ten seconds otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    length: Length,
    last_line: Instant,
}

impl Progress {
    fn new(length: Length) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let (len, unit) = match length {
                Length::Ops(n) => (n, "cmds"),
                Length::Time(d) => (d.as_secs().max(1), "s"),
            };
            let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
            let template =
                format!("{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {unit}  {{msg}}");
            bar.set_style(
                ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        });
        Self {
            bar,
            length,
            last_line: Instant::now(),
        }
    }

    fn line(t: &Totals, elapsed: Duration) -> String {
        format!(
            "{} commands, {:.0} compared/s, {} divergences, {} deadlines passed",
            t.generated,
            t.compared as f64 / elapsed.as_secs_f64().max(1e-9),
            t.divergences,
            t.deadlines
        )
    }

    fn tick(&mut self, t: &Totals, elapsed: Duration) {
        match &self.bar {
            Some(bar) => {
                if self.last_line.elapsed() < Duration::from_millis(200) {
                    return;
                }
                self.last_line = Instant::now();
                bar.set_position(match self.length {
                    Length::Ops(_) => t.generated,
                    Length::Time(_) => elapsed.as_secs(),
                });
                bar.set_message(format!(
                    "{:.0}/s, {} divergences",
                    t.compared as f64 / elapsed.as_secs_f64().max(1e-9),
                    t.divergences
                ));
            }
            None => {
                if self.last_line.elapsed() >= Duration::from_secs(10) {
                    self.last_line = Instant::now();
                    eprintln!(
                        "fuzz: {:.0} s, {}",
                        elapsed.as_secs_f64(),
                        Self::line(t, elapsed)
                    );
                }
            }
        }
    }

    fn finish(&mut self, t: &Totals, elapsed: Duration) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        eprintln!(
            "fuzz: done after {:.1} s, {}",
            elapsed.as_secs_f64(),
            Self::line(t, elapsed)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_budget_looks_on_while_new_kinds_turn_up() {
        let s = Duration::from_secs_f64;
        // One bug found at once: the run ends 2 s after.
        assert!(!looked_on_enough(s(0.3), s(0.3), s(2.0)));
        assert!(looked_on_enough(s(0.3), s(0.3), s(2.3)));
        // New kinds at 20 s: the run goes on to 40 s at least.
        assert!(!looked_on_enough(s(0.1), s(20.0), s(39.0)));
        assert!(looked_on_enough(s(0.1), s(20.0), s(40.0)));
    }
}
