//! Replaying part of a run: the same commands, with the timing that decided their replies
//! and no more.
//!
//! What decided a reply is which side of each deadline a command fell on. In the run, a
//! command on a key was either clearly before a deadline set earlier on it or clearly after
//! it (the driver holds commands near a deadline). A replay of a subsequence keeps every
//! such relation and drops all other waiting: [`schedule`] finds the earliest send times
//! that keep them, as a system of difference constraints solved by relaxation (the run's
//! own times are one solution, so one exists). Commands with the same time go out as one
//! pipelined batch.

use std::time::Duration;

use reference_engine::{Clock, SystemClock};

use super::{DiffConfig, DiffReport, Differ, Reference, Sent};
use crate::fuzz::gen::Op;
use crate::targets::{Target, TargetError};

/// Send times, in ms from the first command, for replaying `entries` (all on one key, in
/// the order they were sent) so that each command falls on the same side of every
/// deadline set before it, at least `margin` ms away from it.
pub fn schedule(entries: &[Sent], margin: i64) -> Vec<i64> {
    let n = entries.len();
    // (later, earlier, w): r[later] >= r[earlier] + w.
    let mut constraints: Vec<(usize, usize, i64)> = (1..n).map(|j| (j, j - 1, 0)).collect();
    for (i, setter) in entries.iter().enumerate() {
        let Some((earliest, latest)) = setter.deadline() else {
            continue;
        };
        let (due_first, due_last) = (earliest - setter.sent_at, latest - setter.sent_at);
        for (j, later) in entries.iter().enumerate().skip(i + 1) {
            if later.op.key() != setter.op.key() {
                continue;
            }
            if later.sent_at > latest {
                // It saw the deadline passed: it must again, by the margin.
                constraints.push((j, i, due_last + margin));
            } else {
                // It came before the deadline: r[j] <= r[i] + due_first - margin.
                constraints.push((i, j, margin - due_first));
            }
        }
    }
    let mut at = vec![0i64; n];
    let mut settled = false;
    for _ in 0..=n * 2 + 2 {
        let mut changed = false;
        for &(later, earlier, w) in &constraints {
            if at[later] < at[earlier] + w {
                at[later] = at[earlier] + w;
                changed = true;
            }
        }
        if !changed {
            settled = true;
            break;
        }
    }
    if !settled {
        // Contradictory (a run whose timing the driver did not control): keep its gaps.
        let first = entries.first().map_or(0, |e| e.sent_at);
        return entries.iter().map(|e| e.sent_at - first).collect();
    }
    let min = at.iter().copied().min().unwrap_or(0);
    at.iter().map(|t| t - min).collect()
}

/// Runs `ops` at `offsets` (ms from now, non-decreasing) against the reference and the
/// target, comparing as a run does. Stops at the first divergence when
/// `config.max_divergences` is 1.
pub fn replay<'a>(
    reference: Reference<'a>,
    target: &'a mut dyn Target,
    ops: Vec<Op>,
    offsets: &[i64],
    config: &'a DiffConfig,
) -> Result<DiffReport, TargetError> {
    let clock = SystemClock;
    let mut differ = Differ::new(reference, target, config);
    let start = clock.now_ms();
    let mut group: Vec<Op> = Vec::new();
    let mut group_at = 0;
    for (op, &at) in ops.into_iter().zip(offsets) {
        if at != group_at && !group.is_empty() {
            send_at(&mut differ, std::mem::take(&mut group), start + group_at)?;
            if differ.stopped() {
                return Ok(differ.into_report());
            }
        }
        group_at = at;
        group.push(op);
    }
    send_at(&mut differ, group, start + group_at)?;
    Ok(differ.into_report())
}

fn send_at(differ: &mut Differ<'_>, ops: Vec<Op>, at: i64) -> Result<(), TargetError> {
    let now = SystemClock.now_ms();
    if at > now {
        std::thread::sleep(Duration::from_millis((at - now) as u64));
    }
    differ.send_now(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(words: &[&[u8]], deadline: Option<i64>, sent_at: i64) -> Sent {
        let mut op = Op::words(words);
        op.deadline_in_ms = deadline;
        Sent {
            op,
            resolved_at: sent_at,
            sent_at,
            done_at: sent_at + 2,
        }
    }

    #[test]
    fn only_the_deadlines_that_decided_a_reply_are_waited_for() {
        // Set a 300 ms deadline, read twice before it (seconds apart in the run, waiting for
        // other keys), then once after it.
        let entries = vec![
            sent(&[b"HPEXPIRE", b"k", b"300"], Some(300), 1_000),
            sent(&[b"HGET", b"k", b"f"], None, 1_100),
            sent(&[b"HGET", b"k", b"f"], None, 1_200),
            sent(&[b"HLEN", b"k"], None, 9_000),
        ];
        let at = schedule(&entries, 40);
        assert_eq!(at[..3], [0, 0, 0]);
        // After the latest the deadline could be (sent + 300 + the batch's 2 ms) + margin.
        assert_eq!(at[3], 342);
    }

    #[test]
    fn a_read_before_a_deadline_pulls_its_setter_later_not_earlier() {
        // Two deadlines: the first (200 ms) had passed at the third command, the second
        // (500 ms, set 1 s later in the run) had not. Dropping the 1 s gap would put the
        // third command after both; the schedule keeps it before the second.
        let entries = vec![
            sent(&[b"HPEXPIRE", b"k", b"200"], Some(200), 0),
            sent(&[b"HPEXPIRE", b"k", b"500"], Some(500), 1_000),
            sent(&[b"HTTL", b"k"], None, 1_100),
        ];
        let at = schedule(&entries, 40);
        assert!(at[2] >= at[0] + 242, "{at:?}");
        assert!(at[2] <= at[1] + 500 - 40, "{at:?}");
        assert!(at[1] <= at[2], "{at:?}");
    }

    #[test]
    fn commands_on_other_keys_impose_nothing() {
        let entries = vec![
            sent(&[b"HPEXPIRE", b"a", b"300"], Some(300), 0),
            sent(&[b"HGET", b"b", b"f"], None, 5_000),
        ];
        assert_eq!(schedule(&entries, 40), vec![0, 0]);
    }
}
