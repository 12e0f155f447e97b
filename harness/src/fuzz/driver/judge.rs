//! Judging a reply by the reference: the reference server's replies with the probes each
//! command needs, and whether a target's reply agrees with the reference's under the policy
//! Redis's promises allow (also what the model is judged by, see [`Judge`]).

use reference_engine::Reply;

use super::{policy_with, probe_for, DiffConfig, Probe};
use crate::compare::{compare, ErrorMatch, Policy};
use crate::fuzz::model::{Expected, Judge};
use crate::targets::{Target, TargetError};

/// The reference server's replies to a batch, each command preceded by its probe.
pub(super) fn server_replies(
    server: &mut dyn Target,
    argvs: &[Vec<Vec<u8>>],
) -> Result<Vec<Expected>, TargetError> {
    let mut batch = Vec::new();
    let probes: Vec<Probe> = argvs.iter().map(|a| probe_for(a)).collect();
    for (argv, probe) in argvs.iter().zip(&probes) {
        batch.extend(probe.command(argv));
        batch.push(argv.clone());
    }
    let mut replies = server.call_batch(&batch)?.into_iter();
    let mut out = Vec::new();
    for probe in probes {
        let probe = if probe.needed() { replies.next() } else { None };
        let reply = replies.next().unwrap_or(Reply::Null);
        out.push(Expected { probe, reply });
    }
    Ok(out)
}

pub(crate) fn agrees(
    expected: &Expected,
    argv: &[Vec<u8>],
    actual: &Reply,
    config: &DiffConfig,
    margin: i64,
) -> bool {
    // Scans are judged after their walks; a first page that agrees is good enough here.
    // Strict order or not: a hash table's cursors follow the server's random hash seed, so
    // a partial page's cursor is no evidence of the state (it once chose a reclaimed state
    // that a later DUMP showed wrong).
    let policy = policy_with(argv, expected.probe.as_ref(), config, margin);
    if let Policy::Scan { novalues } = &policy {
        if let Some(agree) = first_pages_agree(&expected.reply, actual, *novalues) {
            return agree;
        }
    }
    compare(&expected.reply, actual, &policy, config.errors).is_ok()
}

/// The model is judged by the run's own policies.
impl Judge for DiffConfig {
    fn probe(&self, argv: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
        probe_for(argv).command(argv)
    }

    fn agrees(&self, expected: &Expected, argv: &[Vec<u8>], actual: &Reply, margin: i64) -> bool {
        agrees(expected, argv, actual, self, margin)
    }

    fn background_expiry(&self) -> bool {
        self.background_expiry
    }
}

/// Whether a target's first HSCAN page may come from the state that gave `expected`, for a
/// server that pages its own way (None if either is not a page): two whole scans (cursor
/// 0) must hold the same elements; a partial page tells nothing until the walk.
pub(super) fn first_pages_agree(expected: &Reply, actual: &Reply, novalues: bool) -> Option<bool> {
    let cursor = |r: &Reply| match r {
        Reply::Array(parts) => match parts.as_slice() {
            [Reply::Bulk(cursor), Reply::Array(_)] => Some(cursor.clone()),
            _ => None,
        },
        _ => None,
    };
    let (e, a) = (cursor(expected)?, cursor(actual)?);
    if e != b"0" || a != b"0" {
        return Some(true);
    }
    let policy = Policy::Scan { novalues };
    Some(compare(expected, actual, &policy, ErrorMatch::Exact).is_ok())
}
