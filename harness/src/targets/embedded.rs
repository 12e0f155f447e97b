//! The reference engine as a [`Target`], in process and on a virtual clock.
//!
//! It owns its engine, one client session and a [`ManualClock`], so a case can say
//! "advance 1001 ms" and the engine sees exactly that, with no sleeping and no drift. The
//! engine builds RESP3-shaped replies; `call` hands back what a client of the session's
//! protocol would decode from the wire (`resp::canonical`), so the embedded target and a
//! network target can be compared reply for reply.

use std::sync::Arc;

use reference_engine::resp::into_canonical;
use reference_engine::{Engine, ManualClock, Protocol, Reply, Session};

use super::{ClockKind, ServerIdentity, Target, TargetError};

/// The Redis version the reference engine models.
pub const MODELLED_REDIS_VERSION: &str = "8.2.3";

/// The reference engine behind the [`Target`] interface.
pub struct EmbeddedTarget {
    engine: Engine,
    session: Session,
    clock: ManualClock,
    identity: ServerIdentity,
}

impl EmbeddedTarget {
    /// An engine with the default seed, its clock starting at the current wall time (so
    /// absolute times like `EXAT now+10` in cases look plausible).
    pub fn new(protocol: Protocol) -> Self {
        Self::with_clock(protocol, ManualClock::starting_now(), None)
    }

    /// An engine on `clock`; `seed` fixes HRANDFIELD's picks (None: the engine's default).
    pub fn with_clock(protocol: Protocol, clock: ManualClock, seed: Option<u64>) -> Self {
        let shared = Arc::new(clock.clone());
        let engine = match seed {
            Some(seed) => Engine::with_seed(shared, seed),
            None => Engine::new(shared),
        };
        let mut session = Session::new(1);
        session.protocol = protocol;
        Self {
            engine,
            session,
            clock,
            identity: ServerIdentity {
                product: "hashcheck".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                redis_version: Some(MODELLED_REDIS_VERSION.to_string()),
            },
        }
    }

    /// The engine, for inspecting or setting up state directly.
    /// The engine, to read its state (the fuzzer's model looks at one key at a time).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// The database the session has selected.
    pub fn db(&self) -> usize {
        self.session.db
    }

    /// A handle on the engine's clock; clones share the time.
    pub fn manual_clock(&self) -> &ManualClock {
        &self.clock
    }
}

impl Target for EmbeddedTarget {
    fn name(&self) -> &str {
        "embedded"
    }

    fn protocol(&self) -> Protocol {
        self.session.protocol
    }

    fn in_process(&self) -> bool {
        true
    }

    fn identity(&self) -> &ServerIdentity {
        &self.identity
    }

    fn clock(&self) -> ClockKind {
        ClockKind::Virtual
    }

    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        let reply = self.engine.execute(&mut self.session, argv);
        // After HELLO the session's protocol is the new one, as for the reply on the wire.
        Ok(into_canonical(reply, self.session.protocol))
    }

    fn advance_clock(&mut self, ms: u64) -> Result<(), TargetError> {
        self.clock.advance(i64::try_from(ms).unwrap_or(i64::MAX));
        Ok(())
    }

    fn now_ms(&mut self) -> Result<i64, TargetError> {
        Ok(reference_engine::Clock::now_ms(&self.clock))
    }
}

#[cfg(test)]
mod tests {
    use reference_engine::Clock;

    use super::*;

    fn argv(words: &str) -> Vec<Vec<u8>> {
        words.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn unknown_commands_are_error_replies_not_target_errors() {
        let mut t = EmbeddedTarget::new(Protocol::Resp2);
        assert_eq!(
            t.call(&argv("NOSUCH a")).unwrap(),
            Reply::Error("ERR unknown command 'NOSUCH', with args beginning with: 'a' ".into())
        );
    }

    #[test]
    fn advance_moves_only_the_virtual_clock() {
        let clock = ManualClock::new(1_000);
        let mut t = EmbeddedTarget::with_clock(Protocol::Resp3, clock.clone(), Some(7));
        t.advance_clock(250).unwrap();
        assert_eq!(clock.now_ms(), 1_250);
        assert_eq!(t.engine_mut().clock().now_ms(), 1_250);
        assert_eq!(t.clock(), ClockKind::Virtual);
        assert_eq!(t.identity().redis_version.as_deref(), Some("8.2.3"));
    }

    #[test]
    fn batches_keep_going_after_errors() {
        let mut t = EmbeddedTarget::new(Protocol::Resp2);
        let replies = t
            .call_batch(&[argv("NOSUCH"), argv("HGET k"), argv("NOSUCH2")])
            .unwrap();
        assert_eq!(replies.len(), 3);
        assert!(replies.iter().all(Reply::is_error));
    }
}
