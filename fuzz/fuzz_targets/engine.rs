//! The engine under arbitrary command programs: no panic, and its invariants hold
//! (`hashcheck::fuzz::libfuzzer::engine` lists them).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fuzz_target!(|data: &[u8]| hashcheck::fuzz::libfuzzer::engine::fuzz(data));
