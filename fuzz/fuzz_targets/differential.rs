//! The engine against a live server at `$REDIS_URL` (`hashcheck::fuzz::libfuzzer::network`).
//! Without `$REDIS_URL` it says so and stops, successfully: there is nothing to compare.
#![no_main]

use hashcheck::fuzz::libfuzzer::network::{fuzz, Outcome, NO_SERVER};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fuzz_target!(|data: &[u8]| {
    if fuzz(data) == Outcome::NoServer {
        eprintln!("{NO_SERVER}");
        std::process::exit(0);
    }
});
