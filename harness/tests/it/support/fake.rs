//! The reference engine behind another face: another name and identity, and a hook that
//! answers each command (usually by asking the engine and changing the reply). The tests
//! use it for servers that differ from Redis where Redis allows it, that lack commands,
//! that fail mid-case, and to record what a run sends.
//!
//! It is not in process as far as the runner can tell (`Target::in_process` is false), so
//! it is judged like a server on the network.

use hashcheck::targets::{ClockKind, EmbeddedTarget, ServerIdentity, Target, TargetError};
use reference_engine::{Protocol, Reply};

/// Answers one command, given the engine to ask.
pub type Answer = Box<dyn FnMut(&mut EmbeddedTarget, &[Vec<u8>]) -> Result<Reply, TargetError>>;

pub struct FakeTarget {
    name: &'static str,
    identity: ServerIdentity,
    pub inner: EmbeddedTarget,
    answer: Answer,
    /// Every command sent, in order.
    pub sent: Vec<Vec<Vec<u8>>>,
    /// What it tells the runner about its time: virtual unless [`FakeTarget::real_clock`].
    clock: ClockKind,
}

impl FakeTarget {
    /// The engine in `protocol`, answering as itself until [`FakeTarget::answer`] says
    /// otherwise, with the engine's own identity.
    pub fn new(name: &'static str, protocol: Protocol) -> Self {
        let inner = EmbeddedTarget::new(protocol);
        Self {
            name,
            identity: inner.identity().clone(),
            inner,
            answer: Box::new(|inner, argv| inner.call(argv)),
            sent: Vec::new(),
            clock: ClockKind::Virtual,
        }
    }

    /// Says its clock is real, as a server's is: the runner then treats it as a shared
    /// server that may reclaim expired fields in the background.
    pub fn real_clock(mut self) -> Self {
        self.clock = ClockKind::Real;
        self
    }

    pub fn identity(mut self, identity: ServerIdentity) -> Self {
        self.identity = identity;
        self
    }

    pub fn answer(
        mut self,
        answer: impl FnMut(&mut EmbeddedTarget, &[Vec<u8>]) -> Result<Reply, TargetError> + 'static,
    ) -> Self {
        self.answer = Box::new(answer);
        self
    }
}

/// `product version`, compatible with Redis `version`.
pub fn identity(product: &str, version: &str) -> ServerIdentity {
    ServerIdentity {
        product: product.into(),
        version: version.into(),
        redis_version: Some(version.into()),
    }
}

/// The command's name, upper case.
pub fn name(argv: &[Vec<u8>]) -> String {
    String::from_utf8_lossy(&argv[0]).to_ascii_uppercase()
}

/// Redis's reply to a command it does not know.
pub fn unknown_command(name: &str) -> Reply {
    Reply::Error(format!(
        "ERR unknown command '{name}', with args beginning with: "
    ))
}

impl Target for FakeTarget {
    fn name(&self) -> &str {
        self.name
    }
    fn protocol(&self) -> Protocol {
        self.inner.protocol()
    }
    fn identity(&self) -> &ServerIdentity {
        &self.identity
    }
    fn clock(&self) -> ClockKind {
        self.clock
    }
    fn call(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        self.sent.push(argv.to_vec());
        (self.answer)(&mut self.inner, argv)
    }
    fn advance_clock(&mut self, ms: u64) -> Result<(), TargetError> {
        self.inner.advance_clock(ms)
    }
    fn now_ms(&mut self) -> Result<i64, TargetError> {
        self.inner.now_ms()
    }
}
