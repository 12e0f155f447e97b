use super::*;
use crate::compare::Mismatch;
use crate::fuzz::gen::Op;

fn sent(op: Op, at: i64) -> Sent {
    Sent {
        op,
        resolved_at: at,
        sent_at: at,
        done_at: at + 1,
    }
}

fn provenance() -> Provenance {
    Provenance {
        seed: 42,
        target: "127.0.0.1:7261".into(),
        identity: ServerIdentity::from_info("redis_version:7.2.4\nvalkey_version:9.1.2\n"),
        protocol: Protocol::Resp3,
        key_prefix: b"hc:fz:1:".to_vec(),
        rerun: "hashcheck fuzz --target 127.0.0.1:7261 --seed 42 --resp 3".into(),
        errors: ErrorMatch::Exact,
    }
}

#[test]
fn a_reproduction_round_trips_through_the_loader() {
    let mut expire = Op::words(&[
        b"HPEXPIRE",
        b"hc:fz:1:k2",
        b"300",
        b"FIELDS",
        b"1",
        b"f\x00\xff",
    ]);
    expire.deadline_in_ms = Some(300);
    let commands = vec![
        sent(
            Op::words(&[b"HSET", b"hc:fz:1:k2", b"f\x00\xff", b"", b"g", b"1.5"]),
            1_000,
        ),
        sent(
            Op {
                args: vec![
                    gen::Arg::Bytes(b"HEXPIREAT".to_vec()),
                    gen::Arg::Bytes(b"hc:fz:1:k2".to_vec()),
                    gen::Arg::UnixSecsFromNow(1_000_000_000),
                    gen::Arg::Bytes(b"FIELDS".to_vec()),
                    gen::Arg::Bytes(b"1".to_vec()),
                    gen::Arg::Bytes(b"g".to_vec()),
                ],
                deadline_in_ms: None,
            },
            1_000,
        ),
        sent(expire, 1_000),
        sent(
            Op::words(&[b"HEXPIRETIME", b"hc:fz:1:k2", b"FIELDS", b"1", b"g"]),
            1_000,
        ),
        sent(Op::words(&[b"HLEN", b"hc:fz:1:k2"]), 2_000),
    ];
    let offsets = crate::fuzz::driver::rerun::schedule(&commands, 40);
    let divergence = Divergence {
        index: 7,
        argv: commands[4].argv(),
        expected: Reply::Integer(2),
        actual: Reply::Integer(1),
        mismatch: Mismatch {
            reason: "replies differ".into(),
        },
        history: Vec::new(),
        key: Some(b"hc:fz:1:k2".to_vec()),
        window: commands.clone(),
        complete: true,
        policy: Policy::Exact,
        signature: String::new(),
        class: crate::fuzz::driver::Class::WrongValue,
        protocol: Protocol::Resp3,
    };
    let shrunk = Shrunk {
        commands,
        offsets,
        divergence: None,
        reproduced: true,
        replays: 12,
        exhausted: false,
    };
    let file = case_file(PathBuf::new(), &shrunk, &divergence, &provenance());
    let dir = std::env::temp_dir().join(format!("hashcheck-repro-{}", std::process::id()));
    let path = write_new(&dir, "valkey 9.1.2 HLEN replies differ", &file).unwrap();
    assert!(
        path.ends_with("valkey-9.1.2-hlen-replies-differ.yaml"),
        "{path:?}"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let back = format::load(&path).unwrap();
    let second = write_new(&dir, "valkey 9.1.2 HLEN replies differ", &file).unwrap();
    assert!(second.ends_with("valkey-9.1.2-hlen-replies-differ-2.yaml"));
    std::fs::remove_dir_all(&dir).unwrap();

    assert!(
        text.starts_with("# Found by `hashcheck fuzz` against valkey 9.1.2 (redis_version 7.2.4)"),
        "{text}"
    );
    assert!(text.contains("seed 42"), "{text}");
    let case = &back.cases[0];
    assert_eq!(case.requires, vec![Capability::LazyExpiry], "{text}");
    // The key lost the run's prefix; the wait comes before HLEN only.
    let sends: Vec<&Send> = case
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Send(send) => Some(send),
            Step::Wait { .. } => None,
        })
        .collect();
    assert_eq!(sends[0].args[1], Arg::Bytes(b"k2".to_vec()));
    assert_eq!(sends[1].args[2], Arg::UnixS(1_000_000));
    assert!(
        matches!(case.steps[4], Step::Wait { ms, .. } if ms >= 300),
        "{text}"
    );
    // The engine's replies: HLEN still counts the expired field (lazy expiry), and the
    // relative deadline reads back relative.
    assert_eq!(sends[4].expect, Some(Expect::Int(2)), "{text}");
    assert_eq!(
        sends[3].expect,
        Some(Expect::Array(vec![Expect::UnixS(1_000_000)])),
        "{text}"
    );
    // Running the written case on the engine passes.
    let state = crate::cases::runner::RunState::new();
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let mut engine = EmbeddedTarget::new(protocol);
        let report =
            crate::cases::runner::run_case(&mut engine, &back, 0, &state, &Default::default());
        assert_eq!(
            report.outcome,
            crate::cases::runner::Outcome::Pass,
            "{protocol:?}: {text}"
        );
    }
}

fn ran(now: i64, reply: Vec<i64>, millis: Option<Vec<i64>>) -> Ran {
    let ints = |v: Vec<i64>| Reply::Array(v.into_iter().map(Reply::Integer).collect());
    Ran {
        reply: ints(reply),
        now,
        millis: millis.map(ints),
    }
}

#[test]
fn times_are_written_in_the_form_that_reads_the_same_on_another_clock() {
    // HEXPIRETIME of: a literal deadline, one whole second set by {unix_s: 100}, one
    // 1500 ms away, and a missing field.
    let a = ran(
        10_250,
        vec![70_368_744_178, 111, 12, -2],
        Some(vec![70_368_744_177_663, 111_000, 11_750, -2]),
    );
    let b = ran(
        11_750,
        vec![70_368_744_178, 112, 14, -2],
        Some(vec![70_368_744_177_663, 112_000, 13_250, -2]),
    );
    assert_eq!(
        time_shape("HEXPIRETIME", &a, Some(&b)),
        (
            Some(Expect::Array(vec![
                Expect::Int(70_368_744_178),
                Expect::UnixS(100),
                Expect::UnixMsInS(1_500),
                Expect::Int(-2),
            ])),
            true
        )
    );
    // HTTL of 1500 ms left keeps the milliseconds.
    let a = ran(10_250, vec![2], Some(vec![1_500]));
    let b = ran(11_750, vec![2], Some(vec![1_500]));
    assert_eq!(
        time_shape("HTTL", &a, Some(&b)),
        (Some(Expect::Array(vec![Expect::MsInS(1_500)])), true)
    );
    // HPTTL of a deadline set in whole seconds moves with the clock's phase: no form
    // holds, and the step is told so.
    let a = ran(10_250, vec![100_750], None);
    let b = ran(11_750, vec![100_250], None);
    assert_eq!(
        time_shape("HPTTL", &a, Some(&b)),
        (Some(Expect::Array(vec![Expect::Int(100_750)])), false)
    );
    assert_eq!(time_shape("HLEN", &a, Some(&b)), (None, true));
}

#[test]
fn a_written_hexpiretime_after_hpexpire_holds_at_any_phase() {
    let text = "source: test\nbehaviour: test\ncases:\n  - name: phase\n    steps:\n      \
                - send: [HSET, h, a, \"1\"]\n      \
                - send: [HPEXPIRE, h, 1500, FIELDS, 1, a]\n      \
                - send: [HEXPIRETIME, h, FIELDS, 1, a]\n        ttl_within: 0\n";
    let mut file = format::load_str(Path::new("phase.yaml"), text).unwrap();
    fill_expectations(&mut file.cases[0].steps);
    let Step::Send(last) = &file.cases[0].steps[2] else {
        unreachable!()
    };
    assert_eq!(
        last.expect,
        Some(Expect::Array(vec![Expect::UnixMsInS(1_500)]))
    );
    assert_eq!(last.ttl_within, Some(0));
    // On an engine whose clock stands anywhere in its second, the case passes. (With
    // the whole seconds alone, `{unix_s: 2}`, it failed about half the time.)
    let state = crate::cases::runner::RunState::new();
    for phase in [0, 1, 499, 500, 501, 999] {
        let clock = ManualClock::new(1_800_000_000_000 + phase);
        let mut engine = EmbeddedTarget::with_clock(Protocol::Resp3, clock, None);
        let report =
            crate::cases::runner::run_case(&mut engine, &file, 0, &state, &Default::default());
        assert_eq!(
            report.outcome,
            crate::cases::runner::Outcome::Pass,
            "phase {phase}"
        );
    }
}
