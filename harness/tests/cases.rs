//! The case files end to end: loading (with file:line errors), writing back, running
//! against the embedded engine and a real Redis, the reports, `--bless`, and the exit codes
//! of the `hashcheck run` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use hashcheck::cases::format::{self, Arg, Expect, Step};
use hashcheck::cases::report::{self, Style};
use hashcheck::cases::runner::suite::{run_suite, SuiteOptions, SuiteReport, TargetSpec};
use hashcheck::cases::runner::{run_case, Details, Outcome, RunOptions, RunState};
use hashcheck::cmd::run::{execute, RunRequest};
use hashcheck::compare::ErrorMatch;
use hashcheck::process::start_redis_8_2;
use hashcheck::targets::{ClockKind, EmbeddedTarget, ServerIdentity, Target, TargetError};
use proptest::prelude::*;
use reference_engine::{Protocol, Reply};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    hashcheck::cmd::run::case_files(dir).unwrap()
}

fn load_dir(dir: &Path) -> Vec<format::CaseFile> {
    yaml_files(dir)
        .iter()
        .map(|p| format::load(p).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn suite_options(target: TargetSpec) -> SuiteOptions {
    SuiteOptions {
        target,
        protocols: vec![Protocol::Resp2, Protocol::Resp3],
        jobs: 4,
        fail_fast: false,
        filter: None,
        run: RunOptions::default(),
        allow_nonempty: false,
    }
}

fn run_dir(dir: &Path, options: &SuiteOptions) -> (SuiteReport, String) {
    let report = run_suite(&load_dir(dir), options).unwrap();
    let text = report::suite(&report, dir, Style::default());
    (report, text)
}

// ---------------------------------------------------------------------------------------
// Loading

/// Loads `text` as `cases/x/y.yaml` and returns the error's text.
fn load_error(text: &str) -> String {
    format::load_str(Path::new("cases/x/y.yaml"), text)
        .err()
        .unwrap_or_else(|| panic!("loaded without error:\n{text}"))
        .to_string()
}

const HEAD: &str = "source: https://redis.io/docs/latest/commands/hset/\nbehaviour: b\ncases:\n  - name: c\n    steps:\n";

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

// ---------------------------------------------------------------------------------------
// Writing

#[test]
fn every_case_file_round_trips_through_the_writer() {
    let mut files = yaml_files(&workspace().join("cases"));
    for dir in ["good", "planted"] {
        files.extend(yaml_files(&fixtures().join(dir)));
    }
    assert!(files.len() > 10);
    for path in files {
        let first = format::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let text = format::write(&first);
        let second = format::load_str(&path, &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(
            second.without_lines(),
            first.without_lines(),
            "{}",
            path.display()
        );
        assert_eq!(format::write(&second), text, "{}", path.display());
    }
}

fn file_with(args: Vec<Arg>, expect: Expect) -> format::CaseFile {
    let text = format!("{HEAD}      - send: [PING]\n");
    let mut file = format::load_str(Path::new("p.yaml"), &text).unwrap();
    let Step::Send(send) = &mut file.cases[0].steps[0] else {
        panic!()
    };
    send.args = args;
    send.expect = Some(expect);
    file
}

proptest! {
    /// Whatever bytes an argument or a bulk reply holds, the writer spells them so that
    /// the loader reads the same bytes back.
    #[test]
    fn any_bytes_survive_write_and_load(
        arg in proptest::collection::vec(any::<u8>(), 0..12),
        text in "\\PC{0,12}",
        ascii in "[ -~]{0,12}",
    ) {
        let file = file_with(
            vec![
                Arg::Bytes(b"HSET".to_vec()),
                Arg::Bytes(arg.clone()),
                Arg::Bytes(text.clone().into_bytes()),
                Arg::Bytes(ascii.clone().into_bytes()),
            ],
            Expect::Array(vec![
                Expect::Bulk(arg),
                Expect::Bulk(text.into_bytes()),
                Expect::Bulk(ascii.clone().into_bytes()),
                Expect::Status(ascii.clone()),
                Expect::Error(ascii),
            ]),
        );
        let written = format::write(&file);
        let back = format::load_str(Path::new("p.yaml"), &written)
            .unwrap_or_else(|e| panic!("{e}\n{written}"));
        prop_assert_eq!(back.without_lines(), file.without_lines(), "{}", written);
    }
}

// ---------------------------------------------------------------------------------------
// Running on the engine

#[test]
fn the_cases_pass_on_the_embedded_engine() {
    let (report, text) = run_dir(
        &workspace().join("cases"),
        &suite_options(TargetSpec::embedded()),
    );
    assert!(report.passed(), "{text}");
    assert!(report.steps().passed > 400, "{text}");
}

#[test]
fn the_good_fixtures_pass_on_the_engine() {
    let (report, text) = run_dir(
        &fixtures().join("good"),
        &suite_options(TargetSpec::embedded()),
    );
    assert!(report.passed(), "{text}");
    assert_eq!(report.steps().failed, 0);
    // The RESP3-only case ran once.
    assert_eq!(
        report
            .cases
            .iter()
            .filter(|c| c.case == "RESP3 only")
            .count(),
        1
    );
}

#[test]
fn planted_bugs_are_caught_with_readable_diffs() {
    let (report, text) = run_dir(
        &fixtures().join("planted"),
        &suite_options(TargetSpec::embedded()),
    );
    assert!(!report.passed());
    assert_eq!(report.steps().failed, 6, "{text}");
    for want in [
        // A value swapped between two fields, in both protocols (pairs aligned by field).
        "swapped-pairs.yaml:8: HGETALL h\n  case \"swapped values\", RESP2 on embedded: different field/value pairs (order ignored)\n  -expected\n  +actual\n   1) \"name\"\n  -2) \"Paris\"\n  +2) \"Alice\"\n   3) \"city\"\n  -4) \"Alice\"\n  +4) \"Paris\"\n",
        "  -1# \"name\" => \"Paris\"\n  -2# \"city\" => \"Alice\"\n  +1# \"name\" => \"Alice\"\n  +2# \"city\" => \"Paris\"\n",
        // An error text that is not Redis's.
        "wrong-error.yaml:8: HINCRBY h f notanumber\n  case \"wrong error text\", RESP3 on embedded: different error\n  -expected\n  +actual\n  -(error) ERR value is not a number\n  +(error) ERR value is not an integer or out of range\n",
        // Null where Redis replies with an empty array.
        "null-not-empty.yaml:6: HKEYS nokey\n  case \"missing key\", RESP2 on embedded: replies differ\n  -expected\n  +actual\n  -(nil)\n  +(empty array)\n",
        "cases: 0 passed, 6 failed, 0 skipped; steps: 4 passed, 6 failed, 0 skipped",
    ] {
        assert!(text.contains(want), "missing:\n{want}\nin:\n{text}");
    }
}

#[test]
fn error_strictness_can_be_relaxed_for_a_run() {
    let mut options = suite_options(TargetSpec::embedded());
    options.run.errors = ErrorMatch::Code;
    options.filter = Some(hashcheck::cases::runner::suite::Filter::new(
        "*wrong-error*",
    ));
    let (report, text) = run_dir(&fixtures().join("planted"), &options);
    assert!(report.passed(), "{text}");
    assert_eq!(report.cases.len(), 2);
}

#[test]
fn fail_fast_stops_handing_out_cases() {
    let mut options = suite_options(TargetSpec::embedded());
    options.jobs = 1;
    options.fail_fast = true;
    let (report, text) = run_dir(&fixtures().join("planted"), &options);
    assert!(report.stopped_early, "{text}");
    assert_eq!(report.cases.len(), 1, "{text}");
    assert!(text.contains("stopped after the first failing case (--fail-fast)"));
}

/// The engine behind a different identity, failing or lacking chosen commands, and
/// recording what it was sent.
struct Fake {
    inner: EmbeddedTarget,
    identity: ServerIdentity,
    unknown: &'static str,
    broken: &'static str,
    sent: Vec<Vec<Vec<u8>>>,
}

impl Fake {
    fn new(product: &str, version: &str) -> Self {
        Self {
            inner: EmbeddedTarget::new(Protocol::Resp2),
            identity: ServerIdentity {
                product: product.into(),
                version: version.into(),
                redis_version: Some(version.into()),
            },
            unknown: "",
            broken: "",
            sent: Vec::new(),
        }
    }
}

impl Target for Fake {
    fn name(&self) -> &str {
        "fake"
    }
    fn protocol(&self) -> Protocol {
        self.inner.protocol()
    }
    fn identity(&self) -> &ServerIdentity {
        &self.identity
    }
    fn clock(&self) -> ClockKind {
        ClockKind::Virtual
    }
    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        self.sent.push(argv.to_vec());
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_uppercase();
        if name == self.broken {
            return Err(TargetError::Io {
                target: "fake".into(),
                reason: "connection reset".into(),
            });
        }
        if name == self.unknown {
            return Ok(Reply::Error(format!(
                "ERR unknown command '{name}', with args beginning with: "
            )));
        }
        self.inner.call(argv)
    }
    fn advance_clock(&mut self, ms: u64) -> Result<(), TargetError> {
        self.inner.advance_clock(ms)
    }
    fn now_ms(&mut self) -> Result<i64, TargetError> {
        self.inner.now_ms()
    }
}

fn basics() -> format::CaseFile {
    format::load(&fixtures().join("good/basics.yaml")).unwrap()
}

fn case_index(file: &format::CaseFile, name: &str) -> usize {
    file.cases.iter().position(|c| c.name == name).unwrap()
}

#[test]
fn keys_are_prefixed_per_case_and_deleted_afterwards() {
    let file = basics();
    let state = RunState::with_id("t");
    let mut fake = Fake::new("hashcheck", "8.2.3");
    let first = run_case(&mut fake, &file, 0, &state, &RunOptions::default());
    assert_eq!(first.outcome, Outcome::Pass);
    let second = run_case(
        &mut fake,
        &file,
        case_index(&file, "time passes"),
        &state,
        &RunOptions::default(),
    );
    assert_eq!(second.outcome, Outcome::Pass);
    let keys: Vec<&[u8]> = fake
        .sent
        .iter()
        .filter(|a| a[0] == b"HSET")
        .map(|a| a[1].as_slice())
        .collect();
    assert_eq!(keys, vec![&b"hc:t:0:h"[..], b"hc:t:0:h", b"hc:t:1:h"]);
    // The DEL after each case names exactly the keys the case used.
    let dels: Vec<&Vec<Vec<u8>>> = fake.sent.iter().filter(|a| a[0] == b"DEL").collect();
    assert_eq!(dels.len(), 2);
    assert_eq!(
        dels[0][1..],
        [b"hc:t:0:h".to_vec(), b"hc:t:0:nokey".to_vec()]
    );
    assert_eq!(fake.call(&[b"DBSIZE".to_vec()]).unwrap(), Reply::Integer(0));
    assert!(!fake
        .sent
        .iter()
        .any(|a| a[0].eq_ignore_ascii_case(b"FLUSHDB") || a[0].eq_ignore_ascii_case(b"FLUSHALL")));
}

#[test]
fn old_versions_and_unknown_commands_skip_as_unsupported() {
    let file = basics();
    let options = RunOptions::default();
    let state = RunState::new();
    let mut old = Fake::new("redis", "7.0.15");
    let report = run_case(&mut old, &file, 0, &state, &options);
    assert_eq!(
        report.outcome,
        Outcome::Skipped {
            reason: "unsupported: needs Redis 7.4.0, target has 7.0.15".into()
        }
    );
    assert!(old.sent.is_empty());
    assert_eq!(report.steps.skipped, 11);
    // Another product is not gated by its redis_version; a missing command shows instead.
    let mut other = Fake::new("valkey", "7.2.4");
    other.unknown = "HPEXPIRE";
    let i = case_index(&file, "time passes");
    let report = run_case(&mut other, &file, i, &state, &options);
    let Outcome::Skipped { reason } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(
        reason.starts_with("unsupported: HPEXPIRE h 100 FIELDS 1 a: ERR unknown command"),
        "{reason}"
    );
    assert_eq!((report.steps.passed, report.steps.skipped), (1, 6));
}

#[test]
fn lazy_expiry_needs_allow_debug_on_a_server() {
    let text = format!("{HEAD}      - send: [HSET, h, f, v]\n        expect: 1\n").replace(
        "  - name: c\n",
        "  - name: c\n    requires: [lazy-expiry]\n",
    );
    let file = format::load_str(Path::new("l.yaml"), &text).unwrap();
    let state = RunState::new();
    let mut server = Fake::new("redis", "8.2.3");
    let report = run_case(&mut server, &file, 0, &state, &RunOptions::default());
    let Outcome::Skipped { reason } = &report.outcome else {
        panic!()
    };
    assert!(reason.contains("--allow-debug"), "{reason}");
    let allow = RunOptions {
        allow_debug: true,
        ..RunOptions::default()
    };
    let report = run_case(&mut server, &file, 0, &state, &allow);
    // The engine has no DEBUG, so freezing fails and the case says why.
    let Outcome::Skipped { reason } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(
        reason.contains("DEBUG SET-ACTIVE-EXPIRE 0 failed"),
        "{reason}"
    );
    // The reference engine never reclaims in the background: no DEBUG needed.
    let mut engine = Fake::new("hashcheck", "8.2.3");
    let report = run_case(&mut engine, &file, 0, &state, &RunOptions::default());
    assert_eq!(report.outcome, Outcome::Pass);
    assert!(!engine.sent.iter().any(|a| a[0] == b"DEBUG"));
}

#[test]
fn a_broken_connection_stops_the_case_naming_the_step() {
    let file = basics();
    let mut fake = Fake::new("hashcheck", "8.2.3");
    fake.broken = "HINCRBY";
    let report = run_case(
        &mut fake,
        &file,
        0,
        &RunState::new(),
        &RunOptions::default(),
    );
    let Outcome::Aborted {
        at,
        command,
        error,
        failures,
    } = &report.outcome
    else {
        panic!("{:?}", report.outcome)
    };
    assert_eq!(
        at.to_string(),
        format!("{}:25", fixtures().join("good/basics.yaml").display())
    );
    assert_eq!(command, "HINCRBY h f1 1");
    assert!(error.contains("connection reset"));
    assert!(failures.is_empty());
    assert_eq!((report.steps.passed, report.steps.failed), (7, 0));
    let text = report::case(&report, &fixtures(), Style::default());
    assert!(
        text.contains("good/basics.yaml:25: HINCRBY h f1 1\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "target failed: fake: connection failed: connection reset; the case stopped here"
        ),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// The binary

fn hashcheck(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hashcheck"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn exit_codes_of_hashcheck_run() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ok = hashcheck(&["run", "tests/fixtures/good"], here);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}{}",
        text(&ok.stdout),
        text(&ok.stderr)
    );
    assert!(
        text(&ok.stdout).contains("cases: 13 passed, 0 failed, 0 skipped"),
        "{}",
        text(&ok.stdout)
    );

    let failed = hashcheck(&["run", "tests/fixtures/planted"], here);
    assert_eq!(failed.status.code(), Some(1));
    let out = text(&failed.stdout);
    assert!(
        out.contains("tests/fixtures/planted/null-not-empty.yaml:6: HKEYS nokey\n"),
        "{out}"
    );
    assert!(!out.contains('\x1b'), "no colour when not a terminal");

    let bad = hashcheck(&["run", "tests/fixtures/bad"], here);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        text(&bad.stderr),
        "hashcheck: tests/fixtures/bad/send-not-a-list.yaml:8: expected a list of arguments after send:\n"
    );
    assert!(bad.stdout.is_empty(), "nothing runs when a file is bad");

    // A port bound and closed again: nobody listens there.
    let addr = format!("127.0.0.1:{}", hashcheck::process::free_port().unwrap());
    let unreachable = hashcheck(&["run", "tests/fixtures/good", "--target", &addr], here);
    assert_eq!(unreachable.status.code(), Some(2));
    let err = text(&unreachable.stderr);
    assert!(
        err.starts_with(&format!("hashcheck: cannot connect to {addr}")),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let bless = hashcheck(&["run", "tests/fixtures/planted", "--bless"], here);
    assert_eq!(bless.status.code(), Some(2));
    assert!(text(&bless.stderr).contains("the embedded engine must not become its own oracle"));

    let missing = hashcheck(&["run", "tests/fixtures/nothing-here"], here);
    assert_eq!(missing.status.code(), Some(2));

    let none = hashcheck(
        &["run", "tests/fixtures/good", "--filter", "no such case"],
        here,
    );
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("no case matched the filter"));
}

#[test]
fn the_default_path_is_the_cases_directory_above() {
    let root = std::env::temp_dir().join(format!("hashcheck-default-{}", std::process::id()));
    let nested = root.join("work/deep");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::create_dir_all(root.join("work/cases/hkeys")).unwrap();
    std::fs::copy(
        fixtures().join("planted/null-not-empty.yaml"),
        root.join("work/cases/hkeys/x.yaml"),
    )
    .unwrap();
    let out = hashcheck(&["run"], &nested);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("cases/hkeys/x.yaml:6: HKEYS nokey"));
    let out = hashcheck(&["run"], &root);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no cases/ directory"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&root).unwrap();
}

// ---------------------------------------------------------------------------------------
// Against Redis 8.2.3

#[test]
fn the_cases_pass_on_redis_8_2_quickly_and_leave_no_keys() {
    let Some(server) = start_redis_8_2().unwrap() else {
        return;
    };
    let mut options = suite_options(TargetSpec::new(server.addr()));
    options.jobs = 16;
    options.run.allow_debug = true;
    // The project's own Redis: its choices are checked too, so the cases stay exact.
    options.run.details = Details::Strict;
    let started = Instant::now();
    let (report, text) = run_dir(&workspace().join("cases"), &options);
    let elapsed = started.elapsed();
    assert!(report.passed(), "{text}");
    assert_eq!(report.steps().skipped, 0, "{text}");
    eprintln!("{}", report::summary(&report, Style::default()));
    // Waiting cases overlap; serially the waits alone take far longer than this.
    assert!(elapsed.as_secs_f64() < 10.0, "took {elapsed:?}");
    let mut client = TargetSpec::new(server.addr())
        .open(Protocol::Resp2)
        .unwrap();
    assert_eq!(
        client.call(&[b"DBSIZE".to_vec()]).unwrap(),
        Reply::Integer(0)
    );
    // Active expiry is on again after the lazy-expiry cases.
    let info = client
        .call(&[
            b"DEBUG".to_vec(),
            b"SET-ACTIVE-EXPIRE".to_vec(),
            b"1".to_vec(),
        ])
        .unwrap();
    assert_eq!(info, Reply::ok());
}

#[test]
fn bless_rewrites_failing_expectations_from_redis() {
    let Some(server) = start_redis_8_2().unwrap() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("hashcheck-bless-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "swapped-pairs.yaml",
        "wrong-error.yaml",
        "null-not-empty.yaml",
    ] {
        std::fs::copy(fixtures().join("planted").join(name), dir.join(name)).unwrap();
    }
    std::fs::copy(fixtures().join("good/basics.yaml"), dir.join("basics.yaml")).unwrap();
    let request = RunRequest {
        paths: vec![dir.clone()],
        target: Some(server.addr()),
        protocols: vec![Protocol::Resp2, Protocol::Resp3],
        filter: None,
        fail_fast: false,
        jobs: Some(4),
        bless: true,
        allow_debug: false,
        errors: ErrorMatch::Exact,
        details: Details::Strict,
        ..RunRequest::default()
    };
    assert!(execute(&request).unwrap());
    // Only the expect: line changes; comments and layout stay.
    let swapped = std::fs::read_to_string(dir.join("swapped-pairs.yaml")).unwrap();
    let original = std::fs::read_to_string(fixtures().join("planted/swapped-pairs.yaml")).unwrap();
    assert_eq!(
        swapped,
        original.replace(
            "expect: {map: [[name, Paris], [city, Alice]]}",
            "expect: {map: [[name, Alice], [city, Paris]]}"
        )
    );
    let error = std::fs::read_to_string(dir.join("wrong-error.yaml")).unwrap();
    assert!(
        error.contains("expect: {error: \"ERR value is not an integer or out of range\"}"),
        "{error}"
    );
    let null = std::fs::read_to_string(dir.join("null-not-empty.yaml")).unwrap();
    assert!(null.contains("expect: []"), "{null}");
    // A file that passed is left exactly as it was, comments and all.
    let basics = std::fs::read_to_string(dir.join("basics.yaml")).unwrap();
    assert_eq!(
        basics,
        std::fs::read_to_string(fixtures().join("good/basics.yaml")).unwrap()
    );
    // Now everything passes.
    let again = RunRequest {
        bless: false,
        ..request
    };
    assert!(execute(&again).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_binary_passes_on_redis_8_2() {
    let Some(server) = start_redis_8_2().unwrap() else {
        return;
    };
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = hashcheck(
        &[
            "run",
            "tests/fixtures/good",
            "--target",
            &server.addr(),
            "--details",
            "strict",
        ],
        here,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("= redis 8.2.3"));
}
