//! RESTORE: creates a key from a DUMP payload (see `rdb`).
//!
//! ```text
//! RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
//! ```
//!
//! Replies OK. The checks run in Redis 8.2.3's order (`restoreCommand`): the options
//! (`syntax error`, and IDLETIME/FREQ values, which exclude each other), then BUSYKEY if
//! the key exists without REPLACE, then the ttl (an integer, >= 0), then the payload's
//! version and checksum, then its object (`Bad data format`).
//!
//! A ttl of 0 means no key TTL; else it is ms from now, or a unix time in ms with ABSTTL.
//! A time already past (at or before now) restores nothing and replies OK, deleting the
//! old key first with REPLACE. A future one becomes the restored key's TTL. IDLETIME and FREQ set LRU/LFU
//! bookkeeping the engine does not model: their values are checked, then ignored.
//!
//! Field TTLs come from the payload as absolute times, and expired fields are restored as
//! they are (Redis keeps them until something reclaims them). A payload of a type the
//! engine does not model (a list, a set...) is refused with a `NotSupported` error.
//! <https://redis.io/docs/latest/commands/restore/>

use super::args::{int_arg, is_c_word};
use super::ctx::{CommandResult, Ctx};
use super::spec::{CommandSpec, KeySpec};
use crate::error::CommandError;
use crate::rdb::{self, PayloadError};
use crate::reply::Reply;

/// The options after the payload.
#[derive(Debug, Default)]
struct Options {
    replace: bool,
    absttl: bool,
}

/// Walks the options as Redis does: IDLETIME and FREQ each need a value and are refused
/// once the other was given; anything else is a syntax error.
fn options(args: &[Vec<u8>]) -> Result<Options, CommandError> {
    let mut o = Options::default();
    let (mut idle, mut freq) = (false, false);
    let mut j = 0;
    while j < args.len() {
        let more = j + 1 < args.len();
        let arg = &args[j];
        if is_c_word(arg, "replace") {
            o.replace = true;
        } else if is_c_word(arg, "absttl") {
            o.absttl = true;
        } else if is_c_word(arg, "idletime") && more && !freq {
            if int_arg(&args[j + 1])? < 0 {
                return Err(CommandError::InvalidIdleTime);
            }
            idle = true;
            j += 1;
        } else if is_c_word(arg, "freq") && more && !idle {
            if !(0..=255).contains(&int_arg(&args[j + 1])?) {
                return Err(CommandError::InvalidFreq);
            }
            freq = true;
            j += 1;
        } else {
            return Err(CommandError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

pub fn restore(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let o = options(&argv[4..])?;
    let key = &argv[1];
    if !o.replace && ctx.db().contains(key) {
        return Err(CommandError::BusyKey);
    }
    let ttl = int_arg(&argv[2])?;
    if ttl < 0 {
        return Err(CommandError::InvalidTtl);
    }
    let value = rdb::load(&argv[3]).map_err(|e| match e {
        PayloadError::VersionOrChecksum => CommandError::PayloadVersionOrChecksum,
        PayloadError::BadFormat => CommandError::BadDataFormat,
        PayloadError::NotModelled(kind) => CommandError::NotSupported(format!(
            "RESTORE of a {kind} payload is not modelled; only hashes and strings are"
        )),
    })?;
    let mut deadline = None;
    if ttl != 0 {
        let now = ctx.now();
        let at = if o.absttl {
            ttl
        } else {
            ttl.saturating_add(now)
        };
        if at <= now {
            // Already expired: nothing is created, and REPLACE still deletes the old key.
            if o.replace {
                ctx.db().remove(key);
            }
            return Ok(Reply::ok());
        }
        deadline = Some(at);
    }
    let db = ctx.db();
    db.remove(key);
    db.put(key, value, deadline);
    Ok(Reply::ok())
}

/// RESTORE's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const RESTORE_SPEC: CommandSpec = CommandSpec::support("restore", -4, "2.6.0", restore)
    .info(
        "write denyoom",
        "@keyspace @write @slow @dangerous",
        "",
        Some(KeySpec::range("OW update", 1, 0)),
    )
    .lazy_clock();

#[cfg(test)]
mod tests {
    use crate::reply::Reply;
    use crate::test_support::*;

    fn payload(t: &mut TestEngine, key: &str) -> Vec<u8> {
        match t.run(&format!("DUMP {key}")) {
            Reply::Bulk(p) => p,
            other => panic!("DUMP {key}: {other:?}"),
        }
    }

    #[test]
    fn errors_in_redis_order() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        let p = payload(&mut t, "h");
        let run = |t: &mut TestEngine, args: &[&[u8]]| {
            let mut argv: Vec<&[u8]> = vec![b"RESTORE"];
            argv.extend_from_slice(args);
            t.run_args(&argv)
        };
        assert_eq!(
            run(&mut t, &[b"h", b"0", &p, b"bogus"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut t, &[b"h", b"0", &p, b"IDLETIME"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut t, &[b"h", b"0", &p, b"IDLETIME", b"-1"]),
            err("ERR Invalid IDLETIME value, must be >= 0")
        );
        assert_eq!(
            run(&mut t, &[b"x", b"0", &p, b"FREQ", b"256"]),
            err("ERR Invalid FREQ value, must be >= 0 and <= 255")
        );
        assert_eq!(
            run(&mut t, &[b"x", b"0", &p, b"FREQ", b"1", b"IDLETIME", b"1"]),
            err("ERR syntax error")
        );
        assert_eq!(
            run(&mut t, &[b"h", b"x", &p]),
            err("BUSYKEY Target key name already exists.")
        );
        assert_eq!(
            run(&mut t, &[b"x", b"x", &p]),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut t, &[b"x", b"-1", &p]),
            err("ERR Invalid TTL value, must be >= 0")
        );
        assert_eq!(
            run(&mut t, &[b"x", b"0", b"garbage"]),
            err("ERR DUMP payload version or checksum are wrong")
        );
        assert_eq!(t.run("EXISTS x"), int(0));
    }

    #[test]
    fn replace_absttl_and_expired_ttls() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        t.run("SET s v");
        let p = payload(&mut t, "h");
        assert_eq!(
            t.run_args(&[b"RESTORE", b"s", b"0", &p, b"REPLACE"]),
            Reply::ok()
        );
        assert_eq!(t.run("HGETALL s"), t.run("HGETALL h"));
        // An absolute time in the past: nothing is created; REPLACE deletes the old key.
        let past = (NOW - 1).to_string();
        let args: [&[u8]; 6] = [
            b"RESTORE",
            b"n",
            past.as_bytes(),
            &p,
            b"ABSTTL",
            b"IDLETIME",
        ];
        assert_eq!(t.run_args(&args[..5]), Reply::ok());
        assert_eq!(t.run("EXISTS n"), int(0));
        let args: [&[u8]; 6] = [b"RESTORE", b"s", past.as_bytes(), &p, b"ABSTTL", b"REPLACE"];
        assert_eq!(t.run_args(&args), Reply::ok());
        assert_eq!(t.run("EXISTS s"), int(0));
        // A future key TTL is the restored key's, in ms from now.
        assert_eq!(t.run_args(&[b"RESTORE", b"f", b"1000", &p]), Reply::ok());
        assert_eq!(t.run("PTTL f"), int(1000));
        t.advance(1000);
        assert_eq!(t.run("EXISTS f"), int(0));
    }

    #[test]
    fn field_ttls_and_expired_fields_come_back() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2 c 3");
        t.expire_fields("h", &["a"], NOW + 10);
        t.expire_fields("h", &["b"], NOW + 5_000);
        let p = payload(&mut t, "h");
        t.advance(100);
        assert_eq!(t.run_args(&[b"RESTORE", b"h2", b"0", &p]), Reply::ok());
        assert_eq!(encoding(&t, "h2"), "listpackex");
        // `a` is expired but kept until something reclaims it, as in Redis.
        assert_eq!(t.run("HLEN h2"), int(3));
        assert_eq!(deadline(&t, "h2", "b"), Some(Some(NOW + 5_000)));
        assert_eq!(order(&t, "h2"), order(&t, "h"));
    }
}
