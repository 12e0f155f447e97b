//! Key TTL readings: how long a whole key has left, or when it goes.
//!
//! ```text
//! TTL key             https://redis.io/docs/latest/commands/ttl/
//! PTTL key            https://redis.io/docs/latest/commands/pttl/
//! EXPIRETIME key      https://redis.io/docs/latest/commands/expiretime/
//! PEXPIRETIME key     https://redis.io/docs/latest/commands/pexpiretime/
//! ```
//!
//! Redis's `ttlGenericCommand`: -2 for a missing key, -1 for a key without a deadline, else
//! the time left (or the deadline itself), never below 0. Seconds round to the nearest
//! ((ms + 500) / 1000, checked on 8.2.3: a PTTL of 1499 reads TTL 1, of 499 reads 0), where
//! the field readings (HTTL) round up. Only the key's own deadline counts: field TTLs are
//! read with HTTL.

use super::ctx::{CommandResult, Ctx};
use super::grammar::TimeArg;
use super::spec::{CommandSpec, KeySpec, ReplyPolicy};
use crate::reply::Reply;

fn ttl_generic(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], reading: TimeArg) -> CommandResult {
    let now_ms = ctx.now();
    let db = ctx.db();
    if !db.contains(&argv[1]) {
        return Ok(Reply::Integer(-2));
    }
    let Some(deadline) = db.deadline(&argv[1]) else {
        return Ok(Reply::Integer(-1));
    };
    let ms = if reading.absolute {
        deadline
    } else {
        deadline - now_ms
    }
    .max(0);
    Ok(Reply::Integer(if reading.millis {
        ms
    } else {
        (ms + 500) / 1000
    }))
}

/// `TTL key`
pub fn ttl(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    ttl_generic(ctx, argv, TTL)
}

/// `PTTL key`
pub fn pttl(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    ttl_generic(ctx, argv, PTTL)
}

/// `EXPIRETIME key`
pub fn expiretime(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    ttl_generic(ctx, argv, EXPIRETIME)
}

/// `PEXPIRETIME key`
pub fn pexpiretime(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    ttl_generic(ctx, argv, PEXPIRETIME)
}

const TTL: TimeArg = TimeArg {
    millis: false,
    absolute: false,
};
const PTTL: TimeArg = TimeArg {
    millis: true,
    absolute: false,
};
const EXPIRETIME: TimeArg = TimeArg {
    millis: false,
    absolute: true,
};
const PEXPIRETIME: TimeArg = TimeArg {
    millis: true,
    absolute: true,
};

/// A reading's row: COMMAND INFO facts from Redis 8.2.3 (TTL and PTTL drift with the clock,
/// so Redis tips them `nondeterministic_output`; the absolute readings do not).
const fn reading(
    name: &'static str,
    since: &'static str,
    run: super::Run,
    time: TimeArg,
    twin: &'static str,
) -> CommandSpec {
    let tips = if time.absolute {
        ""
    } else {
        "nondeterministic_output"
    };
    CommandSpec::support(name, 2, since, run)
        .info(
            "readonly fast",
            "@keyspace @read @fast",
            tips,
            Some(KeySpec::range("RO access", 1, 0)),
        )
        .reply(ReplyPolicy::Ttl {
            reading: time,
            twin,
        })
}

/// TTL's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const TTL_SPEC: CommandSpec = reading("ttl", "1.0.0", ttl, TTL, "pttl");
/// PTTL's row in the command table.
pub const PTTL_SPEC: CommandSpec = reading("pttl", "2.6.0", pttl, PTTL, "ttl");
/// EXPIRETIME's row in the command table.
pub const EXPIRETIME_SPEC: CommandSpec =
    reading("expiretime", "7.0.0", expiretime, EXPIRETIME, "pexpiretime");
/// PEXPIRETIME's row in the command table.
pub const PEXPIRETIME_SPEC: CommandSpec = reading(
    "pexpiretime",
    "7.0.0",
    pexpiretime,
    PEXPIRETIME,
    "expiretime",
);

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn readings_round_to_the_nearest_second() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("TTL missing"), int(-2));
        assert_eq!(t.run("PEXPIRETIME missing"), int(-2));
        t.run("HSET h a 1");
        assert_eq!(t.run("TTL h"), int(-1));
        assert_eq!(t.run("EXPIRETIME h"), int(-1));
        for (ms, secs) in [(1500, 2), (1499, 1), (500, 1), (499, 0)] {
            t.run(&format!("PEXPIRE h {ms}"));
            assert_eq!(t.run("TTL h"), int(secs), "{ms}");
            assert_eq!(t.run("PTTL h"), int(ms), "{ms}");
        }
        t.run("PEXPIREAT h 1796646791499");
        assert_eq!(t.run("EXPIRETIME h"), int(1796646791));
        assert_eq!(t.run("PEXPIRETIME h"), int(1796646791499));
        t.run("PEXPIREAT h 1796646791500");
        assert_eq!(t.run("EXPIRETIME h"), int(1796646792));
    }
}
