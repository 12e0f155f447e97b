//! The engine under arbitrary command programs: no panic, and its invariants hold
//! (`hashcheck::fuzzing::engine` lists them).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hashcheck::fuzzing::engine::fuzz(data));
