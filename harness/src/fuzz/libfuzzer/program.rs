//! The input of the `engine` and `differential` fuzz targets: a short program of hash
//! commands, decoded from the fuzzer's bytes with `arbitrary`.
//!
//! Commands are structured (a key from a pool of four, fields from a pool of six, values
//! and counts from tables of edge cases) so that most of them are well formed and meet the
//! same data, while `Raw` steps and the rare odd pick (a wrong `numfields`, bytes from the
//! input) keep the error paths reachable. The same bytes always decode to the same
//! program, so an artifact replays exactly (`hashcheck replay`). Commands come from the
//! engine's command table, by the shape of their grammar (see [`Family`]).
//!
//! A program becomes [`Action`]s for one of two [`Mode`]s. For a live server
//! ([`Mode::Server`]) it is made safe and comparable: no deadline falls due while the
//! program runs, waits are dropped, raw command names are only the hash and key commands,
//! extra keys of DEL/EXISTS get the run's prefix, and a random pick (`Shape::RandomCount`,
//! HRANDFIELD) never gets a count below -1000 (a real Redis tries to serve any negative
//! count and can exhaust the machine).

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::fuzz::gen::Op;

mod args;
mod build;
mod family;

pub use args::*;
use build::Builder;
pub use build::{safe_for_server, SERVER_RAW_COMMANDS};
pub use family::{Cmd, Family};

/// At most this many steps run per input, so that no input takes long.
pub const MAX_STEPS: usize = 64;
/// How many keys the pool holds (`k0`..`k3`).
pub const KEYS: usize = 4;
/// The most negative random-pick count sent to a server, as in the generator.
pub const MIN_SAFE_COUNT: i64 = -1000;

/// A decoded fuzz input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Program {
    /// The protocol the differential target speaks (the engine target runs both).
    pub resp3: bool,
    pub steps: Vec<Step>,
}

impl Program {
    /// Decodes `data`: the steps that can be read from it, at most [`MAX_STEPS`]. Never
    /// fails; running out of bytes ends the program.
    pub fn from_bytes(data: &[u8]) -> Program {
        let mut u = Unstructured::new(data);
        let resp3 = bool::arbitrary(&mut u).unwrap_or(false);
        let mut steps = Vec::new();
        while !u.is_empty() && steps.len() < MAX_STEPS {
            match Step::arbitrary(&mut u) {
                Ok(step) => steps.push(step),
                Err(_) => break,
            }
        }
        Program { resp3, steps }
    }

    /// The program as commands and waits for `mode`, keys under `prefix`.
    pub fn actions(&self, prefix: &[u8], mode: Mode) -> Vec<Action> {
        let b = Builder { prefix, mode };
        self.steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| b.step(i, s))
            .collect()
    }

    /// Just the commands (for the differential driver, which has no waits).
    pub fn ops(&self, prefix: &[u8], mode: Mode) -> Vec<Op> {
        self.actions(prefix, mode)
            .into_iter()
            .filter_map(|a| match a {
                Action::Send(op) => Some(op),
                Action::Wait(_) => None,
            })
            .collect()
    }
}

/// Who the program runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The engine on a manual clock: everything goes, waits move the clock.
    Engine,
    /// A live server next to the model: safe and timing-independent (see the module docs).
    Server,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Send(Op),
    /// Milliseconds that pass.
    Wait(u64),
}

/// One step of a program: a command of one [`Family`] with its arguments, a wait, or a raw
/// command. Which command of its family a step runs is picked from the engine's table, so
/// a new command of a known shape is in the programs with no change here.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Field-value pairs (as many as a fixed arity takes).
    Pairs {
        cmd: Cmd,
        key: Key,
        pairs: Vec<(Field, Value)>,
    },
    /// Fields (as many as a fixed arity takes).
    Fields {
        cmd: Cmd,
        key: Key,
        fields: Vec<Field>,
    },
    /// The key alone: counts, listings and the key commands.
    WholeKey { cmd: Cmd, key: Key },
    IntIncrement {
        cmd: Cmd,
        key: Key,
        field: Field,
        by: Pick<IntIncrement>,
    },
    FloatIncrement {
        cmd: Cmd,
        key: Key,
        field: Field,
        by: Pick<FloatIncrement>,
    },
    RandomCount {
        cmd: Cmd,
        key: Key,
        count: Option<(Count, Option<Pick<WithValues>>)>,
    },
    Scan {
        cmd: Cmd,
        key: Key,
        cursor: Pick<Cursor>,
        pattern: Option<Pick<Pattern>>,
        count: Option<Pick<ScanCount>>,
        novalues: bool,
    },
    FieldsBlock {
        cmd: Cmd,
        key: Key,
        fields: FieldList,
    },
    /// The time unit is the command's (its grammar's time argument).
    Expire {
        cmd: Cmd,
        key: Key,
        time: Time,
        condition: Option<Pick<Condition>>,
        fields: FieldList,
    },
    GetEx {
        cmd: Cmd,
        key: Key,
        option: Option<GetExOption>,
        fields: FieldList,
    },
    SetEx {
        cmd: Cmd,
        key: Key,
        condition: Option<SetExCondition>,
        option: Option<SetExOption>,
        pairs: Vec<(Field, Value)>,
        numfields: NumFields,
    },
    /// Puts a string under a hash key, for WRONGTYPE.
    Set { key: Key, value: Value },
    /// Time passes (the engine's clock moves; dropped for a server).
    Advance(u16),
    /// A command name and raw arguments after a pool key: error paths and odd spellings.
    Raw {
        name: RawName,
        key: Key,
        args: Vec<Vec<u8>>,
    },
}

impl<'a> Arbitrary<'a> for Step {
    /// Families are weighted (out of 256) so that writes keep the hashes populated and
    /// SET, which turns a hash key into a string until a DEL, stays rare. A family with no
    /// command in the table ends the program.
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let family = u8::arbitrary(u)?;
        Ok(match family {
            0..=45 => Step::Pairs {
                cmd: Cmd::arbitrary(u, Family::Pairs)?,
                key: u.arbitrary()?,
                pairs: list(u, 3)?,
            },
            46..=81 => Step::Fields {
                cmd: Cmd::arbitrary(u, Family::Fields)?,
                key: u.arbitrary()?,
                fields: list(u, 4)?,
            },
            82..=101 => Step::WholeKey {
                cmd: Cmd::arbitrary(u, Family::WholeKey)?,
                key: u.arbitrary()?,
            },
            102..=111 => Step::IntIncrement {
                cmd: Cmd::arbitrary(u, Family::IntIncrement)?,
                key: u.arbitrary()?,
                field: u.arbitrary()?,
                by: u.arbitrary()?,
            },
            112..=121 => Step::FloatIncrement {
                cmd: Cmd::arbitrary(u, Family::FloatIncrement)?,
                key: u.arbitrary()?,
                field: u.arbitrary()?,
                by: u.arbitrary()?,
            },
            122..=135 => Step::RandomCount {
                cmd: Cmd::arbitrary(u, Family::RandomCount)?,
                key: u.arbitrary()?,
                count: u.arbitrary()?,
            },
            136..=147 => Step::Scan {
                cmd: Cmd::arbitrary(u, Family::Scan)?,
                key: u.arbitrary()?,
                cursor: u.arbitrary()?,
                pattern: u.arbitrary()?,
                count: u.arbitrary()?,
                novalues: u.ratio(1, 4)?,
            },
            148..=167 => Step::FieldsBlock {
                cmd: Cmd::arbitrary(u, Family::FieldsBlock)?,
                key: u.arbitrary()?,
                fields: u.arbitrary()?,
            },
            168..=191 => Step::Expire {
                cmd: Cmd::arbitrary(u, Family::Expire)?,
                key: u.arbitrary()?,
                time: u.arbitrary()?,
                condition: if u.ratio(1, 3)? {
                    Some(u.arbitrary()?)
                } else {
                    None
                },
                fields: u.arbitrary()?,
            },
            192..=205 => Step::GetEx {
                cmd: Cmd::arbitrary(u, Family::GetEx)?,
                key: u.arbitrary()?,
                option: u.arbitrary()?,
                fields: u.arbitrary()?,
            },
            206..=225 => Step::SetEx {
                cmd: Cmd::arbitrary(u, Family::SetEx)?,
                key: u.arbitrary()?,
                condition: u.arbitrary()?,
                option: u.arbitrary()?,
                pairs: list(u, 3)?,
                numfields: u.arbitrary()?,
            },
            226..=229 => Step::Set {
                key: u.arbitrary()?,
                value: u.arbitrary()?,
            },
            230..=239 => Step::Advance(u.arbitrary()?),
            _ => Step::Raw {
                name: u.arbitrary()?,
                key: u.arbitrary()?,
                args: list(u, 5)?,
            },
        })
    }
}

/// A short list: usually 1 to `max` items, rarely none (for the arity errors).
fn list<'a, T: Arbitrary<'a>>(u: &mut Unstructured<'a>, max: u8) -> Result<Vec<T>> {
    let b = u8::arbitrary(u)?;
    let len = if b < 12 { 0 } else { 1 + b % max };
    (0..len).map(|_| T::arbitrary(u)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reference_engine::rng::Rng;

    fn random_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
        (0..len).map(|_| rng.next_u64() as u8).collect()
    }

    #[test]
    fn decoding_is_deterministic_and_bounded() {
        let mut rng = Rng::seeded(11);
        for _ in 0..200 {
            let data = random_bytes(&mut rng, 4096);
            let a = Program::from_bytes(&data);
            assert_eq!(a, Program::from_bytes(&data));
            assert!(a.steps.len() <= MAX_STEPS);
        }
        assert_eq!(Program::from_bytes(&[]), Program::default());
    }

    #[test]
    fn server_programs_are_safe_prefixed_and_never_wait() {
        let mut rng = Rng::seeded(12);
        let mut sent = 0;
        for _ in 0..500 {
            let program = Program::from_bytes(&random_bytes(&mut rng, 2048));
            for action in program.actions(b"hc:t:", Mode::Server) {
                let Action::Send(op) = action else {
                    panic!("a server program waits")
                };
                assert_eq!(op.deadline_in_ms, None, "{op:?}");
                let argv = op.resolve(1_700_000_000_000);
                assert!(safe_for_server(&argv), "{argv:?}");
                let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
                assert!(
                    SERVER_RAW_COMMANDS.contains(&name.as_str()) || name == "SET",
                    "{name}"
                );
                assert!(argv[1].starts_with(b"hc:t:k"));
                if name == "DEL" || name == "EXISTS" {
                    assert!(argv[1..].iter().all(|k| k.starts_with(b"hc:t:")));
                }
                sent += 1;
            }
        }
        assert!(sent > 1_000, "only {sent} commands in 500 programs");
    }

    #[test]
    fn engine_programs_keep_near_deadlines_and_waits() {
        let mut rng = Rng::seeded(13);
        let (mut waits, mut near) = (0, 0);
        for _ in 0..500 {
            let program = Program::from_bytes(&random_bytes(&mut rng, 2048));
            for action in program.actions(b"", Mode::Engine) {
                match action {
                    Action::Wait(_) => waits += 1,
                    Action::Send(op) => near += usize::from(op.deadline_in_ms.is_some()),
                }
            }
        }
        assert!(
            waits > 50 && near > 50,
            "{waits} waits, {near} near deadlines"
        );
    }
}
