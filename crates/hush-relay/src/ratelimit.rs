//! Token-bucket rate limits, per client IP and per authenticated device.
//!
//! The limits keep one noisy or hostile client from starving the others; they are not a security
//! boundary (authentication is), so keeping them in memory per process is enough. Behind a
//! reverse proxy every request comes from the proxy's address: rate-limit there instead, or
//! raise `--rate-per-ip`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Instant;

/// Rate-limit settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimits {
    /// Sustained requests per second per client IP.
    pub per_ip: f64,
    /// Sustained requests per second per authenticated device.
    pub per_device: f64,
    /// Requests allowed in a burst before the sustained rate applies.
    pub burst: f64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_ip: 50.0,
            per_device: 50.0,
            burst: 200.0,
        }
    }
}

/// Most keys kept before idle buckets are dropped.
const MAX_KEYS: usize = 100_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A set of token buckets keyed by `K`.
#[derive(Debug)]
pub struct Limiter<K> {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Eq + Hash> Limiter<K> {
    /// `rate` tokens per second, at most `burst` stored.
    pub fn new(rate: f64, burst: f64) -> Self {
        Self {
            rate: rate.max(f64::MIN_POSITIVE),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key` at `now`; on refusal returns the seconds to wait (at least 1).
    pub fn check(&self, key: K, now: Instant) -> Result<(), u64> {
        // A poisoned lock only means another request panicked mid-update; the map is still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_KEYS {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.last).as_secs_f64() * rate < burst
            });
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / self.rate).ceil();
            // Saturating float-to-int conversion; at least one second.
            Err((wait as u64).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refill() {
        let l = Limiter::new(1.0, 2.0);
        let t0 = Instant::now();
        assert_eq!(l.check("a", t0), Ok(()));
        assert_eq!(l.check("a", t0), Ok(()));
        assert_eq!(l.check("a", t0), Err(1));
        // Another key has its own bucket.
        assert_eq!(l.check("b", t0), Ok(()));
        // One token back after a second.
        assert_eq!(l.check("a", t0 + Duration::from_secs(1)), Ok(()));
        assert!(l.check("a", t0 + Duration::from_secs(1)).is_err());
    }

    #[test]
    fn slow_rates_ask_for_longer_waits() {
        let l = Limiter::new(0.1, 1.0);
        let t0 = Instant::now();
        assert_eq!(l.check(1u8, t0), Ok(()));
        assert_eq!(l.check(1u8, t0), Err(10));
    }
}
