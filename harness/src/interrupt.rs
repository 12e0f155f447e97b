//! Ctrl-C and SIGTERM as a request to stop, not a kill: a run stops handing out cases, lets
//! the cases in flight finish (each deletes its keys), deletes what is left under its prefix
//! and prints what ran. A wait in a case ([`sleep`]) ends at once. A second signal exits
//! at once, for a run that will not stop, after putting back any server settings the run
//! changed ([`on_forced_exit`]).
//!
//! The `ctrlc` crate does the signal handling: it runs the handler on a thread of its own, so
//! the handler may do ordinary work (an atomic store, a print), which a raw signal handler may
//! not; its `termination` feature adds SIGTERM, which is how a CI system cancels a job.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALLED: OnceLock<bool> = OnceLock::new();

type Action = Box<dyn Fn() + Send>;

/// What must still happen when a second signal exits the process at once: putting back
/// server settings a run changed (`runner::restore`). Each is bounded by the connection's
/// timeouts.
static HOOKS: Mutex<Vec<(u64, Action)>> = Mutex::new(Vec::new());

/// Keeps an [`on_forced_exit`] action registered; dropping it removes the action.
#[must_use = "the action is removed when the hook is dropped"]
pub struct Hook(u64);

impl Drop for Hook {
    fn drop(&mut self) {
        let mut hooks = HOOKS.lock().unwrap_or_else(|e| e.into_inner());
        hooks.retain(|(id, _)| *id != self.0);
    }
}

/// Runs `action` if a second Ctrl-C or SIGTERM makes the process exit, while the returned
/// [`Hook`] lives.
pub fn on_forced_exit(action: Action) -> Hook {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    HOOKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((id, action));
    Hook(id)
}

fn run_hooks() {
    let hooks = HOOKS.lock().unwrap_or_else(|e| e.into_inner());
    for (_, action) in hooks.iter() {
        action();
    }
}

/// Installs the handler once per process; later calls do nothing. Returns whether a handler
/// is in place (false if another one was installed first by someone else).
pub fn install() -> bool {
    *INSTALLED.get_or_init(|| {
        ctrlc::set_handler(|| {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                eprintln!(
                    "hashcheck: interrupted again; exiting without deleting this run's keys \
                     (server settings it changed are put back first)"
                );
                run_hooks();
                std::process::exit(130);
            }
            eprintln!(
                "hashcheck: interrupted; finishing the cases in flight and deleting this run's \
                 keys (press Ctrl-C again to exit at once)"
            );
        })
        .is_ok()
    })
}

/// Sleeps for `duration` unless a stop is requested first, checking every 20 ms; returns
/// whether the whole time passed. A `wait:` of a case sleeps here, so Ctrl-C ends it at once.
pub fn sleep(duration: Duration) -> bool {
    const STEP: Duration = Duration::from_millis(20);
    let end = Instant::now() + duration;
    loop {
        if requested() {
            return false;
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(STEP));
    }
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
