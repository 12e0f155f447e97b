//! `--details legal` is loose exactly where Redis is free, and nowhere else.
//!
//! Each test runs one small case on the engine behind a wrapper that rewrites the reply to
//! its last step, once under legal details and once under strict ones. A reply that uses a
//! freedom Redis leaves (another order, other pages, other random picks, another encoding
//! name) passes legal and fails strict; a reply that breaks a promise (a missing, extra or
//! duplicated element, a wrong value, a wrong count) fails both.

use std::path::Path;

use hashcheck::cases::format;
use hashcheck::cases::runner::{run_case, Details, Outcome, RunOptions, RunState};
use hashcheck::targets::Target;
use reference_engine::{Protocol, Reply};

use crate::support::fake::FakeTarget;

/// The engine, with the reply to one command (the case's last step) rewritten: `command`
/// is that command as sent but without its key.
fn rewriting(protocol: Protocol, command: &'static str, rewrite: fn(Reply) -> Reply) -> FakeTarget {
    FakeTarget::new("rewrite", protocol).answer(move |inner, argv| {
        let reply = inner.call(argv)?;
        // The command without its key (every key the runner sends has the run's prefix),
        // so the HGETALL the runner reads the hash with before an HRANDFIELD is left alone.
        let sent = argv
            .iter()
            .filter(|a| !a.starts_with(b"hc:"))
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(if sent == command {
            rewrite(reply)
        } else {
            reply
        })
    })
}

/// Whether the case passes under legal and under strict details, in `protocol`, when the
/// reply to `command` (name and arguments after the key) is rewritten.
fn verdicts(
    steps: &str,
    command: &'static str,
    rewrite: fn(Reply) -> Reply,
    protocol: Protocol,
) -> (bool, bool) {
    let text = format!(
        "source: https://redis.io/docs/latest/commands/hgetall/\nbehaviour: b\ncases:\n  - name: c\n    steps:\n{steps}"
    );
    let file = format::load_str(Path::new("cases/x/details.yaml"), &text).unwrap();
    let state = RunState::new();
    let pass = |details| {
        let mut target = rewriting(protocol, command, rewrite);
        let options = RunOptions {
            details,
            ..RunOptions::default()
        };
        let report = run_case(&mut target, &file, 0, &state, &options);
        assert!(
            matches!(report.outcome, Outcome::Pass | Outcome::Fail(_)),
            "{:?}",
            report.outcome
        );
        report.outcome == Outcome::Pass
    };
    (pass(Details::Legal), pass(Details::Strict))
}

const FREE: (bool, bool) = (true, false);
const WRONG: (bool, bool) = (false, false);

fn both(steps: &str, command: &'static str, rewrite: fn(Reply) -> Reply) -> [(bool, bool); 2] {
    [Protocol::Resp2, Protocol::Resp3].map(|p| verdicts(steps, command, rewrite, p))
}

fn b(s: &str) -> Reply {
    Reply::bulk(s)
}

/// The elements of an array, or the pairs of a map flattened, and a way back.
fn items(reply: Reply) -> (Vec<Reply>, bool) {
    match reply {
        Reply::Map(kv) => (kv.into_iter().flat_map(|(k, v)| [k, v]).collect(), true),
        Reply::Array(items) => (items, false),
        other => panic!("not a collection: {other:?}"),
    }
}

fn back(items: Vec<Reply>, map: bool) -> Reply {
    if map {
        Reply::Map(
            items
                .chunks(2)
                .map(|c| (c[0].clone(), c[1].clone()))
                .collect(),
        )
    } else {
        Reply::Array(items)
    }
}

/// Pairs in reverse order (a flat RESP2 HGETALL, or a map).
fn reverse_pairs(reply: Reply) -> Reply {
    let (items, map) = items(reply);
    back(items.chunks(2).rev().flatten().cloned().collect(), map)
}

const HASH: &str = "      - send: [HSET, h, a, \"1\", b, \"2\", c, \"3\"]\n        expect: 3\n";

fn listing(command: &str) -> String {
    let expect = match command {
        "HGETALL" => "{map: [[a, \"1\"], [b, \"2\"], [c, \"3\"]]}",
        "HKEYS" => "[a, b, c]",
        _ => "[\"1\", \"2\", \"3\"]",
    };
    format!("{HASH}      - send: [{command}, h]\n        order: exact\n        expect: {expect}\n")
}

#[test]
fn listings_are_multisets_of_pairs_when_legal() {
    let hgetall = listing("HGETALL");
    assert_eq!(both(&hgetall, "HGETALL", reverse_pairs), [FREE; 2]);
    let drop_last = |r: Reply| {
        let (mut items, map) = items(r);
        items.truncate(items.len() - 2);
        back(items, map)
    };
    assert_eq!(both(&hgetall, "HGETALL", drop_last), [WRONG; 2]);
    // The same fields and values, paired wrongly: a → 2, b → 1.
    let swap_values = |r: Reply| {
        let (mut items, map) = items(r);
        items.swap(1, 3);
        back(items, map)
    };
    assert_eq!(both(&hgetall, "HGETALL", swap_values), [WRONG; 2]);
    let extra = |r: Reply| {
        let (mut items, map) = items(r);
        items.extend([b("d"), b("4")]);
        back(items, map)
    };
    assert_eq!(both(&hgetall, "HGETALL", extra), [WRONG; 2]);
    for command in ["HKEYS", "HVALS"] {
        let steps = listing(command);
        let reverse = |r: Reply| {
            let (mut items, map) = items(r);
            items.reverse();
            back(items, map)
        };
        assert_eq!(both(&steps, command, reverse), [FREE; 2], "{command}");
        // One element twice and another missing: same length, not the same multiset.
        let duplicate = |r: Reply| {
            let (mut items, map) = items(r);
            items[2] = items[0].clone();
            back(items, map)
        };
        assert_eq!(both(&steps, command, duplicate), [WRONG; 2], "{command}");
    }
}

#[test]
fn hscan_is_judged_by_its_guarantees_when_legal() {
    // One call, not walked: its page is Redis's choice; its elements are not.
    let page = format!("{HASH}      - send: [HSCAN, h, \"0\"]\n        scan: once\n        expect: [\"0\", [a, \"1\", b, \"2\", c, \"3\"]]\n");
    // COUNT ignored the other way: a first page of one pair, and a cursor to go on with.
    let first_page = |r: Reply| {
        let Reply::Array(parts) = r else { panic!() };
        let (items, _) = items(parts[1].clone());
        Reply::Array(vec![b("7"), Reply::Array(items[2..4].to_vec())])
    };
    assert_eq!(both(&page, "HSCAN 0", first_page), [FREE; 2]);
    let stranger = |r: Reply| {
        let Reply::Array(mut parts) = r else { panic!() };
        parts[1] = Reply::Array(vec![b("z"), b("1")]);
        Reply::Array(parts)
    };
    assert_eq!(both(&page, "HSCAN 0", stranger), [WRONG; 2]);
    let wrong_value = |r: Reply| {
        let Reply::Array(mut parts) = r else { panic!() };
        parts[1] = Reply::Array(vec![b("a"), b("2")]);
        Reply::Array(parts)
    };
    assert_eq!(both(&page, "HSCAN 0", wrong_value), [WRONG; 2]);

    // A walk (from cursor 0, the default) must return every field, duplicates allowed.
    let walk = format!("{HASH}      - send: [HSCAN, h, \"0\", COUNT, \"1\"]\n        expect: [\"0\", [a, \"1\", b, \"2\", c, \"3\"]]\n");
    let duplicate = |r: Reply| {
        let Reply::Array(mut parts) = r else { panic!() };
        let (mut items, _) = items(parts[1].clone());
        items.extend([b("a"), b("1")]);
        parts[1] = Reply::Array(items);
        Reply::Array(parts)
    };
    // Paging is checked only where a case asks for one call, so a walk passes both.
    assert_eq!(both(&walk, "HSCAN 0 COUNT 1", duplicate), [(true, true); 2]);
    let missing = |r: Reply| {
        let Reply::Array(mut parts) = r else { panic!() };
        let (items, _) = items(parts[1].clone());
        parts[1] = Reply::Array(items[2..].to_vec());
        Reply::Array(parts)
    };
    assert_eq!(both(&walk, "HSCAN 0 COUNT 1", missing), [WRONG; 2]);
    let extra = |r: Reply| {
        let Reply::Array(mut parts) = r else { panic!() };
        let (mut items, _) = items(parts[1].clone());
        items.extend([b("d"), b("4")]);
        parts[1] = Reply::Array(items);
        Reply::Array(parts)
    };
    assert_eq!(both(&walk, "HSCAN 0 COUNT 1", extra), [WRONG; 2]);
}

/// HRANDFIELD's picks, as (field, value) pairs in either protocol's shape.
fn picks(reply: Reply) -> (Vec<(Reply, Reply)>, bool) {
    let Reply::Array(items) = reply else {
        panic!("not an array: {reply:?}")
    };
    let nested = matches!(items.first(), Some(Reply::Array(_)));
    let pairs = if nested {
        items
            .into_iter()
            .map(|i| match i {
                Reply::Array(p) => (p[0].clone(), p[1].clone()),
                other => panic!("{other:?}"),
            })
            .collect()
    } else {
        items
            .chunks(2)
            .map(|c| (c[0].clone(), c[1].clone()))
            .collect()
    };
    (pairs, nested)
}

fn unpicks(pairs: Vec<(Reply, Reply)>, nested: bool) -> Reply {
    Reply::Array(if nested {
        pairs
            .into_iter()
            .map(|(f, v)| Reply::Array(vec![f, v]))
            .collect()
    } else {
        pairs.into_iter().flat_map(|(f, v)| [f, v]).collect()
    })
}

#[test]
fn hrandfield_is_judged_by_its_rules_when_legal() {
    // A count that covers the hash: Redis returns it in its own order, which strict checks.
    let whole = format!(
        "{HASH}      - send: [HRANDFIELD, h, \"5\", WITHVALUES]\n        random: false\n        expect:\n          resp2: [a, \"1\", b, \"2\", c, \"3\"]\n          resp3: [[a, \"1\"], [b, \"2\"], [c, \"3\"]]\n"
    );
    let reordered = |r: Reply| {
        let (mut p, nested) = picks(r);
        p.reverse();
        unpicks(p, nested)
    };
    assert_eq!(
        both(&whole, "HRANDFIELD 5 WITHVALUES", reordered),
        [FREE; 2]
    );
    let duplicate = |r: Reply| {
        let (mut p, nested) = picks(r);
        p[2] = p[0].clone();
        unpicks(p, nested)
    };
    assert_eq!(
        both(&whole, "HRANDFIELD 5 WITHVALUES", duplicate),
        [WRONG; 2]
    );
    let wrong_value = |r: Reply| {
        let (mut p, nested) = picks(r);
        p[0].1 = b("9");
        unpicks(p, nested)
    };
    assert_eq!(
        both(&whole, "HRANDFIELD 5 WITHVALUES", wrong_value),
        [WRONG; 2]
    );
    let too_few = |r: Reply| {
        let (mut p, nested) = picks(r);
        p.pop();
        unpicks(p, nested)
    };
    assert_eq!(both(&whole, "HRANDFIELD 5 WITHVALUES", too_few), [WRONG; 2]);

    // A negative count: exactly |count| picks, repeats allowed, each a field of the hash.
    let repeats = format!(
        "{HASH}      - send: [HRANDFIELD, h, \"-4\"]\n        random: false\n        expect: [a, b, c, a]\n"
    );
    let other_picks = |_: Reply| Reply::Array(vec![b("c"), b("c"), b("c"), b("c")]);
    assert_eq!(both(&repeats, "HRANDFIELD -4", other_picks), [FREE; 2]);
    let too_many = |_: Reply| Reply::Array(vec![b("c"); 5]);
    assert_eq!(both(&repeats, "HRANDFIELD -4", too_many), [WRONG; 2]);
    let not_a_field = |_: Reply| Reply::Array(vec![b("c"), b("c"), b("c"), b("x")]);
    assert_eq!(both(&repeats, "HRANDFIELD -4", not_a_field), [WRONG; 2]);

    // A positive count below the size: min(count, len) distinct fields.
    let some = format!(
        "{HASH}      - send: [HRANDFIELD, h, \"2\"]\n        random: false\n        expect: [a, b]\n"
    );
    let other_two = |_: Reply| Reply::Array(vec![b("c"), b("a")]);
    assert_eq!(both(&some, "HRANDFIELD 2", other_two), [FREE; 2]);
    let twice = |_: Reply| Reply::Array(vec![b("c"), b("c")]);
    assert_eq!(both(&some, "HRANDFIELD 2", twice), [WRONG; 2]);
}

#[test]
fn encoding_names_are_compared_only_when_strict() {
    let steps = format!("{HASH}      - send: [OBJECT, ENCODING, h]\n        expect: listpack\n");
    let other = |_: Reply| b("ziplist");
    assert_eq!(both(&steps, "OBJECT ENCODING", other), [FREE; 2]);
    // An error is a reply like any other: it fails both.
    let error = |_: Reply| Reply::Error("ERR no such key".into());
    assert_eq!(both(&steps, "OBJECT ENCODING", error), [WRONG; 2]);
    // Whether the key exists is not a choice: nil for a hash, or a name for no key, fails.
    assert_eq!(both(&steps, "OBJECT ENCODING", |_| Reply::Null), [WRONG; 2]);
    let missing = "      - send: [OBJECT, ENCODING, nokey]\n        expect: null\n";
    assert_eq!(both(missing, "OBJECT ENCODING", other), [WRONG; 2]);
}
