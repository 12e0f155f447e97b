//! FUNCTION, of which the engine has only FLUSH: there are no functions to flush, and test
//! frameworks (Redis's own Tcl suite among them) send it before every server block.
//!
//! ```text
//! FUNCTION FLUSH [ASYNC | SYNC]          https://redis.io/docs/latest/commands/function-flush/
//! ```
//!
//! Checked on Redis 8.2.3 with no library loaded: `FUNCTION FLUSH`, `FUNCTION FLUSH ASYNC`
//! and `FUNCTION FLUSH sync` reply `+OK`; any other single argument gets
//! `ERR FUNCTION FLUSH only supports SYNC|ASYNC option`; two or more get the generic
//! "unknown subcommand or wrong number of arguments for 'flush'" error.

use super::args::{is_c_word, subcommand};
use super::ctx::{CommandResult, Ctx};
use super::spec::{CommandInfo, CommandSpec, Subcommand};
use crate::error::CommandError;
use crate::reply::Reply;

/// FUNCTION's subcommands with Redis 8.2.3's arities and COMMAND INFO facts, so that unknown
/// names and wrong argument counts get Redis's errors even for those not modelled.
#[rustfmt::skip]
pub(super) const FUNCTION_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("delete", 3, CommandInfo::new("write noscript", "@write @slow @scripting", "request_policy:all_shards response_policy:all_succeeded", None)),
    Subcommand::new("dump", 2, CommandInfo::new("noscript", "@slow @scripting", "", None)),
    Subcommand::new("flush", -2, CommandInfo::new("write noscript", "@write @slow @scripting", "request_policy:all_shards response_policy:all_succeeded", None)),
    Subcommand::new("help", 2, CommandInfo::new("loading stale", "@slow @scripting", "", None)),
    Subcommand::new("kill", 2, CommandInfo::new("noscript allow_busy", "@slow @scripting", "request_policy:all_shards response_policy:one_succeeded", None)),
    Subcommand::new("list", -2, CommandInfo::new("noscript", "@slow @scripting", "nondeterministic_output_order", None)),
    Subcommand::new("load", -3, CommandInfo::new("write denyoom noscript", "@write @slow @scripting", "request_policy:all_shards response_policy:all_succeeded", None)),
    Subcommand::new("restore", -3, CommandInfo::new("write denyoom noscript", "@write @slow @scripting", "request_policy:all_shards response_policy:all_succeeded", None)),
    Subcommand::new("stats", 2, CommandInfo::new("noscript allow_busy", "@slow @scripting", "nondeterministic_output request_policy:all_shards response_policy:special", None)),
];

/// `FUNCTION FLUSH [ASYNC | SYNC]`: `+OK`, with nothing to flush. The other subcommands
/// would need a Lua engine, so they get a `NotSupported` error.
pub fn function(_ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let sub = subcommand(argv, FUNCTION_SUBCOMMANDS)?;
    if sub != "flush" {
        return Err(CommandError::NotSupported(format!(
            "FUNCTION {} is not modelled; only FUNCTION FLUSH is",
            sub.to_ascii_uppercase()
        )));
    }
    match argv.len() {
        2 => Ok(Reply::ok()),
        3 if is_c_word(&argv[2], "ASYNC") || is_c_word(&argv[2], "SYNC") => Ok(Reply::ok()),
        3 => Err(CommandError::FunctionFlushOption),
        _ => Err(CommandError::SubcommandOrArity {
            cmd: "FUNCTION".to_string(),
            sub: "flush".to_string(),
        }),
    }
}

/// FUNCTION's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const FUNCTION_SPEC: CommandSpec = CommandSpec::support("function", -2, "7.0.0", function)
    .info("", "@slow", "", None)
    .subcommands(FUNCTION_SUBCOMMANDS);

#[cfg(test)]
mod tests {
    use crate::reply::Reply;
    use crate::test_support::*;

    #[test]
    fn flush_replies_ok_in_every_mode_and_rejects_other_options_as_redis_does() {
        let mut t = TestEngine::new();
        for ok in [
            "FUNCTION FLUSH",
            "function flush async",
            "FUNCTION FLUSH SYNC",
        ] {
            assert_eq!(t.run(ok), Reply::ok(), "{ok}");
        }
        assert_eq!(
            t.run("FUNCTION FLUSH foo"),
            err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
        );
        assert_eq!(
            t.run("FUNCTION FLUSH ASYNC SYNC"),
            err("ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.")
        );
        assert_eq!(
            t.run("FUNCTION NOPE"),
            err("ERR unknown subcommand 'NOPE'. Try FUNCTION HELP.")
        );
        assert_eq!(
            t.run("FUNCTION DELETE"),
            err("ERR wrong number of arguments for 'function|delete' command")
        );
    }

    #[test]
    fn flush_leaves_the_keys_alone() {
        let mut t = TestEngine::new();
        t.run("HSET h f v");
        assert_eq!(t.run("FUNCTION FLUSH"), Reply::ok());
        assert_eq!(t.run("HGET h f"), bulk("v"));
    }
}
