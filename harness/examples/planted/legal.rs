//! The planted legal variants: servers that differ from Redis 8.2.3 only where Redis leaves
//! freedom (the order of a listing, how HSCAN pages, which fields HRANDFIELD picks, the
//! names of encodings). A default `hashcheck run` or `fuzz` must pass them, and
//! `hashcheck run --details strict` must fail them (except where noted).

use reference_engine::Reply;

use crate::plant::*;

/// One legal variant.
pub struct Variant {
    pub name: &'static str,
    pub what: &'static str,
    pub mutation: Mutation,
    /// Why `run --details strict` cannot tell this variant from Redis, if it cannot.
    pub strict_blind: Option<&'static str>,
}

pub const VARIANTS: &[Variant] = &[
    Variant {
        name: "hgetall-reversed",
        what: "HGETALL lists the pairs in reverse order",
        mutation: |i, a| {
            let r = i.call(a);
            if !is(a, "hgetall") {
                return r;
            }
            match r {
                Reply::Map(mut kv) => {
                    kv.reverse();
                    Reply::Map(kv)
                }
                Reply::Array(items) => Reply::Array(reverse_pairs(items)),
                r => r,
            }
        },
        strict_blind: None,
    },
    Variant {
        name: "hkeys-hvals-reversed",
        what: "HKEYS and HVALS list in reverse order",
        mutation: |i, a| match i.call(a) {
            Reply::Array(mut items) if is(a, "hkeys") || is(a, "hvals") => {
                items.reverse();
                Reply::Array(items)
            }
            r => r,
        },
        strict_blind: None,
    },
    Variant {
        name: "hscan-page-reversed",
        what: "each HSCAN page lists its elements in reverse order",
        mutation: |i, a| {
            let novalues = option_at(a, 3, "NOVALUES").is_some();
            match i.call(a) {
                Reply::Array(mut page) if is(a, "hscan") && page.len() == 2 => {
                    if let Reply::Array(items) = std::mem::replace(&mut page[1], Reply::Null) {
                        page[1] = Reply::Array(if novalues {
                            items.into_iter().rev().collect()
                        } else {
                            reverse_pairs(items)
                        });
                    }
                    Reply::Array(page)
                }
                r => r,
            }
        },
        strict_blind: None,
    },
    Variant {
        name: "hscan-pages-small-hashes",
        what: "HSCAN pages small hashes by COUNT (default 10), where Redis returns them whole",
        mutation: hscan_pages_small,
        strict_blind: None,
    },
    Variant {
        name: "hscan-count-ignored",
        what: "HSCAN ignores COUNT and returns the whole hash in one page",
        mutation: hscan_whole,
        strict_blind: Some(
            "Redis pages a big hash in an order set by its per-process hash seed, so no \
             case can write down its first page; and it returns a small hash whole anyway",
        ),
    },
    Variant {
        name: "hrandfield-other-picks",
        what: "HRANDFIELD picks other fields, and lists a whole-hash reply backwards",
        mutation: hrandfield_other,
        strict_blind: None,
    },
    Variant {
        name: "encoding-names",
        what: "OBJECT ENCODING names every hash `hashtable`",
        mutation: |i, a| {
            let r = i.call(a);
            let probe = is(a, "object")
                && a.get(1)
                    .is_some_and(|s| s.eq_ignore_ascii_case(b"encoding"));
            match r {
                Reply::Bulk(name) if probe && name.starts_with(b"listpack") => {
                    Reply::Bulk(b"hashtable".to_vec())
                }
                r => r,
            }
        },
        strict_blind: None,
    },
];

fn reverse_pairs(items: Vec<Reply>) -> Vec<Reply> {
    let mut pairs: Vec<Vec<Reply>> = items.chunks(2).map(|c| c.to_vec()).collect();
    pairs.reverse();
    pairs.into_iter().flatten().collect()
}

/// The elements of a whole HSCAN walk from cursor 0, through the layers below, if the
/// walk ends; with `one_page` only when the first page was already the whole hash.
fn walk(i: &mut Inner<'_>, a: &[Vec<u8>], one_page: bool) -> Option<Vec<Reply>> {
    let mut b = a.to_vec();
    b[2] = b"0".to_vec();
    let mut all = Vec::new();
    for _ in 0..100_000 {
        let Reply::Array(page) = i.call(&b) else {
            return None;
        };
        let [Reply::Bulk(cursor), Reply::Array(items)] = page.as_slice() else {
            return None;
        };
        all.extend(items.iter().cloned());
        if cursor.as_slice() == b"0" {
            return Some(all);
        }
        if one_page {
            return None;
        }
        b[2] = cursor.clone();
    }
    None
}

fn hscan_whole(i: &mut Inner<'_>, a: &[Vec<u8>]) -> Reply {
    if is(a, "hscan") && a.len() >= 3 && a[2] == b"0" {
        if let Some(all) = walk(i, a, false) {
            return scan_reply(b"0".to_vec(), all);
        }
    }
    i.call(a)
}

fn scan_reply(cursor: Vec<u8>, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::Bulk(cursor), Reply::Array(items)])
}

/// A small hash in pages of COUNT elements; the cursor is the offset of the next one.
fn hscan_pages_small(i: &mut Inner<'_>, a: &[Vec<u8>]) -> Reply {
    if !is(a, "hscan") || a.len() < 3 {
        return i.call(a);
    }
    let Some(offset) = std::str::from_utf8(&a[2])
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
    else {
        return i.call(a);
    };
    let count = match option_at(a, 3, "COUNT") {
        Some(at) => match int(a.get(at + 1)) {
            Some(n) if n > 0 => n as usize,
            _ => return i.call(a),
        },
        None => 10,
    };
    let step = if option_at(a, 3, "NOVALUES").is_some() {
        1
    } else {
        2
    };
    let Some(all) = walk(i, a, true) else {
        return i.call(a);
    };
    let elements = all.len() / step;
    if offset >= elements {
        return scan_reply(b"0".to_vec(), Vec::new());
    }
    let end = (offset + count).min(elements);
    let next = if end == elements { 0 } else { end };
    scan_reply(
        next.to_string().into_bytes(),
        all[offset * step..end * step].to_vec(),
    )
}

fn hrandfield_other(i: &mut Inner<'_>, a: &[Vec<u8>]) -> Reply {
    if !is(a, "hrandfield") || a.len() < 2 {
        return i.call(a);
    }
    if a.len() == 2 {
        // One field: another one than the engine's, chosen from a listing of the hash.
        let r = i.call(a);
        if let (Reply::Bulk(_), Reply::Array(keys)) = (&r, i.call_words(&[b"HKEYS", &a[1]])) {
            if !keys.is_empty() {
                let at = i.turn() as usize % keys.len();
                return keys[at].clone();
            }
        }
        return r;
    }
    match i.call(a) {
        Reply::Array(mut items) => {
            // Pairs stay pairs: RESP3 nests them, RESP2 is flat.
            let flat_pairs = a.len() > 3 && !items.iter().any(|p| matches!(p, Reply::Array(_)));
            if flat_pairs {
                items = reverse_pairs(items);
            } else {
                items.reverse();
            }
            Reply::Array(items)
        }
        r => r,
    }
}
