//! `hashcheck coverage`: the coverage map of the case files (see [`crate::coverage`]).

use std::path::PathBuf;

use crate::cmd::run::load_cases;
use crate::coverage::cases::cover;
use crate::coverage::Demand;

/// `hashcheck coverage`: maps the cases under `paths` (default `cases/`) and prints the map.
/// Returns whether it is full; a bad path or case file is an error.
pub fn execute(paths: &[PathBuf], gaps_only: bool) -> anyhow::Result<bool> {
    let cwd = std::env::current_dir()?;
    let files = load_cases(paths, &cwd)?;
    let covered = cover(&files);
    let demand = Demand::EveryEntryBothProtocols;
    if gaps_only {
        for gap in covered.map.gaps(demand) {
            println!("unexercised: {gap}");
        }
    } else {
        print!("{}", covered.map.render(demand));
    }
    let (all, met) = covered.map.counts(demand);
    println!(
        "{} case runs on the embedded engine; {met} of {all} entries exercised in both protocols",
        covered.runs
    );
    for case in &covered.not_passed {
        println!("not counted (failed on the engine): {case}");
    }
    Ok(covered.map.gaps(demand).is_empty() && covered.not_passed.is_empty())
}
