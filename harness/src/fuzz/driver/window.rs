//! What the driver remembers of a run: per key, the commands sent on it since it last did
//! not exist, with their times, so that a divergence can be replayed and shrunk.
//!
//! Memory stays flat however long a run lasts: a key's window is emptied whenever the
//! reference says the key no longer exists (after DEL, the last HDEL, a past TTL...), and is
//! never longer than `DiffConfig::window` commands. The generator's `reset_every` deletes
//! each key every so many commands, so in a fuzz run the cap is only a safety net; a
//! window that hit it is marked incomplete, and its replay may not reproduce.

use std::collections::VecDeque;

use crate::fuzz::gen::Op;

/// One command as the driver sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub op: Op,
    /// The time its symbolic times were resolved at (unix ms).
    pub resolved_at: i64,
    /// When its batch was sent, and when the batch's replies were all in (unix ms).
    pub sent_at: i64,
    pub done_at: i64,
}

impl Sent {
    /// The argv as it was sent.
    pub fn argv(&self) -> Vec<Vec<u8>> {
        self.op.resolve(self.resolved_at)
    }

    /// When the deadline it may have set falls due, if it announced one.
    pub fn deadline(&self) -> Option<(i64, i64)> {
        self.op
            .deadline_window(self.resolved_at, self.sent_at, self.done_at)
    }
}

/// The retained commands of one key.
#[derive(Debug, Clone)]
pub(super) struct Window {
    pub entries: VecDeque<Sent>,
    /// False once the cap dropped commands: the window no longer starts from an empty key.
    pub complete: bool,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            entries: VecDeque::new(),
            complete: true,
        }
    }
}

impl Window {
    pub fn push(&mut self, sent: Sent, cap: usize) {
        if self.entries.len() >= cap.max(1) {
            self.entries.pop_front();
            self.complete = false;
        }
        self.entries.push_back(sent);
    }

    /// A DEL removed the key on both sides: what came before cannot matter to what comes
    /// after.
    pub fn restart(&mut self) {
        self.entries.clear();
        self.complete = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(n: i64) -> Sent {
        Sent {
            op: Op::words(&[b"HGET", b"k", n.to_string().as_bytes()]),
            resolved_at: n,
            sent_at: n,
            done_at: n,
        }
    }

    #[test]
    fn the_cap_drops_the_oldest_and_marks_the_window() {
        let mut w = Window::default();
        for n in 0..5 {
            w.push(sent(n), 3);
        }
        assert_eq!(w.entries.len(), 3);
        assert_eq!(w.entries[0], sent(2));
        assert!(!w.complete);
        w.restart();
        assert!(w.entries.is_empty() && w.complete);
    }
}
