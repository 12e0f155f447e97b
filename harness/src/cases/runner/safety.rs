//! What keeps a run from touching data that is not its own, on a server someone else may use:
//!
//! - a database that already holds keys is refused (unless the user says otherwise), so a
//!   run never mixes with real data and "no keys left behind" can be checked;
//! - a case may send only what [`super::allowed`] lists (commands whose keys the runner
//!   knows, so it keeps them under the run's prefix); anything else is refused;
//! - keys whose case could not delete them (a broken connection, an interrupted run) are
//!   deleted at the end of the run, by name, on a fresh connection.

use reference_engine::command::grammar::Shape;
use reference_engine::command::lookup;
use reference_engine::Reply;

use super::allowed::{self, Class};
use crate::cases::format::{Capability, Case, Step};
use crate::targets::{Target, TargetError};

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
            // Skipped before this unless the run allows them (`skip_reason`).
            Class::NeedsDatabases if case.requires.contains(&Capability::Databases) => {}
            Class::NeedsDatabases => {
                return Some(format!(
                    "refused: {} reaches beyond the case's own keys and the case is not \
                     marked `requires: [databases]`",
                    send.display()
                ))
            }
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

/// The most elements a case may ask HRANDFIELD to repeat (a negative count) of a server
/// that is not known to refuse huge counts first.
const MAX_REPEATS: i128 = 100_000;

/// Why `case` must not be sent to `product`, if it must not: an HRANDFIELD with a huge
/// negative count. Redis and Valkey refuse the counts the cases use (out of range), and
/// the cases check exactly that; a server that serves them instead (fakeredis does) builds
/// a list of quintillions of elements until the machine runs out of memory.
pub fn hazard(case: &Case, product: &str) -> Option<String> {
    if matches!(product, "redis" | "valkey" | "hashcheck") {
        return None;
    }
    for step in &case.steps {
        let Step::Send(send) = step else { continue };
        let argv: Vec<Vec<u8>> = send.args.iter().map(|a| a.resolve(0)).collect();
        // The commands that take a count whose negative means repeats (HRANDFIELD).
        let random_count = lookup(send.command().as_bytes())
            .and_then(|spec| spec.grammar)
            .is_some_and(|g| g.shape == Shape::RandomCount);
        if !random_count || argv.len() < 3 {
            continue;
        }
        let count = std::str::from_utf8(&argv[2])
            .ok()
            .and_then(|c| c.parse::<i128>().ok());
        if count.is_some_and(|c| c < -MAX_REPEATS) {
            return Some(format!(
                "not sent to {product}: {} asks for that many fields; Redis refuses the count, \
                 a server that serves it runs out of memory",
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

/// What the empty-database check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contents {
    Empty,
    /// Keys are there: how many, or how that showed (`42 keys`, `keys (RANDOMKEY ...)`).
    Keys(String),
    /// The server offers none of the ways to tell; what each one replied.
    Unknown(String),
}

/// How many SCAN pages the check reads before it gives up on an answer: a database with
/// keys shows one within a page or two, and an empty one ends at once.
const SCAN_PAGES: usize = 16;

/// Whether the target's database holds keys: DBSIZE, else RANDOMKEY, else SCAN, whichever
/// the server (or a proxy in front of it) offers. On a cluster target DBSIZE is the sum over
/// every primary (`targets::cluster`), so a key on any of them counts. Never KEYS: on a database that is not
/// empty it lists every key, and blocks a real server while it does.
pub fn contents(target: &mut dyn Target) -> Result<Contents, TargetError> {
    let mut refused = Vec::new();
    match target.call(&[b"DBSIZE".to_vec()])? {
        Reply::Integer(0) => return Ok(Contents::Empty),
        Reply::Integer(n) => return Ok(Contents::Keys(format!("{n} keys"))),
        other => refused.push(refusal_text(target, "DBSIZE", &other)?),
    }
    match target.call(&[b"RANDOMKEY".to_vec()])? {
        Reply::Null => return Ok(Contents::Empty),
        Reply::Bulk(_) => {
            return Ok(Contents::Keys(
                "keys (RANDOMKEY returned one; DBSIZE is not available)".to_string(),
            ))
        }
        other => refused.push(refusal_text(target, "RANDOMKEY", &other)?),
    }
    let mut cursor = b"0".to_vec();
    for _ in 0..SCAN_PAGES {
        let reply = target.call(&[
            b"SCAN".to_vec(),
            cursor.clone(),
            b"COUNT".to_vec(),
            b"100".to_vec(),
        ])?;
        let page = match &reply {
            Reply::Array(parts) => match parts.as_slice() {
                [Reply::Bulk(next), Reply::Array(keys)] => Some((next, keys)),
                _ => None,
            },
            _ => None,
        };
        let Some((next, keys)) = page else {
            refused.push(refusal_text(target, "SCAN", &reply)?);
            break;
        };
        if !keys.is_empty() {
            return Ok(Contents::Keys(
                "keys (SCAN found some; DBSIZE is not available)".to_string(),
            ));
        }
        if next == b"0" {
            return Ok(Contents::Empty);
        }
        cursor = next.clone();
    }
    if refused.len() < 3 {
        refused.push(format!(
            "SCAN found no key in {SCAN_PAGES} pages, nor the end"
        ));
    }
    Ok(Contents::Unknown(refused.join("; ")))
}

/// `DBSIZE replied ...` for the message, or the connect error an auth failure is: the
/// server is there, but the run is not let in.
fn refusal_text(target: &dyn Target, what: &str, reply: &Reply) -> Result<String, TargetError> {
    match reply {
        Reply::Error(e) if crate::targets::is_auth_error(e) => Err(TargetError::Connect {
            target: target.name().to_string(),
            reason: format!("{what}: {e}"),
        }),
        _ => Ok(format!("{what} replied {reply}")),
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
