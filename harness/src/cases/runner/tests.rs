//! Aligning order-free replies for their diffs, and the runner's small judgments.

use reference_engine::Reply;

use super::case_run::{align, unsupported};
use super::*;

fn b(s: &str) -> Reply {
    Reply::bulk(s)
}

#[test]
fn align_follows_the_expected_order_and_pairs_fields() {
    let expected = Reply::Array(vec![b("a"), b("1"), b("b"), b("2"), b("c"), b("3")]);
    // c matches as a whole, b by its field, and the stranger goes last.
    let actual = Reply::Array(vec![b("z"), b("9"), b("c"), b("3"), b("b"), b("7")]);
    assert_eq!(
        align(&expected, &actual, true),
        Reply::Array(vec![b("b"), b("7"), b("c"), b("3"), b("z"), b("9")])
    );
    let map = |kv: &[(&str, &str)]| Reply::Map(kv.iter().map(|(k, v)| (b(k), b(v))).collect());
    assert_eq!(
        align(
            &map(&[("x", "1"), ("y", "2")]),
            &map(&[("y", "1"), ("x", "2")]),
            true
        ),
        map(&[("x", "2"), ("y", "1")])
    );
    assert_eq!(align(&b("x"), &Reply::Null, true), Reply::Null);
}

#[test]
fn unknown_commands_are_unsupported_unless_expected() {
    let unknown = Reply::Error("ERR unknown command 'HGETEX', with args beginning with: ".into());
    assert!(unsupported(&unknown, Some(&Reply::Integer(1))).is_some());
    assert!(unsupported(&unknown, None).is_some());
    assert!(unsupported(&unknown, Some(&unknown)).is_none());
    assert!(unsupported(&Reply::Error("ERR syntax error".into()), None).is_none());
}

#[test]
fn hrandfield_policy_reads_count_and_withvalues() {
    let argv = |w: &str| {
        w.split(' ')
            .map(|a| a.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        random_policy(&argv("HRANDFIELD h -5 withvalues"), vec![]),
        Policy::RandomPick {
            count: Some(-5),
            with_values: true,
            hash: vec![]
        }
    );
    assert_eq!(
        random_policy(&argv("HRANDFIELD h"), vec![]),
        Policy::RandomPick {
            count: None,
            with_values: false,
            hash: vec![]
        }
    );
    assert_eq!(
        random_policy(&argv("HRANDFIELD h x"), vec![]),
        Policy::Exact
    );
}
