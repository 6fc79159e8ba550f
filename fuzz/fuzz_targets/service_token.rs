//! Fuzz target: see `hush_fuzz::service_token` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hush_fuzz::service_token(data));
