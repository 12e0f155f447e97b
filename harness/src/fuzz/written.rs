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
use crate::compare::{ErrorMatch, Policy};
use crate::fuzz::driver::{Divergence, Sent};
use crate::fuzz::gen;
use crate::fuzz::shrink::Shrunk;
use crate::targets::{EmbeddedTarget, ServerIdentity, Target};

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
    matches!(command, "HGETALL" | "HKEYS" | "HVALS")
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
            let second = if matches!(command.as_str(), "HTTL" | "HEXPIRETIME") {
                1
            } else {
                1_000
            };
            send.ttl_within = Some(send.ttl_within.unwrap_or(0).max(second));
        }
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
                let in_millis: Option<&[u8]> = match send.command().as_str() {
                    "HTTL" => Some(b"HPTTL"),
                    "HEXPIRETIME" => Some(b"HPEXPIRETIME"),
                    _ => None,
                };
                let millis = match in_millis {
                    Some(name) => {
                        let mut probe = argv.clone();
                        probe[0] = name.to_vec();
                        Some(engine.call(&probe).ok()?)
                    }
                    None => None,
                };
                let reply = engine.call(&argv).ok()?;
                let walks = send.command() == "HSCAN" && argv.get(2).is_some_and(|c| c == b"0");
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
    if !matches!(command, "HTTL" | "HPTTL" | "HEXPIRETIME" | "HPEXPIRETIME") {
        return (None, true);
    }
    let (Reply::Array(items), Some(shifted)) = (&ran.reply, shifted) else {
        return (None, true);
    };
    let mut phase_free = true;
    let forms = (0..items.len())
        .map(|i| {
            let here = time_forms(command, ran, i);
            let there = time_forms(command, shifted, i);
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
fn time_forms(command: &str, ran: &Ran, i: usize) -> Vec<Expect> {
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
        match command {
            "HEXPIRETIME" => {
                forms.extend(millis.map(|ms| Expect::UnixMsInS(ms - ran.now)));
                forms.push(Expect::UnixS(x - format::unix_s(ran.now)));
            }
            "HPEXPIRETIME" => forms.push(Expect::UnixMs(x - ran.now)),
            "HTTL" => forms.extend(millis.map(Expect::MsInS)),
            _ => {}
        }
    }
    forms.push(Expect::Int(x));
    forms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::Mismatch;
    use crate::fuzz::gen::Op;

    fn sent(op: Op, at: i64) -> Sent {
        Sent {
            op,
            resolved_at: at,
            sent_at: at,
            done_at: at + 1,
        }
    }

    fn provenance() -> Provenance {
        Provenance {
            seed: 42,
            target: "127.0.0.1:7261".into(),
            identity: ServerIdentity::from_info("redis_version:7.2.4\nvalkey_version:9.1.2\n"),
            protocol: Protocol::Resp3,
            key_prefix: b"hc:fz:1:".to_vec(),
            rerun: "hashcheck fuzz --target 127.0.0.1:7261 --seed 42 --resp 3".into(),
            errors: ErrorMatch::Exact,
        }
    }

    #[test]
    fn a_reproduction_round_trips_through_the_loader() {
        let mut expire = Op::words(&[
            b"HPEXPIRE",
            b"hc:fz:1:k2",
            b"300",
            b"FIELDS",
            b"1",
            b"f\x00\xff",
        ]);
        expire.deadline_in_ms = Some(300);
        let commands = vec![
            sent(
                Op::words(&[b"HSET", b"hc:fz:1:k2", b"f\x00\xff", b"", b"g", b"1.5"]),
                1_000,
            ),
            sent(
                Op {
                    args: vec![
                        gen::Arg::Bytes(b"HEXPIREAT".to_vec()),
                        gen::Arg::Bytes(b"hc:fz:1:k2".to_vec()),
                        gen::Arg::UnixSecsFromNow(1_000_000_000),
                        gen::Arg::Bytes(b"FIELDS".to_vec()),
                        gen::Arg::Bytes(b"1".to_vec()),
                        gen::Arg::Bytes(b"g".to_vec()),
                    ],
                    deadline_in_ms: None,
                },
                1_000,
            ),
            sent(expire, 1_000),
            sent(
                Op::words(&[b"HEXPIRETIME", b"hc:fz:1:k2", b"FIELDS", b"1", b"g"]),
                1_000,
            ),
            sent(Op::words(&[b"HLEN", b"hc:fz:1:k2"]), 2_000),
        ];
        let offsets = crate::fuzz::driver::rerun::schedule(&commands, 40);
        let divergence = Divergence {
            index: 7,
            argv: commands[4].argv(),
            expected: Reply::Integer(2),
            actual: Reply::Integer(1),
            mismatch: Mismatch {
                reason: "replies differ".into(),
            },
            history: Vec::new(),
            key: Some(b"hc:fz:1:k2".to_vec()),
            window: commands.clone(),
            complete: true,
            policy: Policy::Exact,
            signature: String::new(),
            class: crate::fuzz::driver::Class::WrongValue,
            protocol: Protocol::Resp3,
        };
        let shrunk = Shrunk {
            commands,
            offsets,
            divergence: None,
            reproduced: true,
            replays: 12,
            exhausted: false,
        };
        let file = case_file(PathBuf::new(), &shrunk, &divergence, &provenance());
        let dir = std::env::temp_dir().join(format!("hashcheck-repro-{}", std::process::id()));
        let path = write_new(&dir, "valkey 9.1.2 HLEN replies differ", &file).unwrap();
        assert!(
            path.ends_with("valkey-9.1.2-hlen-replies-differ.yaml"),
            "{path:?}"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let back = format::load(&path).unwrap();
        let second = write_new(&dir, "valkey 9.1.2 HLEN replies differ", &file).unwrap();
        assert!(second.ends_with("valkey-9.1.2-hlen-replies-differ-2.yaml"));
        std::fs::remove_dir_all(&dir).unwrap();

        assert!(
            text.starts_with(
                "# Found by `hashcheck fuzz` against valkey 9.1.2 (redis_version 7.2.4)"
            ),
            "{text}"
        );
        assert!(text.contains("seed 42"), "{text}");
        let case = &back.cases[0];
        assert_eq!(case.requires, vec![Capability::LazyExpiry], "{text}");
        // The key lost the run's prefix; the wait comes before HLEN only.
        let sends: Vec<&Send> = case
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Send(send) => Some(send),
                Step::Wait { .. } => None,
            })
            .collect();
        assert_eq!(sends[0].args[1], Arg::Bytes(b"k2".to_vec()));
        assert_eq!(sends[1].args[2], Arg::UnixS(1_000_000));
        assert!(
            matches!(case.steps[4], Step::Wait { ms, .. } if ms >= 300),
            "{text}"
        );
        // The engine's replies: HLEN still counts the expired field (lazy expiry), and the
        // relative deadline reads back relative.
        assert_eq!(sends[4].expect, Some(Expect::Int(2)), "{text}");
        assert_eq!(
            sends[3].expect,
            Some(Expect::Array(vec![Expect::UnixS(1_000_000)])),
            "{text}"
        );
        // Running the written case on the engine passes.
        let state = crate::cases::runner::RunState::new();
        for protocol in [Protocol::Resp2, Protocol::Resp3] {
            let mut engine = EmbeddedTarget::new(protocol);
            let report =
                crate::cases::runner::run_case(&mut engine, &back, 0, &state, &Default::default());
            assert_eq!(
                report.outcome,
                crate::cases::runner::Outcome::Pass,
                "{protocol:?}: {text}"
            );
        }
    }

    fn ran(now: i64, reply: Vec<i64>, millis: Option<Vec<i64>>) -> Ran {
        let ints = |v: Vec<i64>| Reply::Array(v.into_iter().map(Reply::Integer).collect());
        Ran {
            reply: ints(reply),
            now,
            millis: millis.map(ints),
        }
    }

    #[test]
    fn times_are_written_in_the_form_that_reads_the_same_on_another_clock() {
        // HEXPIRETIME of: a literal deadline, one whole second set by {unix_s: 100}, one
        // 1500 ms away, and a missing field.
        let a = ran(
            10_250,
            vec![70_368_744_178, 111, 12, -2],
            Some(vec![70_368_744_177_663, 111_000, 11_750, -2]),
        );
        let b = ran(
            11_750,
            vec![70_368_744_178, 112, 14, -2],
            Some(vec![70_368_744_177_663, 112_000, 13_250, -2]),
        );
        assert_eq!(
            time_shape("HEXPIRETIME", &a, Some(&b)),
            (
                Some(Expect::Array(vec![
                    Expect::Int(70_368_744_178),
                    Expect::UnixS(100),
                    Expect::UnixMsInS(1_500),
                    Expect::Int(-2),
                ])),
                true
            )
        );
        // HTTL of 1500 ms left keeps the milliseconds.
        let a = ran(10_250, vec![2], Some(vec![1_500]));
        let b = ran(11_750, vec![2], Some(vec![1_500]));
        assert_eq!(
            time_shape("HTTL", &a, Some(&b)),
            (Some(Expect::Array(vec![Expect::MsInS(1_500)])), true)
        );
        // HPTTL of a deadline set in whole seconds moves with the clock's phase: no form
        // holds, and the step is told so.
        let a = ran(10_250, vec![100_750], None);
        let b = ran(11_750, vec![100_250], None);
        assert_eq!(
            time_shape("HPTTL", &a, Some(&b)),
            (Some(Expect::Array(vec![Expect::Int(100_750)])), false)
        );
        assert_eq!(time_shape("HLEN", &a, Some(&b)), (None, true));
    }

    #[test]
    fn a_written_hexpiretime_after_hpexpire_holds_at_any_phase() {
        let text = "source: test\nbehaviour: test\ncases:\n  - name: phase\n    steps:\n      \
                    - send: [HSET, h, a, \"1\"]\n      \
                    - send: [HPEXPIRE, h, 1500, FIELDS, 1, a]\n      \
                    - send: [HEXPIRETIME, h, FIELDS, 1, a]\n        ttl_within: 0\n";
        let mut file = format::load_str(Path::new("phase.yaml"), text).unwrap();
        fill_expectations(&mut file.cases[0].steps);
        let Step::Send(last) = &file.cases[0].steps[2] else {
            unreachable!()
        };
        assert_eq!(
            last.expect,
            Some(Expect::Array(vec![Expect::UnixMsInS(1_500)]))
        );
        assert_eq!(last.ttl_within, Some(0));
        // On an engine whose clock stands anywhere in its second, the case passes. (With
        // the whole seconds alone, `{unix_s: 2}`, it failed about half the time.)
        let state = crate::cases::runner::RunState::new();
        for phase in [0, 1, 499, 500, 501, 999] {
            let clock = ManualClock::new(1_800_000_000_000 + phase);
            let mut engine = EmbeddedTarget::with_clock(Protocol::Resp3, clock, None);
            let report =
                crate::cases::runner::run_case(&mut engine, &file, 0, &state, &Default::default());
            assert_eq!(
                report.outcome,
                crate::cases::runner::Outcome::Pass,
                "phase {phase}"
            );
        }
    }
}
