//! The idle clock: when the person last did something, and how long ago that was.
//!
//! Idle time is measured on both the monotonic clock and the wall clock, and the larger wins:
//! on Linux the monotonic clock stops during suspend, so a laptop that slept through the
//! deadline (and whose sleep we did not hear about) still locks as soon as it wakes. The loop
//! that locks on it is in `lock.rs`.

use std::time::{Duration, Instant, SystemTime};

/// When the person last did something.
pub struct Idle {
    last: std::sync::Mutex<(Instant, SystemTime)>,
}

impl Default for Idle {
    fn default() -> Self {
        Self::new()
    }
}

impl Idle {
    /// Starts counting now.
    pub fn new() -> Self {
        Self {
            last: std::sync::Mutex::new((Instant::now(), SystemTime::now())),
        }
    }

    /// Input happened.
    pub fn touch(&self) {
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            (Instant::now(), SystemTime::now());
    }

    /// Pretends the last input was `ago` in the past.
    #[cfg(test)]
    pub fn pretend_idle_for(&self, ago: Duration) {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *last = (Instant::now() - ago, SystemTime::now() - ago);
    }

    /// How long since the last input.
    pub fn idle_for(&self) -> Duration {
        let (mono, wall) = *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        idle_duration(mono.elapsed(), SystemTime::now().duration_since(wall).ok())
    }
}

/// The idle time from the monotonic and (when it did not go backwards) wall-clock readings.
pub fn idle_duration(monotonic: Duration, wall: Option<Duration>) -> Duration {
    wall.map_or(monotonic, |w| w.max(monotonic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_uses_the_larger_clock() {
        let s = Duration::from_secs;
        assert_eq!(idle_duration(s(5), Some(s(3))), s(5));
        // Slept through the deadline: the monotonic clock stood still, the wall clock did not.
        assert_eq!(idle_duration(s(5), Some(s(900))), s(900));
        // Wall clock set backwards: ignore it.
        assert_eq!(idle_duration(s(5), None), s(5));
    }
}
