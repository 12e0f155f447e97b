//! A server that differs from Redis only where Redis allows it passes, and fails exactly
//! there when judged on Redis's own choices.

use std::collections::BTreeSet;

use hashcheck::cases::runner::{Details, Outcome};
use hashcheck::targets::{EmbeddedTarget, ServerIdentity, Target};
use reference_engine::{Protocol, Reply};

use super::run_everywhere;
use crate::support::{self, fake, fake::FakeTarget};

/// The engine, answering as another product: HGETALL/HKEYS/HVALS in reverse order,
/// HRANDFIELD picking from the other end of the hash, HSCAN one element per page with
/// cursors of its own. Every reply is still one Redis may give.
fn lawful(protocol: Protocol) -> FakeTarget {
    FakeTarget::new("lawful", protocol)
        .identity(identity())
        .answer(|inner, argv| {
            let reply = inner.call(argv)?;
            Ok(match (fake::name(argv).as_str(), reply) {
                ("HGETALL", Reply::Map(mut kv)) => {
                    kv.reverse();
                    Reply::Map(kv)
                }
                ("HGETALL", Reply::Array(flat)) => {
                    Reply::Array(flat.chunks(2).rev().flatten().cloned().collect())
                }
                ("HKEYS" | "HVALS", Reply::Array(mut items)) => {
                    items.reverse();
                    Reply::Array(items)
                }
                ("HRANDFIELD", reply) if argv.len() >= 2 => hrandfield(inner, argv, reply),
                ("HSCAN", reply) if argv.len() >= 3 => hscan(inner, argv, reply),
                (_, reply) => reply,
            })
        })
}

/// As a proxy in front of Redis 8.2.3 would: its INFO says Redis.
fn identity() -> ServerIdentity {
    ServerIdentity::from_info("redis_version:8.2.3\n")
}

fn fields(engine: &mut EmbeddedTarget, key: &[u8]) -> Vec<(Reply, Reply)> {
    match engine.call(&[b"HGETALL".to_vec(), key.to_vec()]) {
        Ok(Reply::Map(kv)) => kv,
        Ok(Reply::Array(flat)) => flat
            .chunks(2)
            .map(|c| (c[0].clone(), c[1].clone()))
            .collect(),
        _ => Vec::new(),
    }
}

/// HRANDFIELD picking from the other end of the hash (repeats of one field for a negative
/// count), in the reply's shape.
fn hrandfield(engine: &mut EmbeddedTarget, argv: &[Vec<u8>], inner: Reply) -> Reply {
    let mut fields = fields(engine, &argv[1]);
    fields.reverse();
    let negative = argv.get(2).is_some_and(|c| c.starts_with(b"-"));
    match inner {
        Reply::Bulk(_) if !fields.is_empty() => fields[0].0.clone(),
        Reply::Array(items) if !items.is_empty() && !fields.is_empty() => {
            let pairs = matches!(items[0], Reply::Array(_));
            let with_values = argv.len() > 3;
            let n = if with_values && !pairs {
                items.len() / 2
            } else {
                items.len()
            };
            let picks: Vec<&(Reply, Reply)> = if negative {
                vec![&fields[0]; n]
            } else {
                fields.iter().take(n).collect()
            };
            Reply::Array(
                picks
                    .into_iter()
                    .flat_map(|(f, v)| match (with_values, pairs) {
                        (false, _) => vec![f.clone()],
                        (true, true) => vec![Reply::Array(vec![f.clone(), v.clone()])],
                        (true, false) => vec![f.clone(), v.clone()],
                    })
                    .collect(),
            )
        }
        other => other,
    }
}

/// HSCAN one group (a field, or a field and its value) per page, with cursors from 1001.
fn hscan(engine: &mut EmbeddedTarget, argv: &[Vec<u8>], inner: Reply) -> Reply {
    if !matches!(inner, Reply::Array(_)) {
        return inner;
    }
    // Everything the scan would return, from the engine's own walk.
    let mut walk = argv.to_vec();
    walk[2] = b"0".to_vec();
    let mut all = Vec::new();
    loop {
        let Ok(Reply::Array(parts)) = engine.call(&walk) else {
            return inner;
        };
        let [Reply::Bulk(cursor), Reply::Array(items)] = parts.as_slice() else {
            return inner;
        };
        all.extend(items.iter().cloned());
        if cursor == b"0" {
            break;
        }
        walk[2] = cursor.clone();
    }
    let novalues = argv[3..]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(b"NOVALUES"));
    let groups: Vec<&[Reply]> = all.chunks(if novalues { 1 } else { 2 }).collect();
    let cursor: u64 = String::from_utf8_lossy(&argv[2]).parse().unwrap_or(0);
    let index = cursor.saturating_sub(1000) as usize;
    let page: Vec<Reply> = groups.get(index).map(|g| g.to_vec()).unwrap_or_default();
    let next = if index + 1 < groups.len() {
        (1000 + index as u64 + 1).to_string()
    } else {
        "0".to_string()
    };
    Reply::Array(vec![Reply::bulk(next), Reply::Array(page)])
}

/// Runs every case of `cases/` on [`lawful`], in both protocols.
fn run_lawful(details: Details) -> hashcheck::cases::runner::suite::SuiteReport {
    run_everywhere("lawful", identity(), details, lawful)
}

#[test]
fn a_server_that_differs_only_where_redis_allows_it_passes() {
    let report = run_lawful(Details::Auto);
    let text = hashcheck::cases::report::suite(&report, support::here(), Default::default());
    assert!(report.passed(), "{text}");
    let ran = report
        .cases
        .iter()
        .filter(|c| c.outcome == Outcome::Pass)
        .count();
    assert!(ran > 600, "{ran} cases passed\n{text}");

    // The same server judged on Redis's own choices fails exactly there: so the differences
    // are real, and it is the policy that lets them pass.
    let strict = run_lawful(Details::Strict);
    let failed: BTreeSet<&str> = strict
        .cases
        .iter()
        .flat_map(|c| c.outcome.failures())
        .map(|f| f.command.split(' ').next().unwrap())
        .collect();
    assert!(!strict.passed());
    for command in ["HGETALL", "HKEYS", "HVALS", "HRANDFIELD", "HSCAN"] {
        assert!(
            failed.contains(command),
            "{command} did not differ: {failed:?}"
        );
    }
    assert!(
        failed
            .iter()
            .all(|c| ["HGETALL", "HKEYS", "HVALS", "HRANDFIELD", "HSCAN"].contains(c)),
        "{failed:?}"
    );
}
