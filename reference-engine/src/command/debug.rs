//! DEBUG: the subcommands Redis's own test suite and hashcheck's cases use on hashes.
//!
//! ```text
//! DEBUG SET-ACTIVE-EXPIRE <0|1>           https://redis.io/docs/latest/commands/debug/
//! DEBUG OBJECT key
//! DEBUG LISTPACK key
//! DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]
//! ```
//!
//! Redis documents DEBUG only as "an internal command for testing"; the replies below were
//! read from 8.2.3. Any other subcommand, or a known one with the wrong argument count, gets
//! Redis's `unknown subcommand or wrong number of arguments` error; HELP and the others
//! (DIGEST, SLEEP, POPULATE...) are not modelled and say so.
//!
//! - SET-ACTIVE-EXPIRE reads its argument with C `atoi`, as Redis does: `0`, `x` or `-0`
//!   turn background expiry off, any other number turns it on; the reply is always OK. It
//!   switches the cycle that `hashcheck serve` drives (see [`crate::active_expire`]).
//! - OBJECT prints Redis's line: the encoding is true; `refcount` is 1, `lru` and
//!   `lru_seconds_idle` are 0 (the engine keeps no access clock); `serializedlength` is 0,
//!   as the engine does not build Redis's RDB form of a value here.
//! - LISTPACK replies `Listpack structure printed on stdout` for a listpack-encoded hash.
//!   Redis prints the structure on its standard output; the engine is a library with no
//!   output of its own (its embedded use writes reports on stdout), so it prints nothing.
//! - RELOAD keeps every key and gives each hash the encoding a save and load would under
//!   the current limits (see [`HashValue::reload`](crate::hash::HashValue::reload)).

use super::args::{c_str, is_c_word, is_word};
use super::ctx::{CommandResult, Ctx};
use super::spec::CommandSpec;
use crate::error::{error_text, CommandError};
use crate::keyspace::Value;
use crate::reply::Reply;

/// `DEBUG subcommand [argument ...]`
pub fn debug(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let sub = &argv[1];
    let argc = argv.len();
    if is_word(sub, "set-active-expire") && argc == 3 {
        ctx.server.config.active_expire = atoi(&argv[2]) != 0;
        return Ok(Reply::ok());
    }
    if is_word(sub, "object") && argc == 3 {
        return object(ctx, &argv[2]);
    }
    if is_word(sub, "listpack") && argc == 3 {
        return match ctx.db().get(&argv[2]) {
            None => Err(CommandError::NoSuchKey),
            Some(Value::Hash(h)) if h.encoding() != crate::hash::Encoding::Hashtable => {
                Ok(Reply::Simple("Listpack structure printed on stdout".into()))
            }
            Some(_) => Err(CommandError::NotListpack),
        };
    }
    if is_word(sub, "reload") {
        let known = ["merge", "noflush", "nosave"];
        if !argv[2..]
            .iter()
            .all(|o| known.iter().any(|k| is_c_word(o, k)))
        {
            return Err(CommandError::ReloadOption);
        }
        let limits = ctx.hash_limits();
        for db in ctx.dbs.iter_mut() {
            for hash in db.hashes_mut() {
                hash.reload(limits);
            }
        }
        return Ok(Reply::ok());
    }
    const OTHERS: &[&str] = &[
        "help",
        "digest",
        "digest-value",
        "sleep",
        "populate",
        "htstats",
        "htstats-key",
        "protocol",
        "log",
        "jmap",
        "sdslen",
        "change-repl-id",
        "stringmatch-len",
    ];
    if OTHERS.iter().any(|o| is_word(sub, o)) {
        return Err(CommandError::NotSupported(format!(
            "DEBUG {} is not modelled; DEBUG SET-ACTIVE-EXPIRE, OBJECT, LISTPACK and RELOAD are",
            String::from_utf8_lossy(sub).to_ascii_uppercase()
        )));
    }
    Err(CommandError::SubcommandOrArity {
        cmd: "DEBUG".into(),
        sub: error_text(sub, 128),
    })
}

/// `DEBUG OBJECT key`: a status line in Redis's format.
fn object(ctx: &mut Ctx<'_>, key: &[u8]) -> CommandResult {
    let (address, encoding) = match ctx.db().get(key) {
        None => return Err(CommandError::NoSuchKey),
        Some(v @ Value::Hash(h)) => (v as *const Value as usize, h.encoding().name()),
        Some(v @ Value::String(s)) => (
            v as *const Value as usize,
            super::keyspace_support::string_encoding(key, s),
        ),
    };
    Ok(Reply::Simple(format!(
        "Value at:0x{address:x} refcount:1 encoding:{encoding} serializedlength:0 lru:0 \
         lru_seconds_idle:0"
    )))
}

/// C's `atoi`: optional spaces and sign, then digits up to the first non-digit; 0 if none.
fn atoi(arg: &[u8]) -> i64 {
    let s = c_str(arg);
    let s = &s[s.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let value = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, &d| {
            n.wrapping_mul(10).wrapping_add(i64::from(d - b'0'))
        });
    if negative {
        -value
    } else {
        value
    }
}

/// DEBUG's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const DEBUG_SPEC: CommandSpec = CommandSpec::support("debug", -2, "1.0.0", debug).info(
    "admin noscript loading stale",
    "@admin @slow @dangerous",
    "",
    None,
);

#[cfg(test)]
mod tests {
    use crate::reply::Reply;
    use crate::test_support::*;

    #[test]
    fn set_active_expire_reads_its_argument_like_atoi() {
        let mut t = TestEngine::new();
        for (arg, on) in [
            ("0", false),
            ("1", true),
            ("x", false),
            ("2", true),
            ("-0", false),
            (" 7", true),
        ] {
            assert_eq!(
                t.run_args(&[b"DEBUG", b"set-active-expire", arg.as_bytes()]),
                Reply::ok()
            );
            assert_eq!(t.engine.active_expire_enabled(), on, "{arg}");
        }
    }

    #[test]
    fn object_and_listpack_follow_the_encoding() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        let Reply::Simple(line) = t.run("DEBUG OBJECT h") else {
            panic!()
        };
        assert!(line.starts_with("Value at:0x"), "{line}");
        assert!(
            line.contains(" refcount:1 encoding:listpack serializedlength:"),
            "{line}"
        );
        assert_eq!(
            t.run("DEBUG LISTPACK h"),
            Reply::Simple("Listpack structure printed on stdout".into())
        );
        t.run("CONFIG SET hash-max-listpack-entries 0");
        t.run("HSET h b 2");
        assert!(t
            .run("DEBUG OBJECT h")
            .to_string()
            .contains("encoding:hashtable"));
        assert_eq!(
            t.run("DEBUG LISTPACK h"),
            err("ERR Not a listpack encoded object.")
        );
        t.run("SET s v");
        assert_eq!(
            t.run("DEBUG LISTPACK s"),
            err("ERR Not a listpack encoded object.")
        );
        assert_eq!(t.run("DEBUG OBJECT nokey"), err("ERR no such key"));
        assert_eq!(t.run("DEBUG LISTPACK nokey"), err("ERR no such key"));
    }

    #[test]
    fn reload_re_encodes_under_the_current_limits_and_keeps_the_data() {
        let mut t = TestEngine::new();
        t.run("CONFIG SET hash-max-listpack-entries 2");
        t.run("HSET ht a 1 b 2 c 3");
        t.run("HDEL ht c");
        t.run("HSET ttl a 1 b 2 c 3");
        t.run("HDEL ttl c");
        t.run("HPEXPIRE ttl 100000 FIELDS 1 b");
        t.run("HSET lp x 1");
        t.run("CONFIG SET hash-max-listpack-entries 512");
        assert_eq!(t.run("OBJECT ENCODING ht"), bulk("hashtable"));
        assert_eq!(t.run("DEBUG RELOAD"), Reply::ok());
        assert_eq!(t.run("OBJECT ENCODING ht"), bulk("listpack"));
        assert_eq!(t.run("OBJECT ENCODING ttl"), bulk("listpackex"));
        assert_eq!(
            t.run("HGETALL ttl"),
            Reply::Map(vec![(bulk("b"), bulk("2")), (bulk("a"), bulk("1"))])
        );
        assert_eq!(t.run("HPTTL ttl FIELDS 1 b"), arr(vec![int(100000)]));
        t.run("CONFIG SET hash-max-listpack-entries 0");
        assert_eq!(t.run("DEBUG RELOAD NOSAVE"), Reply::ok());
        assert_eq!(t.run("OBJECT ENCODING lp"), bulk("hashtable"));
        assert_eq!(t.run("HGET lp x"), bulk("1"));
        assert_eq!(
            t.run("DEBUG RELOAD foo"),
            err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
        );
    }

    #[test]
    fn unknown_subcommands_and_arity() {
        let mut t = TestEngine::new();
        let e = |s: &str| {
            err(&format!(
                "ERR unknown subcommand or wrong number of arguments for '{s}'. Try DEBUG HELP."
            ))
        };
        assert_eq!(t.run("DEBUG foo"), e("foo"));
        assert_eq!(t.run("DEBUG object"), e("object"));
        assert_eq!(t.run("DEBUG set-active-expire 1 2"), e("set-active-expire"));
        assert_eq!(
            t.run("DEBUG"),
            err("ERR wrong number of arguments for 'debug' command")
        );
    }
}
