//! `hashcheck fuzz`: random hash commands against a server and the reference engine side by
//! side, every reply compared; each kind of divergence shrunk to the fewest commands that
//! still show it and written as a case file.
//!
//! A run, in order:
//! 1. Connects (exit 2 with one line naming the address if it cannot), refuses a database
//!    that holds keys unless told otherwise, and picks the commands: `--commands`, or
//!    random subsets from the seed, a new one every [`SWARM_EVERY`] commands (swarm
//!    testing). Commands the server does not have (`ERR unknown command` to the bare name)
//!    are left out, and said so.
//! 2. Sends generated commands in pipelined batches under the run's own key prefix
//!    (`hc:fz:<run id>:`), in `--jobs` parallel lanes (see [`lanes`]), until `--ops` or `--duration` is reached or Ctrl-C, with the
//!    engine in process as the reference (`driver::Reference::Model`). With
//!    `--allow-debug`, background expiry is frozen for the run (DEBUG SET-ACTIVE-EXPIRE 0)
//!    and restored at the end.
//! 3. Deletes the pool keys, prints per-command calls, error replies and the options used,
//!    then shrinks each kind of divergence (see [`crate::fuzz::shrink`]), prints it with a diff,
//!    writes it under `--out` (see [`crate::fuzz::written`]) and runs the written case against the
//!    engine (it must pass) and the server (it should fail).
//!
//! Memory stays flat over long runs: the driver keeps a bounded window of commands per key
//! (emptied at each DEL of the key; the generator deletes each key every [`RESET_EVERY`]
//! commands on it) and one window per kind of divergence.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use reference_engine::rng::Rng;
use reference_engine::{Protocol, Reply};

use crate::cases::report::{self, Style};
use crate::cases::runner::{self, Details, Outcome, RunOptions, RunState};
use crate::compare::ErrorMatch;
use crate::fuzz::driver::{DiffConfig, DiffReport, Divergence};
use crate::fuzz::gen::{GenConfig, Generator, Swarm, COMMANDS};
use crate::fuzz::shrink::{Budget, Shrinker};
use crate::fuzz::written::{self, Provenance};
use crate::targets::{ConnectOptions, EmbeddedTarget, NetworkTarget, Target};

mod lanes;

/// Each key is deleted after this many commands on it, so a divergence replays from an
/// empty key within this many commands.
pub const RESET_EVERY: usize = 1_000;
const KEYS: usize = 8;
/// Without `--commands`, each lane enables a random subset of the commands and draws a new
/// one every this many commands (swarm testing): a subset lets some states grow that
/// others would cut short (no HDEL, no DEL), and redrawing covers every command within a
/// short run (at 100,000 commands/s, two subsets a second).
const SWARM_EVERY: usize = 50_000;
const BATCH: usize = 256;
/// Without `--resp`, each lane switches protocol (HELLO, on both sides) after every this
/// many generated commands, lanes starting alternately in RESP2 and RESP3: every run, even
/// a short one-lane run, compares both. By count, not time, so a seed sends the same
/// commands in the same protocols.
pub const PROTOCOL_EVERY: u64 = 2_000;

/// The protocol lane `lane` starts in: `pinned`, else RESP2 and RESP3 alternately.
pub fn first_protocol(pinned: Option<Protocol>, lane: usize) -> Protocol {
    match pinned {
        Some(p) => p,
        None if lane % 2 == 1 => Protocol::Resp3,
        None => Protocol::Resp2,
    }
}

/// How long a run goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    Ops(u64),
    Time(Duration),
}

/// What `hashcheck fuzz` was asked to do.
#[derive(Debug, Clone)]
pub struct FuzzRequest {
    pub target: String,
    pub seed: Option<u64>,
    pub length: Length,
    /// One protocol for the whole run, or None for both: each lane switches between them
    /// (see [`PROTOCOL_EVERY`]).
    pub protocol: Option<Protocol>,
    pub out: PathBuf,
    /// Command names (any case), or None for a random subset.
    pub commands: Option<Vec<String>>,
    pub allow_debug: bool,
    pub connect: ConnectOptions,
    pub allow_nonempty: bool,
    /// Kinds of divergence to shrink and write.
    pub max_cases: usize,
    /// Time allowed for shrinking one divergence.
    pub shrink_time: Duration,
    /// How error replies are compared (`any`: only an error where a value was due, or the
    /// reverse, counts; for finding what differs beyond error texts).
    pub errors: ErrorMatch,
    /// Whether Redis's own choices are compared (the order of small listings): resolved
    /// as on a server, so `Auto` is legal.
    pub details: Details,
    /// Parallel lanes, each with its own connection, keys and engine (see [`lanes`]).
    pub jobs: usize,
}

/// The generator's settings in a fuzz run, for keys under `key_prefix`; `redraw_swarm_every`
/// as in [`GenConfig`]. Public so that the benchmark streams exactly the fuzz run's mix.
pub fn gen_config(key_prefix: Vec<u8>, redraw_swarm_every: Option<usize>) -> GenConfig {
    GenConfig {
        key_prefix,
        keys: KEYS,
        fields: 6,
        short_ttls: true,
        soon_one_in: 1,
        invalid_one_in: 10,
        reset_every: Some(RESET_EVERY),
        redraw_swarm_every,
    }
}

/// The commands to generate: `--commands` checked against what the generator knows, or
/// (None) every command, which the generator then enables a random subset of at a time
/// (see [`SWARM_EVERY`]).
pub fn choose_commands(names: Option<&[String]>) -> anyhow::Result<Swarm> {
    let Some(names) = names else {
        return Ok(Swarm::all(&COMMANDS));
    };
    let mut enabled = Vec::new();
    for name in names {
        let name = name.trim();
        if name.eq_ignore_ascii_case("all") {
            enabled.extend_from_slice(&COMMANDS);
            continue;
        }
        match COMMANDS.iter().find(|c| c.eq_ignore_ascii_case(name)) {
            Some(c) => enabled.push(*c),
            None => bail!(
                "--commands: {name:?} is not a command hashcheck fuzz generates ({})",
                COMMANDS.join(", ")
            ),
        }
    }
    enabled.sort_unstable();
    enabled.dedup();
    if enabled.is_empty() {
        bail!("--commands: no command given");
    }
    Ok(Swarm { enabled })
}

/// Runs the fuzzer. `Ok(true)`: no divergence.
pub fn execute(request: &FuzzRequest) -> anyhow::Result<bool> {
    crate::interrupt::install();
    let seed = request.seed.unwrap_or_else(random_seed);
    let mut swarm = choose_commands(request.commands.as_deref())?;
    let mut target = connect(request, first_protocol(request.protocol, 0))?;
    let target = &mut *target;
    if !request.allow_nonempty {
        match runner::safety::contents(target)? {
            runner::safety::Contents::Empty => {}
            runner::safety::Contents::Keys(keys) => bail!(
                "{}: the database holds {keys}; hashcheck fuzz only touches keys under its own \
                 prefix, but runs on a non-empty database only with --allow-nonempty",
                target.name()
            ),
            runner::safety::Contents::Unknown(why) => bail!(
                "{}: cannot tell whether the database is empty ({why}); hashcheck fuzz runs on \
                 a database that may hold keys only with --allow-nonempty (it touches only keys \
                 under its own prefix)",
                target.name()
            ),
        }
    }
    let identity = target.identity().clone();
    let lacking = unsupported(target, &swarm)?;
    swarm.enabled.retain(|c| !lacking.contains(c));
    if swarm.enabled.is_empty() {
        bail!(
            "{}: the server has none of the commands to fuzz",
            target.name()
        );
    }
    // Both protocols unless pinned; a server without RESP3 is said so and run in RESP2.
    let mut pinned = request.protocol;
    let mut resp3_refused = None;
    if pinned.is_none() {
        let hello = crate::targets::switch_protocol(target, Protocol::Resp3)
            .and_then(|()| crate::targets::switch_protocol(target, Protocol::Resp2));
        if let Err(e) = hello {
            eprintln!("  RESP3 not available ({e}): this run compares RESP2 only");
            resp3_refused = Some(e.to_string());
            pinned = Some(Protocol::Resp2);
            // A failed switch may have left the connection in either protocol.
            crate::targets::switch_protocol(target, Protocol::Resp2)?;
        }
    }
    let frozen = request.allow_debug && freeze_expiry(target)?;
    // A second Ctrl-C exits at once: active expiry is switched back on even then.
    let _thaw_on_exit = frozen.then(|| {
        let request = request.clone();
        crate::interrupt::on_forced_exit(Box::new(move || {
            if let Ok(mut fresh) = connect(&request, Protocol::Resp2) {
                let _ = fresh.call(&words(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]));
            }
        }))
    });
    let run_id = format!("{:x}", random_seed() & 0xffff_ffff);
    let jobs = request.jobs.max(1);
    // One lane keeps the plain prefix, so cases from a one-lane run name keys as before.
    let lane_prefix = |lane: usize| match jobs {
        1 => format!("hc:fz:{run_id}:").into_bytes(),
        _ => format!("hc:fz:{run_id}:j{lane}:").into_bytes(),
    };
    // Lane 0 runs on the seed itself, so --jobs 1 sends what it always did.
    let lane_seed = |lane: usize| seed ^ (lane as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let generator = |lane: usize| {
        Generator::new(
            lane_seed(lane),
            gen_config(
                lane_prefix(lane),
                request.commands.is_none().then_some(SWARM_EVERY),
            ),
            swarm.clone(),
        )
    };
    let config = DiffConfig {
        ops: usize::MAX,
        batch: BATCH,
        // Only Redis's promises unless --details strict (see runner::Details): the target
        // is a server, never the in-process engine.
        strict_order: request.details.resolve(false) == Details::Strict,
        max_divergences: request.max_cases.max(1),
        keep_worst: true,
        background_expiry: !frozen,
        errors: request.errors,
        reconcile_every: Some(50_000),
        window: RESET_EVERY + 16,
        // Lanes run fast: without it no near deadline outlives its key (see the field).
        hold_until_due: true,
        ..DiffConfig::default()
    };
    let protocol_name = match pinned {
        Some(p) => format!("RESP{}", p.version()),
        None => format!("RESP2 and RESP3 (each lane switches every {PROTOCOL_EVERY} commands)"),
    };
    eprintln!(
        "hashcheck fuzz: {} ({identity}), {protocol_name}, details {}, seed {seed}, \
         background expiry {}",
        target.name(),
        request.details.resolve(false).name(),
        if frozen { "frozen (DEBUG)" } else { "on" }
    );
    match request.commands {
        Some(_) => eprintln!("  commands: {}", swarm.enabled.join(" ")),
        None => eprintln!(
            "  commands: random subsets of these, a new one every {SWARM_EVERY} commands \
             (swarm testing; --commands all for every one at once): {}",
            swarm.enabled.join(" ")
        ),
    }
    if !lacking.is_empty() {
        eprintln!("  not on the server, left out: {}", lacking.join(" "));
    }

    let started = Instant::now();
    let mut extra = Vec::new();
    for lane in 1..jobs {
        extra.push(connect(request, first_protocol(pinned, lane))?);
    }
    let gens: Vec<Generator> = (0..jobs).map(generator).collect();
    let pool_keys: Vec<Vec<u8>> = gens.iter().flat_map(Generator::pool_keys).collect();
    let targets = std::iter::once(&mut *target).chain(extra.iter_mut().map(|t| &mut **t));
    let lanes = targets
        .zip(gens)
        .enumerate()
        .map(|(lane, (target, gen))| lanes::Lane {
            target,
            gen,
            seed: lane_seed(lane),
            switch_protocol: pinned.is_none(),
            length: match request.length {
                Length::Ops(n) => {
                    let share = n / jobs as u64;
                    Length::Ops(if lane == 0 {
                        n - share * (jobs as u64 - 1)
                    } else {
                        share
                    })
                }
                time => time,
            },
        })
        .collect();
    let ran = lanes::run(lanes, &config, request);
    drop(extra);
    let cleanup = delete_keys(target, &pool_keys, request);
    if frozen && (ran.failure.is_some() || cleanup.is_err()) {
        // The run is over either way: best effort, on a fresh connection.
        if let Ok(mut fresh) = connect(request, Protocol::Resp2) {
            let _ = fresh.call(&words(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]));
        }
    }
    let lanes::Ran {
        report,
        interrupted,
        failure,
        compared_while_running,
        running,
    } = ran;
    print!("{}", stats_table(&report, &swarm));
    println!("{}", protocol_line(&report, resp3_refused.as_deref()));
    print!("{}", coverage_lines(&report, &swarm));
    println!(
        "{compared_while_running} commands compared in {:.1} s ({:.0}/s), then {} more in {:.1} s \
         (held commands and the final reconciliation, after every deadline passed); \
         {} reconciliation reads, {} deadlines passed, {} ms slept waiting for deadlines",
        running.as_secs_f64(),
        compared_while_running as f64 / running.as_secs_f64().max(1e-9),
        report.compared - compared_while_running,
        (started.elapsed() - running).as_secs_f64(),
        report.reconciled,
        report.deadlines_passed,
        report.waited_ms
    );
    if let Some(e) = failure {
        // What ran so far, then the cause: the divergences cannot be shrunk on a target
        // that failed, but they are not lost.
        let style = Style::for_stream(&std::io::stdout());
        for (n, d) in report.divergences.iter().enumerate() {
            println!();
            println!(
                "divergence {} of {}: {}",
                n + 1,
                report.divergences.len(),
                d.signature
            );
            print_divergence(d, format!("hc:fz:{run_id}:").as_bytes(), style);
        }
        if let Err(c) = &cleanup {
            eprintln!("hashcheck: the run's keys (hc:fz:{run_id}:*) may remain: {c:#}");
        }
        return Err(anyhow::Error::new(e).context(format!(
            "the run stopped after {} commands compared, {} divergences",
            report.compared, report.divergence_count
        )));
    }
    cleanup?;

    let rerun = rerun_line(request, seed, &swarm);
    let provenance = Provenance {
        seed,
        // Case files are committed: the address only, never the URL's credentials.
        target: crate::targets::redact(&request.target),
        identity: identity.clone(),
        // Each case says the protocol its divergence was found in (see shrink_and_write).
        protocol: first_protocol(pinned, 0),
        // Every lane's keys start with it (`j1:k3` names lane 1's key k3 in a case).
        key_prefix: format!("hc:fz:{run_id}:").into_bytes(),
        rerun,
        errors: request.errors,
    };
    let written = shrink_and_write(target, &report, &config, &provenance, request, interrupted)?;
    if frozen {
        target.call(&words(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]))?;
    }
    verify(&written, request);
    if report.divergence_count == 0 {
        println!("no divergence");
    } else {
        println!(
            "{} divergences of {} kinds; {} written under {}",
            report.divergence_count,
            report.kinds.len(),
            written.len(),
            request.out.display()
        );
        println!("{}", class_line(&report));
    }
    if interrupted {
        bail!("interrupted");
    }
    Ok(report.divergence_count == 0)
}

/// Shrinks each kept divergence, prints it, and writes it as a case. Returns the files.
fn shrink_and_write(
    target: &mut dyn Target,
    report: &DiffReport,
    config: &DiffConfig,
    provenance: &Provenance,
    request: &FuzzRequest,
    interrupted: bool,
) -> anyhow::Result<Vec<PathBuf>> {
    let style = Style::for_stream(&std::io::stdout());
    let mut written = Vec::new();
    // Two kinds can shrink to the same commands; one case is enough.
    let mut sequences: Vec<Vec<Vec<Vec<u8>>>> = Vec::new();
    let mut shrinker = Shrinker::new(target, config, provenance.seed, &provenance.key_prefix);
    shrinker.interrupted = Box::new(crate::interrupt::requested);
    let budget = Budget {
        time: request.shrink_time,
        ..Budget::default()
    };
    for (n, d) in report.divergences.iter().enumerate() {
        let repeats = report.kinds.get(&d.signature).copied().unwrap_or(1);
        println!();
        println!(
            "{}",
            style_bold(
                style,
                &format!(
                    "divergence {} of {} (seen {repeats}x, {}, RESP{}): {}",
                    n + 1,
                    report.divergences.len(),
                    d.class.label(),
                    d.protocol.version(),
                    d.signature
                )
            )
        );
        print_divergence(d, &provenance.key_prefix, style);
        if interrupted || crate::interrupt::requested() {
            continue;
        }
        // Replays speak the protocol the divergence was found in.
        crate::targets::switch_protocol(shrinker.target(), d.protocol)?;
        let shrunk = shrinker.shrink(d, &budget)?;
        if !shrunk.reproduced {
            println!(
                "  did not diverge again when its {} commands were replayed: not written",
                d.window.len()
            );
            continue;
        }
        println!(
            "  shrunk from {} to {} commands in {} replays{}:",
            d.window.len(),
            shrunk.commands.len(),
            shrunk.replays,
            if shrunk.exhausted {
                " (budget spent)"
            } else {
                ""
            }
        );
        for (sent, at) in shrunk.commands.iter().zip(&shrunk.offsets) {
            println!(
                "    +{at:>5} ms  {}",
                show(&sent.argv(), &provenance.key_prefix)
            );
        }
        let last = shrunk.divergence.as_ref().unwrap_or(d);
        print!(
            "{}",
            indent(&report::diff(
                &last.expected.to_string(),
                &last.actual.to_string(),
                style
            ))
        );
        let sequence: Vec<Vec<Vec<u8>>> = shrunk
            .commands
            .iter()
            .map(|s| crate::fuzz::shrink::with_key(&s.op, b"k").resolve(0))
            .collect();
        if sequences.contains(&sequence) {
            println!("  the same commands as an earlier case: not written again");
            continue;
        }
        sequences.push(sequence);
        let found_in = Provenance {
            protocol: d.protocol,
            ..provenance.clone()
        };
        let file = written::case_file(PathBuf::new(), &shrunk, d, &found_in);
        let stem = format!(
            "{} {} {} vs {}",
            provenance.identity,
            shrunk
                .commands
                .last()
                .map(|s| s.op.name())
                .unwrap_or_default(),
            gist(&last.expected),
            gist(&last.actual)
        );
        let path = written::write_new(&request.out, &stem, &file)
            .with_context(|| format!("writing a case under {}", request.out.display()))?;
        println!("  wrote {}", path.display());
        written.push(path);
    }
    Ok(written)
}

/// Runs each written case on the engine (must pass) and on the target (should fail), in
/// both protocols, and says so.
fn verify(files: &[PathBuf], request: &FuzzRequest) {
    let state = RunState::new();
    let options = RunOptions {
        allow_debug: request.allow_debug,
        errors: request.errors,
        details: request.details,
        ..RunOptions::default()
    };
    for path in files {
        let file = match crate::cases::format::load(path) {
            Ok(f) => f,
            Err(e) => {
                println!("{}: does not load: {e}", path.display());
                continue;
            }
        };
        let mut verdicts = Vec::new();
        for protocol in [Protocol::Resp2, Protocol::Resp3] {
            let mut engine = EmbeddedTarget::new(protocol);
            let on_engine = runner::run_case(&mut engine, &file, 0, &state, &options).outcome;
            let on_target = match NetworkTarget::connect_with(
                &request.target,
                Some(protocol),
                &request.connect,
            ) {
                Ok(mut t) => verdict(&runner::run_case(&mut t, &file, 0, &state, &options).outcome),
                Err(e) => format!("not run ({e})"),
            };
            verdicts.push(format!(
                "RESP{}: engine {}, target {on_target}",
                protocol.version(),
                verdict(&on_engine)
            ));
        }
        println!("{}: {}", path.display(), verdicts.join("; "));
    }
}

fn verdict(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Pass => "passes".into(),
        Outcome::Fail(_) => "fails".into(),
        Outcome::Skipped { reason } => format!("skipped ({reason})"),
        Outcome::Aborted { error, .. } => format!("aborted ({error})"),
    }
}

/// The commands of `swarm` the server does not have: it answers their bare name with
/// `ERR unknown command` (not the arity error a known command gets).
fn unsupported(target: &mut dyn Target, swarm: &Swarm) -> anyhow::Result<Vec<&'static str>> {
    let probes: Vec<Vec<Vec<u8>>> = swarm
        .enabled
        .iter()
        .map(|c| vec![c.as_bytes().to_vec()])
        .collect();
    let replies = target.call_batch(&probes)?;
    Ok(swarm
        .enabled
        .iter()
        .zip(replies)
        .filter(|(_, r)| matches!(r, Reply::Error(e) if e.starts_with("ERR unknown command")))
        .map(|(c, _)| *c)
        .collect())
}

/// Freezes active expiry with DEBUG SET-ACTIVE-EXPIRE 0 (Redis, and servers that copy it,
/// such as Valkey). False, with a note, where the server refuses.
fn freeze_expiry(target: &mut dyn Target) -> anyhow::Result<bool> {
    let reply = target.call(&words(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]))?;
    if reply.is_error() {
        eprintln!("  --allow-debug: DEBUG SET-ACTIVE-EXPIRE 0 failed ({reply}); expiry stays on");
        return Ok(false);
    }
    Ok(true)
}

/// Deletes the run's pool keys, on a fresh connection if the run's own broke.
fn delete_keys(
    target: &mut dyn Target,
    keys: &[Vec<u8>],
    request: &FuzzRequest,
) -> anyhow::Result<()> {
    if runner::safety::delete_keys(target, keys).is_ok() {
        return Ok(());
    }
    let mut fresh = connect(request, Protocol::Resp2)?;
    runner::safety::delete_keys(&mut *fresh, keys)?;
    Ok(())
}

/// A connection to the server, pipelining raw RESP with bounded replies (see `targets::wire`).
fn connect(request: &FuzzRequest, protocol: Protocol) -> anyhow::Result<Box<dyn Target + Send>> {
    Ok(Box::new(NetworkTarget::connect_with(
        &request.target,
        Some(protocol),
        &request.connect,
    )?))
}

/// Per command: calls, error replies, and each option word with how often the command
/// then succeeded (`!` marks one that never did).
pub fn stats_table(report: &DiffReport, swarm: &Swarm) -> String {
    let mut out = format!(
        "{:<14} {:>8} ({:>8} {:>8}) {:>9}  options (sent/succeeded)\n",
        "command", "calls", "RESP2", "RESP3", "errors"
    );
    for (name, stats) in &report.per_command {
        let options: Vec<String> = stats
            .options
            .iter()
            .map(|(o, s)| {
                format!(
                    "{o} {}/{}{}",
                    s.calls,
                    s.ok,
                    if s.ok == 0 { "!" } else { "" }
                )
            })
            .collect();
        out.push_str(&format!(
            "{name:<14} {:>8} ({:>8} {:>8}) {:>9}  {}\n",
            stats.calls,
            stats.by_protocol[0],
            stats.by_protocol[1],
            stats.errors,
            options.join(", ")
        ));
    }
    let never: Vec<&str> = swarm
        .enabled
        .iter()
        .filter(|c| !report.per_command.contains_key(**c))
        .copied()
        .collect();
    if !never.is_empty() {
        out.push_str(&format!("never sent: {}\n", never.join(" ")));
    }
    out
}

/// The fuzz run's coverage map (see [`crate::coverage::Demand::Generated`]) over the
/// commands it could send: a count, then each entry it missed.
pub fn coverage_lines(report: &DiffReport, swarm: &Swarm) -> String {
    let demand = crate::coverage::Demand::Generated { key_paths: true };
    let gaps = fuzz_coverage_gaps(report, swarm, demand);
    let (all, met) = report.coverage.counts(demand);
    let mut out = format!(
        "coverage: {met} of {all} (command, keyword/value class/reply path/protocol) entries \
         met; {} gaps among the commands enabled\n",
        gaps.len()
    );
    for gap in gaps {
        out.push_str(&format!("  coverage gap: {gap}\n"));
    }
    out
}

/// The coverage gaps of a fuzz run among the commands `swarm` could send.
pub fn fuzz_coverage_gaps(
    report: &DiffReport,
    swarm: &Swarm,
    demand: crate::coverage::Demand,
) -> Vec<String> {
    report
        .coverage
        .gaps(demand)
        .into_iter()
        .filter(|gap| {
            let name = gap.split(' ').next().unwrap_or("");
            swarm.enabled.iter().any(|c| c.eq_ignore_ascii_case(name))
        })
        .collect()
}

/// Commands compared in each protocol (and why RESP3 had none, if the server refused it).
pub fn protocol_line(report: &DiffReport, resp3_refused: Option<&str>) -> String {
    let [two, three] = report.compared_by_protocol;
    let mut line = format!("compared per protocol: RESP2 {two}, RESP3 {three}");
    if let Some(why) = resp3_refused {
        line.push_str(&format!(" (RESP3 not available: {why})"));
    }
    line
}

/// Kinds of divergence per class, worst first: the order they are shrunk and written in.
pub fn class_line(report: &DiffReport) -> String {
    let counts = report.kinds_per_class();
    let parts: Vec<String> = crate::fuzz::driver::Class::ALL
        .iter()
        .zip(counts)
        .map(|(class, n)| format!("{} {n}", class.label()))
        .collect();
    format!("kinds per class: {}", parts.join(", "))
}

fn print_divergence(d: &Divergence, prefix: &[u8], style: Style) {
    println!(
        "  command #{} of the run, {} earlier on its key{}:",
        d.index,
        d.window.len().saturating_sub(1),
        if d.complete {
            ""
        } else {
            " (window truncated)"
        }
    );
    for argv in d.history.iter().rev().take(3).rev() {
        println!("    {}", show(argv, prefix));
    }
    println!("  > {}", show(&d.argv, prefix));
    print!(
        "{}",
        indent(&report::diff(
            &d.expected.to_string(),
            &d.actual.to_string(),
            style
        ))
    );
}

/// A reply in a few words, for file names: an error's text, else its kind.
fn gist(reply: &Reply) -> String {
    match reply {
        Reply::Error(e) => {
            let text = e.strip_prefix("ERR ").unwrap_or(e);
            text.split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ")
        }
        Reply::Integer(_) => "integer".into(),
        Reply::Bulk(_) => "bulk".into(),
        Reply::Null | Reply::NullArray => "null".into(),
        Reply::Array(_) => "array".into(),
        Reply::Map(_) => "map".into(),
        Reply::Set(_) => "set".into(),
        _ => "reply".into(),
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

fn style_bold(style: Style, text: &str) -> String {
    if style.color {
        format!("\x1b[1m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// A command as redis-cli would take it, keys without the run's prefix.
fn show(argv: &[Vec<u8>], prefix: &[u8]) -> String {
    argv.iter()
        .map(|a| crate::cases::format::display_word(a.strip_prefix(prefix).unwrap_or(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn rerun_line(request: &FuzzRequest, seed: u64, swarm: &Swarm) -> String {
    let length = match request.length {
        Length::Ops(n) => format!("--ops {n}"),
        Length::Time(d) => format!("--duration {}s", d.as_secs()),
    };
    // The credentials are left out: put them back (or pass the URL from a secret) to rerun.
    let mut line = format!(
        "hashcheck fuzz --target {} --seed {seed}",
        crate::targets::redact(&request.target)
    );
    if let Some(p) = request.protocol {
        line.push_str(&format!(" --resp {}", p.version()));
    }
    line.push_str(&format!(" {length}"));
    if request.details == Details::Strict {
        line.push_str(" --details strict");
    }
    if request.commands.is_some() {
        line.push_str(&format!(" --commands {}", swarm.enabled.join(",")));
    }
    if request.allow_debug {
        line.push_str(" --allow-debug");
    }
    if request.jobs > 1 {
        line.push_str(&format!(" --jobs {}", request.jobs));
    }
    match request.errors {
        ErrorMatch::Exact => {}
        ErrorMatch::Code => line.push_str(" --errors code"),
        ErrorMatch::Any => line.push_str(" --errors any"),
    }
    line
}

fn words(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|w| w.as_bytes().to_vec()).collect()
}

fn random_seed() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut rng = Rng::seeded(now.as_nanos() as u64 ^ (u64::from(std::process::id()) << 32));
    rng.next_u64() >> 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_checked_and_the_default_is_every_command() {
        let names = vec!["hset".to_string(), "HGETEX".to_string(), "hset".to_string()];
        assert_eq!(
            choose_commands(Some(&names)).unwrap().enabled,
            ["HGETEX", "HSET"]
        );
        let err = choose_commands(Some(&["HSETT".to_string()])).unwrap_err();
        assert!(err.to_string().contains("HSETT"), "{err}");
        let all = choose_commands(Some(&["all".to_string()])).unwrap();
        assert_eq!(all.enabled.len(), COMMANDS.len());
        // No list: every command, for the generator to draw subsets from.
        assert_eq!(choose_commands(None).unwrap().enabled.len(), COMMANDS.len());
    }
}
