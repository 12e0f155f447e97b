//! The case files end to end: loading (with file:line errors), writing back, running
//! against the embedded engine and a real Redis, the reports, and the `hashcheck run` binary.

use std::path::{Path, PathBuf};

use hashcheck::case;
use hashcheck::report::Style;
use hashcheck::runner::suite::{run_suite, SuiteOptions, TargetSpec};
use hashcheck::runner::RunOptions;
use reference_engine::Protocol;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_case_file_round_trips_through_the_writer() {
    let mut files = yaml_files(&workspace().join("cases"));
    files.extend(
        yaml_files(&workspace().join("harness/tests/fixtures"))
            .into_iter()
            .filter(|p| !p.to_string_lossy().contains("/bad/")),
    );
    assert!(!files.is_empty());
    for path in files {
        let first = case::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let text = case::write(&first);
        let second = case::load_str(&path, &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(
            second.without_lines(),
            first.without_lines(),
            "{}",
            path.display()
        );
        assert_eq!(case::write(&second), text, "{}", path.display());
    }
}

fn suite_options(target: TargetSpec) -> SuiteOptions {
    SuiteOptions {
        target,
        protocols: vec![Protocol::Resp2, Protocol::Resp3],
        jobs: 4,
        fail_fast: false,
        filter: None,
        run: RunOptions::default(),
    }
}

fn load_dir(dir: &Path) -> Vec<case::CaseFile> {
    yaml_files(dir)
        .iter()
        .map(|p| case::load(p).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[test]
fn the_cases_pass_on_the_embedded_engine() {
    let cases = workspace().join("cases");
    let files = load_dir(&cases);
    let report = run_suite(&files, &suite_options(TargetSpec::embedded())).unwrap();
    let text = hashcheck::report::suite(&report, &cases, Style::default());
    assert!(report.passed(), "{text}");
    assert!(report.steps().passed > 100, "{text}");
}
