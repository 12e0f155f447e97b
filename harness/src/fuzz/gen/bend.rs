//! Bending a valid command into a probably invalid one: a missing or extra argument, a bad
//! number, a bare name, a keyword where it does not belong. The order in which a server
//! checks these is what gets exercised.

use super::table::Form;
use super::{Arg, Generator, Op};

impl Generator {
    /// Bends `op`, a command of `form`, out of shape.
    pub(super) fn bend(&mut self, op: &mut Op, form: Form) {
        let len = op.args.len();
        // Arguments that are keys (every one of DEL and EXISTS; RENAME's and COPY's second)
        // are never replaced by a word: only this run's own keys may be sent.
        let keys_only = matches!(form, Form::Del | Form::Exists | Form::TwoKeys { .. });
        // RESTORE's last word may be the ABSTTL that keeps its ttl in the past: without it
        // the ttl would be a future key TTL, one that could fall due during the run.
        let poppable = !matches!(form, Form::Restore);
        match self.rng.below(5) {
            0 if len > 2 && poppable => {
                op.args.pop();
            }
            // Every argument of DEL and EXISTS is a key: only this run's own may be sent.
            1 if keys_only => op.args.push(op.args[1].clone()),
            1 => {
                let word = self.misplaced_word(form);
                op.args.push(Self::b(word));
            }
            2 if len > 2 && !keys_only => {
                let i = 2 + self.rng.below(len - 2);
                op.args[i] = Self::b(self.pick(&["", "-1", "0", "x", "99999999999999999999"]));
            }
            // The name alone, or the name and the key: arity errors.
            3 => op.args.truncate(1 + self.rng.below(2)),
            _ => {
                // Swap the case of the command name: must change nothing.
                if let Some(Arg::Bytes(name)) = op.args.first_mut() {
                    name.make_ascii_lowercase();
                }
            }
        }
        // A bent time may no longer be the deadline we announced; keeping the announcement
        // only makes the driver more careful.
    }

    /// A word to append: one that no command takes there, or one of the command's own
    /// keywords out of place (so that every keyword a grammar declares is sent, even one
    /// its shape's builder does not know).
    fn misplaced_word(&mut self, form: Form) -> &'static str {
        let own = match form {
            Form::Hash { grammar, .. } => grammar.keywords,
            _ => &[],
        };
        if !own.is_empty() && self.chance(2) {
            return self.pick(own);
        }
        self.pick(&["extra", "FIELDS", "NX", "1"])
    }
}
