//! A generated command: its arguments, with times kept symbolic until the command is sent,
//! and when a deadline it may set falls due.

/// One argument of a generated command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Bytes(Vec<u8>),
    /// Unix milliseconds, this far from the moment the command is sent.
    UnixMsFromNow(i64),
    /// Unix seconds, this many milliseconds from the moment the command is sent.
    UnixSecsFromNow(i64),
}

/// A generated command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    pub args: Vec<Arg>,
    /// If the command may give fields a deadline near enough to matter, how many ms after
    /// sending it falls due.
    pub deadline_in_ms: Option<i64>,
}

impl Op {
    pub(super) fn new(args: Vec<Arg>) -> Self {
        Self {
            args,
            deadline_in_ms: None,
        }
    }

    /// A command from literal words, with no deadline (resets, reconciliation reads).
    pub fn words(words: &[&[u8]]) -> Self {
        Self::new(words.iter().map(|w| Arg::Bytes(w.to_vec())).collect())
    }

    /// The command name in upper case.
    pub fn name(&self) -> String {
        match self.args.first() {
            Some(Arg::Bytes(b)) => String::from_utf8_lossy(b).to_ascii_uppercase(),
            _ => String::new(),
        }
    }

    /// Whether the command is `name` (any case), without building its name.
    pub fn is(&self, name: &str) -> bool {
        matches!(self.args.first(), Some(Arg::Bytes(b)) if b.eq_ignore_ascii_case(name.as_bytes()))
    }

    /// The key (argument 1), if any.
    pub fn key(&self) -> Option<&[u8]> {
        match self.args.get(1) {
            Some(Arg::Bytes(b)) => Some(b),
            _ => None,
        }
    }

    /// The second key of a command that takes two (RENAME, COPY: the table's second key
    /// spec), if this is one.
    pub fn second_key(&self) -> Option<&[u8]> {
        match self.args.get(self.second_key_at()?) {
            Some(Arg::Bytes(b)) => Some(b),
            _ => None,
        }
    }

    /// Where [`Self::second_key`] is in the arguments, by the table's key spec.
    pub fn second_key_at(&self) -> Option<usize> {
        let Some(Arg::Bytes(name)) = self.args.first() else {
            return None;
        };
        let spec = reference_engine::command::lookup(name)?.info.second_key?;
        usize::try_from(spec.begin).ok()
    }

    /// The argv to send at `now_ms`.
    pub fn resolve(&self, now_ms: i64) -> Vec<Vec<u8>> {
        self.args
            .iter()
            .map(|a| match a {
                Arg::Bytes(b) => b.clone(),
                Arg::UnixMsFromNow(d) => (now_ms + d).to_string().into_bytes(),
                Arg::UnixSecsFromNow(d) => unix_secs_from_now(now_ms, *d).to_string().into_bytes(),
            })
            .collect()
    }

    /// When the deadline this command may set falls due, as a window of unix ms: the
    /// command's times were resolved at `resolved_at`, sent at `sent_at`, and the reply came
    /// by `done_at`. An absolute time (EXAT/PXAT) is the same instant on every server; a
    /// relative one counts from whenever the server ran the command.
    pub fn deadline_window(
        &self,
        resolved_at: i64,
        sent_at: i64,
        done_at: i64,
    ) -> Option<(i64, i64)> {
        let announced = self.deadline_in_ms?;
        let absolute = self.args.iter().find_map(|a| match a {
            Arg::UnixMsFromNow(d) => Some(resolved_at + d),
            Arg::UnixSecsFromNow(d) => Some(unix_secs_from_now(resolved_at, *d) * 1000),
            Arg::Bytes(_) => None,
        });
        match absolute {
            Some(at) => Some((at, at)),
            None => Some((sent_at + announced, done_at + announced)),
        }
    }
}

/// Unix seconds for "`d` ms from `now_ms`", rounded up so that "+N ms" never lands earlier
/// than intended.
fn unix_secs_from_now(now_ms: i64, d: i64) -> i64 {
    (now_ms + d + 999).div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbolic_times_resolve_at_send_time() {
        let op = Op::new(vec![Arg::Bytes(b"X".to_vec()), Arg::UnixMsFromNow(500)]);
        assert_eq!(op.resolve(1_000)[1], b"1500");
        let op = Op::new(vec![Arg::Bytes(b"X".to_vec()), Arg::UnixSecsFromNow(1_000)]);
        assert_eq!(op.resolve(1_500)[1], b"3");
    }

    #[test]
    fn deadline_windows_are_exact_for_absolute_times() {
        let mut op = Op::new(vec![Arg::Bytes(b"X".to_vec()), Arg::UnixMsFromNow(500)]);
        op.deadline_in_ms = Some(500);
        assert_eq!(
            op.deadline_window(1_000, 1_002, 1_010),
            Some((1_500, 1_500))
        );
        // Whole seconds: the second after now + 1000 ms, whatever the announcement's slack.
        let mut op = Op::new(vec![Arg::Bytes(b"X".to_vec()), Arg::UnixSecsFromNow(1_000)]);
        op.deadline_in_ms = Some(2_000);
        assert_eq!(
            op.deadline_window(1_500, 1_501, 1_509),
            Some((3_000, 3_000))
        );
        // Relative: from whenever each server ran it.
        let mut op = Op::words(&[b"X", b"k", b"300"]);
        op.deadline_in_ms = Some(300);
        assert_eq!(
            op.deadline_window(1_000, 1_002, 1_010),
            Some((1_302, 1_310))
        );
        assert_eq!(Op::words(&[b"X"]).deadline_window(0, 0, 0), None);
    }
}
