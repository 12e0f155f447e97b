//! For unit tests anywhere in the crate: a one-line way to run commands,
//! `t.run("HSET k f v")`. It sits above every module (it drives the whole engine), so a
//! module's tests may use it without making that module depend on the engine.

use std::sync::Arc;

use crate::clock::ManualClock;
use crate::engine::{Engine, Session};
use crate::reply::{Protocol, Reply};

pub struct TestEngine {
    pub engine: Engine,
    pub session: Session,
    pub clock: ManualClock,
}

impl TestEngine {
    /// An engine on a manual clock at 1_700_000_000_000 ms, speaking RESP3.
    pub fn new() -> Self {
        let clock = ManualClock::new(1_700_000_000_000);
        let engine = Engine::with_seed(Arc::new(clock.clone()), 1);
        let session = Session {
            protocol: Protocol::Resp3,
            ..Session::default()
        };
        Self {
            engine,
            session,
            clock,
        }
    }

    /// Runs a command given as whitespace-separated words.
    pub fn run(&mut self, line: &str) -> Reply {
        let argv: Vec<Vec<u8>> = line
            .split_whitespace()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        self.engine.execute(&mut self.session, &argv)
    }

    /// Runs a command given as separate arguments (for empty or spaced arguments).
    pub fn run_args(&mut self, args: &[&[u8]]) -> Reply {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        self.engine.execute(&mut self.session, &argv)
    }

    /// Runs a command and renders the reply the way redis-cli would, in RESP2 form.
    pub fn resp2(&mut self, line: &str) -> Reply {
        self.session.protocol = Protocol::Resp2;
        let r = self.run(line);
        self.session.protocol = Protocol::Resp3;
        r
    }

    pub fn advance(&self, ms: i64) {
        self.clock.advance(ms);
    }
}

pub fn bulk(s: &str) -> Reply {
    Reply::bulk(s)
}

pub fn err(s: &str) -> Reply {
    Reply::Error(s.to_string())
}

pub fn int(n: i64) -> Reply {
    Reply::Integer(n)
}

pub fn arr(items: Vec<Reply>) -> Reply {
    Reply::Array(items)
}
