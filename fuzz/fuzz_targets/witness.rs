//! Fuzz target: see `hush_fuzz::witness` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hush_fuzz::witness(data));
