//! `hashcheck serve`'s background expiry, from the outside, next to Redis 8.2.3 doing the
//! same: a field whose TTL passes goes without anyone touching it, INFO stats counts it,
//! and `DEBUG SET-ACTIVE-EXPIRE 0` stops it.

use std::thread;
use std::time::{Duration, Instant};

use hashcheck::process::ServerProcess;
use hashcheck::targets::{NetworkTarget, Target};
use reference_engine::{Protocol, Reply};

use crate::support::{self, servers};

/// A field of INFO stats, as a number.
fn stat(addr: &str, name: &str) -> u64 {
    let info = match servers::call(addr, &["INFO", "stats"]) {
        Reply::Bulk(b) => String::from_utf8(b).unwrap(),
        other => panic!("INFO stats replied {other:?}"),
    };
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in\n{info}"))
        .trim()
        .parse()
        .unwrap()
}

fn int(n: i64) -> Reply {
    Reply::Integer(n)
}

/// HLEN of `key` once it is `want`, polling for up to `within`; what it was last otherwise.
/// HLEN counts expired fields and reclaims nothing, so polling it leaves the field alone.
fn hlen_within(addr: &str, key: &str, want: i64, within: Duration) -> Reply {
    let deadline = Instant::now() + within;
    loop {
        let got = servers::call(addr, &["HLEN", key]);
        if got == int(want) || Instant::now() >= deadline {
            return got;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// The scenario on one server: expiry on reclaims in ~1 s, expiry off does not.
fn background_expiry(server: &ServerProcess, who: &str) {
    let addr = server.addr();
    assert_eq!(
        servers::call(&addr, &["CONFIG", "RESETSTAT"]),
        Reply::ok(),
        "{who}"
    );
    assert_eq!(
        servers::call(&addr, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]),
        Reply::ok()
    );
    servers::call(&addr, &["HSET", "bg", "short", "1", "keep", "2"]);
    servers::call(&addr, &["HSET", "gone", "only", "1"]);
    servers::call(&addr, &["HPEXPIRE", "bg", "50", "FIELDS", "1", "short"]);
    servers::call(&addr, &["HPEXPIRE", "gone", "50", "FIELDS", "1", "only"]);
    assert_eq!(servers::call(&addr, &["HLEN", "bg"]), int(2), "{who}");
    assert_eq!(
        hlen_within(&addr, "bg", 1, Duration::from_secs(1)),
        int(1),
        "{who}: the expired field was not reclaimed in the background within 1 s"
    );
    assert_eq!(
        hlen_within(&addr, "gone", 0, Duration::from_secs(1)),
        int(0),
        "{who}"
    );
    assert_eq!(servers::call(&addr, &["EXISTS", "gone"]), int(0), "{who}");
    assert_eq!(stat(&addr, "expired_subkeys"), 2, "{who}");
    assert_eq!(
        stat(&addr, "expired_keys"),
        0,
        "{who}: an emptied hash is not one"
    );

    // Switched off: the next field stays, counted by HLEN, until it is switched on again.
    assert_eq!(
        servers::call(&addr, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]),
        Reply::ok()
    );
    servers::call(&addr, &["HPEXPIRE", "bg", "50", "FIELDS", "1", "keep"]);
    thread::sleep(Duration::from_millis(600));
    assert_eq!(
        servers::call(&addr, &["HLEN", "bg"]),
        int(1),
        "{who}: expiry is off"
    );
    assert_eq!(stat(&addr, "expired_subkeys"), 2, "{who}");
    servers::call(&addr, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    assert_eq!(
        hlen_within(&addr, "bg", 0, Duration::from_secs(1)),
        int(0),
        "{who}: switched on again"
    );
    assert_eq!(stat(&addr, "expired_subkeys"), 3, "{who}");
    assert_eq!(servers::call(&addr, &["CONFIG", "RESETSTAT"]), Reply::ok());
    assert_eq!(stat(&addr, "expired_subkeys"), 0, "{who}");
}

#[test]
fn serve_reclaims_expired_fields_in_the_background_as_redis_does() {
    let _turn = support::light();
    background_expiry(&servers::serve(&[]), "hashcheck serve");
    background_expiry(&servers::redis(), "Redis 8.2.3");
}

/// A client that keeps the engine busy with fields expiring all the time does not stop
/// another from being served, and serve survives the cycle under that load.
#[test]
fn the_cycle_under_load_leaves_other_clients_served() {
    let _turn = support::light();
    let server = servers::serve(&[]);
    let addr = server.addr();
    let mut lines = Vec::new();
    for i in 0..2_000 {
        lines.push(vec![
            "HSET".to_string(),
            format!("load:{}", i % 200),
            format!("f{i}"),
            "v".to_string(),
        ]);
        lines.push(vec![
            "HPEXPIRE".to_string(),
            format!("load:{}", i % 200),
            "1".to_string(),
            "FIELDS".to_string(),
            "1".to_string(),
            format!("f{i}"),
        ]);
    }
    let mut loader =
        NetworkTarget::connect(&addr, Some(Protocol::Resp2), Duration::from_secs(5)).unwrap();
    for line in &lines {
        let words: Vec<&str> = line.iter().map(String::as_str).collect();
        loader.call(&servers::argv(&words)).unwrap();
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(2);
    loop {
        assert_eq!(
            servers::call(&addr, &["PING"]),
            Reply::Simple("PONG".into())
        );
        if servers::call(&addr, &["DBSIZE"]) == int(0) || Instant::now() > deadline {
            break;
        }
    }
    assert_eq!(
        servers::call(&addr, &["DBSIZE"]),
        int(0),
        "every key emptied in the background"
    );
    assert_eq!(stat(&addr, "expired_subkeys"), 2_000);
}
