//! What `hashcheck fuzz` does with the divergences it kept: prints each, shrinks it, writes
//! it as a case under `--out`, and runs the written cases on the engine and the server.

use std::path::PathBuf;

use anyhow::Context;
use reference_engine::{Protocol, Reply};

use crate::cases::report::{self, Style};
use crate::cases::runner::{self, Outcome, RunOptions, RunState};
use crate::fuzz::campaign::FuzzRequest;
use crate::fuzz::driver::{DiffConfig, DiffReport, Divergence};
use crate::fuzz::shrink::{Budget, Shrinker};
use crate::fuzz::written::{self, Provenance};
use crate::targets::{EmbeddedTarget, Target};

/// Every kept divergence as found, unshrunk: what a run that failed midway still shows.
pub(super) fn print_all(report: &DiffReport, prefix: &[u8]) {
    // What ran so far, then the cause: the divergences cannot be shrunk on a target
    // that failed, but they are not lost.
    let style = Style::for_stream(&std::io::stdout());
    for (n, d) in report.divergences.iter().enumerate() {
        println!();
        println!(
            "divergence {} of {}: {}",
            n + 1,
            report.divergences.len(),
            d.signature
        );
        print_divergence(d, prefix, style);
    }
}

/// Shrinks each kept divergence, prints it, and writes it as a case. Returns the files.
pub(super) fn shrink_and_write(
    target: &mut dyn Target,
    report: &DiffReport,
    config: &DiffConfig,
    provenance: &Provenance,
    request: &FuzzRequest,
    interrupted: bool,
) -> anyhow::Result<Vec<PathBuf>> {
    let style = Style::for_stream(&std::io::stdout());
    let mut written = Vec::new();
    // Two kinds can shrink to the same commands; one case is enough.
    let mut sequences: Vec<Vec<Vec<Vec<u8>>>> = Vec::new();
    let mut shrinker = Shrinker::new(target, config, provenance.seed, &provenance.key_prefix);
    shrinker.interrupted = Box::new(crate::interrupt::requested);
    let budget = Budget {
        time: request.shrink_time,
        ..Budget::default()
    };
    for (n, d) in report.divergences.iter().enumerate() {
        let repeats = report.kinds.get(&d.signature).copied().unwrap_or(1);
        println!();
        println!(
            "{}",
            style_bold(
                style,
                &format!(
                    "divergence {} of {} (seen {repeats}x, {}, RESP{}): {}",
                    n + 1,
                    report.divergences.len(),
                    d.class.label(),
                    d.protocol.version(),
                    d.signature
                )
            )
        );
        print_divergence(d, &provenance.key_prefix, style);
        if interrupted || crate::interrupt::requested() {
            continue;
        }
        // Replays speak the protocol the divergence was found in.
        crate::targets::switch_protocol(shrinker.target(), d.protocol)?;
        let shrunk = shrinker.shrink(d, &budget)?;
        if !shrunk.reproduced {
            println!(
                "  did not diverge again when its {} commands were replayed: not written",
                d.window.len()
            );
            continue;
        }
        println!(
            "  shrunk from {} to {} commands in {} replays{}:",
            d.window.len(),
            shrunk.commands.len(),
            shrunk.replays,
            if shrunk.exhausted {
                " (budget spent)"
            } else {
                ""
            }
        );
        for (sent, at) in shrunk.commands.iter().zip(&shrunk.offsets) {
            println!(
                "    +{at:>5} ms  {}",
                show(&sent.argv(), &provenance.key_prefix)
            );
        }
        let last = shrunk.divergence.as_ref().unwrap_or(d);
        print!(
            "{}",
            indent(&report::diff(
                &last.expected.to_string(),
                &last.actual.to_string(),
                style
            ))
        );
        let sequence: Vec<Vec<Vec<u8>>> = shrunk
            .commands
            .iter()
            .map(|s| crate::fuzz::shrink::with_key(&s.op, b"k").resolve(0))
            .collect();
        if sequences.contains(&sequence) {
            println!("  the same commands as an earlier case: not written again");
            continue;
        }
        sequences.push(sequence);
        let found_in = Provenance {
            protocol: d.protocol,
            ..provenance.clone()
        };
        let file = written::case_file(PathBuf::new(), &shrunk, d, &found_in);
        let stem = format!(
            "{} {} {} vs {}",
            provenance.identity,
            shrunk
                .commands
                .last()
                .map(|s| s.op.name())
                .unwrap_or_default(),
            gist(&last.expected),
            gist(&last.actual)
        );
        let path = written::write_new(&request.out, &stem, &file)
            .with_context(|| format!("writing a case under {}", request.out.display()))?;
        println!("  wrote {}", path.display());
        written.push(path);
    }
    Ok(written)
}

/// Runs each written case on the engine (must pass) and on the target (should fail), in
/// both protocols, and says so.
pub(super) fn verify(files: &[PathBuf], request: &FuzzRequest) {
    let state = RunState::new();
    let options = RunOptions {
        allow_debug: request.allow_debug,
        errors: request.errors,
        details: request.details,
        ..RunOptions::default()
    };
    for path in files {
        let file = match crate::cases::format::load(path) {
            Ok(f) => f,
            Err(e) => {
                println!("{}: does not load: {e}", path.display());
                continue;
            }
        };
        let mut verdicts = Vec::new();
        for protocol in [Protocol::Resp2, Protocol::Resp3] {
            let mut engine = EmbeddedTarget::new(protocol);
            let on_engine = runner::run_case(&mut engine, &file, 0, &state, &options).outcome;
            let on_target = match crate::targets::open_network(
                &request.target,
                Some(protocol),
                &request.connect,
            ) {
                Ok(mut t) => {
                    verdict(&runner::run_case(t.as_mut(), &file, 0, &state, &options).outcome)
                }
                Err(e) => format!("not run ({e})"),
            };
            verdicts.push(format!(
                "RESP{}: engine {}, target {on_target}",
                protocol.version(),
                verdict(&on_engine)
            ));
        }
        println!("{}: {}", path.display(), verdicts.join("; "));
    }
}

fn verdict(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Pass => "passes".into(),
        Outcome::Fail(_) => "fails".into(),
        Outcome::Skipped { reason } => format!("skipped ({reason})"),
        Outcome::Aborted { error, .. } => format!("aborted ({error})"),
    }
}

fn print_divergence(d: &Divergence, prefix: &[u8], style: Style) {
    println!(
        "  command #{} of the run, {} earlier on its key{}:",
        d.index,
        d.window.len().saturating_sub(1),
        if d.complete {
            ""
        } else {
            " (window truncated)"
        }
    );
    for argv in d.history.iter().rev().take(3).rev() {
        println!("    {}", show(argv, prefix));
    }
    println!("  > {}", show(&d.argv, prefix));
    print!(
        "{}",
        indent(&report::diff(
            &d.expected.to_string(),
            &d.actual.to_string(),
            style
        ))
    );
}

/// A reply in a few words, for file names: an error's text, else its kind.
fn gist(reply: &Reply) -> String {
    match reply {
        Reply::Error(e) => {
            let text = e.strip_prefix("ERR ").unwrap_or(e);
            text.split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ")
        }
        Reply::Integer(_) => "integer".into(),
        Reply::Bulk(_) => "bulk".into(),
        Reply::Null | Reply::NullArray => "null".into(),
        Reply::Array(_) => "array".into(),
        Reply::Map(_) => "map".into(),
        Reply::Set(_) => "set".into(),
        _ => "reply".into(),
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

fn style_bold(style: Style, text: &str) -> String {
    if style.color {
        format!("\x1b[1m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// A command as redis-cli would take it, keys without the run's prefix.
fn show(argv: &[Vec<u8>], prefix: &[u8]) -> String {
    argv.iter()
        .map(|a| crate::cases::format::display_word(a.strip_prefix(prefix).unwrap_or(a)))
        .collect::<Vec<_>>()
        .join(" ")
}
