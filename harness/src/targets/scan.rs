//! Following an HSCAN (or SCAN) cursor to the end. A page depends on each server's own
//! table, so the case runner, the fuzz driver and the cargo-fuzz replay all compare whole
//! walks, gathered here: every page's elements under cursor "0", in the shape of a one-page
//! reply.

use reference_engine::command::lookup;
use reference_engine::Reply;

/// Where a scan's cursor is in `argv`: after the key for a command that takes one (`HSCAN
/// key cursor`), else first (`SCAN cursor`), by the command table.
pub fn cursor_at(argv: &[Vec<u8>]) -> usize {
    let keyed = argv
        .first()
        .and_then(|name| lookup(name))
        .is_none_or(|spec| spec.info.key.is_some());
    if keyed {
        2
    } else {
        1
    }
}

/// Whether a scan's elements are single names (SCAN's keys, HSCAN NOVALUES's fields) rather
/// than field/value pairs.
pub fn single_elements(argv: &[Vec<u8>]) -> bool {
    let at = cursor_at(argv);
    at == 1
        || argv
            .iter()
            .skip(at + 1)
            .any(|a| a.eq_ignore_ascii_case(b"NOVALUES"))
}

/// One HSCAN walk, fed its replies one at a time.
#[derive(Debug, Default)]
pub struct ScanWalk {
    elements: Vec<Reply>,
}

/// What a walk does after a reply.
pub enum Page {
    /// It is over: the whole walk (`["0", every element]`), or the reply itself if it was
    /// not a scan page (an error, say).
    Last(Reply),
    /// It goes on with this command (`argv` with the reply's cursor).
    Next(Vec<Vec<u8>>),
}

impl ScanWalk {
    /// Takes the reply to `argv`, an HSCAN of the walk.
    pub fn take(&mut self, argv: &[Vec<u8>], reply: Reply) -> Page {
        let Reply::Array(parts) = &reply else {
            return Page::Last(reply);
        };
        let [Reply::Bulk(cursor), Reply::Array(items)] = parts.as_slice() else {
            return Page::Last(reply);
        };
        self.elements.extend(items.iter().cloned());
        if cursor == b"0" {
            let elements = std::mem::take(&mut self.elements);
            return Page::Last(Reply::Array(vec![Reply::bulk("0"), Reply::Array(elements)]));
        }
        let mut next = argv.to_vec();
        next[cursor_at(argv)] = cursor.clone();
        Page::Next(next)
    }
}

/// Walks on from `first`, the reply to `argv`, making at most `max_calls` more calls;
/// `None` if the walk had not ended by then.
pub fn walk_from<E>(
    argv: &[Vec<u8>],
    first: Reply,
    max_calls: usize,
    mut call: impl FnMut(&[Vec<u8>]) -> Result<Reply, E>,
) -> Result<Option<Reply>, E> {
    let mut walk = ScanWalk::default();
    let mut reply = first;
    for _ in 0..max_calls {
        match walk.take(argv, reply) {
            Page::Last(whole) => return Ok(Some(whole)),
            Page::Next(next) => reply = call(&next)?,
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(cursor: &str, items: &[&str]) -> Reply {
        let items = items.iter().map(Reply::bulk).collect();
        Reply::Array(vec![Reply::bulk(cursor), Reply::Array(items)])
    }

    #[test]
    fn a_walk_gathers_every_page_and_stops_at_cursor_zero_or_a_non_page() {
        let argv: Vec<Vec<u8>> = ["HSCAN", "k", "0"]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        let mut asked = Vec::new();
        let whole = walk_from(&argv, page("7", &["a", "1"]), 10, |next| {
            asked.push(next[2].clone());
            Ok::<_, ()>(page("0", &["b", "2"]))
        });
        assert_eq!(whole, Ok(Some(page("0", &["a", "1", "b", "2"]))));
        assert_eq!(asked, [b"7".to_vec()]);
        let error = Reply::Error("ERR no".into());
        assert_eq!(
            walk_from(&argv, error.clone(), 10, |_| Err(())),
            Ok(Some(error))
        );
        let endless = walk_from(&argv, page("7", &[]), 3, |_| Ok::<_, ()>(page("7", &[])));
        assert_eq!(endless, Ok(None));
        // SCAN's cursor is its first argument, and its elements are single keys.
        let scan: Vec<Vec<u8>> = ["SCAN", "0", "TYPE", "hash"]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        let mut asked = Vec::new();
        let whole = walk_from(&scan, page("5", &["k"]), 10, |next| {
            asked.push(next.to_vec());
            Ok::<_, ()>(page("0", &["j"]))
        });
        assert_eq!(whole, Ok(Some(page("0", &["k", "j"]))));
        assert_eq!(asked[0][1], b"5");
        assert!(single_elements(&scan) && !single_elements(&argv));
    }
}
