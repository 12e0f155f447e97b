//! What keeps a run from touching data that is not its own, on a server someone else may use:
//!
//! - a database that already holds keys is refused (unless the user says otherwise), so a
//!   run never mixes with real data and "no keys left behind" can be checked;
//! - a case that would send FLUSHALL/FLUSHDB, or a command whose key positions the runner
//!   does not know (so it could not keep the keys under the run's prefix), is refused;
//! - keys whose case could not delete them (a broken connection, an interrupted run) are
//!   deleted at the end of the run, by name, on a fresh connection.

use reference_engine::Reply;

use super::keys::knows_keys;
use crate::case::{Case, Step};
use crate::target::{Target, TargetError};

/// Commands that never touch a key, or touch only keys the runner rewrites.
const KEYLESS: &[&str] = &["ping", "echo", "time", "info", "dbsize", "hello", "command"];

/// Commands that would delete or move data outside the run's prefix, whatever their
/// arguments.
const FORBIDDEN: &[&str] = &["flushall", "flushdb", "swapdb", "select", "move", "migrate"];

/// Why `case` must not run on a shared server, if it must not. `exists` asks the server
/// whether it has a command of that name at all: a command it does not have cannot touch
/// anything, so a case about unknown-command errors may still run.
pub fn refusal(case: &Case, exists: &mut dyn FnMut(&[u8]) -> bool) -> Option<String> {
    for step in &case.steps {
        let Step::Send(send) = step else { continue };
        let name = send.command().to_ascii_lowercase();
        let plain: Vec<Vec<u8>> = send.args.iter().map(|a| a.resolve(0)).collect();
        if FORBIDDEN.contains(&name.as_str()) {
            return Some(format!(
                "refused: hashcheck never sends {} (it would touch keys that are not the run's)",
                name.to_ascii_uppercase()
            ));
        }
        let known = KEYLESS.contains(&name.as_str())
            || is_keyless_subcommand(&name, &plain)
            || knows_keys(&plain);
        if !known && plain.first().is_some_and(|n| exists(n)) {
            return Some(format!(
                "refused: {}: hashcheck does not know where this command's keys are, so it \
                 cannot keep them under the run's prefix",
                send.display()
            ));
        }
    }
    None
}

/// Whether the server has a command called `name`: `COMMAND INFO name` is a list holding
/// one null for a command it does not have. Anything else (an error, no COMMAND at all)
/// counts as "it may have it".
pub fn command_exists(target: &mut dyn Target, name: &[u8]) -> bool {
    let reply = target.call(&[b"COMMAND".to_vec(), b"INFO".to_vec(), name.to_vec()]);
    !matches!(reply, Ok(Reply::Array(items)) if items.len() == 1 && items[0] == Reply::Null)
}

/// DEBUG SET-ACTIVE-EXPIRE (the lazy-expiry switch) and the HELP subcommands.
fn is_keyless_subcommand(name: &str, argv: &[Vec<u8>]) -> bool {
    let sub = argv
        .get(1)
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase());
    matches!(
        (name, sub.as_deref()),
        ("debug", Some("set-active-expire")) | ("object" | "debug", Some("help"))
    )
}

/// The number of keys in the target's database (`DBSIZE`).
pub fn dbsize(target: &mut dyn Target) -> Result<i64, TargetError> {
    match target.call(&[b"DBSIZE".to_vec()])? {
        Reply::Integer(n) => Ok(n),
        other => Err(TargetError::Protocol {
            target: target.name().to_string(),
            reason: format!("DBSIZE replied {other}, not an integer"),
        }),
    }
}

/// Deletes `keys` by name, in batches. Returns how many existed.
pub fn delete_keys(target: &mut dyn Target, keys: &[Vec<u8>]) -> Result<i64, TargetError> {
    let mut deleted = 0;
    for chunk in keys.chunks(256) {
        let mut del = vec![b"DEL".to_vec()];
        del.extend(chunk.iter().cloned());
        if let Reply::Integer(n) = target.call(&del)? {
            deleted += n;
        }
    }
    Ok(deleted)
}
