//! Which divergences matter most. A server that returns a wrong value hurts its users more
//! than one that forgets an error, and that more than one whose error says it in other
//! words; a run that finds forty error texts first must not crowd out the one wrong value.
//! So each kind of divergence has a [`Class`], the kept divergences (the `--max-cases`
//! budget) are the best-ranked ones found, and the report, shrinking and writing follow
//! that order.

use reference_engine::Reply;

use super::Divergence;

/// How bad a divergence is, worst first (the derived order ranks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// (a) A wrong value, or a reply of the wrong type: no error on either side.
    WrongValue,
    /// (b) An error where a value was due, or a value where an error was due.
    ErrorPresence,
    /// (c) Both sides gave an error, with different texts.
    ErrorText,
}

impl Class {
    pub const ALL: [Class; 3] = [Class::WrongValue, Class::ErrorPresence, Class::ErrorText];

    /// The class of a divergence between these replies.
    pub fn of(expected: &Reply, actual: &Reply) -> Class {
        match (expected.is_error(), actual.is_error()) {
            (true, true) => Class::ErrorText,
            (false, false) => Class::WrongValue,
            _ => Class::ErrorPresence,
        }
    }

    /// Its label in summaries: `(a) wrong value or type` and so on.
    pub fn label(self) -> &'static str {
        match self {
            Class::WrongValue => "(a) wrong value or type",
            Class::ErrorPresence => "(b) missing or extra error",
            Class::ErrorText => "(c) other error text",
        }
    }
}

/// Keeps `new` among `kept` (at most `max`, ordered by class, then as found): appended
/// while there is room; else it takes the place of the last-found divergence of the worst
/// class kept, if that class is worse than its own. Returns whether it was kept.
pub fn admit(kept: &mut Vec<Divergence>, new: Divergence, max: usize) -> bool {
    let max = max.max(1);
    if kept.len() >= max {
        let worst = kept.iter().map(|d| d.class).max().expect("max >= 1");
        if worst <= new.class {
            return false;
        }
        // Kept is ordered by class, so the worst one found last is at the end.
        kept.pop();
    }
    let at = kept.partition_point(|d| d.class <= new.class);
    kept.insert(at, new);
    true
}

/// Whether nothing found later could displace a kept divergence: the budget is full of
/// wrong values.
pub fn full(kept: &[Divergence], max: usize) -> bool {
    kept.len() >= max.max(1) && kept.iter().all(|d| d.class == Class::WrongValue)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::compare::{Mismatch, Policy};

    /// A divergence of `name` (its signature) with these replies; the driver's tests use it too.
    pub(crate) fn found(name: &str, expected: Reply, actual: Reply) -> Divergence {
        Divergence {
            index: 0,
            argv: vec![b"HGET".to_vec()],
            class: Class::of(&expected, &actual),
            expected,
            actual,
            mismatch: Mismatch {
                reason: "differs".into(),
            },
            history: Vec::new(),
            key: None,
            window: Vec::new(),
            complete: true,
            policy: Policy::Exact,
            signature: name.into(),
            protocol: reference_engine::Protocol::Resp2,
        }
    }

    fn text(e: &str) -> Reply {
        Reply::Error(e.into())
    }

    #[test]
    fn classes_follow_what_each_side_replied() {
        assert_eq!(
            Class::of(&Reply::Integer(1), &Reply::Integer(2)),
            Class::WrongValue
        );
        assert_eq!(
            Class::of(&Reply::Integer(1), &Reply::Null),
            Class::WrongValue
        );
        assert_eq!(
            Class::of(&text("ERR x"), &Reply::Integer(1)),
            Class::ErrorPresence
        );
        assert_eq!(
            Class::of(&Reply::Integer(1), &text("ERR x")),
            Class::ErrorPresence
        );
        assert_eq!(Class::of(&text("ERR x"), &text("ERR y")), Class::ErrorText);
    }

    #[test]
    fn the_budget_keeps_the_worst_differences_in_order() {
        let mut kept = Vec::new();
        let max = 3;
        // Error texts fill the budget first, as against Valkey.
        for n in 0..3 {
            let d = found(&format!("text{n}"), text("ERR a"), text("ERR b"));
            assert!(admit(&mut kept, d, max));
        }
        assert!(!admit(
            &mut kept,
            found("text3", text("ERR a"), text("ERR c")),
            max
        ));
        assert!(!full(&kept, max));
        // A missing error displaces the last error text, a wrong value goes first.
        assert!(admit(
            &mut kept,
            found("missing", text("ERR a"), Reply::Integer(1)),
            max
        ));
        assert!(admit(
            &mut kept,
            found("value", Reply::Integer(1), Reply::Integer(2)),
            max
        ));
        let names: Vec<&str> = kept.iter().map(|d| d.signature.as_str()).collect();
        assert_eq!(names, ["value", "missing", "text0"]);
        // Two more wrong values: the budget is then all wrong values, and full.
        for n in 0..2 {
            let d = found(&format!("value{n}"), Reply::Integer(1), Reply::Null);
            assert!(admit(&mut kept, d, max));
        }
        let names: Vec<&str> = kept.iter().map(|d| d.signature.as_str()).collect();
        assert_eq!(names, ["value", "value0", "value1"]);
        assert!(full(&kept, max));
        assert!(!admit(
            &mut kept,
            found("value2", Reply::Integer(3), Reply::Null),
            max
        ));
    }
}
