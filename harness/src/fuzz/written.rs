//! A shrunk divergence as a ready-to-commit case file.
//!
//! The case says where it came from (header comments and the case's note: seed, target,
//! server version as INFO reported it, protocol, how to rerun the fuzz run), sends the
//! shrunk commands on an unprefixed key, and waits where the replay schedule waited. The
//! expected replies are the reference engine's, computed by running the steps on a fresh
//! engine in each protocol (one expectation where RESP2 is RESP3 projected, else
//! `{resp2, resp3}`). Times stay relative (`{unix_s}`/`{unix_ms}`) unless the case wrote
//! them as literals, so the case means the same thing tomorrow.

use std::path::{Path, PathBuf};

use reference_engine::resp::canonical;
use reference_engine::{Clock, ManualClock, Protocol, Reply, SystemClock};

use crate::cases::format::{self, Arg, Capability, Case, CaseFile, Expect, Order, Send, Step};
use crate::compare::policy::{self, Context, Overrides, Probe, Source};
use crate::compare::{ErrorMatch, Policy};
use crate::fuzz::driver::{Divergence, Sent};
use crate::fuzz::gen;
use crate::fuzz::shrink::Shrunk;
use crate::targets::ClockKind;
use crate::targets::{EmbeddedTarget, ServerIdentity, Target};
use reference_engine::command::grammar::TimeArg;
use reference_engine::command::ReplyPolicy;

/// The header line that names a written case's kind of divergence, before the signature.
pub const SIGNATURE: &str = "# Signature: ";

/// Where a reproduction came from.
#[derive(Debug, Clone)]
pub struct Provenance {
    pub seed: u64,
    /// The target as given on the command line (`127.0.0.1:6379`).
    pub target: String,
    pub identity: ServerIdentity,
    pub protocol: Protocol,
    /// The run's key prefix, stripped from keys in the case.
    pub key_prefix: Vec<u8>,
    /// The command line that reruns the fuzz run.
    pub rerun: String,
    /// How the run compared error replies; steps that expect an error say so when it was
    /// not by their whole text.
    pub errors: ErrorMatch,
}

/// The case file for `shrunk`, a reduction of `original`, to be written at `path`.
pub fn case_file(
    path: PathBuf,
    shrunk: &Shrunk,
    original: &Divergence,
    provenance: &Provenance,
) -> CaseFile {
    let command = shrunk
        .commands
        .last()
        .map(|s| s.op.name())
        .unwrap_or_default();
    let divergence = shrunk.divergence.as_ref().unwrap_or(original);
    let server = describe(&provenance.identity);
    let mut steps = Vec::new();
    let mut previous = 0;
    for (i, (sent, &at)) in shrunk.commands.iter().zip(&shrunk.offsets).enumerate() {
        if at > previous {
            steps.push(Step::Wait {
                ms: (at - previous) as u64,
                line: 0,
                note: None,
            });
            previous = at;
        }
        let last = i + 1 == shrunk.commands.len();
        steps.push(Step::Send(Send {
            args: case_args(&sent.op, &provenance.key_prefix),
            order: (last && divergence.policy == Policy::Exact && is_listing(&command))
                .then_some(Order::Exact),
            ttl_within: match &divergence.policy {
                Policy::TtlWithin { tolerance } if last => Some(*tolerance),
                // Seconds right after the commands that set them: exact, so that a server
                // rounding the other way fails the case (the default allows one second).
                Policy::TtlSeconds { .. } if last => Some(0),
                _ => None,
            },
            ..Send::default()
        }));
    }
    fill_expectations(&mut steps);
    if provenance.errors != ErrorMatch::Exact {
        for step in &mut steps {
            if let Step::Send(send) = step {
                if matches!(&send.expect, Some(Expect::Error(_))) {
                    send.errors = Some(provenance.errors);
                }
            }
        }
    }
    let mut requires = Vec::new();
    if crosses_a_deadline(&shrunk.commands) {
        requires.push(Capability::LazyExpiry);
    }
    let actual = one_line(&divergence.actual.to_string());
    let protocol = format!("RESP{}", provenance.protocol.version());
    let header = vec![
        format!(
            "# Found by `hashcheck fuzz` against {server} at {}, {protocol}, seed {}:",
            provenance.target, provenance.seed
        ),
        format!(
            "# {} commands on one key shrunk to {} in {} replays. Expected replies are the",
            original.window.len(),
            shrunk.commands.len(),
            shrunk.replays
        ),
        "# reference engine's (Redis 8.2.3). The target replied to the last step:".to_string(),
        format!("#   {actual}"),
        format!("# Rerun: {}", provenance.rerun),
        // The kind of divergence, as the run counted it: `hashcheck merge` keeps one case
        // per kind when it merges the findings of several machines.
        format!("{SIGNATURE}{}", original.signature),
    ];
    let lower = command.to_ascii_lowercase();
    CaseFile {
        path,
        header,
        source: format!("https://redis.io/docs/latest/commands/{lower}/"),
        behaviour: format!(
            "{command} replies as on Redis 8.2.3 ({server} differs: {})",
            divergence.mismatch.reason
        ),
        since: None,
        tags: vec!["fuzz".into(), lower, provenance.identity.product.clone()],
        cases: vec![Case {
            name: format!("{server}: {command} {}", divergence.mismatch.reason),
            line: 0,
            since: None,
            resp: vec![Protocol::Resp2, Protocol::Resp3],
            requires,
            note: Some(format!(
                "seed {}; {server} at {} in {protocol} replied {actual}",
                provenance.seed, provenance.target
            )),
            steps,
        }],
    }
}

/// Writes `file` under `dir` with a name made from `stem`, never over an existing file,
/// and checks that it loads back as the same cases. Returns the path written.
pub fn write_new(dir: &Path, stem: &str, file: &CaseFile) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stem = slug(stem);
    let mut path = dir.join(format!("{stem}.yaml"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{stem}-{n}.yaml"));
        n += 1;
    }
    let mut file = file.clone();
    file.path = path.clone();
    let text = format::write(&file);
    let back = format::load_str(&path, &text)
        .map_err(|e| anyhow::anyhow!("the reproduction does not load back: {e}"))?;
    anyhow::ensure!(
        back.without_lines() == file.without_lines(),
        "the reproduction does not load back as written"
    );
    std::fs::write(&path, text)?;
    Ok(path)
}

/// `valkey 9.1.2`, with the Redis version it claims when that differs.
fn describe(identity: &ServerIdentity) -> String {
    match &identity.redis_version {
        Some(v) if *v != identity.version => format!("{identity} (redis_version {v})"),
        _ => identity.to_string(),
    }
}

fn is_listing(command: &str) -> bool {
    matches!(
        policy::reply_of_name(command.as_bytes()),
        ReplyPolicy::Listing { .. }
    )
}

/// What a TTL command reads (its unit, and whether from the epoch); None for the others.
fn reading_of(command: &str) -> Option<TimeArg> {
    match policy::reply_of_name(command.as_bytes()) {
        ReplyPolicy::Ttl { reading, .. } => Some(reading),
        _ => None,
    }
}

fn one_line(text: &str) -> String {
    let joined: Vec<&str> = text.lines().map(str::trim).collect();
    let line = joined.join(" ");
    match line.char_indices().nth(200) {
        Some((at, _)) => format!("{}...", &line[..at]),
        None => line,
    }
}

/// A file-name stem: lower-case letters, digits and dashes.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(80).collect()
}

/// The command's arguments as the case writes them: the key without the run's prefix,
/// symbolic times as `{unix_ms}`/`{unix_s}`.
fn case_args(op: &gen::Op, key_prefix: &[u8]) -> Vec<Arg> {
    let key = op.key().map(<[u8]>::to_vec);
    op.args
        .iter()
        .map(|a| match a {
            gen::Arg::Bytes(b) if Some(b) == key.as_ref() => {
                Arg::Bytes(b.strip_prefix(key_prefix).unwrap_or(b).to_vec())
            }
            gen::Arg::Bytes(b) => Arg::Bytes(b.clone()),
            gen::Arg::UnixMsFromNow(d) => Arg::UnixMs(*d),
            // The generator rounds "now + d" up to a second, which is ceil(now) + d/1000
            // when d is whole seconds (it always is).
            gen::Arg::UnixSecsFromNow(d) => {
                Arg::UnixS(d.div_euclid(1000) + i64::from(d.rem_euclid(1000) != 0))
            }
        })
        .collect()
}

/// Whether some command saw a deadline set earlier in the list pass: the case then relies
/// on expired fields staying until touched.
fn crosses_a_deadline(commands: &[Sent]) -> bool {
    commands.iter().enumerate().any(|(i, setter)| {
        setter
            .deadline()
            .is_some_and(|(_, latest)| commands[i + 1..].iter().any(|later| later.sent_at > latest))
    })
}

/// Sets every send step's `expect` to the engine's reply.
///
/// The engine runs the steps twice, on clocks a second and a half apart (another second,
/// and another place in it), and each time in a reply is written in the form that reads
/// the same in both: a case must hold whenever it runs. Where no form does (a reading in ms of a deadline set in whole
/// seconds), the step allows a second either way.
fn fill_expectations(steps: &mut [Step]) {
    let start = SystemClock.now_ms().div_euclid(1000) * 1000 + 250;
    let resp2 = engine_replies(steps, Protocol::Resp2, start);
    let resp3 = engine_replies(steps, Protocol::Resp3, start);
    let shifted = engine_replies(steps, Protocol::Resp3, start + 1_500);
    for (i, step) in steps.iter_mut().enumerate() {
        let Step::Send(send) = step else {
            continue;
        };
        let (Some(r2), Some(r3)) = (&resp2[i], &resp3[i]) else {
            continue;
        };
        let now = r3.now;
        let command = send.command();
        let (like, phase_free) = time_shape(&command, r3, shifted[i].as_ref());
        let like = like.as_ref();
        send.expect = Some(if canonical(&r3.reply, Protocol::Resp2) == r2.reply {
            Expect::from_reply(&r3.reply, like, now)
        } else {
            Expect::PerProtocol {
                resp2: Box::new(Expect::from_reply(&r2.reply, like, now)),
                resp3: Box::new(Expect::from_reply(&r3.reply, like, now)),
            }
        });
        if !phase_free {
            let second = if reading_of(&command).is_some_and(|r| !r.millis) {
                1
            } else {
                1_000
            };
            send.ttl_within = Some(send.ttl_within.unwrap_or(0).max(second));
        }
    }
}

/// How the runner judges a written case on the engine (for which scans it walks).
fn case_context() -> Context {
    Context {
        strict: true,
        clock: ClockKind::Virtual,
        margin_ms: 0,
        source: Source::Case(Overrides::default()),
    }
}

/// A step's reply on the engine.
struct Ran {
    reply: Reply,
    /// The engine's time when it ran.
    now: i64,
    /// For HTTL and HEXPIRETIME, the same question in milliseconds (HPTTL, HPEXPIRETIME)
    /// just before: the readings in seconds are written with the milliseconds they round.
    millis: Option<Reply>,
}

/// Each step's reply on a fresh engine in `protocol`. HSCAN from cursor 0 is walked to the
/// end, as the case runner compares it.
fn engine_replies(steps: &[Step], protocol: Protocol, start: i64) -> Vec<Option<Ran>> {
    let clock = ManualClock::new(start);
    let mut engine = EmbeddedTarget::with_clock(protocol, clock.clone(), None);
    steps
        .iter()
        .map(|step| match step {
            Step::Wait { ms, .. } => {
                clock.advance(*ms as i64);
                None
            }
            Step::Send(send) => {
                let now = clock.now_ms();
                let argv: Vec<Vec<u8>> = send.args.iter().map(|a| a.resolve(now)).collect();
                // As the fuzzer asks it: the same reading in ms, for one in seconds.
                let millis = match reading_of(&send.command()) {
                    Some(r) if !r.millis => match Probe::Millis.command(&argv) {
                        Some(probe) => Some(engine.call(&probe).ok()?),
                        None => None,
                    },
                    _ => None,
                };
                let reply = engine.call(&argv).ok()?;
                let walks = policy::walks(&argv, &case_context());
                let reply = if walks {
                    crate::fuzz::driver::walk(&mut engine, &argv, reply).ok()?
                } else {
                    reply
                };
                Some(Ran { reply, now, millis })
            }
        })
        .collect()
}

/// How to write the numbers of a TTL reading so that the case holds whenever it runs, and
/// whether that form reads the same in `ran` and in `shifted` (the same step on a clock
/// a second and a half later). `None` for other commands: their replies do not move with time.
fn time_shape(command: &str, ran: &Ran, shifted: Option<&Ran>) -> (Option<Expect>, bool) {
    let Some(reading) = reading_of(command) else {
        return (None, true);
    };
    let (Reply::Array(items), Some(shifted)) = (&ran.reply, shifted) else {
        return (None, true);
    };
    let mut phase_free = true;
    let forms = (0..items.len())
        .map(|i| {
            let here = time_forms(reading, ran, i);
            let there = time_forms(reading, shifted, i);
            match here.iter().find(|form| there.contains(form)) {
                Some(form) => form.clone(),
                None => {
                    phase_free = false;
                    here[0].clone()
                }
            }
        })
        .collect();
    (Some(Expect::Array(forms)), phase_free)
}

/// The ways to write item `i` of a TTL reading, best first; the last is the literal
/// integer. HEXPIRETIME and HTTL in seconds keep the milliseconds they round (read from
/// HPEXPIRETIME/HPTTL), so the reading does not depend on where in its second it runs.
fn time_forms(reading: TimeArg, ran: &Ran, i: usize) -> Vec<Expect> {
    let Reply::Array(items) = &ran.reply else {
        return vec![Expect::Int(0)];
    };
    let Some(Reply::Integer(x)) = items.get(i) else {
        // Not a number: nothing moves with time.
        return vec![Expect::Int(0)];
    };
    let x = *x;
    let millis = match &ran.millis {
        Some(Reply::Array(ms)) => match ms.get(i) {
            Some(Reply::Integer(ms)) if *ms >= 0 && format::ceil_s(*ms) == x => Some(*ms),
            _ => None,
        },
        _ => None,
    };
    let mut forms = Vec::new();
    if x >= 0 {
        match (reading.absolute, reading.millis) {
            (true, false) => {
                forms.extend(millis.map(|ms| Expect::UnixMsInS(ms - ran.now)));
                forms.push(Expect::UnixS(x - format::unix_s(ran.now)));
            }
            (true, true) => forms.push(Expect::UnixMs(x - ran.now)),
            (false, false) => forms.extend(millis.map(Expect::MsInS)),
            // A relative reading in ms is written as it is.
            (false, true) => {}
        }
    }
    forms.push(Expect::Int(x));
    forms
}

#[cfg(test)]
mod tests;
