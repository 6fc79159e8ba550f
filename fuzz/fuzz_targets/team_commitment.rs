//! Fuzz target: see `hush_fuzz::team_commitment` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hush_fuzz::team_commitment(data));
