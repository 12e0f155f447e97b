//! Ctrl-C and SIGTERM as a request to stop, not a kill: a run stops handing out cases, lets
//! the cases in flight finish (each deletes its keys), deletes what is left under its prefix
//! and prints what ran. A second signal exits at once, for a run that will not stop.
//!
//! The `ctrlc` crate does the signal handling: it runs the handler on a thread of its own, so
//! the handler may do ordinary work (an atomic store, a print), which a raw signal handler may
//! not; its `termination` feature adds SIGTERM, which is how a CI system cancels a job.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Installs the handler once per process; later calls do nothing. Returns whether a handler
/// is in place (false if another one was installed first by someone else).
pub fn install() -> bool {
    *INSTALLED.get_or_init(|| {
        ctrlc::set_handler(|| {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                eprintln!("hashcheck: interrupted again; exiting without cleanup");
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

/// Whether a stop was requested.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
