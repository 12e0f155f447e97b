//! The reference engine as the model sees it: a clock it can set, commands it can run, and
//! one key's state it can read, change and put back. The model explains a target's reply by
//! trying the engine in a few states and at a few instants; everything it does to the engine
//! goes through this, so the model never reaches into the engine's keyspace itself.

use reference_engine::hash::HashValue;
use reference_engine::keyspace::Value;
use reference_engine::{Clock, Reply};

use crate::targets::{EmbeddedTarget, Target, TargetError};

/// What the model needs of the engine it runs commands on. Keys are in the database the
/// fuzzer uses (0).
pub trait ReferenceEngine {
    /// The engine's time, in ms.
    fn now_ms(&self) -> i64;
    /// Moves the engine's clock (either way).
    fn set_now_ms(&mut self, at: i64);
    /// Runs one command.
    fn run(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError>;
    /// What `key` holds, as it is stored (expired fields included).
    fn peek(&self, key: &[u8]) -> Option<&Value>;
    /// The hash at `key`, to change field deadlines in place (None if not a hash).
    fn hash_mut(&mut self, key: &[u8]) -> Option<&mut HashValue>;
    /// The key's own deadline (EXPIRE), if it has one.
    fn key_deadline(&self, key: &[u8]) -> Option<i64>;
    /// Puts `value` under `key` with exactly `deadline` (or removes the key): a snapshot
    /// taken with [`Self::peek`] and [`Self::key_deadline`] goes back this way.
    fn put_with_deadline(&mut self, key: &[u8], value: Option<Value>, deadline: Option<i64>);
    /// Does what a background expiry cycle at the engine's time would do to `key`.
    fn reclaim_expired(&mut self, key: &[u8]);
}

impl ReferenceEngine for EmbeddedTarget {
    fn now_ms(&self) -> i64 {
        self.manual_clock().now_ms()
    }

    fn set_now_ms(&mut self, at: i64) {
        self.manual_clock().set(at);
    }

    fn run(&mut self, argv: &[Vec<u8>]) -> Result<Reply, TargetError> {
        self.call(argv)
    }

    fn peek(&self, key: &[u8]) -> Option<&Value> {
        self.engine().keyspace(0).get(key)
    }

    fn hash_mut(&mut self, key: &[u8]) -> Option<&mut HashValue> {
        self.engine_mut()
            .keyspace_mut(0)
            .hash_mut(key)
            .ok()
            .flatten()
    }

    fn key_deadline(&self, key: &[u8]) -> Option<i64> {
        self.engine().keyspace(0).deadline(key)
    }

    fn put_with_deadline(&mut self, key: &[u8], value: Option<Value>, deadline: Option<i64>) {
        let keyspace = self.engine_mut().keyspace_mut(0);
        match value {
            Some(v) => keyspace.put(key, v, deadline),
            None => {
                keyspace.remove(key);
            }
        }
    }

    fn reclaim_expired(&mut self, key: &[u8]) {
        self.engine_mut().reclaim_expired(0, key);
    }
}
