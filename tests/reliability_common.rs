//! Shared by the `reliability*` test binaries (included with `#[path]`): a seeded RNG, the
//! long-run switch, and how figures are printed.
#![allow(dead_code)]

use std::io::Write;

/// `HUSH_RELIABILITY_FULL=1` selects the long versions documented in docs/RELIABILITY.md.
pub fn full() -> bool {
    std::env::var("HUSH_RELIABILITY_FULL").as_deref() == Ok("1")
}

/// An unsigned number from the environment, else `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a whole number")),
        Err(_) => default,
    }
}

/// The seed for a suite: `HUSH_RELIABILITY_SEED` when set (to replay a failure), else `default`.
pub fn seed(default: u64) -> u64 {
    env_u64("HUSH_RELIABILITY_SEED", default)
}

/// Prints a result line that stays visible in `cargo test` output even when the test passes
/// (written to the process's stderr directly, which the test harness does not capture), so CI
/// logs carry the figures that docs/RELIABILITY.md quotes.
pub fn figure(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "FIGURE {line}");
    let _ = err.flush();
}

/// SplitMix64: tiny, seeded and deterministic across platforms and crate versions, so a failing
/// seed replays exactly. Not for cryptography.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "empty range");
        self.next_u64() % n
    }

    /// Uniform index into a slice of length `n`.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A uniform duration in `0..=max`.
    pub fn duration_up_to(&mut self, max: std::time::Duration) -> std::time::Duration {
        let micros = max.as_micros().min(u128::from(u64::MAX)) as u64;
        std::time::Duration::from_micros(self.below(micros + 1))
    }
}

/// Nearest-rank quantile of durations in milliseconds (`q` in 0..=1); 0 when empty.
pub fn quantile_ms(sorted_ms: &[f64], q: f64) -> f64 {
    if sorted_ms.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted_ms.len() as f64).ceil() as usize).clamp(1, sorted_ms.len());
    sorted_ms[rank - 1]
}
