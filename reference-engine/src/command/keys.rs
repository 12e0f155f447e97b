//! KEYS and SCAN: the names in the selected database.
//!
//! ```text
//! KEYS pattern                                                https://redis.io/docs/latest/commands/keys/
//! SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]       https://redis.io/docs/latest/commands/scan/
//! ```
//!
//! Both leave out keys whose deadline has passed (SCAN also deletes them, as Redis's scan
//! filter does; KEYS only skips them). A hash whose fields have all expired but were not
//! reclaimed is still a key and is listed, as on 8.2.3 with active expiry off.
//!
//! SCAN answers every key in one page with cursor 0, whatever cursor and COUNT were sent:
//! SCAN promises only that a full walk returns every key present throughout it, and COUNT
//! is a hint, so this is a legal walk; Redis's own pages follow its table and differ, which
//! is why the harness compares SCAN as a whole walk (the table row's `ReplyPolicy::Scan`).
//! Checks in Redis's order: the cursor (`invalid cursor`), then the options (COUNT an
//! integer and at least 1, MATCH and TYPE with a value, the last of each winning; NOVALUES
//! has its own error; anything else is a syntax error). An unknown TYPE matches nothing.

use super::args::{int_arg, is_c_word};
use super::ctx::{CommandResult, Ctx};
use super::glob;
use super::hscan::parse_cursor;
use super::spec::{CommandSpec, ReplyPolicy};
use crate::error::CommandError;
use crate::reply::Reply;
use crate::strconv::c_str;

/// `KEYS pattern`
pub fn keys(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let now_ms = ctx.now();
    let db = ctx.db();
    let all = argv[1] == b"*";
    let names = db
        .iter()
        .filter(|(key, _)| !db.is_expired(key, now_ms))
        .filter(|(key, _)| all || glob::matches(&argv[1], key))
        .map(|(key, _)| Reply::bulk(key))
        .collect();
    Ok(Reply::Array(names))
}

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`
pub fn scan(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    parse_cursor(&argv[1])?;
    let (mut pattern, mut type_name): (Option<&[u8]>, Option<&[u8]>) = (None, None);
    let mut i = 2;
    while i < argv.len() {
        let has_value = i + 1 < argv.len();
        if is_c_word(&argv[i], "count") && has_value {
            if int_arg(&argv[i + 1])? < 1 {
                return Err(CommandError::Syntax);
            }
        } else if is_c_word(&argv[i], "match") && has_value {
            pattern = Some(&argv[i + 1])
                .filter(|p| p.as_slice() != b"*")
                .map(|p| &p[..]);
        } else if is_c_word(&argv[i], "type") && has_value {
            type_name = Some(c_str(&argv[i + 1]));
        } else if is_c_word(&argv[i], "novalues") {
            return Err(CommandError::NoValuesOnlyInHscan);
        } else {
            return Err(CommandError::Syntax);
        }
        i += 2;
    }
    let now_ms = ctx.now();
    let db = ctx.db();
    let expired: Vec<Vec<u8>> = db
        .iter()
        .filter(|(key, _)| db.is_expired(key, now_ms))
        .map(|(key, _)| key.to_vec())
        .collect();
    for key in expired {
        db.remove(&key);
    }
    let names = db
        .iter()
        .filter(|(key, _)| pattern.is_none_or(|p| glob::matches(p, key)))
        .filter(|(_, value)| {
            type_name.is_none_or(|t| t.eq_ignore_ascii_case(value.type_name().as_bytes()))
        })
        .map(|(key, _)| Reply::bulk(key))
        .collect();
    Ok(Reply::Array(vec![Reply::bulk("0"), Reply::Array(names)]))
}

/// KEYS's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3). Its
/// order is the server's (`nondeterministic_output_order`): compared as a set of names.
pub const KEYS_SPEC: CommandSpec = CommandSpec::support("keys", 2, "1.0.0", keys)
    .info(
        "readonly",
        "@keyspace @read @slow @dangerous",
        "request_policy:all_shards nondeterministic_output_order",
        None,
    )
    .reply(ReplyPolicy::Listing {
        pairs: false,
        values: false,
    });

/// SCAN's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const SCAN_SPEC: CommandSpec = CommandSpec::support("scan", -2, "2.8.0", scan)
    .info(
        "readonly",
        "@keyspace @read @slow",
        "nondeterministic_output request_policy:special response_policy:special",
        None,
    )
    .reply(ReplyPolicy::Scan);

#[cfg(test)]
mod tests {
    use crate::reply::Reply;
    use crate::test_support::*;

    fn page(keys: &[&str]) -> Reply {
        arr(vec![bulk("0"), arr(keys.iter().map(|k| bulk(k)).collect())])
    }

    #[test]
    fn scan_errors_in_redis_order() {
        let mut t = TestEngine::new();
        for (line, want) in [
            ("SCAN x COUNT 0", "ERR invalid cursor"),
            ("SCAN -1", "ERR invalid cursor"),
            ("SCAN 18446744073709551616", "ERR invalid cursor"),
            ("SCAN 0 COUNT 0", "ERR syntax error"),
            ("SCAN 0 COUNT -1", "ERR syntax error"),
            (
                "SCAN 0 COUNT abc",
                "ERR value is not an integer or out of range",
            ),
            ("SCAN 0 TYPE", "ERR syntax error"),
            ("SCAN 0 MATCH", "ERR syntax error"),
            ("SCAN 0 foo bar", "ERR syntax error"),
            (
                "SCAN 0 NOVALUES",
                "ERR NOVALUES option can only be used in HSCAN",
            ),
        ] {
            assert_eq!(t.run(line), err(want), "{line}");
        }
        assert_eq!(t.run("SCAN 18446744073709551615"), page(&[]));
    }

    #[test]
    fn scan_and_keys_filter_and_skip_expired_keys() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        t.run("SET s 1");
        t.run("HSET gone a 1");
        t.run("PEXPIRE gone 10");
        t.run("HSET ghost a 1");
        t.run("HPEXPIRE ghost 10 FIELDS 1 a");
        t.advance(10);
        let mut keys = |line: &str| match t.run(line) {
            Reply::Array(items) => {
                let items = match items.as_slice() {
                    [Reply::Bulk(_), Reply::Array(inner)] => inner.clone(),
                    _ => items,
                };
                let mut names: Vec<String> = items
                    .iter()
                    .map(|r| match r {
                        Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                        other => panic!("{other:?}"),
                    })
                    .collect();
                names.sort();
                names
            }
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(keys("KEYS *"), ["ghost", "h", "s"]);
        assert_eq!(keys("KEYS g*"), ["ghost"]);
        assert_eq!(keys("SCAN 0 TYPE HASH"), ["ghost", "h"]);
        assert_eq!(keys("SCAN 7 TYPE string COUNT 1"), ["s"]);
        assert_eq!(keys("SCAN 0 TYPE nosuchtype"), Vec::<String>::new());
        assert_eq!(keys("SCAN 0 MATCH s MATCH h TYPE string TYPE hash"), ["h"]);
        assert_eq!(t.run("DBSIZE"), int(3), "SCAN deleted the expired key");
    }
}
