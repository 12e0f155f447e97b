//! DUMP's reply: a value serialized in the server's own format.
//!
//! Comparing the bytes would be wrong: a server may hold the same hash in another encoding
//! or field order (a hash table's order is its own), and a fork may write another RDB
//! version (Valkey does). So a payload is **restored and compared**: both payloads are
//! loaded with the engine's RDB reader (what RESTORE on the engine does), and must hold
//! the same value: the same fields and values, and the same field TTLs within the
//! tolerance of TTL readings. The encoding is not compared.
//!
//! A payload whose footer names an RDB version newer than Redis 8.2.3's is a fork's own
//! format, which the reference cannot read: it is **opaque**, and only its kind (a bulk
//! string, not null or an error) is checked. A payload of a version the reference reads
//! must load: a broken checksum or object is a divergence.

use reference_engine::hash::HashValue;
use reference_engine::keyspace::Value;
use reference_engine::rdb;
use reference_engine::Reply;

use super::Mismatch;

pub(super) fn payload(expected: &Reply, actual: &Reply, tolerance: i64) -> Result<(), Mismatch> {
    let (Reply::Bulk(e), Reply::Bulk(a)) = (expected, actual) else {
        return super::exact(expected, actual);
    };
    if rdb::payload_version(a).is_some_and(|v| v > rdb::RDB_VERSION) {
        return Ok(());
    }
    let actual =
        rdb::load(a).map_err(|e| Mismatch::new(format!("the payload does not restore ({e:?})")))?;
    let Ok(expected) = rdb::load(e) else {
        // An expectation that is no payload (a hand-written case): bytes, then.
        return super::exact(&Reply::Bulk(e.clone()), &Reply::Bulk(a.clone()));
    };
    same_value(&expected, &actual, tolerance)
}

fn same_value(expected: &Value, actual: &Value, tolerance: i64) -> Result<(), Mismatch> {
    match (expected, actual) {
        (Value::String(e), Value::String(a)) if e == a => Ok(()),
        (Value::Hash(e), Value::Hash(a)) => same_hash(e, a, tolerance),
        (e, a) => Err(Mismatch::new(format!(
            "the payload holds a different {} (expected a {})",
            a.type_name(),
            e.type_name()
        ))),
    }
}

fn same_hash(expected: &HashValue, actual: &HashValue, tolerance: i64) -> Result<(), Mismatch> {
    if expected.len() != actual.len() {
        return Err(Mismatch::new(format!(
            "the payload holds {} fields, expected {}",
            actual.len(),
            expected.len()
        )));
    }
    for e in expected.iter() {
        let shown = String::from_utf8_lossy(e.field);
        let Some(a) = actual.get(e.field) else {
            return Err(Mismatch::new(format!("the payload lacks field {shown:?}")));
        };
        if a.value != e.value {
            return Err(Mismatch::new(format!(
                "the payload's field {shown:?} has another value"
            )));
        }
        let ttl_ok = match (e.expire_at_ms, a.expire_at_ms) {
            (None, None) => true,
            (Some(x), Some(y)) => x.abs_diff(y) <= tolerance.unsigned_abs(),
            _ => false,
        };
        if !ttl_ok {
            return Err(Mismatch::new(format!(
                "the payload's field {shown:?} has deadline {:?}, expected {:?}",
                a.expire_at_ms, e.expire_at_ms
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reference_engine::hash::TtlOnWrite;

    fn dumped(pairs: &[(&str, &str, Option<i64>)]) -> Reply {
        let mut h = HashValue::new();
        for (f, v, at) in pairs {
            h.set(f.as_bytes(), v.as_bytes(), TtlOnWrite::Clear);
            if at.is_some() {
                h.set_expire(f.as_bytes(), *at);
            }
        }
        Reply::Bulk(rdb::dump(&Value::Hash(h)))
    }

    #[test]
    fn same_value_in_another_order_passes_a_different_one_fails() {
        let e = dumped(&[("a", "1", None), ("b", "2", Some(1_900_000_000_000))]);
        let reordered = dumped(&[("b", "2", Some(1_900_000_000_100)), ("a", "1", None)]);
        assert_ne!(e, reordered);
        assert!(payload(&e, &reordered, 250).is_ok());
        assert!(
            payload(&e, &reordered, 50).is_err(),
            "deadline beyond the tolerance"
        );
        let other = dumped(&[("a", "1", None), ("b", "3", Some(1_900_000_000_000))]);
        assert!(payload(&e, &other, 250).is_err());
        let no_ttl = dumped(&[("a", "1", None), ("b", "2", None)]);
        assert!(payload(&e, &no_ttl, 250).is_err());
    }

    #[test]
    fn a_damaged_payload_fails_a_newer_format_is_opaque() {
        let e = dumped(&[("a", "1", None)]);
        let Reply::Bulk(mut bytes) = e.clone() else {
            unreachable!()
        };
        let n = bytes.len();
        bytes[n - 1] ^= 1;
        assert!(payload(&e, &Reply::Bulk(bytes.clone()), 250).is_err());
        bytes[n - 10] = 80;
        assert!(payload(&e, &Reply::Bulk(bytes), 250).is_ok());
        assert!(payload(&e, &Reply::Null, 250).is_err());
    }
}
