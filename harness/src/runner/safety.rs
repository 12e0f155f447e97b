//! What keeps a run from touching data that is not its own, on a server someone else may use:
//!
//! - a database that already holds keys is refused (unless the user says otherwise), so a
//!   run never mixes with real data and "no keys left behind" can be checked;
//! - a case may send only what [`super::allowed`] lists (commands whose keys the runner
//!   knows, so it keeps them under the run's prefix); anything else is refused;
//! - keys whose case could not delete them (a broken connection, an interrupted run) are
//!   deleted at the end of the run, by name, on a fresh connection.

use reference_engine::Reply;

use super::allowed::{self, Class};
use crate::case::{Case, Step};
use crate::target::{Target, TargetError};

/// Why `case` must not run on a shared server, if it must not: the same allow-list the
/// files were checked against when loaded ([`allowed::check_file`]), for callers that ran
/// a case without that check. A command off the list is sent only when the step expects
/// `ERR unknown command` and `exists` (the server, asked) says it has no such command: a
/// command it does not have cannot touch anything.
pub fn refusal(
    case: &Case,
    allow_debug: bool,
    exists: &mut dyn FnMut(&[u8]) -> bool,
) -> Option<String> {
    for step in &case.steps {
        let Step::Send(send) = step else { continue };
        let plain: Vec<Vec<u8>> = send.args.iter().map(|a| a.resolve(0)).collect();
        match allowed::classify(&plain) {
            Class::Allowed => {}
            Class::NeedsFlag if allow_debug => {}
            Class::NeedsFlag => {
                return Some(format!(
                    "refused: {} changes the server; run with --allow-debug",
                    send.display()
                ))
            }
            Class::Refused(why) => {
                let absent = allowed::expects_unknown_command(send)
                    && plain.first().is_some_and(|n| !exists(n));
                if !absent {
                    return Some(format!("refused: {}: {why}", send.display()));
                }
            }
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
