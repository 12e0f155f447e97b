//! `hashcheck run` as a process: its exit codes, and where it looks for cases by default.

use crate::support::{self, hashcheck, hashcheck_in, servers, text};

#[test]
fn exit_codes_of_hashcheck_run() {
    let _turn = support::light();
    let ok = hashcheck(&["run", "tests/fixtures/good"]);
    support::assert_exit(&ok, 0);
    assert!(
        text(&ok.stdout).contains("cases: 13 passed, 0 failed, 0 skipped"),
        "{}",
        text(&ok.stdout)
    );

    let failed = hashcheck(&["run", "tests/fixtures/planted"]);
    assert_eq!(failed.status.code(), Some(1));
    let out = text(&failed.stdout);
    assert!(
        out.contains("tests/fixtures/planted/null-not-empty.yaml:6: HKEYS nokey\n"),
        "{out}"
    );
    assert!(!out.contains('\x1b'), "no colour when not a terminal");

    let bad = hashcheck(&["run", "tests/fixtures/bad"]);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        text(&bad.stderr),
        "hashcheck: tests/fixtures/bad/send-not-a-list.yaml:8: expected a list of arguments after send:\n"
    );
    assert!(bad.stdout.is_empty(), "nothing runs when a file is bad");

    let addr = servers::closed_addr();
    let unreachable = hashcheck(&["run", "tests/fixtures/good", "--target", &addr]);
    assert_eq!(unreachable.status.code(), Some(2));
    let err = text(&unreachable.stderr);
    assert!(
        err.starts_with(&format!("hashcheck: cannot connect to {addr}")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let bless = hashcheck(&["run", "tests/fixtures/planted", "--bless"]);
    assert_eq!(bless.status.code(), Some(2));
    assert!(text(&bless.stderr).contains("the embedded engine must not become its own oracle"));

    let missing = hashcheck(&["run", "tests/fixtures/nothing-here"]);
    assert_eq!(missing.status.code(), Some(2));

    let none = hashcheck(&["run", "tests/fixtures/good", "--filter", "no such case"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("no case matched the filter"));
}

#[test]
fn the_default_path_is_the_cases_directory_above() {
    let _turn = support::light();
    let root = support::temp_dir("default");
    let nested = root.join("work/deep");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::create_dir_all(root.join("work/cases/hkeys")).unwrap();
    std::fs::copy(
        support::fixtures().join("planted/null-not-empty.yaml"),
        root.join("work/cases/hkeys/x.yaml"),
    )
    .unwrap();
    let out = hashcheck_in(&nested, &["run"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("cases/hkeys/x.yaml:6: HKEYS nokey"));
    let out = hashcheck_in(&root, &["run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no cases/ directory"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&root).unwrap();
}
