//! A fuzz artifact of the `engine` or `differential` target as a YAML case (what
//! `hashcheck replay` writes, see `cmd/replay.rs`), like `cargo fuzz fmt` but in the project's case format, so a crash becomes a
//! regression case (`cases/regressions/`).
//!
//! The artifact's bytes are decoded exactly as the target decoded them, the commands run on
//! the engine (a RESP3 and a RESP2 client, on a manual clock), and the engine's replies
//! become the expectations: one per step, or `{resp2, resp3}` where the two differ by more
//! than the RESP2 projection. Times stay relative (`{unix_ms: ..}`, `{unix_s: ..}`, also in
//! HEXPIRETIME replies), program waits become `wait:` steps, HSCAN from cursor 0 expects
//! its whole walk. For an `engine` artifact the invariant it broke is replayed too and
//! named in the case's `behaviour:`.
//!
//! The expectations are the engine's, not Redis's: run the case against Redis 8.2.3
//! (`hashcheck run FILE --target ... --bless`) before committing it as a regression.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use reference_engine::{Engine, ManualClock, Protocol, Reply, Session};

use super::engine::{self as engine_target, SEED, START_MS};
use super::program::{Action, Mode, Program};
use super::same_reply;
use crate::cases::format::{Arg, Capability, Case, CaseFile, Expect, Send, Step};
use crate::compare::policy::{self, length_command};
use crate::fuzz::gen;
use crate::targets::scan::walk_from;
use reference_engine::command::ReplyPolicy;

/// Which target an artifact belongs to: it decides how the program was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Engine,
    Differential,
}

impl Kind {
    /// The target named by a cargo-fuzz artifact path (`fuzz/artifacts/<target>/crash-..`).
    pub fn from_path(path: &Path) -> Option<Kind> {
        path.components()
            .rev()
            .skip(1)
            .find_map(|c| match c.as_os_str().to_str() {
                Some("engine") => Some(Kind::Engine),
                Some("differential") => Some(Kind::Differential),
                _ => None,
            })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Engine => "engine",
            Kind::Differential => "differential",
        }
    }
}

/// The case file for the artifact `data` of target `kind`, its case named `name`.
pub fn case_file(data: &[u8], kind: Kind, name: &str) -> CaseFile {
    let program = Program::from_bytes(data);
    let mode = match kind {
        Kind::Engine => Mode::Engine,
        Kind::Differential => Mode::Server,
    };
    let actions = program.actions(b"", mode);
    let (steps, engine_panic) = record(&actions);
    let broken = match kind {
        Kind::Engine => engine_panic.or_else(|| broken_invariant(&program)),
        Kind::Differential => engine_panic,
    };
    let lazy = actions.iter().any(|a| {
        matches!(a, Action::Wait(_)) || matches!(a, Action::Send(op) if op.deadline_in_ms.is_some())
    });
    let command = steps
        .iter()
        .rev()
        .find_map(|s| match s {
            Step::Send(send) if send.command().starts_with('H') => Some(send.command()),
            _ => None,
        })
        .unwrap_or_else(|| "no hash command".into());
    let behaviour = match &broken {
        Some(message) => format!(
            "fuzz artifact {name} ({} target): {}",
            kind.name(),
            message.lines().next().unwrap_or_default()
        ),
        None => format!(
            "fuzz artifact {name} ({} target), replayed on the engine",
            kind.name()
        ),
    };
    let mut steps = steps;
    if steps.is_empty() {
        // A case needs a step; an input that decodes to nothing still gets one: a hash's
        // length.
        steps.push(Step::Send(Send {
            args: vec![
                Arg::Bytes(length_command().to_vec()),
                Arg::Bytes(b"k0".to_vec()),
            ],
            expect: Some(Expect::Int(0)),
            line: 0,
            ..Send::default()
        }));
    }
    CaseFile {
        path: PathBuf::from(format!("{name}.yaml")),
        header: vec![
            format!(
                "# Written by `hashcheck replay` from the {} fuzz target's artifact {name}.",
                kind.name()
            ),
            "# The expectations are the engine's replies: check them on Redis 8.2.3 (--bless)."
                .into(),
        ],
        source: format!(
            "https://redis.io/docs/latest/commands/{}/",
            command.to_ascii_lowercase()
        ),
        behaviour: behaviour.replace(['\r', '\n'], " "),
        since: None,
        tags: vec!["fuzz".into()],
        cases: vec![Case {
            name: name.to_string(),
            line: 0,
            since: None,
            resp: vec![Protocol::Resp2, Protocol::Resp3],
            requires: if lazy {
                vec![Capability::LazyExpiry]
            } else {
                Vec::new()
            },
            note: Some(format!(
                "{} commands decoded from {} bytes",
                actions.len(),
                data.len()
            )),
            steps,
        }],
    }
}

/// Replays the `engine` target's checks; the message of the invariant that broke.
fn broken_invariant(program: &Program) -> Option<String> {
    catch(|| engine_target::check(program)).err()
}

/// Runs `f`, turning a panic into its message. The default hook still prints it.
fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

/// One engine and its client, as the `engine` target runs them.
struct Client {
    engine: Engine,
    session: Session,
}

impl Client {
    fn new(clock: &ManualClock, protocol: Protocol) -> Self {
        let mut session = Session::new(1);
        session.protocol = protocol;
        Client {
            engine: Engine::with_seed(Arc::new(clock.clone()), SEED),
            session,
        }
    }

    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, String> {
        catch(|| self.engine.execute(&mut self.session, argv))
    }

    /// The first reply of an HSCAN from cursor 0 and the rest of its walk, as one page.
    fn walk(&mut self, argv: &[Vec<u8>], first: Reply) -> Result<Reply, String> {
        walk_from(argv, first, 10_000, |next| self.call(next))?
            .ok_or_else(|| "the scan did not finish in 10000 calls".into())
    }
}

/// Runs the actions on the engine; the steps with its replies as expectations, and the
/// engine's panic if it had one (the steps stop there, the last without an expectation).
fn record(actions: &[Action]) -> (Vec<Step>, Option<String>) {
    let clock = ManualClock::new(START_MS);
    let mut resp3 = Client::new(&clock, Protocol::Resp3);
    let mut resp2 = Client::new(&clock, Protocol::Resp2);
    let mut steps = Vec::new();
    // Whether a deadline was set in whole unix seconds ({unix_s: ..}): it falls up to 999 ms
    // after "now + offset", depending on when the case runs, which millisecond readings
    // must allow for.
    let mut whole_seconds = false;
    for action in actions {
        let op = match action {
            Action::Wait(ms) => {
                clock.advance(*ms as i64);
                steps.push(Step::Wait {
                    ms: *ms,
                    line: 0,
                    note: None,
                });
                continue;
            }
            Action::Send(op) => op,
        };
        let now = reference_engine::Clock::now_ms(&clock);
        let argv = op.resolve(now);
        let mut send = Send {
            args: op.args.iter().map(case_arg).collect(),
            line: 0,
            ..Send::default()
        };
        whole_seconds |= send.args.iter().any(|a| matches!(a, Arg::UnixS(_)));
        let in_ms =
            matches!(policy::reply_of(&argv), ReplyPolicy::Ttl { reading, .. } if reading.millis);
        if whole_seconds && in_ms {
            send.ttl_within = Some(1_000);
        }
        let replies = resp3
            .call(&argv)
            .and_then(|r3| Ok((r3, resp2.call(&argv)?)))
            .and_then(|(r3, r2)| {
                if is_walk(&argv, &r3) {
                    Ok((resp3.walk(&argv, r3)?, resp2.walk(&argv, r2)?))
                } else {
                    Ok((r3, r2))
                }
            });
        match replies {
            Ok((r3, r2)) => {
                send.expect = Some(expectation(&argv, &r3, &r2, now));
                steps.push(Step::Send(send));
            }
            Err(message) => {
                send.note =
                    Some(format!("the engine panicked here: {message}").replace(['\r', '\n'], " "));
                steps.push(Step::Send(send));
                return (steps, Some(format!("the engine panicked: {message}")));
            }
        }
    }
    (steps, None)
}

fn is_walk(argv: &[Vec<u8>], first: &Reply) -> bool {
    policy::reply_of(argv) == ReplyPolicy::Scan
        && argv.get(2).map(Vec::as_slice) == Some(b"0")
        && !first.is_error()
}

/// A generated argument as the case writes it; relative times stay relative.
fn case_arg(arg: &gen::Arg) -> Arg {
    match arg {
        gen::Arg::Bytes(b) => Arg::Bytes(b.clone()),
        gen::Arg::UnixMsFromNow(d) => Arg::UnixMs(*d),
        // The program's seconds offsets are whole seconds, where ceil((now + d) / 1000)
        // is ceil(now / 1000) + d / 1000: exactly what {unix_s: ..} computes.
        gen::Arg::UnixSecsFromNow(d) => Arg::UnixS(d.div_euclid(1000)),
    }
}

/// The expectation for one step: the RESP3 reply, and the RESP2 one too if it is not just
/// the projection. Deadlines in HEXPIRETIME/HPEXPIRETIME replies are written relative.
fn expectation(argv: &[Vec<u8>], resp3: &Reply, resp2: &Reply, now_ms: i64) -> Expect {
    let relative = |unit: Expect| match resp3 {
        Reply::Array(items) => Some(Expect::Array(
            items
                .iter()
                .map(|i| match i {
                    Reply::Integer(n) if *n > 0 => unit.clone(),
                    _ => Expect::Null,
                })
                .collect(),
        )),
        _ => None,
    };
    // Deadlines read from the epoch are written relative to the case's time.
    let like = match policy::reply_of(argv) {
        ReplyPolicy::Ttl { reading, .. } if reading.absolute && reading.millis => {
            relative(Expect::UnixMs(0))
        }
        ReplyPolicy::Ttl { reading, .. } if reading.absolute => relative(Expect::UnixS(0)),
        _ => None,
    };
    let e3 = Expect::from_reply(resp3, like.as_ref(), now_ms);
    if same_reply(&resp3.to_resp2(), &resp2.to_resp2()) {
        e3
    } else {
        Expect::PerProtocol {
            resp2: Box::new(Expect::from_reply(&resp2.to_resp2(), like.as_ref(), now_ms)),
            resp3: Box::new(e3),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::format;
    use crate::cases::runner::{run_case, Outcome, RunOptions, RunState};
    use crate::fuzz::libfuzzer::test_n_times;
    use crate::targets::{EmbeddedTarget, Target};

    #[test]
    fn kind_from_artifact_paths() {
        let k = |p: &str| Kind::from_path(Path::new(p));
        assert_eq!(k("fuzz/artifacts/engine/crash-12ab"), Some(Kind::Engine));
        assert_eq!(
            k("fuzz/artifacts/differential/crash-1"),
            Some(Kind::Differential)
        );
        assert_eq!(k("/tmp/crash-1"), None);
        assert_eq!(k("engine"), None);
    }

    /// A replayed case loads, and passes on the engine it was recorded from: the runner's
    /// view of the expectations (relative times, walks, per-protocol forms) matches the
    /// recording. Cases the runner refuses (a raw command whose keys it cannot prefix) are
    /// counted, and must stay a minority.
    #[test]
    fn replayed_cases_load_and_pass_on_the_engine() {
        let state = RunState::new();
        let options = RunOptions::default();
        let (mut passed, mut refused) = (0, 0);
        test_n_times(60, 1024, |data| {
            for kind in [Kind::Engine, Kind::Differential] {
                let file = case_file(data, kind, "crash-test");
                let text = format::write(&file);
                let loaded = format::load_str(Path::new("replay.yaml"), &text)
                    .unwrap_or_else(|e| panic!("{e}\n{text}"));
                assert_eq!(loaded.without_lines().cases, file.without_lines().cases);
                for protocol in [Protocol::Resp2, Protocol::Resp3] {
                    let mut target = EmbeddedTarget::new(protocol);
                    let report = run_case(&mut target, &loaded, 0, &state, &options);
                    match &report.outcome {
                        Outcome::Pass => passed += 1,
                        Outcome::Skipped { reason } if reason.starts_with("refused") => {
                            assert_eq!(kind, Kind::Engine, "{reason}");
                            refused += 1;
                        }
                        other => panic!("{protocol:?}: {other:?}\n{text}"),
                    }
                }
            }
        });
        assert!(passed > 3 * refused, "{passed} passed, {refused} refused");
    }

    #[test]
    fn expectations_follow_the_engine_and_keep_times_relative() {
        let mut target =
            EmbeddedTarget::with_clock(Protocol::Resp3, ManualClock::new(START_MS), Some(SEED));
        let program = Program {
            resp3: false,
            steps: vec![super::super::program::Step::Expire {
                cmd: super::super::program::Cmd::named("hexpireat"),
                key: super::super::program::Key(1),
                time: super::super::program::Time::Far,
                condition: None,
                fields: super::super::program::FieldList {
                    fields: vec![super::super::program::Field(b"f1".to_vec())],
                    numfields: super::super::program::NumFields::Right,
                },
            }],
        };
        let actions = program.actions(b"", Mode::Engine);
        let (steps, panic) = record(&actions);
        assert_eq!(panic, None);
        let Step::Send(send) = &steps[0] else {
            panic!("not a send")
        };
        assert_eq!(send.args[2], Arg::UnixS(1_000_000));
        assert_eq!(send.expect, Some(Expect::Array(vec![Expect::Int(-2)])));
        let argv: Vec<Vec<u8>> = send.args.iter().map(|a| a.resolve(START_MS)).collect();
        assert_eq!(
            target.call(&argv).unwrap(),
            Reply::Array(vec![Reply::Integer(-2)])
        );
        let e = expectation(
            &[b"HPEXPIRETIME".to_vec()],
            &Reply::Array(vec![Reply::Integer(START_MS + 500), Reply::Integer(-1)]),
            &Reply::Array(vec![Reply::Integer(START_MS + 500), Reply::Integer(-1)]),
            START_MS,
        );
        assert_eq!(e, Expect::Array(vec![Expect::UnixMs(500), Expect::Int(-1)]));
    }
}
