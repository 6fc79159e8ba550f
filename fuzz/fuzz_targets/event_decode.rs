//! Fuzz target: see `hush_fuzz::event_decode` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hush_fuzz::event_decode(data));
