//! Planted servers: the reference engine behind `hashcheck serve`'s socket code, with one
//! planted bug or one legal variant each, to measure what hashcheck finds and what it
//! wrongly fails. Built only as a cargo example (`cargo test` builds it; the `hashcheck`
//! binary and the engine carry none of it):
//!
//!   cargo run -p harness --example planted -- --list          # name, kind, what
//!   cargo run -p harness --example planted -- NAME...          # serve these (default: all)
//!
//! Serving, it prints `NAME 127.0.0.1:PORT` for each (each on its own free port, with its
//! own engine), then `ready`, and serves until killed. Every plant reports a
//! `redis_version` and no `hashcheck_version` in INFO, as a proxy in front of Redis would.
//! `all-legal` is every legal variant at once. scripts/planted-bugs.sh and
//! harness/tests/it/planted.rs read the list from `--list`, so it has one home: bugs.rs and
//! legal.rs.

mod bugs;
mod legal;
mod plant;

use std::io::Write;
use std::sync::Arc;

use hashcheck::serve::Server;
use plant::{Mutation, Planted};
use reference_engine::{Engine, SystemClock};

/// A plant by name: its kind and mutations.
fn plants() -> Vec<(&'static str, &'static str, &'static str, Vec<Mutation>)> {
    let mut all: Vec<_> = bugs::BUGS
        .iter()
        .map(|b| (b.name, "bug", b.what, vec![b.mutation]))
        .collect();
    for v in legal::VARIANTS {
        let kind = if v.strict_blind.is_some() {
            "legal-strict-blind"
        } else {
            "legal"
        };
        all.push((v.name, kind, v.what, vec![v.mutation]));
    }
    all.push((
        "all-legal",
        "legal",
        "every legal variant at once",
        legal::VARIANTS.iter().map(|v| v.mutation).collect(),
    ));
    all
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let plants = plants();
    if args.iter().any(|a| a == "--list") {
        for (name, kind, what, _) in &plants {
            println!("{name} {kind} {what}");
        }
        return;
    }
    if let Some(unknown) = args
        .iter()
        .find(|a| !plants.iter().any(|p| p.0 == a.as_str()))
    {
        eprintln!("planted: no plant named {unknown:?} (see --list)");
        std::process::exit(2);
    }
    let mut threads = Vec::new();
    let stdout = std::io::stdout();
    for (name, _, _, mutations) in plants {
        if !args.is_empty() && !args.iter().any(|a| a == name) {
            continue;
        }
        let engine = Engine::with_seed(Arc::new(SystemClock), 1);
        let server = Server::bind("127.0.0.1:0", Planted::new(engine, mutations))
            .unwrap_or_else(|e| panic!("planted: cannot listen: {e}"));
        writeln!(stdout.lock(), "{name} {}", server.local_addr().unwrap()).unwrap();
        threads.push(std::thread::spawn(move || server.run()));
    }
    writeln!(stdout.lock(), "ready").unwrap();
    stdout.lock().flush().unwrap();
    for t in threads {
        let _ = t.join();
    }
}
