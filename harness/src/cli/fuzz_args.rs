//! The flags of `fuzz`, `replay`, `serve` and `coverage`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use reference_engine::Protocol;

use super::args::{parse_duration, ConnectionArgs, DetailsChoice, ErrorsChoice};
use crate::cmd::replay::ReplayRequest;
use crate::cmd::serve::ServeOptions;
use crate::fuzz::campaign::{FuzzRequest, Length};
use crate::fuzz::libfuzzer::replay::Kind as ReplayKind;

/// Flags of `hashcheck coverage`.
#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Case files or directories (default: cases/).
    pub paths: Vec<PathBuf>,
    /// Print only the summary and the unexercised entries, not every entry.
    #[arg(long)]
    pub gaps_only: bool,
}

/// Flags of `hashcheck fuzz`.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// The server to check, as redis://, rediss:// or host:port; a Redis Cluster as any of
    /// its nodes, or a comma-separated list of them (see docs/cluster.md).
    #[arg(long, value_name = "URL|HOST:PORT")]
    pub target: String,
    /// The run's seed: the same seed sends the same commands (default: random, printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop after this many generated commands.
    #[arg(long, value_name = "N", conflicts_with = "duration")]
    pub ops: Option<u64>,
    /// Stop after this long: 60s, 10m, 1h, 500ms (default 60s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// Pin one protocol. By default each lane switches between RESP2 and RESP3 every
    /// few thousand commands, so every run checks both.
    #[arg(long, value_enum)]
    pub resp: Option<ProtocolChoice>,
    /// Where to write the shrunk reproductions, one YAML case file each.
    #[arg(long, value_name = "DIR", default_value = "fuzz-out")]
    pub out: PathBuf,
    /// Only these commands, comma-separated (`HSET,HGETEX`, or `all`); default: a random
    /// subset chosen by the seed.
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub commands: Option<Vec<String>>,
    /// Freeze background expiry for the run (DEBUG SET-ACTIVE-EXPIRE 0, set back to 1 at
    /// the end), so expired fields stay until touched.
    #[arg(long)]
    pub allow_debug: bool,
    /// Shrink and write at most this many kinds of divergence, the worst first: a wrong
    /// value or type, then a missing or extra error, then another error text. Once that
    /// many are found the run looks on for worse ones until it is 10 times as old, or
    /// stops at once if all are wrong values.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_cases: u16,
    /// Time allowed for shrinking each divergence.
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = parse_duration)]
    pub shrink_time: std::time::Duration,
    /// How error replies are compared: `any` looks past error texts for other differences.
    #[arg(long, value_enum, default_value = "exact")]
    pub errors: ErrorsChoice,
    /// Whether Redis's own choices where its contract leaves freedom are compared: `strict`
    /// also compares the order of HGETALL/HKEYS/HVALS on small hashes (for Redis itself).
    /// The default (`auto` = `legal` on a server) compares only what Redis promises.
    #[arg(long, value_enum, default_value = "auto")]
    pub details: DetailsChoice,
    /// Parallel lanes, each on its own connection with its own keys, engine and seed
    /// (lane 0 runs on --seed itself). More lanes keep the server busier.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Let each lane sleep as soon as it waits for replies, instead of first polling its
    /// socket for up to 200 us (less CPU on a shared machine; slower against a local server).
    #[arg(long)]
    pub no_busy_poll: bool,
    /// Number the lanes from K (default 0), to spread one seed over machines: with the same
    /// --seed and --jobs J, machine M (from 0) passes --lanes-from M*J, so each lane of the
    /// seed runs once, on one machine. `hashcheck merge` then keeps one written case per
    /// kind of divergence. Needs --seed.
    #[arg(long, value_name = "K", requires = "seed", value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub lanes_from: Option<u32>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `fuzz --resp`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProtocolChoice {
    #[value(name = "2")]
    Two,
    #[value(name = "3")]
    Three,
}

/// Flags of `hashcheck replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The artifact: the bytes of an input the fuzz target crashed on
    /// (`fuzz/artifacts/<target>/crash-...`).
    pub file: PathBuf,
    /// Write the case here instead of to standard output.
    #[arg(long, value_name = "CASE.yaml")]
    pub out: Option<PathBuf>,
    /// The target the artifact belongs to (default: from its path, else engine).
    #[arg(long, value_enum)]
    pub target: Option<FuzzTargetChoice>,
}

/// `replay --target`
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FuzzTargetChoice {
    Engine,
    Differential,
}

/// Flags of `hashcheck serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Port to listen on; 0 picks a free one (the startup line says which).
    #[arg(long, default_value_t = 6380)]
    pub port: u16,
    /// Seed for HRANDFIELD's random choices.
    #[arg(long)]
    pub seed: Option<u64>,
}

impl ReplayArgs {
    /// What the flags ask of `hashcheck replay`.
    pub fn request(self) -> ReplayRequest {
        ReplayRequest {
            artifact: self.file,
            out: self.out,
            kind: self.target.map(|t| match t {
                FuzzTargetChoice::Engine => ReplayKind::Engine,
                FuzzTargetChoice::Differential => ReplayKind::Differential,
            }),
        }
    }
}

impl FuzzArgs {
    /// What the flags ask of `hashcheck fuzz`.
    pub fn request(self) -> FuzzRequest {
        FuzzRequest {
            target: self.target,
            seed: self.seed,
            length: match (self.ops, self.duration) {
                (Some(n), _) => Length::Ops(n),
                (None, Some(d)) => Length::Time(d),
                (None, None) => Length::Time(std::time::Duration::from_secs(60)),
            },
            protocol: self.resp.map(|p| match p {
                ProtocolChoice::Two => Protocol::Resp2,
                ProtocolChoice::Three => Protocol::Resp3,
            }),
            out: self.out,
            commands: self.commands,
            allow_debug: self.allow_debug,
            connect: crate::targets::ConnectOptions {
                busy_poll: !self.no_busy_poll,
                ..self.connection.options()
            },
            allow_nonempty: self.connection.allow_nonempty,
            max_cases: usize::from(self.max_cases),
            shrink_time: self.shrink_time,
            errors: self.errors.into(),
            details: self.details.into(),
            jobs: usize::from(self.jobs),
            lanes_from: self.lanes_from.unwrap_or(0) as usize,
        }
    }
}

impl ServeArgs {
    /// What the flags ask of `hashcheck serve`.
    pub fn request(self) -> ServeOptions {
        ServeOptions {
            bind: self.bind,
            port: self.port,
            seed: self.seed,
        }
    }
}
