//! Fuzz target: see `hush_fuzz::relay_auth` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hush_fuzz::relay_auth(data));
