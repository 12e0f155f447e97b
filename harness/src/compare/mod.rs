//! Comparing two replies to the same command, strictly except where Redis leaves freedom.
//!
//! Redis marks HGETALL, HKEYS and HVALS as having a nondeterministic output order and
//! HRANDFIELD and HSCAN as nondeterministic; TTL readings depend on when the command ran.
//! Each of those gets a policy that is loose exactly where Redis is free and strict
//! everywhere else: pairs stay pairs, counts and types must match, errors are compared on
//! their text, and codes such as -1/-2 are exact.

mod payload;
pub mod policy;

use std::collections::BTreeMap;

use reference_engine::Reply;

/// How strictly error replies are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorMatch {
    /// The whole text.
    #[default]
    Exact,
    /// Only the code (`ERR`, `WRONGTYPE`, ...).
    Code,
    /// Any error matches any error (an error where a value was due still fails).
    Any,
}

/// How a reply is compared with the expected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// Byte for byte (after decoding), order included.
    Exact,
    /// Elements in any order. With `pairs`, a flat array is read as field/value pairs
    /// (RESP2 HGETALL), so a value moved to another field still fails.
    Unordered { pairs: bool },
    /// HRANDFIELD: the reply must be a valid pick from `hash` (the live fields and values at
    /// the time of the call), for the given count.
    RandomPick {
        count: Option<i64>,
        with_values: bool,
        hash: Vec<(Vec<u8>, Vec<u8>)>,
    },
    /// TTL readings (HTTL family): codes below zero exact, readings within `tolerance`.
    TtlWithin { tolerance: i64 },
    /// Readings in seconds (HTTL, HEXPIRETIME) judged from the same readings in ms
    /// (`millis`, from HPTTL or HPEXPIRETIME on the reference just before): a reading must
    /// be what Redis's rounding up gives for some ms value within `tolerance` of the
    /// reference's. A flat one-second tolerance would let a server that rounds down pass.
    TtlSeconds { millis: Vec<i64>, tolerance: i64 },
    /// A whole HSCAN walk as `[cursor, elements]`: the cursors exact, the elements as a set
    /// of field/value pairs (of fields with `novalues`). A walk may return an element
    /// twice, so duplicates are not counted.
    Scan { novalues: bool },
    /// One HSCAN page outside a walk, from a server that may page its own way: any cursor,
    /// and every element one of `hash`'s (the live fields and values just before the call):
    /// field/value pairs, or fields with `novalues`.
    ScanPage {
        novalues: bool,
        hash: Vec<(Vec<u8>, Vec<u8>)>,
    },
    /// A DUMP payload, restored and compared: the same value, field deadlines within
    /// `tolerance` ms (`i64::MAX`: only whether a field has one); a fork's newer RDB
    /// version is opaque (see `payload`).
    Payload { tolerance: i64 },
}

/// Why two replies differ, in words for the report (the diff is rendered elsewhere).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub reason: String,
}

impl Mismatch {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// Compares `actual` with `expected` under `policy`.
pub fn compare(
    expected: &Reply,
    actual: &Reply,
    policy: &Policy,
    errors: ErrorMatch,
) -> Result<(), Mismatch> {
    // An error where a value was due (or the reverse) fails under every policy.
    match (expected, actual) {
        (Reply::Error(e), Reply::Error(a)) => return compare_errors(e, a, errors),
        (Reply::Error(_), _) => return Err(Mismatch::new("expected an error reply")),
        (_, Reply::Error(_)) => return Err(Mismatch::new("unexpected error reply")),
        _ => {}
    }
    // Equal replies pass every policy but a random pick's, which is checked against the
    // hash whatever the reference picked.
    if expected == actual && !matches!(policy, Policy::RandomPick { .. }) {
        return Ok(());
    }
    match policy {
        Policy::Exact => exact(expected, actual),
        Policy::Unordered { pairs } => unordered(expected, actual, *pairs),
        Policy::RandomPick {
            count,
            with_values,
            hash,
        } => random_pick(expected, actual, *count, *with_values, hash),
        Policy::TtlWithin { tolerance } => ttl_within(expected, actual, *tolerance),
        Policy::TtlSeconds { millis, tolerance } => {
            ttl_seconds(expected, actual, millis, *tolerance)
        }
        Policy::Scan { novalues } => scan(expected, actual, !*novalues),
        Policy::ScanPage { novalues, hash } => scan_page(expected, actual, *novalues, hash),
        Policy::Payload { tolerance } => payload::payload(expected, actual, *tolerance),
    }
}

fn compare_errors(expected: &str, actual: &str, errors: ErrorMatch) -> Result<(), Mismatch> {
    let same = match errors {
        ErrorMatch::Exact => expected == actual,
        ErrorMatch::Code => expected.split(' ').next() == actual.split(' ').next(),
        ErrorMatch::Any => true,
    };
    if same {
        Ok(())
    } else {
        Err(Mismatch::new("different error"))
    }
}

fn exact(expected: &Reply, actual: &Reply) -> Result<(), Mismatch> {
    if expected == actual {
        Ok(())
    } else {
        Err(Mismatch::new("replies differ"))
    }
}

/// The elements of a collection reply, with its kind, so that an array never matches a map.
fn elements(reply: &Reply, pairs: bool) -> Option<(&'static str, Vec<Vec<&Reply>>)> {
    match reply {
        Reply::Map(kv) => Some(("map", kv.iter().map(|(k, v)| vec![k, v]).collect())),
        Reply::Array(items) if pairs && items.len() % 2 == 0 => Some((
            "array",
            items.chunks(2).map(|c| c.iter().collect()).collect(),
        )),
        Reply::Array(items) => Some(("array", items.iter().map(|i| vec![i]).collect())),
        Reply::Set(items) => Some(("set", items.iter().map(|i| vec![i]).collect())),
        _ => None,
    }
}

/// The items counted by their RESP3 encoding, which is self-delimiting, so concatenated
/// encodings of a pair are distinct whenever the pairs are (and far cheaper than Debug).
fn multiset(items: &[Vec<&Reply>]) -> BTreeMap<Vec<u8>, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        let key: Vec<u8> = item
            .iter()
            .flat_map(|r| r.to_bytes(reference_engine::Protocol::Resp3))
            .collect();
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

fn unordered(expected: &Reply, actual: &Reply, pairs: bool) -> Result<(), Mismatch> {
    let (Some((ek, e)), Some((ak, a))) = (elements(expected, pairs), elements(actual, pairs))
    else {
        return exact(expected, actual);
    };
    if ek != ak {
        return Err(Mismatch::new(format!("expected a {ek}, got a {ak}")));
    }
    if e.len() != a.len() {
        return Err(Mismatch::new(format!(
            "expected {} elements, got {}",
            e.len(),
            a.len()
        )));
    }
    if multiset(&e) != multiset(&a) {
        let what = if pairs {
            "field/value pairs"
        } else {
            "elements"
        };
        return Err(Mismatch::new(format!("different {what} (order ignored)")));
    }
    Ok(())
}

fn scan(expected: &Reply, actual: &Reply, pairs: bool) -> Result<(), Mismatch> {
    let parts = |r: &Reply| match r {
        Reply::Array(p) => match p.as_slice() {
            [c @ Reply::Bulk(_), Reply::Array(items)] => Some((c.clone(), items.clone())),
            _ => None,
        },
        _ => None,
    };
    let (Some((ec, ei)), Some((ac, ai))) = (parts(expected), parts(actual)) else {
        return exact(expected, actual);
    };
    if ec != ac {
        return Err(Mismatch::new("different cursor"));
    }
    let set = |items: &[Reply]| -> Option<std::collections::BTreeSet<String>> {
        let chunk = if pairs { 2 } else { 1 };
        if items.len() % chunk != 0 {
            return None;
        }
        Some(items.chunks(chunk).map(|c| format!("{c:?}")).collect())
    };
    match (set(&ei), set(&ai)) {
        (Some(e), Some(a)) if e == a => Ok(()),
        (Some(_), Some(_)) => Err(Mismatch::new("the scans returned different elements")),
        _ => Err(Mismatch::new(
            "odd number of elements in a scan with values",
        )),
    }
}

fn scan_page(
    expected: &Reply,
    actual: &Reply,
    novalues: bool,
    hash: &[(Vec<u8>, Vec<u8>)],
) -> Result<(), Mismatch> {
    let page = |r: &Reply| match r {
        Reply::Array(p) => match p.as_slice() {
            [Reply::Bulk(_), Reply::Array(items)] => Some(items.clone()),
            _ => None,
        },
        _ => None,
    };
    if page(expected).is_none() {
        return exact(expected, actual);
    }
    let Some(items) = page(actual) else {
        return Err(Mismatch::new("not an HSCAN page [cursor, elements]"));
    };
    let values: BTreeMap<&[u8], &[u8]> = hash
        .iter()
        .map(|(f, v)| (f.as_slice(), v.as_slice()))
        .collect();
    let bulk = |r: &Reply| match r {
        Reply::Bulk(b) => Some(b.clone()),
        _ => None,
    };
    let step = if novalues { 1 } else { 2 };
    if items.len() % step != 0 {
        return Err(Mismatch::new(
            "odd number of elements in a scan with values",
        ));
    }
    for chunk in items.chunks(step) {
        let field = bulk(&chunk[0]).ok_or_else(|| Mismatch::new("a field is not a string"))?;
        let Some(value) = values.get(field.as_slice()) else {
            return Err(Mismatch::new(format!("{} is not a field", quote(&field))));
        };
        if !novalues && chunk.get(1).and_then(bulk).as_deref() != Some(*value) {
            return Err(Mismatch::new(format!(
                "wrong value paired with {}",
                quote(&field)
            )));
        }
    }
    Ok(())
}

fn random_pick(
    expected: &Reply,
    actual: &Reply,
    count: Option<i64>,
    with_values: bool,
    hash: &[(Vec<u8>, Vec<u8>)],
) -> Result<(), Mismatch> {
    let values: BTreeMap<&[u8], &[u8]> = hash
        .iter()
        .map(|(f, v)| (f.as_slice(), v.as_slice()))
        .collect();
    let Some(count) = count else {
        // One field, or null for an empty hash: the expected reply tells which.
        return match (expected, actual) {
            (Reply::Bulk(_), Reply::Bulk(f)) if values.contains_key(f.as_slice()) => Ok(()),
            (Reply::Bulk(_), _) => Err(Mismatch::new("not a field of the hash")),
            _ => exact(expected, actual),
        };
    };
    let picks = picks(actual, with_values)
        .ok_or_else(|| Mismatch::new("reply does not have the HRANDFIELD shape"))?;
    let expected_picks = picks_len(expected, with_values);
    if Some(picks.len()) != expected_picks {
        return Err(Mismatch::new(format!(
            "expected {} picks, got {}",
            expected_picks.map_or("?".into(), |n| n.to_string()),
            picks.len()
        )));
    }
    for (field, value) in &picks {
        match values.get(field.as_slice()) {
            None => return Err(Mismatch::new(format!("{} is not a field", quote(field)))),
            Some(v) if with_values && value.as_deref() != Some(*v) => {
                return Err(Mismatch::new(format!(
                    "wrong value paired with {}",
                    quote(field)
                )));
            }
            Some(_) => {}
        }
    }
    if count > 0 {
        let mut seen = std::collections::BTreeSet::new();
        if !picks.iter().all(|(f, _)| seen.insert(f.clone())) {
            return Err(Mismatch::new("a positive count must give distinct fields"));
        }
    }
    // The order of a random pick is free, but the shape (RESP3 pairs vs flat) is not.
    let same_shape = match (expected, actual) {
        (Reply::Array(e), Reply::Array(a)) => {
            e.first().map(std::mem::discriminant) == a.first().map(std::mem::discriminant)
        }
        _ => std::mem::discriminant(expected) == std::mem::discriminant(actual),
    };
    if !same_shape {
        return Err(Mismatch::new("different reply shape"));
    }
    Ok(())
}

/// The (field, value) picks of an HRANDFIELD count reply, flat (RESP2) or as pairs (RESP3).
/// A picked field, with its value when WITHVALUES was given.
type Pick = (Vec<u8>, Option<Vec<u8>>);

fn picks(reply: &Reply, with_values: bool) -> Option<Vec<Pick>> {
    let Reply::Array(items) = reply else {
        return None;
    };
    let bulk = |r: &Reply| match r {
        Reply::Bulk(b) => Some(b.clone()),
        _ => None,
    };
    if !with_values {
        return items.iter().map(|i| bulk(i).map(|f| (f, None))).collect();
    }
    if items.iter().all(|i| matches!(i, Reply::Array(_))) {
        return items
            .iter()
            .map(|i| match i {
                Reply::Array(p) if p.len() == 2 => Some((bulk(&p[0])?, Some(bulk(&p[1])?))),
                _ => None,
            })
            .collect();
    }
    if items.len() % 2 != 0 {
        return None;
    }
    items
        .chunks(2)
        .map(|c| Some((bulk(&c[0])?, Some(bulk(&c[1])?))))
        .collect()
}

fn picks_len(reply: &Reply, with_values: bool) -> Option<usize> {
    picks(reply, with_values).map(|p| p.len())
}

fn ttl_within(expected: &Reply, actual: &Reply, tolerance: i64) -> Result<(), Mismatch> {
    // A key's reading (TTL, PTTL...) is one integer; a hash's is one per field.
    if let (Reply::Integer(_), Reply::Integer(_)) = (expected, actual) {
        let one = |r: &Reply| Reply::Array(vec![r.clone()]);
        return ttl_within(&one(expected), &one(actual), tolerance)
            .map_err(|m| Mismatch::new(m.reason.replace("field 1: ", "")));
    }
    let (Reply::Array(e), Reply::Array(a)) = (expected, actual) else {
        return exact(expected, actual);
    };
    if e.len() != a.len() {
        return Err(Mismatch::new(format!(
            "expected {} readings, got {}",
            e.len(),
            a.len()
        )));
    }
    for (i, (x, y)) in e.iter().zip(a).enumerate() {
        match (x, y) {
            (Reply::Integer(x), Reply::Integer(y)) if *x < 0 || *y < 0 => {
                if x != y {
                    return Err(Mismatch::new(format!(
                        "field {}: code {y}, expected {x}",
                        i + 1
                    )));
                }
            }
            (Reply::Integer(x), Reply::Integer(y)) => {
                if (x - y).abs() > tolerance {
                    return Err(Mismatch::new(format!(
                        "field {}: {y} is more than {tolerance} from {x}",
                        i + 1
                    )));
                }
            }
            _ => exact(x, y)?,
        }
    }
    Ok(())
}

fn ttl_seconds(
    expected: &Reply,
    actual: &Reply,
    millis: &[i64],
    tolerance: i64,
) -> Result<(), Mismatch> {
    ttl_within(expected, actual, 1)?;
    let (Reply::Array(e), Reply::Array(a)) = (expected, actual) else {
        return Ok(());
    };
    // Redis: (ms + 999) / 1000 of a positive amount.
    let seconds = |ms: i64| (ms + 999).div_euclid(1000);
    for (i, ((x, y), ms)) in e.iter().zip(a).zip(millis).enumerate() {
        if let (Reply::Integer(x), Reply::Integer(y)) = (x, y) {
            if *x < 0 || *ms < 0 {
                continue;
            }
            let (lo, hi) = (seconds(ms - tolerance), seconds(ms + tolerance));
            if !(lo..=hi).contains(y) {
                return Err(Mismatch::new(format!(
                    "field {}: {y} s is not {ms} ms +/- {tolerance} rounded up ({lo}..={hi})",
                    i + 1
                )));
            }
        }
    }
    Ok(())
}

fn quote(bytes: &[u8]) -> String {
    reference_engine::reply::quote(bytes)
}

#[cfg(test)]
mod tests;
