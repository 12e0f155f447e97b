//! Key TTLs: setting and removing a whole key's deadline.
//!
//! ```text
//! EXPIRE key seconds [NX | XX | GT | LT]            https://redis.io/docs/latest/commands/expire/
//! PEXPIRE key milliseconds [NX | XX | GT | LT]      https://redis.io/docs/latest/commands/pexpire/
//! EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
//!                                                   https://redis.io/docs/latest/commands/expireat/
//! PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
//!                                                   https://redis.io/docs/latest/commands/pexpireat/
//! PERSIST key                                       https://redis.io/docs/latest/commands/persist/
//! ```
//!
//! Redis's `expireGenericCommand`, in its order (checked on 8.2.3): the options first (an
//! unknown one is `Unsupported option X`, then the NX/GT/LT conflicts), then the integer,
//! then overflow of the unit or of now + time (`invalid expire time in 'expire' command`),
//! then a missing key (0), then NX/XX/GT/LT against the current deadline (a key without one
//! counts as never expiring: GT always fails on it, LT always passes). A deadline at or
//! before now deletes the key and replies 1. A key's deadline leaves its hash's field TTLs
//! alone, and the other way round.

use super::args::{int_arg, is_c_word, lower_name};
use super::ctx::{CommandResult, Ctx};
use super::grammar::TimeArg;
use super::spec::{CommandSpec, KeySpec};
use crate::error::{error_text_at_end, CommandError};
use crate::reply::Reply;

/// NX, XX, GT and LT as parsed (Redis's `parseExtendedExpireArgumentsOrReply`).
#[derive(Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl Conditions {
    fn parse(args: &[Vec<u8>]) -> Result<Self, CommandError> {
        let mut c = Conditions::default();
        for arg in args {
            if is_c_word(arg, "nx") {
                c.nx = true;
            } else if is_c_word(arg, "xx") {
                c.xx = true;
            } else if is_c_word(arg, "gt") {
                c.gt = true;
            } else if is_c_word(arg, "lt") {
                c.lt = true;
            } else {
                return Err(CommandError::UnsupportedOption(error_text_at_end(
                    arg,
                    usize::MAX,
                )));
            }
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(CommandError::NxWithOtherCondition);
        }
        if c.gt && c.lt {
            return Err(CommandError::GtAndLt);
        }
        Ok(c)
    }

    /// Whether the new deadline `when` may replace `current` (`None`: no deadline).
    fn allow(&self, current: Option<i64>, when: i64) -> bool {
        !(self.nx && current.is_some()
            || self.xx && current.is_none()
            || self.gt && current.is_none_or(|c| when <= c)
            || self.lt && current.is_some_and(|c| when >= c))
    }
}

/// The four setters share this; `unit` says how the time argument counts.
fn expire_generic(ctx: &mut Ctx<'_>, argv: &[Vec<u8>], unit: TimeArg) -> CommandResult {
    let conditions = Conditions::parse(&argv[3..])?;
    let time = int_arg(&argv[2])?;
    let invalid = || CommandError::InvalidExpireTime(lower_name(&argv[0]));
    let now_ms = ctx.now();
    let basetime = if unit.absolute { 0 } else { now_ms };
    let when = unit.deadline_ms(time, basetime).ok_or_else(invalid)?;
    let db = ctx.db();
    if !db.contains(&argv[1]) {
        return Ok(Reply::Integer(0));
    }
    if !conditions.allow(db.deadline(&argv[1]), when) {
        return Ok(Reply::Integer(0));
    }
    if when <= now_ms {
        db.remove(&argv[1]);
    } else {
        db.set_deadline(&argv[1], when);
    }
    Ok(Reply::Integer(1))
}

/// `EXPIRE key seconds [NX | XX | GT | LT]`
pub fn expire(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    expire_generic(
        ctx,
        argv,
        TimeArg {
            millis: false,
            absolute: false,
        },
    )
}

/// `PEXPIRE key milliseconds [NX | XX | GT | LT]`
pub fn pexpire(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    expire_generic(
        ctx,
        argv,
        TimeArg {
            millis: true,
            absolute: false,
        },
    )
}

/// `EXPIREAT key unix-time-seconds [NX | XX | GT | LT]`
pub fn expireat(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    expire_generic(
        ctx,
        argv,
        TimeArg {
            millis: false,
            absolute: true,
        },
    )
}

/// `PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]`
pub fn pexpireat(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    expire_generic(
        ctx,
        argv,
        TimeArg {
            millis: true,
            absolute: true,
        },
    )
}

/// `PERSIST key`: 1 if the key had a deadline and now has none, else 0. Field TTLs stay.
pub fn persist(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let removed = ctx.db().clear_deadline(&argv[1]);
    Ok(Reply::Integer(i64::from(removed)))
}

/// The setters' COMMAND INFO facts (Redis 8.2.3): all four are alike.
const fn setter(name: &'static str, since: &'static str, run: super::Run) -> CommandSpec {
    CommandSpec::support(name, -3, since, run).info(
        "write fast",
        "@keyspace @write @fast",
        "",
        Some(KeySpec::range("RW update", 1, 0)),
    )
}

/// EXPIRE's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const EXPIRE_SPEC: CommandSpec = setter("expire", "1.0.0", expire);
/// PEXPIRE's row in the command table.
pub const PEXPIRE_SPEC: CommandSpec = setter("pexpire", "2.6.0", pexpire);
/// EXPIREAT's row in the command table.
pub const EXPIREAT_SPEC: CommandSpec = setter("expireat", "1.2.0", expireat);
/// PEXPIREAT's row in the command table.
pub const PEXPIREAT_SPEC: CommandSpec = setter("pexpireat", "2.6.0", pexpireat);

/// PERSIST's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const PERSIST_SPEC: CommandSpec = CommandSpec::support("persist", 2, "2.2.0", persist).info(
    "write fast",
    "@keyspace @write @fast",
    "",
    Some(KeySpec::range("RW update", 1, 0)),
);

#[cfg(test)]
mod tests {
    use crate::test_support::*;

    #[test]
    fn errors_in_redis_order() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        for (line, want) in [
            ("EXPIRE h 100 foo", "ERR Unsupported option foo"),
            ("EXPIRE h abc foo", "ERR Unsupported option foo"),
            (
                "EXPIRE h abc",
                "ERR value is not an integer or out of range",
            ),
            (
                "EXPIRE h 100 nx xx",
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            ),
            (
                "EXPIRE h 100 gt lt",
                "ERR GT and LT options at the same time are not compatible",
            ),
            (
                "EXPIRE h 9223372036854775807",
                "ERR invalid expire time in 'expire' command",
            ),
            (
                "EXPIRE h -9223372036854775808",
                "ERR invalid expire time in 'expire' command",
            ),
            (
                "PEXPIRE h 9223372036854775807",
                "ERR invalid expire time in 'pexpire' command",
            ),
            (
                "expireat h 9223372036854775807",
                "ERR invalid expire time in 'expireat' command",
            ),
        ] {
            assert_eq!(t.run(line), err(want), "{line}");
        }
        assert_eq!(t.run("TTL h"), int(-1), "a refused EXPIRE changes nothing");
    }

    #[test]
    fn conditions_and_deletion() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        assert_eq!(t.run("EXPIRE missing 10"), int(0));
        assert_eq!(t.run("EXPIRE h 100 GT"), int(0), "no deadline is infinite");
        assert_eq!(t.run("EXPIRE h 100 XX"), int(0));
        assert_eq!(t.run("EXPIRE h 100 LT"), int(1));
        assert_eq!(t.run("EXPIRE h 100 NX"), int(0));
        assert_eq!(t.run("EXPIRE h 100 GT"), int(0), "equal is not greater");
        assert_eq!(t.run("EXPIRE h 200 gt"), int(1));
        assert_eq!(t.run("EXPIRE h 200 LT"), int(0));
        assert_eq!(t.run("PTTL h"), int(200_000));
        assert_eq!(t.run("PERSIST h"), int(1));
        assert_eq!(t.run("PERSIST h"), int(0));
        assert_eq!(t.run("PERSIST missing"), int(0));
        assert_eq!(t.run("PEXPIREAT h 1"), int(1), "a past deadline deletes");
        assert_eq!(t.run("EXISTS h"), int(0));
        assert_eq!(t.run("EXPIREAT h 1"), int(0));
    }

    #[test]
    fn a_key_expires_lazily_and_keeps_its_field_ttls_apart() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2");
        t.run("HPEXPIRE h 5000 FIELDS 1 a");
        assert_eq!(t.run("PEXPIRE h 1000"), int(1));
        assert_eq!(t.run("HPTTL h FIELDS 2 a b"), arr(vec![int(5000), int(-1)]));
        t.advance(999);
        assert_eq!(t.run("HLEN h"), int(2));
        t.advance(1);
        assert_eq!(t.run("HLEN h"), int(0));
        assert_eq!(t.run("EXISTS h"), int(0));
        assert_eq!(t.run("DBSIZE"), int(0), "HLEN reclaimed the key");

        // Fields first: the key outlives them as an expired-but-unreclaimed hash.
        t.run("HSET g a 1");
        t.run("HPEXPIRE g 10 FIELDS 1 a");
        t.run("PEXPIRE g 100");
        t.advance(20);
        assert_eq!(t.run("EXISTS g"), int(1));
        assert_eq!(t.run("PERSIST g"), int(1));
        t.advance(200);
        assert_eq!(t.run("TYPE g"), crate::Reply::Simple("hash".into()));
    }
}
