//! DUMP and RESTORE across the engine and Redis 8.2.3, in both directions, for each hash
//! encoding Redis produces: a small listpack, a large hash table, and both with field
//! TTLs (listpackex, and a hash table with per-field expiry). A payload from one side
//! restores on the other to the same HGETALL and HPTTL readings, and where both sides hold
//! the hash in the same encoding and order the payloads are byte-identical. Damaged
//! payloads get Redis's errors on both.

use std::time::Duration;

use hashcheck::compare::{compare, ErrorMatch, Policy};
use hashcheck::targets::{EmbeddedTarget, NetworkTarget, Target};
use reference_engine::{Protocol, Reply};

use crate::support;
use crate::support::servers::{self, argv};

/// HPTTL readings on the two sides may differ by the time between them; the harness's
/// own floor for real clocks.
const TTL_TOLERANCE_MS: i64 = 250;
/// Field deadlines far ahead (2030), so none falls due during the test.
const FAR: i64 = 1_900_000_000_000;

struct Sides {
    redis: NetworkTarget,
    engine: EmbeddedTarget,
}

impl Sides {
    fn new(addr: &str, protocol: Protocol) -> Self {
        let redis = NetworkTarget::connect(addr, Some(protocol), Duration::from_secs(5)).unwrap();
        Self {
            redis,
            engine: EmbeddedTarget::new(protocol),
        }
    }

    /// The engine's clock set to the wall clock, so its TTL readings are comparable.
    fn sync_clock(&mut self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        self.engine.manual_clock().set(now);
    }

    /// `words` on both sides, which must reply alike.
    fn both(&mut self, words: &[&str]) -> Reply {
        let a = self.redis.call(&argv(words)).unwrap();
        let b = self.engine.call(&argv(words)).unwrap();
        assert_eq!(b, a, "{words:?}");
        a
    }

    fn on(&mut self, redis: bool, args: &[Vec<u8>]) -> Reply {
        if redis {
            self.redis.call(args).unwrap()
        } else {
            self.engine.call(args).unwrap()
        }
    }
}

fn payload(reply: Reply) -> Vec<u8> {
    match reply {
        Reply::Bulk(p) => p,
        other => panic!("DUMP replied {other:?}"),
    }
}

fn restore(key: &str, payload: &[u8], extra: &[&str]) -> Vec<Vec<u8>> {
    let mut args = argv(&["RESTORE", key, "0"]);
    args.push(payload.to_vec());
    args.extend(argv(extra));
    args
}

/// One encoding's set-up: commands run on both sides, and the encoding they give.
struct Shape {
    name: &'static str,
    encoding: &'static str,
    setup: Vec<Vec<String>>,
    /// Whether both sides hold the fields in the same order (not a hash table's).
    same_order: bool,
}

fn shapes() -> Vec<Shape> {
    let words = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    let mut large = vec!["HSET".to_string(), "{k}".to_string()];
    for i in 0..600 {
        large.push(format!("field:{i}"));
        large.push(format!("value number {i} aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    }
    let long = "x".repeat(70);
    vec![
        Shape {
            name: "small listpack",
            encoding: "listpack",
            setup: vec![words("HSET {k} a 1 b 2 c -300 d 123456789012 e hello")],
            same_order: true,
        },
        Shape {
            name: "large hashtable",
            encoding: "hashtable",
            setup: vec![large.clone()],
            same_order: false,
        },
        Shape {
            name: "listpack with field TTLs",
            encoding: "listpackex",
            setup: vec![
                words("HSET {k} a 1 b 2 c 3 d 4 aaaaaaaaaaaaaaaaaaaaaaaaa aaaaaaaaaaaaaaaaaaaaaaaaaaa"),
                words(&format!("HPEXPIREAT {{k}} {} FIELDS 2 c a", FAR + 5_000)),
                words(&format!("HPEXPIREAT {{k}} {FAR} FIELDS 1 d")),
            ],
            same_order: true,
        },
        Shape {
            name: "hashtable with field TTLs",
            encoding: "hashtable",
            setup: vec![
                words(&format!("HSET {{k}} a 1 b 2 long {long}")),
                large,
                words(&format!("HPEXPIREAT {{k}} {FAR} FIELDS 3 a field:3 long")),
                words(&format!("HPEXPIREAT {{k}} {} FIELDS 1 field:7", FAR + 1)),
            ],
            same_order: false,
        },
    ]
}

fn setup(sides: &mut Sides, shape: &Shape, key: &str) {
    for command in &shape.setup {
        let words: Vec<&str> = command
            .iter()
            .map(|w| if w == "{k}" { key } else { w.as_str() })
            .collect();
        sides.both(&words);
    }
    let encoding = sides.both(&["OBJECT", "ENCODING", key]);
    assert_eq!(encoding, Reply::bulk(shape.encoding), "{}", shape.name);
}

/// The fields of `key` on Redis, for HPTTL.
fn fields_of(sides: &mut Sides, key: &str) -> Vec<String> {
    match sides.redis.call(&argv(&["HKEYS", key])).unwrap() {
        Reply::Array(items) | Reply::Set(items) => items
            .into_iter()
            .map(|r| match r {
                Reply::Bulk(b) => String::from_utf8(b).unwrap(),
                other => panic!("a field, got {other:?}"),
            })
            .collect(),
        other => panic!("HKEYS replied {other:?}"),
    }
}

/// HGETALL and HPTTL of `a` on Redis (or the engine) and of `b` on the other side agree.
fn same_readings(sides: &mut Sides, a_on_redis: bool, a: &str, b: &str, what: &str) {
    sides.sync_clock();
    let pairs = Policy::Unordered { pairs: true };
    let ea = sides.on(a_on_redis, &argv(&["HGETALL", a]));
    let eb = sides.on(!a_on_redis, &argv(&["HGETALL", b]));
    compare(&ea, &eb, &pairs, ErrorMatch::Exact)
        .unwrap_or_else(|m| panic!("{what}: HGETALL differs: {}", m.reason));
    let fields = fields_of(sides, if a_on_redis { a } else { b });
    let n = fields.len().to_string();
    for (i, chunk) in fields.chunks(100).enumerate() {
        let n = chunk.len().to_string();
        let hpttl = |key: &str| {
            let mut words = vec!["HPTTL", key, "FIELDS", n.as_str()];
            words.extend(chunk.iter().map(String::as_str));
            argv(&words)
        };
        let ra = sides.on(a_on_redis, &hpttl(a));
        let rb = sides.on(!a_on_redis, &hpttl(b));
        let ttl = Policy::TtlWithin {
            tolerance: TTL_TOLERANCE_MS,
        };
        compare(&ra, &rb, &ttl, ErrorMatch::Exact)
            .unwrap_or_else(|m| panic!("{what}: HPTTL (chunk {i}) differs: {}", m.reason));
    }
    assert!(n != "0", "{what}: the hash is empty");
}

#[test]
fn each_hash_encoding_restores_across_redis_and_the_engine() {
    let _turn = support::light();
    let redis = servers::redis();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let mut sides = Sides::new(&redis.addr(), protocol);
        sides.both(&["FLUSHALL"]);
        for (n, shape) in shapes().iter().enumerate() {
            let what = format!("{} ({protocol:?})", shape.name);
            let key = format!("src{n}");
            setup(&mut sides, shape, &key);
            let from_redis = payload(sides.redis.call(&argv(&["DUMP", &key])).unwrap());
            let from_engine = payload(sides.engine.call(&argv(&["DUMP", &key])).unwrap());
            if shape.same_order {
                assert_eq!(from_engine, from_redis, "{what}: the payloads' bytes");
            }
            // Redis's payload on the engine, the engine's on Redis.
            let on_engine = format!("from-redis{n}");
            let restored = sides
                .engine
                .call(&restore(&on_engine, &from_redis, &[]))
                .unwrap();
            assert_eq!(restored, Reply::ok(), "{what}: RESTORE on the engine");
            same_readings(
                &mut sides,
                true,
                &key,
                &on_engine,
                &format!("{what}, Redis -> engine"),
            );
            let on_redis = format!("from-engine{n}");
            let restored = sides
                .redis
                .call(&restore(&on_redis, &from_engine, &[]))
                .unwrap();
            assert_eq!(restored, Reply::ok(), "{what}: RESTORE on Redis");
            same_readings(
                &mut sides,
                false,
                &key,
                &on_redis,
                &format!("{what}, engine -> Redis"),
            );
            // Both load a payload into the same encoding.
            let a = sides
                .redis
                .call(&argv(&["OBJECT", "ENCODING", &on_redis]))
                .unwrap();
            let b = sides
                .engine
                .call(&argv(&["OBJECT", "ENCODING", &on_engine]))
                .unwrap();
            assert_eq!(b, a, "{what}: encoding after RESTORE");
        }
    }
}

/// A good payload damaged in each way RESTORE checks before it reads the object.
fn damaged(good: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let n = good.len();
    let mut crc = good.to_vec();
    crc[n - 1] ^= 0x01;
    let mut version = good.to_vec();
    version[n - 10] = 99;
    let mut body = good.to_vec();
    body[2] ^= 0x10;
    vec![
        ("checksum", crc),
        ("newer version", version),
        ("body under a stale checksum", body),
        ("too short", good[n - 9..].to_vec()),
        ("empty", Vec::new()),
    ]
}

#[test]
fn damaged_payloads_and_argument_errors_get_redis_errors_on_both() {
    let _turn = support::light();
    let redis = servers::redis();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let mut sides = Sides::new(&redis.addr(), protocol);
        sides.both(&["FLUSHALL"]);
        sides.both(&["HSET", "h", "a", "1", "b", "2"]);
        sides.both(&["SET", "s", "some string value"]);
        let good = payload(sides.both(&["DUMP", "h"]));
        for (what, bad) in damaged(&good) {
            let a = sides.redis.call(&restore("x", &bad, &[])).unwrap();
            let b = sides.engine.call(&restore("x", &bad, &[])).unwrap();
            assert_eq!(b, a, "{what} ({protocol:?})");
            assert!(matches!(a, Reply::Error(_)), "{what}: Redis refused it");
        }
        // Objects that are broken under a valid footer (Redis never writes one).
        for (what, body) in [
            ("unknown type", &b"\x08"[..]),
            ("truncated listpack", b"\x10\x05abc"),
            ("empty hash", b"\x04\x00"),
        ] {
            let framed = frame(body);
            let a = sides.redis.call(&restore("x", &framed, &[])).unwrap();
            let b = sides.engine.call(&restore("x", &framed, &[])).unwrap();
            assert_eq!(a, Reply::Error("ERR Bad data format".into()), "{what}");
            assert_eq!(b, a, "{what} ({protocol:?})");
        }
        // A string's payload restores on both, from either.
        let s = payload(sides.both(&["DUMP", "s"]));
        sides.both(&["DEL", "s2"]);
        assert_eq!(
            sides.redis.call(&restore("s2", &s, &[])).unwrap(),
            Reply::ok()
        );
        assert_eq!(
            sides.engine.call(&restore("s2", &s, &[])).unwrap(),
            Reply::ok()
        );
        sides.both(&["GET", "s2"]);
        // Argument errors in Redis's order.
        for extra in [
            &["REPLACE", "bogus"][..],
            &["IDLETIME", "-1"],
            &["FREQ", "300"],
            &["FREQ", "1", "IDLETIME", "1"],
        ] {
            let a = sides.redis.call(&restore("h", &good, extra)).unwrap();
            let b = sides.engine.call(&restore("h", &good, extra)).unwrap();
            assert_eq!(b, a, "{extra:?} ({protocol:?})");
        }
        let a = sides.redis.call(&restore("h", &good, &[])).unwrap();
        assert_eq!(
            a,
            Reply::Error("BUSYKEY Target key name already exists.".into())
        );
        assert_eq!(sides.engine.call(&restore("h", &good, &[])).unwrap(), a);
        sides.both(&["DUMP", "nosuchkey"]);
    }
}

/// `body` with the footer Redis 8.2.3 would give it (version 12, CRC-64; the byte-identity
/// checks above show the engine's footer is Redis's).
fn frame(body: &[u8]) -> Vec<u8> {
    let mut payload = body.to_vec();
    payload.extend_from_slice(&reference_engine::rdb::RDB_VERSION.to_le_bytes());
    let crc = reference_engine::rdb::crc64(&payload);
    payload.extend_from_slice(&crc.to_le_bytes());
    payload
}

#[test]
fn a_payload_with_expired_fields_restores_them_until_reclaimed() {
    let _turn = support::light();
    let redis = servers::redis();
    let mut sides = Sides::new(&redis.addr(), Protocol::Resp3);
    // Active expiry would reclaim them at its own moment; off, both sides are lazy.
    let off = sides
        .redis
        .call(&argv(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]))
        .unwrap();
    assert_eq!(off, Reply::ok());
    for key in ["h", "all", "t"] {
        // HPEXPIREAT with a past time deletes a field at once, so a payload holding an
        // expired field is built with the deadline set directly: a listpackex ("h"), one
        // whose fields have all expired ("all"), and a hash table ("t").
        let long = "x".repeat(70);
        let mut hash = reference_engine::hash::HashValue::new();
        let value = if key == "t" { long.as_str() } else { "2" };
        for (f, v) in [("a", "1"), ("b", value)] {
            hash.set(
                f.as_bytes(),
                v.as_bytes(),
                reference_engine::hash::TtlOnWrite::Clear,
            );
        }
        hash.set_expire(b"a", Some(1_000));
        if key == "all" {
            hash.set_expire(b"b", Some(2_000));
        }
        let p = reference_engine::rdb::dump(&reference_engine::keyspace::Value::Hash(hash));
        let target = format!("{key}-restored");
        assert_eq!(
            sides.redis.call(&restore(&target, &p, &[])).unwrap(),
            Reply::ok()
        );
        assert_eq!(
            sides.engine.call(&restore(&target, &p, &[])).unwrap(),
            Reply::ok()
        );
        for words in [
            &["EXISTS", &target][..],
            &["HLEN", &target],
            &["HGETALL", &target],
            &["HPTTL", &target, "FIELDS", "2", "a", "b"],
            &["HLEN", &target],
        ] {
            sides.both(words);
        }
    }
}
