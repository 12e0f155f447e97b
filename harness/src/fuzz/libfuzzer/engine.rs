//! The `engine` fuzz target: a program runs on two engines at once, one client speaking
//! RESP3 and one RESP2, on a manual clock that the program's waits move. Nothing may
//! panic, and after every step (and for every key at the end):
//! - no database stores an empty hash (the keyspace is inspected directly);
//! - for the key the step named: TYPE agrees with what is stored, and EXISTS with TYPE;
//! - for a hash with no expired field: HLEN, HGETALL, HKEYS and HVALS agree on the count
//!   and the order, and OBJECT ENCODING names the stored encoding;
//! - every reply's RESP2 bytes are those of its RESP2 projection, and each reply decodes
//!   back from its bytes in both protocols;
//! - the RESP2 client got the RESP3 client's reply, projected (HRANDFIELD WITHVALUES,
//!   which Redis shapes per protocol, is compared flattened; HELLO and CLIENT, which
//!   describe the connection, are not compared), and at the end both engines hold the
//!   same data.
//!
//! A broken invariant panics with the command and both sides, which libFuzzer records as
//! a crash and `cargo test` as a failure.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use reference_engine::command::ReplyPolicy;
use reference_engine::hash::FixedState;
use reference_engine::keyspace::Value;
use reference_engine::reply::quote;
use reference_engine::resp::{canonical, decode_reply, ReplyError};
use reference_engine::{Engine, ManualClock, Protocol, Reply, Session};

use super::program::{Action, Mode, Program, KEYS};
use super::{same_reply, verified};
use crate::compare::policy::{self, command_where, length_command};

/// Where the manual clock starts: a fixed instant, so a run is reproducible.
pub const START_MS: i64 = 1_700_000_000_000;
/// The engines' HRANDFIELD seed.
pub const SEED: u64 = 1;

/// The libFuzzer entry point.
pub fn fuzz(data: &[u8]) {
    check(&Program::from_bytes(data));
}

/// Runs `program` and checks every invariant; panics on the first one broken.
pub fn check(program: &Program) {
    let clock = ManualClock::new(START_MS);
    let mut sides = [
        Side::new(&clock, Protocol::Resp3),
        Side::new(&clock, Protocol::Resp2),
    ];
    for action in program.actions(b"", Mode::Engine) {
        let op = match action {
            Action::Wait(ms) => {
                clock.advance(ms as i64);
                continue;
            }
            Action::Send(op) => op,
        };
        let now_ms = reference_engine::Clock::now_ms(&clock);
        let argv = op.resolve(now_ms);
        let [resp3, resp2] = &mut sides;
        let reply3 = resp3.engine.execute(&mut resp3.session, &argv);
        let reply2 = resp2.engine.execute(&mut resp2.session, &argv);
        // The encoding checks are a function of the reply alone, and the two clients
        // usually get the same one: then it is checked once, and the two clients agree
        // without a comparison (the same reply has the same projection).
        if reply3 == reply2 {
            verify_encoding_once(&argv, &reply3);
        } else {
            let decoded3 = check_encoding_once(&argv, &reply3).1;
            let decoded2 = check_encoding_once(&argv, &reply2).0;
            check_same_for_both_clients(&argv, &decoded3, &decoded2);
        }
        for side in &mut sides {
            side.check_no_empty_hash(&argv);
        }
        // The key the command named; the rest of the keyspace is probed at the end. Only
        // the RESP3 side is probed: if a probe changed anything, the two sides would part,
        // and the next comparison would show it.
        if let Some(key) = argv.get(1) {
            sides[0].probe_key(key, &argv, now_ms);
            mirror_probe(&mut sides, key, now_ms);
        }
    }
    let now_ms = reference_engine::Clock::now_ms(&clock);
    for key in sides[0].probe_all(b"the end of the program") {
        mirror_probe(&mut sides, &key, now_ms);
    }
    let [resp3, resp2] = &sides;
    for db in 0..reference_engine::engine::DATABASES {
        let (a, b) = (resp3.engine.keyspace(db), resp2.engine.keyspace(db));
        assert_eq!(
            a.len(),
            b.len(),
            "db {db}: the two clients' engines hold different keys"
        );
        for (key, value) in a.iter() {
            assert_eq!(
                b.get(key),
                Some(value),
                "db {db}, key {}: the two clients' engines differ",
                quote(key)
            );
            assert_eq!(
                b.deadline(key),
                a.deadline(key),
                "db {db}, key {}: the two clients' engines give it different deadlines",
                quote(key)
            );
        }
    }
}

/// What a probe of `key` on the RESP3 side did to the keyspace, done on the RESP2 side
/// too: a probe's lookup deletes the key if its own deadline has passed (lazy expiry, as
/// any command naming it would), and the two engines must still hold the same keys. The
/// probes change nothing else.
fn mirror_probe(sides: &mut [Side; 2], key: &[u8], now_ms: i64) {
    let db = sides[0].session.db;
    sides[1]
        .engine
        .keyspace_mut(db)
        .expire_if_needed(key, now_ms);
}

/// One engine and its client.
struct Side {
    engine: Engine,
    session: Session,
    /// Per probed key (db, name): the instant and the stored value it was last probed at.
    /// The probes read only the key's value and the clock (TYPE, EXISTS, the listings,
    /// OBJECT ENCODING; `Value`'s equality includes the encoding and the order), so while
    /// both are unchanged they would answer as they did: a step that left the key alone
    /// (a read, an error, a condition not met) need not probe it again.
    probed: HashMap<(usize, Vec<u8>), (i64, Option<Value>), FixedState>,
}

impl Side {
    fn new(clock: &ManualClock, protocol: Protocol) -> Self {
        let mut session = Session::new(1);
        session.protocol = protocol;
        Side {
            engine: Engine::with_seed(Arc::new(clock.clone()), SEED),
            session,
            probed: HashMap::default(),
        }
    }

    /// No database stores an empty hash, after `after` ran.
    fn check_no_empty_hash(&self, after: &[Vec<u8>]) {
        for db in 0..reference_engine::engine::DATABASES {
            let keyspace = self.engine.keyspace(db);
            // An empty table's iterator still walks its buckets: most databases are empty.
            if keyspace.len() == 0 {
                continue;
            }
            for (key, value) in keyspace.iter() {
                if let Value::Hash(h) = value {
                    assert!(
                        !h.is_empty(),
                        "after {}: db {db} stores an empty hash at {}",
                        show(after),
                        quote(key)
                    );
                }
            }
        }
    }

    /// A session of its own for probing (RESP3, the client's db), so the client's session
    /// is untouched. The probes neither write nor draw random numbers.
    fn probe_session(&self) -> Session {
        let mut probe = Session::new(2);
        probe.protocol = Protocol::Resp3;
        probe.db = self.session.db;
        probe
    }

    /// The key invariants of `key`, after `after` ran at `now_ms`, unless the key is as it
    /// was when last probed (see [`Side::probed`]).
    fn probe_key(&mut self, key: &[u8], after: &[Vec<u8>], now_ms: i64) {
        let mut probe = self.probe_session();
        let stored = self.engine.keyspace(probe.db).get(key);
        let id = (probe.db, key.to_vec());
        if let Some((when, value)) = self.probed.get(&id) {
            if *when == now_ms && value.as_ref() == stored {
                return;
            }
        }
        let snapshot = (now_ms, stored.cloned());
        self.check_key(&mut probe, key, after);
        // What was probed; a probe that changed the key is caught by the next comparison.
        self.probed.insert(id, snapshot);
    }

    /// The key invariants of the pool's keys and of every stored key, at `when`. Returns
    /// the keys it probed.
    fn probe_all(&mut self, when: &[u8]) -> Vec<Vec<u8>> {
        let mut probe = self.probe_session();
        let mut keys: Vec<Vec<u8>> = (0..KEYS).map(|i| format!("k{i}").into_bytes()).collect();
        for (key, _) in self.engine.keyspace(probe.db).iter() {
            if !keys.iter().any(|k| k == key) {
                keys.push(key.to_vec());
            }
        }
        for key in &keys {
            self.check_key(&mut probe, key, &[when.to_vec()]);
        }
        keys
    }

    fn check_key(&mut self, probe: &mut Session, key: &[u8], after: &[Vec<u8>]) {
        let db = probe.db;
        let engine = &mut self.engine;
        let mut run = |engine: &mut Engine, words: &[&[u8]]| {
            let argv: Vec<Vec<u8>> = words.iter().map(|w| w.to_vec()).collect();
            engine.execute(probe, &argv)
        };
        let ty = run(engine, &[b"TYPE", key]);
        let exists = run(engine, &[b"EXISTS", key]);
        let stored = engine.keyspace(db).get(key).map(Value::type_name);
        let context = || format!("after {}, key {}", show(after), quote(key));
        assert_eq!(
            ty,
            Reply::Simple(stored.unwrap_or("none").to_string()),
            "{}: TYPE disagrees with the keyspace",
            context()
        );
        assert_eq!(
            exists,
            Reply::Integer(i64::from(stored.is_some())),
            "{}: EXISTS disagrees with TYPE",
            context()
        );
        if stored != Some("hash") || engine.has_expired_fields(db, key) {
            return;
        }
        let encoding = match engine.keyspace(db).hash(key) {
            Ok(Some(h)) => h.encoding().name(),
            _ => unreachable!("TYPE said hash"),
        };
        // The commands by what they answer: the length, and the three listings (looked up
        // once: this runs after every step).
        static LISTINGS: LazyLock<[Vec<u8>; 3]> = LazyLock::new(|| {
            let listing = |pairs, values| {
                command_where(move |c| c.reply == ReplyPolicy::Listing { pairs, values })
            };
            [
                listing(true, true),
                listing(false, false),
                listing(false, true),
            ]
        });
        let [all_cmd, keys_cmd, vals_cmd] = &*LISTINGS;
        let len = run(engine, &[length_command(), key]);
        let all = run(engine, &[all_cmd, key]);
        let keys = run(engine, &[keys_cmd, key]);
        let vals = run(engine, &[vals_cmd, key]);
        let object = run(engine, &[b"OBJECT", b"ENCODING", key]);
        let (Reply::Integer(n), Reply::Map(pairs), Reply::Array(ks), Reply::Array(vs)) =
            (&len, &all, &keys, &vals)
        else {
            panic!(
                "{}: unexpected shapes: HLEN {len:?}, HGETALL {all:?}, HKEYS {keys:?}, HVALS {vals:?}",
                context()
            );
        };
        assert_eq!(
            *n as usize,
            pairs.len(),
            "{}: HLEN is not the number of HGETALL pairs",
            context()
        );
        assert!(*n > 0, "{}: a stored hash has HLEN 0", context());
        let fields: Vec<&Reply> = pairs.iter().map(|(f, _)| f).collect();
        let values: Vec<&Reply> = pairs.iter().map(|(_, v)| v).collect();
        assert_eq!(
            fields,
            ks.iter().collect::<Vec<_>>(),
            "{}: HKEYS differs from the fields of HGETALL",
            context()
        );
        assert_eq!(
            values,
            vs.iter().collect::<Vec<_>>(),
            "{}: HVALS differs from the values of HGETALL",
            context()
        );
        assert_eq!(
            object,
            Reply::bulk(encoding),
            "{}: OBJECT ENCODING is not the stored encoding",
            context()
        );
    }
}

/// [`check_encoding`], unless `reply` already passed it in this process (see
/// `verified.rs`).
fn verify_encoding_once(argv: &[Vec<u8>], reply: &Reply) {
    if !verified::seen(reply) {
        check_encoding(argv, reply);
        verified::remember(reply);
    }
}

/// [`verify_encoding_once`], returning the reply's canonical forms (RESP2, RESP3), which
/// are computed either way.
fn check_encoding_once(argv: &[Vec<u8>], reply: &Reply) -> (Reply, Reply) {
    if verified::seen(reply) {
        return (reply.to_resp2(), canonical(reply, Protocol::Resp3));
    }
    let canonical_forms = check_encoding(argv, reply);
    verified::remember(reply);
    canonical_forms
}

/// A reply's RESP2 bytes are its projection's, and it decodes back in both protocols.
/// Returns what a RESP2 and a RESP3 client decode (the reply's canonical forms).
fn check_encoding(argv: &[Vec<u8>], reply: &Reply) -> (Reply, Reply) {
    // Each encoding is made once and serves both checks.
    let resp2 = reply.to_bytes(Protocol::Resp2);
    let projected = reply.to_resp2();
    assert_eq!(
        resp2,
        projected.to_bytes(Protocol::Resp2),
        "{}: the RESP2 bytes are not those of the RESP2 projection",
        show(argv)
    );
    // What decoding gives back: RESP2's canonical form is the projection itself.
    let resp3_expected = canonical(reply, Protocol::Resp3);
    let resp3 = reply.to_bytes(Protocol::Resp3);
    let decoded2 = decode_reply(&resp2);
    check_decoded(argv, Protocol::Resp2, &resp2, &decoded2, &projected);
    // Most replies (integers, bulk strings, errors, arrays of them) are the same bytes in
    // both protocols, and the same bytes decode the same way.
    if resp3 == resp2 {
        check_decoded(argv, Protocol::Resp3, &resp3, &decoded2, &resp3_expected);
    } else {
        let decoded3 = decode_reply(&resp3);
        check_decoded(argv, Protocol::Resp3, &resp3, &decoded3, &resp3_expected);
    }
    (projected, resp3_expected)
}

/// `decoded` (from `bytes`, in `protocol`) used all the bytes and is `expected`.
fn check_decoded(
    argv: &[Vec<u8>],
    protocol: Protocol,
    bytes: &[u8],
    decoded: &DecodeResult,
    expected: &Reply,
) {
    let ok =
        matches!(decoded, Ok(Some((r, used))) if *used == bytes.len() && same_reply(r, expected));
    assert!(
        ok,
        "{}: {protocol:?} bytes {:?} decode to {decoded:?}, not {expected:?}",
        show(argv),
        String::from_utf8_lossy(bytes)
    );
}

type DecodeResult = Result<Option<(Reply, usize)>, ReplyError>;

/// The RESP2 client's reply is the RESP3 client's, projected.
fn check_same_for_both_clients(argv: &[Vec<u8>], resp3: &Reply, resp2: &Reply) {
    let name = argv
        .first()
        .map(|n| n.to_ascii_uppercase())
        .unwrap_or_default();
    if name == b"HELLO" || name == b"CLIENT" {
        return;
    }
    let mut projected = resp3.to_resp2();
    let mut other = resp2.to_resp2();
    // A random pick's RESP3 pairs are nested where RESP2's are flat.
    if policy::reply_of_name(&name) == ReplyPolicy::RandomPick {
        projected = flatten(projected);
        other = flatten(other);
    }
    assert!(
        same_reply(&projected, &other),
        "{}: the RESP2 client got {resp2:?}, the RESP3 client {resp3:?}",
        show(argv)
    );
}

/// An array of `[field, value]` pairs as one flat array (HRANDFIELD WITHVALUES in RESP3).
fn flatten(reply: Reply) -> Reply {
    match reply {
        Reply::Array(items) if items.iter().all(|i| matches!(i, Reply::Array(_))) => Reply::Array(
            items
                .into_iter()
                .flat_map(|i| match i {
                    Reply::Array(pair) => pair,
                    other => vec![other],
                })
                .collect(),
        ),
        other => other,
    }
}

/// A command as redis-cli would print it.
pub(crate) fn show(argv: &[Vec<u8>]) -> String {
    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::libfuzzer::{program::*, test_n_times};

    /// `HSET k0` with `pairs`.
    fn hset_k0(pairs: &[(&str, &str)]) -> Step {
        Step::Pairs {
            cmd: Cmd::named("hset"),
            key: Key(0),
            pairs: pairs
                .iter()
                .map(|(f, v)| (Field(f.as_bytes().to_vec()), Value(v.as_bytes().to_vec())))
                .collect(),
        }
    }

    #[test]
    fn random_inputs_keep_every_invariant() {
        test_n_times(300, 4096, fuzz);
    }

    #[test]
    fn a_wait_expires_fields_and_the_checks_still_hold() {
        let program = Program {
            resp3: false,
            steps: vec![
                hset_k0(&[("f0", "1"), ("f1", "2")]),
                Step::Expire {
                    cmd: Cmd::named("hpexpire"),
                    key: Key(0),
                    time: Time::Soon(99),
                    condition: None,
                    fields: FieldList {
                        fields: vec![Field(b"f0".to_vec()), Field(b"f1".to_vec())],
                        numfields: NumFields::Right,
                    },
                },
                Step::Advance(200),
                Step::WholeKey {
                    cmd: Cmd::named("hlen"),
                    key: Key(0),
                },
                Step::WholeKey {
                    cmd: Cmd::named("hgetall"),
                    key: Key(0),
                },
                Step::WholeKey {
                    cmd: Cmd::named("type"),
                    key: Key(0),
                },
            ],
        };
        check(&program);
    }

    #[test]
    fn a_key_deadline_passing_leaves_both_engines_alike() {
        // The probes (RESP3 side only) look the key up after its deadline and delete it;
        // the RESP2 engine must be judged by what it holds live, not what it stores.
        let program = Program {
            resp3: false,
            steps: vec![
                hset_k0(&[("f0", "1")]),
                Step::Raw {
                    name: RawName::Bytes(b"PEXPIRE".to_vec()),
                    key: Key(0),
                    args: vec![b"50".to_vec()],
                },
                Step::Advance(200),
            ],
        };
        check(&program);
    }

    #[test]
    fn flatten_only_touches_pairs() {
        let pairs = Reply::Array(vec![Reply::Array(vec![Reply::bulk("f"), Reply::bulk("v")])]);
        assert_eq!(
            flatten(pairs),
            Reply::Array(vec![Reply::bulk("f"), Reply::bulk("v")])
        );
        let flat = Reply::Array(vec![Reply::bulk("f")]);
        assert_eq!(flatten(flat.clone()), flat);
    }

    #[test]
    #[should_panic(expected = "the RESP2 client got")]
    fn a_protocol_difference_is_caught() {
        check_same_for_both_clients(&[b"HGET".to_vec()], &Reply::bulk("a"), &Reply::Null);
    }
}
