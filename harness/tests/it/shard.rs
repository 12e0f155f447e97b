//! Split work put back together: `run --partition I/N` + `merge` gives the report of one
//! run, and fuzz runs on disjoint `--lanes-from` of one seed merge to one case per kind of
//! divergence.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::support::{self, all, hashcheck_in, servers, text};

/// The workspace's cases plus three planted failures, in one `cases/` under a scratch
/// directory (the runs use it as their default), so a split run's order is the unsplit one's.
fn suite_with_failures() -> PathBuf {
    let root = support::temp_dir("shard");
    copy_dir(&support::workspace().join("cases"), &root.join("cases"));
    copy_dir(
        &support::fixtures().join("planted"),
        &root.join("cases/planted"),
    );
    // One planted failure is known: the merge must apply the baseline as a run does.
    std::fs::write(
        root.join("baseline.yaml"),
        "version: 1\nknown:\n  - case: wrong error text\n    reason: planted\n",
    )
    .unwrap();
    root
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

/// The JSON report without what differs between any two runs (times, run ids, the share).
fn comparable(stdout: &[u8]) -> Value {
    let mut doc: Value = serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}):\n{}", text(stdout));
    });
    let run = doc["run"].as_object_mut().unwrap();
    for field in ["elapsed_ms", "key_prefix", "partition"] {
        run.remove(field);
    }
    doc
}

/// Each `<testcase>` as `classname / name: outcome`, in the file's order.
fn junit_tests(path: &Path) -> Vec<String> {
    let xml = std::fs::read_to_string(path).unwrap();
    let attr = |tag: &str, name: &str| -> String {
        let start = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        tag[start..][..tag[start..].find('"').unwrap()].to_string()
    };
    let mut tests = Vec::new();
    for (i, _) in xml.match_indices("<testcase ") {
        let tag = &xml[i..][..xml[i..].find('>').unwrap()];
        let body_end = xml[i..].find("</testcase>").unwrap_or(tag.len());
        let body = &xml[i..][..body_end];
        let outcome = ["<failure", "<error", "<skipped"]
            .iter()
            .find(|t| body.contains(*t))
            .unwrap_or(&"pass");
        tests.push(format!(
            "{} / {}: {outcome}",
            attr(tag, "classname"),
            attr(tag, "name")
        ));
    }
    tests
}

fn summary_line(output: &Output) -> String {
    let stdout = text(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("cases: "))
        .unwrap_or_else(|| panic!("no summary\n{}", all(output)));
    // Without the elapsed time at its end.
    line[..line.rfind(", ").unwrap()].to_string()
}

#[test]
fn a_run_split_four_ways_and_merged_is_the_unsplit_run() {
    let _turn = support::light();
    let root = suite_with_failures();
    let run = |args: &[&str]| hashcheck_in(&root, args);

    let whole = run(&[
        "run",
        "--format",
        "json",
        "--junit",
        "whole.xml",
        "--baseline",
        "baseline.yaml",
    ]);
    // Two planted failures are not in the baseline.
    support::assert_exit(&whole, 1);
    let whole_text = run(&["run", "--baseline", "baseline.yaml"]);

    let mut shares = Vec::new();
    let mut total = 0;
    for i in 1..=4 {
        let name = format!("share-{i}.json");
        let share = run(&["run", "--partition", &format!("{i}/4"), "--format", "json"]);
        assert!(
            matches!(share.status.code(), Some(0 | 1)),
            "{}",
            all(&share)
        );
        let doc: Value = serde_json::from_slice(&share.stdout).unwrap();
        assert_eq!(doc["run"]["partition"], format!("{i}/4"));
        let cases = doc["cases"].as_array().unwrap().len();
        assert!(cases > 0, "share {i} is empty");
        total += cases;
        std::fs::write(root.join(&name), &share.stdout).unwrap();
        shares.push(name);
    }
    let whole_doc = comparable(&whole.stdout);
    assert_eq!(total, whole_doc["cases"].as_array().unwrap().len());

    let merge = |extra: &[&str]| {
        let mut args = vec!["merge"];
        args.extend(shares.iter().map(String::as_str));
        args.extend(extra);
        run(&args)
    };
    let merged = merge(&[
        "--format",
        "json",
        "--junit",
        "merged.xml",
        "--baseline",
        "baseline.yaml",
    ]);
    support::assert_exit(&merged, 1);
    let merged_doc = comparable(&merged.stdout);
    // Every case's status, reason, steps and failures; the counts per command and in all;
    // the baseline's known and fixed entries.
    assert_eq!(merged_doc["summary"], whole_doc["summary"]);
    assert_eq!(merged_doc["summary"]["cases"]["failed"], 4, "{merged_doc}");
    assert_eq!(merged_doc["summary"]["cases"]["known"], 2, "{merged_doc}");
    assert_eq!(merged_doc["commands"], whole_doc["commands"]);
    assert_eq!(merged_doc["cases"], whole_doc["cases"]);
    assert_eq!(merged_doc, whole_doc);

    let whole_tests = junit_tests(&root.join("whole.xml"));
    assert!(whole_tests.len() > 500, "{}", whole_tests.len());
    assert!(whole_tests.iter().any(|t| t.ends_with(": <failure")));
    assert_eq!(junit_tests(&root.join("merged.xml")), whole_tests);

    let merged_text = merge(&["--baseline", "baseline.yaml"]);
    support::assert_exit(&merged_text, 1);
    assert_eq!(summary_line(&merged_text), summary_line(&whole_text));
    // Without the baseline, the known failures fail too; the exit code still says so.
    support::assert_exit(&merge(&[]), 1);
}

#[test]
fn merging_what_is_not_one_run_is_exit_2_with_one_line() {
    let _turn = support::light();
    let root = suite_with_failures();
    let run = |args: &[&str]| hashcheck_in(&root, args);
    for i in 1..=3 {
        let share = run(&["run", "--partition", &format!("{i}/3"), "--format", "json"]);
        std::fs::write(root.join(format!("{i}.json")), &share.stdout).unwrap();
    }
    let refused = |args: &[&str], why: &str| {
        let out = run(&[&["merge"], args].concat());
        support::assert_exit(&out, 2);
        let err = text(&out.stderr);
        assert!(err.contains(why), "{why}: {}", all(&out));
        assert_eq!(err.lines().count(), 1, "{err}");
    };
    refused(&["1.json", "2.json"], "partition 3/3 missing");
    refused(
        &["1.json", "2.json", "3.json", "2.json"],
        "partition 2/3 twice",
    );
    // Another server's share.
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("3.json")).unwrap()).unwrap();
    doc["target"]["product"] = "valkey".into();
    std::fs::write(root.join("valkey.json"), doc.to_string()).unwrap();
    refused(
        &["1.json", "2.json", "valkey.json"],
        "mix different servers",
    );
    // The same case runs twice, without partitions to tell.
    let whole = run(&["run", "--format", "json"]);
    std::fs::write(root.join("whole.json"), &whole.stdout).unwrap();
    refused(&["whole.json", "whole.json"], "the reports overlap");
    refused(&["1.json", "whole.json"], "is not a partition");
    refused(&["baseline.yaml"], "not a hashcheck JSON report");
    refused(&["1.json", "cases"], "not both");
    let bad = run(&["run", "--partition", "5/4"]);
    support::assert_exit(&bad, 2);
    assert!(text(&bad.stderr).contains("is not a partition like 2/4"));
    // A share that holds no case (a tiny suite split many ways) is a job with nothing to
    // do, not a failure.
    let tiny = hashcheck_in(
        &root,
        &[
            "run",
            "cases/planted/wrong-error.yaml",
            "--partition",
            "1/1000",
        ],
    );
    let other = hashcheck_in(
        &root,
        &[
            "run",
            "cases/planted/wrong-error.yaml",
            "--partition",
            "2/1000",
        ],
    );
    let empty = [&tiny, &other]
        .into_iter()
        .find(|o| text(&o.stderr).contains("no case falls in this partition"))
        .unwrap_or_else(|| panic!("one share of 1000 holds the one case\n{}", all(&tiny)));
    support::assert_exit(empty, 0);
}

/// The `# Signature:` lines of the cases in `dir`.
fn signatures(dir: &Path) -> Vec<String> {
    let mut kinds: Vec<String> = hashcheck::cmd::run::case_files(dir)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let file = hashcheck::cases::format::load(p).unwrap();
            file.header
                .iter()
                .find_map(|l| l.strip_prefix(hashcheck::fuzz::written::SIGNATURE))
                .unwrap_or_else(|| panic!("{} names no signature", p.display()))
                .to_string()
        })
        .collect();
    kinds.sort();
    kinds
}

#[test]
fn machines_on_disjoint_lanes_of_one_seed_merge_to_one_case_per_kind() {
    let _turn = support::light();
    let valkey = servers::valkey();
    let root = support::temp_dir("lanes-merge");
    let mut dirs = Vec::new();
    let mut calls = Vec::new();
    for lane in ["0", "1"] {
        let dir = root.join(format!("machine-{lane}"));
        let output = support::hashcheck(&[
            "fuzz",
            "--target",
            &valkey.addr(),
            "--seed",
            "5",
            "--lanes-from",
            lane,
            "--ops",
            "8000",
            "--commands",
            "HSETEX,HSET,HTTL",
            "--max-cases",
            "2",
            "--resp",
            "3",
            "--out",
            dir.to_str().unwrap(),
        ]);
        support::assert_exit(&output, 1);
        if lane == "1" {
            assert!(
                text(&output.stderr).contains("lanes 1..=1 of seed 5"),
                "{}",
                all(&output)
            );
            let case = &hashcheck::cmd::run::case_files(&dir).unwrap()[0];
            let header = std::fs::read_to_string(case).unwrap();
            assert!(header.contains("--lanes-from 1"), "{header}");
        }
        calls.push(
            text(&output.stdout)
                .lines()
                .find(|l| l.starts_with("HSET "))
                .map(str::to_string),
        );
        dirs.push(dir);
    }
    // Different lanes send different commands.
    assert_ne!(calls[0], calls[1]);
    let merged_dir = root.join("merged");
    let args: Vec<&str> = ["merge", "--out", merged_dir.to_str().unwrap()]
        .into_iter()
        .chain(dirs.iter().map(|d| d.to_str().unwrap()))
        .collect();
    let merged = support::hashcheck(&args);
    support::assert_exit(&merged, 1);
    let mut union: Vec<String> = dirs.iter().flat_map(|d| signatures(d)).collect();
    let found = union.len();
    union.sort();
    union.dedup();
    assert_eq!(signatures(&merged_dir), union, "{}", all(&merged));
    assert!(
        text(&merged.stdout).contains(&format!(
            "{found} cases from 2 directories: {} kinds of divergence",
            union.len()
        )),
        "{}",
        all(&merged)
    );
    let _ = std::fs::remove_dir_all(&root);
}
