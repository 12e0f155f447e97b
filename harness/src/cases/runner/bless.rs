//! `--bless`: writing what a real server replied back into the case files.
//!
//! Only the expectations of steps that failed change; policies, notes, steps that passed
//! (with their doc examples and relative times) stay as they are, and so does the rest of
//! the file's text (`format::replace_expectations` edits the `expect:` lines only). When the RESP2 reply is
//! the RESP3 one projected, one expectation serves both; otherwise the step gets
//! `{resp2: .., resp3: ..}`. Blessing from the reference engine is refused by the caller:
//! the engine must not become its own oracle.

use reference_engine::{Protocol, Reply};

use super::{CaseReport, Observed};
use crate::cases::format::{CaseFile, Expect, Step};
use crate::compare::{compare, ErrorMatch, Policy};

/// A file whose expectations changed: the new model, and per changed step the line of its
/// `- send:` and its new expectation (for `format::replace_expectations`).
#[derive(Debug, Clone)]
pub struct Blessed {
    pub file: CaseFile,
    pub changes: Vec<(usize, Expect)>,
}

/// The files of `files` whose failed steps get the replies observed in `reports` (which
/// must have been recorded with `record_actuals`).
pub fn bless(files: &[CaseFile], reports: &[CaseReport]) -> Vec<Blessed> {
    let mut out = Vec::new();
    for file in files {
        let mut changed = file.clone();
        let mut changes = Vec::new();
        for case in &mut changed.cases {
            let seen = |protocol: Protocol| {
                reports
                    .iter()
                    .find(|r| r.file == file.path && r.case == case.name && r.protocol == protocol)
            };
            let (r2, r3) = (seen(Protocol::Resp2), seen(Protocol::Resp3));
            for (i, step) in case.steps.iter_mut().enumerate() {
                let Step::Send(send) = step else { continue };
                let Some(old) = &send.expect else { continue };
                let at = |r: Option<&CaseReport>| r.and_then(|r| r.actuals.get(i)?.clone());
                let (o2, o3) = (at(r2), at(r3));
                let failed = [&o2, &o3]
                    .iter()
                    .any(|o| o.as_ref().is_some_and(|o| !o.passed));
                if !failed {
                    continue;
                }
                if let Some(new) = expectation(old, o2.as_ref(), o3.as_ref(), &send.command()) {
                    if &new != old {
                        changes.push((send.line, new.clone()));
                        send.expect = Some(new);
                    }
                }
            }
        }
        if !changes.is_empty() {
            out.push(Blessed {
                file: changed,
                changes,
            });
        }
    }
    out
}

/// The expectation that says what was observed in each protocol.
fn expectation(
    old: &Expect,
    o2: Option<&Observed>,
    o3: Option<&Observed>,
    command: &str,
) -> Option<Expect> {
    let part = |protocol: Protocol| match old {
        Expect::PerProtocol { resp2, resp3 } => match protocol {
            Protocol::Resp2 => resp2.as_ref(),
            Protocol::Resp3 => resp3.as_ref(),
        },
        other => other,
    };
    let e2 = o2.map(|o| Expect::from_reply(&o.reply, Some(part(Protocol::Resp2)), o.now_ms));
    let e3 = o3.map(|o| Expect::from_reply(&o.reply, Some(part(Protocol::Resp3)), o.now_ms));
    match (e2, e3) {
        (None, None) => None,
        (Some(e), None) | (None, Some(e)) => Some(e),
        (Some(e2), Some(e3)) => {
            let o2 = o2.expect("observed in RESP2");
            let projected = e3.to_reply(Protocol::Resp2, o2.now_ms);
            if same_up_to_freedom(&projected, &o2.reply, command) {
                Some(e3)
            } else {
                Some(Expect::PerProtocol {
                    resp2: Box::new(e2),
                    resp3: Box::new(e3),
                })
            }
        }
    }
}

/// Whether two replies differ only where Redis leaves freedom (order of HGETALL and the
/// like, which fields HRANDFIELD picked), so one expectation can cover both.
fn same_up_to_freedom(a: &Reply, b: &Reply, command: &str) -> bool {
    match command {
        "HGETALL" | "HKEYS" | "HVALS" => {
            let pairs = command == "HGETALL";
            compare(a, b, &Policy::Unordered { pairs }, ErrorMatch::Exact).is_ok()
        }
        "HRANDFIELD" => same_shape(a, b),
        _ => a == b,
    }
}

fn same_shape(a: &Reply, b: &Reply) -> bool {
    match (a, b) {
        (Reply::Array(x), Reply::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_shape(p, q))
        }
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(reply: Reply) -> Observed {
        Observed {
            reply,
            now_ms: 1_000,
            passed: false,
        }
    }

    #[test]
    fn one_expectation_when_resp2_is_the_projection() {
        let old = Expect::Int(0);
        let map = Reply::Map(vec![(Reply::bulk("f"), Reply::bulk("v"))]);
        let e = expectation(
            &old,
            Some(&seen(map.to_resp2())),
            Some(&seen(map)),
            "HGETALL",
        );
        assert_eq!(
            e,
            Some(Expect::Map(vec![(
                Expect::Bulk(b"f".to_vec()),
                Expect::Bulk(b"v".to_vec())
            )]))
        );
    }

    #[test]
    fn per_protocol_when_they_differ_more() {
        let old = Expect::Null;
        let r3 = Reply::Array(vec![Reply::Array(vec![Reply::bulk("f"), Reply::bulk("v")])]);
        let r2 = Reply::Array(vec![Reply::bulk("f"), Reply::bulk("v")]);
        let e = expectation(&old, Some(&seen(r2)), Some(&seen(r3)), "HRANDFIELD").unwrap();
        assert!(matches!(e, Expect::PerProtocol { .. }));
    }

    #[test]
    fn error_codes_stay_codes() {
        let old = Expect::ErrorCode("ERR".into());
        let e = expectation(
            &old,
            None,
            Some(&seen(Reply::Error("WRONGTYPE x".into()))),
            "HGET",
        );
        assert_eq!(e, Some(Expect::ErrorCode("WRONGTYPE".into())));
    }
}
