//! `hashcheck fuzz`: what the subcommand does, step by step (see [`crate::fuzz::campaign`]
//! for what a run is): check the server and choose the commands, run the lanes, print what
//! they did, then shrink, write and check each kind of divergence.

use std::time::{Duration, Instant};

use anyhow::bail;
use reference_engine::Protocol;

use crate::cases::runner::{self, Details};
use crate::fuzz::campaign::lanes::{self, Lane, Ran};
use crate::fuzz::campaign::{
    choose_commands, class_line, connect, coverage_lines, delete_keys, first_protocol,
    freeze_expiry, gen_config, protocol_line, random_seed, rerun_line, stats_table, thaw_expiry,
    unsupported, FuzzRequest, Length, BATCH, PROTOCOL_EVERY, RESET_EVERY, SWARM_EVERY,
};
use crate::fuzz::driver::{DiffConfig, DiffReport};
use crate::fuzz::gen::{Generator, Swarm};
use crate::fuzz::written::Provenance;
use crate::targets::{ServerIdentity, Target};

mod found;

/// Runs the fuzzer. `Ok(true)`: no divergence.
pub fn execute(request: &FuzzRequest) -> anyhow::Result<bool> {
    crate::interrupt::install();
    let seed = request.seed.unwrap_or_else(random_seed);
    let swarm = choose_commands(request.commands.as_deref())?;
    let mut target = connect(
        request,
        first_protocol(request.protocol, request.lanes_from),
    )?;
    let target = &mut *target;
    let setup = prepare(target, request, swarm)?;
    // A second Ctrl-C exits at once: active expiry is switched back on even then.
    let _thaw_on_exit = setup.frozen.then(|| {
        let request = request.clone();
        crate::interrupt::on_forced_exit(Box::new(move || thaw_expiry(&request)))
    });
    let run = RunKeys::new(seed, request.jobs, request.lanes_from);
    let config = diff_config(request, setup.frozen);
    announce(target, request, &setup, seed);

    let started = Instant::now();
    let (ran, pool_keys) = run_lanes(target, request, &setup, &config, &run)?;
    let cleanup = delete_keys(target, &pool_keys, request);
    if setup.frozen && (ran.failure.is_some() || cleanup.is_err()) {
        // The run is over either way: best effort, on a fresh connection.
        thaw_expiry(request);
    }
    let Ran {
        report,
        interrupted,
        failure,
        compared_while_running,
        running,
    } = ran;
    print_run(
        &report,
        &setup,
        compared_while_running,
        running,
        started.elapsed(),
    );
    if let Some(e) = failure {
        found::print_all(&report, run.prefix().as_bytes());
        if let Err(c) = &cleanup {
            eprintln!(
                "hashcheck: the run's keys ({}*) may remain: {c:#}",
                run.prefix()
            );
        }
        return Err(anyhow::Error::new(e).context(format!(
            "the run stopped after {} commands compared, {} divergences",
            report.compared, report.divergence_count
        )));
    }
    cleanup?;

    let provenance = provenance(request, &setup, seed, &run);
    let written =
        found::shrink_and_write(target, &report, &config, &provenance, request, interrupted)?;
    if setup.frozen {
        target.call(&crate::fuzz::campaign::words(&[
            "DEBUG",
            "SET-ACTIVE-EXPIRE",
            "1",
        ]))?;
    }
    found::verify(&written, request);
    print_outcome(&report, written.len(), request);
    if interrupted {
        bail!("interrupted");
    }
    Ok(report.divergence_count == 0)
}

/// What the run learned about the server before it started.
struct Setup {
    swarm: Swarm,
    /// Commands the server does not have, left out.
    lacking: Vec<&'static str>,
    identity: ServerIdentity,
    /// The one protocol of the run, if pinned (by `--resp`, or by a server without RESP3).
    pinned: Option<Protocol>,
    resp3_refused: Option<String>,
    /// Background expiry frozen with DEBUG for the run.
    frozen: bool,
}

/// Refuses a database with keys (unless allowed), leaves out the commands the server does
/// not have, checks RESP3, and freezes active expiry if `--allow-debug`.
fn prepare(
    target: &mut (dyn Target + Send),
    request: &FuzzRequest,
    mut swarm: Swarm,
) -> anyhow::Result<Setup> {
    if !request.allow_nonempty {
        refuse_keys(target)?;
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
    Ok(Setup {
        swarm,
        lacking,
        identity,
        pinned,
        resp3_refused,
        frozen,
    })
}

/// Fails unless the database is known to be empty.
fn refuse_keys(target: &mut (dyn Target + Send)) -> anyhow::Result<()> {
    match runner::safety::contents(target)? {
        runner::safety::Contents::Empty => Ok(()),
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

/// The run's keys and seeds: one id for the run, a prefix and a seed per lane. Lanes are
/// numbered from `--lanes-from` (`first`), so machines sharing a seed run disjoint lanes.
struct RunKeys {
    seed: u64,
    id: String,
    jobs: usize,
    first: usize,
}

impl RunKeys {
    fn new(seed: u64, jobs: usize, first: usize) -> Self {
        Self {
            seed,
            id: format!("{:x}", random_seed() & 0xffff_ffff),
            jobs: jobs.max(1),
            first,
        }
    }

    /// The lanes this run runs, by their numbers in the seed.
    fn lanes(&self) -> std::ops::Range<usize> {
        self.first..self.first + self.jobs
    }

    /// What every lane's keys start with (`j1:k3` names lane 1's key k3 in a case).
    fn prefix(&self) -> String {
        format!("hc:fz:{}:", self.id)
    }

    /// One lane keeps the plain prefix, so cases from a one-lane run name keys as before.
    /// On a cluster each lane's keys carry a hash tag (`{j0}:`), so a lane's keys share one
    /// slot: multi-key commands work on them, and a slot migration moves them together.
    fn lane_prefix(&self, lane: usize, cluster: bool) -> Vec<u8> {
        match (self.jobs, self.first, cluster) {
            (_, _, true) => format!("{}{{j{lane}}}:", self.prefix()).into_bytes(),
            (1, 0, false) => self.prefix().into_bytes(),
            _ => format!("{}j{lane}:", self.prefix()).into_bytes(),
        }
    }

    /// Lane 0 runs on the seed itself, so --jobs 1 sends what it always did.
    fn lane_seed(&self, lane: usize) -> u64 {
        self.seed ^ (lane as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
}

/// The driver's settings for a fuzz run against a server.
fn diff_config(request: &FuzzRequest, frozen: bool) -> DiffConfig {
    DiffConfig {
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
    }
}

/// The run's first lines: the server, protocols, seed, and the commands.
fn announce(target: &dyn Target, request: &FuzzRequest, setup: &Setup, seed: u64) {
    let protocol_name = match setup.pinned {
        Some(p) => format!("RESP{}", p.version()),
        None => format!("RESP2 and RESP3 (each lane switches every {PROTOCOL_EVERY} commands)"),
    };
    eprintln!(
        "hashcheck fuzz: {} ({}), {protocol_name}, details {}, seed {seed}, \
         background expiry {}",
        target.name(),
        setup.identity,
        request.details.resolve(false).name(),
        if setup.frozen { "frozen (DEBUG)" } else { "on" }
    );
    if request.lanes_from > 0 || request.jobs > 1 {
        eprintln!(
            "  lanes {}..={} of seed {seed}",
            request.lanes_from,
            request.lanes_from + request.jobs - 1
        );
    }
    let swarm = &setup.swarm;
    match request.commands {
        Some(_) => eprintln!("  commands: {}", swarm.enabled.join(" ")),
        None => eprintln!(
            "  commands: random subsets of these, a new one every {SWARM_EVERY} commands \
             (swarm testing; --commands all for every one at once): {}",
            swarm.enabled.join(" ")
        ),
    }
    if !setup.lacking.is_empty() {
        eprintln!("  not on the server, left out: {}", setup.lacking.join(" "));
    }
}

/// Connects the other lanes and runs them all; returns what they did and every pool key.
fn run_lanes(
    target: &mut (dyn Target + Send),
    request: &FuzzRequest,
    setup: &Setup,
    config: &DiffConfig,
    run: &RunKeys,
) -> anyhow::Result<(Ran, Vec<Vec<u8>>)> {
    let jobs = run.jobs;
    let mut extra = Vec::new();
    for lane in run.lanes().skip(1) {
        extra.push(connect(request, first_protocol(setup.pinned, lane))?);
    }
    let redraw = request.commands.is_none().then_some(SWARM_EVERY);
    let cluster = target.is_cluster();
    let gens: Vec<Generator> = run
        .lanes()
        .map(|lane| {
            let config = gen_config(run.lane_prefix(lane, cluster), redraw);
            Generator::new(run.lane_seed(lane), config, setup.swarm.clone())
        })
        .collect();
    let pool_keys: Vec<Vec<u8>> = gens.iter().flat_map(Generator::pool_keys).collect();
    let targets = std::iter::once(target).chain(extra.iter_mut().map(|t| &mut **t));
    let lanes = targets
        .zip(gens)
        .zip(run.lanes())
        .enumerate()
        .map(|(local, ((target, gen), lane))| Lane {
            target,
            gen,
            seed: run.lane_seed(lane),
            switch_protocol: setup.pinned.is_none(),
            length: lane_length(request.length, local, jobs),
        })
        .collect();
    let ran = lanes::run(lanes, config, request);
    drop(extra);
    Ok((ran, pool_keys))
}

/// Lane `lane`'s share of the run: a count split evenly (lane 0 takes the rest), or the
/// same time for every lane.
fn lane_length(length: Length, lane: usize, jobs: usize) -> Length {
    match length {
        Length::Ops(n) => {
            let share = n / jobs as u64;
            Length::Ops(if lane == 0 {
                n - share * (jobs as u64 - 1)
            } else {
                share
            })
        }
        time => time,
    }
}

/// Per-command counts, protocols, coverage and rates of the run.
fn print_run(
    report: &DiffReport,
    setup: &Setup,
    compared_while_running: usize,
    running: Duration,
    elapsed: Duration,
) {
    print!("{}", stats_table(report, &setup.swarm));
    println!("{}", protocol_line(report, setup.resp3_refused.as_deref()));
    print!("{}", coverage_lines(report, &setup.swarm));
    println!(
        "{compared_while_running} commands compared in {:.1} s ({:.0}/s), then {} more in {:.1} s \
         (held commands and the final reconciliation, after every deadline passed); \
         {} reconciliation reads, {} deadlines passed, {} ms slept waiting for deadlines",
        running.as_secs_f64(),
        compared_while_running as f64 / running.as_secs_f64().max(1e-9),
        report.compared - compared_while_running,
        (elapsed - running).as_secs_f64(),
        report.reconciled,
        report.deadlines_passed,
        report.waited_ms
    );
}

/// Where the run's cases say they came from.
fn provenance(request: &FuzzRequest, setup: &Setup, seed: u64, run: &RunKeys) -> Provenance {
    Provenance {
        seed,
        // Case files are committed: the address only, never the URL's credentials.
        target: crate::targets::redact(&request.target),
        identity: setup.identity.clone(),
        // Each case says the protocol its divergence was found in (see shrink_and_write).
        protocol: first_protocol(setup.pinned, 0),
        // Every lane's keys start with it (`j1:k3` names lane 1's key k3 in a case).
        key_prefix: run.prefix().into_bytes(),
        rerun: rerun_line(request, seed, &setup.swarm),
        errors: request.errors,
    }
}

/// The run's last lines: how many divergences, and of which classes.
fn print_outcome(report: &DiffReport, written: usize, request: &FuzzRequest) {
    if report.divergence_count == 0 {
        println!("no divergence");
    } else {
        println!(
            "{} divergences of {} kinds; {written} written under {}",
            report.divergence_count,
            report.kinds.len(),
            request.out.display()
        );
        println!("{}", class_line(report));
    }
}
