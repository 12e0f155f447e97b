//! The driver's bookkeeping, policies, signatures and holding rules.

use super::hold::{clear_at, Rules};
use super::judge::agrees;
use super::*;
use crate::fuzz::model::Expected;

fn divergence(signature: &str) -> Divergence {
    let d = super::rank::tests::found(signature, Reply::Null, Reply::Integer(1));
    assert_eq!(d.class, Class::WrongValue);
    d
}

#[test]
fn lanes_reports_add_up_and_keep_one_divergence_per_kind() {
    let mut a = DiffReport {
        compared: 10,
        divergence_count: 3,
        waited_ms: 5,
        divergences: vec![divergence("x")],
        kinds: [("x".to_string(), 3)].into(),
        ..DiffReport::default()
    };
    a.per_command.entry("HGET".into()).or_default().calls = 4;
    let mut b = DiffReport {
        compared: 7,
        divergence_count: 2,
        waited_ms: 9,
        divergences: vec![divergence("x"), divergence("y"), divergence("z")],
        kinds: [("x".to_string(), 1), ("y".to_string(), 1)].into(),
        ..DiffReport::default()
    };
    b.per_command.entry("HGET".into()).or_default().calls = 6;
    a.absorb(b, 2);
    assert_eq!((a.compared, a.divergence_count, a.waited_ms), (17, 5, 9));
    let kept: Vec<&str> = a.divergences.iter().map(|d| d.signature.as_str()).collect();
    assert_eq!(kept, ["x", "y"]);
    assert_eq!(a.kinds["x"], 4);
    assert_eq!(a.per_command["HGET"].calls, 10);
}

#[test]
fn listing_order_is_compared_only_when_strict() {
    let listpack = Reply::bulk("listpack");
    let argv = |w: &[&[u8]]| w.iter().map(|a| a.to_vec()).collect::<Vec<_>>();
    let strict = DiffConfig::default();
    let legal = DiffConfig {
        strict_order: false,
        ..DiffConfig::default()
    };
    let hgetall = argv(&[b"HGETALL", b"k"]);
    assert_eq!(policy(&hgetall, Some(&listpack), &strict), Policy::Exact);
    assert_eq!(
        policy(&hgetall, Some(&listpack), &legal),
        Policy::Unordered { pairs: true }
    );
    assert_eq!(
        policy(&argv(&[b"HKEYS", b"k"]), Some(&listpack), &legal),
        Policy::Unordered { pairs: false }
    );
    // A first HSCAN page of a server that pages its own way agrees until its walk
    // says otherwise, strict or not (a table's cursors follow the server's hash seed);
    // two whole scans must hold the same elements.
    let page = |cursor: &str, items: &[&str]| {
        Reply::Array(vec![
            Reply::bulk(cursor),
            Reply::Array(items.iter().map(|i| Reply::bulk(*i)).collect()),
        ])
    };
    let whole = page("0", &["a", "1", "b", "2"]);
    let hscan = argv(&[b"HSCAN", b"k", b"0"]);
    let expected = Expected {
        probe: None,
        reply: whole.clone(),
    };
    let agree = |actual: &Reply, config: &DiffConfig| agrees(&expected, &hscan, actual, config, 40);
    assert!(agree(&page("0", &["b", "2", "a", "1"]), &legal));
    assert!(agree(&page("5", &["b", "2"]), &legal));
    assert!(agree(&page("5", &["b", "2"]), &strict));
    assert!(!agree(&page("0", &["b", "2"]), &strict));
    assert!(!agree(&page("0", &["b", "2"]), &legal));
    assert!(!agree(&page("0", &["a", "1", "b", "3"]), &legal));
}

#[test]
fn signatures_blank_numbers_and_quoted_names() {
    let argv = vec![b"hexpire".to_vec()];
    let m = Mismatch {
        reason: "different error".into(),
    };
    let a = signature(
        &argv,
        &Reply::Error("ERR invalid expire time in 'hexpire' command".into()),
        &Reply::Error("ERR value 42 is bad".into()),
        &m,
    );
    let b = signature(
        &[b"HEXPIRE".to_vec()],
        &Reply::Error("ERR invalid expire time in 'hpexpire' command".into()),
        &Reply::Error("ERR value 7 is bad".into()),
        &m,
    );
    assert_eq!(a, b);
    assert!(a.starts_with("HEXPIRE: different error"), "{a}");
    let c = signature(&argv, &Reply::Integer(1), &Reply::Integer(2), &m);
    assert_ne!(a, c);
}

#[test]
fn gt_and_lt_wait_for_pending_deadlines() {
    let mut deadlines = KeyMap::default();
    deadlines.insert(b"k".to_vec(), vec![(10_000, 10_010)]);
    let fresh = KeySet::default();
    let plain = Op::words(&[b"HGET", b"k", b"f"]);
    let mut gt = Op::words(&[b"HPEXPIRE", b"k", b"500", b"GT", b"FIELDS", b"1", b"f"]);
    gt.deadline_in_ms = Some(500);
    // Far from the deadline: plain commands go, and so does a GT whose new deadline
    // (now + 500) is far from the pending one.
    assert!(clear_at(&deadlines, &fresh, &plain, 5_000, 40, GT_LT).is_none());
    assert!(clear_at(&deadlines, &fresh, &gt, 5_000, 40, GT_LT).is_none());
    // A GT whose new deadline would tie with the pending one waits until it no longer
    // would: 10,010 + 80 - 500.
    assert_eq!(
        clear_at(&deadlines, &fresh, &gt, 9_500, 40, GT_LT),
        Some(9_591)
    );
    // The model weighs both outcomes instead of waiting.
    assert!(clear_at(&deadlines, &fresh, &gt, 9_500, 40, MODEL).is_none());
    // Near it, everything waits; other keys never do.
    assert!(clear_at(&deadlines, &fresh, &plain, 9_950, 40, MODEL).is_some());
    let other = Op::words(&[b"HGET", b"j", b"f"]);
    assert!(clear_at(&deadlines, &fresh, &other, 9_950, 40, GT_LT).is_none());
    // A deadline set earlier in the same batch holds GT back too.
    let fresh: KeySet = [b"j".to_vec()].into_iter().collect();
    let mut gt_j = Op::words(&[b"HEXPIRE", b"j", b"1", b"lt", b"FIELDS", b"1", b"f"]);
    gt_j.deadline_in_ms = Some(1_000);
    assert!(clear_at(&KeyMap::default(), &fresh, &gt_j, 0, 40, GT_LT).is_some());
    // A far time compares the same way on both sides: no wait.
    let far = Op::words(&[b"HEXPIRE", b"k", b"1000000", b"GT", b"FIELDS", b"1", b"f"]);
    assert!(clear_at(&deadlines, &fresh, &far, 5_000, 40, GT_LT).is_none());
}

#[test]
fn hold_until_due_parks_the_key_from_its_deadline_until_it_has_passed() {
    let keys: KeySet = [b"k".to_vec()].into_iter().collect();
    let parked = Rules {
        gt_lt: false,
        parked: Some(&keys),
    };
    let mut deadlines = KeyMap::default();
    deadlines.insert(b"k".to_vec(), vec![(10_000, 10_010)]);
    let none = KeySet::default();
    let plain = Op::words(&[b"HGET", b"k", b"f"]);
    // Long before the deadline the key already waits, until 10,010 + 40 + 1.
    assert_eq!(
        clear_at(&deadlines, &none, &plain, 5_000, 40, parked),
        Some(10_051)
    );
    assert!(clear_at(&deadlines, &none, &plain, 5_000, 40, MODEL).is_none());
    // A deadline set earlier in this batch (not registered yet) parks the key too.
    let fresh: KeySet = [b"j".to_vec()].into_iter().collect();
    let on_j = Op::words(&[b"HGET", b"j", b"f"]);
    assert!(clear_at(&KeyMap::default(), &fresh, &on_j, 0, 40, parked).is_some());
    assert!(clear_at(&KeyMap::default(), &fresh, &on_j, 0, 40, MODEL).is_none());
    // Other keys go on, and a key with a deadline that did not park it is held only
    // near the deadline.
    let other = Op::words(&[b"HGET", b"x", b"f"]);
    assert!(clear_at(&deadlines, &fresh, &other, 5_000, 40, parked).is_none());
    deadlines.insert(b"x".to_vec(), vec![(10_000, 10_010)]);
    assert!(clear_at(&deadlines, &fresh, &other, 5_000, 40, parked).is_none());
    assert!(clear_at(&deadlines, &fresh, &other, 9_950, 40, parked).is_some());
}

const GT_LT: Rules = Rules {
    gt_lt: true,
    parked: None,
};
const MODEL: Rules = Rules {
    gt_lt: false,
    parked: None,
};

/// The commands written as lines, run with the model as the reference against an embedded
/// target, in batches of at most `batch` (or the default, if smaller), no reconciliation.
fn run_lines(lines: &[String], batch: usize) -> DiffReport {
    let ops = lines.iter().map(|line| {
        let words: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
        Op::words(&words)
    });
    let config = DiffConfig {
        reconcile_every: None,
        batch: batch.min(DiffConfig::default().batch),
        ..DiffConfig::default()
    };
    let mut target = EmbeddedTarget::new(Protocol::Resp2);
    let mut model = EmbeddedTarget::with_clock(
        Protocol::Resp2,
        reference_engine::ManualClock::new(reference_engine::Clock::now_ms(&SystemClock)),
        Some(1),
    );
    run_ops(Reference::Model(&mut model), &mut target, ops, &config).unwrap()
}

#[test]
fn a_copy_into_a_scanned_key_waits_for_the_walk() {
    // k1 is a hash table (a long value), so COUNT 1 walks it in pages after the batch's
    // replies are in; a COPY into k1 later in the batch must not run before that walk.
    let long = "x".repeat(80);
    let ops = [
        format!("HSET k1 a {long} b 2 c 3 d 4 e 5"),
        "HSET k2 z 9".to_string(),
        "HSCAN k1 0 COUNT 1".to_string(),
        "COPY k2 k1 REPLACE".to_string(),
        "HGETALL k1".to_string(),
    ];
    let report = run_lines(&ops, usize::MAX);
    assert_eq!(report.compared, 5);
    assert!(report.divergences.is_empty(), "{:?}", report.divergences);
}

#[test]
fn a_second_hscan_on_a_key_waits_for_the_next_batch_and_is_compared_there() {
    // k1 is a hash table, walked in pages. The second HSCAN on it would need a round trip
    // of its own; it goes first in the next batch instead, ahead of the commands queued
    // after it, and every command is still compared once, with no divergence.
    let long = "x".repeat(80);
    let ops = [
        format!("HSET k1 a {long} b 2 c 3 d 4 e 5"),
        "HSCAN k1 0 COUNT 1".to_string(),
        "HSCAN k1 0 COUNT 2 NOVALUES".to_string(),
        "HSET k2 z 9".to_string(),
        "HDEL k1 a".to_string(),
        "HSCAN k1 0 COUNT 1".to_string(),
        "HGETALL k1".to_string(),
    ];
    let report = run_lines(&ops, 4);
    assert!(report.divergences.is_empty(), "{:?}", report.divergences);
    assert_eq!(report.per_command["HSCAN"].calls, 3);
    assert_eq!(report.compared, 7);
}

#[test]
fn no_command_naming_a_scanned_key_shares_its_hscans_segment() {
    let batch = [
        &[&b"HSCAN"[..], b"k0", b"0", b"COUNT", b"1"][..],
        &[b"HGET", b"k1", b"f"],
        // Its destination is the scanned key: the target's walk would see a string.
        &[b"RENAME", b"k3", b"k0"],
        &[b"COPY", b"k0", b"k2"],
        &[b"HSCAN", b"k2", b"0"],
        &[b"HLEN", b"k2"],
        // On keys no HSCAN named before it: it need not wait for any walk.
        &[b"HGET", b"k5", b"f"],
    ]
    .map(|words| Queued::new(Op::words(words), Kind::Generated));
    let segments: Vec<Vec<String>> = segment::segments(batch.into_iter().collect())
        .iter()
        .map(|segment| segment.iter().map(|q| q.op.name()).collect())
        .collect();
    assert_eq!(
        segments,
        [
            vec!["HSCAN", "HGET", "HGET"],
            vec!["RENAME", "COPY", "HSCAN"],
            vec!["HLEN"]
        ]
    );
}

/// HSCANs move after the last other command on their key, so the batch above goes out in one
/// round trip; two HSCANs on one key are still cut apart. Everything else keeps its order.
#[test]
fn hscans_move_after_their_keys_last_command() {
    let names = |batch: &[Queued]| -> Vec<String> {
        batch
            .iter()
            .map(|q| {
                q.op.args
                    .iter()
                    .take(3)
                    .map(|a| match a {
                        crate::fuzz::gen::Arg::Bytes(b) => String::from_utf8_lossy(b).to_string(),
                        _ => "?".into(),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let queued = |words: &[&[&[u8]]]| -> Vec<Queued> {
        words
            .iter()
            .map(|w| Queued::new(Op::words(w), Kind::Generated))
            .collect()
    };
    let batch = queued(&[
        &[b"HSCAN", b"k0", b"0", b"COUNT", b"1"],
        &[b"HGET", b"k1", b"f"],
        &[b"RENAME", b"k3", b"k0"],
        &[b"COPY", b"k0", b"k2"],
        &[b"HSCAN", b"k2", b"0"],
        &[b"HLEN", b"k2"],
    ]);
    let moved = segment::scans_last(batch);
    assert_eq!(
        names(&moved),
        [
            "HGET k1 f",
            "RENAME k3 k0",
            "COPY k0 k2",
            "HSCAN k0 0",
            "HLEN k2",
            "HSCAN k2 0"
        ]
    );
    let sizes: Vec<usize> = segment::segments(moved).iter().map(Vec::len).collect();
    assert_eq!(sizes, [6]);

    let batch = queued(&[
        &[b"HSCAN", b"k0", b"0"],
        &[b"HSET", b"k0", b"f", b"v"],
        &[b"HSCAN", b"k0", b"7"],
        &[b"HGET", b"k0", b"f"],
        &[b"DEL", b"k1"],
    ]);
    let moved = segment::scans_last(batch);
    assert_eq!(
        names(&moved),
        [
            "HSET k0 f",
            "HGET k0 f",
            "HSCAN k0 0",
            "HSCAN k0 7",
            "DEL k1"
        ]
    );
    let sizes: Vec<usize> = segment::segments(moved).iter().map(Vec::len).collect();
    assert_eq!(sizes, [4, 1], "only the second HSCAN on k0 waits");

    // A scan does not wait for a later scan on its key: the two keep their order (a scan
    // put off to the next batch must go first there).
    let batch = queued(&[&[b"HSCAN", b"k0", b"0"], &[b"HSCAN", b"k0", b"7"]]);
    assert_eq!(
        names(&segment::scans_last(batch)),
        ["HSCAN k0 0", "HSCAN k0 7"]
    );

    // No HSCAN: the batch as it was.
    let batch = queued(&[&[b"HGET", b"k0", b"f"], &[b"DEL", b"k0"]]);
    assert_eq!(names(&segment::scans_last(batch)), ["HGET k0 f", "DEL k0"]);
}
