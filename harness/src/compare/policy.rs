//! The one place a command's reply policy (what Redis promises, from the engine's table)
//! becomes a comparison [`Policy`]. The case runner, the fuzzer, blessing and written cases
//! all ask here, so they judge a reply the same way; none of them names a command.
//!
//! Two questions, in order: [`probe_for`] says what the caller must ask the reference just
//! before the command (the hash's contents, its encoding, the reading in ms), and
//! [`policy`] turns the spec, the arguments, the context and that probe's reply into a
//! `Policy`.

use std::sync::LazyLock;

use reference_engine::command::grammar::Shape;
use reference_engine::command::{lookup, CommandSpec, ReplyPolicy, COMMANDS};
use reference_engine::Reply;

use super::Policy;
use crate::targets::scan::{cursor_at, single_elements};
use crate::targets::ClockKind;

/// How a step is being judged.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// Strict details: check what Redis does beyond what it promises (an order it chose, a
    /// server's own HSCAN paging...). Legal details check only the promise.
    pub strict: bool,
    /// A real clock lets TTL readings drift between the two sides; a virtual one barely.
    pub clock: ClockKind,
    /// How far apart ms TTL readings may be besides the clock's own floor (the fuzzer's
    /// adaptive margin; 0 for the cases).
    pub margin_ms: i64,
    pub source: Source,
}

/// Where the step comes from: a written case says what it expects of order, TTLs and
/// randomness; a generated command has no one to say it, so the reference is probed.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Case(Overrides),
    Generated,
}

/// What a case step says about its own comparison.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    /// `order: exact` (Some(true)) or `order: any` (Some(false)).
    pub exact_order: Option<bool>,
    /// `ttl_within: N`.
    pub ttl_within: Option<i64>,
    /// `random: false`: the reply is compared as written (strict details only).
    pub random: Option<bool>,
    /// `scan: walk` (Some(true)) or `scan: page` (Some(false)); by default a scan from
    /// cursor 0 is walked.
    pub walk: Option<bool>,
}

/// What must be asked of the reference just before a command so its reply can be judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    None,
    /// The hash's live contents (HGETALL): a random pick or a foreign scan page must come
    /// from them.
    Contents,
    /// The hash's encoding: a plain listpack has a defined order.
    Encoding,
    /// The same reading in ms (the command's twin), which says what the seconds may be.
    Millis,
}

impl Probe {
    pub fn needed(self) -> bool {
        self != Probe::None
    }

    /// The command that asks it, for the command `argv`.
    pub fn command(self, argv: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
        let key = argv.get(1).cloned().unwrap_or_default();
        match self {
            Probe::None => None,
            Probe::Contents => Some(vec![contents_command().to_vec(), key]),
            Probe::Encoding => Some(vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), key]),
            Probe::Millis => {
                let ReplyPolicy::Ttl { twin, .. } = reply_of(argv) else {
                    return None;
                };
                let mut probe = argv.to_vec();
                probe[0] = twin.to_ascii_uppercase().into_bytes();
                Some(probe)
            }
        }
    }
}

/// The name, upper case, of the first command in the table that `pred` picks: for code
/// that sends a command for what it does (a hash's contents, its length), not by name.
pub fn command_where(pred: impl Fn(&CommandSpec) -> bool) -> Vec<u8> {
    let spec = COMMANDS.iter().find(|c| pred(c));
    spec.expect("the table has such a command")
        .name
        .to_ascii_uppercase()
        .into_bytes()
}

/// The command that lists a hash's fields and values. Looked up once: the fuzzer asks for
/// it before every random pick and for every key it reconciles.
pub fn contents_command() -> &'static [u8] {
    static NAME: LazyLock<Vec<u8>> = LazyLock::new(|| {
        command_where(|c| matches!(c.reply, ReplyPolicy::Listing { pairs: true, .. }))
    });
    &NAME
}

/// The command that counts a hash's fields (the one whose grammar is the key alone).
pub fn length_command() -> &'static [u8] {
    static NAME: LazyLock<Vec<u8>> =
        LazyLock::new(|| command_where(|c| c.grammar.is_some_and(|g| g.shape == Shape::KeyOnly)));
    &NAME
}

/// What Redis promises about the reply to `argv`, from the engine's table (`Exact` for a
/// command the engine does not know).
pub fn reply_of(argv: &[Vec<u8>]) -> ReplyPolicy {
    argv.first()
        .map_or(ReplyPolicy::Exact, |name| reply_of_name(name))
}

/// [`reply_of`] by the command's name alone.
pub fn reply_of_name(name: &[u8]) -> ReplyPolicy {
    lookup(name).map_or(ReplyPolicy::Exact, |spec| spec.reply)
}

/// Whether `argv` is a scan that is followed to its end and compared as one walk.
pub fn walks(argv: &[Vec<u8>], ctx: &Context) -> bool {
    let at = cursor_at(argv);
    if reply_of(argv) != ReplyPolicy::Scan || argv.len() <= at {
        return false;
    }
    match ctx.source {
        Source::Case(o) => o.walk.unwrap_or(argv[at] == b"0"),
        Source::Generated => true,
    }
}

/// What the caller must ask the reference before sending `argv`.
pub fn probe_for(argv: &[Vec<u8>], ctx: &Context) -> Probe {
    match (reply_of(argv), ctx.source) {
        (ReplyPolicy::RandomPick, Source::Case(o)) if picks(argv, ctx, &o) => Probe::Contents,
        (ReplyPolicy::Scan, Source::Case(_)) if !ctx.strict && !walks(argv, ctx) => {
            // A page of a hash's scan is checked against the hash; SCAN's keys have no probe.
            if argv.len() >= 3 && cursor_at(argv) == 2 {
                Probe::Contents
            } else {
                Probe::None
            }
        }
        (ReplyPolicy::RandomPick, Source::Generated) => Probe::Contents,
        (ReplyPolicy::Listing { .. }, Source::Generated) => Probe::Encoding,
        (ReplyPolicy::Ttl { reading, .. }, Source::Generated) if !reading.millis => Probe::Millis,
        _ => Probe::None,
    }
}

/// Whether a case's random pick is judged as one (else as written).
fn picks(argv: &[Vec<u8>], ctx: &Context, o: &Overrides) -> bool {
    (o.random != Some(false) || !ctx.strict) && argv.len() >= 2
}

/// The comparison for `argv`'s reply, given what [`probe_for`] asked (`probe`).
pub fn policy(argv: &[Vec<u8>], ctx: &Context, probe: Option<&Reply>) -> Policy {
    let reply = reply_of(argv);
    let overrides = match ctx.source {
        Source::Case(o) => Some(o),
        Source::Generated => None,
    };
    match reply {
        ReplyPolicy::RandomPick if overrides.is_none_or(|o| picks(argv, ctx, &o)) => {
            return random_pick(argv, contents(probe));
        }
        ReplyPolicy::Scan if walks(argv, ctx) => {
            return Policy::Scan {
                novalues: novalues(argv),
            }
        }
        ReplyPolicy::Scan
            if overrides.is_some() && !ctx.strict && argv.len() >= 3 && cursor_at(argv) == 2 =>
        {
            return Policy::ScanPage {
                novalues: novalues(argv),
                hash: contents(probe),
            };
        }
        _ => {}
    }
    if reply == ReplyPolicy::Payload {
        // Restored and compared (see compare::payload). A payload's field deadlines are
        // absolute: a generated command's are those of this run, within the usual TTL
        // tolerance; a case's were those of the run that wrote it (a replayed fuzz
        // finding), so only whether each field has one is checked, unless the step says
        // `ttl_within:` (hand-written cases with fixed deadlines say 0).
        let tolerance = match (overrides, ctx.source) {
            (Some(o), _) if o.ttl_within.is_some() => o.ttl_within.unwrap_or_default(),
            (_, Source::Case(_)) => i64::MAX,
            (_, Source::Generated) => millis_tolerance(ctx),
        };
        return Policy::Payload { tolerance };
    }
    if let Some(tolerance) = overrides.and_then(|o| o.ttl_within) {
        return Policy::TtlWithin { tolerance };
    }
    let exact_order = overrides.and_then(|o| o.exact_order);
    match (reply, exact_order) {
        // Redis marks listings nondeterministic_output_order: an exact order is Redis's
        // choice, checked only when details are strict.
        (ReplyPolicy::Listing { pairs, .. }, Some(true)) if !ctx.strict => {
            Policy::Unordered { pairs }
        }
        (_, Some(true)) => Policy::Exact,
        (ReplyPolicy::Listing { pairs, .. }, Some(false)) => Policy::Unordered { pairs },
        (_, Some(false)) => Policy::Unordered { pairs: false },
        (ReplyPolicy::Listing { pairs, .. }, None) => {
            // Only a plain listpack: in a listpackex, fields with a TTL are ordered by
            // deadline, and relative TTLs sent a millisecond apart to two servers can tie on
            // one and not on the other. The cases check that order where it is certain.
            let ordered = matches!(probe, Some(Reply::Bulk(e)) if e == b"listpack");
            if ordered && ctx.strict {
                Policy::Exact
            } else {
                Policy::Unordered { pairs }
            }
        }
        (ReplyPolicy::Ttl { reading, .. }, None) if !reading.millis => match probe {
            Some(Reply::Array(items)) => Policy::TtlSeconds {
                millis: items
                    .iter()
                    .map(|r| match r {
                        Reply::Integer(ms) => *ms,
                        _ => -1,
                    })
                    .collect(),
                tolerance: millis_tolerance(ctx),
            },
            _ => Policy::TtlWithin { tolerance: 1 },
        },
        (ReplyPolicy::Ttl { .. }, None) => Policy::TtlWithin {
            tolerance: millis_tolerance(ctx),
        },
        _ => Policy::Exact,
    }
}

/// How far apart two ms readings of one deadline may be. A reading carries the skew of
/// the batch that set the deadline, which may be long gone from the fuzzer's adaptive
/// margin: 136 ms was seen under load, so 250 ms on a real clock; a wrong unit or sign is
/// far outside it. A virtual clock moves only by the case's own waits.
fn millis_tolerance(ctx: &Context) -> i64 {
    let floor = match ctx.clock {
        ClockKind::Real => 250,
        _ => 50,
    };
    ctx.margin_ms.max(floor)
}

/// Whether two replies to the command `name` differ only where Redis leaves freedom (the order of a
/// listing, which fields a random pick took), so one expectation can cover both.
pub fn same_up_to_freedom(name: &[u8], a: &Reply, b: &Reply) -> bool {
    match reply_of_name(name) {
        ReplyPolicy::Listing { pairs, .. } => {
            let unordered = Policy::Unordered { pairs };
            super::compare(a, b, &unordered, super::ErrorMatch::Exact).is_ok()
        }
        ReplyPolicy::RandomPick => same_shape(a, b),
        _ => a == b,
    }
}

fn same_shape(a: &Reply, b: &Reply) -> bool {
    match (a, b) {
        (Reply::Array(x), Reply::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_shape(p, q))
        }
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

fn novalues(argv: &[Vec<u8>]) -> bool {
    single_elements(argv)
}

/// A random pick's policy: its count and WITHVALUES, judged against the hash's contents.
fn random_pick(argv: &[Vec<u8>], hash: Vec<(Vec<u8>, Vec<u8>)>) -> Policy {
    let count = match argv.get(2) {
        None => None,
        Some(text) => match std::str::from_utf8(text).ok().and_then(|t| t.parse().ok()) {
            Some(n) => Some(n),
            // Not a number: the reply is an error and is compared as such.
            None => return Policy::Exact,
        },
    };
    let with_values = argv
        .get(3)
        .is_some_and(|a| a.eq_ignore_ascii_case(b"WITHVALUES"));
    Policy::RandomPick {
        count,
        with_values,
        hash,
    }
}

/// The live (field, value) pairs from an HGETALL reply in either protocol.
fn contents(reply: Option<&Reply>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let bulk = |r: &Reply| match r {
        Reply::Bulk(b) => Some(b.clone()),
        _ => None,
    };
    match reply {
        Some(Reply::Map(pairs)) => pairs
            .iter()
            .filter_map(|(k, v)| Some((bulk(k)?, bulk(v)?)))
            .collect(),
        Some(Reply::Array(items)) => items
            .chunks(2)
            .filter_map(|c| Some((bulk(c.first()?)?, bulk(c.get(1)?)?)))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &str) -> Vec<Vec<u8>> {
        words.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    fn case(strict: bool, overrides: Overrides) -> Context {
        Context {
            strict,
            clock: ClockKind::Virtual,
            margin_ms: 0,
            source: Source::Case(overrides),
        }
    }

    fn generated(strict: bool) -> Context {
        Context {
            strict,
            clock: ClockKind::Real,
            margin_ms: 40,
            source: Source::Generated,
        }
    }

    #[test]
    fn random_picks_read_count_and_withvalues() {
        let ctx = case(true, Overrides::default());
        let pick = |words| policy(&argv(words), &ctx, None);
        assert_eq!(
            pick("HRANDFIELD h -5 withvalues"),
            Policy::RandomPick {
                count: Some(-5),
                with_values: true,
                hash: vec![]
            }
        );
        assert_eq!(
            pick("HRANDFIELD h"),
            Policy::RandomPick {
                count: None,
                with_values: false,
                hash: vec![]
            }
        );
        assert_eq!(pick("HRANDFIELD h x"), Policy::Exact);
        assert_eq!(probe_for(&argv("HRANDFIELD h"), &ctx), Probe::Contents);
        // `random: false` under strict details: compared as written, with no probe.
        let as_written = case(
            true,
            Overrides {
                random: Some(false),
                ..Overrides::default()
            },
        );
        assert_eq!(probe_for(&argv("HRANDFIELD h"), &as_written), Probe::None);
        assert_eq!(
            policy(&argv("HRANDFIELD h"), &as_written, None),
            Policy::Exact
        );
    }

    #[test]
    fn payloads_check_deadlines_only_where_they_are_of_this_run_or_asked_for() {
        let dump = argv("DUMP k");
        let payload = |ctx: &Context| policy(&dump, ctx, None);
        assert_eq!(
            payload(&case(true, Overrides::default())),
            Policy::Payload {
                tolerance: i64::MAX
            }
        );
        let fixed = Overrides {
            ttl_within: Some(0),
            ..Overrides::default()
        };
        assert_eq!(
            payload(&case(false, fixed)),
            Policy::Payload { tolerance: 0 }
        );
        assert_eq!(
            payload(&generated(true)),
            Policy::Payload { tolerance: 250 }
        );
        assert_eq!(probe_for(&dump, &generated(true)), Probe::None);
    }

    #[test]
    fn listings_are_ordered_only_when_strict_and_certain() {
        let listpack = Reply::bulk("listpack");
        let hgetall = argv("HGETALL k");
        assert_eq!(probe_for(&hgetall, &generated(true)), Probe::Encoding);
        assert_eq!(
            policy(&hgetall, &generated(true), Some(&listpack)),
            Policy::Exact
        );
        assert_eq!(
            policy(&hgetall, &generated(false), Some(&listpack)),
            Policy::Unordered { pairs: true }
        );
        // A case asks for the order itself, and gets it only under strict details.
        let exact = Overrides {
            exact_order: Some(true),
            ..Overrides::default()
        };
        assert_eq!(policy(&hgetall, &case(true, exact), None), Policy::Exact);
        assert_eq!(
            policy(&hgetall, &case(false, exact), None),
            Policy::Unordered { pairs: true }
        );
        let any = Overrides {
            exact_order: Some(false),
            ..Overrides::default()
        };
        assert_eq!(
            policy(&argv("HKEYS k"), &case(true, any), None),
            Policy::Unordered { pairs: false }
        );
        assert_eq!(
            policy(&hgetall, &case(true, any), None),
            Policy::Unordered { pairs: true }
        );
        assert_eq!(
            policy(&hgetall, &case(true, Overrides::default()), None),
            Policy::Unordered { pairs: true }
        );
        assert_eq!(
            probe_for(&hgetall, &case(true, Overrides::default())),
            Probe::None
        );
    }

    #[test]
    fn ttl_readings_get_a_tolerance_by_unit_and_clock() {
        let httl = argv("HTTL k FIELDS 1 f");
        let hpttl = argv("HPTTL k FIELDS 1 f");
        assert_eq!(probe_for(&httl, &generated(false)), Probe::Millis);
        assert_eq!(Probe::Millis.command(&httl).unwrap()[0], b"HPTTL");
        let millis = Reply::Array(vec![Reply::Integer(1500)]);
        assert_eq!(
            policy(&httl, &generated(false), Some(&millis)),
            Policy::TtlSeconds {
                millis: vec![1500],
                tolerance: 250
            }
        );
        assert_eq!(
            policy(&hpttl, &generated(false), None),
            Policy::TtlWithin { tolerance: 250 }
        );
        let plain = case(true, Overrides::default());
        assert_eq!(
            policy(&httl, &plain, None),
            Policy::TtlWithin { tolerance: 1 }
        );
        assert_eq!(
            policy(&hpttl, &plain, None),
            Policy::TtlWithin { tolerance: 50 }
        );
        let within = case(
            true,
            Overrides {
                ttl_within: Some(7),
                ..Overrides::default()
            },
        );
        assert_eq!(
            policy(&hpttl, &within, None),
            Policy::TtlWithin { tolerance: 7 }
        );
    }

    #[test]
    fn scans_walk_from_zero_and_pages_need_the_contents() {
        let from_zero = argv("HSCAN k 0 NOVALUES");
        let later = argv("HSCAN k 17");
        let legal = case(false, Overrides::default());
        assert!(walks(&from_zero, &legal) && !walks(&later, &legal));
        assert_eq!(
            policy(&from_zero, &legal, None),
            Policy::Scan { novalues: true }
        );
        assert_eq!(probe_for(&later, &legal), Probe::Contents);
        assert_eq!(
            policy(&later, &legal, None),
            Policy::ScanPage {
                novalues: false,
                hash: vec![]
            }
        );
        assert_eq!(
            policy(&later, &case(true, Overrides::default()), None),
            Policy::Exact
        );
        assert!(walks(&later, &generated(true)));
        assert_eq!(
            policy(&argv("HGET k f"), &generated(true), None),
            Policy::Exact
        );
    }
}
