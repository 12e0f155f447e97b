//! The flags as clap reads them: units, defaults, conflicts and help.

use std::path::PathBuf;

use clap::CommandFactory;
use reference_engine::Protocol;

use super::*;

#[test]
fn every_duration_flag_reads_the_same_units() {
    assert_eq!(
        parse_duration("60s"),
        Ok(std::time::Duration::from_secs(60))
    );
    assert_eq!(
        parse_duration("10m"),
        Ok(std::time::Duration::from_secs(600))
    );
    assert_eq!(
        parse_duration("1h"),
        Ok(std::time::Duration::from_secs(3_600))
    );
    assert_eq!(
        parse_duration("500ms"),
        Ok(std::time::Duration::from_millis(500))
    );
    assert_eq!(
        parse_duration("2.5"),
        Ok(std::time::Duration::from_millis(2_500))
    );
    assert!(parse_duration("soon").is_err());
    assert!(parse_duration("0s").is_err());
    assert!(parse_duration("8d").is_err());
    assert!(parse_duration("169h").is_err());
}

#[test]
fn sizes() {
    assert_eq!(parse_size("512mb"), Ok(512 << 20));
    assert_eq!(parse_size("64KB"), Ok(64 << 10));
    assert_eq!(parse_size("2gb"), Ok(2 << 30));
    assert_eq!(parse_size("4096"), Ok(4096));
    assert!(parse_size("100").is_err());
    assert!(parse_size("1x").is_err());
    assert!(parse_size("-1mb").is_err());
    let cli = Cli::try_parse_from(["hashcheck", "fuzz", "--target", "h:1"]).unwrap();
    let Command::Fuzz(args) = cli.command else {
        panic!("not fuzz")
    };
    assert_eq!(
        args.connection.max_reply,
        crate::targets::wire::DEFAULT_MAX_REPLY
    );
}

#[test]
fn flags_are_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn replay_flags() {
    let cli = Cli::try_parse_from(["hashcheck", "replay", "crash-1"]).unwrap();
    let Command::Replay(args) = cli.command else {
        panic!("not replay")
    };
    assert_eq!(
        (args.file, args.out, args.target),
        ("crash-1".into(), None, None)
    );
    let cli = Cli::try_parse_from([
        "hashcheck",
        "replay",
        "a",
        "--out",
        "c.yaml",
        "--target",
        "differential",
    ])
    .unwrap();
    let Command::Replay(args) = cli.command else {
        panic!("not replay")
    };
    assert_eq!(args.out, Some(PathBuf::from("c.yaml")));
    assert_eq!(args.target, Some(FuzzTargetChoice::Differential));
    assert!(Cli::try_parse_from(["hashcheck", "replay"]).is_err());
}

#[test]
fn serve_defaults_and_flags() {
    let cli = Cli::try_parse_from(["hashcheck", "serve"]).unwrap();
    let Command::Serve(args) = cli.command else {
        panic!("not serve")
    };
    assert_eq!(
        (args.bind.as_str(), args.port, args.seed),
        ("127.0.0.1", 6380, None)
    );
    let cli = Cli::try_parse_from(["hashcheck", "serve", "--port", "0", "--seed", "9"]).unwrap();
    let Command::Serve(args) = cli.command else {
        panic!("not serve")
    };
    assert_eq!((args.port, args.seed), (0, Some(9)));
    let err = Cli::try_parse_from(["hashcheck", "serve", "--port", "x"]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn run_defaults_and_flags() {
    let cli = Cli::try_parse_from(["hashcheck", "run"]).unwrap();
    let Command::Run(args) = cli.command else {
        panic!("not run")
    };
    assert!(args.paths.is_empty());
    assert_eq!(args.resp, RespChoice::Both);
    assert_eq!(args.errors, ErrorsChoice::Exact);
    assert!(!args.bless && !args.fail_fast && !args.allow_debug);
    let cli = Cli::try_parse_from([
        "hashcheck",
        "run",
        "cases/hset",
        "--target",
        "127.0.0.1:6379",
        "--resp",
        "3",
        "--filter",
        "hset/*",
        "--jobs",
        "3",
        "--errors",
        "code",
        "--fail-fast",
    ])
    .unwrap();
    let Command::Run(args) = cli.command else {
        panic!("not run")
    };
    assert_eq!(args.paths, vec![PathBuf::from("cases/hset")]);
    assert_eq!(args.resp.protocols(), vec![Protocol::Resp3]);
    assert_eq!((args.jobs, args.errors), (Some(3), ErrorsChoice::Code));
    assert!(Cli::try_parse_from(["hashcheck", "run", "--resp", "4"]).is_err());
    assert!(Cli::try_parse_from(["hashcheck", "run", "--jobs", "0"]).is_err());
}

#[test]
fn fuzz_defaults_and_flags() {
    let cli = Cli::try_parse_from(["hashcheck", "fuzz", "--target", "127.0.0.1:6379"]).unwrap();
    let Command::Fuzz(args) = cli.command else {
        panic!("not fuzz")
    };
    assert_eq!((args.seed, args.ops, args.duration), (None, None, None));
    // Both protocols and legal details unless told otherwise.
    assert_eq!(args.resp, None);
    assert_eq!(args.details, DetailsChoice::Auto);
    assert_eq!(args.out, PathBuf::from("fuzz-out"));
    assert!(args.commands.is_none() && !args.allow_debug);
    let cli = Cli::try_parse_from([
        "hashcheck",
        "fuzz",
        "--target",
        "redis://h:1",
        "--seed",
        "5",
        "--duration",
        "10m",
        "--resp",
        "3",
        "--out",
        "o",
        "--commands",
        "HSET,hgetex",
        "--allow-debug",
        "--details",
        "strict",
    ])
    .unwrap();
    let Command::Fuzz(args) = cli.command else {
        panic!("not fuzz")
    };
    assert_eq!(args.duration, Some(std::time::Duration::from_secs(600)));
    assert_eq!(
        args.commands,
        Some(vec!["HSET".to_string(), "hgetex".to_string()])
    );
    assert_eq!(
        (args.seed, args.resp),
        (Some(5), Some(ProtocolChoice::Three))
    );
    assert_eq!(args.details, DetailsChoice::Strict);
    // A run has one length, and a target.
    assert!(Cli::try_parse_from([
        "hashcheck",
        "fuzz",
        "--target",
        "h:1",
        "--ops",
        "5",
        "--duration",
        "1s"
    ])
    .is_err());
    assert!(Cli::try_parse_from(["hashcheck", "fuzz"]).is_err());
    assert!(Cli::try_parse_from(["hashcheck", "fuzz", "--target", "h:1", "--resp", "4"]).is_err());
}

#[test]
fn a_partition_is_i_of_n_and_lanes_from_needs_a_seed() {
    let cli = Cli::try_parse_from(["hashcheck", "run", "--partition", "2/4"]).unwrap();
    let Command::Run(args) = cli.command else {
        panic!("not run")
    };
    let partition = args.request().partition.unwrap();
    assert_eq!((partition.index, partition.count), (2, 4));
    for bad in ["0/4", "5/4", "2", "2/0"] {
        assert!(Cli::try_parse_from(["hashcheck", "run", "--partition", bad]).is_err());
    }
    let fuzz = ["hashcheck", "fuzz", "--target", "h:1", "--lanes-from", "4"];
    let err = Cli::try_parse_from(fuzz).unwrap_err();
    assert!(err.to_string().contains("--seed"), "{err}");
    let cli = Cli::try_parse_from([&fuzz[..], &["--seed", "7"]].concat()).unwrap();
    let Command::Fuzz(args) = cli.command else {
        panic!("not fuzz")
    };
    assert_eq!(args.request().lanes_from, 4);
}
