//! Capabilities: a command the target lacks is unsupported, not failed, per command and
//! protocol; a command it has but gets wrong is failed.

use hashcheck::cases::baseline::Verdict;
use hashcheck::cases::report::capabilities::{self, Support};
use hashcheck::cases::runner::Details;
use hashcheck::targets::{ServerIdentity, Target};
use reference_engine::{Protocol, Reply};

use super::run_everywhere;
use crate::support::fake::{self, FakeTarget};

/// The engine without the 8.0 commands and with one wrong error text.
fn partial(protocol: Protocol) -> FakeTarget {
    FakeTarget::new("partial", protocol)
        .identity(ServerIdentity {
            product: "partial".into(),
            version: "0.1".into(),
            redis_version: None,
        })
        .answer(|inner, argv| {
            let name = fake::name(argv);
            if ["HGETDEL", "HGETEX", "HSETEX"].contains(&name.as_str()) {
                return Ok(fake::unknown_command(&name));
            }
            match inner.call(argv)? {
                Reply::Error(e) if name == "HSTRLEN" => Ok(Reply::Error(format!("{e}!"))),
                other => Ok(other),
            }
        })
}

#[test]
fn unknown_commands_are_unsupported_per_command_and_protocol() {
    let report = run_everywhere(
        "partial",
        ServerIdentity::from_info("redis_version:1\n"),
        Details::Auto,
        partial,
    );
    let verdict = Verdict::plain(&report);
    let rows = capabilities::commands(&verdict);
    for command in ["HGETDEL", "HGETEX", "HSETEX"] {
        for row in rows.iter().filter(|r| r.command == command) {
            assert_eq!(
                row.support,
                Support::No("unknown command".into()),
                "{row:?}"
            );
            assert_eq!(row.counts.failed, 0, "{row:?}");
            assert!(row.counts.unsupported > 0, "{row:?}");
        }
    }
    let hstrlen: Vec<_> = rows.iter().filter(|r| r.command == "HSTRLEN").collect();
    assert_eq!(hstrlen.len(), 2);
    for row in hstrlen {
        assert_eq!(row.support, Support::Yes);
        assert!(row.counts.failed > 0 && row.counts.passed > 0, "{row:?}");
    }
    let hset = rows.iter().find(|r| r.command == "HSET").unwrap();
    assert_eq!(
        (hset.support.clone(), hset.counts.failed),
        (Support::Yes, 0)
    );
    let table = capabilities::table(&rows);
    assert!(
        table.contains("HGETEX        RESP2: unsupported (unknown command); RESP3: unsupported (unknown command)"),
        "{table}"
    );
}
