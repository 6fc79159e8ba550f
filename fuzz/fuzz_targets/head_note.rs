//! Fuzz target: see `hush_fuzz::head_note` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hush_fuzz::head_note(data));
