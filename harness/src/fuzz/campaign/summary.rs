//! What a fuzz run prints about itself: per-command counts, coverage, protocols, classes.

use crate::fuzz::driver::DiffReport;
use crate::fuzz::gen::Swarm;

/// Per command: calls, error replies, and each option word with how often the command
/// then succeeded (`!` marks one that never did).
pub fn stats_table(report: &DiffReport, swarm: &Swarm) -> String {
    let mut out = format!(
        "{:<14} {:>8} ({:>8} {:>8}) {:>9}  options (sent/succeeded)\n",
        "command", "calls", "RESP2", "RESP3", "errors"
    );
    for (name, stats) in &report.per_command {
        let options: Vec<String> = stats
            .options
            .iter()
            .map(|(o, s)| {
                format!(
                    "{o} {}/{}{}",
                    s.calls,
                    s.ok,
                    if s.ok == 0 { "!" } else { "" }
                )
            })
            .collect();
        out.push_str(&format!(
            "{name:<14} {:>8} ({:>8} {:>8}) {:>9}  {}\n",
            stats.calls,
            stats.by_protocol[0],
            stats.by_protocol[1],
            stats.errors,
            options.join(", ")
        ));
    }
    let never: Vec<&str> = swarm
        .enabled
        .iter()
        .filter(|c| !report.per_command.contains_key(**c))
        .copied()
        .collect();
    if !never.is_empty() {
        out.push_str(&format!("never sent: {}\n", never.join(" ")));
    }
    out
}

/// The fuzz run's coverage map (see [`crate::coverage::Demand::Generated`]) over the
/// commands it could send: a count, then each entry it missed.
pub fn coverage_lines(report: &DiffReport, swarm: &Swarm) -> String {
    let demand = crate::coverage::Demand::Generated { key_paths: true };
    let gaps = fuzz_coverage_gaps(report, swarm, demand);
    let (all, met) = report.coverage.counts(demand);
    let mut out = format!(
        "coverage: {met} of {all} (command, keyword/value class/reply path/protocol) entries \
         met; {} gaps among the commands enabled\n",
        gaps.len()
    );
    for gap in gaps {
        out.push_str(&format!("  coverage gap: {gap}\n"));
    }
    out
}

/// The coverage gaps of a fuzz run among the commands `swarm` could send.
pub fn fuzz_coverage_gaps(
    report: &DiffReport,
    swarm: &Swarm,
    demand: crate::coverage::Demand,
) -> Vec<String> {
    report
        .coverage
        .gaps(demand)
        .into_iter()
        .filter(|gap| {
            let name = gap.split(' ').next().unwrap_or("");
            swarm.enabled.iter().any(|c| c.eq_ignore_ascii_case(name))
        })
        .collect()
}

/// Commands compared in each protocol (and why RESP3 had none, if the server refused it).
pub fn protocol_line(report: &DiffReport, resp3_refused: Option<&str>) -> String {
    let [two, three] = report.compared_by_protocol;
    let mut line = format!("compared per protocol: RESP2 {two}, RESP3 {three}");
    if let Some(why) = resp3_refused {
        line.push_str(&format!(" (RESP3 not available: {why})"));
    }
    line
}

/// Kinds of divergence per class, worst first: the order they are shrunk and written in.
pub fn class_line(report: &DiffReport) -> String {
    let counts = report.kinds_per_class();
    let parts: Vec<String> = crate::fuzz::driver::Class::ALL
        .iter()
        .zip(counts)
        .map(|(class, n)| format!("{} {n}", class.label()))
        .collect();
    format!("kinds per class: {}", parts.join(", "))
}
