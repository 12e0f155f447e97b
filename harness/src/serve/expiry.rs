//! The background expiry cycle of `hashcheck serve`: a thread that, every 100 ms (Redis's
//! default `hz` 10), has the engine reclaim expired fields nobody reads
//! (`Engine::active_expire_cycle`), as Redis's expire cycle does.
//!
//! What keeps it from hurting clients:
//! - it takes the engine lock for one slice of `SLICE_KEYS` keys at a time, so a client's
//!   command waits for one slice at most, never for a whole cycle;
//! - a cycle stops after `TIME_LIMIT` (a quarter of the period, Redis's default for its slow
//!   cycle) even if keys are left; the next one goes on where it stopped, and the stop is
//!   counted in INFO's `expired_time_cap_reached_count`;
//! - a panic inside a slice is caught and reported on stderr, and the thread goes on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::{Executor, Shared};

/// How often a cycle starts.
pub const PERIOD: Duration = Duration::from_millis(100);
/// How long one cycle may run.
const TIME_LIMIT: Duration = Duration::from_millis(25);
/// Keys looked at under one taking of the lock.
const SLICE_KEYS: usize = 64;

/// Starts the thread. It lives as long as the process.
pub(super) fn start<E: Executor>(shared: Arc<Shared<E>>) {
    let spawned = thread::Builder::new()
        .name("hashcheck-expire".to_string())
        .spawn(move || loop {
            let started = Instant::now();
            cycle(&shared, started);
            thread::sleep(PERIOD.saturating_sub(started.elapsed()));
        });
    if let Err(e) = spawned {
        eprintln!("hashcheck serve: cannot start the background expiry thread: {e}");
    }
}

/// One cycle: slices until the walk has gone round or the time is up.
fn cycle<E: Executor>(shared: &Shared<E>, started: Instant) {
    let mut capped = false;
    let mut worked = false;
    loop {
        let slice = catch_unwind(AssertUnwindSafe(|| {
            let mut executor = shared.executor.lock().unwrap_or_else(|e| e.into_inner());
            executor.expire_slice(SLICE_KEYS)
        }));
        let Ok(slice) = slice else {
            eprintln!("hashcheck serve: the background expiry cycle panicked; it goes on");
            return;
        };
        let Some(done) = slice else {
            // Nothing to expire on this executor, or expiry is switched off.
            break;
        };
        worked = true;
        if done {
            break;
        }
        if started.elapsed() >= TIME_LIMIT {
            capped = true;
            break;
        }
    }
    if worked {
        let mut executor = shared.executor.lock().unwrap_or_else(|e| e.into_inner());
        executor.record_expire_cycle(started.elapsed(), capped);
    }
}
