//! CONFIG: the parameters a test suite or a benchmark reads and sets around hashes.
//!
//! ```text
//! CONFIG GET parameter [parameter ...]    https://redis.io/docs/latest/commands/config-get/
//! CONFIG SET parameter value [parameter value ...]
//!                                         https://redis.io/docs/latest/commands/config-set/
//! CONFIG RESETSTAT                        https://redis.io/docs/latest/commands/config-resetstat/
//! ```
//!
//! The engine has the parameters that change what a hash command replies or how a hash is
//! encoded, and the two redis-benchmark reads when it starts (without them it warns
//! "Could not fetch server CONFIG"):
//! - `hash-max-listpack-entries` (0 to 2^63-1, default 512) and `hash-max-listpack-value`
//!   (a memory value: digits with an optional k/kb/m/mb/g/gb, default 64), each also under
//!   its old `ziplist` name. They decide the encoding of later writes, as in Redis: a hash
//!   already converted stays a hash table.
//! - `save` (empty) and `appendonly` (`no`): the engine never persists. Setting either to the
//!   value it has is accepted; anything else is refused as not modelled.
//! - `sanitize-dump-payload` (`no`, `yes` or `clients`, any case; default `no`). It is kept
//!   and read back, and changes nothing: RESTORE always checks a payload as deeply as Redis's
//!   `yes` does (`rdb` decodes every element), and `clients` means the same for the engine,
//!   whose every connection is a client. Under `no` Redis skips that check, so a corrupt
//!   payload it accepts unchecked is refused here; Redis's own suite sets it to `yes` around
//!   its DUMP/RESTORE tests.
//!
//! As in 8.2.3: GET takes exact names (echoed as the client spelled them) and glob patterns
//! (matched case-insensitively, answered with the canonical names), each parameter once; the
//! reply is a map (a flat array in RESP2), empty for no match. SET checks every pair before
//! changing anything: an unknown name, a repeated parameter or a bad value fails the whole
//! call with Redis's error. RESETSTAT zeroes INFO stats.

use super::args::{c_str, is_word, parse_i64, subcommand};
use super::ctx::{CommandResult, Ctx};
use super::glob;
use super::spec::{CommandInfo, CommandSpec, Subcommand};
use crate::error::{error_text, CommandError};
use crate::reply::Reply;
use crate::server::Config;

/// CONFIG's subcommands with Redis 8.2.3's arities and COMMAND INFO facts.
#[rustfmt::skip]
const CONFIG_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("get", -3, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous", "", None)),
    Subcommand::new("help", 2, CommandInfo::new("loading stale", "@slow", "", None)),
    Subcommand::new("resetstat", 2, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous", "request_policy:all_nodes response_policy:all_succeeded", None)),
    Subcommand::new("rewrite", 2, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous", "request_policy:all_nodes response_policy:all_succeeded", None)),
    Subcommand::new("set", -4, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous", "request_policy:all_nodes response_policy:all_succeeded", None)),
];

/// A parameter: its canonical name and the setting it reads and writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Param {
    ListpackEntries,
    ListpackValue,
    Save,
    AppendOnly,
    SanitizeDumpPayload,
}

/// `sanitize-dump-payload`'s values, by their index in `Config`.
const SANITIZE_VALUES: [&str; 3] = ["no", "yes", "clients"];

/// Every name the engine answers to, in the order CONFIG GET lists matches.
const NAMES: &[(&str, Param)] = &[
    ("hash-max-listpack-entries", Param::ListpackEntries),
    ("hash-max-ziplist-entries", Param::ListpackEntries),
    ("hash-max-listpack-value", Param::ListpackValue),
    ("hash-max-ziplist-value", Param::ListpackValue),
    ("save", Param::Save),
    ("appendonly", Param::AppendOnly),
    ("sanitize-dump-payload", Param::SanitizeDumpPayload),
];

impl Param {
    fn get(self, config: &Config) -> String {
        match self {
            Param::ListpackEntries => config.hash_limits.max_entries.to_string(),
            Param::ListpackValue => config.hash_limits.max_value.to_string(),
            Param::Save => String::new(),
            Param::AppendOnly => "no".to_string(),
            Param::SanitizeDumpPayload => {
                SANITIZE_VALUES[usize::from(config.sanitize_dump_payload)].to_string()
            }
        }
    }

    /// Applies `value` to `config`, or the reason Redis gives for refusing it.
    fn set(self, config: &mut Config, value: &[u8]) -> Result<(), String> {
        const MAX: u64 = i64::MAX as u64;
        match self {
            Param::ListpackEntries => {
                let n = parse_i64(value).ok_or("argument couldn't be parsed into an integer")?;
                let n = u64::try_from(n).map_err(|_| "argument must be greater or equal to 0")?;
                config.hash_limits.max_entries = usize::try_from(n).unwrap_or(usize::MAX);
            }
            Param::ListpackValue => {
                let n = memory_value(value).ok_or("argument must be a memory value")?;
                // A size past i64::MAX reads back negative in Redis's signed setting.
                if n > MAX {
                    return Err("argument must be greater or equal to 0".into());
                }
                config.hash_limits.max_value = usize::try_from(n).unwrap_or(usize::MAX);
            }
            Param::SanitizeDumpPayload => {
                // One word, matched case-insensitively, as Redis's enum settings are.
                let i = SANITIZE_VALUES
                    .iter()
                    .position(|v| value.eq_ignore_ascii_case(v.as_bytes()))
                    .ok_or("argument(s) must be one of the following: no, yes, clients")?;
                config.sanitize_dump_payload = i as u8;
            }
            Param::Save | Param::AppendOnly => {
                if value != self.get(config).as_bytes() {
                    return Err(format!(
                        "hashcheck engine: the engine never persists, so only '{}' is accepted",
                        self.get(config)
                    ));
                }
            }
        }
        Ok(())
    }
}

fn param(name: &[u8]) -> Option<(&'static str, Param)> {
    NAMES.iter().copied().find(|(n, _)| is_word(name, n))
}

/// Redis's `memtoull`: decimal digits, then an optional unit (k 1000, kb 1024, m, mb, g, gb,
/// any case); no sign, spaces or fraction. A number past u64 saturates, as `strtoull` does.
fn memory_value(arg: &[u8]) -> Option<u64> {
    let s = c_str(arg);
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let unit = String::from_utf8_lossy(&s[digits..]).to_ascii_lowercase();
    let scale: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let n = s[..digits].iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some(n.saturating_mul(scale))
}

/// `CONFIG GET | SET | RESETSTAT ...`
pub fn config(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    match subcommand(argv, CONFIG_SUBCOMMANDS)? {
        "get" => Ok(get(&ctx.server.config, &argv[2..])),
        "set" => set(ctx, &argv[2..]),
        "resetstat" => {
            ctx.server.stats = Default::default();
            for db in ctx.dbs.iter_mut() {
                db.reset_stats();
            }
            Ok(Reply::ok())
        }
        other => Err(CommandError::NotSupported(format!(
            "CONFIG {} is not modelled",
            other.to_ascii_uppercase()
        ))),
    }
}

fn get(config: &Config, patterns: &[Vec<u8>]) -> Reply {
    let mut found: Vec<(String, Param)> = Vec::new();
    let mut add = |name: String, p: Param| {
        if !found.iter().any(|(n, _)| *n == name) {
            found.push((name, p));
        }
    };
    for pattern in patterns {
        let is_glob = pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
        if !is_glob {
            if let Some((_, p)) = param(pattern) {
                add(String::from_utf8_lossy(pattern).into_owned(), p);
            }
            continue;
        }
        let lower = pattern.to_ascii_lowercase();
        for (name, p) in NAMES {
            if glob::matches(&lower, name.as_bytes()) {
                add(name.to_string(), *p);
            }
        }
    }
    Reply::Map(
        found
            .into_iter()
            .map(|(name, p)| (Reply::bulk(name), Reply::bulk(p.get(config))))
            .collect(),
    )
}

fn set(ctx: &mut Ctx<'_>, args: &[Vec<u8>]) -> CommandResult {
    if args.len() % 2 != 0 {
        return Err(CommandError::WrongArity("config|set".into()));
    }
    // Everything is checked on a copy, which replaces the settings only if all pairs pass.
    let mut next = ctx.server.config;
    let mut seen: Vec<Param> = Vec::new();
    for pair in args.chunks_exact(2) {
        let Some((_, p)) = param(&pair[0]) else {
            return Err(CommandError::ConfigUnknown(error_text(
                &pair[0],
                usize::MAX,
            )));
        };
        let failed = |why: String| CommandError::ConfigSetFailed {
            name: error_text(&pair[0], usize::MAX),
            why,
        };
        if seen.contains(&p) {
            return Err(failed("duplicate parameter".into()));
        }
        seen.push(p);
        p.set(&mut next, &pair[1]).map_err(failed)?;
    }
    ctx.server.config = next;
    Ok(Reply::ok())
}

/// CONFIG's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const CONFIG_SPEC: CommandSpec = CommandSpec::support("config", -2, "2.0.0", config)
    .info("", "@slow", "", None)
    .subcommands(CONFIG_SUBCOMMANDS);

#[cfg(test)]
mod tests {
    use crate::reply::{Protocol, Reply};
    use crate::test_support::*;

    fn pairs(items: &[(&str, &str)]) -> Reply {
        Reply::Map(items.iter().map(|(k, v)| (bulk(k), bulk(v))).collect())
    }

    #[test]
    fn get_by_name_alias_and_pattern() {
        let mut t = TestEngine::new();
        assert_eq!(
            t.run("CONFIG GET HASH-MAX-LISTPACK-ENTRIES"),
            pairs(&[("HASH-MAX-LISTPACK-ENTRIES", "512")])
        );
        assert_eq!(
            t.run("CONFIG GET HASH-max-*-value"),
            pairs(&[
                ("hash-max-listpack-value", "64"),
                ("hash-max-ziplist-value", "64")
            ])
        );
        assert_eq!(
            t.run("CONFIG GET save appendonly"),
            pairs(&[("save", ""), ("appendonly", "no")])
        );
        assert_eq!(t.run("CONFIG GET nosuch"), Reply::Map(vec![]));
        assert_eq!(
            t.run("CONFIG GET save save sav*"),
            pairs(&[("save", "")]),
            "each parameter once"
        );
        // RESP2: a flat array.
        assert_eq!(
            t.run("CONFIG GET appendonly").to_bytes(Protocol::Resp2),
            b"*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n".to_vec()
        );
    }

    #[test]
    fn set_takes_effect_on_later_writes() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("CONFIG SET hash-max-ziplist-entries 2"), Reply::ok());
        assert_eq!(
            t.run("CONFIG GET hash-max-listpack-entries"),
            pairs(&[("hash-max-listpack-entries", "2")])
        );
        t.run("HSET h a 1 b 2");
        assert_eq!(t.run("OBJECT ENCODING h"), bulk("listpack"));
        t.run("HSET h c 3");
        assert_eq!(t.run("OBJECT ENCODING h"), bulk("hashtable"));
        assert_eq!(
            t.run("CONFIG SET hash-max-listpack-value 1k hash-max-listpack-entries 512"),
            Reply::ok()
        );
        assert_eq!(
            t.run("CONFIG GET hash-max-listpack-value"),
            pairs(&[("hash-max-listpack-value", "1000")])
        );
        t.run("CONFIG SET hash-max-listpack-value 3");
        t.run("HSET v a 123");
        assert_eq!(t.run("OBJECT ENCODING v"), bulk("listpack"));
        t.run("HSET v b 1234");
        assert_eq!(t.run("OBJECT ENCODING v"), bulk("hashtable"));
    }

    #[test]
    fn set_errors_as_redis_and_changes_nothing() {
        let mut t = TestEngine::new();
        let failed = |name: &str, why: &str| {
            err(&format!(
                "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
            ))
        };
        let e = "hash-max-listpack-entries";
        let v = "hash-max-listpack-value";
        for (line, want) in [
            (
                format!("CONFIG SET {e} x"),
                failed(e, "argument couldn't be parsed into an integer"),
            ),
            (
                format!("CONFIG SET {e} 01"),
                failed(e, "argument couldn't be parsed into an integer"),
            ),
            (
                format!("CONFIG SET {e} 1k"),
                failed(e, "argument couldn't be parsed into an integer"),
            ),
            (
                format!("CONFIG SET {e} -1"),
                failed(e, "argument must be greater or equal to 0"),
            ),
            (
                format!("CONFIG SET {e} 9223372036854775808"),
                failed(e, "argument couldn't be parsed into an integer"),
            ),
            (
                format!("CONFIG SET {e} 1 {e} 2"),
                failed(e, "duplicate parameter"),
            ),
            (
                format!("CONFIG SET {v} -1"),
                failed(v, "argument must be a memory value"),
            ),
            (
                format!("CONFIG SET {v} 1.5"),
                failed(v, "argument must be a memory value"),
            ),
            (
                format!("CONFIG SET {v} 9223372036854775808"),
                failed(v, "argument must be greater or equal to 0"),
            ),
            (
                format!("CONFIG SET {v} 99999999999999999999"),
                failed(v, "argument must be greater or equal to 0"),
            ),
            (
                format!("CONFIG SET {e} 5 nosuch 1"),
                err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"),
            ),
            (
                format!("CONFIG SET {e} 5 {v}"),
                err("ERR wrong number of arguments for 'config|set' command"),
            ),
            (
                "CONFIG SET x".to_string(),
                err("ERR wrong number of arguments for 'config|set' command"),
            ),
            (
                "CONFIG GET".to_string(),
                err("ERR wrong number of arguments for 'config|get' command"),
            ),
            (
                "CONFIG RESETSTAT x".to_string(),
                err("ERR wrong number of arguments for 'config|resetstat' command"),
            ),
            (
                "CONFIG foo".to_string(),
                err("ERR unknown subcommand 'foo'. Try CONFIG HELP."),
            ),
        ] {
            assert_eq!(t.run(&line), want, "{line}");
        }
        assert_eq!(t.run(&format!("CONFIG GET {e}")), pairs(&[(e, "512")]));
        assert_eq!(t.run(&format!("CONFIG SET {v} 01")), Reply::ok());
        assert_eq!(t.run(&format!("CONFIG GET {v}")), pairs(&[(v, "1")]));
        assert_eq!(
            t.run_args(&[b"CONFIG", b"SET", b"save", b"", b"appendonly", b"no"]),
            Reply::ok()
        );
    }

    #[test]
    fn sanitize_dump_payload_is_an_enum() {
        let mut t = TestEngine::new();
        let s = "sanitize-dump-payload";
        assert_eq!(t.run(&format!("CONFIG GET {s}")), pairs(&[(s, "no")]));
        assert_eq!(t.run(&format!("CONFIG SET {s} YES")), Reply::ok());
        assert_eq!(t.run("CONFIG GET sanitize*"), pairs(&[(s, "yes")]));
        let refused = err(&format!(
            "ERR CONFIG SET failed (possibly related to argument '{s}') - \
             argument(s) must be one of the following: no, yes, clients"
        ));
        assert_eq!(t.run(&format!("CONFIG SET {s} maybe")), refused);
        assert_eq!(
            t.run_args(&[b"CONFIG", b"SET", s.as_bytes(), b"yes no"]),
            refused
        );
        assert_eq!(t.run_args(&[b"CONFIG", b"SET", s.as_bytes(), b""]), refused);
        assert_eq!(t.run(&format!("CONFIG SET {s} clients")), Reply::ok());
        assert_eq!(t.run(&format!("CONFIG GET {s}")), pairs(&[(s, "clients")]));
    }

    #[test]
    fn resetstat_zeroes_the_expiry_counters() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1 b 2");
        t.run("HPEXPIRE h 10 FIELDS 1 a");
        t.advance(20);
        t.run("HGET h a");
        let stats = |t: &mut TestEngine| match t.run("INFO stats") {
            Reply::Verbatim { text, .. } => String::from_utf8(text).unwrap(),
            other => panic!("{other:?}"),
        };
        assert!(stats(&mut t).contains("expired_subkeys:1\r\n"));
        assert_eq!(t.run("CONFIG RESETSTAT"), Reply::ok());
        assert!(stats(&mut t).contains("expired_subkeys:0\r\n"));
    }
}
