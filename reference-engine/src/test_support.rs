//! For unit tests anywhere in the crate: a one-line way to run commands,
//! `t.run("HSET k f v")`. It sits above every module (it drives the whole engine), so a
//! module's tests may use it without making that module depend on the engine.

use std::sync::Arc;

use crate::clock::ManualClock;
use crate::engine::{Engine, Session};
use crate::hash::{HashValue, TtlOnWrite};
use crate::keyspace::Value;
use crate::reply::{Protocol, Reply};

pub struct TestEngine {
    pub engine: Engine,
    pub session: Session,
    pub clock: ManualClock,
}

impl TestEngine {
    /// An engine on a manual clock at 1_700_000_000_000 ms, speaking RESP3.
    pub fn new() -> Self {
        let clock = ManualClock::new(NOW);
        let engine = Engine::with_seed(Arc::new(clock.clone()), 1);
        let session = Session {
            protocol: Protocol::Resp3,
            ..Session::default()
        };
        Self {
            engine,
            session,
            clock,
        }
    }

    /// Runs a command given as whitespace-separated words.
    pub fn run(&mut self, line: &str) -> Reply {
        self.engine.execute(&mut self.session, &argv(line))
    }

    /// Runs a command given as separate arguments (for empty or spaced arguments).
    pub fn run_args(&mut self, args: &[&[u8]]) -> Reply {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        self.engine.execute(&mut self.session, &argv)
    }

    /// Runs a command and renders the reply the way redis-cli would, in RESP2 form.
    pub fn resp2(&mut self, line: &str) -> Reply {
        self.session.protocol = Protocol::Resp2;
        let r = self.run(line);
        self.session.protocol = Protocol::Resp3;
        r
    }

    /// Gives `fields` of the hash at `key` the deadline `at_ms`, straight in the keyspace, so
    /// that a test depends on no command but the one it tests.
    pub fn expire_fields(&mut self, key: &str, fields: &[&str], at_ms: i64) {
        let hash = self.engine.keyspace_mut(0).hash_mut(key.as_bytes());
        let hash = hash.expect("a hash").expect("an existing key");
        for field in fields {
            hash.set_expire(field.as_bytes(), Some(at_ms));
        }
    }

    pub fn advance(&self, ms: i64) {
        self.clock.advance(ms);
    }
}

/// A command given as whitespace-separated words, as an argv.
pub fn argv(line: &str) -> Vec<Vec<u8>> {
    line.split_whitespace()
        .map(|w| w.as_bytes().to_vec())
        .collect()
}

pub fn bulk(s: &str) -> Reply {
    Reply::bulk(s)
}

pub fn err(s: &str) -> Reply {
    Reply::Error(s.to_string())
}

pub fn int(n: i64) -> Reply {
    Reply::Integer(n)
}

pub fn arr(items: Vec<Reply>) -> Reply {
    Reply::Array(items)
}

/// Checks what a read that reclaims lazily does when the field it touches is the last one of
/// its hash and expired: it replies `want` (as for a missing field) and the key is gone.
pub fn assert_reclaiming_the_last_field_deletes_the_key(line: &str, want: Reply) {
    let mut t = TestEngine::new();
    t.run("HSET h a 1");
    t.expire_fields("h", &["a"], NOW + 10);
    t.advance(11);
    assert_eq!(t.run(line), want, "{line}");
    assert!(!t.engine.keyspace(0).contains(b"h"), "{line} left the key");
}

/// What an increment (HINCRBY, HINCRBYFLOAT) does when the field it adds to is the hash's last
/// one and expired: a bad increment (`x`) fails with `bad` before anything is reclaimed; a good
/// one counts the field as zero, replies `want` and leaves a plain listpack holding `stored`.
pub fn assert_increment_recreates_an_expired_last_field(
    cmd: &str,
    by: &str,
    want: Reply,
    stored: &str,
    bad: Reply,
) {
    let mut t = TestEngine::new();
    t.run("HSET h a 1");
    t.expire_fields("h", &["a"], NOW + 1);
    t.advance(2);
    assert_eq!(t.run(&format!("{cmd} h a x")), bad);
    assert!(t.engine.keyspace(0).contains(b"h"));
    assert_eq!(t.run(&format!("{cmd} h a {by}")), want);
    assert_eq!(encoding(&t, "h"), "listpack");
    assert_eq!(
        t.run("HGETALL h"),
        Reply::Map(vec![(bulk("a"), bulk(stored))])
    );
}

// Set-up and inspection for the field-expiration command tests, working on the keyspace
// directly so the tests depend only on the command under test (and on `HashValue`).

/// The TestEngine's starting clock, in unix ms.
pub const NOW: i64 = 1_700_000_000_000;
/// A second, in ms.
pub const S: i64 = 1000;

/// Stores a listpack hash `key` holding `pairs` ("a 1 b 2"), replacing the key.
pub fn hash(t: &mut TestEngine, key: &str, pairs: &str) {
    let words: Vec<&str> = pairs.split_whitespace().collect();
    let mut h = HashValue::new();
    for p in words.chunks(2) {
        h.set(p[0].as_bytes(), p[1].as_bytes(), TtlOnWrite::Clear);
    }
    t.engine
        .keyspace_mut(0)
        .insert(key.as_bytes(), Value::Hash(h));
}

/// Stores a string at `key` (to provoke WRONGTYPE).
pub fn string(t: &mut TestEngine, key: &str) {
    t.engine.keyspace_mut(0).set_string(key.as_bytes(), b"x");
}

/// The hash at `key`, if there is one.
pub fn stored_hash(t: &TestEngine, key: &str) -> Option<HashValue> {
    t.engine.keyspace(0).hash(key.as_bytes()).unwrap().cloned()
}

/// Every stored field of `key` in storage (= reply) order, expired ones included.
pub fn order(t: &TestEngine, key: &str) -> Vec<String> {
    stored_hash(t, key)
        .map(|h| {
            h.iter()
                .map(|f| String::from_utf8(f.field.to_vec()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

/// `OBJECT ENCODING key`, or "" when the key is missing.
pub fn encoding(t: &TestEngine, key: &str) -> &'static str {
    stored_hash(t, key).map_or("", |h| h.encoding().name())
}

/// The stored deadline of a field: None = no such field, Some(None) = no TTL.
pub fn deadline(t: &TestEngine, key: &str, field: &str) -> Option<Option<i64>> {
    stored_hash(t, key).and_then(|h| h.get(field.as_bytes()).map(|f| f.expire_at_ms))
}

/// The stored value of a field, expired or not.
pub fn value(t: &TestEngine, key: &str, field: &str) -> Option<String> {
    stored_hash(t, key).and_then(|h| {
        h.get(field.as_bytes())
            .map(|f| String::from_utf8(f.value.to_vec()).unwrap())
    })
}

/// An integer array reply, the shape every HFE command except HGETEX/HSETEX uses.
pub fn ints(v: &[i64]) -> crate::reply::Reply {
    crate::reply::Reply::Array(v.iter().map(|n| crate::reply::Reply::Integer(*n)).collect())
}
