//! The only source of time in the engine.
//!
//! Field TTLs are absolute unix milliseconds (HEXPIREAT and HPEXPIRETIME expose them), so the
//! clock speaks unix milliseconds too. `SystemClock` serves real clients; `ManualClock` lets
//! tests and the case runner move time forward without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Where the engine reads "now" from. The engine takes one reading per command, as Redis
/// snapshots the command time, so a single command never sees time move under it.
pub trait Clock: Send + Sync {
    /// Milliseconds since the unix epoch.
    fn now_ms(&self) -> i64;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        // Seconds and millis apart rather than `as_millis`, which goes through u128; the
        // engine reads the clock on every command. i64 milliseconds last 292 million years.
        since.as_secs() as i64 * 1000 + i64::from(since.subsec_millis())
    }
}

/// A clock that moves only when told. Clones share the same time, so a test can keep one
/// handle and give another to the engine.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock standing at `now_ms`.
    pub fn new(now_ms: i64) -> Self {
        Self {
            now: Arc::new(AtomicI64::new(now_ms)),
        }
    }

    /// A clock starting at the current wall time, so absolute times in cases (EXAT now+10)
    /// look plausible; afterwards it only moves by `advance`.
    pub fn starting_now() -> Self {
        Self::new(SystemClock.now_ms())
    }

    /// Moves time forward by `ms`.
    pub fn advance(&self, ms: i64) {
        self.now.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the time.
    pub fn set(&self, now_ms: i64) {
        self.now.store(now_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let a = ManualClock::new(1_000);
        let b = a.clone();
        a.advance(250);
        assert_eq!(b.now_ms(), 1_250);
        b.set(5);
        assert_eq!(a.now_ms(), 5);
    }

    #[test]
    fn system_clock_is_after_2024() {
        assert!(SystemClock.now_ms() > 1_700_000_000_000);
    }
}
