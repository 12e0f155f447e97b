//! The engine's command table checked against Redis 8.2.3 itself. The table is the one place
//! a command's facts are written (arity, flags, ACL categories, tips, key specs, its
//! subcommands); the harness derives key prefixing, generators and policies from it. So the
//! facts are compared here with what the real server says, row by row, in both protocols,
//! and the table's hash commands must be exactly the server's `@hash` commands: no hand
//! count to keep up to date when a command is added.

use std::collections::BTreeSet;
use std::time::Duration;

use hashcheck::targets::{EmbeddedTarget, NetworkTarget, Target};
use reference_engine::command::{hash_command_names, COMMANDS};
use reference_engine::{Protocol, Reply};

use crate::support;
use crate::support::servers::{self, argv};

fn names(reply: Reply) -> BTreeSet<String> {
    let Reply::Array(items) = reply else {
        panic!("COMMAND LIST replied {reply:?}")
    };
    items
        .into_iter()
        .map(|r| match r {
            Reply::Bulk(b) => String::from_utf8(b).unwrap(),
            Reply::Simple(s) => s,
            other => panic!("a command name, got {other:?}"),
        })
        .collect()
}

/// A COMMAND INFO entry with its subcommands in name order: Redis lists a container's
/// subcommands in its internal dict order, which is not a fact about them.
fn normalised(reply: Reply) -> Reply {
    match reply {
        Reply::Array(mut entries) if entries.len() == 1 => match entries.remove(0) {
            Reply::Array(mut fields) if fields.len() == 10 => {
                if let Reply::Array(subs) = &mut fields[9] {
                    subs.sort_by_key(|s| format!("{s:?}"));
                }
                Reply::Array(vec![Reply::Array(fields)])
            }
            other => Reply::Array(vec![other]),
        },
        other => other,
    }
}

#[test]
fn the_command_table_says_what_redis_8_2_says() {
    let _turn = support::light();
    let redis = servers::redis();
    let table_hash: BTreeSet<String> = hash_command_names().map(str::to_string).collect();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let mut server =
            NetworkTarget::connect(&redis.addr(), Some(protocol), Duration::from_secs(5)).unwrap();
        let mut engine = EmbeddedTarget::new(protocol);
        let listed = server
            .call(&argv(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "hash"]))
            .unwrap();
        assert_eq!(
            names(listed),
            table_hash,
            "the table's hash commands ({protocol:?})"
        );
        for spec in COMMANDS {
            let info = argv(&["COMMAND", "INFO", spec.name]);
            let want = normalised(server.call(&info).unwrap());
            let got = normalised(engine.call(&info).unwrap());
            assert_eq!(got, want, "COMMAND INFO {} ({protocol:?})", spec.name);
        }
    }
}
