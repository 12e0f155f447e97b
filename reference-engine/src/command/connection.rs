//! Connection commands: what clients send when they connect, and a few probes.
//!
//! ```text
//! PING [message]                          https://redis.io/docs/latest/commands/ping/
//! ECHO message                            https://redis.io/docs/latest/commands/echo/
//! SELECT index                            https://redis.io/docs/latest/commands/select/
//! HELLO [protover [AUTH username password] [SETNAME clientname]]
//!                                         https://redis.io/docs/latest/commands/hello/
//! CLIENT ID | GETNAME | SETNAME name | SETINFO <LIB-NAME | LIB-VER> value | INFO
//!                                         https://redis.io/docs/latest/commands/client/
//! TIME                                    https://redis.io/docs/latest/commands/time/
//! ```
//!
//! COMMAND and INFO, which describe the server rather than the connection, live in
//! [`introspection`].
//!
//! Clients' connect sequences, which these must satisfy (see the tests):
//! - redis-py 5+: `HELLO 3` when asked for RESP3, then `CLIENT SETINFO LIB-NAME redis-py` and
//!   `CLIENT SETINFO LIB-VER <v>` (errors ignored), `SELECT n` when n != 0, `CLIENT SETNAME`.
//! - the `redis` Rust crate: `HELLO 3` for RESP3, pipelined `CLIENT SETINFO LIB-NAME/LIB-VER`
//!   (errors ignored), `SELECT`.
//! - redis-cli 7.0: `HELLO 3` with `-3`; in interactive or piped mode `COMMAND DOCS`, and on
//!   an error there the legacy `COMMAND` (see `introspection`).
//!
//! The engine behaves as a default Redis 8.2.3: one `default` user without a password,
//! standalone, master, 16 databases.

use super::args::{c_str, is_c_word, parse_i64, subcommand};
use super::ctx::{CommandResult, Ctx};
use super::spec::{CommandInfo, CommandSpec, Subcommand};
use crate::error::{error_text, CommandError};
use crate::reply::{Protocol, Reply};
use crate::session::DATABASES;

mod introspection;

pub use introspection::{COMMAND_SPEC, INFO_SPEC};

/// `PING [message]`: `+PONG`, or the message as a bulk string.
pub fn ping(_ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    match argv {
        [_] => Ok(Reply::Simple("PONG".to_string())),
        [_, message] => Ok(Reply::bulk(message)),
        // The table's arity is -1; PING checks "at most one" itself, with the same error.
        _ => Err(CommandError::WrongArity("ping".to_string())),
    }
}

/// `ECHO message`
pub fn echo(_ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    Ok(Reply::bulk(&argv[1]))
}

/// `SELECT index`: the index is a C `int` first (its own range error), then a database.
pub fn select(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let index = parse_i64(&argv[1]).ok_or(CommandError::NotInteger)?;
    let (min, max) = (i64::from(i32::MIN), i64::from(i32::MAX));
    if !(min..=max).contains(&index) {
        return Err(CommandError::ValueMustBetween { min, max });
    }
    let db = usize::try_from(index)
        .ok()
        .filter(|&db| db < DATABASES)
        .ok_or(CommandError::DbIndexOutOfRange)?;
    ctx.session.db = db;
    Ok(Reply::ok())
}

/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`
///
/// Checks run in Redis's order: the version (an integer, then 2 or 3), every option's
/// syntax, the credentials, the name; only then does the protocol switch. The reply is
/// Redis's map. One deliberate difference: `modules` is empty, where 8.2.3 lists its built-in
/// `vectorset` module, because the engine has no vector sets and a client must not think so.
pub fn hello(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let mut version = None;
    if let Some(arg) = argv.get(1) {
        let v = parse_i64(arg).ok_or(CommandError::ProtocolVersionNotInteger)?;
        version = Some(match v {
            2 => Protocol::Resp2,
            3 => Protocol::Resp3,
            _ => return Err(CommandError::UnsupportedProtocol),
        });
    }
    let mut credentials = None;
    let mut name = None;
    let mut j = 2;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if is_c_word(&argv[j], "AUTH") && more >= 2 {
            credentials = Some((&argv[j + 1], &argv[j + 2]));
            j += 3;
        } else if is_c_word(&argv[j], "SETNAME") && more >= 1 {
            name = Some(&argv[j + 1]);
            j += 2;
        } else {
            return Err(CommandError::HelloOption(error_text(&argv[j], usize::MAX)));
        }
    }
    // The default user has no password, so any password is right for it; no other user
    // exists. User names are case-sensitive.
    if credentials.is_some_and(|(user, _)| user.as_slice() != b"default") {
        return Err(CommandError::WrongPass);
    }
    if let Some(name) = name {
        set_client_name(ctx, name)?;
    }
    if let Some(protocol) = version {
        ctx.session.protocol = protocol;
    }
    let text = |s: &str| Reply::bulk(s);
    Ok(Reply::Map(vec![
        (text("server"), text("redis")),
        (text("version"), text("8.2.3")),
        (
            text("proto"),
            Reply::Integer(ctx.session.protocol.version()),
        ),
        (text("id"), Reply::Integer(ctx.session.id as i64)),
        (text("mode"), text("standalone")),
        (text("role"), text("master")),
        (text("modules"), Reply::Array(Vec::new())),
    ]))
}

/// CLIENT's subcommands with Redis 8.2.3's arities, so that every name gets Redis's unknown
/// or arity error; the ones not handled below get a `NotSupported` error.
#[rustfmt::skip]
pub(super) const CLIENT_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("caching", 3, CommandInfo::new("noscript loading stale", "@slow @connection", "", None)),
    Subcommand::new("getname", 2, CommandInfo::new("noscript loading stale", "@slow @connection", "", None)),
    Subcommand::new("getredir", 2, CommandInfo::new("noscript loading stale", "@slow @connection", "", None)),
    Subcommand::new("help", 2, CommandInfo::new("loading stale", "@slow @connection", "", None)),
    Subcommand::new("id", 2, CommandInfo::new("noscript loading stale", "@slow @connection", "", None)),
    Subcommand::new("info", 2, CommandInfo::new("noscript loading stale", "@slow @connection", "nondeterministic_output", None)),
    Subcommand::new("kill", -3, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous @connection", "", None)),
    Subcommand::new("list", -2, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous @connection", "nondeterministic_output", None)),
    Subcommand::new("no-evict", 3, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous @connection", "", None)),
    Subcommand::new("no-touch", 3, CommandInfo::new("noscript loading stale", "@slow @connection", "", None)),
    Subcommand::new("pause", -3, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous @connection", "", None)),
    Subcommand::new("reply", 3, CommandInfo::new("noscript loading stale", "@slow @connection", "", None)),
    Subcommand::new("setinfo", 4, CommandInfo::new("noscript loading stale", "@slow @connection", "request_policy:all_nodes response_policy:all_succeeded", None)),
    Subcommand::new("setname", 3, CommandInfo::new("noscript loading stale", "@slow @connection", "request_policy:all_nodes response_policy:all_succeeded", None)),
    Subcommand::new("tracking", -3, CommandInfo::new("noscript loading stale", "@slow @connection", "", None)),
    Subcommand::new("trackinginfo", 2, CommandInfo::new("noscript loading stale", "@slow @connection", "", None)),
    Subcommand::new("unblock", -3, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous @connection", "", None)),
    Subcommand::new("unpause", 2, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous @connection", "", None)),
];

/// `CLIENT ID | GETNAME | SETNAME name | SETINFO option value | INFO`
pub fn client(ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    match subcommand(argv, CLIENT_SUBCOMMANDS)? {
        "id" => Ok(Reply::Integer(ctx.session.id as i64)),
        "getname" => Ok(Reply::bulk_or_null(ctx.session.name.as_ref())),
        "setname" => {
            set_client_name(ctx, &argv[2])?;
            Ok(Reply::ok())
        }
        "setinfo" => client_setinfo(ctx, &argv[2], &argv[3]),
        "info" => Ok(Reply::Verbatim {
            format: "txt".to_string(),
            text: client_info_line(ctx).into_bytes(),
        }),
        other => Err(CommandError::NotSupported(format!(
            "CLIENT {} is not modelled; the engine knows only its own session",
            other.to_ascii_uppercase()
        ))),
    }
}

/// Redis's `validateClientAttr`: every byte up to the first NUL must be printable ASCII
/// other than space, so that CLIENT LIST stays splittable on spaces. Bytes after a NUL are
/// not looked at (the value is read as a C string), though they are stored.
fn valid_client_attr(value: &[u8]) -> bool {
    c_str(value).iter().all(|b| (b'!'..=b'~').contains(b))
}

/// CLIENT SETNAME and HELLO SETNAME: an empty name clears it.
fn set_client_name(ctx: &mut Ctx<'_>, name: &[u8]) -> Result<(), CommandError> {
    if !valid_client_attr(name) {
        return Err(CommandError::InvalidClientName);
    }
    ctx.session.name = (!name.is_empty()).then(|| name.to_vec());
    Ok(())
}

/// `CLIENT SETINFO LIB-NAME|LIB-VER value`: an empty value clears the attribute. Errors
/// quote the option as the client spelled it.
fn client_setinfo(ctx: &mut Ctx<'_>, option: &[u8], value: &[u8]) -> CommandResult {
    let slot = if is_c_word(option, "lib-name") {
        &mut ctx.session.lib_name
    } else if is_c_word(option, "lib-ver") {
        &mut ctx.session.lib_ver
    } else {
        return Err(CommandError::UnrecognizedOption(error_text(
            option,
            usize::MAX,
        )));
    };
    if !valid_client_attr(value) {
        return Err(CommandError::InvalidClientAttribute(error_text(
            option,
            usize::MAX,
        )));
    }
    *slot = (!value.is_empty()).then(|| value.to_vec());
    Ok(Reply::ok())
}

/// The CLIENT INFO line, with Redis 8.2.3's fields in its order so that parsers work. The
/// engine knows the id, name, database, protocol and library attributes; it has no socket,
/// buffers or counters, so addresses, sizes and counters are fixed placeholders. Names are
/// printed as C strings, as Redis does (cut at a NUL).
fn client_info_line(ctx: &Ctx<'_>) -> String {
    let show = |v: &Option<Vec<u8>>| {
        String::from_utf8_lossy(v.as_deref().map(c_str).unwrap_or_default()).into_owned()
    };
    let s = &ctx.session;
    format!(
        "id={} addr=127.0.0.1:0 laddr=127.0.0.1:0 fd=-1 name={} age=0 idle=0 flags=N db={} \
         sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 \
         rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client|info user=default \
         redir=-1 resp={} lib-name={} lib-ver={} io-thread=0 tot-net-in=0 tot-net-out=0 \
         tot-cmds=0\n",
        s.id,
        show(&s.name),
        s.db,
        s.protocol.version(),
        show(&s.lib_name),
        show(&s.lib_ver),
    )
}

/// `TIME`: the command's clock reading as `[unix seconds, microseconds]`, both bulk strings.
/// The engine's clock has millisecond resolution, so the microseconds end in 000.
pub fn time(ctx: &mut Ctx<'_>, _argv: &[Vec<u8>]) -> CommandResult {
    let now = ctx.now();
    let (secs, ms) = (now.div_euclid(1000), now.rem_euclid(1000));
    Ok(Reply::Array(vec![
        Reply::bulk(secs.to_string()),
        Reply::bulk((ms * 1000).to_string()),
    ]))
}

/// PING's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const PING_SPEC: CommandSpec = CommandSpec::support("ping", -1, "1.0.0", ping)
    .info(
        "fast",
        "@fast @connection",
        "request_policy:all_shards response_policy:all_succeeded",
        None,
    )
    .lazy_clock();

/// ECHO's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const ECHO_SPEC: CommandSpec = CommandSpec::support("echo", 2, "1.0.0", echo)
    .info("loading stale fast", "@fast @connection", "", None)
    .lazy_clock();

/// SELECT's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const SELECT_SPEC: CommandSpec = CommandSpec::support("select", 2, "1.0.0", select)
    .info("loading stale fast", "@fast @connection", "", None)
    .lazy_clock();

/// HELLO's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const HELLO_SPEC: CommandSpec = CommandSpec::support("hello", -1, "6.0.0", hello)
    .info(
        "noscript loading stale fast no_auth allow_busy",
        "@fast @connection",
        "",
        None,
    )
    .lazy_clock();

/// CLIENT's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const CLIENT_SPEC: CommandSpec = CommandSpec::support("client", -2, "2.4.0", client)
    .info("", "@slow", "", None)
    .subcommands(CLIENT_SUBCOMMANDS);

/// TIME's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const TIME_SPEC: CommandSpec = CommandSpec::support("time", 1, "2.6.0", time).info(
    "loading stale fast",
    "@fast",
    "nondeterministic_output",
    None,
);

#[cfg(test)]
mod tests {
    use crate::reply::{Protocol, Reply};
    use crate::test_support::*;

    fn hello_map(proto: i64, id: i64) -> Reply {
        let b = |s: &str| bulk(s);
        Reply::Map(vec![
            (b("server"), b("redis")),
            (b("version"), b("8.2.3")),
            (b("proto"), int(proto)),
            (b("id"), int(id)),
            (b("mode"), b("standalone")),
            (b("role"), b("master")),
            (b("modules"), arr(vec![])),
        ])
    }

    fn resp2_engine() -> TestEngine {
        let mut t = TestEngine::new();
        t.session.protocol = Protocol::Resp2;
        t.session.id = 7;
        t
    }

    #[test]
    fn ping_and_echo() {
        let mut t = TestEngine::new();
        assert_eq!(t.run("PING"), Reply::Simple("PONG".into()));
        assert_eq!(t.run("ping hi"), bulk("hi"));
        assert_eq!(
            t.run("PING a b"),
            err("ERR wrong number of arguments for 'ping' command")
        );
        assert_eq!(t.run("ECHO x"), bulk("x"));
        assert_eq!(t.run_args(&[b"ECHO", b""]), bulk(""));
    }

    #[test]
    fn select_ranges_and_errors() {
        let mut t = TestEngine::new();
        let not_int = err("ERR value is not an integer or out of range");
        let out = err("ERR DB index is out of range");
        let int_range =
            err("ERR value is out of range, value must between -2147483648 and 2147483647");
        assert_eq!(t.run("SELECT x"), not_int);
        assert_eq!(t.run("SELECT 01"), not_int);
        assert_eq!(t.run_args(&[b"SELECT", b""]), not_int);
        assert_eq!(t.run("SELECT 16"), out);
        assert_eq!(t.run("SELECT -1"), out);
        assert_eq!(t.run("SELECT 2147483647"), out);
        assert_eq!(t.run("SELECT 2147483648"), int_range);
        assert_eq!(t.run("SELECT -2147483649"), int_range);
        assert_eq!(t.session.db, 0, "failed SELECTs change nothing");
        assert_eq!(t.run("SELECT 15"), Reply::ok());
        assert_eq!(t.session.db, 15);
        t.run("SET k v");
        t.run("SELECT 0");
        assert_eq!(t.run("EXISTS k"), int(0), "databases are separate");
    }

    #[test]
    fn hello_switches_protocol_and_replies_the_map() {
        let mut t = resp2_engine();
        assert_eq!(t.run("HELLO"), hello_map(2, 7));
        assert_eq!(t.session.protocol, Protocol::Resp2);
        assert_eq!(t.run("HELLO 3"), hello_map(3, 7));
        assert_eq!(t.session.protocol, Protocol::Resp3);
        assert_eq!(
            t.run("HELLO"),
            hello_map(3, 7),
            "no version keeps the protocol"
        );
        // The RESP2 form is the flat 14-element array Redis sends.
        let wire = t.run("HELLO 2").to_bytes(Protocol::Resp2);
        assert!(wire.starts_with(b"*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n"));
        assert!(wire.ends_with(b"$7\r\nmodules\r\n*0\r\n"));
        assert_eq!(t.session.protocol, Protocol::Resp2);
    }

    #[test]
    fn hello_errors_in_redis_order() {
        let mut t = resp2_engine();
        let noproto = err("NOPROTO unsupported protocol version");
        let not_int = err("ERR Protocol version is not an integer or out of range");
        for (line, want) in [
            ("HELLO 4", &noproto),
            ("HELLO 1", &noproto),
            ("HELLO -1", &noproto),
            ("HELLO x", &not_int),
            ("HELLO 03", &not_int),
            ("HELLO x foo", &not_int),
        ] {
            assert_eq!(&t.run(line), want, "{line}");
        }
        let option = |o: &str| err(&format!("ERR Syntax error in HELLO option '{o}'"));
        assert_eq!(t.run("HELLO 3 foo"), option("foo"));
        assert_eq!(t.run("HELLO 3 SETNAME"), option("SETNAME"));
        assert_eq!(t.run("HELLO 3 AUTH default"), option("AUTH"));
        assert_eq!(t.run_args(&[b"HELLO", b"3", b""]), option(""));
        assert_eq!(t.run_args(&[b"HELLO", b"3", b"a\r\nb"]), option("a  b"));
        let wrongpass = err("WRONGPASS invalid username-password pair or user is disabled.");
        assert_eq!(t.run("HELLO 3 AUTH bob x"), wrongpass);
        assert_eq!(t.run("HELLO 3 AUTH DEFAULT x"), wrongpass);
        // A syntax error anywhere wins over bad credentials.
        assert_eq!(t.run("HELLO 3 AUTH bob x foo"), option("foo"));
        assert_eq!(
            t.run_args(&[b"HELLO", b"3", b"SETNAME", b"a b"]),
            err("ERR Client names cannot contain spaces, newlines or special characters.")
        );
        assert_eq!(t.session.protocol, Protocol::Resp2, "no error switched it");
        assert_eq!(t.session.name, None);
    }

    #[test]
    fn hello_auth_and_setname() {
        let mut t = resp2_engine();
        assert_eq!(
            t.run("HELLO 3 auth default anything setname conn1"),
            hello_map(3, 7)
        );
        assert_eq!(t.run("CLIENT GETNAME"), bulk("conn1"));
        assert_eq!(
            t.run_args(&[b"HELLO", b"3", b"AUTH", b"default", b""]),
            hello_map(3, 7)
        );
        assert_eq!(
            t.run_args(&[b"HELLO", b"3", b"SETNAME", b""]),
            hello_map(3, 7)
        );
        assert_eq!(t.run("CLIENT GETNAME"), Reply::Null, "empty name clears it");
    }

    #[test]
    fn client_id_and_names() {
        let mut t = resp2_engine();
        assert_eq!(t.run("client Id"), int(7));
        assert_eq!(t.run("CLIENT GETNAME"), Reply::Null);
        assert_eq!(t.run("CLIENT SETNAME ~!"), Reply::ok());
        assert_eq!(t.run("CLIENT GETNAME"), bulk("~!"));
        let bad = err("ERR Client names cannot contain spaces, newlines or special characters.");
        for name in [&b"a b"[..], b"a\nb", b"a\x7f", b"\x80"] {
            assert_eq!(t.run_args(&[b"CLIENT", b"SETNAME", name]), bad, "{name:?}");
        }
        // Only the bytes before a NUL are checked; the whole name is kept.
        assert_eq!(t.run_args(&[b"CLIENT", b"SETNAME", b"a\0 b"]), Reply::ok());
        assert_eq!(t.run("CLIENT GETNAME"), bulk("a\0 b"));
        assert_eq!(t.run_args(&[b"CLIENT", b"SETNAME", b""]), Reply::ok());
        assert_eq!(t.run("CLIENT GETNAME"), Reply::Null);
    }

    #[test]
    fn client_setinfo_and_info() {
        let mut t = resp2_engine();
        assert_eq!(t.run("CLIENT SETINFO lib-name redis-py"), Reply::ok());
        assert_eq!(t.run("CLIENT SETINFO LIB-VER 5.0"), Reply::ok());
        assert_eq!(t.run("CLIENT SETINFO lib-name a(b"), Reply::ok());
        assert_eq!(
            t.run_args(&[b"CLIENT", b"SETINFO", b"LiB-VeR", b"a b"]),
            err("ERR LiB-VeR cannot contain spaces, newlines or special characters.")
        );
        assert_eq!(
            t.run("CLIENT SETINFO Foo x"),
            err("ERR Unrecognized option 'Foo'")
        );
        t.run("CLIENT SETNAME me");
        t.run("SELECT 2");
        let Reply::Verbatim { format, text } = t.run("CLIENT INFO") else {
            panic!("CLIENT INFO is a verbatim string");
        };
        assert_eq!(format, "txt");
        let line = String::from_utf8(text).unwrap();
        assert!(line.starts_with("id=7 addr="), "{line}");
        for part in [
            " name=me ",
            " db=2 ",
            " resp=2 ",
            " lib-name=a(b ",
            " lib-ver=5.0 ",
        ] {
            assert!(line.contains(part), "{part} in {line}");
        }
        assert!(line.ends_with(" tot-cmds=0\n"));
        // An empty value clears the attribute.
        t.run_args(&[b"CLIENT", b"SETINFO", b"lib-name", b""]);
        assert!(t.run("CLIENT INFO").to_string().contains(" lib-name= "));
        // In RESP2 it is a plain bulk string.
        assert!(
            t.run("CLIENT INFO")
                .to_bytes(Protocol::Resp2)
                .starts_with(b"$"),
            "bulk in RESP2"
        );
    }

    #[test]
    fn client_subcommand_errors() {
        let mut t = TestEngine::new();
        assert_eq!(
            t.run("client foo"),
            err("ERR unknown subcommand 'foo'. Try CLIENT HELP.")
        );
        let long = "x".repeat(200);
        assert_eq!(
            t.run(&format!("CLIENT {long}")),
            err(&format!(
                "ERR unknown subcommand '{}'. Try CLIENT HELP.",
                &long[..128]
            ))
        );
        for (line, sub) in [
            ("CLIENT ID x", "id"),
            ("CLIENT GETNAME x", "getname"),
            ("CLIENT SETNAME", "setname"),
            ("CLIENT SETNAME a b", "setname"),
            ("CLIENT SETINFO lib-name", "setinfo"),
            ("CLIENT INFO x", "info"),
            ("CLIENT KILL", "kill"),
        ] {
            assert_eq!(
                t.run(line),
                err(&format!(
                    "ERR wrong number of arguments for 'client|{sub}' command"
                )),
                "{line}"
            );
        }
        assert_eq!(
            t.run("CLIENT LIST"),
            err("ERR hashcheck engine: CLIENT LIST is not modelled; the engine knows only its own session")
        );
    }

    #[test]
    fn time_reads_the_clock() {
        let mut t = TestEngine::new();
        t.advance(1_234);
        assert_eq!(t.run("TIME"), arr(vec![bulk("1700000001"), bulk("234000")]));
    }
}
