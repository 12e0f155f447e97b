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
//! The subcommand's steps are in `cmd/fuzz.rs`; this module holds the run's settings, its
//! lanes and what it prints about them.
//!
//! Memory stays flat over long runs: the driver keeps a bounded window of commands per key
//! (emptied at each DEL of the key; the generator deletes each key every [`RESET_EVERY`]
//! commands on it) and one window per kind of divergence.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use reference_engine::rng::Rng;
use reference_engine::{Protocol, Reply};

use crate::cases::runner::{self, Details};
use crate::compare::ErrorMatch;
use crate::fuzz::gen::{GenConfig, Swarm, COMMANDS};
use crate::targets::{ConnectOptions, Target};

pub mod lanes;
mod summary;

pub use summary::{class_line, coverage_lines, fuzz_coverage_gaps, protocol_line, stats_table};

/// Each key is deleted after this many commands on it, so a divergence replays from an
/// empty key within this many commands.
pub const RESET_EVERY: usize = 1_000;
const KEYS: usize = 8;
/// Without `--commands`, each lane enables a random subset of the commands and draws a new
/// one every this many commands (swarm testing): a subset lets some states grow that
/// others would cut short (no HDEL, no DEL), and redrawing covers every command within a
/// short run (at 100,000 commands/s, two subsets a second).
pub const SWARM_EVERY: usize = 50_000;
/// Commands per pipelined batch.
pub const BATCH: usize = 256;
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
    /// The number of the first lane (`--lanes-from`): this run is lanes `lanes_from ..
    /// lanes_from + jobs` of the seed, so machines given disjoint ranges of one seed run
    /// disjoint lanes.
    pub lanes_from: usize,
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

/// The commands of `swarm` the server does not have: it answers their bare name with
/// `ERR unknown command` (not the arity error a known command gets).
pub fn unsupported(target: &mut dyn Target, swarm: &Swarm) -> anyhow::Result<Vec<&'static str>> {
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
pub fn freeze_expiry(target: &mut dyn Target) -> anyhow::Result<bool> {
    let reply = target.call(&words(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]))?;
    if reply.is_error() {
        eprintln!("  --allow-debug: DEBUG SET-ACTIVE-EXPIRE 0 failed ({reply}); expiry stays on");
        return Ok(false);
    }
    Ok(true)
}

/// Deletes the run's pool keys, on a fresh connection if the run's own broke.
pub fn delete_keys(
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

/// Switches active expiry back on, on a fresh connection (best effort: the run is over).
pub fn thaw_expiry(request: &FuzzRequest) {
    if let Ok(mut fresh) = connect(request, Protocol::Resp2) {
        let _ = fresh.call(&words(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]));
    }
}

/// A connection to the server (or to each node of a cluster), pipelining raw RESP with
/// bounded replies (see `targets::wire`).
pub fn connect(
    request: &FuzzRequest,
    protocol: Protocol,
) -> anyhow::Result<Box<dyn Target + Send>> {
    Ok(crate::targets::open_network(
        &request.target,
        Some(protocol),
        &request.connect,
    )?)
}

/// The command line that runs the same commands again.
pub fn rerun_line(request: &FuzzRequest, seed: u64, swarm: &Swarm) -> String {
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
    if request.lanes_from > 0 {
        line.push_str(&format!(" --lanes-from {}", request.lanes_from));
    }
    match request.errors {
        ErrorMatch::Exact => {}
        ErrorMatch::Code => line.push_str(" --errors code"),
        ErrorMatch::Any => line.push_str(" --errors any"),
    }
    line
}

pub fn words(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// A seed for a run given none: from the time and the process id.
pub fn random_seed() -> u64 {
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
