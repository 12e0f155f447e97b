//! The RESP request parser, the reply decoder and the case-file loader: no panic, and
//! round trips hold (`hashcheck::fuzz::libfuzzer::codec`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fuzz_target!(|data: &[u8]| hashcheck::fuzz::libfuzzer::codec::fuzz(data));
