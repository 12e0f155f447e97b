//! HSET and HMSET: set one or more fields.
//!
//! ```text
//! HSET key field value [field value ...]
//! HMSET key field value [field value ...]
//! ```
//!
//! HSET replies with the number of fields that were new; HMSET (deprecated since 4.0, same
//! grammar) replies `+OK`. Both create the key if needed.
//! <https://redis.io/docs/latest/commands/hset/>
//! <https://redis.io/docs/latest/commands/hmset/>

use super::args::lower_name;
use super::ctx::{CommandResult, Ctx};
use super::grammar::{Grammar, Shape};
use super::spec::{CommandSpec, KeySpec};
use crate::error::CommandError;
use crate::hash::TtlOnWrite;
use crate::reply::Reply;

/// What HSET accepts, for the command table (syntax above).
pub const HSET: Grammar = Grammar {
    shape: Shape::Pairs,
    keywords: &[],
    errors: &["WrongArity", "WrongType"],
};
/// What HMSET accepts, for the command table (syntax above).
pub const HMSET: Grammar = Grammar {
    shape: Shape::Pairs,
    keywords: &[],
    errors: &["WrongArity", "WrongType"],
};

pub fn hset(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    set_pairs(ctx, argv).map(|created| Reply::Integer(created as i64))
}

pub fn hmset(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    set_pairs(ctx, argv).map(|_| Reply::ok())
}

/// Sets every pair of `argv[2..]` left to right and returns how many fields were new.
fn set_pairs(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> Result<usize, CommandError> {
    // A dangling field without a value is an arity error, and Redis checks it before it
    // looks at the key, so `HSET string-key f v g` does not say WRONGTYPE.
    if argv.len() % 2 != 0 {
        return Err(CommandError::WrongArity(lower_name(&argv[0])));
    }
    let pairs = &argv[2..];
    let longest = pairs.iter().map(Vec::len).max().unwrap_or(0);
    let limits = ctx.hash_limits();
    let h = ctx.db().hash_or_create(&argv[1])?;
    // Redis decides the encoding from the whole request before writing anything: more
    // pairs than a listpack may hold (duplicates counted) or one long string converts it.
    h.prepare_write(pairs.len() / 2, longest, limits);
    let mut created = 0;
    for pair in pairs.chunks_exact(2) {
        // WHY `set` without reclaiming first: Redis overwrites an expired field that nothing
        // has reclaimed yet as if it were alive, so it counts as an update (not new), and
        // the write clears its TTL, which revives it.
        if h.set_within(&pair[0], &pair[1], TtlOnWrite::Clear, limits) {
            created += 1;
        }
    }
    Ok(created)
}

/// HMSET's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const HMSET_SPEC: CommandSpec = CommandSpec::hash("hmset", -4, "2.0.0", hmset, &HMSET)
    .info(
        "write denyoom fast",
        "@write @hash @fast",
        "",
        Some(KeySpec::range("RW update", 1, 0)),
    )
    .lazy_clock();

/// HSET's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const HSET_SPEC: CommandSpec = CommandSpec::hash("hset", -4, "2.0.0", hset, &HSET)
    .info(
        "write denyoom fast",
        "@write @hash @fast",
        "",
        Some(KeySpec::range("RW update", 1, 0)),
    )
    .lazy_clock();

#[cfg(test)]
mod tests {
    use crate::hash::Encoding;
    use crate::reply::{Protocol, Reply};
    use crate::test_support::*;

    fn encoding(t: &TestEngine, key: &[u8]) -> Encoding {
        t.engine.keyspace(0).hash(key).unwrap().unwrap().encoding()
    }

    #[test]
    fn counts_new_fields_and_later_duplicates_win() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("HSET h a 1 b 2 a 3"), int(2));
        assert_eq!(t.run("HGET h a"), bulk("3"));
        assert_eq!(t.run("HSET h a 4 c 5"), int(1));
        assert_eq!(t.run("HSET h a 4"), int(0));
        assert_eq!(t.run_args(&[b"HSET", b"e", b"", b""]), int(1));
        assert_eq!(t.run_args(&[b"HGET", b"e", b""]), bulk(""));
    }

    #[test]
    fn hmset_replies_ok_in_both_protocols() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("HMSET h a 1 b 2"), Reply::ok());
        assert_eq!(t.resp2("HMSET h a 1").to_bytes(Protocol::Resp2), b"+OK\r\n");
        assert_eq!(t.run("HMGET h a b"), arr(vec![bulk("1"), bulk("2")]));
    }

    #[test]
    fn odd_arguments_are_an_arity_error_before_wrongtype() {
        let mut t = TestEngine::new();
        t.engine.keyspace_mut(0).set_string(b"s", b"x");
        assert_eq!(
            t.run("HSET s f v g"),
            err("ERR wrong number of arguments for 'hset' command")
        );
        assert_eq!(
            t.run("hmset s f v g"),
            err("ERR wrong number of arguments for 'hmset' command")
        );
        let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
        assert_eq!(t.run("HSET s f v"), wrongtype);
        assert_eq!(t.run("HMSET s f v"), wrongtype);
    }

    #[test]
    fn converts_up_front_on_long_strings() {
        let mut t = TestEngine::new();
        let long = vec![b'x'; 65];
        let edge = vec![b'x'; 64];
        t.run_args(&[b"HSET", b"h", b"a", &edge]);
        assert_eq!(encoding(&t, b"h"), Encoding::Listpack);
        t.run_args(&[b"HSET", b"h", &long, b"1"]);
        assert_eq!(encoding(&t, b"h"), Encoding::Hashtable);
        // One conversion is forever: deleting the long field keeps the hash table.
        t.run_args(&[b"HDEL", b"h", &long]);
        assert_eq!(encoding(&t, b"h"), Encoding::Hashtable);
    }

    #[test]
    fn converts_up_front_on_many_pairs_even_with_duplicates() {
        let mut t = TestEngine::new();
        // 513 pairs naming only 2 distinct fields still convert, because Redis decides from
        // the argument count.
        let mut argv: Vec<&[u8]> = vec![b"HSET", b"h"];
        for i in 0..513 {
            argv.push(if i % 2 == 0 { b"a" } else { b"b" });
            argv.push(b"v");
        }
        assert_eq!(t.run_args(&argv), int(2));
        assert_eq!(encoding(&t, b"h"), Encoding::Hashtable);
        argv.truncate(2 + 512 * 2);
        argv[1] = b"h2";
        t.run_args(&argv);
        assert_eq!(encoding(&t, b"h2"), Encoding::Listpack);
    }

    #[test]
    fn overwrite_clears_the_ttl_and_moves_the_field_last() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        t.expire_fields("h", &["b"], NOW + 100);
        assert_eq!(t.run("HKEYS h"), arr(vec![bulk("b"), bulk("a"), bulk("c")]));
        assert_eq!(t.run("HSET h b 9"), int(0));
        let h = t.engine.keyspace(0).hash(b"h").unwrap().unwrap();
        assert_eq!(h.get(b"b").unwrap().expire_at_ms, None);
        assert_eq!(t.run("HKEYS h"), arr(vec![bulk("a"), bulk("c"), bulk("b")]));
        t.advance(200);
        assert_eq!(t.run("HGET h b"), bulk("9"));
    }

    #[test]
    fn an_expired_unreclaimed_field_counts_as_existing_and_is_revived() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        t.expire_fields("h", &["a", "b"], NOW + 1);
        t.advance(2);
        assert_eq!(t.run("HSET h a 10"), int(0));
        assert_eq!(t.run("HLEN h"), int(3));
        assert_eq!(
            t.run("HGETALL h"),
            Reply::Map(vec![(bulk("c"), bulk("3")), (bulk("a"), bulk("10"))])
        );
        assert_eq!(encoding(&t, b"h"), Encoding::ListpackEx);
        assert_eq!(t.run("HMSET h b 20"), Reply::ok());
        assert_eq!(t.run("HGET h b"), bulk("20"));
    }
}
