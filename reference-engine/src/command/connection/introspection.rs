//! Server introspection: COMMAND and INFO.
//!
//! ```text
//! COMMAND                                 https://redis.io/docs/latest/commands/command/
//! COMMAND COUNT | LIST | INFO [name ...] | DOCS [name ...] | GETKEYS ... | HELP
//! INFO [section [section ...]]            https://redis.io/docs/latest/commands/info/
//! ```
//!
//! COMMAND describes the commands the *engine* has, with each entry exactly as Redis 8.2.3
//! prints it (the data below was read from 8.2.3's `COMMAND INFO`). So `COMMAND COUNT` is
//! the engine's count, not Redis's 267, and the order of `COMMAND` is the table's, where
//! Redis's is its dict order (nondeterministic anyway).
//!
//! `COMMAND DOCS` is refused: the doc texts are Redis's prose, which the engine does not
//! carry. redis-cli 7.0 asks for it when it starts interactively; on the error it falls
//! back to the legacy `COMMAND` and to its built-in help, which is what a redis-cli run
//! against this engine shows (checked by pointing redis-cli at a stub that answers DOCS with
//! an error). An empty DOCS reply would leave redis-cli with no help at all.
//!
//! INFO answers the `server`, `stats` and `keyspace` sections; `stats` has only the expiry
//! counters (`expired_subkeys`, `expired_keys`, `expired_stale_perc`,
//! `expired_time_cap_reached_count`, `expire_cycle_cpu_milliseconds`, in Redis's order).
//! `INFO`, `INFO default`, `all` and `everything` give those three and leave out the
//! sections the engine has nothing true to say about; naming one of those sections explicitly is refused. Unknown section names are
//! ignored, as Redis does, so `INFO foo` is an empty string.

use super::super::args::{c_str, is_c_word, subcommand};
use super::super::ctx::{CommandResult, Ctx};
use super::super::spec::{CommandInfo, CommandSpec, KeySpec, Subcommand};
use super::super::{lookup, COMMANDS};
use crate::error::CommandError;
use crate::keyspace::Value;
use crate::reply::Reply;

/// COMMAND's subcommands with Redis 8.2.3's arities and COMMAND INFO facts.
#[rustfmt::skip]
const COMMAND_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("count", 2, CommandInfo::new("loading stale", "@slow @connection", "", None)),
    Subcommand::new("docs", -2, CommandInfo::new("loading stale", "@slow @connection", "nondeterministic_output_order", None)),
    Subcommand::new("getkeys", -3, CommandInfo::new("loading stale", "@slow @connection", "", None)),
    Subcommand::new("getkeysandflags", -3, CommandInfo::new("loading stale", "@slow @connection", "", None)),
    Subcommand::new("help", 2, CommandInfo::new("loading stale", "@slow @connection", "", None)),
    Subcommand::new("info", -2, CommandInfo::new("loading stale", "@slow @connection", "nondeterministic_output_order", None)),
    Subcommand::new("list", -2, CommandInfo::new("loading stale", "@slow @connection", "nondeterministic_output_order", None)),
];

/// `COMMAND [subcommand ...]`
pub fn command(_ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    if argv.len() == 1 {
        return Ok(Reply::Array(COMMANDS.iter().map(command_reply).collect()));
    }
    match subcommand(argv, COMMAND_SUBCOMMANDS)? {
        "count" => Ok(Reply::Integer(COMMANDS.len() as i64)),
        "info" if argv.len() == 2 => Ok(Reply::Array(COMMANDS.iter().map(command_reply).collect())),
        // An unknown name answers null in its slot (`$-1` in RESP2, as Redis sends).
        "info" => Ok(Reply::Array(
            argv[2..]
                .iter()
                .map(|name| find(name).unwrap_or(Reply::Null))
                .collect(),
        )),
        "list" => command_list(argv),
        other => Err(CommandError::NotSupported(format!(
            "COMMAND {} is not modelled",
            other.to_ascii_uppercase()
        ))),
    }
}

/// `COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]`: every full
/// name, each container followed by its subcommands. The filter's grammar is Redis's;
/// filtering itself is refused.
fn command_list(argv: &[Vec<u8>]) -> CommandResult {
    match &argv[2..] {
        [] => Ok(Reply::Array(
            COMMANDS
                .iter()
                .flat_map(|c| {
                    std::iter::once(Reply::bulk(c.name)).chain(
                        c.subcommands
                            .iter()
                            .map(|s| Reply::bulk(format!("{}|{}", c.name, s.name))),
                    )
                })
                .collect(),
        )),
        [filterby, kind, _]
            if is_c_word(filterby, "filterby")
                && ["module", "aclcat", "pattern"]
                    .iter()
                    .any(|k| is_c_word(kind, k)) =>
        {
            Err(CommandError::NotSupported(
                "COMMAND LIST FILTERBY is not modelled".into(),
            ))
        }
        _ => Err(CommandError::Syntax),
    }
}

/// A command's entry by name, case-insensitively; `container|sub` finds a subcommand.
fn find(name: &[u8]) -> Option<Reply> {
    let (container, sub) = match name.iter().position(|&b| b == b'|') {
        Some(bar) => (&name[..bar], Some(&name[bar + 1..])),
        None => (name, None),
    };
    let spec = lookup(container)?;
    match sub {
        None => Some(command_reply(spec)),
        Some(sub) => {
            let s = spec
                .subcommands
                .iter()
                .find(|s| s.name.as_bytes().eq_ignore_ascii_case(sub))?;
            Some(subcommand_reply(spec, s))
        }
    }
}

fn command_reply(spec: &'static CommandSpec) -> Reply {
    let subs: Vec<Reply> = spec
        .subcommands
        .iter()
        .map(|s| subcommand_reply(spec, s))
        .collect();
    info_reply(spec.name.to_string(), spec.arity, &spec.info, subs)
}

fn subcommand_reply(container: &CommandSpec, sub: &Subcommand) -> Reply {
    let name = format!("{}|{}", container.name, sub.name);
    info_reply(name, sub.arity, &sub.info, Vec::new())
}

/// One entry in Redis's shape: name, arity, flags, first/last key and step, ACL categories,
/// tips, key specs, subcommands. Flags and categories are sets of simple strings, tips a
/// set of bulk strings, key specs a set of maps; an empty subcommand list is an empty set
/// but a non-empty one an array (all as 8.2.3 sends them).
fn info_reply(name: String, arity: i32, info: &CommandInfo, subs: Vec<Reply>) -> Reply {
    let words = |s: &'static str| s.split_whitespace();
    let simple_set = |s| Reply::Set(words(s).map(|w| Reply::Simple(w.to_string())).collect());
    // The legacy first/last/step: `last` absolute unless it counts from the end.
    // With a second key spec (RENAME, COPY: keys 1 and 2) the range runs to its key.
    let (first, last, step) = match (&info.key, &info.second_key) {
        (Some(k), Some(second)) => (k.begin, second.begin + second.last, k.step),
        (Some(k), None) if k.last < 0 => (k.begin, k.last, k.step),
        (Some(k), None) => (k.begin, k.begin + k.last, k.step),
        (None, _) => (0, 0, 0),
    };
    Reply::Array(vec![
        Reply::bulk(name),
        Reply::Integer(i64::from(arity)),
        simple_set(info.flags),
        Reply::Integer(first),
        Reply::Integer(last),
        Reply::Integer(step),
        simple_set(info.acl_categories),
        Reply::Set(words(info.tips).map(Reply::bulk).collect()),
        Reply::Set(
            info.key_specs()
                .map(|k| key_spec_reply(&k, simple_set(k.flags)))
                .collect(),
        ),
        if subs.is_empty() {
            Reply::Set(subs)
        } else {
            Reply::Array(subs)
        },
    ])
}

fn key_spec_reply(k: &KeySpec, flags: Reply) -> Reply {
    let b = |s: &str| Reply::bulk(s);
    let mut fields = Vec::new();
    if !k.notes.is_empty() {
        fields.push((b("notes"), b(k.notes)));
    }
    fields.push((b("flags"), flags));
    fields.push((
        b("begin_search"),
        Reply::Map(vec![
            (b("type"), b("index")),
            (
                b("spec"),
                Reply::Map(vec![(b("index"), Reply::Integer(k.begin))]),
            ),
        ]),
    ));
    fields.push((
        b("find_keys"),
        Reply::Map(vec![
            (b("type"), b("range")),
            (
                b("spec"),
                Reply::Map(vec![
                    (b("lastkey"), Reply::Integer(k.last)),
                    (b("keystep"), Reply::Integer(k.step)),
                    (b("limit"), Reply::Integer(0)),
                ]),
            ),
        ]),
    ));
    Reply::Map(fields)
}

/// Sections Redis 8.2.3 has that the engine leaves out (it has no memory, clients, stats,
/// replication or CPU figures that would be true).
const UNMODELLED_SECTIONS: &[&str] = &[
    "clients",
    "memory",
    "persistence",
    "threads",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keysizes",
];

/// `INFO [section [section ...]]`: a verbatim string in RESP3, a bulk string in RESP2.
pub fn info(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let (mut server, mut keyspace) = (argv.len() == 1, argv.len() == 1);
    let mut stats = argv.len() == 1;
    for arg in &argv[1..] {
        // Redis reads section names as C strings and lower-cases them.
        let name = String::from_utf8_lossy(c_str(arg)).to_ascii_lowercase();
        match name.as_str() {
            "default" | "all" | "everything" => (server, stats, keyspace) = (true, true, true),
            "server" => server = true,
            "stats" => stats = true,
            "keyspace" => keyspace = true,
            other if UNMODELLED_SECTIONS.contains(&other) => {
                return Err(CommandError::NotSupported(format!(
                    "INFO section '{other}' is not modelled; only server, stats and keyspace are"
                )));
            }
            _ => {}
        }
    }
    // Sections come in Redis's fixed order whatever the request's order, separated by a
    // blank line.
    let mut sections = Vec::new();
    if server {
        // `hashcheck_version` is ours alone: it tells the harness (ServerIdentity::from_info)
        // that this is the reference engine and not a Redis, whatever redis_version says.
        sections.push(format!(
            "# Server\r\nredis_version:8.2.3\r\nredis_mode:standalone\r\narch_bits:64\r\n\
             server_time_usec:{}\r\nhashcheck_version:{}\r\n",
            ctx.now_ms.saturating_mul(1000),
            env!("CARGO_PKG_VERSION")
        ));
    }
    if stats {
        // Only the expiry counters: the engine counts nothing else that would be true.
        let st = &ctx.server.stats;
        let subkeys: u64 = ctx.dbs.iter().map(|db| db.expired_fields()).sum();
        let keys: u64 = ctx.dbs.iter().map(|db| db.expired_keys()).sum();
        sections.push(format!(
            "# Stats\r\nexpired_subkeys:{subkeys}\r\nexpired_keys:{}\r\n\
             expired_stale_perc:0.00\r\nexpired_time_cap_reached_count:{}\r\n\
             expire_cycle_cpu_milliseconds:{}\r\n",
            keys,
            st.expired_time_cap_reached_count,
            st.expire_cycle_us / 1000
        ));
    }
    if keyspace {
        let mut text = String::from("# Keyspace\r\n");
        for (i, db) in ctx.dbs.iter().enumerate().filter(|(_, db)| !db.is_empty()) {
            // `subexpiry` counts hashes with field TTLs (expired-but-unreclaimed included);
            // `expires` counts keys with a deadline. Redis estimates avg_ttl in its background
            // expiry cycle, which the embedded engine does not run, so it stays 0.
            let subexpiry = db
                .iter()
                .filter(|(_, v)| matches!(v, Value::Hash(h) if h.has_ttls()))
                .count();
            text.push_str(&format!(
                "db{i}:keys={},expires={},avg_ttl=0,subexpiry={subexpiry}\r\n",
                db.len(),
                db.deadlines()
            ));
        }
        sections.push(text);
    }
    Ok(Reply::Verbatim {
        format: "txt".to_string(),
        text: sections.join("\r\n").into_bytes(),
    })
}

/// COMMAND's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const COMMAND_SPEC: CommandSpec = CommandSpec::support("command", -1, "2.8.13", command)
    .info(
        "loading stale",
        "@slow @connection",
        "nondeterministic_output_order",
        None,
    )
    .subcommands(COMMAND_SUBCOMMANDS);

/// INFO's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const INFO_SPEC: CommandSpec = CommandSpec::support("info", -1, "1.0.0", info).info(
    "loading stale",
    "@slow @dangerous",
    "nondeterministic_output request_policy:all_shards response_policy:special",
    None,
);

#[cfg(test)]
mod tests {
    use crate::command::COMMANDS;
    use crate::reply::{Protocol, Reply};
    use crate::test_support::*;

    #[test]
    fn command_info_bytes_match_redis() {
        let mut t = TestEngine::new();
        // Captured from Redis 8.2.3 with `HELLO 3` then `COMMAND INFO hset nosuch`.
        let want: &[u8] = b"*2\r\n*10\r\n$4\r\nhset\r\n:-4\r\n~3\r\n+write\r\n+denyoom\r\n+fast\r\n\
            :1\r\n:1\r\n:1\r\n~3\r\n+@write\r\n+@hash\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n\
            ~2\r\n+RW\r\n+update\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n\
            $4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n\
            $5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n\
            $5\r\nlimit\r\n:0\r\n~0\r\n_\r\n";
        assert_eq!(
            t.run("COMMAND INFO hset nosuch").to_bytes(Protocol::Resp3),
            want
        );
        // RESP2, captured the same way: an unknown name is `$-1`.
        let resp2 = t
            .resp2("COMMAND INFO nosuch hget")
            .to_bytes(Protocol::Resp2);
        assert!(resp2.starts_with(
            b"*2\r\n$-1\r\n*10\r\n$4\r\nhget\r\n:3\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n\
              :1\r\n*3\r\n+@read\r\n+@hash\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n\
              +RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n"
        ));
    }

    #[test]
    fn command_entries_for_keys_and_containers() {
        let mut t = TestEngine::new();
        let entry = |t: &mut TestEngine, name: &str| match t.run(&format!("COMMAND INFO {name}")) {
            Reply::Array(mut items) => items.remove(0),
            other => panic!("{other:?}"),
        };
        let Reply::Array(del) = entry(&mut t, "DEL") else {
            panic!()
        };
        assert_eq!(&del[3..6], &[int(1), int(-1), int(1)], "first, last, step");
        let Reply::Array(object) = entry(&mut t, "object") else {
            panic!()
        };
        assert_eq!(object[2], Reply::Set(vec![]), "no flags");
        let Reply::Array(subs) = &object[9] else {
            panic!("subcommands are an array")
        };
        assert_eq!(subs.len(), 5);
        let Reply::Array(encoding) = entry(&mut t, "object|encoding") else {
            panic!()
        };
        assert_eq!(&encoding[3..6], &[int(2), int(2), int(1)]);
        let Reply::Array(set) = entry(&mut t, "set") else {
            panic!()
        };
        let Reply::Set(specs) = &set[8] else { panic!() };
        let Reply::Map(spec) = &specs[0] else {
            panic!()
        };
        assert_eq!(
            spec[0],
            (
                bulk("notes"),
                bulk("RW and ACCESS due to the optional `GET` argument")
            )
        );
    }

    #[test]
    fn command_subcommands() {
        let mut t = TestEngine::new();
        let count = COMMANDS.len() as i64;
        assert_eq!(t.run("COMMAND COUNT"), int(count));
        let Reply::Array(all) = t.run("COMMAND") else {
            panic!()
        };
        assert_eq!(all.len() as i64, count);
        let Reply::Array(all_info) = t.run("COMMAND INFO") else {
            panic!()
        };
        assert_eq!(all_info, all);
        let Reply::Array(names) = t.run("COMMAND LIST") else {
            panic!()
        };
        // Each command, then its subcommands: CLIENT 18, OBJECT 5, COMMAND 7, MEMORY 6,
        // FUNCTION 9, SCRIPT 6, CONFIG 5.
        let subs: usize = COMMANDS.iter().map(|c| c.subcommands.len()).sum();
        assert_eq!(names.len(), COMMANDS.len() + subs);
        assert_eq!(subs, 56);
        let at = names.iter().position(|n| n == &bulk("client")).unwrap();
        assert_eq!(names[at + 1], bulk("client|caching"));
        assert!(names.contains(&bulk("client|setinfo")));
        assert_eq!(t.run("COMMAND LIST FILTERBY"), err("ERR syntax error"));
        assert_eq!(
            t.run("COMMAND LIST FILTERBY foo x"),
            err("ERR syntax error")
        );
        assert_eq!(
            t.run("COMMAND LIST FILTERBY pattern h*"),
            err("ERR hashcheck engine: COMMAND LIST FILTERBY is not modelled")
        );
        assert_eq!(
            t.run("COMMAND DOCS"),
            err("ERR hashcheck engine: COMMAND DOCS is not modelled")
        );
        assert_eq!(
            t.run("COMMAND foo"),
            err("ERR unknown subcommand 'foo'. Try COMMAND HELP.")
        );
        assert_eq!(
            t.run("COMMAND COUNT x"),
            err("ERR wrong number of arguments for 'command|count' command")
        );
        assert_eq!(
            t.run("COMMAND GETKEYS"),
            err("ERR wrong number of arguments for 'command|getkeys' command")
        );
    }

    fn info_text(r: Reply) -> String {
        match r {
            Reply::Verbatim { format, text } => {
                assert_eq!(format, "txt");
                String::from_utf8(text).unwrap()
            }
            other => panic!("not verbatim: {other:?}"),
        }
    }

    #[test]
    fn info_keyspace_matches_redis() {
        let mut t = TestEngine::new();
        t.run("HSET h a 1");
        t.run("HSET g a 1");
        t.run("HEXPIRE g 100 FIELDS 1 a");
        t.run("SELECT 3");
        t.run("SET x 1");
        // The same state gave exactly this text on Redis 8.2.3.
        let want = "# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0,subexpiry=1\r\n\
                    db3:keys=1,expires=0,avg_ttl=0,subexpiry=0\r\n";
        assert_eq!(info_text(t.run("INFO keyspace")), want);
        assert_eq!(info_text(t.run("INFO KEYSPACE foo")), want);
        // RESP3 sends `=104\r\ntxt:...`, RESP2 `$100\r\n...`, as Redis does.
        assert!(t
            .run("INFO keyspace")
            .to_bytes(Protocol::Resp3)
            .starts_with(b"=104\r\ntxt:# Keyspace"));
        assert!(t
            .resp2("INFO keyspace")
            .to_bytes(Protocol::Resp2)
            .starts_with(b"$100\r\n# Keyspace"));
        assert_eq!(info_text(t.run("INFO foo")), "");
        assert_eq!(info_text(t.run_args(&[b"INFO", b""])), "");
        t.run("FLUSHALL");
        assert_eq!(info_text(t.run("INFO keyspace")), "# Keyspace\r\n");
    }

    #[test]
    fn info_server_and_defaults() {
        let mut t = TestEngine::new();
        let server = info_text(t.run("INFO server"));
        assert!(server.starts_with("# Server\r\nredis_version:8.2.3\r\nredis_mode:standalone\r\n"));
        assert!(server.contains("server_time_usec:1700000000000000\r\n"));
        assert!(server.ends_with(&format!(
            "\r\nhashcheck_version:{}\r\n",
            env!("CARGO_PKG_VERSION")
        )));
        let both = info_text(t.run("INFO keyspace server"));
        assert_eq!(
            both,
            format!("{server}\r\n# Keyspace\r\n"),
            "fixed order, blank line between"
        );
        let stats = info_text(t.run("INFO stats"));
        assert_eq!(
            stats,
            "# Stats\r\nexpired_subkeys:0\r\nexpired_keys:0\r\nexpired_stale_perc:0.00\r\n\
             expired_time_cap_reached_count:0\r\nexpire_cycle_cpu_milliseconds:0\r\n"
        );
        let all = format!("{server}\r\n{stats}\r\n# Keyspace\r\n");
        assert_eq!(info_text(t.run("INFO")), all);
        assert_eq!(info_text(t.run("INFO everything")), all);
        assert_eq!(info_text(t.run_args(&[b"INFO", b"Server\0x"])), server);
        assert_eq!(
            t.run("INFO memory"),
            err("ERR hashcheck engine: INFO section 'memory' is not modelled; only server, stats and keyspace are")
        );
    }
}
