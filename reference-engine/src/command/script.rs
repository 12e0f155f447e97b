//! SCRIPT, of which the engine has only FLUSH: there is no script cache to flush, and test
//! frameworks send it to start from a clean server.
//!
//! ```text
//! SCRIPT FLUSH [ASYNC | SYNC]            https://redis.io/docs/latest/commands/script-flush/
//! ```
//!
//! Checked on Redis 8.2.3 with an empty script cache: `SCRIPT FLUSH`, `SCRIPT FLUSH ASYNC`
//! and `SCRIPT FLUSH sync` reply `+OK`; anything else after FLUSH, one argument or more, gets
//! `ERR SCRIPT FLUSH only support SYNC|ASYNC option` (unlike FUNCTION FLUSH, which has a
//! separate error for two or more).

use super::args::{is_c_word, subcommand};
use super::ctx::{CommandResult, Ctx};
use super::spec::{CommandInfo, CommandSpec, Subcommand};
use crate::error::CommandError;
use crate::reply::Reply;

/// SCRIPT's subcommands with Redis 8.2.3's arities and COMMAND INFO facts, so that unknown
/// names and wrong argument counts get Redis's errors even for those not modelled.
#[rustfmt::skip]
pub(super) const SCRIPT_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("debug", 3, CommandInfo::new("noscript", "@slow @scripting", "", None)),
    Subcommand::new("exists", -3, CommandInfo::new("noscript", "@slow @scripting", "request_policy:all_shards response_policy:agg_logical_and", None)),
    Subcommand::new("flush", -2, CommandInfo::new("noscript", "@slow @scripting", "request_policy:all_nodes response_policy:all_succeeded", None)),
    Subcommand::new("help", 2, CommandInfo::new("loading stale", "@slow @scripting", "", None)),
    Subcommand::new("kill", 2, CommandInfo::new("noscript allow_busy", "@slow @scripting", "request_policy:all_shards response_policy:one_succeeded", None)),
    Subcommand::new("load", 3, CommandInfo::new("noscript stale", "@slow @scripting", "request_policy:all_nodes response_policy:all_succeeded", None)),
];

/// `SCRIPT FLUSH [ASYNC | SYNC]`: `+OK`, with nothing to flush. The other subcommands
/// would need a Lua engine, so they get a `NotSupported` error.
pub fn script(_ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    let sub = subcommand(argv, SCRIPT_SUBCOMMANDS)?;
    if sub != "flush" {
        return Err(CommandError::NotSupported(format!(
            "SCRIPT {} is not modelled; only SCRIPT FLUSH is",
            sub.to_ascii_uppercase()
        )));
    }
    match argv.len() {
        2 => Ok(Reply::ok()),
        3 if is_c_word(&argv[2], "ASYNC") || is_c_word(&argv[2], "SYNC") => Ok(Reply::ok()),
        _ => Err(CommandError::ScriptFlushOption),
    }
}

/// SCRIPT's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const SCRIPT_SPEC: CommandSpec = CommandSpec::support("script", -2, "2.6.0", script)
    .info("", "@slow", "", None)
    .subcommands(SCRIPT_SUBCOMMANDS);

#[cfg(test)]
mod tests {
    use crate::reply::Reply;
    use crate::test_support::*;

    #[test]
    fn flush_replies_ok_in_every_mode_and_rejects_other_options_as_redis_does() {
        let mut t = TestEngine::new();
        for ok in ["SCRIPT FLUSH", "script flush async", "SCRIPT FLUSH SYNC"] {
            assert_eq!(t.run(ok), Reply::ok(), "{ok}");
        }
        for bad in ["SCRIPT FLUSH foo", "SCRIPT FLUSH SYNC ASYNC"] {
            assert_eq!(
                t.run(bad),
                err("ERR SCRIPT FLUSH only support SYNC|ASYNC option"),
                "{bad}"
            );
        }
        assert_eq!(
            t.run("SCRIPT nope"),
            err("ERR unknown subcommand 'nope'. Try SCRIPT HELP.")
        );
        assert_eq!(
            t.run("SCRIPT EXISTS"),
            err("ERR wrong number of arguments for 'script|exists' command")
        );
    }

    #[test]
    fn flush_leaves_the_keys_alone() {
        let mut t = TestEngine::new();
        t.run("HSET h f v");
        assert_eq!(t.run("SCRIPT FLUSH"), Reply::ok());
        assert_eq!(t.run("HGET h f"), bulk("v"));
    }
}
