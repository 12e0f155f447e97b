//! Loading case files: errors name the file, the line and what was expected; steps keep
//! their lines and the forms their arguments were written in.

use std::path::Path;

use hashcheck::cases::format::{self, Arg, Expect, Step};

use super::HEAD;

/// Loads `text` as `cases/x/y.yaml` and returns the error's text.
fn load_error(text: &str) -> String {
    format::load_str(Path::new("cases/x/y.yaml"), text)
        .err()
        .unwrap_or_else(|| panic!("loaded without error:\n{text}"))
        .to_string()
}

#[test]
fn loader_errors_name_file_line_and_what_was_expected() {
    // Line numbers: HEAD takes lines 1-5, so the first step is line 6.
    let table: &[(&str, &str)] = &[
        (
            "      - send: [HSET, h, f, v]\n        expect: 1\n      - send: HGET h f\n",
            "cases/x/y.yaml:8: expected a list of arguments after send:",
        ),
        (
            "      - send: [HINCRBYFLOAT, h, f, 1.5]\n",
            "cases/x/y.yaml:6: quote this argument: YAML reads 1.5 as a float",
        ),
        (
            "      - send: [HSET, h, f, true]\n",
            "cases/x/y.yaml:6: quote this argument: YAML reads it as a boolean",
        ),
        (
            "      - send: [HSET, h, f, null]\n",
            "cases/x/y.yaml:6: quote this argument: YAML reads it as null",
        ),
        (
            "      - send: [HSET, h, f, v]\n      - send: [HINCRBY, h, f, 0x10]\n",
            "cases/x/y.yaml:7: quote this scalar: YAML does not keep the spelling of 0x10",
        ),
        (
            "      - send: [HINCRBY, h, f, +5]\n",
            "cases/x/y.yaml:6: quote this scalar: YAML does not keep the spelling of +5",
        ),
        (
            "      - send: [HSET, h, f, 007]\n",
            "cases/x/y.yaml:6: quote this scalar: YAML does not keep the spelling of 007",
        ),
        (
            "      - send: [HINCRBYFLOAT, h, f, \"1.5\"]\n        expect: 1.5\n",
            "cases/x/y.yaml:7: 1.5 is not an integer reply: quote it",
        ),
        (
            "      - send: [HGET, h, f]\n        expect: {stauts: OK}\n",
            "cases/x/y.yaml:7: expected one of {status: ..}",
        ),
        (
            "      - send: [HGET, h, f]\n        expect: v\n        polcy: any\n",
            "cases/x/y.yaml:8: unknown key `polcy` in a send step",
        ),
        (
            "      - wait: 100\n        expect: 1\n",
            "cases/x/y.yaml:7: unknown key `expect` in a wait step",
        ),
        (
            "      - wait: soon\n",
            "cases/x/y.yaml:6: expected a number of milliseconds after wait:",
        ),
        (
            "      - send: [HSET, h, {hex: \"0g\"}, v]\n",
            "cases/x/y.yaml:6: expected pairs of hex digits after hex:",
        ),
        (
            "      - send: [HGET, h, f]\n        random: true\n",
            "cases/x/y.yaml:7: random: applies to HRANDFIELD only",
        ),
        (
            "      - send: [HGET, h, f]\n        order: sorted\n",
            "cases/x/y.yaml:7: expected `order: any` or `order: exact`",
        ),
        (
            "      - send: [HGET, h, f]\n        expect: {map: [[a]]}\n",
            "cases/x/y.yaml:7: expected [key, value] pairs after map:",
        ),
        (
            "      - send: []\n",
            "cases/x/y.yaml:6: expected a list of arguments after send:, not []",
        ),
        ("      - send: [HGET, h, f\n", "cases/x/y.yaml:"),
    ];
    for (steps, want) in table {
        let got = load_error(&format!("{HEAD}{steps}"));
        assert!(got.starts_with(want), "got:  {got}\nwant: {want}...");
    }
}

#[test]
fn loader_errors_about_files_and_cases() {
    let table: &[(&str, &str)] = &[
        ("behaviour: b\ncases: []\n", "cases/x/y.yaml:1: missing `source:`"),
        (
            "source: s\nbehaviour: b\nsince: 7.4\ncases: []\n",
            "cases/x/y.yaml:3: expected a quoted version after since:",
        ),
        (
            "source: s\nbehaviour: b\nsince: \"seven\"\ncases: []\n",
            "cases/x/y.yaml:3: expected a version like \"7.4.0\"",
        ),
        (
            "source: s\nbehaviour: b\ncases:\n  - name: c\n    steps: [{send: [PING]}]\n",
            "cases/x/y.yaml:5: found 1 steps but 0 lines starting `- send:` or `- wait:`",
        ),
        (
            "source: s\nbehaviour: b\ncases:\n  - steps:\n      - send: [PING]\n",
            "cases/x/y.yaml:3: found 1 cases but 0 lines starting `- name:`",
        ),
        (
            "source: s\nbehaviour: b\ncases:\n  - name: c\n    steps:\n      - send: [PING]\n  - name: c\n    steps:\n      - send: [PING]\n",
            "cases/x/y.yaml:7: a case named \"c\" already exists at line 4",
        ),
        (
            "source: s\nbehaviour: b\ncases:\n  - name: c\n    resp: [4]\n    steps:\n      - send: [PING]\n",
            "cases/x/y.yaml:5: expected resp: [2], [3] or [2, 3]",
        ),
        (
            "source: s\nbehaviour: b\ncases:\n  - name: c\n    requires: [clock]\n    steps:\n      - send: [PING]\n",
            "cases/x/y.yaml:5: unknown capability \"clock\"",
        ),
        (
            "source: s\nbehaviour: b\ncases:\n  - name: c\n    steps: []\n",
            "cases/x/y.yaml:5: a case needs at least one step",
        ),
        (
            "source: s\nbehaviour: b\ntags: [a]\nauthor: me\ncases: []\n",
            "cases/x/y.yaml:4: unknown key `author` at the top of a case file",
        ),
    ];
    for (text, want) in table {
        let got = load_error(text);
        assert!(got.starts_with(want), "got:  {got}\nwant: {want}...");
    }
}

#[test]
fn loaded_steps_keep_their_lines_and_forms() {
    let text = format!(
        "{HEAD}      - send: [HSET, h, \"a\\x00b\", {{hex: \"ff\"}}, 42]\n        expect: 1\n\n      # a comment\n      - wait: 10\n      - send: [HEXPIREAT, h, {{unix_s: 100}}, FIELDS, 1, f]\n        expect: {{resp2: [1], resp3: [{{int: 1}}]}}\n"
    );
    let file = format::load_str(Path::new("x.yaml"), &text).unwrap();
    let steps = &file.cases[0].steps;
    assert_eq!(
        steps.iter().map(Step::line).collect::<Vec<_>>(),
        vec![6, 10, 11]
    );
    let Step::Send(first) = &steps[0] else {
        panic!()
    };
    assert_eq!(
        first.args,
        vec![
            Arg::Bytes(b"HSET".to_vec()),
            Arg::Bytes(b"h".to_vec()),
            Arg::Bytes(b"a\0b".to_vec()),
            Arg::Bytes(vec![0xff]),
            Arg::Bytes(b"42".to_vec()),
        ]
    );
    let Step::Send(third) = &steps[2] else {
        panic!()
    };
    assert_eq!(third.args[2], Arg::UnixS(100));
    assert!(matches!(third.expect, Some(Expect::PerProtocol { .. })));
}
