use super::*;

fn fields(h: &HashValue) -> Vec<String> {
    super::storage_tests::field_names(h.iter())
}

fn hash_of(names: &[&str]) -> HashValue {
    let mut h = HashValue::new();
    for n in names {
        h.set(n.as_bytes(), b"v", TtlOnWrite::Clear);
    }
    h
}

#[test]
fn listpack_keeps_insertion_order() {
    let mut h = hash_of(&["a", "b", "c"]);
    assert!(!h.set(b"a", b"new", TtlOnWrite::Clear));
    assert_eq!(fields(&h), ["a", "b", "c"]);
    h.remove(b"a");
    h.set(b"a", b"v", TtlOnWrite::Clear);
    assert_eq!(fields(&h), ["b", "c", "a"]);
}

#[test]
fn listpackex_orders_ttl_fields_first_by_deadline() {
    // The example from hash-semantics.md §1.5.
    let mut h = hash_of(&["a", "b", "c", "d"]);
    h.set_expire(b"c", Some(100));
    assert_eq!(fields(&h), ["c", "a", "b", "d"]);
    h.set_expire(b"d", Some(50));
    assert_eq!(fields(&h), ["d", "c", "a", "b"]);
    h.set_expire(b"d", None);
    assert_eq!(fields(&h), ["c", "a", "b", "d"]);
    h.set(b"e", b"v", TtlOnWrite::Clear);
    h.set(b"c", b"33", TtlOnWrite::Clear);
    assert_eq!(fields(&h), ["a", "b", "d", "e", "c"]);
    assert_eq!(h.encoding(), Encoding::ListpackEx);
}

#[test]
fn listpackex_equal_deadlines_put_the_latest_first() {
    // Replayed from Redis 8.2.3 (HPEXPIREAT with T = 9e12, then HKEYS after each step).
    let t = 9_000_000_000_000;
    let mut h = hash_of(&["a", "b", "c", "d", "e"]);
    h.set_expire(b"c", Some(t));
    h.set_expire(b"a", Some(t));
    assert_eq!(fields(&h), ["a", "c", "b", "d", "e"]);
    h.set_expire(b"e", Some(t));
    assert_eq!(fields(&h), ["e", "a", "c", "b", "d"]);
    h.set_expire(b"d", Some(t - 1));
    assert_eq!(fields(&h), ["d", "e", "a", "c", "b"]);
    h.set_expire(b"d", Some(t));
    assert_eq!(fields(&h), ["d", "e", "a", "c", "b"]);
    // Same deadline as before: still moves to the front of its equals.
    h.set_expire(b"c", Some(t));
    assert_eq!(fields(&h), ["c", "d", "e", "a", "b"]);
    for f in ["b", "d", "a"] {
        h.set_expire(f.as_bytes(), Some(t));
    }
    assert_eq!(fields(&h), ["a", "d", "b", "c", "e"]);
}

#[test]
fn listpackex_writes_move_only_fields_that_lose_a_ttl() {
    // Replayed from Redis 8.2.3: a,b at T, c at T-1; HSET d, HINCRBY a, HSETEX KEEPTTL a
    // keep positions; a new field goes last; losing a TTL moves a field last.
    let t = 9_000_000_000_000;
    let mut h = hash_of(&["a", "b", "c", "d", "e"]);
    h.set_expire(b"a", Some(t));
    h.set_expire(b"b", Some(t));
    h.set_expire(b"c", Some(t - 1));
    assert_eq!(fields(&h), ["c", "b", "a", "d", "e"]);
    h.set(b"d", b"44", TtlOnWrite::Clear);
    h.set(b"a", b"11", TtlOnWrite::Keep);
    assert_eq!(fields(&h), ["c", "b", "a", "d", "e"]);
    h.set(b"f", b"6", TtlOnWrite::Clear);
    assert_eq!(fields(&h), ["c", "b", "a", "d", "e", "f"]);
    h.set_expire(b"a", None);
    assert_eq!(fields(&h), ["c", "b", "d", "e", "f", "a"]);
    h.set(b"c", b"33", TtlOnWrite::Clear);
    assert_eq!(fields(&h), ["b", "d", "e", "f", "a", "c"]);
    assert_eq!(h.get(b"c").unwrap().expire_at_ms, None);
    assert_eq!(h.get(b"b").unwrap().expire_at_ms, Some(t));
}

#[test]
fn hashtable_conversion_keeps_ttls() {
    let mut h = hash_of(&["a", "b"]);
    h.set_expire(b"a", Some(100));
    h.set(b"big", &[b'v'; 65], TtlOnWrite::Clear);
    assert_eq!(h.encoding(), Encoding::Hashtable);
    assert_eq!(h.get(b"a").unwrap().expire_at_ms, Some(100));
    // A hash table never goes back, and setting a TTL does not make it listpackex.
    h.set_expire(b"b", Some(50));
    assert_eq!(h.encoding(), Encoding::Hashtable);
    assert_eq!(h.get(b"b").unwrap().expire_at_ms, Some(50));

    // The same through the entry limit (513 fields on 8.2.3: HTTL a still 100).
    let mut h = hash_of(&["a"]);
    h.set_expire(b"a", Some(100));
    for i in 1..=512 {
        h.set(format!("f{i}").as_bytes(), b"v", TtlOnWrite::Clear);
    }
    assert_eq!(h.encoding(), Encoding::Hashtable);
    assert_eq!(h.get(b"a").unwrap().expire_at_ms, Some(100));
    assert_eq!(h.len(), 513);
}

#[test]
fn converts_on_size_limits() {
    let mut h = HashValue::new();
    h.set(&[b'x'; 64], b"", TtlOnWrite::Clear);
    assert_eq!(h.encoding(), Encoding::Listpack);
    h.set(b"y", &[b'v'; 65], TtlOnWrite::Clear);
    assert_eq!(h.encoding(), Encoding::Hashtable);

    let mut h = HashValue::new();
    for i in 0..512 {
        h.set(format!("f{i}").as_bytes(), b"v", TtlOnWrite::Clear);
    }
    assert_eq!(h.encoding(), Encoding::Listpack);
    h.set(b"one-more", b"v", TtlOnWrite::Clear);
    assert_eq!(h.encoding(), Encoding::Hashtable);
}

#[test]
fn indexed_reads_agree_with_get_index() {
    let mut h = hash_of(&["a", "b", "c"]);
    h.set_expire(b"c", Some(5));
    for encoding in [Encoding::ListpackEx, Encoding::Hashtable] {
        assert_eq!(h.encoding(), encoding);
        let indexed = h.indexed();
        for i in 0..4 {
            assert_eq!(indexed.get(i), h.get_index(i), "{encoding:?} {i}");
        }
        h.prepare_write(MAX_LISTPACK_ENTRIES + 1, 0, HashLimits::default());
    }
}

#[test]
fn the_time_is_asked_for_only_when_the_field_has_a_ttl() {
    let mut h = hash_of(&["a", "b"]);
    h.set_expire(b"b", Some(1000));
    let mut asked = 0;
    let mut at = |now| {
        asked += 1;
        now
    };
    assert!(matches!(
        h.get_live_or_reclaim_with(b"a", || at(5000)),
        Lookup::Live(_)
    ));
    assert!(matches!(
        h.get_live_or_reclaim_with(b"x", || at(5000)),
        Lookup::Missing
    ));
    assert!(matches!(
        h.get_live_or_reclaim_with(b"b", || at(1000)),
        Lookup::Live(_)
    ));
    assert!(matches!(
        h.get_live_or_reclaim_with(b"b", || at(1001)),
        Lookup::Reclaimed
    ));
    assert_eq!(asked, 2);
    assert_eq!(h.len(), 1);
}

#[test]
fn expiry_is_strictly_before_now() {
    let mut h = hash_of(&["a"]);
    h.set_expire(b"a", Some(1000));
    assert!(h.get_live(b"a", 1000).is_some());
    assert!(h.get_live(b"a", 1001).is_none());
    assert!(!h.reclaim_if_expired(b"a", 1000));
    assert!(h.reclaim_if_expired(b"a", 1001));
    assert!(h.is_empty());
}

#[test]
fn scan_sees_every_entry_present_throughout() {
    let mut h = HashValue::new();
    h.prepare_write(600, 1, HashLimits::default());
    for i in 0..600 {
        h.set(format!("f{i}").as_bytes(), b"v", TtlOnWrite::Clear);
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0;
    let mut step = 0;
    loop {
        let (next, range) = h.scan_step(cursor, 50);
        for i in range {
            seen.insert(h.get_index(i).unwrap().field.to_vec());
        }
        // Delete a field we have seen and one we have not, mid-scan.
        if step == 2 {
            h.remove(b"f599");
            h.remove(b"f0");
        }
        step += 1;
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    for i in 1..599 {
        assert!(seen.contains(format!("f{i}").as_bytes()), "f{i} missed");
    }
}
