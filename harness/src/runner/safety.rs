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
        if !send.command().eq_ignore_ascii_case("HRANDFIELD") || argv.len() < 3 {
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
/// the server (or a proxy in front of it) offers. Never KEYS: on a database that is not
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
        Reply::Error(e) if crate::target::is_auth_error(e) => Err(TargetError::Connect {
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
