//! What every command shares, tested once from the command table: the arity check dispatch
//! makes from each row, and WRONGTYPE for every hash command. Each call is built from the row
//! (its arity and its grammar's shape), so a new row is covered without a line here; the
//! command's own file tests only what is its own (argument errors, and their order against
//! WRONGTYPE).

use super::grammar::Shape;
use super::{CommandSpec, COMMANDS};
use crate::reply::Reply;
use crate::test_support::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// The shortest valid call of a hash command on `key`, built from its grammar's shape. The
/// name is sent upper case, as clients send it; errors must still show it lower case.
fn shortest_call(spec: &CommandSpec, key: &str) -> Vec<Vec<u8>> {
    let shape = spec.grammar.expect("hash commands have a grammar").shape;
    let after_key: &[&str] = match shape {
        Shape::KeyOnly | Shape::Listing | Shape::RandomCount => &[],
        Shape::Fields => &["f"],
        Shape::Pairs => &["f", "v"],
        Shape::IntIncrement => &["f", "1"],
        Shape::FloatIncrement => &["f", "1.5"],
        Shape::Scan => &["0"],
        Shape::Expire(_) => &["100", "FIELDS", "1", "f"],
        Shape::FieldsBlock | Shape::GetEx => &["FIELDS", "1", "f"],
        Shape::SetEx => &["FIELDS", "1", "f", "v"],
    };
    let name = spec.name.to_ascii_uppercase();
    [name.as_str(), key]
        .iter()
        .chain(after_key)
        .map(|w| w.as_bytes().to_vec())
        .collect()
}

/// A call of `words` words, name first; the rest are the start of the shortest valid call for
/// a hash command (so only the count is wrong), or a filler for the others.
fn call_of_length(spec: &CommandSpec, words: usize, key: &str) -> Vec<Vec<u8>> {
    let mut argv = match spec.hash {
        true => shortest_call(spec, key),
        false => vec![spec.name.to_ascii_uppercase().into_bytes()],
    };
    argv.resize(words, b"x".to_vec());
    argv
}

fn run(t: &mut TestEngine, argv: &[Vec<u8>]) -> Reply {
    t.engine.execute(&mut t.session, argv)
}

/// A hash `h`, a string `s`, and nothing at `nokey`: the three kinds of key a call can meet.
fn engine_with_keys() -> TestEngine {
    let mut t = TestEngine::new();
    t.run("HSET h f 1 g 2");
    t.run("SET s x");
    t
}

/// The three keys as `engine_with_keys` left them.
fn assert_keys_unchanged(t: &mut TestEngine, after: &str) {
    assert_eq!(t.run("DBSIZE"), int(2), "after {after}");
    assert_eq!(t.run("GET s"), bulk("x"), "after {after}");
    assert_eq!(
        t.run("HGETALL h"),
        Reply::Map(vec![(bulk("f"), bulk("1")), (bulk("g"), bulk("2"))]),
        "after {after}"
    );
}

#[test]
fn a_wrong_argument_count_is_an_arity_error_that_changes_nothing() {
    let mut t = engine_with_keys();
    let mut checked = 0;
    for spec in COMMANDS {
        let want = err(&format!(
            "ERR wrong number of arguments for '{}' command",
            spec.name
        ));
        let least = spec.arity.unsigned_abs() as usize;
        // One word short of the least the row allows (none for a command that takes no
        // argument), and for a fixed arity one word over.
        let mut counts = vec![least - 1];
        if spec.arity > 0 {
            counts.push(least + 1);
        }
        for words in counts.into_iter().filter(|&n| n > 0) {
            // The count is checked before the key's type is, and before the key is created.
            for key in ["h", "s", "nokey"] {
                let argv = call_of_length(spec, words, key);
                assert_eq!(run(&mut t, &argv), want, "{}", quote_argv(&argv));
                assert_keys_unchanged(&mut t, &quote_argv(&argv));
                checked += 1;
            }
        }
    }
    let hash_commands = COMMANDS.iter().filter(|c| c.hash).count();
    assert!(checked >= 3 * hash_commands, "only {checked} calls");
}

#[test]
fn every_hash_command_says_wrongtype_on_a_string_and_changes_nothing() {
    let mut t = engine_with_keys();
    for spec in COMMANDS.iter().filter(|c| c.hash) {
        let argv = shortest_call(spec, "s");
        // The call is the shortest the row allows, so the arity test above is one short of it.
        let least = spec.arity.unsigned_abs() as usize;
        assert_eq!(argv.len(), least, "{}: arity vs grammar", spec.name);
        assert_eq!(run(&mut t, &argv), err(WRONGTYPE), "{}", quote_argv(&argv));
        assert_keys_unchanged(&mut t, &quote_argv(&argv));
        // The same call is valid: on a hash and on a missing key it is no error.
        for key in ["h2", "nokey"] {
            t.run("HSET h2 f 1 g 2");
            let argv = shortest_call(spec, key);
            let reply = run(&mut t, &argv);
            assert!(
                !matches!(reply, Reply::Error(_)),
                "{}: {reply:?}",
                quote_argv(&argv)
            );
            t.run("DEL h2 nokey");
        }
    }
}

/// The prefetch hint serve gives for a pipeline's next command reads only: for every row,
/// every argument count, and a big hash (a table, where the hint loads something), a
/// listpack, a string and a missing key, the data is as it was.
#[test]
fn a_prefetch_hint_changes_nothing() {
    let mut t = engine_with_keys();
    for i in 0..300 {
        t.run(&format!("HSET big f{i} {i}"));
    }
    t.run("HPEXPIRE big 100000 FIELDS 2 f1 f2");
    let snapshot = |t: &TestEngine| -> Vec<(Vec<u8>, crate::keyspace::Value)> {
        let db = t.engine.keyspace(0);
        db.iter().map(|(k, v)| (k.to_vec(), v.clone())).collect()
    };
    let before = snapshot(&t);
    let mut hinted = 0;
    for spec in COMMANDS {
        let least = spec.arity.unsigned_abs() as usize;
        for words in 0..=least + 2 {
            for key in ["big", "h", "s", "nokey"] {
                for field in ["f1", "f299", "zz"] {
                    let mut argv = call_of_length(spec, words.max(1), key);
                    if argv.len() > 2 {
                        argv[2] = field.as_bytes().to_vec();
                    }
                    argv.truncate(words);
                    t.engine.prefetch(&t.session, &argv);
                    hinted += 1;
                }
            }
        }
    }
    assert!(hinted > 1000, "only {hinted} hints");
    assert_eq!(snapshot(&t), before);
}

fn quote_argv(argv: &[Vec<u8>]) -> String {
    let words: Vec<String> = argv
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    words.join(" ")
}

/// The commands whose grammar is a key and a FIELDS block only (HGETDEL, HPERSIST, HTTL and
/// its siblings) share one parser, and so its errors, their order and its keyword matching.
#[test]
fn every_fields_only_command_checks_its_block_alike() {
    let missing = err("ERR Mandatory argument FIELDS is missing or not at the right position");
    let positive = err("ERR Number of fields must be a positive integer");
    let mismatch = err("ERR The `numfields` parameter must match the number of arguments");
    let block_errors: &[(&[&[u8]], &Reply)] = &[
        (&[b"FOO", b"1", b"a"], &missing),
        (&[b"1", b"FIELDS", b"a"], &missing),
        // Compared as a C string, so this is `FIELD`, not `FIELDS`.
        (&[b"FIELD\0S", b"1", b"a"], &missing),
        (&[b"FIELDS", b"0", b"a"], &positive),
        (&[b"FIELDS", b"-1", b"a"], &positive),
        (&[b"FIELDS", b"x", b"a"], &positive),
        (&[b"FIELDS", b"01", b"a"], &positive),
        (&[b"FIELDS", b"-9223372036854775808", b"a"], &positive),
        (&[b"FIELDS", b"2", b"a"], &mismatch),
        (&[b"fields", b"1", b"a", b"b"], &mismatch),
        (&[b"FIELDS", b"9223372036854775807", b"a"], &mismatch),
    ];
    let mut checked = 0;
    let fields_only = COMMANDS
        .iter()
        .filter(|c| c.grammar.is_some_and(|g| g.shape == Shape::FieldsBlock));
    for spec in fields_only {
        let name = spec.name.to_ascii_uppercase();
        let call = |key: &str, block: &[&[u8]]| -> Vec<Vec<u8>> {
            [name.as_bytes(), key.as_bytes()]
                .iter()
                .chain(block)
                .map(|w| w.to_vec())
                .collect()
        };
        let mut t = engine_with_keys();
        for (block, want) in block_errors {
            for key in ["h", "nokey"] {
                let argv = call(key, block);
                assert_eq!(&run(&mut t, &argv), *want, "{}", quote_argv(&argv));
            }
            // The key's type is checked before the block.
            let argv = call("s", block);
            assert_eq!(run(&mut t, &argv), err(WRONGTYPE), "{}", quote_argv(&argv));
        }
        assert_keys_unchanged(&mut t, &name);
        // `FIELDS\0z` is `FIELDS` (strcasecmp stops at the NUL; checked on 8.2.3): the same
        // reply and the same effect, on a field with a TTL so that every command acts.
        let mut with_nul = engine_with_keys();
        let mut plain = engine_with_keys();
        for t in [&mut with_nul, &mut plain] {
            t.expire_fields("h", &["f"], NOW + 100_000);
        }
        let reply = run(&mut with_nul, &call("h", &[b"FIELDS\0z", b"1", b"f"]));
        assert!(!matches!(reply, Reply::Error(_)), "{name}: {reply:?}");
        assert_eq!(reply, run(&mut plain, &call("h", &[b"FIELDS", b"1", b"f"])));
        assert_eq!(with_nul.run("HGETALL h"), plain.run("HGETALL h"), "{name}");
        checked += 1;
    }
    assert!(checked > 0, "no FIELDS-only command in the table");
}
