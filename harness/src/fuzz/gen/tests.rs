//! The generator's promises: determinism, every command and every flag and conflict
//! generated, keys that stay the run's, resets within their bound, and no dangerous count.
//! Commands are named by their shape, never by name: the table decides which exist.

use std::collections::{BTreeSet, HashMap};

use reference_engine::command::grammar::Shape;

use super::table::commands_where;
use super::*;

/// The commands of the table whose shape `keep` accepts.
fn shaped(keep: impl Fn(Shape) -> bool) -> Vec<&'static str> {
    commands_where(|f| f.shape().is_some_and(&keep))
}

fn shape_of(name: &[u8]) -> Option<Shape> {
    table::form_of(name).and_then(Form::shape)
}

#[test]
fn same_seed_same_sequence() {
    let mk = || Generator::new(42, GenConfig::default(), Swarm::all(&COMMANDS));
    let (mut a, mut b) = (mk(), mk());
    for _ in 0..500 {
        assert_eq!(a.next_op(), b.next_op());
    }
}

#[test]
fn every_command_is_generated_and_keys_are_prefixed() {
    let mut g = Generator::new(7, GenConfig::default(), Swarm::all(&COMMANDS));
    let mut seen = BTreeSet::new();
    for _ in 0..5_000 {
        let op = g.next_op();
        seen.insert(op.name());
        // A bent command may have lost its key; any key it has is the run's.
        if let Some(key) = op.key() {
            assert!(key.starts_with(b"hc:"), "{op:?}");
        }
    }
    for c in COMMANDS.iter() {
        assert!(seen.contains(*c), "{c} never generated");
    }
}

#[test]
fn never_a_large_negative_random_count() {
    let random = shaped(|s| s == Shape::RandomCount);
    assert!(!random.is_empty());
    let mut g = Generator::new(3, GenConfig::default(), Swarm::all(&random));
    for _ in 0..20_000 {
        let argv = g.next_op().resolve(0);
        if let Some(count) = argv.get(2).and_then(|c| std::str::from_utf8(c).ok()) {
            if let Ok(n) = count.parse::<i64>() {
                assert!(n >= -1000 || n == i64::MIN, "dangerous count {n}");
            }
        }
    }
}

#[test]
fn redrawn_subsets_leave_commands_out_yet_cover_them_all() {
    let config = GenConfig {
        redraw_swarm_every: Some(1_000),
        ..GenConfig::default()
    };
    let writer = shaped(|s| s == Shape::Pairs)[0];
    let mut g = Generator::new(3, config, Swarm::all(&COMMANDS));
    let mut seen = BTreeSet::new();
    let mut subsets = BTreeSet::new();
    let mut previous: Option<Vec<&str>> = None;
    for _ in 0..40_000 {
        let subset = g.swarm().enabled.clone();
        // Any two subsets in a row hold every command between them.
        if let Some(previous) = previous.replace(subset.clone()) {
            if previous != subset {
                let union: BTreeSet<&str> = previous.iter().chain(&subset).copied().collect();
                assert_eq!(union.len(), COMMANDS.len(), "{previous:?} then {subset:?}");
            }
        }
        assert!(
            subset.len() < COMMANDS.len() && subset.contains(&writer),
            "{subset:?}"
        );
        subsets.insert(subset);
        seen.insert(g.next_op().name());
    }
    assert!(subsets.len() >= 30, "{} subsets", subsets.len());
    assert_eq!(seen.len(), COMMANDS.len(), "{seen:?}");
    // Without a redraw the swarm is the one given (and DEL, for resets).
    let two = shaped(|s| matches!(s, Shape::Fields | Shape::Pairs));
    let mut g = Generator::new(3, GenConfig::default(), Swarm::all(&two));
    for _ in 0..100 {
        let name = g.next_op().name();
        assert!(two.contains(&name.as_str()) || name == "DEL", "{name}");
    }
}

#[test]
fn bent_del_and_exists_name_only_run_keys() {
    let config = GenConfig {
        invalid_one_in: 1,
        ..GenConfig::default()
    };
    let mut g = Generator::new(11, config, Swarm::all(&["DEL", "EXISTS"]));
    for _ in 0..2_000 {
        let argv = g.next_op().resolve(0);
        for key in &argv[1..] {
            assert!(key.starts_with(b"hc:"), "{argv:?}");
        }
    }
}

#[test]
fn keys_are_reset_within_the_bound() {
    let config = GenConfig {
        reset_every: Some(50),
        keys: 3,
        ..GenConfig::default()
    };
    let some = shaped(|s| matches!(s, Shape::Fields | Shape::Pairs));
    let mut g = Generator::new(5, config, Swarm::all(&some));
    let mut since: HashMap<Vec<u8>, usize> = Default::default();
    let mut resets = 0;
    for _ in 0..3_000 {
        let op = g.next_op();
        // A command bent down to its bare name touches no key.
        let Some(key) = op.key().map(<[u8]>::to_vec) else {
            continue;
        };
        if op.name() == "DEL" {
            resets += 1;
            since.insert(key, 0);
        } else {
            let n = since.entry(key).or_default();
            *n += 1;
            assert!(*n <= 50, "a key went {n} commands without a reset");
        }
    }
    assert!(resets >= 3_000 / 51 - 3, "{resets} resets");
    assert_eq!(g.pool_keys().len(), 3);
}

/// A kind of shape, for naming the flag combinations each must be generated with.
fn family(shape: Shape) -> &'static str {
    match shape {
        Shape::Expire(_) => "expire",
        Shape::SetEx => "setex",
        Shape::GetEx => "getex",
        Shape::Scan => "scan",
        Shape::RandomCount => "random",
        _ => "other",
    }
}

#[test]
fn every_flag_and_conflict_is_generated() {
    let mut g = Generator::new(9, GenConfig::default(), Swarm::all(&COMMANDS));
    let mut seen: BTreeSet<(&str, Vec<&'static str>)> = Default::default();
    let mut words: BTreeSet<Vec<u8>> = Default::default();
    let mut keywords: BTreeSet<(String, &'static str)> = Default::default();
    for _ in 0..200_000 {
        let argv = g.next_op().resolve(1_700_000_000_000);
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
        if let Some(known) = table::known(&argv[0]) {
            if let Form::Hash { grammar, .. } = known.form {
                for word in &argv[1..] {
                    if let Some(k) = grammar
                        .keywords
                        .iter()
                        .find(|k| word.eq_ignore_ascii_case(k.as_bytes()))
                    {
                        keywords.insert((name.clone(), k));
                    }
                }
            }
        }
        let mut options = options_of(&argv);
        options.sort();
        if let Some(shape) = shape_of(&argv[0]) {
            seen.insert((family(shape), options));
        }
        words.extend(argv.into_iter().skip(2));
    }
    let has = |family: &str, options: &[&str]| {
        let mut options = options.to_vec();
        options.sort();
        seen.contains(&(family, options))
    };
    for (family, options) in [
        ("expire", &["NX", "XX", "FIELDS"][..]),
        ("expire", &["GT", "LT", "FIELDS"]),
        ("setex", &["FNX", "FXX", "FIELDS"]),
        ("setex", &["EX", "PX", "FIELDS"]),
        ("setex", &["KEEPTTL", "EX", "FIELDS"]),
        ("setex", &["PERSIST", "FIELDS"]),
        ("setex", &["NX", "FIELDS"]),
        ("getex", &["PERSIST", "EX", "FIELDS"]),
        ("getex", &["KEEPTTL", "FIELDS"]),
        ("scan", &["MATCH", "COUNT", "NOVALUES"]),
        ("random", &["WITHVALUES"]),
    ] {
        assert!(has(family, options), "{family} {options:?} never generated");
    }
    // Every keyword of every grammar, with every command that declares it.
    for known in table::KNOWN.iter() {
        if let Form::Hash { grammar, .. } = known.form {
            for k in grammar.keywords {
                assert!(
                    keywords.contains(&(known.name.to_string(), *k)),
                    "{} {k} never generated",
                    known.name
                );
            }
        }
    }
    for word in [
        &b"70368744177663"[..],
        b"70368744177664",
        b"70368744177",
        b"70368744178",
        b"nan",
        b"-inf",
        b"1e309",
        b"9223372036854775808",
        b"\x00bin\x00",
        b"",
    ] {
        assert!(
            words.contains(word),
            "{:?} never generated",
            String::from_utf8_lossy(word)
        );
    }
}
