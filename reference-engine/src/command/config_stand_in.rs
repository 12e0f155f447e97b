//! A minimal CONFIG, standing in until the real one (lane i13-serve: settings that take
//! effect) lands; drop this file and its table row then. It lets a test framework that saves
//! and restores the settings (Redis's Tcl suite does, around every server block) run at all:
//! it reads the hash parameters and accepts setting them to the values they have.
//!
//! ```text
//! CONFIG GET parameter [parameter ...]   https://redis.io/docs/latest/commands/config-get/
//! CONFIG SET parameter value [parameter value ...]
//!                                        https://redis.io/docs/latest/commands/config-set/
//! CONFIG RESETSTAT                       https://redis.io/docs/latest/commands/config-resetstat/
//! ```

use super::args::subcommand;
use super::ctx::{CommandResult, Ctx};
use super::glob;
use super::spec::{CommandInfo, CommandSpec, Subcommand};
use crate::error::CommandError;
use crate::hash::{MAX_LISTPACK_ENTRIES, MAX_LISTPACK_VALUE};
use crate::reply::Reply;

/// CONFIG's subcommands with Redis 8.2.3's arities and COMMAND INFO facts.
#[rustfmt::skip]
pub(super) const CONFIG_SUBCOMMANDS: &[Subcommand] = &[
    Subcommand::new("get", -3, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous", "", None)),
    Subcommand::new("help", 2, CommandInfo::new("loading stale", "@slow", "", None)),
    Subcommand::new("resetstat", 2, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous", "request_policy:all_nodes response_policy:all_succeeded", None)),
    Subcommand::new("rewrite", 2, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous", "request_policy:all_nodes response_policy:all_succeeded", None)),
    Subcommand::new("set", -4, CommandInfo::new("admin noscript loading stale", "@admin @slow @dangerous", "request_policy:all_nodes response_policy:all_succeeded", None)),
];

/// The parameters known here and their (fixed) values.
fn parameters() -> [(&'static str, usize); 4] {
    [
        ("hash-max-listpack-entries", MAX_LISTPACK_ENTRIES),
        ("hash-max-listpack-value", MAX_LISTPACK_VALUE),
        ("hash-max-ziplist-entries", MAX_LISTPACK_ENTRIES),
        ("hash-max-ziplist-value", MAX_LISTPACK_VALUE),
    ]
}

/// CONFIG GET (a map of the matching parameters), CONFIG SET (to the current value only),
/// CONFIG RESETSTAT (no statistics to reset).
pub fn config(_ctx: &mut Ctx<'_>, argv: &[Vec<u8>]) -> CommandResult {
    match subcommand(argv, CONFIG_SUBCOMMANDS)? {
        "get" => Ok(Reply::Map(
            parameters()
                .into_iter()
                .filter(|(name, _)| {
                    argv[2..]
                        .iter()
                        .any(|p| glob::matches(&p.to_ascii_lowercase(), name.as_bytes()))
                })
                .map(|(name, value)| (Reply::bulk(name), Reply::bulk(value.to_string())))
                .collect(),
        )),
        "set" => {
            for pair in argv[2..].chunks(2) {
                let known = parameters()
                    .into_iter()
                    .find(|(name, _)| pair[0].eq_ignore_ascii_case(name.as_bytes()));
                let same = known.is_some_and(|(_, value)| {
                    pair.get(1)
                        .is_some_and(|v| v == value.to_string().as_bytes())
                });
                if !same {
                    return Err(CommandError::NotSupported(format!(
                        "CONFIG SET {} {} is not modelled yet (only the hash parameters, to \
                         their current values)",
                        String::from_utf8_lossy(&pair[0]),
                        String::from_utf8_lossy(pair.get(1).map_or(&b""[..], |v| v))
                    )));
                }
            }
            Ok(Reply::ok())
        }
        "resetstat" => Ok(Reply::ok()),
        other => Err(CommandError::NotSupported(format!(
            "CONFIG {} is not modelled",
            other.to_ascii_uppercase()
        ))),
    }
}

/// CONFIG's row in the command table (COMMAND INFO and DOCS facts from Redis 8.2.3).
pub const CONFIG_SPEC: CommandSpec = CommandSpec::support("config", -2, "2.0.0", config)
    .info("", "@slow", "", None)
    .subcommands(CONFIG_SUBCOMMANDS);

#[cfg(test)]
mod tests {
    use crate::reply::Reply;
    use crate::test_support::*;

    #[test]
    fn reads_the_hash_parameters_and_accepts_their_current_values() {
        let mut t = TestEngine::new();
        assert_eq!(
            t.run("CONFIG GET hash-max-listpack-entries"),
            Reply::Map(vec![(bulk("hash-max-listpack-entries"), bulk("512"))])
        );
        let Reply::Map(all) = t.run("CONFIG GET *") else {
            panic!()
        };
        assert_eq!(all.len(), 4);
        assert_eq!(t.run("CONFIG SET hash-max-ziplist-value 64"), Reply::ok());
        assert!(matches!(
            t.run("CONFIG SET hash-max-listpack-entries 0"),
            Reply::Error(e) if e.starts_with("ERR hashcheck engine:")
        ));
        assert_eq!(t.run("CONFIG RESETSTAT"), Reply::ok());
    }
}
