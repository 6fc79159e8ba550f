//! Fuzz target: see `hush_fuzz::invite_code` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hush_fuzz::invite_code(data));
