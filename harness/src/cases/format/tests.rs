//! The case model: arguments, expectations, versions and how they read.

use super::*;

#[test]
fn versions_compare_numerically() {
    assert_eq!(Version::parse("7.4.0"), Some(Version(7, 4, 0)));
    assert_eq!(Version::parse("8"), Some(Version(8, 0, 0)));
    assert_eq!(Version::parse("7.4.0-rc1"), Some(Version(7, 4, 0)));
    assert_eq!(Version::parse("seven"), None);
    assert_eq!(Version::parse("1.2.3.4"), None);
    assert!(Version(7, 10, 0) > Version(7, 4, 0));
}

#[test]
fn time_readings_allow_for_a_clock_ahead_of_the_case() {
    let read = |e: Expect, now: i64, lag: i64, actual: i64| {
        e.to_reply_after(Protocol::Resp3, now, lag, Some(&Reply::Integer(actual)))
    };
    // A deadline 500 ms after 9,505 reads as 11 s; set up to 10 ms sooner, as 10 s.
    assert_eq!(
        read(Expect::UnixMsInS(500), 9_505, 0, 10),
        Reply::Integer(11)
    );
    assert_eq!(
        read(Expect::UnixMsInS(500), 9_505, 10, 10),
        Reply::Integer(10)
    );
    assert_eq!(
        read(Expect::UnixMsInS(500), 9_505, 10, 9),
        Reply::Integer(11)
    );
    // 1,001 ms left reads as 2 s; 2 ms less, as 1 s. Never as 3.
    assert_eq!(read(Expect::MsInS(1_001), 0, 2, 1), Reply::Integer(1));
    assert_eq!(read(Expect::MsInS(1_001), 0, 2, 3), Reply::Integer(2));
    assert_eq!(read(Expect::UnixS(100), 5_001, 5, 105), Reply::Integer(105));
    assert_eq!(read(Expect::UnixS(100), 5_001, 0, 105), Reply::Integer(106));
    assert_eq!(
        read(Expect::UnixMs(100), 5_000, 3, 5_097),
        Reply::Integer(5_097)
    );
    assert_eq!(
        read(Expect::UnixMs(100), 5_000, 3, 5_096),
        Reply::Integer(5_100)
    );
    // Inside an array, item by item.
    let e = Expect::Array(vec![Expect::MsInS(1_001), Expect::Int(-2)]);
    let actual = Reply::Array(vec![Reply::Integer(1), Reply::Integer(-2)]);
    assert_eq!(
        e.to_reply_after(Protocol::Resp2, 0, 2, Some(&actual)),
        actual
    );
}

#[test]
fn unix_seconds_round_up() {
    assert_eq!(unix_s(5_000), 5);
    assert_eq!(unix_s(5_001), 6);
    assert_eq!(Arg::UnixS(100).resolve(5_001), b"106".to_vec());
    assert_eq!(Arg::UnixMs(-500).resolve(5_001), b"4501".to_vec());
}

#[test]
fn expectations_project_to_resp2() {
    let e = Expect::Map(vec![(Expect::Bulk(b"f".to_vec()), Expect::Double(1.5))]);
    assert_eq!(
        e.to_reply(Protocol::Resp2, 0),
        Reply::Array(vec![Reply::bulk("f"), Reply::bulk("1.5")])
    );
    assert_eq!(Expect::NilArray.to_reply(Protocol::Resp3, 0), Reply::Null);
    assert_eq!(
        Expect::NilArray.to_reply(Protocol::Resp2, 0),
        Reply::NullArray
    );
    let per = Expect::PerProtocol {
        resp2: Box::new(Expect::Int(1)),
        resp3: Box::new(Expect::Boolean(true)),
    };
    assert_eq!(per.to_reply(Protocol::Resp2, 0), Reply::Integer(1));
    assert_eq!(per.to_reply(Protocol::Resp3, 0), Reply::Boolean(true));
}

#[test]
fn blessing_keeps_relative_times_relative() {
    let like = Expect::Array(vec![Expect::UnixS(100), Expect::Int(-2)]);
    let reply = Reply::Array(vec![Reply::Integer(206), Reply::Integer(-2)]);
    assert_eq!(
        Expect::from_reply(&reply, Some(&like), 105_500),
        Expect::Array(vec![Expect::UnixS(100), Expect::Int(-2)])
    );
}
