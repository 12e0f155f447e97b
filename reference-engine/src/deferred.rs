//! Replies whose bytes are produced after the command has returned.
//!
//! `HRANDFIELD key -N [WITHVALUES]` is the one command whose reply is not bounded by the
//! data: a five-field hash can be asked for a million picks. Built as a [`Reply`] tree, such
//! a reply costs ~100 bytes a pick, and building it holds the engine (in `hashcheck serve`,
//! the lock every client waits on) for the whole generation, ~90 ms for a million pairs.
//!
//! [`Engine::execute_deferrable`](crate::Engine::execute_deferrable) lets a caller that can
//! stream take such a reply as a [`DeferredReply`] instead. The command still does, at once,
//! everything that touches the keyspace and the random source: it checks the arguments,
//! purges expired fields, copies the hash's few entries (already encoded) and moves the
//! engine's random source past the picks. What is left owns everything it needs, so it can
//! be encoded later, in pieces, with no lock held. The bytes, and every later pick, are
//! exactly those [`Engine::execute`](crate::Engine::execute) would have produced.
//!
//! [`Reply`]: crate::Reply

use crate::rng::Rng;

/// The outcome of [`Engine::execute_deferrable`](crate::Engine::execute_deferrable).
#[derive(Debug)]
pub enum Execution {
    /// A reply, to encode in the session's protocol as usual.
    Reply(crate::Reply),
    /// A long reply, already in the session's protocol, to encode piece by piece.
    Deferred(DeferredReply),
}

/// A long array reply of picks with repetition: `*N` and then N picks, each one of a few
/// pre-encoded entries chosen by a random source of its own.
#[derive(Debug)]
pub struct DeferredReply {
    /// `*N\r\n`, until it is written.
    header: Option<Vec<u8>>,
    /// The wire bytes of every entry, back to back; entry `i` is `bytes[ends[i-1]..ends[i]]`.
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// The picks still to write, and what chooses them.
    left: u64,
    rng: Rng,
}

impl DeferredReply {
    /// `picks` picks among `entries` (each one's wire bytes), chosen by `rng` with
    /// `rng.below(entries.len())`, under a header announcing `array_len` items.
    pub(crate) fn repeated_picks(
        array_len: u64,
        entries: impl Iterator<Item = Vec<u8>>,
        picks: u64,
        rng: Rng,
    ) -> Self {
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for entry in entries {
            bytes.extend_from_slice(&entry);
            ends.push(bytes.len());
        }
        assert!(!ends.is_empty() || picks == 0, "picks need entries");
        Self {
            header: Some(format!("*{array_len}\r\n").into_bytes()),
            bytes,
            ends,
            left: picks,
            rng,
        }
    }

    /// Appends the next part of the reply to `out`: picks until `out` has grown by at least
    /// `budget` bytes or the reply is complete. Returns whether it is complete.
    pub fn encode_some(&mut self, out: &mut Vec<u8>, budget: usize) -> bool {
        let stop_at = out.len().saturating_add(budget.max(1));
        if let Some(header) = self.header.take() {
            out.extend_from_slice(&header);
        }
        while self.left > 0 && out.len() < stop_at {
            let i = self.rng.below(self.ends.len());
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            out.extend_from_slice(&self.bytes[start..self.ends[i]]);
            self.left -= 1;
        }
        self.left == 0 && self.header.is_none()
    }

    /// The whole reply, appended to `out` (for callers that do not stream, and for tests).
    pub fn encode_all(mut self, out: &mut Vec<u8>) {
        while !self.encode_some(out, usize::MAX) {}
    }
}

#[cfg(test)]
mod tests {
    use super::Execution;
    use crate::reply::Protocol;
    use crate::test_support::{argv, TestEngine};

    /// The wire bytes of `lines`, run one after another, either built at once or deferred
    /// (each deferred reply encoded in small pieces).
    fn wire(protocol: Protocol, setup: &str, lines: &[&str], defer: bool) -> (Vec<u8>, usize) {
        let mut t = TestEngine::new();
        t.session.protocol = protocol;
        t.run(setup);
        let mut out = Vec::new();
        let mut deferred = 0;
        for line in lines {
            if !defer {
                t.engine
                    .execute(&mut t.session, &argv(line))
                    .encode(protocol, &mut out);
                continue;
            }
            match t.engine.execute_deferrable(&mut t.session, &argv(line)) {
                Execution::Reply(reply) => reply.encode(protocol, &mut out),
                Execution::Deferred(mut d) => {
                    deferred += 1;
                    while !d.encode_some(&mut out, 1000) {}
                }
            }
        }
        (out, deferred)
    }

    #[test]
    fn deferred_picks_are_the_bytes_execute_gives_and_later_picks_too() {
        let lines = [
            "HRANDFIELD h -5000 WITHVALUES",
            "HRANDFIELD h -3",
            "HRANDFIELD h -4096",
            "HRANDFIELD h -4095 withvalues",
            "HRANDFIELD h 2",
            "HRANDFIELD h -9000",
            "HRANDFIELD one -5000 WITHVALUES",
            "HRANDFIELD missing -5000",
            "HRANDFIELD h -1000001",
            "HRANDFIELD h",
        ];
        let setup = "HSET h a 1 bb 22 c 333 d 4444 e 55555";
        for protocol in [Protocol::Resp2, Protocol::Resp3] {
            let (built, none) = wire(protocol, setup, &lines, false);
            let (streamed, deferred) = wire(protocol, setup, &lines, true);
            assert_eq!(none, 0);
            assert_eq!(deferred, 3, "{protocol:?}: -5000 WITHVALUES, -4096, -9000");
            assert!(built == streamed, "{protocol:?}: bytes differ");
        }
    }

    #[test]
    fn a_hash_larger_than_the_picks_is_not_copied() {
        let mut t = TestEngine::new();
        let mut words = vec!["HSET".to_string(), "big".to_string()];
        for i in 0..5000 {
            words.push(format!("f{i}"));
            words.push("v".to_string());
        }
        let refs: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        t.run_args(&refs);
        let run = |t: &mut TestEngine, line: &str| {
            t.engine.execute_deferrable(&mut t.session, &argv(line))
        };
        assert!(matches!(
            run(&mut t, "HRANDFIELD big -4999"),
            Execution::Reply(_)
        ));
        assert!(matches!(
            run(&mut t, "HRANDFIELD big -5000"),
            Execution::Deferred(_)
        ));
    }
}
