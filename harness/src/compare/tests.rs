use super::*;

fn b(s: &str) -> Reply {
    Reply::bulk(s)
}

fn check(e: &Reply, a: &Reply, p: &Policy) -> bool {
    compare(e, a, p, ErrorMatch::Exact).is_ok()
}

#[test]
fn unordered_keeps_pairs_together() {
    let p = Policy::Unordered { pairs: true };
    let e = Reply::Array(vec![b("a"), b("1"), b("b"), b("2")]);
    assert!(check(
        &e,
        &Reply::Array(vec![b("b"), b("2"), b("a"), b("1")]),
        &p
    ));
    // Values swapped between fields: same elements, wrong pairs.
    assert!(!check(
        &e,
        &Reply::Array(vec![b("a"), b("2"), b("b"), b("1")]),
        &p
    ));
    let m = Reply::Map(vec![(b("a"), b("1")), (b("b"), b("2"))]);
    let m2 = Reply::Map(vec![(b("b"), b("2")), (b("a"), b("1"))]);
    assert!(check(&m, &m2, &p));
    // A map never equals an array, and an empty array is not null.
    assert!(!check(&m, &e, &p));
    assert!(!check(&Reply::Array(vec![]), &Reply::Null, &p));
}

#[test]
fn unordered_counts_duplicates() {
    let p = Policy::Unordered { pairs: false };
    let e = Reply::Array(vec![b("x"), b("x"), b("y")]);
    assert!(!check(&e, &Reply::Array(vec![b("x"), b("y"), b("y")]), &p));
    assert!(check(&e, &Reply::Array(vec![b("y"), b("x"), b("x")]), &p));
}

#[test]
fn errors_by_strictness() {
    let e = Reply::Error("ERR syntax error".into());
    let a = Reply::Error("ERR other".into());
    assert!(compare(&e, &a, &Policy::Exact, ErrorMatch::Exact).is_err());
    assert!(compare(&e, &a, &Policy::Exact, ErrorMatch::Code).is_ok());
    let w = Reply::Error("WRONGTYPE x".into());
    assert!(compare(&e, &w, &Policy::Exact, ErrorMatch::Code).is_err());
    assert!(compare(&e, &w, &Policy::Exact, ErrorMatch::Any).is_ok());
    assert!(compare(&e, &Reply::Integer(1), &Policy::Exact, ErrorMatch::Any).is_err());
}

#[test]
fn random_pick_checks_membership_pairs_and_distinctness() {
    let hash = vec![
        (b"a".to_vec(), b"1".to_vec()),
        (b"b".to_vec(), b"2".to_vec()),
    ];
    let pol = |count, with_values| Policy::RandomPick {
        count,
        with_values,
        hash: hash.clone(),
    };
    // No count: any field.
    assert!(check(&b("a"), &b("b"), &pol(None, false)));
    assert!(!check(&b("a"), &b("z"), &pol(None, false)));
    // Negative count: repeats allowed, length exact.
    let e = Reply::Array(vec![b("a"), b("a"), b("b")]);
    assert!(check(
        &e,
        &Reply::Array(vec![b("b"), b("b"), b("b")]),
        &pol(Some(-3), false)
    ));
    assert!(!check(
        &e,
        &Reply::Array(vec![b("b"), b("b")]),
        &pol(Some(-3), false)
    ));
    // Positive count: distinct.
    let e = Reply::Array(vec![b("a")]);
    assert!(check(&e, &Reply::Array(vec![b("b")]), &pol(Some(1), false)));
    let e2 = Reply::Array(vec![b("a"), b("b")]);
    assert!(!check(
        &e2,
        &Reply::Array(vec![b("a"), b("a")]),
        &pol(Some(2), false)
    ));
    // WITHVALUES, RESP3 pairs: the value must belong to the field.
    let pair = |f: &str, v: &str| Reply::Array(vec![b(f), b(v)]);
    let e = Reply::Array(vec![pair("a", "1")]);
    assert!(check(
        &e,
        &Reply::Array(vec![pair("b", "2")]),
        &pol(Some(-1), true)
    ));
    assert!(!check(
        &e,
        &Reply::Array(vec![pair("b", "1")]),
        &pol(Some(-1), true)
    ));
    // RESP2 flat vs RESP3 pairs is a shape difference.
    assert!(!check(
        &e,
        &Reply::Array(vec![b("b"), b("2")]),
        &pol(Some(-1), true)
    ));
}

#[test]
fn scan_walks_compare_as_sets_of_pairs() {
    let p = Policy::Scan { novalues: false };
    let walk = |items: Vec<Reply>| Reply::Array(vec![b("0"), Reply::Array(items)]);
    let e = walk(vec![b("a"), b("1"), b("b"), b("2")]);
    assert!(check(
        &e,
        &walk(vec![b("b"), b("2"), b("a"), b("1"), b("a"), b("1")]),
        &p
    ));
    assert!(!check(&e, &walk(vec![b("a"), b("2"), b("b"), b("1")]), &p));
    assert!(!check(&e, &walk(vec![b("a"), b("1")]), &p));
    let other_cursor = Reply::Array(vec![b("7"), Reply::Array(vec![])]);
    assert!(!check(&walk(vec![]), &other_cursor, &p));
}

#[test]
fn ttl_tolerance_is_for_readings_only() {
    // Seconds judged from milliseconds: 100,400 ms +/- 250 is 101 s whichever way.
    let p = Policy::TtlSeconds {
        millis: vec![100_400, -2, 1_999_900],
        tolerance: 250,
    };
    let e = Reply::Array(vec![
        Reply::Integer(101),
        Reply::Integer(-2),
        Reply::Integer(2_000),
    ]);
    assert!(check(&e, &e, &p));
    let rounded_down = Reply::Array(vec![
        Reply::Integer(100),
        Reply::Integer(-2),
        Reply::Integer(2_000),
    ]);
    assert!(!check(&e, &rounded_down, &p));
    // 1,999,900 ms is within 250 of a whole second: 2,000 or 2,001.
    let near = Reply::Array(vec![
        Reply::Integer(101),
        Reply::Integer(-2),
        Reply::Integer(2_001),
    ]);
    assert!(check(&e, &near, &p));
    let p = Policy::TtlWithin { tolerance: 5 };
    let e = Reply::Array(vec![
        Reply::Integer(100),
        Reply::Integer(-2),
        Reply::Integer(-1),
    ]);
    let ok = Reply::Array(vec![
        Reply::Integer(97),
        Reply::Integer(-2),
        Reply::Integer(-1),
    ]);
    assert!(check(&e, &ok, &p));
    let far = Reply::Array(vec![
        Reply::Integer(90),
        Reply::Integer(-2),
        Reply::Integer(-1),
    ]);
    assert!(!check(&e, &far, &p));
    let code = Reply::Array(vec![
        Reply::Integer(100),
        Reply::Integer(-1),
        Reply::Integer(-1),
    ]);
    assert!(!check(&e, &code, &p));
}
