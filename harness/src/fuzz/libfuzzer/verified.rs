//! The replies whose encoding checks have passed in this process, so that the `engine`
//! target checks each distinct reply once rather than after every step.
//!
//! WHY: the encoding checks (three encodings, one or two decodes; see
//! `engine::check_encoding`) are a function of the reply alone, and most replies repeat
//! across steps and inputs (`:1`, `+OK`, a null, the same error text, a pool value). Under
//! cargo fuzz's instrumentation they were the largest part of an input's time. A reply is
//! remembered only after it passed, and is recognised only when it is identical (doubles
//! by their bits), so skipping the checks for it cannot hide a failure.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use reference_engine::hash::FixedState;
use reference_engine::Reply;

/// How many replies are remembered before the set starts over (a bound on memory: a long
/// run meets many distinct listings).
const CAPACITY: usize = 1 << 16;

/// The remembered replies by their hash; a hit is confirmed by exact comparison.
#[derive(Default)]
struct Verified {
    by_hash: HashMap<u64, Vec<Reply>, FixedState>,
    len: usize,
}

thread_local! {
    static VERIFIED: RefCell<Verified> = RefCell::default();
}

fn hash_of(reply: &Reply) -> u64 {
    let mut state = FixedState.build_hasher();
    hash_reply(reply, &mut state);
    state.finish()
}

/// Whether `reply` passed the encoding checks before.
pub(super) fn seen(reply: &Reply) -> bool {
    let hash = hash_of(reply);
    VERIFIED.with(|v| {
        v.borrow()
            .by_hash
            .get(&hash)
            .is_some_and(|same_hash| same_hash.iter().any(|r| identical(r, reply)))
    })
}

/// Remembers that `reply` passed the encoding checks.
pub(super) fn remember(reply: &Reply) {
    let hash = hash_of(reply);
    VERIFIED.with(|v| {
        let mut v = v.borrow_mut();
        if v.len >= CAPACITY {
            *v = Verified::default();
        }
        v.len += 1;
        v.by_hash.entry(hash).or_default().push(reply.clone());
    });
}

/// Hashes a reply consistently with [`identical`] (doubles by their bits).
fn hash_reply<H: Hasher>(reply: &Reply, state: &mut H) {
    std::mem::discriminant(reply).hash(state);
    match reply {
        Reply::Simple(s) | Reply::Error(s) | Reply::BigNumber(s) => s.hash(state),
        Reply::Integer(n) => n.hash(state),
        Reply::Bulk(b) => b.hash(state),
        Reply::Null | Reply::NullArray => {}
        Reply::Array(items) | Reply::Set(items) => {
            items.len().hash(state);
            items.iter().for_each(|r| hash_reply(r, state));
        }
        Reply::Map(pairs) => {
            pairs.len().hash(state);
            for (k, v) in pairs {
                hash_reply(k, state);
                hash_reply(v, state);
            }
        }
        Reply::Double(d) => d.to_bits().hash(state),
        Reply::Boolean(b) => b.hash(state),
        Reply::Verbatim { format, text } => {
            format.hash(state);
            text.hash(state);
        }
    }
}

/// Equality, with doubles compared by their bits: reflexive (a NaN is itself), and two
/// identical replies encode the same way.
fn identical(a: &Reply, b: &Reply) -> bool {
    let all = |x: &[Reply], y: &[Reply]| {
        x.len() == y.len() && x.iter().zip(y).all(|(p, q)| identical(p, q))
    };
    match (a, b) {
        (Reply::Double(x), Reply::Double(y)) => x.to_bits() == y.to_bits(),
        (Reply::Array(x), Reply::Array(y)) | (Reply::Set(x), Reply::Set(y)) => all(x, y),
        (Reply::Map(x), Reply::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| identical(k1, k2) && identical(v1, v2))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_identical_reply_is_recognised() {
        let reply = Reply::Array(vec![Reply::Double(f64::NAN), Reply::bulk("v")]);
        assert!(!seen(&reply));
        remember(&reply);
        assert!(seen(&reply.clone()));
        // Another NaN payload, another element kind, another shape: all new.
        let other_nan = f64::from_bits(f64::NAN.to_bits() ^ 1);
        assert!(!seen(&Reply::Array(vec![
            Reply::Double(other_nan),
            Reply::bulk("v")
        ])));
        assert!(!seen(&Reply::Set(vec![
            Reply::Double(f64::NAN),
            Reply::bulk("v")
        ])));
        assert!(!seen(&Reply::Array(vec![
            Reply::Double(f64::NAN),
            Reply::Simple("v".into())
        ])));
        assert!(!seen(&Reply::Error("ERR a\rb".into())));
        remember(&Reply::Error("ERR a b".into()));
        assert!(!seen(&Reply::Error("ERR a\rb".into())));
        assert!(!seen(&Reply::NullArray));
        remember(&Reply::Null);
        assert!(!seen(&Reply::NullArray));
    }
}
