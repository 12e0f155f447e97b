//! The reports of one run (JSON, JUnit valid against the XSD CI servers read, Markdown),
//! and baselines of known differences.

use std::process::Command;

use hashcheck::cases::baseline;

use crate::support::{self, hashcheck, text};

#[test]
fn junit_json_and_markdown_from_one_run() {
    let _turn = support::light();
    let dir = support::temp_dir("reports");
    let junit = dir.join("junit.xml");
    let markdown = dir.join("matrix.md");
    let out = hashcheck(&[
        "run",
        "tests/fixtures/planted",
        "tests/fixtures/good",
        "--format",
        "json",
        "--junit",
        junit.to_str().unwrap(),
        "--markdown",
        markdown.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "hashcheck-report");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["summary"]["passed"], false);
    assert_eq!(doc["target"]["product"], "hashcheck");
    // The embedded engine is checked on Redis's own choices, and the report says so.
    assert_eq!(doc["run"]["details"], "strict");
    let cases = doc["cases"].as_array().unwrap();
    let failed: Vec<&serde_json::Value> = cases.iter().filter(|c| c["status"] == "fail").collect();
    assert_eq!(
        failed.len() as u64,
        doc["summary"]["cases"]["failed"].as_u64().unwrap()
    );
    let null = failed
        .iter()
        .find(|c| c["file"] == "tests/fixtures/planted/null-not-empty.yaml")
        .unwrap();
    assert_eq!(null["failures"][0]["command"], "HKEYS nokey");
    assert_eq!(null["failures"][0]["expected"], "(nil)");
    assert_eq!(null["failures"][0]["actual"], "(empty array)");
    assert!(doc["commands"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["command"] == "HKEYS" && c["supported"] == "yes" && c["cases"]["failed"] == 1));

    // JUnit: valid against the schema CI servers read, with the failures in it.
    let xsd = support::here().join("tests/fixtures/junit.xsd");
    let lint = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(&junit)
        .output()
        .expect("xmllint is needed (apt-get install libxml2-utils; scripts/test.sh does)");
    assert!(lint.status.success(), "{}", text(&lint.stderr));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(&format!("failures=\"{}\"", failed.len())),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\"HKEYS nokey: "), "{xml}");
    assert!(
        xml.contains("<property name=\"details\" value=\"strict\"/>"),
        "{xml}"
    );

    // The schema is not a rubber stamp: a count that is not a number fails it.
    let broken = dir.join("broken.xml");
    std::fs::write(&broken, xml.replacen("tests=\"", "tests=\"x", 1)).unwrap();
    let lint = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(&broken)
        .output()
        .unwrap();
    assert!(!lint.status.success());

    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(md.contains("| Command | hashcheck "), "{md}");
    assert!(md.contains("), details strict."), "{md}");
    assert!(md.contains("| HKEYS | ❌ "), "{md}");
    assert!(
        md.contains("planted/null-not-empty.yaml:4` missing key, RESP2+RESP3: `HKEYS nokey`"),
        "{md}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_baseline_lets_known_differences_pass_and_reports_fixed_entries() {
    let _turn = support::light();
    let dir = support::temp_dir("baseline");
    let written = dir.join("known.yaml");
    let out = hashcheck(&[
        "run",
        "tests/fixtures/planted",
        "--write-baseline",
        written.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let b = baseline::load(&written).unwrap();
    assert!(!b.known.is_empty());
    assert_eq!(b.known.len(), 3, "{b:?}");
    assert!(
        b.known.iter().all(|e| e
            .file
            .as_deref()
            .unwrap()
            .starts_with("tests/fixtures/planted/")
            && e.case.is_some()
            && e.protocol.is_none()),
        "{b:?}"
    );
    // With it, the same failures are known: exit 0.
    let out = hashcheck(&[
        "run",
        "tests/fixtures/planted",
        "--baseline",
        written.to_str().unwrap(),
    ]);
    support::assert_exit(&out, 0);
    assert!(
        text(&out.stdout).contains("known difference: "),
        "{}",
        text(&out.stdout)
    );

    // A new difference still fails; an entry whose case passes is reported as fixed.
    let json = dir.join("partial.json");
    std::fs::write(
        &json,
        r#"{"version": 1, "known": [
            {"file": "planted/null-not-empty.yaml", "reason": "nil vs empty", "link": "https://example.invalid/1"},
            {"file": "good/basics.yaml", "case": "plain replies", "reason": "fixed since"}
        ]}"#,
    )
    .unwrap();
    let out = hashcheck(&[
        "run",
        "tests/fixtures/planted",
        "tests/fixtures/good",
        "--baseline",
        json.to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("known difference: tests/fixtures/planted/null-not-empty.yaml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("planted/swapped-pairs.yaml:8: HGETALL h"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "baseline entry now passes, remove it: good/basics.yaml: plain replies (fixed since)"
        ),
        "{stdout}"
    );
    // A baseline that would cover everything is refused.
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "version: 1\nknown:\n  - reason: everything\n").unwrap();
    let out = hashcheck(&[
        "run",
        "tests/fixtures/good",
        "--baseline",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("names no command, file or case"));
    std::fs::remove_dir_all(&dir).unwrap();
}
