//! `cargo bench -p harness --bench load`: how long loading a case file takes, and how much
//! memory, as the file grows; and how fast a deeply nested file is refused.
//!
//! Not a test: it prints figures and asserts nothing about speed. The goal (issue 15) is a
//! 50 MB file in under 5 s and 500 MB. Each size is loaded in a child process of its own
//! (this binary again), so its peak resident memory (VmHWM) is that load's alone. Sizes in
//! MB come from `HASHCHECK_BENCH_LOAD_MB` (default `1,8,50`).

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use hashcheck::cases::format;

// The allocator the hashcheck binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Set in the child: the size to load, in MB (or `deep`).
const CHILD: &str = "HASHCHECK_BENCH_LOAD_CHILD";

fn main() -> ExitCode {
    if let Ok(what) = std::env::var(CHILD) {
        return child(&what);
    }
    let sizes = std::env::var("HASHCHECK_BENCH_LOAD_MB").unwrap_or_else(|_| "1,8,50".into());
    println!("hashcheck case loading benchmark (goal: 50 MB in < 5 s and < 500 MB)");
    println!(
        "{:>10} {:>9} {:>9} {:>10} {:>12} {:>12}",
        "file", "cases", "steps", "load s", "MB/s", "peak RSS MB"
    );
    let exe = std::env::current_exe().expect("own path");
    for what in sizes.split(',').map(str::trim).chain(["deep"]) {
        let out = Command::new(&exe).env(CHILD, what).output();
        match out {
            Ok(out) if out.status.success() => print!("{}", String::from_utf8_lossy(&out.stdout)),
            Ok(out) => {
                eprintln!("bench: {what}: {}", String::from_utf8_lossy(&out.stderr));
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("bench: cannot run myself: {e}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}

fn child(what: &str) -> ExitCode {
    let (label, text) = match what {
        "deep" => ("deep 200KB".to_string(), deep(200 << 10)),
        mb => match mb.parse::<usize>() {
            Ok(mb) => (format!("{mb} MB"), cases(mb << 20)),
            Err(_) => {
                eprintln!("not a size in MB: {mb}");
                return ExitCode::from(2);
            }
        },
    };
    let started = Instant::now();
    let loaded = format::load_str(Path::new("bench.yaml"), &text);
    let secs = started.elapsed().as_secs_f64();
    let (cases, steps) = match &loaded {
        Ok(file) => (
            file.cases.len(),
            file.cases.iter().map(|c| c.steps.len()).sum::<usize>(),
        ),
        Err(e) if what == "deep" => {
            eprintln!("  deep file refused: {e}");
            (0, 0)
        }
        Err(e) => {
            eprintln!("{label}: does not load: {e}");
            return ExitCode::from(2);
        }
    };
    let mb = text.len() as f64 / (1 << 20) as f64;
    println!(
        "{label:>10} {cases:>9} {steps:>9} {secs:>10.3} {:>12.1} {:>12.1}",
        mb / secs,
        peak_rss_mb()
    );
    ExitCode::SUCCESS
}

/// A case file of about `bytes`, made of cases like the ones under cases/: a few steps each,
/// flow-style arguments, expectations of several forms, a note now and then.
fn cases(bytes: usize) -> String {
    let mut text = String::from(
        "# generated for the load benchmark\nsource: https://redis.io/docs/latest/commands/hset/\n\
         behaviour: many cases\ntags: [bench]\ncases:\n",
    );
    let mut n = 0;
    while text.len() < bytes {
        text.push_str(&format!(
            "  - name: case {n}\n    steps:\n      - send: [HSET, h{n}, f1, Hello, f2, \"5\"]\n        expect: 2\n      - send: [HGET, h{n}, f1]\n        expect: Hello\n      - send: [HMGET, h{n}, f2, nofield]\n        expect: [\"5\", null]\n      - send: [HGETALL, h{n}]\n        expect: {{map: [[f1, Hello], [f2, \"5\"]]}}\n        note: order-free by default\n      - send: [HINCRBY, h{n}, f1, 1]\n        expect: {{error: \"ERR hash value is not an integer\"}}\n"
        ));
        n += 1;
    }
    text
}

/// About `bytes` of flow sequences nested inside each other, in a step's expectation.
fn deep(bytes: usize) -> String {
    let depth = bytes / 2;
    format!(
        "source: s\nbehaviour: b\ncases:\n  - name: deep\n    steps:\n      - send: [HGET, h, f]\n        expect: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// This process's peak resident memory, from /proc (0 where there is none).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}
