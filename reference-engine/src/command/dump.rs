//! DUMP: a key's value serialized in Redis 8.2.3's own format (see `rdb`).
//!
//! ```text
//! DUMP key
//! ```
//!
//! Replies with the payload as a bulk string, or null for a missing key. The payload holds
//! no key TTL (RESTORE takes one), but it does hold every field's TTL, expired fields
//! included: DUMP reclaims nothing, as in Redis.
//! <https://redis.io/docs/latest/commands/dump/>

use super::ctx::{CommandResult, Ctx};
use super::spec::{CommandSpec, KeySpec, ReplyPolicy};
use crate::rdb;
use crate::reply::Reply;

pub fn dump(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    Ok(match ctx.db().get(&argv[1]) {
        None => Reply::Null,
        Some(value) => Reply::Bulk(rdb::dump(value)),
    })
}

/// DUMP's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3). Its
/// reply is the server's own format: another server may encode the same value otherwise.
pub const DUMP_SPEC: CommandSpec = CommandSpec::support("dump", 2, "2.6.0", dump)
    .info(
        "readonly",
        "@keyspace @read @slow",
        "nondeterministic_output",
        Some(KeySpec::range("RO access", 1, 0)),
    )
    .reply(ReplyPolicy::Payload)
    .lazy_clock();

#[cfg(test)]
mod tests {
    use crate::reply::Reply;
    use crate::test_support::*;

    #[test]
    fn missing_key_is_null_and_a_hash_round_trips() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("DUMP nosuchkey"), Reply::Null);
        t.run("HSET h a 1 b 2");
        let Reply::Bulk(payload) = t.run("DUMP h") else {
            panic!("a payload")
        };
        assert_eq!(
            payload,
            b"\x10\x11\x11\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x81b\x02\x02\x01\xff\x0c\x00\
              \xf5\x36\x57\xac\x75\x77\xe8\xd3"
        );
        assert_eq!(
            t.run_args(&[b"RESTORE", b"h2", b"0", &payload]),
            Reply::ok()
        );
        assert_eq!(t.run("HGETALL h2"), t.run("HGETALL h"));
    }
}
