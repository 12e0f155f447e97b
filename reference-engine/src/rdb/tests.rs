//! Payloads checked against bytes Redis 8.2.3 produced (DUMP after the commands named).

use super::*;
use crate::hash::{Encoding, HashValue, TtlOnWrite};

fn hash(pairs: &[(&str, &str)]) -> HashValue {
    let mut h = HashValue::new();
    for (f, v) in pairs {
        h.set(f.as_bytes(), v.as_bytes(), TtlOnWrite::Clear);
    }
    h
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn listpack_hash_is_byte_identical() {
    // HSET lp a 1 b 2 c 3 d 4 e 5
    let h = hash(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")]);
    let redis = hex(
        "1020 2000 0000 0a00 8161 0201 0181 6202 0201 8163 0203 0181 6402 0401
        8165 0205 01ff 0c00 b031 88b4 c4cd 5b4a",
    );
    assert_eq!(dump(&Value::Hash(h.clone())), redis);
    assert_eq!(load(&redis), Ok(Value::Hash(h)));
}

#[test]
fn compressed_listpack_is_byte_identical() {
    // HSET lpc aaaaaaaaaa aaaaaaaaaaaaaaa bbbbbbbbbb aaaaaaaaaaaaaaa
    let h = hash(&[
        ("aaaaaaaaaa", "aaaaaaaaaaaaaaa"),
        ("bbbbbbbbbb", "aaaaaaaaaaaaaaa"),
    ]);
    let redis = hex(
        "10c3 2040 4107 4100 0000 0400 8a61 e000 0001 0b8f e000 0a80 0002 108a
        62e0 0000 e009 1c00 ff0c 00ec 921b 9d65 8fd0 87",
    );
    assert_eq!(dump(&Value::Hash(h.clone())), redis);
    assert_eq!(load(&redis), Ok(Value::Hash(h)));
}

#[test]
fn listpackex_is_byte_identical() {
    // HSET lpx a 1 b 2 c 3; HPEXPIREAT lpx 1900000000000 FIELDS 1 b
    let mut h = hash(&[("a", "1"), ("b", "2"), ("c", "3")]);
    h.set_expire(b"b", Some(1_900_000_000_000));
    assert_eq!(h.encoding(), Encoding::ListpackEx);
    let redis = hex(
        "1900 38d3 60ba 0100 0024 2400 0000 0900 8162 0202 01f4 0038 d360 ba01
        0000 0981 6102 0101 0001 8163 0203 0100 01ff 0c00 2dc7 23d2 60cd 24d2",
    );
    assert_eq!(dump(&Value::Hash(h.clone())), redis);
    assert_eq!(load(&redis), Ok(Value::Hash(h)));
}

#[test]
fn hashtable_with_and_without_field_ttls() {
    // HSET ht f1 v1 f2 <70 x>, whose dict happened to list f2 first; then
    // HPEXPIREAT ht 1900000000000 FIELDS 1 f1.
    let long = "x".repeat(70);
    let plain = hex(
        "0402 0266 32c3 0940 4601 7878 e039 0001 7878 0266 3102 7631 0c00 a2b5
        cac8 867b 400f",
    );
    let with_ttl = hex(
        "1800 38d3 60ba 0100 0002 0002 6632 c309 4046 0178 78e0 3900 0178
        7801 0266 3102 7631 0c00 0c83 1a29 23a3 3ea9",
    );
    let Ok(Value::Hash(h)) = load(&plain) else {
        panic!("loads")
    };
    assert_eq!(h.encoding(), Encoding::Hashtable);
    assert_eq!(h.get(b"f2").unwrap().value, long.as_bytes());
    assert_eq!(
        dump(&Value::Hash(h.clone())),
        plain,
        "same order, same bytes"
    );
    let mut h = h;
    h.set_expire(b"f1", Some(1_900_000_000_000));
    assert_eq!(dump(&Value::Hash(h.clone())), with_ttl);
    assert_eq!(load(&with_ttl), Ok(Value::Hash(h)));
}

#[test]
fn strings_round_trip() {
    let redis = hex("0005 6865 6c6c 6f0c 00a8 04eb b69f 1ebe 43");
    assert_eq!(dump(&Value::String(b"hello".to_vec())), redis);
    assert_eq!(load(&redis), Ok(Value::String(b"hello".to_vec())));
    let int = hex("00c1 3930 0c00 56e2 dee7 69d6 96f0");
    assert_eq!(load(&int), Ok(Value::String(b"12345".to_vec())));
}

#[test]
fn damaged_payloads_are_refused() {
    let good = dump(&Value::Hash(hash(&[("a", "1")])));
    assert_eq!(load(&good[..9]), Err(PayloadError::VersionOrChecksum));
    let mut flipped = good.clone();
    flipped[3] ^= 0x40;
    assert_eq!(load(&flipped), Err(PayloadError::VersionOrChecksum));
    // A newer version, with a checksum that matches.
    let mut newer = good[..good.len() - 10].to_vec();
    newer.extend_from_slice(&13u16.to_le_bytes());
    let crc = crc64::crc64(&newer);
    newer.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(load(&newer), Err(PayloadError::VersionOrChecksum));
    // A sound footer around a broken object, an empty hash, and a list.
    let framed = |body: &[u8]| {
        let mut p = body.to_vec();
        p.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let crc = crc64::crc64(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        p
    };
    assert_eq!(load(&framed(b"\x10\x05abc")), Err(PayloadError::BadFormat));
    assert_eq!(load(&framed(b"\x04\x00")), Err(PayloadError::BadFormat));
    assert_eq!(load(&framed(b"\x08")), Err(PayloadError::BadFormat));
    assert_eq!(
        load(&framed(b"\x04\x02\x01a\x011\x01a\x012")),
        Err(PayloadError::BadFormat)
    );
    assert_eq!(
        load(&framed(b"\x12\x00")),
        Err(PayloadError::NotModelled("list"))
    );
}

#[test]
fn large_hashes_round_trip_in_every_encoding() {
    let mut big = HashValue::new();
    for i in 0..600 {
        big.set(
            format!("field:{i}").as_bytes(),
            format!("{i}").as_bytes(),
            TtlOnWrite::Clear,
        );
    }
    assert_eq!(big.encoding(), Encoding::Hashtable);
    assert_eq!(
        load(&dump(&Value::Hash(big.clone()))),
        Ok(Value::Hash(big.clone()))
    );
    big.set_expire(b"field:7", Some(1_900_000_000_000));
    big.set_expire(b"field:9", Some(1_800_000_000_000));
    assert_eq!(load(&dump(&Value::Hash(big.clone()))), Ok(Value::Hash(big)));
}
